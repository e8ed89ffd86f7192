/* demo.c: `tracelite demo`: its flags, and the threads that generate
 * demo/demo.h traces in parallel and either post them with demo/client.h
 * (--url) or price them and submit them to a writer of their own (--data). */
#include "cmd/cmd.h"
#include <civetweb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/datadir.h"
#include "base/err.h"
#include "base/text.h"
#include "demo/client.h"
#include "demo/demo.h"
#include "ingest/batch.h"
#include "ingest/prices.h"
#include "otlp/otlp_json_out.h"
#include "store/writer.h"

struct demo_opts {
	size_t traces, batch;
	unsigned days;
	uint64_t seed;
	const char *url, *data;      /* data: NULL, or datadir when --data was given */
	int protobuf;
	char datadir[DATADIR_MAX];
};

struct demo_run {
	const struct demo_opts *o;
	uint64_t now_ns;
	struct writer *w;
	struct prices *prices;       /* --data: priced here as the server would */
	atomic_size_t next_batch, spans;
	atomic_uint retries;
	atomic_int failed;
	pthread_mutex_t lock;
	char err[512];
};

static void run_fail(struct demo_run *run, const char *msg)
{
	pthread_mutex_lock(&run->lock);
	if (!atomic_exchange(&run->failed, 1))
		snprintf(run->err, sizeof run->err, "%s", msg);
	pthread_mutex_unlock(&run->lock);
}

/* Stores one generated request straight through the writer. */
static int store_batch(struct demo_run *run, Tl__ExportTraceServiceRequest *req, struct span_batch *b,
                       char *err, size_t errlen)
{
	int rc = span_batch_add_request(b, req, err, errlen);
	if (rc == ERR_OK)
		prices_apply(run->prices, b);
	for (unsigned delay = 10; rc == ERR_OK;) {
		rc = writer_submit(run->w, b, err, errlen);
		if (rc != ERR_BUSY)
			break;
		struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		delay = delay < 500 ? delay * 2 : 1000;
		atomic_fetch_add(&run->retries, 1);
	}
	return rc;
}

static void *demo_worker(void *arg)
{
	struct demo_run *run = arg;
	const struct demo_opts *o = run->o;
	char err[512] = "";
	struct demo_client *client = NULL;
	if (!o->data && !(client = demo_client_new(o->url, err, sizeof err))) {
		run_fail(run, err);
		return NULL;
	}
	while (!atomic_load(&run->failed)) {
		size_t lo = atomic_fetch_add(&run->next_batch, 1) * o->batch;
		if (lo >= o->traces)
			break;
		size_t hi = o->traces - lo < o->batch ? o->traces : lo + o->batch;
		struct span_batch *b = o->data ? span_batch_new(NULL) : NULL;
		struct arena *a = b ? b->arena : arena_new();
		Tl__ExportTraceServiceRequest *req = arena_alloc(a, sizeof *req);
		tl__export_trace_service_request__init(req);
		size_t n = 0;
		for (size_t i = lo; i < hi; i++)
			n += demo_generate(o->seed, i, run->now_ns, o->days, a, req);
		int ok;
		if (b) {
			ok = store_batch(run, req, b, err, sizeof err) == ERR_OK;
			span_batch_free(b);
		} else {
			size_t len;
			char *body;
			if (o->protobuf) {
				len = tl__export_trace_service_request__get_packed_size(req);
				body = malloc(len ? len : 1);
				if (!body)
					abort();
				tl__export_trace_service_request__pack(req, (uint8_t *)body);
			} else {
				body = otlp_json_encode(req, &len);
			}
			unsigned retries = 0;
			ok = demo_client_post(client, o->protobuf ? "application/x-protobuf" : "application/json",
			                      body, len, &retries, err, sizeof err) == 200;
			atomic_fetch_add(&run->retries, retries);
			free(body);
			arena_free(a);
		}
		if (!ok) {
			run_fail(run, err);
			break;
		}
		atomic_fetch_add(&run->spans, n);
	}
	demo_client_free(client);
	return NULL;
}

static void demo_usage(FILE *out)
{
	fputs("usage: tracelite demo --traces N [--days D] [--seed S] [--url URL | --data DIR]\n"
	      "                      [--format json|protobuf] [--batch N]\n"
	      "  --traces N    agent traces to generate (about 6 spans each)\n"
	      "  --days D      spread them over the last D days (default 7)\n"
	      "  --seed S      stream seed; the same seed gives the same traces (default 1)\n"
	      "  --url URL     POST OTLP/HTTP to URL (default http://127.0.0.1:4318/v1/traces)\n"
	      "  --data DIR    write into the data directory DIR directly (server stopped), costs\n"
	      "                from the built-in price table and TRACELITE_PRICES\n"
	      "  --format F    json or protobuf body for --url (default json)\n"
	      "  --batch N     traces per request (default 16)\n",
	      out);
}

/* Fills o from argv; returns 0, 1 for --help, or -1 after a message. */
static int demo_parse(int argc, char **argv, struct demo_opts *o)
{
	int have_traces = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		const char *eq = strchr(arg, '=');
		size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return 1;
		if (strncmp(arg, "--", 2) != 0) {
			fprintf(stderr, "tracelite demo: unexpected argument '%s'\n", arg);
			return -1;
		}
		val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
		const char *num = val ? val : "";
		uint64_t v;
#define FLAG(name) (klen == sizeof(name) - 1 && strncmp(arg, name, klen) == 0)
		if (FLAG("--traces") && text_parse_u64(num, 1, 1000000000, &v) == 0) {
			o->traces = (size_t)v;
			have_traces = 1;
		} else if (FLAG("--days") && text_parse_u64(num, 1, 3650, &v) == 0) {
			o->days = (unsigned)v;
		} else if (FLAG("--seed") && text_parse_u64(num, 0, UINT64_MAX, &v) == 0) {
			o->seed = v;
		} else if (FLAG("--batch") && text_parse_u64(num, 1, 100000, &v) == 0) {
			o->batch = (size_t)v;
		} else if (FLAG("--url") && val && *val && !o->data) {
			o->url = val;
		} else if (FLAG("--data") && val && !o->url) {
			char err[160];
			if (datadir_set(o->datadir, val, "--data", err, sizeof err)) {
				fprintf(stderr, "tracelite demo: %s\n", err);
				return -1;
			}
			o->data = o->datadir;
		} else if (FLAG("--format") && val && (strcmp(val, "json") == 0 || strcmp(val, "protobuf") == 0)) {
			o->protobuf = strcmp(val, "protobuf") == 0;
		} else {
			fprintf(stderr, "tracelite demo: bad or misplaced option '%.*s'%s%s\n", (int)klen, arg,
			        val ? " with value " : "", val ? val : "");
			return -1;
		}
#undef FLAG
	}
	if (!have_traces) {
		fputs("tracelite demo: --traces N is required\n", stderr);
		return -1;
	}
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_opts o = {.batch = 16, .days = 7, .seed = 1};
	int rc = demo_parse(argc, argv, &o);
	if (rc != 0) {
		demo_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	if (!o.data && !o.url)
		o.url = "http://127.0.0.1:4318/v1/traces";
	struct demo_run run;
	memset(&run, 0, sizeof run);
	run.o = &o;
	pthread_mutex_init(&run.lock, NULL);
	struct timespec t0, t1;
	run.now_ns = text_now_ns();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char err[512];
	if (o.data) {
		run.prices = prices_load(getenv("TRACELITE_PRICES"), err, sizeof err);
		run.w = run.prices ? writer_start(o.data, 64u << 20, err, sizeof err) : NULL;
		if (!run.w) {
			prices_free(run.prices);
			fprintf(stderr, "tracelite demo: %s\n", err);
			return 1;
		}
	} else {
		struct demo_client *probe = demo_client_new(o.url, err, sizeof err);
		if (!probe) {
			fprintf(stderr, "tracelite demo: %s\n", err);
			demo_usage(stderr);
			return 2;
		}
		demo_client_free(probe);
		mg_init_library(0);
	}
	/* parallel generation; for --data, concurrent submits share commits */
	enum { THREADS = 4 };
	pthread_t th[THREADS];
	size_t nbatches = (o.traces + o.batch - 1) / o.batch;
	int nth = nbatches < THREADS ? (int)nbatches : THREADS;
	for (int i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, demo_worker, &run) != 0)
			abort();
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (run.w) {
		writer_stop(run.w);
		prices_free(run.prices);
	} else
		mg_exit_library();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	size_t spans = atomic_load(&run.spans);
	pthread_mutex_destroy(&run.lock);
	if (atomic_load(&run.failed)) {
		fprintf(stderr, "tracelite demo: %s (%zu spans sent before)\n", run.err, spans);
		return 1;
	}
	printf("demo: %zu traces, %zu spans in %.2f s (%.0f spans/s, %u retries) -> %s%s\n", o.traces, spans,
	       secs, secs > 0 ? (double)spans / secs : 0.0, atomic_load(&run.retries),
	       o.data ? o.data : o.url, o.data ? "" : o.protobuf ? " (protobuf)" : " (json)");
	return 0;
}
