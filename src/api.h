/* api.h: the REST query endpoints (GET). Parameters are validated first;
 * a bad one gets 400 naming it. */
#ifndef TL_API_H
#define TL_API_H
#include <civetweb.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "app.h"
#include "query.h"
#include "searchq.h"
#include "span.h"

void api_health(struct mg_connection *c, struct app *app, const char *tail);
void api_traces(struct mg_connection *c, struct app *app, const char *tail);
void api_trace(struct mg_connection *c, struct app *app, const char *tail);
void api_span(struct mg_connection *c, struct app *app, const char *tail);
void api_scores(struct mg_connection *c, struct app *app, const char *tail);
void api_projects(struct mg_connection *c, struct app *app, const char *tail);
/* GET /: where to send traces and what the API offers. */
void api_index(struct mg_connection *c, struct app *app, const char *tail);

/* GET /api/search (api_search.c). */
void api_search(struct mg_connection *c, struct app *app, const char *tail);

/* This worker thread's read-only connection (opened on first use); on
 * failure sends 503 and returns NULL. */
sqlite3 *api_reader(struct mg_connection *c, struct app *app);

/* The text the trace-list parameters are copied into. */
struct api_trace_params {
	char service[256], name[SPAN_MAX_NAME + 1], status[16], model[256], session[256], user[256];
	char q[SEARCHQ_MAX_LEN + 1];
};
/* Parses the trace-list filters (from, to, project, service, name, status,
 * model, session_id, user_id, min/max_duration_ms, limit, q, cursor) into
 * *f, pointing into *p. On a bad one sends 400 (404 for an unknown
 * project) naming it and returns -1. */
int api_trace_filter(struct mg_connection *c, sqlite3 *db, struct api_trace_params *p, struct trace_filter *f);
/* Runs the search f->q with f's filters and sends the answer: 400 naming q
 * for bad syntax; with_index adds the indexer's "index" status. */
void api_search_run(struct mg_connection *c, struct app *app, sqlite3 *db, const struct trace_filter *f,
                    int with_index);
/* {"indexed_spans","pending_spans","lag_seconds"} for /api/health. */
cJSON *api_search_status(struct app *app, sqlite3 *db);

/* Parses an ISO-8601 UTC time ("2025-01-02T03:04:05.123Z", offsets and a
 * bare date allowed) or an integer (seconds, milliseconds or nanoseconds
 * since the epoch, told apart by magnitude) into unix nanos. Returns 0 or
 * ERR_BAD_INPUT. */
int api_parse_time(const char *s, uint64_t *ns);

#endif
