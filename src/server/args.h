/* args.h: the request-argument helpers the GET handlers share (api.c,
 * api_search.c, api_metrics.c, api_people.c): this worker thread's
 * read-only connection, query parameters and the trace-list filters. A
 * helper that refuses a parameter sends the 400 (or 404) naming it and
 * returns -1, so a handler just returns. That 0/-1 is deliberate, not an
 * enum err: the answer has already been sent, and the caller has nothing
 * left to map to a status (docs/architecture.md, "Errors"). */
#ifndef TL_ARGS_H
#define TL_ARGS_H
#include <civetweb.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "ingest/span.h"
#include "query/query.h"
#include "query/searchq.h"
#include "server/app.h"

#define API_LIMIT_DEFAULT 50
#define API_LIMIT_MAX 1000

/* The trace-list filters every listing and metrics endpoint takes, with
 * the storage their strings point into. */
struct filter_args {
	struct trace_filter f;
	char service[256], name[SPAN_MAX_NAME + 1], status[16], model[256], type[32], session[256], user[256];
	char q[SEARCHQ_MAX_LEN + 1];
	struct attr_filter filters[FILTERS_MAX];
};

/* This request's read-only connection: the same one until
 * api_reader_release, taken from a pool of idle ones or opened; NULL after
 * sending 503 (c NULL: nothing sent) when the store cannot be opened. */
sqlite3 *api_reader(struct mg_connection *c, struct app *app);
/* Ends this thread's request's use of its connection (none: nothing to
 * do): back to the pool, or closed when the pool is full. The request
 * dispatcher calls it after every request; nothing from the connection
 * (statements, rows) may be used after. */
void api_reader_release(void);
/* Reads project, from, to, service, name, status, model, type, session_id,
 * user_id, min_duration_ms, max_duration_ms and q into a. Returns 0, or -1
 * after sending 400/404 naming the parameter. */
int api_filter_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a);
/* Reads the repeatable filter parameters attr.KEY=OP:VALUE, resource.KEY=,
 * meta.KEY=, tag=VALUE and score.NAME= (query/filters.h) into a->filters.
 * Returns 0, or -1 after sending 400 naming the parameter (bad operator,
 * empty or overlong key or value, more than FILTERS_MAX). */
int api_attr_filters(struct mg_connection *c, struct filter_args *a);
/* api_filter_args plus the attribute filters, limit and cursor, for the
 * trace list, search and export. */
int api_list_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a);
/* Reads ?project= (a project UUID or name) into its key (0 when absent).
 * Returns 0, or -1 after sending 404 for an unknown project. */
int api_project_param(struct mg_connection *c, sqlite3 *db, int64_t *key);
/* Reads optional string parameter name into buf (*out = buf, or NULL when
 * absent or empty). Returns 0, or -1 after sending 400 if too long. */
int api_opt_param(struct mg_connection *c, const char *name, char *buf, size_t len, const char **out);
/* Reads optional time parameter name as text_parse_time reads it (ISO-8601,
 * or an epoch number whose size says seconds, ms, us or ns; 0 when absent).
 * Returns 0, or -1 after sending 400. */
int api_time_param(struct mg_connection *c, const char *name, uint64_t *ns);
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
/* Parses ?cursor= as GET /api/traces and searches return it ("<start_ns>.
 * <trace id hex>": both page in the same order) into f. Returns 0, or -1
 * after sending 400. */
int api_trace_cursor(struct mg_connection *c, struct trace_filter *f);
/* Parses a path id (tail of the URI): 2n hex digits, or any other string
 * mapped the way ingest maps foreign ids, into id (n bytes). Returns 0, or
 * -1 after sending 400 naming what. */
int api_path_id(struct mg_connection *c, const char *tail, uint8_t *id, size_t n, const char *what);

#endif
