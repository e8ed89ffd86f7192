/* query.h: the read side. Each function runs on a read-only connection and
 * builds the JSON the REST API returns (cJSON, caller deletes). */
#ifndef TL_QUERY_H
#define TL_QUERY_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "store/spanview.h"
#include "base/err.h"
#include "query/filters.h"

struct trace_filter {
	int64_t project;                 /* 0 = every project */
	uint64_t from_ns, to_ns;         /* start time range; 0 = open */
	const char *service, *name, *status, *model, *session_id, *user_id;  /* NULL = any */
	int type;                        /* enum span_type a span of the trace has; -1 = any */
	double min_ms, max_ms;           /* < 0 = open */
	int limit;
	int ascending;                   /* oldest first (a session's traces) */
	int has_cursor;
	uint64_t cursor_start;
	uint8_t cursor_trace[16];
	const char *q;                   /* full-text search (search.h); NULL = none */
	const struct attr_filter *filters; /* attribute, metadata, tag, score filters (filters.h), ANDed */
	int nfilters;                    /* 0..FILTERS_MAX */
	int filter_sets;                 /* filters as sets, not probed per trace (filters.h) */
};

/* Which filters query_trace_where writes. */
#define QUERY_TIME 1u         /* from, to on the trace start */
#define QUERY_DIMS 2u         /* service, name, model, type */
#define QUERY_TRACE_ONLY 4u   /* status, session, user, duration */
#define QUERY_ALL 7u
#define QUERY_ATTRS 8u        /* attribute, metadata, tag and score filters (the trace list, search, export) */

/* Appends the conditions of f selected by parts (project always) to sql as
 * " AND ..." on the traces table aliased t, with named parameters that
 * query_trace_bind fills. Returns the length written (snprintf-style). */
size_t query_trace_where(const struct trace_filter *f, unsigned parts, char *sql, size_t size);
/* Binds every filter parameter of f that st names. */
void query_trace_bind(sqlite3_stmt *st, const struct trace_filter *f);

/* {"items":[...], "next_cursor": "..."|null}, newest first (oldest first
 * when f->ascending). With attribute filters, the list is first walked
 * testing each trace for QUERY_PROBE_BUDGET x QUERY_PROBE_STEP SQLite
 * instructions (some thousands of traces), then, if the page is not full
 * by then, built from the set of traces passing the filters (filters.h).
 * Returns ERR_OK or ERR_STORE. */
#define QUERY_PROBE_STEP 1000
#define QUERY_PROBE_BUDGET 300
/* The budget in calls of the progress handler, every *step instructions:
 * QUERY_PROBE_BUDGET of QUERY_PROBE_STEP, or for tests
 * TRACELITE_FILTER_PROBE_BUDGET from the environment of steps of 10 (0:
 * the set path at once). */
int query_probe_budget(int *step);
/* The progress handler of that budget: left points at an int of calls
 * left; returns non-zero (interrupt) once it goes below 0. */
int query_over_budget(void *left);
enum err query_traces(sqlite3 *db, const struct trace_filter *f, cJSON **out);
/* An OTLP AnyValue as the JSON value it holds (strings, numbers exact,
 * arrays, kvlists as objects, bytes as base64; NULL or too deep: null). */
cJSON *query_any_json(const Tl__AnyValue *v);
/* OTLP attributes as a JSON object, values as query_any_json writes them. */
cJSON *query_attrs_json(Tl__KeyValue *const *kv, size_t n);
/* Prepares the traces passing f's filters (and extra: "" or " AND ..."
 * conditions on t), in list order (start time then trace id, newest first
 * unless f->ascending), after f's cursor, without a limit: the caller
 * steps as far as it needs. Columns as query_trace_item reads them; column
 * 16 is t.key. Returns ERR_OK or ERR_STORE; the caller finalizes *st. */
enum err query_trace_list_prepare(sqlite3 *db, const struct trace_filter *f, const char *extra, sqlite3_stmt **st);
/* The list cursor ("<start_ns>.<trace id hex>") of such a statement's row. */
#define QUERY_CURSOR_SIZE 64
void query_trace_cursor(sqlite3_stmt *st, char out[QUERY_CURSOR_SIZE]);
/* Parses such a cursor into f (has_cursor, cursor_start, cursor_trace).
 * Returns ERR_OK or ERR_BAD_INPUT. */
enum err query_trace_cursor_parse(const char *text, struct trace_filter *f);
struct preview_reader;   /* store/preview.h */
/* The trace-list item of the current row of such a statement, its
 * previews read with pv (store/preview.h: preview_reader_open); NULL if
 * they cannot be read (a corrupt trace_previews row, logged). */
cJSON *query_trace_item(sqlite3_stmt *st, struct preview_reader *pv);
/* The most spans one trace answer holds: a 300k-span trace would otherwise
 * build a 266 MB answer. Larger traces are read in pages. */
#define QUERY_TRACE_MAX_SPANS 10000

/* A page of a trace's spans: limit (1..QUERY_TRACE_MAX_SPANS) spans from
 * offset, in the answer's order. */
struct span_page {
	long long offset;
	int limit;
};

/* Where a streamed answer goes: begin(ctx) once, before the first byte;
 * then write(ctx, p, n) with pieces of about QUERY_SINK_CHUNK bytes,
 * returning ERR_OK or an error (the client is gone) that stops the walk. */
struct query_sink {
	void (*begin)(void *ctx);
	int (*write)(void *ctx, const char *p, size_t n);
	void *ctx;
};
#define QUERY_SINK_CHUNK (64u << 10)

/* Writes {"trace":{...}, "spans":[...], "spans_total", "next_offset" (null
 * on the last page), "scores":[...]} to k, the bytes json_print gives for
 * that object, without ever holding it whole: the spans of page p in start
 * order, read QUERY_EACH_PAGE at a time, each printed and sent on, so
 * memory stays bounded by a page's chunks and QUERY_SINK_CHUNK. A span
 * whose stored record does not read back is listed with an "error" and
 * logged. Returns ERR_OK, ERR_NOT_FOUND if unknown, or ERR_STORE, with
 * *begun 0 when k->begin was not called (nothing sent: answer the error),
 * 1 when it was (the answer is cut short: the caller drops the
 * connection); or the sink's error. */
enum err query_trace_write(sqlite3 *db, const uint8_t trace_id[16], struct span_page p, const struct query_sink *k,
                           int *begun);
/* Page p of the trace's spans (ordered by resource, scope, start) as an
 * OTLP/JSON ExportTraceServiceRequest, exactly as received (malloc'd text,
 * caller frees); *next_offset is the next page's offset or -1 after the
 * last. Unreadable records are left out and logged. Returns ERR_OK,
 * ERR_NOT_FOUND if the page holds no readable span, or ERR_STORE. */
enum err query_trace_otlp(sqlite3 *db, const uint8_t trace_id[16], struct span_page p, char **json, size_t *len,
                          long long *next_offset);
/* The same text written to k as query_trace_write does (pieces of about
 * QUERY_SINK_CHUNK, pages of QUERY_EACH_PAGE spans read at a time), with
 * *next_offset set before k->begin; begin comes with the first readable
 * span. Returns as query_trace_otlp, with *begun as query_trace_write. */
enum err query_trace_otlp_write(sqlite3 *db, const uint8_t trace_id[16], struct span_page p,
                                const struct query_sink *k, long long *next_offset, int *begun);
/* Receives one span of the API's shape (the callee deletes it); a
 * non-zero return (an enum err) stops the walk and is returned. */
typedef int (*query_span_fn)(void *ctx, cJSON *span);
#define QUERY_EACH_PAGE 500
#define QUERY_EACH_CACHE (8u << 20)     /* bytes of v's arena before it is reset */
/* Calls fn for each span of the trace in start order through v (a
 * spanview_open'd view the caller keeps across traces), reading
 * QUERY_EACH_PAGE spans at a time and resetting v once it holds
 * QUERY_EACH_CACHE bytes, so any number and size of traces stream in
 * bounded memory. Returns ERR_OK, fn's error, or ERR_STORE. */
enum err query_trace_each_span(struct spanview *v, const uint8_t trace_id[16], query_span_fn fn, void *ctx);
/* One span (the most recent with that id). Returns ERR_OK, ERR_NOT_FOUND
 * if unknown, or ERR_STORE. */
enum err query_span(sqlite3 *db, const uint8_t span_id[8], cJSON **out);
/* Which scores query_scores lists when no trace is named: project (0: any)
 * and the time range [from_ns, to_ns) of the scores (0: open), or, when
 * session_id is set, the scores of that session (schema/013) at any time. */
struct score_range {
	int64_t project;
	uint64_t from_ns, to_ns;
	const char *session_id;
};
/* {"items":[scores]} of a trace in time order, or, when trace_id is NULL,
 * the scores of r->session_id in time order, or else the scores in r
 * (NULL: all), newest first; at most limit. Returns ERR_OK or ERR_STORE. */
enum err query_scores(sqlite3 *db, const uint8_t *trace_id, const struct score_range *r, int limit, cJSON **out);
/* {"items":[{id, name, created_at, trace_count}]}. Returns ERR_OK or
 * ERR_STORE. */
enum err query_projects(sqlite3 *db, cJSON **out);
/* Resolves a project UUID or name to its key. Returns ERR_OK,
 * ERR_NOT_FOUND if unknown, or ERR_STORE. */
enum err query_project_key(sqlite3 *db, const char *project, int64_t *key);
/* The OTLP parts of a stored span as JSON, in the one shape both the API's
 * span object (under the keys "attributes", "events", "links", "resource",
 * "scope") and replication's JSON columns of the same names carry. An
 * unreadable record gives {} or [] for its own parts. */
enum query_span_part {
	QUERY_PART_ATTRIBUTES,   /* {"key": value, ...} */
	QUERY_PART_EVENTS,       /* [{name, time, time_unix_nano, attributes, dropped_attributes_count}] */
	QUERY_PART_LINKS,        /* [{trace_id, span_id, trace_state, flags, attributes, dropped_attributes_count}] */
	QUERY_PART_RESOURCE,     /* {attributes, dropped_attributes_count, schema_url} */
	QUERY_PART_SCOPE,        /* {name, version, attributes, dropped_attributes_count, schema_url} */
};
/* Returns the part of s as a new cJSON tree (caller deletes). */
cJSON *query_span_part_json(const struct stored_span *s, enum query_span_part part);
/* Adds key: ns as ISO-8601 UTC with milliseconds (text_format_iso_ms), the
 * form every API answer gives times in. */
void query_add_iso(cJSON *o, const char *key, uint64_t ns);

#endif
