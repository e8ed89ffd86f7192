/* api.h: the REST query endpoints (GET). Parameters are validated first;
 * a bad one gets 400 naming it. */
#ifndef TL_API_H
#define TL_API_H
#include <civetweb.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sqlite3.h>
#include "server/app.h"
#include "query/query.h"
#include "query/searchq.h"
#include "ingest/span.h"

#define API_LIMIT_DEFAULT 50
#define API_LIMIT_MAX 1000

void api_health(struct mg_connection *c, struct app *app, const char *tail);
void api_traces(struct mg_connection *c, struct app *app, const char *tail);
void api_trace(struct mg_connection *c, struct app *app, const char *tail);
void api_span(struct mg_connection *c, struct app *app, const char *tail);
void api_scores(struct mg_connection *c, struct app *app, const char *tail);
void api_projects(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/replication: repl_status_json (src/server/api_repl.c). */
void api_replication(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/facets: distinct services, models and span names of recent
 * traces (for filter pickers); see query_facets. */
void api_facets(struct mg_connection *c, struct app *app, const char *tail);

/* GET /api/search (api_search.c). */
void api_search(struct mg_connection *c, struct app *app, const char *tail);

/* The trace-list filters every listing and metrics endpoint takes, with
 * the storage their strings point into. */
struct filter_args {
	struct trace_filter f;
	char service[256], name[SPAN_MAX_NAME + 1], status[16], model[256], type[32], session[256], user[256];
	char q[SEARCHQ_MAX_LEN + 1];
};

/* This worker thread's read-only connection, opened on first use; NULL
 * after sending 503 when the store cannot be opened. */
sqlite3 *api_reader(struct mg_connection *c, struct app *app);
/* Reads project, from, to, service, name, status, model, type, session_id,
 * user_id, min_duration_ms, max_duration_ms and q into a. Returns 0, or -1
 * after sending 400/404 naming the parameter. */
int api_filter_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a);
/* api_filter_args plus limit and cursor (a trace-list cursor, or a search
 * cursor when q is set), for the list endpoints. */
int api_list_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a);
/* Reads optional string parameter name into buf (*out = buf, or NULL when
 * absent or empty). Returns 0, or -1 after sending 400 if too long. */
int api_opt_param(struct mg_connection *c, const char *name, char *buf, size_t len, const char **out);
/* Reads optional time parameter name as text_parse_time reads it (ISO-8601,
 * or an epoch number whose size says seconds, ms, us or ns; 0 when absent).
 * Returns 0, or -1 after sending 400. */
int api_time_param(struct mg_connection *c, const char *name, uint64_t *ns);
/* Runs the search f->q with f's filters and sends the answer: 400 naming q
 * for bad syntax; with_index adds the indexer's "index" status. */
void api_search_run(struct mg_connection *c, struct app *app, sqlite3 *db, const struct trace_filter *f,
                    int with_index);
/* {"indexed_spans","pending_spans","lag_seconds"} for /api/health. */
cJSON *api_search_status(struct app *app, sqlite3 *db);

/* This worker thread's read-only connection, opened on first use; NULL
 * after sending 503 if the store cannot be opened. */
sqlite3 *api_reader(struct mg_connection *c, struct app *app);
/* Storage for the string parameters a trace_filter points to. */
/* Reads optional integer parameter name within [min, max] into *out
 * (dflt when absent). Returns 0, or -1 after sending 400 naming it. */
int api_int_param(struct mg_connection *c, const char *name, long long min, long long max, long long dflt,
                  long long *out);
/* Parses ?limit= (1..API_LIMIT_MAX, default API_LIMIT_DEFAULT). Returns 0,
 * or -1 after sending 400. */
int api_limit_param(struct mg_connection *c, int *limit);
/* Sends 400 naming q and returns -1 when f has a full-text query, which
 * the aggregate endpoints do not take; else returns 0. */
int api_refuse_q(struct mg_connection *c, const struct trace_filter *f);
/* Parses ?cursor= as GET /api/traces returns it (or, when f->q is set, as
 * a search returns it) into f. Returns 0, or -1
 * after sending 400. */
int api_trace_cursor(struct mg_connection *c, struct trace_filter *f);

#endif
