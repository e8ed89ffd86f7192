/* loadgen.c: the load generator behind `make bench` (tests/bench/run.sh).
 *   loadgen ingest --url URL --spans N --format json|protobuf|grpc|clickhouse
 *                  [--first-trace K] [--seed S] [--threads T] [--per-request P]
 *                  [--now-ns NS] [--corpus FILE [--prose-scale X]] [--order random|time]
 *     pre-generates demo traces (P spans per request, distinct trace ids from
 *     index K on, times in the 7 days before NS, default now; sessions start
 *     at random times, or with --order time each trace is moved so that
 *     trace K + i starts i / N of the way through the window, as live
 *     traffic arrives in time order), then posts
 *     them from T keep-alive client threads and prints spans/s, request
 *     latency quantiles and raw bytes per span. grpc sends the protobuf
 *     bodies as OTLP/gRPC TraceService/Export calls over h2c (URL
 *     http://HOST:PORT), one HTTP/2 connection per thread (nghttp2).
 *     clickhouse posts the same spans as JSONEachRow rows (side.h) to URL,
 *     which names the INSERT query. With --corpus the texts are rewritten
 *     into the corpus's prose (side.h, tests/bench/corpus.sh).
 *   loadgen time --url http://HOST:PORT [--runs N] PATH...
 *     times GET PATH N times each and prints the medians.
 *   loadgen query --url http://HOST:PORT --trace-id HEX --span-id HEX [--runs N]
 *     times each read endpoint N times (fresh connection each, like curl) and
 *     prints the medians.
 *   loadgen freeport
 *     prints a loopback TCP port that was free a moment ago.
 * Figures are printed one per line as "name: value"; nothing asserts on time. */
#include <arpa/inet.h>
#include <civetweb.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "base/text.h"
#include "demo/client.h"
#include "demo/demo.h"
#include "otlp/otlp_json_out.h"
#include "side.h"

struct body {
	char *data;
	size_t len, spans;
	char trace_id[33], span_id[17];   /* one trace root and one child in it */
};

struct ingest {
	const char *url, *ctype;
	int protobuf, grpc, clickhouse, threads;
	int time_order;              /* --order time */
	uint64_t seed, now_ns;
	const struct prose *prose;   /* NULL: the demo's own text */
	double prose_scale;
	size_t first_trace, per_request, nbodies, ntraces;
	struct body *bodies;
	double *latency_ms;
	atomic_size_t next;
	atomic_size_t ok_spans, failures;
	atomic_uint retries;
	pthread_mutex_t lock;
	char err[512];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define WINDOW_NS (7 * 86400ull * 1000000000ull)
#define MARGIN_NS (3600ull * 1000000000ull)

/* Moves every time of the spans in rs[0..n) by off ns. */
static void shift_spans(Tl__ResourceSpans **rs, size_t n, int64_t off)
{
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < rs[r]->n_scope_spans; c++) {
			Tl__ScopeSpans *ss = rs[r]->scope_spans[c];
			for (size_t i = 0; i < ss->n_spans; i++) {
				Tl__Span *sp = ss->spans[i];
				sp->start_time_unix_nano += (uint64_t)off;
				sp->end_time_unix_nano += (uint64_t)off;
				for (size_t e = 0; e < sp->n_events; e++)
					sp->events[e]->time_unix_nano += (uint64_t)off;
			}
		}
}

/* With --order time: moves trace t (its spans rs[0..n)) to start at its
 * place in the window, (t - first) / ntraces of the way through it. */
static void place_trace(const struct ingest *g, size_t t, Tl__ResourceSpans **rs, size_t n)
{
	uint64_t start = UINT64_MAX;
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < rs[r]->n_scope_spans; c++)
			for (size_t i = 0; i < rs[r]->scope_spans[c]->n_spans; i++)
				if (rs[r]->scope_spans[c]->spans[i]->start_time_unix_nano < start)
					start = rs[r]->scope_spans[c]->spans[i]->start_time_unix_nano;
	if (start == UINT64_MAX)
		return;
	double at = (double)(t - g->first_trace) / (double)g->ntraces;
	uint64_t want = g->now_ns - WINDOW_NS + (uint64_t)(at * (double)(WINDOW_NS - MARGIN_NS));
	shift_spans(rs, n, (int64_t)(want - start));
}

static void hex(const ProtobufCBinaryData *d, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < d->len; i++) {
		out[2 * i] = digits[d->data[i] >> 4];
		out[2 * i + 1] = digits[d->data[i] & 15];
	}
	out[2 * d->len] = 0;
}

/* Body i holds traces [i * traces_per_body, ...) after first_trace, about
 * per_request spans; bodies are cut by trace count fixed up front so
 * threads can generate them independently, and the last one ends at
 * ntraces, which depends on --spans alone (so every format and request
 * size sends the same traces). */
static void make_body(struct ingest *g, size_t i, size_t traces_per_body)
{
	struct arena *a = arena_new();
	Tl__ExportTraceServiceRequest req = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	struct body *b = &g->bodies[i];
	size_t first = g->first_trace + i * traces_per_body;
	size_t end = first + traces_per_body < g->first_trace + g->ntraces ? first + traces_per_body
	                                                                   : g->first_trace + g->ntraces;
	for (size_t t = first; t < end; t++) {
		size_t before = req.n_resource_spans;
		b->spans += demo_generate(g->seed, t, g->now_ns, 7, a, &req);
		if (g->time_order)
			place_trace(g, t, req.resource_spans + before, req.n_resource_spans - before);
	}
	if (g->prose)
		prose_rewrite(g->prose, g->seed, g->prose_scale, a, &req);
	if (g->clickhouse) {
		char err[256];
		b->data = side_rows(&req, &b->len, &b->spans, err, sizeof err);
		if (!b->data) {
			fprintf(stderr, "loadgen: rows: %s\n", err);
			exit(2);
		}
	} else if (g->protobuf) {
		size_t pre = g->grpc ? 5 : 0, n = tl__export_trace_service_request__get_packed_size(&req);
		b->len = pre + n;
		b->data = malloc(b->len);
		if (!b->data)
			abort();
		tl__export_trace_service_request__pack(&req, (uint8_t *)b->data + pre);
		if (g->grpc) { /* the gRPC message prefix: uncompressed, big-endian length */
			b->data[0] = 0;
			for (int k = 0; k < 4; k++)
				b->data[1 + k] = (char)(n >> (24 - 8 * k));
		}
	} else {
		b->data = otlp_json_encode(&req, &b->len);
	}
	const Tl__ScopeSpans *ss = req.resource_spans[0]->scope_spans[0];
	hex(&ss->spans[0]->trace_id, b->trace_id);
	hex(&ss->spans[ss->n_spans > 1 ? 1 : 0]->span_id, b->span_id);
	arena_free(a);
}

struct gen_job {
	struct ingest *g;
	size_t from, step, traces_per_body;
};

static void *gen_thread(void *arg)
{
	struct gen_job *j = arg;
	for (size_t i = j->from; i < j->g->nbodies; i += j->step)
		make_body(j->g, i, j->traces_per_body);
	return NULL;
}

/* ---------- a blocking OTLP/gRPC client over h2c (nghttp2) ---------- */

struct h2c {
	int fd;
	nghttp2_session *s;
	char authority[160];
	int32_t stream;
	int done, grpc_status;
	const char *body;
	size_t len, off;
};

static ssize_t h2c_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *user)
{
	(void)s;
	(void)flags;
	struct h2c *c = user;
	for (size_t off = 0; off < len;) {
		ssize_t n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		off += (size_t)n;
	}
	return (ssize_t)len;
}

static int h2c_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                      const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	(void)s;
	(void)f;
	(void)flags;
	(void)valuelen; /* nghttp2 NUL-terminates values */
	struct h2c *c = user;
	if (namelen == 11 && !memcmp(name, "grpc-status", 11))
		c->grpc_status = (int)strtol((const char *)value, NULL, 10);
	return 0;
}

static int h2c_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
	(void)s;
	(void)code;
	struct h2c *c = user;
	if (id == c->stream)
		c->done = 1;
	return 0;
}

static ssize_t h2c_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                        nghttp2_data_source *src, void *user)
{
	(void)s;
	(void)id;
	(void)src;
	struct h2c *c = user;
	size_t n = c->len - c->off < len ? c->len - c->off : len;
	memcpy(buf, c->body + c->off, n);
	c->off += n;
	if (c->off == c->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static struct h2c *h2c_new(const char *url, char *err, size_t errlen)
{
	char host[128], port[16];
	if (sscanf(url, "http://%127[^:/]:%15[0-9]", host, port) != 2) {
		snprintf(err, errlen, "grpc url must be http://HOST:PORT, got %s", url);
		return NULL;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, port, &hints, &res)) {
		snprintf(err, errlen, "cannot resolve %s", host);
		return NULL;
	}
	int fd = socket(res->ai_family, SOCK_STREAM, 0), one = 1;
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen)) {
		snprintf(err, errlen, "cannot connect to %s", url);
		freeaddrinfo(res);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	freeaddrinfo(res);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct h2c *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->fd = fd;
	snprintf(c->authority, sizeof c->authority, "%s:%s", host, port);
	nghttp2_session_callbacks *cb;
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_send_callback(cb, h2c_send);
	nghttp2_session_callbacks_set_on_header_callback(cb, h2c_header);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2c_close);
	nghttp2_session_client_new(&c->s, cb, c);
	nghttp2_session_callbacks_del(cb);
	nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
	nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, 1);
	return c;
}

/* One TraceService/Export call with body (prefix included). Returns the
 * grpc-status, or -1 if the connection failed. */
static int h2c_export(struct h2c *c, const char *body, size_t len)
{
	c->body = body;
	c->len = len;
	c->off = 0;
	c->done = 0;
	c->grpc_status = -1;
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
	nghttp2_nv h[] = {NV(":method", "POST"), NV(":scheme", "http"), NV(":authority", c->authority),
	                  NV(":path", "/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
	                  NV("content-type", "application/grpc"), NV("te", "trailers")};
#undef NV
	nghttp2_data_provider dp = {.read_callback = h2c_read};
	c->stream = nghttp2_submit_request(c->s, NULL, h, sizeof h / sizeof *h, &dp, NULL);
	if (c->stream < 0)
		return -1;
	uint8_t buf[65536];
	while (!c->done) {
		if (nghttp2_session_send(c->s))
			return -1;
		if (c->done)
			break;
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n <= 0 || nghttp2_session_mem_recv(c->s, buf, (size_t)n) < 0)
			return -1;
	}
	nghttp2_session_send(c->s); /* window updates */
	return c->grpc_status;
}

static void h2c_free(struct h2c *c)
{
	if (!c)
		return;
	nghttp2_session_del(c->s);
	close(c->fd);
	free(c);
}

static void *send_thread(void *arg)
{
	struct ingest *g = arg;
	char err[512];
	struct demo_client *c = g->grpc ? NULL : demo_client_new(g->url, err, sizeof err);
	struct h2c *h = g->grpc ? h2c_new(g->url, err, sizeof err) : NULL;
	if (!c && !h) {
		fprintf(stderr, "loadgen: %s\n", err);
		exit(2);
	}
	while (atomic_load(&g->failures) < 10) {
		size_t i = atomic_fetch_add(&g->next, 1);
		if (i >= g->nbodies)
			break;
		unsigned retries = 0;
		double t0 = now_s();
		int status;
		if (h) {
			/* UNAVAILABLE (a full queue) is retried, as exporters retry it */
			while ((status = h2c_export(h, g->bodies[i].data, g->bodies[i].len)) == 14 && retries < 100) {
				retries++;
				usleep(100000);
			}
			snprintf(err, sizeof err, "grpc-status %d", status);
			status = status == 0 ? 200 : status;
		} else {
			status = demo_client_post(c, g->ctype, g->bodies[i].data, g->bodies[i].len, &retries, err, sizeof err);
		}
		g->latency_ms[i] = (now_s() - t0) * 1000.0;
		atomic_fetch_add(&g->retries, retries);
		if (status == 200) {
			atomic_fetch_add(&g->ok_spans, g->bodies[i].spans);
		} else {
			atomic_fetch_add(&g->failures, 1);
			pthread_mutex_lock(&g->lock);
			if (!g->err[0])
				snprintf(g->err, sizeof g->err, "%s", err);
			pthread_mutex_unlock(&g->lock);
		}
	}
	if (c)
		demo_client_free(c);
	h2c_free(h);
	return NULL;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double quantile(double *sorted, size_t n, double q)
{
	if (n == 0)
		return 0;
	size_t k = (size_t)(q * (double)(n - 1) + 0.5);
	return sorted[k < n ? k : n - 1];
}

static const char *flag(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 2; i + 1 < argc; i += 2)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

static int ingest_main(int argc, char **argv)
{
	struct ingest g;
	memset(&g, 0, sizeof g);
	g.url = flag(argc, argv, "--url", NULL);
	const char *format = flag(argc, argv, "--format", "json");
	size_t spans = strtoull(flag(argc, argv, "--spans", "100000"), NULL, 10);
	g.first_trace = strtoull(flag(argc, argv, "--first-trace", "0"), NULL, 10);
	g.seed = strtoull(flag(argc, argv, "--seed", "1"), NULL, 10);
	g.threads = (int)strtol(flag(argc, argv, "--threads", "4"), NULL, 10);
	g.per_request = strtoull(flag(argc, argv, "--per-request", "100"), NULL, 10);
	const char *corpus = flag(argc, argv, "--corpus", NULL);
	g.prose_scale = strtod(flag(argc, argv, "--prose-scale", "1"), NULL);
	g.now_ns = strtoull(flag(argc, argv, "--now-ns", "0"), NULL, 10);
	const char *order = flag(argc, argv, "--order", "random");
	g.time_order = strcmp(order, "time") == 0;
	if (!g.url || (!g.time_order && strcmp(order, "random") != 0) || spans == 0 || g.threads < 1 ||
	    g.threads > 64 || g.per_request == 0 || !(g.prose_scale > 0) ||
	    (strcmp(format, "json") != 0 && strcmp(format, "protobuf") != 0 && strcmp(format, "grpc") != 0 &&
	     strcmp(format, "clickhouse") != 0)) {
		fputs("usage: loadgen ingest --url URL --spans N [--format json|protobuf|grpc|clickhouse]\n"
		      "                      [--first-trace K] [--seed S] [--threads T] [--per-request P]\n"
		      "                      [--now-ns NS] [--corpus FILE [--prose-scale X]] [--order random|time]\n",
		      stderr);
		return 2;
	}
	struct prose *prose = NULL;
	if (corpus) {
		char err[512];
		if (!(prose = prose_load(corpus, err, sizeof err))) {
			fprintf(stderr, "loadgen: %s\n", err);
			return 2;
		}
		g.prose = prose;
	}
	g.grpc = strcmp(format, "grpc") == 0;
	g.clickhouse = strcmp(format, "clickhouse") == 0;
	g.protobuf = g.grpc || strcmp(format, "protobuf") == 0;
	g.ctype = g.protobuf ? "application/x-protobuf" : g.clickhouse ? "application/x-ndjson" : "application/json";
	if (!g.now_ns)
		g.now_ns = text_now_ns();
	pthread_mutex_init(&g.lock, NULL);

	/* size requests from a sample: traces average ~6 spans */
	struct arena *a = arena_new();
	Tl__ExportTraceServiceRequest sample = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	size_t sample_spans = 0;
	for (size_t t = 0; t < 200; t++)
		sample_spans += demo_generate(g.seed, g.first_trace + t, g.now_ns, 7, a, &sample);
	arena_free(a);
	size_t traces_per_body = (g.per_request * 200 + sample_spans / 2) / sample_spans;
	if (traces_per_body == 0)
		traces_per_body = 1;
	g.ntraces = (spans * 200 + sample_spans / 2) / sample_spans;
	if (g.ntraces == 0)
		g.ntraces = 1;
	g.nbodies = (g.ntraces + traces_per_body - 1) / traces_per_body;
	g.bodies = calloc(g.nbodies, sizeof *g.bodies);
	g.latency_ms = calloc(g.nbodies, sizeof *g.latency_ms);
	if (!g.bodies || !g.latency_ms)
		abort();

	double t0 = now_s();
	enum { GEN_THREADS = 4 };
	pthread_t th[64];
	struct gen_job jobs[GEN_THREADS];
	for (int i = 0; i < GEN_THREADS; i++) {
		jobs[i] = (struct gen_job){&g, (size_t)i, GEN_THREADS, traces_per_body};
		pthread_create(&th[i], NULL, gen_thread, &jobs[i]);
	}
	for (int i = 0; i < GEN_THREADS; i++)
		pthread_join(th[i], NULL);
	size_t total_spans = 0, total_bytes = 0;
	for (size_t i = 0; i < g.nbodies; i++) {
		total_spans += g.bodies[i].spans;
		total_bytes += g.bodies[i].len;
	}
	fprintf(stderr, "loadgen: generated %zu %s requests, %zu spans, %.1f MB in %.1f s\n", g.nbodies, format,
	        total_spans, (double)total_bytes / 1e6, now_s() - t0);

	mg_init_library(0);
	t0 = now_s();
	for (int i = 0; i < g.threads; i++)
		pthread_create(&th[i], NULL, send_thread, &g);
	for (int i = 0; i < g.threads; i++)
		pthread_join(th[i], NULL);
	double secs = now_s() - t0;
	mg_exit_library();

	size_t sent = atomic_load(&g.next) < g.nbodies ? atomic_load(&g.next) : g.nbodies;
	qsort(g.latency_ms, sent, sizeof *g.latency_ms, cmp_double);
	size_t ok = atomic_load(&g.ok_spans);
	printf("%s requests: %zu of ~%zu spans each, %d client threads\n", format, sent,
	       total_spans / g.nbodies, g.threads);
	printf("%s spans/s: %.0f\n", format, secs > 0 ? (double)ok / secs : 0.0);
	printf("%s MB/s: %.1f\n", format, secs > 0 ? (double)total_bytes * ok / total_spans / secs / 1e6 : 0.0);
	printf("%s request latency p50 ms: %.1f\n", format, quantile(g.latency_ms, sent, 0.50));
	printf("%s request latency p99 ms: %.1f\n", format, quantile(g.latency_ms, sent, 0.99));
	const char *raw = g.clickhouse ? "JSONEachRow" : "OTLP";
	printf("%s raw %s bytes per span: %.0f\n", format, raw, (double)total_bytes / (double)total_spans);
	printf("%s spans stored: %zu\n", format, ok);
	printf("%s raw %s bytes stored: %.0f\n", format, raw, (double)total_bytes * ok / total_spans);
	printf("%s retries (%s): %u\n", format, g.grpc ? "UNAVAILABLE" : "429/503", atomic_load(&g.retries));
	printf("%s seconds: %.2f\n", format, secs);
	if (sent)
		printf("sample ids: %s %s\n", g.bodies[sent - 1].trace_id, g.bodies[sent - 1].span_id);
	size_t failures = atomic_load(&g.failures);
	if (failures)
		printf("%s failed requests: %zu (first: %s)\n", format, failures, g.err);
	for (size_t i = 0; i < g.nbodies; i++)
		free(g.bodies[i].data);
	free(g.bodies);
	free(g.latency_ms);
	prose_free(prose);
	pthread_mutex_destroy(&g.lock);
	return failures ? 1 : 0;
}

/* GETs path on a fresh connection and reads the whole answer. Returns the
 * status (or -1) and the body size in *bytes. */
static int get_once(const char *host, int port, const char *path, size_t *bytes)
{
	char ebuf[256];
	struct mg_connection *c = mg_download(host, port, 0, ebuf, sizeof ebuf,
	                                      "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n",
	                                      path, host, port);
	if (!c)
		return -1;
	const struct mg_response_info *ri = mg_get_response_info(c);
	int status = ri ? ri->status_code : -1;
	char buf[65536];
	*bytes = 0;
	for (int n; (n = mg_read(c, buf, sizeof buf)) > 0;)
		*bytes += (size_t)n;
	mg_close_connection(c);
	return status;
}

/* Times GET path runs times; prints the median with label (the path when
 * NULL). Returns the last status. */
static int time_path(const char *host, int port, const char *path, const char *label, int runs, double *ms)
{
	int status = 0;
	size_t bytes = 0;
	for (int r = 0; r < runs; r++) {
		double t0 = now_s();
		status = get_once(host, port, path, &bytes);
		ms[r] = (now_s() - t0) * 1000.0;
	}
	qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
	printf("GET %s median ms: %.2f (status %d, %zu bytes, %d runs)\n", label ? label : path,
	       quantile(ms, (size_t)runs, 0.5), status, bytes, runs);
	return status;
}

static int parse_url(const char *url, char *host, int *port)
{
	return url && sscanf(url, "http://%127[^:/]:%d", host, port) == 2 ? 0 : -1;
}

static int query_main(int argc, char **argv)
{
	const char *url = flag(argc, argv, "--url", NULL);
	const char *trace = flag(argc, argv, "--trace-id", NULL), *span = flag(argc, argv, "--span-id", NULL);
	int runs = (int)strtol(flag(argc, argv, "--runs", "20"), NULL, 10);
	char host[128];
	int port;
	if (!trace || !span || runs < 1 || runs > 1000 || parse_url(url, host, &port)) {
		fputs("usage: loadgen query --url http://HOST:PORT --trace-id HEX --span-id HEX [--runs N]\n", stderr);
		return 2;
	}
	char paths[6][256];
	snprintf(paths[0], sizeof paths[0], "/api/traces");
	snprintf(paths[1], sizeof paths[1], "/api/traces/%s", trace);
	snprintf(paths[2], sizeof paths[2], "/api/spans/%s", span);
	snprintf(paths[3], sizeof paths[3], "/api/scores?trace_id=%s", trace);
	snprintf(paths[4], sizeof paths[4], "/api/projects");
	snprintf(paths[5], sizeof paths[5], "/api/health");
	static const char *const names[6] = {
		"/api/traces", "/api/traces/{id}", "/api/spans/{id}", "/api/scores?trace_id=", "/api/projects", "/api/health",
	};
	mg_init_library(0);
	double *ms = calloc((size_t)runs, sizeof *ms);
	int bad = 0;
	for (int p = 0; p < 6; p++)
		bad |= time_path(host, port, paths[p], names[p], runs, ms) != 200;
	free(ms);
	mg_exit_library();
	return bad;
}

/* loadgen time --url URL [--runs N] PATH...: the median of each path. */
static int time_main(int argc, char **argv)
{
	const char *url = flag(argc, argv, "--url", NULL);
	int runs = (int)strtol(flag(argc, argv, "--runs", "20"), NULL, 10);
	char host[128];
	int port, bad = 0;
	if (runs < 1 || runs > 1000 || parse_url(url, host, &port)) {
		fputs("usage: loadgen time --url http://HOST:PORT [--runs N] PATH...\n", stderr);
		return 2;
	}
	mg_init_library(0);
	double *ms = calloc((size_t)runs, sizeof *ms);
	for (int i = 2; i < argc; i++) {
		if (argv[i][0] == '-') {
			i++; /* a flag and its value */
			continue;
		}
		bad |= time_path(host, port, argv[i], NULL, runs, ms) != 200;
	}
	free(ms);
	mg_exit_library();
	return bad;
}

static int freeport_main(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		perror("loadgen freeport");
		return 1;
	}
	printf("%u\n", ntohs(sa.sin_port));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "ingest") == 0)
		return ingest_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "query") == 0)
		return query_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "time") == 0)
		return time_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "freeport") == 0)
		return freeport_main();
	fputs("usage: loadgen ingest|query|time|freeport ... (see tests/bench/loadgen.c)\n", stderr);
	return 2;
}
