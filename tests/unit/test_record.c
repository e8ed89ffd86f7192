/* test_record.c: a poison record already on disk (a span nested 60 deep,
 * stored before ingest refused such input) is skipped with an error by
 * every read of it, on a worker-sized stack, instead of crashing the
 * server on every read after every restart. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>
#include "base/arena.h"
#include "base/err.h"
#include "base/json.h"
#include "ingest/ingest.h"
#include "query/query.h"
#include "store/record.h"
#include "store/store.h"
#include "test.h"
#include "store/writer.h"
#include "ingest/batch.h"

#define TRACE "5b8efff798038103d269b633813fc60c"

struct bytes {
	uint8_t data[4096];
	size_t len;
};

static void put_varint(struct bytes *b, uint64_t v)
{
	while (v >= 0x80) {
		b->data[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t)v;
}

/* b = tag, len(inner), inner */
static void wrap(struct bytes *b, uint8_t tag, const struct bytes *inner)
{
	b->len = 0;
	b->data[b->len++] = tag;
	put_varint(b, inner->len);
	memcpy(b->data + b->len, inner->data, inner->len);
	b->len += inner->len;
}

/* A packed Span of trace TRACE, span span_hex, with an attribute whose
 * value is arrays nested depth deep, written on the wire by hand (protobuf-c
 * would pack it, but not this test's point). */
static void deep_span(struct bytes *out, const char *span_hex, int depth)
{
	struct bytes v = {.data = {0x0a, 0x01, 'x'}, .len = 3}, t;   /* AnyValue{string "x"} */
	for (int i = 1; i < depth; i++) {
		wrap(&t, 0x0a, &v);    /* ArrayValue{values: v} */
		wrap(&v, 0x2a, &t);    /* AnyValue{array_value: ...} */
	}
	struct bytes kv = {.data = {0x0a, 0x01, 'k'}, .len = 3};       /* KeyValue{key "k", value v} */
	wrap(&t, 0x12, &v);
	memcpy(kv.data + kv.len, t.data, t.len);
	kv.len += t.len;
	out->len = 0;
	uint8_t id[16];
	id_from_hex(TRACE, id, 16);
	out->data[out->len++] = 0x0a;
	out->data[out->len++] = 16;
	memcpy(out->data + out->len, id, 16);
	out->len += 16;
	id_from_hex(span_hex, id, 8);
	out->data[out->len++] = 0x12;
	out->data[out->len++] = 8;
	memcpy(out->data + out->len, id, 8);
	out->len += 8;
	wrap(&t, 0x4a, &kv);   /* attributes */
	memcpy(out->data + out->len, t.data, t.len);
	out->len += t.len;
}

static void ingest_span(struct writer *w, const char *span_hex)
{
	char body[1024], err[512];
	snprintf(body, sizeof body,
	         "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" TRACE "\",\"spanId\":\"%s\","
	         "\"name\":\"s\",\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000001000000000\"}]}]}]}",
	         span_hex);
	struct span_batch *b = span_batch_new(NULL);
	int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, body, strlen(body), b, NULL, err, sizeof err);
	if (!rc)
		rc = writer_submit(w, b, err, sizeof err);
	CHECK(rc == ERR_OK, "ingest %s: %s", span_hex, err);
	span_batch_free(b);
}

/* Replaces the chunk holding span_hex with one holding the poison record. */
static void poison(const char *dir, const char *span_hex)
{
	sqlite3 *db;
	char err[512];
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "open: %s", err);
	struct bytes span, entry = {.len = 0};
	deep_span(&span, span_hex, 60);
	put_varint(&entry, span.len);
	memcpy(entry.data + entry.len, span.data, span.len);
	entry.len += span.len;
	uint8_t z[8192];
	size_t zlen = ZSTD_compress(z, sizeof z, entry.data, entry.len, 3);
	uint8_t id[8];
	id_from_hex(span_hex, id, 8);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "UPDATE chunks SET data = ? WHERE id = (SELECT chunk FROM spans WHERE span_id = ?)", -1, &st,
	                   NULL);
	sqlite3_bind_blob(st, 1, z, (int)zlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, id, 8, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1, "update: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

struct reads {
	sqlite3 *db;
	int trace_rc, span_rc, otlp_rc;
	int spans, errors;
	char *otlp;
	size_t otlp_len;
};

/* A query_sink that keeps the streamed answer. */
static void sink_begin(void *ctx)
{
	(void)ctx;
}

static int sink_write(void *ctx, const char *p, size_t n)
{
	jbuf_put(ctx, p, n);
	return ERR_OK;
}

/* What GET /api/traces/{id}, /api/spans/{id} and ?format=otlp do. */
static void read_all(void *arg)
{
	struct reads *r = arg;
	uint8_t tid[16], sid[8];
	id_from_hex(TRACE, tid, 16);
	id_from_hex("00000000000000b2", sid, 8);
	struct span_page page = {0, QUERY_TRACE_MAX_SPANS};
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	struct query_sink sink = {sink_begin, sink_write, &b};
	int begun;
	r->trace_rc = query_trace_write(r->db, tid, page, &sink, &begun);
	char *answer = jbuf_finish(&b, NULL);
	cJSON *o = cJSON_Parse(answer);
	free(answer);
	const cJSON *s;
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(o, "spans")) {
		r->spans++;
		r->errors += cJSON_GetObjectItem(s, "error") != NULL;
	}
	char *text = cJSON_PrintUnformatted(o);
	free(text);
	cJSON_Delete(o);
	o = NULL;
	r->span_rc = query_span(r->db, sid, &o);
	r->errors += o && cJSON_GetObjectItem(o, "error") != NULL;
	cJSON_Delete(o);
	long long next;
	r->otlp_rc = query_trace_otlp(r->db, tid, page, &r->otlp, &r->otlp_len, &next);
}

int main(void)
{
	char dir[] = "/tmp/tl-test-record-XXXXXX", err[512];
	if (!mkdtemp(dir))
		abort();
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	ingest_span(w, "00000000000000a1");
	ingest_span(w, "00000000000000b2");
	writer_stop(w);
	poison(dir, "00000000000000b2");

	struct reads r = {0};
	CHECK(store_open_reader(dir, &r.db, err, sizeof err) == ERR_OK, "reader: %s", err);
	test_on_worker_stack(read_all, &r);
	CHECK(r.trace_rc == ERR_OK && r.spans == 2, "trace: rc %d, %d spans", r.trace_rc, r.spans);
	CHECK(r.span_rc == ERR_OK && r.errors == 2, "the poison span is listed with an error (%d errors)", r.errors);
	CHECK(r.otlp_rc == ERR_OK && r.otlp && strstr(r.otlp, "\"spanId\":\"00000000000000a1\"") &&
	          !strstr(r.otlp, "00000000000000b2"),
	      "otlp: rc %d: %.200s", r.otlp_rc, r.otlp ? r.otlp : "");
	free(r.otlp);
	sqlite3_close(r.db);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		return 2;
	return test_done();
}
