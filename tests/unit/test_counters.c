/* test_counters.c: base/counters: series by labels, escaping, histogram
 * buckets, the text it renders, and 8 threads adding at once (exact
 * totals, one series each). */
#include "base/counters.h"
#include "test.h"

#define THREADS 8
#define ADDS 100000

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ADDS; i++) {
		counters_add("t_hits_total", 1, "route", (i & 1) ? "/a" : "/b", NULL);
		counters_observe("t_latency_seconds", (i % 3) * 0.004, NULL);
		counters_gauge_add("t_open", (i & 1) ? -1 : 1, NULL);
	}
	return NULL;
}

static char *render(void)
{
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	counters_render(&b);
	return jbuf_finish(&b, NULL);
}

int main(void)
{
	const double bounds[] = {0.001, 0.005, 0.01};
	CHECK(counters_declare("t_hits_total", COUNTERS_COUNTER, "Hits by route", NULL, 0) == 0, "declare");
	CHECK(counters_declare("t_hits_total", COUNTERS_GAUGE, "other", NULL, 0) == 0, "redeclare is a no-op");
	CHECK(counters_declare("t_latency_seconds", COUNTERS_HISTOGRAM, "Latency\nwith \\ newline", bounds, 3) == 0, "hist");
	CHECK(counters_declare("t_open", COUNTERS_GAUGE, "Open things", NULL, 0) == 0, "gauge");
	CHECK(counters_declare("9bad", COUNTERS_GAUGE, "x", NULL, 0) == -1, "bad name refused");
	CHECK(counters_declare("t_empty_total", COUNTERS_COUNTER, "Never added to", NULL, 0) == 0, "empty");

	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	counters_add("t_hits_total", 5, "route", "q\"uote\\back\nnl", "code", "2xx", NULL);
	counters_set("t_temp", -2.5, NULL);

	char *out = render();
	char want[256];
	snprintf(want, sizeof want, "t_hits_total{route=\"/b\"} %d\n", THREADS * ADDS / 2);
	CHECK(strstr(out, want), "%s in\n%s", want, out);
	snprintf(want, sizeof want, "t_hits_total{route=\"/a\"} %d\n", THREADS * ADDS / 2);
	CHECK(strstr(out, want), "%s", want);
	CHECK(strstr(out, "t_hits_total{route=\"q\\\"uote\\\\back\\nnl\",code=\"2xx\"} 5\n"), "escaped labels:\n%s", out);
	CHECK(strstr(out, "# HELP t_hits_total Hits by route\n# TYPE t_hits_total counter\n"), "help and type");
	CHECK(strstr(out, "# HELP t_latency_seconds Latency\\nwith \\\\ newline\n# TYPE t_latency_seconds histogram\n"),
	      "help escaped");
	/* i % 3 of 0, 0.004, 0.008: a third each in le 0.001, 0.005, 0.01 */
	int per = THREADS * (ADDS / 3 + 1), total = THREADS * ADDS;
	snprintf(want, sizeof want, "t_latency_seconds_bucket{le=\"0.001\"} %d\n", per);
	CHECK(strstr(out, want), "%s", want);
	snprintf(want, sizeof want, "t_latency_seconds_bucket{le=\"0.01\"} %d\nt_latency_seconds_bucket{le=\"+Inf\"} %d\n",
	         total, total);
	CHECK(strstr(out, want), "%s", want);
	snprintf(want, sizeof want, "t_latency_seconds_count %d\n", total);
	CHECK(strstr(out, want), "%s", want);
	CHECK(strstr(out, "t_open 0\n"), "gauge back to 0");
	CHECK(strstr(out, "# TYPE t_temp gauge\nt_temp -2.5\n"), "undeclared set is a gauge");
	CHECK(strstr(out, "# TYPE t_empty_total counter\n# HELP") || strstr(out, "# TYPE t_empty_total counter\n"),
	      "family without series");
	CHECK(counters_series_count() == 7, "series: %d", counters_series_count());
	free(out);
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed != 0;
}
