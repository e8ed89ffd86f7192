/* http.c: civetweb setup, the static route table, and reply helpers.
 * Every response is complete (Content-Length), errors are JSON naming what
 * was wrong, and unknown paths or methods get 404/405. Slow clients are
 * cut off (each open connection holds a worker thread in civetweb 1.15). */
#include "http.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api.h"
#include "api_metrics.h"
#include "api_people.h"
#include "err.h"
#include "guard.h"
#include "receive.h"
#include "web.h"

/* civetweb's limits: a request's headers must be complete REQUEST_TIMEOUT_S
 * after the connection opened (KEEP_ALIVE_S after the previous answer on a
 * kept-alive connection, idle time included), and a body read or an answer
 * written waits at most REQUEST_TIMEOUT_S for the client. OpenTelemetry
 * exporters send every 5 s on a kept-alive connection, so KEEP_ALIVE_S
 * stays well above that: a server closing just as the client sends is an
 * export lost. */
#define REQUEST_TIMEOUT_S 10
#define KEEP_ALIVE_S 15

/* A body must arrive at BODY_MIN_RATE bytes/s on average once it has had
 * BODY_GRACE_S seconds, and be complete after BODY_DEADLINE_S; otherwise
 * it is refused with 408 and the connection closed. */
#define BODY_MIN_RATE 4096
#define BODY_GRACE_S 5
#define BODY_DEADLINE_S 120
#define BODY_READ_MAX 65536
/* A body no handler read is dropped up to this size, past it the
 * connection is closed. */
#define UNREAD_BODY_MAX (1u << 20)

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
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
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
	const struct app *app = mg_get_user_data(mg_get_context(c));
	char cors[512];
	guard_cors(c, app->cfg, 0, cors, sizeof cors);
	mg_printf(c,
	          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	          "Cache-Control: no-store\r\n%s%s\r\n",
	          status, status_text(status), content_type, len, cors, extra_headers ? extra_headers : "");
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

/* Set when this worker's request will close its connection (civetweb has
 * no getter for that): nothing more of the body is read, since a client cut
 * off for trickling would otherwise hold the worker for another round. */
static _Thread_local int closing;

static void close_after_reply(struct mg_connection *c)
{
	mg_disable_keep_alive(c);
	closing = 1;
}

/* One request body being read. mg_read returns only once it has all it
 * asked for, or after the client paused for REQUEST_TIMEOUT_S, so a client
 * is asked for little until it shows it sends fast: the read size doubles
 * after a read that took under 100 ms and halves after a slower one. A
 * trickling client is then checked several times a second; a fast one pays
 * a few small reads at the start. A read cannot be interrupted, though: a
 * client that sends fast and then a byte every few seconds keeps one read
 * (up to BODY_READ_MAX bytes) going; only the worker count bounds that. */
struct body_pace {
	struct timespec start;
	size_t got, want;
};

static void pace_start(struct body_pace *p)
{
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->got = 0;
	p->want = 1;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Reads the next piece of the body, at most cap bytes, into buf. Returns
 * the byte count (0 at the end of the body), or ERR_TIMEOUT (too slow, see
 * BODY_MIN_RATE) or ERR_BAD_INPUT (client gone or paused) with err filled
 * and the connection marked to close. */
static int read_paced(struct mg_connection *c, struct body_pace *p, char *buf, size_t cap, char *err, size_t errlen)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = mg_read(c, buf, cap < p->want ? cap : p->want), rc = ERR_OK;
	double took = seconds_since(&t0), elapsed = seconds_since(&p->start);
	if (n > 0)
		p->got += (size_t)n;
	if (n < 0)
		rc = err_set(err, errlen, ERR_BAD_INPUT,
		             "error reading the request body (client gone, or paused over %d s)", REQUEST_TIMEOUT_S);
	else if (n > 0 && elapsed > BODY_DEADLINE_S)
		rc = err_set(err, errlen, ERR_TIMEOUT, "request body not complete after %d s (%zu bytes); nothing stored",
		             BODY_DEADLINE_S, p->got);
	else if (n > 0 && elapsed > BODY_GRACE_S && (double)p->got < BODY_MIN_RATE * elapsed)
		rc = err_set(err, errlen, ERR_TIMEOUT,
		             "request body too slow: %zu bytes in %.1f s, at least %d bytes/s needed; nothing stored",
		             p->got, elapsed, BODY_MIN_RATE);
	if (rc) {
		close_after_reply(c);
		return rc;
	}
	if (took < 0.1)
		p->want = p->want * 2 > BODY_READ_MAX ? BODY_READ_MAX : p->want * 2;
	else if (p->want > 1)
		p->want /= 2;
	return n;
}

void http_discard_body(struct mg_connection *c, size_t max)
{
	char buf[16384], err[200];
	struct body_pace pace;
	size_t total = 0;
	int n;
	pace_start(&pace);
	while (!closing && total <= max && (n = read_paced(c, &pace, buf, sizeof buf, err, sizeof err)) > 0)
		total += (size_t)n;
	if (total > max)
		close_after_reply(c);
}

int http_read_body(struct mg_connection *c, size_t max, struct reqmem *m, char **body, size_t *len, char *err,
                   size_t errlen)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	size_t cap = ri->content_length > 0 ? (size_t)ri->content_length : 64 * 1024, used = 0;
	struct body_pace pace;
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
	pace_start(&pace);
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
		int n = read_paced(c, &pace, buf + used, cap - used, err, errlen);
		if (n < 0) {
			free(buf);
			return n;
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

/* Answers a CORS preflight: 204 with the CORS headers for a --cors-origin
 * origin, 403 for any other. */
static int preflight(struct mg_connection *c, const struct app *app)
{
	char cors[512];
	if (!guard_cors(c, app->cfg, 1, cors, sizeof cors)) {
		const char *origin = mg_get_header(c, "Origin");
		http_send_error(c, 403, "origin '%.200s' may not call this server from a web page; start tracelite with "
		                "--cors-origin ORIGIN to allow one", origin ? origin : "");
		return 403;
	}
	mg_printf(c, "HTTP/1.1 204 No Content\r\n%sCache-Control: no-store\r\n\r\n", cors);
	return 204;
}

static int route(struct mg_connection *c, struct app *app)
{
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

/* Every request: the guard's checks (a refused request closes its
 * connection unread), then a preflight or the route; whatever body the
 * handler left is read here at the body pace, not by civetweb, which
 * would wait for a trickling client without end. */
static int dispatch(struct mg_connection *c, void *cbdata)
{
	struct app *app = cbdata;
	char err[512];
	int status = guard_check(c, app->cfg, err, sizeof err);
	closing = 0;
	if (status) {
		close_after_reply(c);
		http_send_error(c, status, "%s", err);
		return status;
	}
	if (!strcmp(mg_get_request_info(c)->request_method, "OPTIONS") &&
	    mg_get_header(c, "Access-Control-Request-Method"))
		status = preflight(c, app);
	else
		status = route(c, app);
	http_discard_body(c, UNREAD_BODY_MAX);
	return status;
}

static int log_message(const struct mg_connection *c, const char *msg)
{
	(void)c;
	fprintf(stderr, "tracelite: http: %s\n", msg);
	return 1;
}

struct http_server *http_start(struct app *app, char *err, size_t errlen)
{
	char threads[16], ports[300], request_ms[16], keep_alive_ms[16];
	const char *listen = app->cfg->listen;
	if (strncmp(listen, "localhost:", 10) == 0)
		snprintf(ports, sizeof ports, "127.0.0.1:%s", listen + 10);
	else
		snprintf(ports, sizeof ports, "%s", listen);
	snprintf(threads, sizeof threads, "%d", app->cfg->threads);
	snprintf(request_ms, sizeof request_ms, "%d", REQUEST_TIMEOUT_S * 1000);
	snprintf(keep_alive_ms, sizeof keep_alive_ms, "%d", KEEP_ALIVE_S * 1000);
	const char *options[] = {
		"listening_ports", ports,
		"num_threads", threads,
		"request_timeout_ms", request_ms,
		"enable_keep_alive", "yes",
		"keep_alive_timeout_ms", keep_alive_ms,
		/* no CORS headers from civetweb (its default approves every
		 * origin); guard.c answers --cors-origin origins only */
		"access_control_allow_origin", "",
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
