/* api.h: the REST query endpoints (GET). Parameters are validated first;
 * a bad one gets 400 naming it. */
#ifndef TL_API_H
#define TL_API_H
#include <civetweb.h>
#include <stdint.h>
#include <sqlite3.h>
#include "app.h"
#include "query.h"
#include "span.h"

#define API_LIMIT_DEFAULT 50
#define API_LIMIT_MAX 1000

void api_health(struct mg_connection *c, struct app *app, const char *tail);
void api_traces(struct mg_connection *c, struct app *app, const char *tail);
void api_trace(struct mg_connection *c, struct app *app, const char *tail);
void api_span(struct mg_connection *c, struct app *app, const char *tail);
void api_scores(struct mg_connection *c, struct app *app, const char *tail);
void api_projects(struct mg_connection *c, struct app *app, const char *tail);
/* GET /: where to send traces and what the API offers. */
void api_index(struct mg_connection *c, struct app *app, const char *tail);

/* Parses an ISO-8601 UTC time ("2025-01-02T03:04:05.123Z", offsets and a
 * bare date allowed) or an integer (seconds, milliseconds or nanoseconds
 * since the epoch, told apart by magnitude) into unix nanos. Returns 0 or
 * ERR_BAD_INPUT. */
int api_parse_time(const char *s, uint64_t *ns);

/* This worker thread's read-only connection, opened on first use; NULL
 * after sending 503 if the store cannot be opened. */
sqlite3 *api_reader(struct mg_connection *c, struct app *app);
/* Storage for the string parameters a trace_filter points to. */
struct api_filter_bufs {
	char service[256], name[SPAN_MAX_NAME + 1], status[16], model[256], session[256], user[256];
};
/* Parses the trace-list parameters (project, from, to, service, name,
 * status, model, session_id, user_id, min/max_duration_ms) into f, whose
 * strings point into b; limit and cursor are left 0. Returns 0, or -1 after
 * sending 400 (404 for an unknown project) naming the parameter. */
int api_trace_filter(struct mg_connection *c, sqlite3 *db, struct trace_filter *f, struct api_filter_bufs *b);
/* Parses ?limit= (1..API_LIMIT_MAX, default API_LIMIT_DEFAULT). Returns 0,
 * or -1 after sending 400. */
int api_limit_param(struct mg_connection *c, int *limit);
/* Parses ?cursor= as GET /api/traces returns it into f. Returns 0, or -1
 * after sending 400. */
int api_trace_cursor(struct mg_connection *c, struct trace_filter *f);

#endif
