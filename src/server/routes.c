/* routes.c: the top of the server: the route table (every handler),
 * the checks every request passes first (guard.h), CORS preflights, 404 and
 * 405, and civetweb's start and stop with its connection limits. */
#include "server/routes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/log.h"
#include "server/api.h"
#include "server/api_annot.h"
#include "server/api_delete.h"
#include "server/api_metrics.h"
#include "server/api_people.h"
#include "server/api_prom.h"
#include "server/api_export.h"
#include "server/api_logs.h"
#include "server/api_search.h"
#include "server/args.h"
#include "server/auth_http.h"
#include "server/guard.h"
#include "server/http.h"
#include "server/langfuse.h"
#include "server/receive.h"
#include "server/tls.h"
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


struct route {
	const char *method, *path;
	int prefix;          /* path ends in '/', tail = rest of the URI */
	handler_fn *fn;
};

static const struct route routes[] = {
	{"POST", "/v1/traces", 0, receive_otlp},
	{"POST", "/api/v1/traces", 0, receive_otlp},
	{"POST", "/v1/metrics", 0, receive_metrics},
	{"POST", "/v1/logs", 0, receive_logs},
	{"POST", "/api/traces/ingest", 0, receive_neon_traces},
	{"POST", "/api/spans", 0, receive_neon_spans},
	{"POST", "/api/scores", 0, receive_scores},
	{"POST", "/api/public/otel/v1/traces", 0, langfuse_otel},
	{"POST", "/api/public/ingestion", 0, langfuse_ingestion},
	{"GET", "/api/public/projects", 0, langfuse_projects},
	{"GET", "/api/public/health", 0, langfuse_health},
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
	{"GET", "/api/export/traces", 0, api_export_traces},
	{"GET", "/api/export/spans", 0, api_export_spans},
	{"GET", "/api/replication", 0, api_replication},
	{"GET", "/api/sessions", 0, api_sessions},
	{"GET", "/api/sessions/", 1, api_session},
	{"GET", "/api/users", 0, api_users},
	{"GET", "/api/users/", 1, api_user},
	{"GET", "/api/scores/summary", 0, api_scores_summary},
	{"GET", "/api/facets", 0, api_facets},
	{"GET", "/api/logs", 0, api_logs},
	/* annotations (issue 14 item 4): api_annot.h */
	{"GET", "/api/score-configs", 0, api_score_configs},
	{"POST", "/api/score-configs", 0, api_score_config_put},
	{"DELETE", "/api/score-configs/", 1, api_score_config_delete},
	{"PATCH", "/api/scores/", 1, api_score_patch},
	{"DELETE", "/api/scores/", 1, api_score_delete},
	{"GET", "/metrics", 0, api_prom},
	/* deletion: scope admin once keys exist (issue 11) */
	{"DELETE", "/api/traces", 0, api_delete_traces},
	{"DELETE", "/api/traces/", 1, api_delete_trace},
	{"GET", "/assets/", 1, web_asset},
	{"GET", "/", 0, web_page},
	{"GET", "/traces", 0, web_page},
	{"GET", "/traces/", 1, web_page},
	{"GET", "/sessions", 0, web_page},
	{"GET", "/sessions/", 1, web_page},
	{"GET", "/scores", 0, web_page},
	{"GET", "/settings/scores", 0, web_page},
	{"GET", "/users", 0, web_page},
	{"GET", "/users/", 1, web_page},
	{"GET", "/logs", 0, web_page},
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
	else if (!web_not_found(c, uri))
		http_send_error(c, 404, "no such endpoint: %s", uri);
	return 404;
}

/* The route table path uri matches (its metrics label), or "other". */
static const char *route_label(const char *uri)
{
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		if (r->prefix ? strncmp(uri, r->path, n) == 0 && uri[n] : strcmp(uri, r->path) == 0)
			return r->path;
	}
	return "other";
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
	} else {
		if (!strcmp(mg_get_request_info(c)->request_method, "OPTIONS") &&
		    mg_get_header(c, "Access-Control-Request-Method"))
			status = preflight(c, app);
		else if (!auth_http_gate(c, app))   /* answered: 401, 403 or to the login page */
			status = 401;
		else
			status = route(c, app);
		http_discard_body(c, UNREAD_BODY_MAX);
	}
	api_reader_release();
	api_prom_count_request(route_label(mg_get_request_info(c)->local_uri),
	                       http_reply_status() ? http_reply_status() : status);
	return status;
}

/* The open connections gauge. civetweb calls init_connection once a
 * connection is ready for requests, but connection_closed also for one
 * whose TLS handshake failed (never opened); both run on the worker
 * thread that owns the connection, so a per-thread flag pairs them. */
static _Thread_local int conn_open;

static int connection_opened(const struct mg_connection *c, void **conn_data)
{
	(void)c;
	(void)conn_data;
	if (!conn_open) /* never twice: a metric must not be what stops the server */
		api_prom_connections(1);
	conn_open = 1;
	return 0;
}

static void connection_closed(const struct mg_connection *c)
{
	(void)c;
	if (!conn_open)
		return;
	conn_open = 0;
	api_prom_connections(-1);
}

static int log_message(const struct mg_connection *c, const char *msg)
{
	(void)c;
	log_warn("http", "http: %s", msg);
	return 1;
}

struct server *server_start(struct app *app, const struct tls_files *tls, char *err, size_t errlen)
{
	char threads[16], ports[300], request_ms[16], keep_alive_ms[16], pem[64] = "";
	const char *listen = app->cfg->listen;
	/* an 's' after the port is civetweb's "this port speaks TLS" */
	if (strncmp(listen, "localhost:", 10) == 0)
		snprintf(ports, sizeof ports, "127.0.0.1:%s%s", listen + 10, tls ? "s" : "");
	else
		snprintf(ports, sizeof ports, "%s%s", listen, tls ? "s" : "");
	int pem_fd = tls ? tls_pem_for_civetweb(tls, pem, sizeof pem, err, errlen) : -1;
	if (tls && pem_fd < 0)
		return NULL;
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
		/* TLS (only read with an 's' port): key and certificate from the
		 * memory file, intermediates from the certificate file, TLS 1.2+ */
		"ssl_certificate", pem,
		"ssl_certificate_chain", tls ? tls->cert : "",
		"ssl_protocol_version", "4",
		NULL,
	};
	if (!tls)
		options[sizeof options / sizeof *options - 7] = NULL;
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof cb);
	cb.log_message = log_message;
	cb.init_connection = connection_opened;
	cb.connection_closed = connection_closed;
	api_prom_declare();
	struct mg_init_data init = {.callbacks = &cb, .user_data = app, .configuration_options = options};
	struct mg_error_data error = {0};
	char ebuf[256] = "";
	error.text = ebuf;
	error.text_buffer_size = sizeof ebuf;
	/* Debian's civetweb 1.15 answers 0 here even when OpenSSL loaded, so
	 * the return is not checked: tls_prepare made sure the libraries are
	 * there, and mg_start2 says what else went wrong. */
	mg_init_library(tls ? MG_FEATURES_TLS : 0);
	struct mg_context *ctx = NULL;
	if (tls && tls_civetweb_fix(err, errlen))
		goto out;
	ctx = mg_start2(&init, &error);
	if (!ctx)
		err_set(err, errlen, ERR_STORE, "cannot listen on %s%s: %s", listen, tls ? " with TLS" : "",
		        ebuf[0] ? ebuf : "unknown error");
	else if (tls && tls_civetweb_fix(err, errlen)) {
		mg_stop(ctx);
		ctx = NULL;
	}
out:
	if (pem_fd >= 0)
		close(pem_fd); /* OpenSSL read it during mg_start2 */
	if (!ctx) {
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
