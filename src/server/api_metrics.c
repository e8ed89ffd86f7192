/* api_metrics.c: GET /api/metrics/{summary,timeseries,models,operations}:
 * the trace-list filters plus each endpoint's own parameters, checked
 * before anything runs (400 naming the parameter), then metrics.c. */
#include "server/api_metrics.h"
#include <stdio.h>
#include <string.h>
#include "server/args.h"
#include "base/err.h"
#include "base/text.h"
#include "server/http.h"
#include "query/metrics.h"

#define OPERATIONS_LIMIT_DEFAULT 50
#define OPERATIONS_LIMIT_MAX 1000

/* Common parameters, with the range rounded to whole minutes. */
static sqlite3 *begin(struct mg_connection *c, struct app *app, struct filter_args *a)
{
	sqlite3 *db = api_reader(c, app);
	if (!db || api_filter_args(c, db, a) || api_refuse_q(c, &a->f))
		return NULL;
	metrics_align(&a->f, 60);
	return db;
}

void api_metrics_summary(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	struct filter_args a;
	sqlite3 *db = begin(c, app, &a);
	cJSON *o = NULL;
	if (db) {
		int rc = metrics_summary(db, &a.f, &o);
		http_reply(c, rc, o, "metrics");
	}
}

/* Reads an enumerated parameter (default when absent); 400 listing the
 * accepted values otherwise. Returns the value or -1 after sending 400. */
static int choice_param(struct mg_connection *c, const char *name, const char *fallback, int (*parse)(const char *),
                        const char *accepted)
{
	char buf[32];
	const char *v;
	if (api_opt_param(c, name, buf, sizeof buf, &v))
		return -1;
	int r = parse(v ? v : fallback);
	if (r < 0)
		http_send_error(c, 400, "%s: expected one of %s", name, accepted);
	return r;
}

void api_metrics_timeseries(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	struct filter_args a;
	char bucket[32];
	const char *b;
	sqlite3 *db = begin(c, app, &a);
	if (!db)
		return;
	int metric = choice_param(c, "metric", "traces", metrics_metric_from_name,
	                          "traces, spans, errors, latency_p50, latency_p95, latency_p99, input_tokens, "
	                          "output_tokens, cost");
	if (metric < 0)
		return;
	int group = choice_param(c, "group_by", "none", metrics_group_from_name, "none, service, model, name, type");
	if (group < 0 || api_opt_param(c, "bucket", bucket, sizeof bucket, &b))
		return;
	long width = metrics_bucket_from_name(b ? b : "auto", a.f.from_ns, a.f.to_ns);
	if (width < 0) {
		http_send_error(c, 400, "bucket: expected one of auto, 1m, 1h, 1d");
		return;
	}
	metrics_align(&a.f, width);
	uint64_t buckets = (a.f.to_ns - a.f.from_ns) / 1000000000u / (uint64_t)width;
	if (buckets > METRICS_MAX_BUCKETS) {
		http_send_error(c, 400, "bucket: %s over this range gives %llu buckets, at most %d; use a wider bucket or a "
		                "shorter range", b, (unsigned long long)buckets, METRICS_MAX_BUCKETS);
		return;
	}
	cJSON *o = NULL;
	int rc = metrics_timeseries(db, &a.f, (enum metric)metric, width, (enum group_by)group, &o);
	if (rc == ERR_BAD_INPUT)
		http_send_error(c, 400, "group_by: traces cannot be grouped by model, name or type; use metric=spans");
	else
		http_reply(c, rc, o, "metrics");
}

void api_metrics_models(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	struct filter_args a;
	sqlite3 *db = begin(c, app, &a);
	cJSON *o = NULL;
	if (db) {
		int rc = metrics_models(db, &a.f, &o);
		http_reply(c, rc, o, "metrics");
	}
}

static int sort_from_name(const char *name)
{
	return !strcmp(name, "slowest") ? 0 : !strcmp(name, "failing") ? 1 : -1;
}

void api_metrics_operations(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	struct filter_args a;
	char buf[32];
	const char *lim;
	int64_t limit = OPERATIONS_LIMIT_DEFAULT;
	sqlite3 *db = begin(c, app, &a);
	if (!db)
		return;
	int by_errors = choice_param(c, "sort", "slowest", sort_from_name, "slowest, failing");
	if (by_errors < 0 || api_opt_param(c, "limit", buf, sizeof buf, &lim))
		return;
	if (lim && text_parse_i64(lim, 1, OPERATIONS_LIMIT_MAX, &limit)) {
		http_send_error(c, 400, "limit: expected an integer from 1 to %d", OPERATIONS_LIMIT_MAX);
		return;
	}
	cJSON *o = NULL;
	int rc = metrics_operations(db, &a.f, by_errors, (int)limit, &o);
	http_reply(c, rc, o, "metrics");
}
