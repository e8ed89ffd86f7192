/* http.c: civetweb setup, the static route table, and reply helpers.
 * Every response is complete (Content-Length), errors are JSON naming what
 * was wrong, and unknown paths or methods get 404/405. */
#include "http.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "api_metrics.h"
#include "api_people.h"
#include "err.h"
#include "receive.h"
#include "web.h"

typedef void (*handler_fn)(struct mg_connection *c, struct app *app, const char *tail);

struct route {
	const char *method, *path;
	int prefix;          /* path ends in '/', tail = rest of the URI */
	handler_fn fn;
};

static const struct route routes[] = {
	{"POST", "/v1/traces", 0, receive_otlp},
	{"POST", "/api/v1/traces", 0, receive_otlp},
	{"POST", "/api/traces/ingest", 0, receive_neon_traces},
	{"POST", "/api/spans", 0, receive_neon_spans},
	{"POST", "/api/scores", 0, receive_scores},
	{"GET", "/api/health", 0, api_health},
	{"GET", "/api/traces", 0, api_traces},
	{"GET", "/api/traces/", 1, api_trace},
	{"GET", "/api/spans/", 1, api_span},
	{"GET", "/api/scores", 0, api_scores},
	{"GET", "/api/projects", 0, api_projects},
	{"GET", "/api/metrics/summary", 0, api_metrics_summary},
	{"GET", "/api/metrics/timeseries", 0, api_metrics_timeseries},
	{"GET", "/api/metrics/models", 0, api_metrics_models},
	{"GET", "/api/metrics/operations", 0, api_metrics_operations},
	{"GET", "/api/search", 0, api_search},
	{"GET", "/api/replication", 0, api_replication},
	{"GET", "/api/sessions", 0, api_sessions},
	{"GET", "/api/sessions/", 1, api_session},
	{"GET", "/api/users", 0, api_users},
	{"GET", "/api/users/", 1, api_user},
	{"GET", "/api/scores/summary", 0, api_scores_summary},
	{"GET", "/api/facets", 0, api_facets},
	{"GET", "/assets/", 1, web_asset},
	{"GET", "/", 0, web_page},
	{"GET", "/traces", 0, web_page},
	{"GET", "/traces/", 1, web_page},
	{"GET", "/sessions", 0, web_page},
	{"GET", "/sessions/", 1, web_page},
	{"GET", "/scores", 0, web_page},
};

struct http_server {
	struct mg_context *ctx;
	struct app *app;
};

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

void http_send(struct mg_connection *c, int status, const char *content_type, const void *body, size_t len,
               const char *extra_headers)
{
	mg_printf(c,
	          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	          "Cache-Control: no-store\r\n%s\r\n",
	          status, status_text(status), content_type, len, extra_headers ? extra_headers : "");
	if (len)
		mg_write(c, body, len);
}

void http_send_json(struct mg_connection *c, int status, cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (!text)
		abort();
	http_send(c, status, "application/json", text, strlen(text), "");
	cJSON_free(text);
}

void http_send_error(struct mg_connection *c, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	http_send(c, status, "application/json", text, strlen(text), status == 503 ? "Retry-After: 1\r\n" : "");
	cJSON_free(text);
}

void http_discard_body(struct mg_connection *c, size_t max)
{
	char buf[16384];
	size_t total = 0;
	int n;
	while (total <= max && (n = mg_read(c, buf, sizeof buf)) > 0)
		total += (size_t)n;
	if (total > max || n < 0)
		mg_disable_keep_alive(c);
}

int http_read_body(struct mg_connection *c, size_t max, struct reqmem *m, char **body, size_t *len, char *err,
                   size_t errlen)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	size_t cap = ri->content_length > 0 ? (size_t)ri->content_length : 64 * 1024, used = 0;
	if (ri->content_length > 0 && (unsigned long long)ri->content_length > max) {
		http_discard_body(c, 2 * max);
		return err_set(err, errlen, ERR_TOO_LARGE, "body of %lld bytes exceeds %zu MiB", ri->content_length,
		               max >> 20);
	}
	int rc = reqmem_take(m, cap, err, errlen);
	if (rc) {
		mg_disable_keep_alive(c); /* the body stays unread */
		return rc;
	}
	char *buf = malloc(cap + 1);
	if (!buf)
		abort();
	for (;;) {
		if (used == cap) {
			if (cap >= max) {
				free(buf);
				http_discard_body(c, max);
				return err_set(err, errlen, ERR_TOO_LARGE, "body exceeds %zu MiB", max >> 20);
			}
			size_t grown_cap = cap * 2 > max ? max : cap * 2;
			if ((rc = reqmem_take(m, grown_cap - cap, err, errlen))) {
				free(buf);
				mg_disable_keep_alive(c);
				return rc;
			}
			cap = grown_cap;
			char *grown = realloc(buf, cap + 1);
			if (!grown)
				abort();
			buf = grown;
		}
		int n = mg_read(c, buf + used, cap - used);
		if (n < 0) {
			free(buf);
			return err_set(err, errlen, ERR_BAD_INPUT, "error reading the request body");
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (ri->content_length > 0 && used != (size_t)ri->content_length) {
		free(buf);
		return err_set(err, errlen, ERR_BAD_INPUT, "body truncated: got %zu of %lld bytes", used,
		               ri->content_length);
	}
	buf[used] = 0;
	*body = buf;
	*len = used;
	return ERR_OK;
}

int http_query_param(const struct mg_connection *c, const char *name, char *buf, size_t buflen)
{
	const char *qs = mg_get_request_info(c)->query_string;
	if (!qs)
		return 0;
	int n = mg_get_var(qs, strlen(qs), name, buf, buflen);
	if (n == -1)
		return 0;
	if (n < 0)
		return -1;
	return 1;
}

static int dispatch(struct mg_connection *c, void *cbdata)
{
	struct app *app = cbdata;
	const struct mg_request_info *ri = mg_get_request_info(c);
	const char *uri = ri->local_uri;
	int path_known = 0;
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		int match = r->prefix ? strncmp(uri, r->path, n) == 0 && uri[n] : strcmp(uri, r->path) == 0;
		if (!match)
			continue;
		path_known = 1;
		if (strcmp(ri->request_method, r->method) == 0 ||
		    (strcmp(ri->request_method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			r->fn(c, app, r->prefix ? uri + n : "");
			return 200;
		}
	}
	if (path_known)
		http_send_error(c, 405, "method %s not allowed on %s", ri->request_method, uri);
	else
		http_send_error(c, 404, "no such endpoint: %s", uri);
	return 404;
}

static int log_message(const struct mg_connection *c, const char *msg)
{
	(void)c;
	fprintf(stderr, "tracelite: http: %s\n", msg);
	return 1;
}

struct http_server *http_start(struct app *app, char *err, size_t errlen)
{
	char threads[16], ports[300];
	const char *listen = app->cfg->listen;
	if (strncmp(listen, "localhost:", 10) == 0)
		snprintf(ports, sizeof ports, "127.0.0.1:%s", listen + 10);
	else
		snprintf(ports, sizeof ports, "%s", listen);
	snprintf(threads, sizeof threads, "%d", app->cfg->threads);
	const char *options[] = {
		"listening_ports", ports,
		"num_threads", threads,
		"request_timeout_ms", "60000",
		"enable_keep_alive", "yes",
		"keep_alive_timeout_ms", "30000",
		/* headers and body go out in separate writes: without this the body
		 * waits for the client's delayed ACK (about 40 ms per response) */
		"tcp_nodelay", "1",
		NULL,
	};
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof cb);
	cb.log_message = log_message;
	struct mg_init_data init = {.callbacks = &cb, .user_data = app, .configuration_options = options};
	struct mg_error_data error = {0};
	char ebuf[256] = "";
	error.text = ebuf;
	error.text_buffer_size = sizeof ebuf;
	mg_init_library(0);
	struct mg_context *ctx = mg_start2(&init, &error);
	if (!ctx) {
		err_set(err, errlen, ERR_STORE, "cannot listen on %s: %s", listen, ebuf[0] ? ebuf : "unknown error");
		mg_exit_library();
		return NULL;
	}
	mg_set_request_handler(ctx, "/", dispatch, app);
	struct http_server *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->ctx = ctx;
	s->app = app;
	return s;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	mg_stop(s->ctx);
	mg_exit_library();
	free(s);
}
