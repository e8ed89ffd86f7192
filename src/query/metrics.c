/* metrics.c: the dashboard aggregates; see metrics.h. Every figure is
 * computed by one engine: a SELECT that yields normalized rows (bucket,
 * key1, key2, count, errors, duration sum, tokens, cost, sketch or a single
 * duration; trace rows carry no tokens or cost) either from the rollup
 * tables - splitting the range into minute, hour and day segments, minutes
 * older than the rollups' minute horizon read from the raw tables - or from
 * the raw tables, ordered so that consumers can merge consecutive rows with
 * a few live sketches. */
#include "query/metrics.h"
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/text.h"
#include "store/rollup.h"
#include "base/sketch.h"
#include "ingest/span.h"

enum source { SRC_SPANS, SRC_TRACES };

/* One engine query. */
struct rows {
	enum source src;
	const struct trace_filter *f;
	long width;            /* output bucket seconds; 0 = one bucket */
	int level;             /* rollup level of a time series; -1 = split the range */
	enum group_by group;
	int operations;        /* group by name and type (GROUP_NAME) */
	int require_model;
	int no_sketch;         /* latencies not needed: skip reading sketches */
	int no_latency;        /* no sketches read either, but rows are not summed in SQL (exact sums as with sketches) */
	int llm_latency;       /* span sources, GROUP_NONE: key1 = 1 on rows of LLM spans, 0 on the others; sketches
	                        * (raw durations) on the LLM rows only: a summary's spans and LLM calls in one read */
	int ids;               /* span sources: keys as strings.id (not text), rows in bucket order only
	                        * (any order without width), not summed in SQL: for consumers that sum by
	                        * key themselves (series, and the groups they are picked from) */
};

/* Normalized columns. */
enum { C_BUCKET, C_KEY1, C_KEY2, C_COUNT, C_ERRORS, C_DUR_SUM, C_IN, C_OUT, C_CACHE_R, C_CACHE_W, C_COST,
       C_SKETCH, C_DUR };

/* What a group adds up; with its latency sketch, an agg. */
struct totals {
	int64_t count, errors, dur_sum, input_tokens, output_tokens, cache_read, cache_write;
	double cost;
	double cost_abs;   /* the sum of the costs' magnitudes (totals_cost) */
};

struct agg {
	struct totals t;
	struct sketch sk;
};

static const char *const metric_names[METRIC_COUNT] = {
	"traces", "spans", "errors", "latency_p50", "latency_p95", "latency_p99", "input_tokens", "output_tokens",
	"cost"};
static const char *const group_names[GROUP_COUNT] = {"none", "service", "model", "name", "type"};

static int lookup_name(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int metrics_metric_from_name(const char *name)
{
	return lookup_name(metric_names, METRIC_COUNT, name);
}

int metrics_group_from_name(const char *name)
{
	return lookup_name(group_names, GROUP_COUNT, name);
}

long metrics_bucket_from_name(const char *name, uint64_t from_ns, uint64_t to_ns)
{
	static const char *const names[] = {"1m", "1h", "1d"};
	int i = lookup_name(names, 3, name);
	if (i >= 0)
		return (long)rollup_level_seconds(i);
	if (strcmp(name, "auto"))
		return -1;
	uint64_t span_s = (to_ns - from_ns) / 1000000000u;
	for (i = 0; i < 2; i++)
		if (span_s <= 360u * (uint64_t)rollup_level_seconds(i))
			return (long)rollup_level_seconds(i);
	return (long)rollup_level_seconds(2);
}

void metrics_align(struct trace_filter *f, long width)
{
	assert(width > 0);
	uint64_t w = (uint64_t)width * 1000000000u;
	if (!f->to_ns)
		f->to_ns = text_now_ns();
	if (!f->from_ns)
		f->from_ns = f->to_ns > 86400000000000u ? f->to_ns - 86400000000000u : 0;
	f->from_ns = f->from_ns / w * w;
	f->to_ns = (f->to_ns + w - 1) / w * w;
	if (f->to_ns == f->from_ns)
		f->to_ns += w;
}

/* Whether the rollups can answer src under f's filters. */
static int rollup_can(enum source src, const struct trace_filter *f)
{
	if (f->session_id || f->user_id || f->min_ms >= 0 || f->max_ms >= 0)
		return 0;
	if (src == SRC_SPANS)
		return !f->status;
	return !f->name && !f->model && f->type < 0;
}

#define APPEND(...) (n += (size_t)snprintf(sql + n, n < size ? size - n : 0, __VA_ARGS__))
/* a trace's service text (traces.service_sid, schema/030) */
#define TRACE_SERVICE "(SELECT value FROM strings WHERE id = t.service_sid)"

/* Key columns of a span-shaped source aliased x (span_rollups or spans). */
static size_t span_keys(const struct rows *q, char *sql, size_t size)
{
	size_t n = 0;
	const char *str = "(SELECT value FROM strings WHERE id = x.%s)";
	if (q->ids) {
		/* ids: a plain scan, the text looked up once per id (struct names) */
		switch (q->group) {
		case GROUP_SERVICE: APPEND("x.service, 0"); break;
		case GROUP_MODEL: APPEND("coalesce(x.model, 0), coalesce(x.provider, 0)"); break;
		case GROUP_NAME: APPEND(q->operations ? "x.name, x.type" : "x.name, 0"); break;
		case GROUP_TYPE: APPEND("x.type, 0"); break;
		default: APPEND("0, 0");
		}
		return n;
	}
	if (q->group == GROUP_NONE && q->llm_latency) {
		APPEND("x.type = %d, ''", SPAN_TYPE_LLM);
		return n;
	}
	switch (q->group) {
	case GROUP_SERVICE:
		APPEND(str, "service");
		APPEND(", ''");
		break;
	case GROUP_MODEL:
		APPEND("coalesce((SELECT value FROM strings WHERE id = x.model), ''),"
		       " coalesce((SELECT value FROM strings WHERE id = x.provider), '')");
		break;
	case GROUP_NAME:
		APPEND(str, "name");
		APPEND(q->operations ? ", x.type" : ", ''");
		break;
	case GROUP_TYPE:
		APPEND("x.type, ''");
		break;
	default:
		APPEND("'', ''");
	}
	return n;
}

/* Span dimension filters on alias x. */
static size_t span_dims(const struct rows *q, char *sql, size_t size)
{
	const struct trace_filter *f = q->f;
	size_t n = 0;
	if (f->project)
		APPEND(" AND x.project = :project");
	if (f->service)
		APPEND(" AND x.service = (SELECT id FROM strings WHERE value = :service)");
	if (f->name)
		APPEND(" AND x.name = (SELECT id FROM strings WHERE value = :name)");
	if (f->model)
		APPEND(" AND x.model = (SELECT id FROM strings WHERE value = :model)");
	if (f->type >= 0)
		APPEND(" AND x.type = :type");
	if (q->require_model)
		APPEND(" AND x.model != 0");
	return n;
}

/* The bucket column: start seconds (expression secs) cut to q->width. */
static size_t bucket_col(const struct rows *q, const char *secs, char *sql, size_t size)
{
	size_t n = 0;
	if (q->width)
		APPEND("%s / %ld * %ld", secs, q->width, q->width);
	else
		APPEND("0");
	return n;
}

/* Splits [from, to) (seconds, minute-aligned) into level segments: minutes
 * up to the first whole hour, hours up to the first whole day, days, then
 * hours and minutes. Returns the count; seg[i] = {level, lo, hi}. */
static int split_range(int64_t from, int64_t to, int64_t seg[5][3])
{
	int n = 0;
	int64_t h1 = (from + 3599) / 3600 * 3600, h2 = to / 3600 * 3600;
	if (h1 >= h2) {
		seg[n][0] = 0, seg[n][1] = from, seg[n][2] = to, n++;
		return n;
	}
	int64_t d1 = (h1 + 86399) / 86400 * 86400, d2 = h2 / 86400 * 86400;
	int64_t parts[5][3] = {{0, from, h1}, {1, h1, d1 < d2 ? d1 : h2}, {2, d1, d2}, {1, d2, h2}, {0, h2, to}};
	for (int i = 0; i < 5; i++) {
		if (i == 2 && d1 >= d2)
			continue;
		if (i == 3 && d1 >= d2)
			continue;
		if (parts[i][1] < parts[i][2])
			memcpy(seg[n++], parts[i], sizeof parts[i]);
	}
	return n;
}

/* Whether span_totals (schema/018: the hour and day rows of span_rollups
 * summed per bucket and project) answers q's rollup rows at level: spans
 * not grouped, filtered by project at most, no latency. It reads one
 * narrow row per bucket instead of every wide row with its sketch: a span
 * count series over 8 days 5x faster (docs/performance.md). */
static int totals_can(const struct rows *q, int level)
{
	const struct trace_filter *f = q->f;
	return level > 0 && q->src == SRC_SPANS && q->group == GROUP_NONE && !q->llm_latency &&
	       (q->no_sketch || q->no_latency) && !q->require_model && !f->service && !f->name && !f->model && f->type < 0;
}

static size_t rollup_select(const struct rows *q, int level, int64_t lo, int64_t hi, char *sql, size_t size)
{
	size_t n = 0;
	APPEND("SELECT ");
	if (q->width && q->width == (long)rollup_level_seconds(level))
		APPEND("x.bucket");   /* the same value, and rows come in its order from the key */
	else
		n += bucket_col(q, "x.bucket", sql + n, n < size ? size - n : 0);
	APPEND(", ");
	if (q->src == SRC_SPANS) {
		n += span_keys(q, sql + n, n < size ? size - n : 0);
		APPEND(", x.count, x.errors, x.duration_sum, x.input_tokens, x.output_tokens, x.cache_read_tokens,"
		       " x.cache_write_tokens, x.cost_usd, ");
		if (q->llm_latency)
			APPEND("CASE WHEN x.type = %d THEN x.sketch END, NULL", SPAN_TYPE_LLM);
		else
			APPEND(q->no_sketch || q->no_latency ? "NULL, NULL" : "x.sketch, 0");
		APPEND(totals_can(q, level) ? " FROM span_totals x" : " FROM span_rollups x");
	} else {
		APPEND("%s, '', x.count, CASE WHEN x.error THEN x.count ELSE 0 END, x.duration_sum, 0, 0, 0, 0, 0, %s"
		       " FROM trace_rollups x",
		       q->group == GROUP_SERVICE ? "(SELECT value FROM strings WHERE id = x.service)" : "''",
		       q->no_sketch || q->no_latency ? "NULL, NULL" : "x.sketch, 0");
	}
	APPEND(" WHERE x.level = %d AND x.bucket >= %lld AND x.bucket < %lld", level, (long long)lo, (long long)hi);
	if (q->src == SRC_SPANS) {
		n += span_dims(q, sql + n, n < size ? size - n : 0);
	} else {
		if (q->f->project)
			APPEND(" AND x.project = :project");
		if (q->f->service)
			APPEND(" AND x.service = (SELECT id FROM strings WHERE value = :service)");
		if (q->f->status)
			APPEND(" AND x.error = %d", strcmp(q->f->status, "error") == 0);
	}
	return n;
}

/* The duration column of a raw span row (alias x): what its sketch adds. */
static size_t raw_duration(const struct rows *q, char *sql, size_t size)
{
	size_t n = 0;
	if (q->llm_latency)
		APPEND("CASE WHEN x.type = %d THEN max(x.end_ns - x.start_ns, 0) END", SPAN_TYPE_LLM);
	else
		APPEND("max(x.end_ns - x.start_ns, 0)");
	return n;
}

/* The columns of one span as a raw row (alias x): bucket, rollup key,
 * count 1, error, duration, tokens, cost, no sketch, the latency measured;
 * neg: the row takes the span out (count -1, every sum negated). */
static size_t span_row_cols(const struct rows *q, int neg, char *sql, size_t size)
{
	size_t n = 0;
	const char *m = neg ? "-" : "";
	n += bucket_col(q, "(x.start_ns / 1000000000)", sql + n, n < size ? size - n : 0);
	APPEND(", ");
	n += span_keys(q, sql + n, n < size ? size - n : 0);
	APPEND(", %s1, %s(x.status = 2), %smax(x.end_ns - x.start_ns, 0), %sx.input_tokens, %sx.output_tokens,"
	       " %sx.cache_read_tokens, %sx.cache_write_tokens, %scoalesce(x.cost_usd, 0), NULL, ",
	       m, m, m, m, m, m, m, m);
	n += raw_duration(q, sql + n, n < size ? size - n : 0);
	return n;
}

static size_t raw_select(const struct rows *q, char *sql, size_t size)
{
	size_t n = 0;
	const struct trace_filter *f = q->f;
	APPEND("SELECT ");
	if (q->src == SRC_SPANS) {
		n += span_row_cols(q, 0, sql + n, n < size ? size - n : 0);
		APPEND(" FROM spans x JOIN traces t ON t.key = x.trace"
		       " WHERE x.start_ns >= %llu AND x.start_ns < %llu",
		       (unsigned long long)f->from_ns, (unsigned long long)f->to_ns);
		n += span_dims(q, sql + n, n < size ? size - n : 0);
		n += query_trace_where(f, QUERY_TRACE_ONLY, sql + n, n < size ? size - n : 0);
	} else {
		n += bucket_col(q, "(t.start_ns / 1000000000)", sql + n, n < size ? size - n : 0);
		APPEND(", %s, '', 1, t.error_count > 0, max(t.end_ns - t.start_ns, 0), 0, 0, 0, 0, 0, NULL,"
		       " max(t.end_ns - t.start_ns, 0) FROM traces t"
		       " WHERE t.span_count > 0",
		       q->group == GROUP_SERVICE ? TRACE_SERVICE : "''");
		n += query_trace_where(f, QUERY_TIME | QUERY_DIMS | QUERY_TRACE_ONLY, sql + n, n < size ? size - n : 0);
	}
	return n;
}

/* Spans starting in [lo_ns, hi_ns), found through their traces
 * (schema/016_rollup_horizon.sql): FROM and WHERE on alias x. A trace not
 * in long_traces has every span starting within [its start, its end], so
 * of those starting in the ROLLUP_LONG_TRACE_NS before lo_ns only the ones
 * ending at lo_ns or later are read: most ended long before, and reading a
 * trace's spans decodes its chunk's rows, while its end is on its row. */
static size_t raw_spans_from(long long lo_ns, long long hi_ns, char *sql, size_t size)
{
	size_t n = 0;
	APPEND(" FROM (SELECT key FROM traces WHERE start_ns >= %lld AND start_ns < %lld"
	       " UNION SELECT key FROM traces WHERE start_ns >= %lld AND start_ns < %lld AND end_ns >= %lld"
	       " UNION SELECT key FROM long_traces) c JOIN spans x ON x.trace = c.key"
	       " WHERE x.start_ns >= %lld AND x.start_ns < %lld",
	       lo_ns, hi_ns, lo_ns - ROLLUP_LONG_TRACE_NS, lo_ns, lo_ns, lo_ns, hi_ns);
	return n;
}

/* The rows of [lo, hi) (seconds) from the raw tables, for a range whose
 * rollups can answer it but whose minute rows are past the horizon: the
 * same definitions as rollup_add_span / rollup_add_trace. One row per span
 * or trace, as raw_select; where the keys are text looked up per row
 * (group by service, model, name), summed in SQL by bucket and rollup key
 * first (tl_sketch: the durations' sketch, as a rollup row holds it), so
 * each text is looked up once per group: 1.5-2x faster there, and slower
 * than one row per span where nothing is looked up (the GROUP BY sorts).
 * neg: rows that take those spans or traces out (negative counts and sums;
 * agg_add_row subtracts their latencies). */
static size_t raw_segment(const struct rows *q, int64_t lo, int64_t hi, int neg, char *sql, size_t size)
{
	size_t n = 0;
	long long lo_ns = (long long)lo * 1000000000, hi_ns = (long long)hi * 1000000000;
	int sketch = !q->no_sketch && !q->no_latency;
	int grouped = !q->ids && (q->group == GROUP_SERVICE || q->group == GROUP_MODEL || q->group == GROUP_NAME);
	const char *m = neg ? "-" : "";
	if (q->src == SRC_SPANS && !grouped) {
		APPEND("SELECT ");
		n += span_row_cols(q, neg, sql + n, n < size ? size - n : 0);
		n += raw_spans_from(lo_ns, hi_ns, sql + n, n < size ? size - n : 0);
		n += span_dims(q, sql + n, n < size ? size - n : 0);
	} else if (q->src == SRC_SPANS) {
		APPEND("SELECT x.bucket, ");
		n += span_keys(q, sql + n, n < size ? size - n : 0);
		APPEND(", %sx.count, %sx.errors, %sx.duration_sum, %sx.input_tokens, %sx.output_tokens, %sx.cache_read_tokens,"
		       " %sx.cache_write_tokens, %sx.cost_usd, %s FROM (SELECT ", m, m, m, m, m, m, m, m,
		       sketch ? "x.sketch, 0" : "NULL, NULL");
		n += bucket_col(q, "(x.start_ns / 1000000000)", sql + n, n < size ? size - n : 0);
		APPEND(" AS bucket, x.service AS service, x.name AS name, x.type AS type, coalesce(x.model, 0) AS model,"
		       " coalesce(x.provider, 0) AS provider, count(*) AS count, sum(x.status = 2) AS errors,"
		       " sum(max(x.end_ns - x.start_ns, 0)) AS duration_sum, sum(x.input_tokens) AS input_tokens,"
		       " sum(x.output_tokens) AS output_tokens, sum(x.cache_read_tokens) AS cache_read_tokens,"
		       " sum(x.cache_write_tokens) AS cache_write_tokens, total(x.cost_usd) AS cost_usd, %s AS sketch",
		       sketch ? "tl_sketch(max(x.end_ns - x.start_ns, 0))" : "NULL");
		n += raw_spans_from(lo_ns, hi_ns, sql + n, n < size ? size - n : 0);
		n += span_dims(q, sql + n, n < size ? size - n : 0);
		APPEND(" GROUP BY 1, 2, 3, 4, 5, 6) x");
	} else {
		/* traces: keyed by their service's text, looked up per row (TRACE_SERVICE) */
		APPEND("SELECT ");
		n += bucket_col(q, "(t.start_ns / 1000000000)", sql + n, n < size ? size - n : 0);
		APPEND(", %s, '', %s1, %s(t.error_count > 0), %smax(t.end_ns - t.start_ns, 0), 0, 0, 0, 0, 0, NULL,"
		       " max(t.end_ns - t.start_ns, 0) FROM traces t"
		       " WHERE t.span_count > 0 AND t.start_ns >= %lld AND t.start_ns < %lld",
		       q->group == GROUP_SERVICE ? TRACE_SERVICE : "''", m, m, m, lo_ns, hi_ns);
		n += query_trace_where(q->f, QUERY_DIMS | QUERY_TRACE_ONLY, sql + n, n < size ? size - n : 0);
	}
	return n;
}

/* The rows of [lo, hi) (seconds, within one hour) past the minute
 * rollups' horizon. From the raw tables; but when that is more than half
 * the hour and q's rows all go to one bucket, as the hour's rollup rows
 * less the raw rows of the rest of the hour, so at most half an hour is
 * read from the spans (each trace read decodes its chunk's span rows). */
static size_t past_minutes(const struct rows *q, int64_t lo, int64_t hi, char *sql, size_t size)
{
	size_t n = 0;
	int64_t h = lo / 3600 * 3600;
	/* (split_range's minute segments lie within one hour; a range that does
	 * not is read raw rather than answered wrongly) */
	if (q->width || q->ids || hi - lo <= 1800 || hi > h + 3600)
		return raw_segment(q, lo, hi, 0, sql, size);
	n += rollup_select(q, 1, h, h + 3600, sql + n, n < size ? size - n : 0);
	if (lo > h) {
		APPEND(" UNION ALL ");
		n += raw_segment(q, h, lo, 1, sql + n, n < size ? size - n : 0);
	}
	if (hi < h + 3600) {
		APPEND(" UNION ALL ");
		n += raw_segment(q, hi, h + 3600, 1, sql + n, n < size ? size - n : 0);
	}
	return n;
}

typedef int (*row_fn)(void *ctx, sqlite3_stmt *row);

/* Runs q, calling fn for each row in (bucket, key1, key2) order. Without
 * sketches, rows with equal keys are summed in SQL first, so a time series
 * by model reads one row per bucket and model, not per operation. */
static int run_rows(sqlite3 *db, const struct rows *q, row_fn fn, void *ctx)
{
	char sql[8192];
	size_t n = 0, size = sizeof sql;
	int sum = q->no_sketch && !q->ids;
	assert(!q->ids || (q->src == SRC_SPANS && (q->level >= 0 || !q->width)));
	if (sum)
		APPEND("WITH r(b, k1, k2, n, e, ds, i, o, cr, cw, c, sk, d) AS (");
	if (rollup_can(q->src, q->f)) {
		int64_t seg[5][3];
		int64_t from = (int64_t)(q->f->from_ns / 1000000000u), to = (int64_t)(q->f->to_ns / 1000000000u);
		int64_t floor = rollup_minute_floor((int64_t)(text_now_ns() / 1000000000u));
		int nseg = q->level >= 0 ? 1 : split_range(from, to, seg), parts = 0;
		if (q->level >= 0)
			seg[0][0] = q->level, seg[0][1] = from, seg[0][2] = to;
		for (int i = 0; i < nseg; i++) {
			int64_t lo = seg[i][1], hi = seg[i][2];
			if (seg[i][0] == 0 && lo < floor) {   /* minutes past the horizon */
				int64_t cut = hi < floor ? hi : floor;
				APPEND("%s", parts++ ? " UNION ALL " : "");
				n += past_minutes(q, lo, cut, sql + n, n < size ? size - n : 0);
				lo = cut;
			}
			if (lo < hi) {
				APPEND("%s", parts++ ? " UNION ALL " : "");
				n += rollup_select(q, (int)seg[i][0], lo, hi, sql + n, n < size ? size - n : 0);
			}
		}
	} else {
		n += raw_select(q, sql + n, size - n);
	}
	if (sum)
		APPEND(") SELECT b, k1, k2, sum(n), sum(e), sum(ds), sum(i), sum(o), sum(cr), sum(cw), total(c), NULL, NULL"
		       " FROM r GROUP BY 1, 2, 3");
	/* keys that are constant need no order: a summary's rows were sorted
	 * (sketches included) into a temporary b-tree for nothing */
	if (q->group == GROUP_NONE)
		APPEND(q->width ? " ORDER BY 1" : "");
	else
		APPEND(q->ids ? (q->width ? " ORDER BY 1" : "") : " ORDER BY 1, 2, 3");
	if (n >= size)
		return ERR_STORE;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	query_trace_bind(st, q->f);
	int rc, out = ERR_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !out)
		out = fn(ctx, st);
	if (!out && rc != SQLITE_DONE)
		out = ERR_STORE;
	sqlite3_finalize(st);
	return out;
}

#undef APPEND

static void totals_add_row(struct totals *t, sqlite3_stmt *r)
{
	t->count += sqlite3_column_int64(r, C_COUNT);
	t->errors += sqlite3_column_int64(r, C_ERRORS);
	t->dur_sum += sqlite3_column_int64(r, C_DUR_SUM);
	t->input_tokens += sqlite3_column_int64(r, C_IN);
	t->output_tokens += sqlite3_column_int64(r, C_OUT);
	t->cache_read += sqlite3_column_int64(r, C_CACHE_R);
	t->cache_write += sqlite3_column_int64(r, C_CACHE_W);
	double cost = sqlite3_column_double(r, C_COST);
	t->cost += cost;
	t->cost_abs += fabs(cost);
}

/* t's cost: 0 when what is left is within the rounding of the doubles it
 * was summed from (rows taken out again, past_minutes), as for a rollup
 * row (rollup.c, COST_SUM). */
static double totals_cost(const struct totals *t)
{
	return fabs(t->cost) <= 1e-12 * t->cost_abs ? 0 : t->cost;
}

static void agg_add_totals(struct agg *a, sqlite3_stmt *r)
{
	totals_add_row(&a->t, r);
}

/* Adds row r to a; a row with a negative count takes its latencies out
 * (raw_segment's neg). */
static int agg_add_row(struct agg *a, sqlite3_stmt *r)
{
	int neg = sqlite3_column_int64(r, C_COUNT) < 0;
	agg_add_totals(a, r);
	if (sqlite3_column_type(r, C_SKETCH) == SQLITE_NULL) {
		if (sqlite3_column_type(r, C_DUR) != SQLITE_NULL)   /* a raw row */
			sketch_add(&a->sk, (double)sqlite3_column_int64(r, C_DUR), neg ? -1 : 1);
		return ERR_OK;
	}
	const void *blob = sqlite3_column_blob(r, C_SKETCH);
	size_t len = (size_t)sqlite3_column_bytes(r, C_SKETCH);
	if (!neg)
		return sketch_decode_add(&a->sk, blob, len) ? ERR_STORE : ERR_OK;
	struct sketch *out = calloc(1, sizeof *out);   /* sketch_clear reads lo and hi */
	if (!out)
		return ERR_STORE;
	sketch_clear(out);
	int rc = sketch_decode_add(out, blob, len) ? ERR_STORE : ERR_OK;
	if (!rc)
		sketch_subtract(&a->sk, out);
	free(out);
	return rc;
}

static struct agg *agg_new(void)
{
	struct agg *a = calloc(1, sizeof *a);
	if (!a)
		abort();
	sketch_clear(&a->sk);
	return a;
}

static void agg_reset(struct agg *a)
{
	memset(&a->t, 0, sizeof a->t);
	sketch_clear(&a->sk);
}

static int add_all(void *ctx, sqlite3_stmt *r)
{
	return agg_add_row(ctx, r);
}

/* Spans and LLM calls from one read (struct rows llm_latency). */
struct split {
	struct agg *spans, *llm;
};

static int add_split(void *ctx, sqlite3_stmt *r)
{
	struct split *s = ctx;
	agg_add_totals(s->spans, r);
	return sqlite3_column_int(r, C_KEY1) ? agg_add_row(s->llm, r) : ERR_OK;
}

static cJSON *percentiles(const struct agg *a)
{
	if (a->t.count <= 0)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "p50", sketch_quantile(&a->sk, 0.50) / 1e6);
	cJSON_AddNumberToObject(o, "p95", sketch_quantile(&a->sk, 0.95) / 1e6);
	cJSON_AddNumberToObject(o, "p99", sketch_quantile(&a->sk, 0.99) / 1e6);
	return o;
}

static double ratio(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0;
}

/* The summary of f's range; a = traces, b = spans, c = LLM spans (scratch). */
static int summary_period(sqlite3 *db, const struct trace_filter *f, struct agg *tr, struct agg *sp,
                          struct agg *llm, cJSON **out)
{
	struct rows q = {.src = SRC_TRACES, .f = f, .level = -1};
	agg_reset(tr);
	agg_reset(sp);
	agg_reset(llm);
	int rc = run_rows(db, &q, add_all, tr);
	/* one read for both: the spans' latency is not shown, the LLM calls' is */
	struct split split = {sp, llm};
	q.src = SRC_SPANS;
	q.llm_latency = 1;
	if (!rc)
		rc = run_rows(db, &q, add_split, &split);
	if (rc)
		return rc;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "traces", (double)tr->t.count);
	cJSON_AddNumberToObject(o, "spans", (double)sp->t.count);
	cJSON_AddNumberToObject(o, "errors", (double)tr->t.errors);
	cJSON_AddNumberToObject(o, "error_rate", ratio(tr->t.errors, tr->t.count));
	cJSON_AddNumberToObject(o, "error_spans", (double)sp->t.errors);
	cJSON_AddNumberToObject(o, "llm_calls", (double)llm->t.count);
	cJSON_AddItemToObject(o, "trace_latency_ms", percentiles(tr));
	cJSON_AddItemToObject(o, "llm_latency_ms", percentiles(llm));
	cJSON_AddNumberToObject(o, "input_tokens", (double)sp->t.input_tokens);
	cJSON_AddNumberToObject(o, "output_tokens", (double)sp->t.output_tokens);
	cJSON_AddNumberToObject(o, "cache_read_tokens", (double)sp->t.cache_read);
	cJSON_AddNumberToObject(o, "cache_write_tokens", (double)sp->t.cache_write);
	cJSON_AddNumberToObject(o, "cost_usd", totals_cost(&sp->t));
	*out = o;
	return ERR_OK;
}

enum err metrics_summary(sqlite3 *db, const struct trace_filter *f, cJSON **out)
{
	struct agg *a = agg_new(), *b = agg_new(), *c = agg_new();
	struct trace_filter prev = *f;
	uint64_t len = f->to_ns - f->from_ns;
	prev.to_ns = f->from_ns;
	prev.from_ns = f->from_ns > len ? f->from_ns - len : 0;
	cJSON *cur = NULL, *before = NULL;
	int rc = summary_period(db, f, a, b, c, &cur);
	if (!rc)
		rc = summary_period(db, &prev, a, b, c, &before);
	free(a);
	free(b);
	free(c);
	if (rc) {
		cJSON_Delete(cur);
		return rc;
	}
	cJSON *o = cJSON_CreateObject();
	query_add_iso(o, "from", f->from_ns);
	query_add_iso(o, "to", f->to_ns);
	cJSON_AddItemToObject(o, "current", cur);
	query_add_iso(o, "previous_from", prev.from_ns);
	query_add_iso(o, "previous_to", prev.to_ns);
	cJSON_AddItemToObject(o, "previous", before);
	*out = o;
	return ERR_OK;
}

/* A span type stored as a decimal group key; -1 (named "span") if it is not one. */
static int type_key(const char *key)
{
	int64_t v;
	return text_parse_i64(key, 0, SPAN_TYPE_COUNT - 1, &v) == ERR_OK ? (int)v : -1;
}

/* Groups: consecutive rows with equal keys merge into one agg; each
 * finished group becomes an item. */
struct item {
	char key1[256], key2[128];
	struct totals t;   /* the sketch is reduced to the percentiles below */
	double p50, p95, p99;
};

struct grouper {
	struct item *items;
	size_t n, cap;
	struct agg *cur;
	char key1[256], key2[128];
	int open;
};

static void grouper_close(struct grouper *g)
{
	if (!g->open)
		return;
	g->open = 0;
	if (!g->cur->t.count)   /* rows taken out again left nothing (past_minutes) */
		return;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 32;
		g->items = realloc(g->items, g->cap * sizeof *g->items);
		if (!g->items)
			abort();
	}
	struct item *it = &g->items[g->n++];
	memcpy(it->key1, g->key1, sizeof it->key1);
	memcpy(it->key2, g->key2, sizeof it->key2);
	it->t = g->cur->t;
	it->p50 = sketch_quantile(&g->cur->sk, 0.50) / 1e6;
	it->p95 = sketch_quantile(&g->cur->sk, 0.95) / 1e6;
	it->p99 = sketch_quantile(&g->cur->sk, 0.99) / 1e6;
}

static void copy_key(char *dst, size_t size, sqlite3_stmt *r, int col)
{
	const unsigned char *t = sqlite3_column_text(r, col);
	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static int group_row(void *ctx, sqlite3_stmt *r)
{
	struct grouper *g = ctx;
	char k1[256], k2[128];
	copy_key(k1, sizeof k1, r, C_KEY1);
	copy_key(k2, sizeof k2, r, C_KEY2);
	if (g->open && (strcmp(k1, g->key1) || strcmp(k2, g->key2)))
		grouper_close(g);
	if (!g->open) {
		agg_reset(g->cur);
		memcpy(g->key1, k1, sizeof k1);
		memcpy(g->key2, k2, sizeof k2);
		g->open = 1;
	}
	return agg_add_row(g->cur, r);
}

static int run_groups(sqlite3 *db, const struct rows *q, struct grouper *g)
{
	memset(g, 0, sizeof *g);
	g->cur = agg_new();
	int rc = run_rows(db, q, group_row, g);
	grouper_close(g);
	free(g->cur);
	return rc;
}

static cJSON *item_latency(const struct item *it)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "p50", it->p50);
	cJSON_AddNumberToObject(o, "p95", it->p95);
	cJSON_AddNumberToObject(o, "p99", it->p99);
	return o;
}

/* run_groups, then the groups in order (nothing to free on failure). */
static int sorted_groups(sqlite3 *db, const struct rows *q, int (*order)(const void *, const void *),
                         struct grouper *g)
{
	int rc = run_groups(db, q, g);
	if (rc) {
		free(g->items);
		g->items = NULL;
		return rc;
	}
	if (g->n)
		qsort(g->items, g->n, sizeof *g->items, order);
	return ERR_OK;
}

static int by_calls(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	if (a->t.count != b->t.count)
		return a->t.count < b->t.count ? 1 : -1;
	return strcmp(a->key1, b->key1);
}

enum err metrics_models(sqlite3 *db, const struct trace_filter *f, cJSON **out)
{
	struct rows q = {.src = SRC_SPANS, .f = f, .level = -1, .group = GROUP_MODEL, .require_model = 1};
	struct grouper g;
	int rc = sorted_groups(db, &q, by_calls, &g);
	if (rc)
		return rc;
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < g.n; i++) {
		const struct item *it = &g.items[i];
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "model", it->key1);
		if (*it->key2)
			cJSON_AddStringToObject(m, "provider", it->key2);
		else
			cJSON_AddNullToObject(m, "provider");
		cJSON_AddNumberToObject(m, "calls", (double)it->t.count);
		cJSON_AddNumberToObject(m, "errors", (double)it->t.errors);
		cJSON_AddNumberToObject(m, "error_rate", ratio(it->t.errors, it->t.count));
		cJSON_AddNumberToObject(m, "input_tokens", (double)it->t.input_tokens);
		cJSON_AddNumberToObject(m, "output_tokens", (double)it->t.output_tokens);
		cJSON_AddNumberToObject(m, "cache_read_tokens", (double)it->t.cache_read);
		cJSON_AddNumberToObject(m, "cache_write_tokens", (double)it->t.cache_write);
		cJSON_AddNumberToObject(m, "cost_usd", totals_cost(&it->t));
		cJSON_AddItemToObject(m, "latency_ms", item_latency(it));
		cJSON_AddItemToArray(items, m);
	}
	free(g.items);
	*out = o;
	return ERR_OK;
}

static int slowest_first(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	if (a->p95 != b->p95)
		return a->p95 < b->p95 ? 1 : -1;
	return by_calls(x, y);
}

static int failing_first(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	if (a->t.errors != b->t.errors)
		return a->t.errors < b->t.errors ? 1 : -1;
	double ra = ratio(a->t.errors, a->t.count), rb = ratio(b->t.errors, b->t.count);
	if (ra != rb)
		return ra < rb ? 1 : -1;
	return slowest_first(x, y);
}

enum err metrics_operations(sqlite3 *db, const struct trace_filter *f, int by_errors, int limit, cJSON **out)
{
	struct rows q = {.src = SRC_SPANS, .f = f, .level = -1, .group = GROUP_NAME, .operations = 1};
	struct grouper g;
	int rc = sorted_groups(db, &q, by_errors ? failing_first : slowest_first, &g);
	if (rc)
		return rc;
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < g.n && (int)i < limit; i++) {
		const struct item *it = &g.items[i];
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", it->key1);
		cJSON_AddStringToObject(m, "type", span_type_name(type_key(it->key2)));
		cJSON_AddNumberToObject(m, "count", (double)it->t.count);
		cJSON_AddNumberToObject(m, "errors", (double)it->t.errors);
		cJSON_AddNumberToObject(m, "error_rate", ratio(it->t.errors, it->t.count));
		cJSON_AddNumberToObject(m, "avg_ms", it->t.count ? (double)it->t.dur_sum / (double)it->t.count / 1e6 : 0);
		cJSON_AddItemToObject(m, "latency_ms", item_latency(it));
		cJSON_AddItemToArray(items, m);
	}
	cJSON_AddNumberToObject(o, "total", (double)g.n);
	free(g.items);
	*out = o;
	return ERR_OK;
}

/* Time series: per bucket, one agg per series (the named groups, then
 * "other"), turned into values when the bucket changes. */
struct series {
	enum metric metric;
	enum group_by group;
	int64_t from_s;
	long width;
	size_t nbuckets;
	int nnamed;                              /* named series */
	char names[METRICS_MAX_SERIES][256];
	int other_used;
	double *values[METRICS_MAX_SERIES + 1];  /* NAN = null */
	struct agg *acc[METRICS_MAX_SERIES + 1];
	int64_t bucket;                          /* bucket being accumulated, -1 = none */
	int ids;                                 /* rows carry strings.id keys (struct rows) */
	int64_t id[METRICS_MAX_SERIES][2];       /* with ids: the ids whose text is names[i] */
	int nid[METRICS_MAX_SERIES];
};

/* The value of an additive metric (counts, tokens, cost) for t. */
static double metric_total(enum metric m, const struct totals *t)
{
	switch (m) {
	case METRIC_ERRORS:
		return (double)t->errors;
	case METRIC_INPUT_TOKENS:
		return (double)t->input_tokens;
	case METRIC_OUTPUT_TOKENS:
		return (double)t->output_tokens;
	case METRIC_COST:
		return totals_cost(t);
	default:   /* traces, spans */
		return (double)t->count;
	}
}

static double metric_value(enum metric m, const struct agg *a)
{
	static const double q[] = {[METRIC_LATENCY_P50] = 0.50, [METRIC_LATENCY_P95] = 0.95,
	                           [METRIC_LATENCY_P99] = 0.99};
	if (m < METRIC_LATENCY_P50 || m > METRIC_LATENCY_P99)
		return metric_total(m, &a->t);
	return a->t.count ? sketch_quantile(&a->sk, q[m]) / 1e6 : NAN;
}

/* Display key of a row for the series' grouping. */
static void series_key(const struct series *s, sqlite3_stmt *r, char *key, size_t size)
{
	if (s->group == GROUP_NONE)
		snprintf(key, size, "all");
	else if (s->group == GROUP_TYPE)
		snprintf(key, size, "%s", span_type_name(sqlite3_column_int(r, C_KEY1)));
	else
		copy_key(key, size, r, C_KEY1);
}

static void series_flush(struct series *s)
{
	if (s->bucket < 0)
		return;
	size_t bi = (size_t)((s->bucket - s->from_s) / s->width);
	for (int i = 0; i <= s->nnamed; i++) {
		if (bi < s->nbuckets && s->acc[i]->t.count)
			s->values[i][bi] = metric_value(s->metric, s->acc[i]);
		agg_reset(s->acc[i]);
	}
	s->bucket = -1;
}

/* Whether a row whose key's id is id belongs to named series i (s->ids). */
static int series_has_id(const struct series *s, int i, int64_t id)
{
	for (int k = 0; k < s->nid[i]; k++)
		if (s->id[i][k] == id)
			return 1;
	return 0;
}

static int series_row(void *ctx, sqlite3_stmt *r)
{
	struct series *s = ctx;
	int64_t bucket = sqlite3_column_int64(r, C_BUCKET);
	if (bucket != s->bucket) {
		series_flush(s);
		s->bucket = bucket;
	}
	int i = 0;
	if (s->ids) {
		/* read once: sqlite3_column_int64 per series was a tenth of a
		 * 10-series answer's time */
		int64_t id = sqlite3_column_int64(r, C_KEY1);
		while (i < s->nnamed && !series_has_id(s, i, id))
			i++;
		if (i == s->nnamed)
			s->other_used = 1;
		return agg_add_row(s->acc[i], r);
	}
	char key[256];
	series_key(s, r, key, sizeof key);
	while (i < s->nnamed && strcmp(s->names[i], key))
		i++;
	if (i == s->nnamed)
		s->other_used = 1;
	return agg_add_row(s->acc[i], r);
}

/* A group of rows keyed by strings.id (struct rows ids), its texts looked
 * up once: open addressing over (k1, k2), index + 1, 0 = empty. */
struct id_groups {
	struct { int64_t k1, k2; struct totals t; } *g;
	size_t n, cap;
	uint32_t *slots;
	size_t nslots;
};

/* The slot of key (k1, k2): where it is, or the empty one it would take. */
static size_t id_slot(const struct id_groups *ig, int64_t k1, int64_t k2)
{
	size_t h = (size_t)((uint64_t)k1 * 0x9e3779b97f4a7c15ull ^ (uint64_t)k2) & (ig->nslots - 1);
	while (ig->slots[h] && (ig->g[ig->slots[h] - 1].k1 != k1 || ig->g[ig->slots[h] - 1].k2 != k2))
		h = (h + 1) & (ig->nslots - 1);
	return h;
}

static int id_group_row(void *ctx, sqlite3_stmt *r)
{
	struct id_groups *ig = ctx;
	int64_t k1 = sqlite3_column_int64(r, C_KEY1), k2 = sqlite3_column_int64(r, C_KEY2);
	if ((ig->n + 1) * 2 > ig->nslots) {   /* at most half full */
		free(ig->slots);
		ig->nslots = ig->nslots ? ig->nslots * 2 : 64;
		ig->slots = calloc(ig->nslots, sizeof *ig->slots);
		if (!ig->slots)
			abort();
		for (size_t i = 0; i < ig->n; i++)
			ig->slots[id_slot(ig, ig->g[i].k1, ig->g[i].k2)] = (uint32_t)i + 1;
	}
	size_t h = id_slot(ig, k1, k2);
	if (!ig->slots[h]) {
		if (ig->n == ig->cap) {
			ig->cap = ig->cap ? ig->cap * 2 : 32;
			ig->g = realloc(ig->g, ig->cap * sizeof *ig->g);
			if (!ig->g)
				abort();
		}
		memset(&ig->g[ig->n], 0, sizeof ig->g[ig->n]);
		ig->g[ig->n].k1 = k1;
		ig->g[ig->n].k2 = k2;
		ig->slots[h] = (uint32_t)++ig->n;
	}
	totals_add_row(&ig->g[ig->slots[h] - 1].t, r);
	return ERR_OK;
}

/* The text of strings.id id into dst ("" for 0 or an id not found, as the
 * text path's coalesce reads them). */
static int id_text(sqlite3_stmt *st, int64_t id, char *dst, size_t size)
{
	int rc = SQLITE_DONE;
	dst[0] = 0;
	if (id) {
		sqlite3_bind_int64(st, 1, id);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			copy_key(dst, size, st, 0);
		sqlite3_reset(st);
	}
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

static int by_keys(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = strcmp(a->key1, b->key1);
	return c ? c : strcmp(a->key2, b->key2);
}

/* run_groups for span groups keyed by text (service, model and provider,
 * name): the rows read with their strings.id keys and summed here, each
 * text looked up once per group, the groups in run_groups' order (by
 * text; texts cut to fit an item merged). SQL grouping by text looked two
 * strings up for every rollup row and sorted them: 3-5x the time. */
static int run_id_groups(sqlite3 *db, const struct rows *q, struct grouper *g)
{
	struct id_groups ig = {0};
	struct rows byid = *q;
	sqlite3_stmt *st = NULL;
	memset(g, 0, sizeof *g);
	byid.ids = 1;
	int rc = run_rows(db, &byid, id_group_row, &ig);
	if (!rc && sqlite3_prepare_v2(db, "SELECT value FROM strings WHERE id = ?1", -1, &st, NULL))
		rc = ERR_STORE;
	g->items = calloc(ig.n ? ig.n : 1, sizeof *g->items);
	if (!g->items)
		abort();
	for (size_t i = 0; i < ig.n && !rc; i++) {
		struct item *it = &g->items[g->n++];
		rc = id_text(st, ig.g[i].k1, it->key1, sizeof it->key1);
		if (!rc && q->group == GROUP_MODEL)   /* the other groups' second key is not text ("" as in span_keys) */
			rc = id_text(st, ig.g[i].k2, it->key2, sizeof it->key2);
		it->t = ig.g[i].t;
	}
	sqlite3_finalize(st);
	free(ig.g);
	free(ig.slots);
	if (g->n)
		qsort(g->items, g->n, sizeof *g->items, by_keys);
	size_t n = 0;   /* merge neighbours whose cut texts are equal, as group_row does */
	for (size_t i = 0; i < g->n; i++) {
		if (n && !by_keys(&g->items[n - 1], &g->items[i])) {
			struct totals *a = &g->items[n - 1].t;
			const struct totals *b = &g->items[i].t;
			a->count += b->count, a->errors += b->errors, a->dur_sum += b->dur_sum;
			a->input_tokens += b->input_tokens, a->output_tokens += b->output_tokens;
			a->cache_read += b->cache_read, a->cache_write += b->cache_write, a->cost += b->cost, a->cost_abs += b->cost_abs;
		} else {
			g->items[n++] = g->items[i];
		}
	}
	g->n = n;
	return rc;
}

/* Picks the named series: the METRICS_MAX_SERIES largest groups of the
 * whole range by the metric (by count for latencies). */
static int pick_series(sqlite3 *db, const struct rows *q, struct series *s)
{
	if (s->group == GROUP_NONE) {
		snprintf(s->names[0], sizeof s->names[0], "all");
		s->nnamed = 1;
		return ERR_OK;
	}
	struct rows whole = *q;
	whole.width = 0;
	whole.level = -1;
	whole.no_sketch = 1;   /* weights are counts and sums */
	struct grouper g;
	int by_id = q->src == SRC_SPANS && (q->group == GROUP_SERVICE || q->group == GROUP_MODEL ||
	                                    (q->group == GROUP_NAME && !q->operations));
	int rc = by_id ? run_id_groups(db, &whole, &g) : run_groups(db, &whole, &g);
	enum metric weight = s->metric >= METRIC_LATENCY_P50 && s->metric <= METRIC_LATENCY_P99 ? METRIC_SPANS
	                                                                                       : s->metric;
	for (size_t i = 0; !rc && i < g.n && s->nnamed < METRICS_MAX_SERIES; i++) {
		size_t best = i;
		for (size_t k = i + 1; k < g.n; k++)
			if (metric_total(weight, &g.items[k].t) > metric_total(weight, &g.items[best].t))
				best = k;
		struct item tmp = g.items[i];
		g.items[i] = g.items[best];
		g.items[best] = tmp;
		if (s->group == GROUP_TYPE)
			snprintf(s->names[s->nnamed++], sizeof s->names[0], "%s", span_type_name(type_key(g.items[i].key1)));
		else
			snprintf(s->names[s->nnamed++], sizeof s->names[0], "%s", g.items[i].key1);
	}
	free(g.items);
	return rc;
}

/* Prepares matching rows by id (struct rows ids) for a series of spans
 * summed by key: the id of each named series' text (value is UNIQUE in
 * strings), and 0 for "" (a span without a model; the text path reads a
 * missing string as "" too). Returns 1 when set, 0 when the series must
 * match by text (no text key, or a name that may have been cut to fit
 * names[]), or ERR_STORE. */
static int series_ids(sqlite3 *db, struct series *s)
{
	if (s->group == GROUP_NONE) {   /* one series, "all": every row's key is 0 */
		s->nid[0] = 1;
		s->id[0][0] = 0;
		return 1;
	}
	if (s->group != GROUP_SERVICE && s->group != GROUP_MODEL && s->group != GROUP_NAME)
		return 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT id FROM strings WHERE value = ?1", -1, &st, NULL))
		return ERR_STORE;
	int rc = 1;
	for (int i = 0; i < s->nnamed && rc == 1; i++) {
		if (strlen(s->names[i]) >= sizeof s->names[i] - 1) {
			rc = 0;
			break;
		}
		s->nid[i] = 0;
		if (!s->names[i][0])
			s->id[i][s->nid[i]++] = 0;
		sqlite3_bind_text(st, 1, s->names[i], -1, SQLITE_STATIC);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			s->id[i][s->nid[i]++] = sqlite3_column_int64(st, 0);
		else if (step != SQLITE_DONE)
			rc = ERR_STORE;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static cJSON *number_or_null(double v)
{
	return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

enum err metrics_timeseries(sqlite3 *db, const struct trace_filter *f, enum metric m, long width, enum group_by g,
                            cJSON **out)
{
	assert(width == 60 || width == 3600 || width == 86400);
	int latency = m >= METRIC_LATENCY_P50 && m <= METRIC_LATENCY_P99;
	int trace_metric = m == METRIC_TRACES || ((m == METRIC_ERRORS || latency) && g <= GROUP_SERVICE);
	if (m == METRIC_TRACES && g > GROUP_SERVICE)
		return ERR_BAD_INPUT;
	struct rows q = {.src = trace_metric ? SRC_TRACES : SRC_SPANS, .f = f, .width = width, .group = g,
	                 .no_sketch = !latency};
	q.level = width == 60 ? 0 : width == 3600 ? 1 : 2;
	struct series s;
	memset(&s, 0, sizeof s);
	s.metric = m;
	s.group = g;
	s.width = width;
	s.from_s = (int64_t)(f->from_ns / 1000000000u);
	s.nbuckets = (size_t)((f->to_ns - f->from_ns) / 1000000000u / (uint64_t)width);
	s.bucket = -1;
	int rc = pick_series(db, &q, &s);
	/* sums of spans by key are made here, row by row in the order of the
	 * rollup key, matching keys by id: SQL summing them by their text first
	 * sorted every row and looked two strings up for each (4x the time) */
	if (!rc && !latency && !trace_metric) {
		int ids = series_ids(db, &s);
		if (ids < 0)
			rc = ids;
		s.ids = q.ids = ids == 1;
	}
	for (int i = 0; i <= METRICS_MAX_SERIES; i++) {
		s.values[i] = malloc(s.nbuckets * sizeof(double));
		s.acc[i] = agg_new();
		if (!s.values[i])
			abort();
		for (size_t b = 0; b < s.nbuckets; b++)
			s.values[i][b] = latency ? NAN : 0;
	}
	if (!rc)
		rc = run_rows(db, &q, series_row, &s);
	series_flush(&s);
	cJSON *o = NULL;
	if (!rc) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "metric", metric_names[m]);
		cJSON_AddStringToObject(o, "bucket", width == 60 ? "1m" : width == 3600 ? "1h" : "1d");
		cJSON_AddNumberToObject(o, "bucket_ms", (double)width * 1000);
		query_add_iso(o, "from", f->from_ns);
		query_add_iso(o, "to", f->to_ns);
		cJSON *ts = cJSON_AddArrayToObject(o, "timestamps"), *series = cJSON_AddArrayToObject(o, "series");
		for (size_t b = 0; b < s.nbuckets; b++)
			cJSON_AddItemToArray(ts, cJSON_CreateNumber((double)(s.from_s + (int64_t)b * width) * 1000));
		for (int i = 0; i <= s.nnamed; i++) {
			if (i == s.nnamed && !s.other_used)
				break;
			cJSON *one = cJSON_CreateObject(), *vals = cJSON_AddArrayToObject(one, "values");
			cJSON_AddStringToObject(one, "key", i < s.nnamed ? s.names[i] : "other");
			for (size_t b = 0; b < s.nbuckets; b++)
				cJSON_AddItemToArray(vals, number_or_null(s.values[i][b]));
			cJSON_AddItemToArray(series, one);
		}
	}
	for (int i = 0; i <= METRICS_MAX_SERIES; i++) {
		free(s.values[i]);
		free(s.acc[i]);
	}
	*out = o;
	return rc;
}
