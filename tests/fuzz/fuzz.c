/* fuzz.c: the harnesses' shared steps (fuzz.h): a thread with a civetweb
 * worker's stack, and decode -> price -> pack -> read back -> render for
 * one request body, with every stored span required to come back. */
#include "fuzz.h"
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/err.h"
#include "ingest/genai.h"
#include "otlp/otlp_json_out.h"
#include "ingest/prices.h"
#include "store/record.h"
#include "ingest/batch.h"

struct worker_job {
	void (*fn)(void *);
	void *arg;
};

/* Called through a volatile pointer, so the compiler can neither shrink
 * the array it fills nor end its life before the job has run. */
static void *(*volatile fill)(void *, int, size_t) = memset;

static void *worker_main(void *p)
{
	struct worker_job *j = p;
	char server_frames[FUZZ_SERVER_FRAMES];
	fill(server_frames, 0, sizeof server_frames);
	j->fn(j->arg);
	fill(server_frames, 0, sizeof server_frames);
	return NULL;
}

void fuzz_on_worker_stack(void (*fn)(void *), void *arg)
{
	struct worker_job j = {fn, arg};
	pthread_attr_t attr;
	pthread_t t;
	if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, FUZZ_WORKER_STACK) ||
	    pthread_create(&t, &attr, worker_main, &j) || pthread_join(t, NULL))
		abort();
	pthread_attr_destroy(&attr);
}

/* One request body on its way through the store; see fuzz_ingest. */
struct ingest_job {
	enum ingest_route route;
	int encoding;
	const char *coding;
	const uint8_t *body;
	size_t size;
	struct span_batch *b;
	struct reqmem mem;
	struct record_batch rec;
	int rc;
};

static struct prices *builtin_prices;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* What the server does once at start that decoding depends on. */
static void init(void)
{
	char err[512];
	ingest_init();
	builtin_prices = prices_load(NULL, err, sizeof err);
	if (!builtin_prices) {
		fprintf(stderr, "fuzz: built-in prices: %s\n", err);
		abort();
	}
}

static _Noreturn void fail(const char *what, size_t span, const char *detail)
{
	fprintf(stderr, "fuzz: stored span %zu: %s%s%.1000s\n", span, what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* The HTTP worker's part: decode (with a request memory budget), price,
 * pack into chunks and blobs (record_pack refuses records that do not read
 * back; then nothing is stored, as in the server). */
static void decode_and_pack(void *p)
{
	struct ingest_job *j = p;
	char err[512];
	j->rc = ingest_decode(j->route, j->encoding, j->coding, j->body, j->size, j->b, &j->mem, err, sizeof err);
	if (j->rc != ERR_OK || !j->b->nspans)
		return;
	prices_apply(builtin_prices, j->b);
	j->rc = record_pack(j->b, NULL, &j->rec, err, sizeof err);
}

/* Blob index ix of rec unpacked as a resource or a scope; NULL for none. */
static void *blob_unpack(const struct record_batch *rec, uint32_t ix, int resource, size_t span, struct arena *a)
{
	if (ix == RECORD_NONE)
		return NULL;
	const struct record_blob *bl = &rec->blobs[ix];
	void *msg = resource ? (void *)record_resource_unpack(bl->data, bl->len, a)
	                     : (void *)record_scope_unpack(bl->data, bl->len, a);
	if (!msg)
		fail(resource ? "resource blob does not unpack" : "scope blob does not unpack", span, NULL);
	return msg;
}

/* What the read path makes of one stored span: the hot text fields again
 * (genai_normalize, as the span API does) and the OTLP/JSON export. */
static void render(const Tl__Span *sp, const Tl__ResourceSpans *stored_rs, const Tl__ScopeSpans *stored_ss,
                   size_t span, struct arena *a)
{
	struct span norm = {.otlp = sp, .resource = stored_rs ? stored_rs->resource : NULL};
	genai_normalize(&norm, a);

	Tl__ExportTraceServiceRequest req = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	Tl__ResourceSpans rs = TL__RESOURCE_SPANS__INIT, *rsp = &rs;
	Tl__ScopeSpans ss = TL__SCOPE_SPANS__INIT, *ssp = &ss;
	Tl__Span *spp = (Tl__Span *)sp;
	if (stored_rs) {
		rs.resource = stored_rs->resource;
		rs.schema_url = stored_rs->schema_url;
	}
	if (stored_ss) {
		ss.scope = stored_ss->scope;
		ss.schema_url = stored_ss->schema_url;
	}
	ss.spans = &spp;
	ss.n_spans = 1;
	rs.scope_spans = &ssp;
	rs.n_scope_spans = 1;
	req.resource_spans = &rsp;
	req.n_resource_spans = 1;
	size_t len;
	char *json = otlp_json_encode(&req, &len);
	cJSON *doc = cJSON_ParseWithLength(json, len);
	if (!doc)
		fail("OTLP/JSON rendering does not parse", span, json);
	cJSON_Delete(doc);
	free(json);
}

/* A query worker's part: every chunk, span and blob of j->rec read back. */
static void read_back(void *p)
{
	const struct ingest_job *j = p;
	const struct record_batch *rec = &j->rec;
	struct arena *a = arena_new();
	for (size_t c = 0; c < rec->nchunks; c++) {
		const struct record_chunk *ch = &rec->chunks[c];
		const uint8_t **entries, *fields;
		size_t *lens;
		size_t n = 0;
		if (record_chunk_entries(ch->data, ch->len, a, &n, &entries, &lens, &fields) || n != ch->count)
			fail("its chunk does not split into the entries packed", rec->order[ch->first], NULL);
		for (size_t k = 0; k < ch->count; k++) {
			size_t i = rec->order[ch->first + k];
			struct record_row row;   /* the row the writer stores, as spanview reads it */
			record_row_from_span(&j->b->spans[i], &row);
			const Tl__Span *sp = record_span_unpack_row(entries[k], lens[k], fields[k], &row, a);
			if (!sp)
				fail("record does not unpack", i, NULL);
			size_t want = tl__span__get_packed_size(j->b->spans[i].otlp), got = tl__span__get_packed_size(sp);
			uint8_t *w = arena_alloc(a, want + 1), *g = arena_alloc(a, got + 1);
			tl__span__pack(j->b->spans[i].otlp, w);
			tl__span__pack(sp, g);
			if (got != want || memcmp(g, w, want))
				fail("record does not read back as received", i, NULL);
			render(sp, blob_unpack(rec, rec->resource[i], 1, i, a), blob_unpack(rec, rec->scope[i], 0, i, a), i,
			       a);
		}
	}
	arena_free(a);
}

void fuzz_ingest(enum ingest_route route, int encoding, const char *content_coding, const uint8_t *body,
                 size_t size)
{
	fuzz_ingest_langfuse(route, encoding, content_coding, body, size, NULL);
}

void fuzz_ingest_langfuse(enum ingest_route route, int encoding, const char *content_coding, const uint8_t *body,
                          size_t size, struct langfuse_io *io)
{
	pthread_once(&init_once, init);
	struct ingest_job j = {.route = route, .encoding = encoding, .coding = content_coding, .body = body,
	                       .size = size, .b = span_batch_new(NULL)};
	j.b->langfuse = io;
	fuzz_on_worker_stack(decode_and_pack, &j);
	if (j.rc == ERR_OK && j.b->nspans)
		fuzz_on_worker_stack(read_back, &j);
	span_batch_free(j.b);
	reqmem_release(&j.mem);
}
