/* test_pbcheck.c: the protobuf guard refuses what would crash protobuf-c on
 * a worker's stack or not round-trip (field 0, groups, truncation, nesting),
 * names the path, and lets the deepest valid request through: that one
 * decodes, stores and reads back on a civetweb-sized stack. */
#include <stdint.h>
#include "base/arena.h"
#include "base/err.h"
#include "ingest/ingest.h"
#include "otlp/otlp_build.h"
#include "otlp/pbcheck.h"
#include "store/record.h"
#include "test.h"
#include "ingest/batch.h"

/* An attribute value nested depth AnyValues deep, alternating array and
 * kvlist (kvlist costs the most stack per level). */
static Tl__AnyValue *nested_value(struct arena *a, int depth)
{
	Tl__AnyValue *v = otlp_any_new(a);
	if (depth <= 1) {
		v->value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
		v->string_value = "bottom";
		return v;
	}
	Tl__AnyValue *inner = nested_value(a, depth - 1);
	if (depth % 2) {
		Tl__ArrayValue *arr = arena_alloc(a, sizeof *arr);
		tl__array_value__init(arr);
		otlp_push(a, &arr->values, &arr->n_values, inner);
		v->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
		v->array_value = arr;
	} else {
		Tl__KeyValueList *l = arena_alloc(a, sizeof *l);
		tl__key_value_list__init(l);
		otlp_push(a, &l->values, &l->n_values, otlp_kv_new(a, "k", inner));
		v->value_case = TL__ANY_VALUE__VALUE_KVLIST_VALUE;
		v->kvlist_value = l;
	}
	return v;
}

static uint8_t trace_id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static uint8_t span_id[8] = {1, 2, 3, 4, 5, 6, 7, 8};

/* A packed request of one span: a plain attribute, then one in an event
 * nested depth deep; extra bytes (e.g. an unknown field) appended to the
 * span. */
static uint8_t *request(struct arena *a, int depth, const uint8_t *extra, size_t nextra, size_t *len)
{
	Tl__Span *sp = arena_alloc(a, sizeof *sp);
	tl__span__init(sp);
	sp->trace_id = (ProtobufCBinaryData){16, trace_id};
	sp->span_id = (ProtobufCBinaryData){8, span_id};
	sp->name = "deep";
	sp->start_time_unix_nano = 1700000000000000000ull;
	sp->end_time_unix_nano = 1700000001000000000ull;
	Tl__KeyValue *kv = arena_alloc(a, sizeof *kv);
	tl__key_value__init(kv);
	kv->key = "deep";
	kv->value = nested_value(a, depth);
	Tl__Span__Event *ev = arena_alloc(a, sizeof *ev);
	tl__span__event__init(ev);
	ev->name = "e";
	ev->n_attributes = 1;
	ev->attributes = arena_alloc(a, sizeof *ev->attributes);
	ev->attributes[0] = kv;
	sp->n_events = 1;
	sp->events = arena_alloc(a, sizeof *sp->events);
	sp->events[0] = ev;
	/* the span, packed by hand so extra bytes can be appended to it */
	size_t slen = tl__span__get_packed_size(sp);
	uint8_t *span = arena_alloc(a, slen + nextra);
	tl__span__pack(sp, span);
	if (nextra)
		memcpy(span + slen, extra, nextra);
	slen += nextra;
	/* ExportTraceServiceRequest{1: ResourceSpans{2: ScopeSpans{2: span}}} */
	uint8_t *out = arena_alloc(a, slen + 32), *p = out;
	size_t ss_len = 1 + (slen < 128 ? 1 : 2) + slen, rs_len = 1 + (ss_len < 128 ? 1 : 2) + ss_len;
	size_t lens[3] = {rs_len, ss_len, slen};
	uint8_t tags[3] = {0x0a, 0x12, 0x12};
	for (int i = 0; i < 3; i++) {
		*p++ = tags[i];
		if (lens[i] < 128) {
			*p++ = (uint8_t)lens[i];
		} else {
			*p++ = (uint8_t)(lens[i] | 0x80);
			*p++ = (uint8_t)(lens[i] >> 7);
		}
	}
	memcpy(p, span, slen);
	*len = (size_t)(p - out) + slen;
	return out;
}

static void expect(const char *what, const void *data, size_t len, int want, const char *substring)
{
	char err[512] = "";
	int rc = pbcheck(&tl__export_trace_service_request__descriptor, data, len, err, sizeof err);
	CHECK(rc == want, "%s: rc %d, expected %d (%s)", what, rc, want, err);
	if (substring)
		CHECK(strstr(err, substring) != NULL, "%s: error \"%s\" lacks \"%s\"", what, err, substring);
}

static void test_refusals(void)
{
	struct arena *a = arena_new();
	size_t len;
	uint8_t *ok = request(a, 2, NULL, 0, &len);
	expect("plain request", ok, len, ERR_OK, NULL);
	expect("empty request", ok, 0, ERR_OK, NULL);
	expect("truncated", ok, len - 3, ERR_BAD_INPUT, "truncated");
	const uint8_t field0_long[] = {0x85, 0x00, 1, 2, 3, 4};   /* non-minimal tag of field 0 */
	uint8_t *r = request(a, 2, field0_long, sizeof field0_long, &len);
	expect("field 0 as 85 00", r, len, ERR_BAD_INPUT, "resource_spans[0].scope_spans[0].spans[0]: invalid field number 0");
	const uint8_t group[] = {0xa3, 0x06};                      /* field 100, start group */
	r = request(a, 2, group, sizeof group, &len);
	expect("group", r, len, ERR_BAD_INPUT, "unsupported wire type 3");
	const uint8_t unknown[] = {0xa0, 0x06, 0x2a};              /* field 100 = 42: kept, round-trips */
	r = request(a, 2, unknown, sizeof unknown, &len);
	expect("unknown varint field", r, len, ERR_OK, NULL);
	const uint8_t long_varint[] = {0xa0, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	r = request(a, 2, long_varint, sizeof long_varint, &len);
	expect("11-byte varint", r, len, ERR_BAD_INPUT, "field 100: truncated");
	const uint8_t huge_len[] = {0xa2, 0x06, 0xff, 0xff, 0xff, 0xff, 0x0f};
	r = request(a, 2, huge_len, sizeof huge_len, &len);
	expect("length past the end", r, len, ERR_BAD_INPUT, "field 100: truncated");
	r = request(a, SPAN_MAX_DEPTH, NULL, 0, &len);
	expect("deepest allowed value", r, len, ERR_OK, NULL);
	r = request(a, SPAN_MAX_DEPTH + 1, NULL, 0, &len);
	expect("one level deeper", r, len, ERR_BAD_INPUT,
	       "resource_spans[0].scope_spans[0].spans[0].events[0].attributes[0].value: value nested deeper than 12 levels");
	r = request(a, 40, NULL, 0, &len);
	expect("40 deep", r, len, ERR_BAD_INPUT, "value nested deeper than 12 levels");
	arena_free(a);
}

struct roundtrip {
	const uint8_t *body;
	size_t len;
	int rc, rc_pack, readable;
	char err[512];
};

/* Decode, pack (which reads every record back) and read back: what a
 * handler does, here on a worker-sized stack. */
static void decode_pack_read(void *arg)
{
	struct roundtrip *t = arg;
	struct span_batch *b = span_batch_new(NULL);
	t->rc = ingest_decode(INGEST_OTLP, INGEST_PROTOBUF, NULL, t->body, t->len, b, NULL, t->err, sizeof t->err);
	if (!t->rc) {
		struct record_batch rec;
		t->rc_pack = record_pack(b, NULL, &rec, t->err, sizeof t->err);
		const uint8_t **spans, *fields;
		size_t *lens;
		struct arena *a = arena_new();
		size_t n = 0;
		if (!t->rc_pack &&
		    record_chunk_entries(rec.chunks[0].data, rec.chunks[0].len, a, &n, &spans, &lens, &fields))
			n = 0;
		t->readable = n == 1 && record_span_unpack(spans[0], lens[0], a) != NULL;
		arena_free(a);
	}
	span_batch_free(b);
}

static void test_deepest_on_worker_stack(void)
{
	struct arena *a = arena_new();
	struct roundtrip t = {0};
	t.body = request(a, SPAN_MAX_DEPTH, NULL, 0, &t.len);
	test_on_worker_stack(decode_pack_read, &t);
	CHECK(t.rc == ERR_OK && t.rc_pack == ERR_OK && t.readable, "rc %d pack %d readable %d: %s", t.rc, t.rc_pack,
	      t.readable, t.err);
	/* 40 deep crashed protobuf_c_message_unpack on this stack before */
	struct roundtrip deep = {0};
	deep.body = request(a, 40, NULL, 0, &deep.len);
	test_on_worker_stack(decode_pack_read, &deep);
	CHECK(deep.rc == ERR_BAD_INPUT && strstr(deep.err, "invalid protobuf: resource_spans[0]"), "rc %d: %s", deep.rc,
	      deep.err);
	arena_free(a);
}

int main(void)
{
	test_refusals();
	test_deepest_on_worker_stack();
	return test_done();
}
