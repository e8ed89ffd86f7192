/* routes.c: the top of the server: the route table (every handler),
 * the checks every request passes first (guard.h), CORS preflights, 404 and
 * 405, and civetweb's start and stop with its connection limits. */
#include "server/routes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "server/api.h"
#include "server/api_metrics.h"
#include "server/api_people.h"
#include "server/api_search.h"
#include "server/auth_http.h"
#include "server/guard.h"
#include "server/http.h"
#include "server/receive.h"
#include "server/web.h"

/* civetweb's limits: a request's headers must be complete HTTP_REQUEST_TIMEOUT_S
 * after the connection opened (KEEP_ALIVE_S after the previous answer on a
 * kept-alive connection, idle time included), and a body read or an answer
 * written waits at most HTTP_REQUEST_TIMEOUT_S for the client. OpenTelemetry
 * exporters send every 5 s on a kept-alive connection, so KEEP_ALIVE_S
 * stays well above that: a server closing just as the client sends is an
 * export lost. */
#define KEEP_ALIVE_S 15

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
	{"GET", "/login", 0, web_login},
	{"POST", "/api/login", 0, auth_http_login},
	{"POST", "/api/logout", 0, auth_http_logout},
	{"GET", "/api/session", 0, auth_http_session},
};

struct server {
	struct mg_context *ctx;
	struct app *app;
};

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
	http_request_begin();
	if (status) {
		http_close_after_reply(c);
		http_send_error(c, status, "%s", err);
		return status;
	}
	if (!strcmp(mg_get_request_info(c)->request_method, "OPTIONS") &&
	    mg_get_header(c, "Access-Control-Request-Method"))
		status = preflight(c, app);
	else if (!auth_http_gate(c, app))   /* answered: 401, 403 or to the login page */
		status = 401;
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

struct server *server_start(struct app *app, char *err, size_t errlen)
{
	char threads[16], ports[300], request_ms[16], keep_alive_ms[16];
	const char *listen = app->cfg->listen;
	if (strncmp(listen, "localhost:", 10) == 0)
		snprintf(ports, sizeof ports, "127.0.0.1:%s", listen + 10);
	else
		snprintf(ports, sizeof ports, "%s", listen);
	snprintf(threads, sizeof threads, "%d", app->cfg->threads);
	snprintf(request_ms, sizeof request_ms, "%d", HTTP_REQUEST_TIMEOUT_S * 1000);
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
	struct server *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->ctx = ctx;
	s->app = app;
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	mg_stop(s->ctx);
	mg_exit_library();
	free(s);
}
