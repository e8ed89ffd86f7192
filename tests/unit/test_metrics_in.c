/* test_metrics_in.c: OTLP metrics exports through ingest_decode's metrics
 * route: every kind of data point counted in OTLP/JSON (camelCase and
 * snake_case) and in protobuf (packed by protobuf-c, then gzipped), wrong
 * shapes refused naming the path, and the process-wide counters. */
#include <zlib.h>
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "ingest/metrics_in.h"
#include "test.h"

static int64_t decode(int encoding, const char *coding, const void *body, size_t len, int *rc, char *err)
{
	struct span_batch *b = span_batch_new(NULL);
	struct reqmem m = {0};
	*rc = ingest_decode(INGEST_METRICS, encoding, coding, body, len, b, &m, err, 256);
	int64_t n = b->metric_points;
	CHECK(b->nspans == 0, "a metrics export makes no spans");
	span_batch_free(b);
	reqmem_release(&m);
	return n;
}

int main(void)
{
	char err[256];
	int rc;
	ingest_init();
	const char *json = "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":["
	                   "{\"name\":\"g\",\"gauge\":{\"dataPoints\":[{\"asDouble\":1},{\"asInt\":\"2\"}]}},"
	                   "{\"name\":\"s\",\"sum\":{\"dataPoints\":[{\"asInt\":\"5\"}],\"isMonotonic\":true}},"
	                   "{\"name\":\"h\",\"histogram\":{\"dataPoints\":[{\"count\":\"3\"}]}},"
	                   "{\"name\":\"e\",\"exponentialHistogram\":{\"dataPoints\":[{},{}]}},"
	                   "{\"name\":\"q\",\"summary\":{\"dataPoints\":[{}]}},"
	                   "{\"name\":\"empty\"}]}]},{\"scopeMetrics\":[]}]}";
	CHECK(decode(INGEST_JSON, NULL, json, strlen(json), &rc, err) == 7 && rc == ERR_OK, "JSON: rc %d %s", rc, err);
	const char *snake = "{\"resource_metrics\":[{\"scope_metrics\":[{\"metrics\":[{\"exponential_histogram\":"
	                    "{\"data_points\":[{}]}}]}]}]}";
	CHECK(decode(INGEST_JSON, NULL, snake, strlen(snake), &rc, err) == 1 && rc == ERR_OK, "snake_case: %s", err);
	CHECK(decode(INGEST_JSON, NULL, "{}", 2, &rc, err) == 0 && rc == ERR_OK, "an empty export");

	static const struct {
		const char *body, *want;
	} bad[] = {
		{"[]", "top level: expected a JSON object (an ExportMetricsServiceRequest)"},
		{"{\"resourceMetrics\":{}}", "resourceMetrics: expected an array"},
		{"{\"resourceMetrics\":[1]}", "resourceMetrics[0]: expected an object"},
		{"{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"gauge\":{\"dataPoints\":7}}]}]}]}",
		 "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints: expected an array"},
		{"{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{},\"x\"]}]}]}",
		 "resourceMetrics[0].scopeMetrics[0].metrics[1]: expected an object"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		decode(INGEST_JSON, NULL, bad[i].body, strlen(bad[i].body), &rc, err);
		CHECK(rc == ERR_BAD_INPUT && !strcmp(err, bad[i].want), "%s: rc %d '%s'", bad[i].body, rc, err);
	}

	/* protobuf: two gauges' points, a histogram, a summary */
	Tl__NumberDataPoint p1 = TL__NUMBER_DATA_POINT__INIT, p2 = TL__NUMBER_DATA_POINT__INIT;
	Tl__NumberDataPoint *pts[] = {&p1, &p2};
	Tl__Gauge gauge = TL__GAUGE__INIT;
	gauge.n_data_points = 2;
	gauge.data_points = pts;
	Tl__HistogramDataPoint h1 = TL__HISTOGRAM_DATA_POINT__INIT, *hpts[] = {&h1};
	Tl__Histogram hist = TL__HISTOGRAM__INIT;
	hist.n_data_points = 1;
	hist.data_points = hpts;
	Tl__SummaryDataPoint q1 = TL__SUMMARY_DATA_POINT__INIT, *qpts[] = {&q1};
	Tl__Summary sum = TL__SUMMARY__INIT;
	sum.n_data_points = 1;
	sum.data_points = qpts;
	Tl__Metric m1 = TL__METRIC__INIT, m2 = TL__METRIC__INIT, m3 = TL__METRIC__INIT, *ms[] = {&m1, &m2, &m3};
	m1.name = "g";
	m1.data_case = TL__METRIC__DATA_GAUGE;
	m1.gauge = &gauge;
	m2.name = "h";
	m2.data_case = TL__METRIC__DATA_HISTOGRAM;
	m2.histogram = &hist;
	m3.name = "q";
	m3.data_case = TL__METRIC__DATA_SUMMARY;
	m3.summary = &sum;
	Tl__ScopeMetrics sm = TL__SCOPE_METRICS__INIT, *sms[] = {&sm};
	sm.n_metrics = 3;
	sm.metrics = ms;
	Tl__ResourceMetrics rm = TL__RESOURCE_METRICS__INIT, *rms[] = {&rm};
	rm.n_scope_metrics = 1;
	rm.scope_metrics = sms;
	Tl__ExportMetricsServiceRequest req = TL__EXPORT_METRICS_SERVICE_REQUEST__INIT;
	req.n_resource_metrics = 1;
	req.resource_metrics = rms;
	uint8_t pb[1024], gz[1024];
	size_t len = tl__export_metrics_service_request__pack(&req, pb);
	CHECK(decode(INGEST_PROTOBUF, NULL, pb, len, &rc, err) == 4 && rc == ERR_OK, "protobuf: rc %d %s", rc, err);
	z_stream z = {0};
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = pb;
	z.avail_in = (uInt)len;
	z.next_out = gz;
	z.avail_out = sizeof gz;
	deflate(&z, Z_FINISH);
	size_t gzlen = sizeof gz - z.avail_out;
	deflateEnd(&z);
	CHECK(decode(INGEST_PROTOBUF, "gzip", gz, gzlen, &rc, err) == 4 && rc == ERR_OK, "gzip protobuf: %s", err);
	decode(INGEST_PROTOBUF, NULL, pb, len - 1, &rc, err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "invalid protobuf"), "truncated: %d %s", rc, err);

	/* the counters */
	struct metrics_in_counts before, after;
	metrics_in_counts(&before);
	metrics_in_note(ERR_OK, 7);
	metrics_in_note(ERR_BAD_INPUT, 0);
	metrics_in_counts(&after);
	CHECK(after.exports == before.exports + 1 && after.points_received == before.points_received + 7 &&
	          after.exports_refused == before.exports_refused + 1,
	      "counts %llu %llu %llu", (unsigned long long)after.exports, (unsigned long long)after.points_received,
	      (unsigned long long)after.exports_refused);
	return test_done();
}
