/* metrics.h: dashboard numbers from the rollup tables (schema/002_rollups.sql):
 * summary, time series, per-model and per-operation tables. A request
 * whose filters are all rollup dimensions (project, service, name, model,
 * type for span figures; project, service, status for trace figures) reads
 * rollups only (minutes older than the minute rows' horizon, rollup.h, from
 * the raw tables); any other filter (session, user, duration, and the trace
 * filters the trace rollups lack) is answered from the traces and spans
 * tables with the same definitions, so both paths give the same numbers.
 * Span, token and cost figures with no filter but the project, no
 * grouping and no latency read the hour and day rows of span_totals
 * (schema/018: the span rollups summed per bucket and project).
 * Ranges are whole buckets: from is rounded down and to up to the minute
 * (to the bucket for time series). Span figures count spans by their own
 * start; trace figures count traces by the trace's start. */
#ifndef TL_METRICS_H
#define TL_METRICS_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include "query/query.h"
#include "base/err.h"

enum metric {
	METRIC_TRACES, METRIC_SPANS, METRIC_ERRORS, METRIC_LATENCY_P50, METRIC_LATENCY_P95, METRIC_LATENCY_P99,
	METRIC_INPUT_TOKENS, METRIC_OUTPUT_TOKENS, METRIC_COST, METRIC_COUNT
};

enum group_by { GROUP_NONE, GROUP_SERVICE, GROUP_MODEL, GROUP_NAME, GROUP_TYPE, GROUP_COUNT };

#define METRICS_MAX_BUCKETS 1500
#define METRICS_MAX_SERIES 10   /* groups shown by name; the rest are "other" */

/* Name <-> enum for the query parameters; -1 when unknown. */
int metrics_metric_from_name(const char *name);
int metrics_group_from_name(const char *name);
/* Bucket width in seconds for "1m", "1h", "1d"; "auto" picks the smallest
 * giving at most 360 buckets over [from_ns, to_ns). -1 when unknown. */
long metrics_bucket_from_name(const char *name, uint64_t from_ns, uint64_t to_ns);
/* Rounds f's range to whole buckets of width seconds: from down, to up;
 * a missing to is now, a missing from is 24 hours before to. */
void metrics_align(struct trace_filter *f, long width);

/* The functions below take f already aligned and return ERR_OK with *out,
 * or ERR_STORE. */
/* {"from","to","current":{...},"previous":{...},"previous_from","previous_to"} */
enum err metrics_summary(sqlite3 *db, const struct trace_filter *f, cJSON **out);
/* {"metric","bucket","bucket_ms","from","to","timestamps":[...],"series":[{"key","values"}]};
 * ERR_BAD_INPUT when the metric cannot be grouped that way (traces by model,
 * name or type). width is 60, 3600 or 86400. */
enum err metrics_timeseries(sqlite3 *db, const struct trace_filter *f, enum metric m, long width, enum group_by g,
                            cJSON **out);
/* {"items":[per model and provider]}, most calls first. */
enum err metrics_models(sqlite3 *db, const struct trace_filter *f, cJSON **out);
/* {"items":[per span name and type]}: slowest p95 first, or with
 * by_errors most errors first; at most limit items. */
enum err metrics_operations(sqlite3 *db, const struct trace_filter *f, int by_errors, int limit, cJSON **out);

#endif
