/* metrics_in.c: counting the data points of OTLP metrics exports (protobuf
 * unpacked by ingest.c, or an OTLP/JSON tree) and the process-wide
 * counters of what was received; nothing here is stored. */
#include "ingest/metrics_in.h"
#include <stdatomic.h>

static atomic_uint_fast64_t n_exports, n_points, n_refused;

int64_t metrics_in_points_pb(const Tl__ExportMetricsServiceRequest *req)
{
	int64_t n = 0;
	for (size_t r = 0; r < req->n_resource_metrics; r++) {
		const Tl__ResourceMetrics *rm = req->resource_metrics[r];
		for (size_t s = 0; s < rm->n_scope_metrics; s++) {
			const Tl__ScopeMetrics *sm = rm->scope_metrics[s];
			for (size_t i = 0; i < sm->n_metrics; i++) {
				const Tl__Metric *m = sm->metrics[i];
				switch (m->data_case) {
				case TL__METRIC__DATA_GAUGE: n += (int64_t)m->gauge->n_data_points; break;
				case TL__METRIC__DATA_SUM: n += (int64_t)m->sum->n_data_points; break;
				case TL__METRIC__DATA_HISTOGRAM: n += (int64_t)m->histogram->n_data_points; break;
				case TL__METRIC__DATA_EXPONENTIAL_HISTOGRAM:
					n += (int64_t)m->exponential_histogram->n_data_points;
					break;
				case TL__METRIC__DATA_SUMMARY: n += (int64_t)m->summary->n_data_points; break;
				default: break;
				}
			}
		}
	}
	return n;
}

/* The member named camel (OTLP/JSON) or snake (the proto name, also
 * accepted by the OTLP/JSON decoders), or NULL. */
static const cJSON *member(const cJSON *o, const char *camel, const char *snake)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, camel);
	return v ? v : cJSON_GetObjectItemCaseSensitive(o, snake);
}

/* The array member (absent or null: NULL with *bad 0; not an array: *bad 1). */
static const cJSON *array_member(const cJSON *o, const char *camel, const char *snake, int *bad)
{
	const cJSON *v = member(o, camel, snake);
	*bad = v && !cJSON_IsNull(v) && !cJSON_IsArray(v);
	return cJSON_IsArray(v) ? v : NULL;
}

static const char *const kinds[][2] = {
	{"gauge", "gauge"}, {"sum", "sum"}, {"histogram", "histogram"},
	{"exponentialHistogram", "exponential_histogram"}, {"summary", "summary"},
};

enum err metrics_in_points_json(const cJSON *root, int64_t *points, char *err, size_t errlen)
{
	int bad, r = 0, s, i;
	int64_t n = 0;
	*points = 0;
	if (!cJSON_IsObject(root))
		return err_set(err, errlen, ERR_BAD_INPUT, "top level: expected a JSON object (an ExportMetricsServiceRequest)");
	const cJSON *rms = array_member(root, "resourceMetrics", "resource_metrics", &bad), *rm, *sm, *m;
	if (bad)
		return err_set(err, errlen, ERR_BAD_INPUT, "resourceMetrics: expected an array");
	cJSON_ArrayForEach(rm, rms) {
		const cJSON *sms = array_member(rm, "scopeMetrics", "scope_metrics", &bad);
		if (!cJSON_IsObject(rm) || bad)
			return err_set(err, errlen, ERR_BAD_INPUT, "resourceMetrics[%d]%s: expected %s", r,
			               bad ? ".scopeMetrics" : "", bad ? "an array" : "an object");
		s = 0;
		cJSON_ArrayForEach(sm, sms) {
			const cJSON *ms = array_member(sm, "metrics", "metrics", &bad);
			if (!cJSON_IsObject(sm) || bad)
				return err_set(err, errlen, ERR_BAD_INPUT, "resourceMetrics[%d].scopeMetrics[%d]%s: expected %s", r,
				               s, bad ? ".metrics" : "", bad ? "an array" : "an object");
			i = 0;
			cJSON_ArrayForEach(m, ms) {
				if (!cJSON_IsObject(m))
					return err_set(err, errlen, ERR_BAD_INPUT,
					               "resourceMetrics[%d].scopeMetrics[%d].metrics[%d]: expected an object", r, s, i);
				for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
					const cJSON *data = member(m, kinds[k][0], kinds[k][1]);
					if (!data || cJSON_IsNull(data))
						continue;
					const cJSON *dps = cJSON_IsObject(data) ? array_member(data, "dataPoints", "data_points", &bad) : NULL;
					if (!cJSON_IsObject(data) || bad)
						return err_set(err, errlen, ERR_BAD_INPUT,
						               "resourceMetrics[%d].scopeMetrics[%d].metrics[%d].%s%s: expected %s", r, s, i,
						               kinds[k][0], bad ? ".dataPoints" : "", bad ? "an array" : "an object");
					n += cJSON_GetArraySize(dps);
				}
				i++;
			}
			s++;
		}
		r++;
	}
	*points = n;
	return ERR_OK;
}

void metrics_in_note(enum err rc, int64_t points)
{
	if (rc) {
		atomic_fetch_add(&n_refused, 1);
		return;
	}
	atomic_fetch_add(&n_exports, 1);
	atomic_fetch_add(&n_points, (uint_fast64_t)(points > 0 ? points : 0));
}

void metrics_in_counts(struct metrics_in_counts *out)
{
	out->exports = atomic_load(&n_exports);
	out->points_received = atomic_load(&n_points);
	out->exports_refused = atomic_load(&n_refused);
}
