/* test_record_readback.c: record_pack's read-back check (every packed span
 * is unpacked as the read path does before the batch is acknowledged): a
 * span whose record does not read back is refused, naming it (too deep, or
 * keeping an unknown field protobuf-c does not read back, wherever it is:
 * only such spans are read back); spans larger
 * than the check's reusable scratch buffer, and small ones after them, pack
 * and read back field by field; resource and scope blobs keep their
 * SHA-256 of exactly their bytes whether or not record_pack's cache of
 * recent blobs knew them (many distinct ones, repeats, evictions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/mbed.h"
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "otlp/input_limits.h"
#include "otlp/otlp_build.h"
#include "store/record.h"
#include "test.h"

#define TRACE "0123456789abcdef0123456789abcdef"
#define BIG_ATTRS 24
#define BIG_VALUE 6000   /* 24 x 6000 bytes: well past the 64 KB scratch start */

/* A JSON request of n spans of TRACE; span 1 (when n > 1) carries BIG_ATTRS
 * attributes of BIG_VALUE bytes each, the others one short attribute. */
static char *request(int n)
{
	size_t cap = (size_t)BIG_ATTRS * (BIG_VALUE + 64) + (size_t)n * 512 + 256;
	char *body = malloc(cap), *p = body;
	char *big = malloc(BIG_VALUE + 1);
	if (!body || !big)
		abort();
	memset(big, 'x', BIG_VALUE);
	big[BIG_VALUE] = 0;
	p += sprintf(p, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[");
	for (int i = 0; i < n; i++) {
		p += sprintf(p, "%s{\"traceId\":\"" TRACE "\",\"spanId\":\"%016x\",\"name\":\"s%d\","
		             "\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000001000000000\","
		             "\"attributes\":[",
		             i ? "," : "", i + 1, i);
		if (i == 1)
			for (int k = 0; k < BIG_ATTRS; k++)
				p += sprintf(p, "%s{\"key\":\"big%d\",\"value\":{\"stringValue\":\"%c%s\"}}", k ? "," : "", k,
				             'a' + k, big + 1);
		else
			p += sprintf(p, "{\"key\":\"k\",\"value\":{\"intValue\":%d}}", i);
		p += sprintf(p, "]}");
	}
	p += sprintf(p, "]}]}]}");
	free(big);
	return body;
}

static struct span_batch *decode(const char *body)
{
	char err[512];
	struct span_batch *b = span_batch_new(NULL);
	int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, body, strlen(body), b, NULL, err, sizeof err);
	CHECK(rc == ERR_OK, "decode: %s", err);
	return b;
}

/* Wraps kv's value in arrays past SPAN_MAX_DEPTH (in b's arena), where no
 * decoder would let it: its record packs, but the read path refuses it. */
static void deepen(struct span_batch *b, Tl__KeyValue *kv)
{
	Tl__AnyValue *v = kv->value;
	for (int d = 0; d < SPAN_MAX_DEPTH + 2; d++) {
		Tl__ArrayValue *arr = arena_alloc(b->arena, sizeof *arr);
		Tl__AnyValue *outer = arena_alloc(b->arena, sizeof *outer), **vals = arena_alloc(b->arena, sizeof *vals);
		tl__array_value__init(arr);
		tl__any_value__init(outer);
		vals[0] = v;
		arr->n_values = 1;
		arr->values = vals;
		outer->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
		outer->array_value = arr;
		v = outer;
	}
	kv->value = v;
}

/* Every span of b packs and reads back with its attributes as sent. */
static void packs_and_reads_back(void)
{
	char *body = request(4), err[512];
	struct span_batch *b = decode(body);
	struct record_batch rec;
	CHECK(b->nspans == 4 && record_pack(b, NULL, &rec, err, sizeof err) == ERR_OK, "pack: %s", err);
	struct arena *a = arena_new();
	size_t count = 0, *lens;
	const uint8_t **spans, *fields;
	CHECK(rec.nchunks == 1 &&
	          record_chunk_entries(rec.chunks[0].data, rec.chunks[0].len, a, &count, &spans, &lens, &fields) ==
	              ERR_OK &&
	          count == 4,
	      "one chunk of 4 entries (%zu)", count);
	for (size_t i = 0; i < count; i++) {
		const struct span *s = &b->spans[rec.order[i]];
		struct record_row row;
		record_row_from_span(s, &row);
		Tl__Span *sp = record_span_unpack_row(spans[i], lens[i], fields[i], &row, a);
		CHECK(sp && sp->n_attributes == s->otlp->n_attributes, "entry %zu reads back", i);
		for (size_t k = 0; sp && k < sp->n_attributes && k < s->otlp->n_attributes; k++) {
			const Tl__AnyValue *got = sp->attributes[k]->value, *want = s->otlp->attributes[k]->value;
			int same = !strcmp(sp->attributes[k]->key, s->otlp->attributes[k]->key) &&
			           got->value_case == want->value_case &&
			           (got->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE
			                ? !strcmp(got->string_value, want->string_value)
			                : got->int_value == want->int_value);
			CHECK(same, "entry %zu attribute %zu as sent", i, k);
		}
	}
	arena_free(a);
	span_batch_free(b);
	free(body);
}

/* A span whose record packs but is refused by the read path (an AnyValue
 * nested deeper than SPAN_MAX_DEPTH, put there past the decoder) is refused
 * by record_pack: losing the check would acknowledge it. */
static void refuses_unreadable(void)
{
	char *body = request(3), err[512] = "";
	struct span_batch *b = decode(body);
	deepen(b, b->spans[2].otlp->attributes[0]);
	struct record_batch rec;
	int rc = record_pack(b, NULL, &rec, err, sizeof err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "does not read back") && strstr(err, "span 0000000000000003"),
	      "refused, naming the span: %d %s", rc, err);
	span_batch_free(b);
	free(body);
}

/* Gives m one unknown field protobuf-c packs but does not unpack: field
 * number 0 (protobuf-c keeps such a field when its tag came in a longer
 * form, docs/fuzzing.md, and writes it back as 0x00). */
static void unknown_in(ProtobufCMessage *m, struct arena *a)
{
	ProtobufCMessageUnknownField *u = arena_alloc(a, sizeof *u);
	uint8_t *one = arena_alloc(a, 1);
	*one = 1;
	*u = (ProtobufCMessageUnknownField){.tag = 0, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 1, .data = one};
	m->n_unknown_fields = 1;
	m->unknown_fields = u;
}

/* A value v in b's arena: a one-element array or kvlist around inner. */
static Tl__AnyValue *wrapped(struct arena *a, int kvlist, Tl__AnyValue *inner, ProtobufCMessage **container)
{
	Tl__AnyValue *v = otlp_any_new(a);
	if (kvlist) {
		Tl__KeyValueList *l = arena_alloc(a, sizeof *l);
		tl__key_value_list__init(l);
		otlp_push(a, &l->values, &l->n_values, otlp_kv_new(a, "m", inner));
		v->value_case = TL__ANY_VALUE__VALUE_KVLIST_VALUE;
		v->kvlist_value = l;
		*container = &l->base;
	} else {
		Tl__ArrayValue *l = arena_alloc(a, sizeof *l);
		tl__array_value__init(l);
		otlp_push(a, &l->values, &l->n_values, inner);
		v->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
		v->array_value = l;
		*container = &l->base;
	}
	return v;
}

/* A span keeping an unknown field that does not read back, wherever in the
 * span it is (the span, its status, an event, a link, an attribute, a value
 * inside a kvlist or an array, the list itself), is refused: record_pack
 * reads back every span keeping unknown fields, and only those. */
static void refuses_unknown_fields(void)
{
	static const char *const places[] = {"span", "status", "event", "link", "attribute", "kvlist member value",
	                                     "kvlist", "array element", "array"};
	for (size_t k = 0; k < sizeof places / sizeof *places; k++) {
		char *body = request(3), err[512] = "";
		struct span_batch *b = decode(body);
		struct arena *a = b->arena;
		Tl__Span *sp = (Tl__Span *)b->spans[2].otlp;   /* the batch's own, in its arena */
		ProtobufCMessage *container = NULL;
		Tl__AnyValue *inner = otlp_any_new(a);
		inner->value_case = TL__ANY_VALUE__VALUE_INT_VALUE;
		inner->int_value = 7;
		switch (k) {
		case 0: unknown_in(&sp->base, a); break;
		case 1:
			sp->status = arena_alloc(a, sizeof *sp->status);
			tl__status__init(sp->status);
			unknown_in(&sp->status->base, a);
			break;
		case 2: {
			Tl__Span__Event *e = arena_alloc(a, sizeof *e);
			tl__span__event__init(e);
			otlp_attr_str(a, &e->attributes, &e->n_attributes, "k", "v");
			otlp_push(a, &sp->events, &sp->n_events, e);
			unknown_in(&e->base, a);
			break;
		}
		case 3: {
			Tl__Span__Link *l = arena_alloc(a, sizeof *l);
			tl__span__link__init(l);
			otlp_push(a, &sp->links, &sp->n_links, l);
			unknown_in(&l->base, a);
			break;
		}
		case 4: unknown_in(&sp->attributes[0]->base, a); break;
		default:
			sp->attributes[0]->value = wrapped(a, k < 7, inner, &container);
			unknown_in(k == 5 || k == 7 ? &inner->base : container, a);
		}
		struct record_batch rec;
		int rc = record_pack(b, NULL, &rec, err, sizeof err);
		CHECK(rc == ERR_BAD_INPUT && strstr(err, "does not read back") && strstr(err, "span 0000000000000003"),
		      "an unknown field in the %s: refused, naming the span: %d %s", places[k], rc, err);
		span_batch_free(b);
		free(body);
	}
}

/* A request of one span whose resource is service s<n>. */
static struct span_batch *with_resource(int n)
{
	char body[1024];
	snprintf(body, sizeof body,
	         "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
	         "{\"stringValue\":\"s%d\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"lib%d\"},\"spans\":[{"
	         "\"traceId\":\"" TRACE "\",\"spanId\":\"%016x\",\"name\":\"x\",\"startTimeUnixNano\":\"1\","
	         "\"endTimeUnixNano\":\"2\"}]}]}]}",
	         n, n % 7, n + 1);
	return decode(body);
}

/* Every blob's hash is the SHA-256 of its bytes, the resource's names it. */
static void blob_hashes(void)
{
	int bad = 0, seen = 0;
	for (int round = 0; round < 3; round++)
		for (int n = 0; n < 300; n += round + 1) {
			char err[512];
			struct span_batch *b = with_resource(n);
			struct record_batch rec;
			if (b->nspans != 1 || record_pack(b, NULL, &rec, err, sizeof err) || rec.nblobs != 2) {
				bad++;
				span_batch_free(b);
				continue;
			}
			for (size_t i = 0; i < rec.nblobs; i++) {
				uint8_t want[32];
				mbedtls_sha256_ret(rec.blobs[i].data, rec.blobs[i].len, want, 0);
				bad += memcmp(want, rec.blobs[i].hash, 32) != 0;
				seen++;
			}
			struct arena *a = arena_new();
			Tl__ResourceSpans *rs = record_resource_unpack(rec.blobs[rec.resource[0]].data,
			                                               rec.blobs[rec.resource[0]].len, a);
			char want[16];
			snprintf(want, sizeof want, "s%d", n);
			bad += !rs || !rs->resource || rs->resource->n_attributes != 1 ||
			       strcmp(rs->resource->attributes[0]->value->string_value, want) != 0;
			arena_free(a);
			span_batch_free(b);
		}
	CHECK(bad == 0 && seen > 1000, "%d of %d blobs wrong", bad, seen);
}

/* A resource that does not read back is refused (never taken from the blob
 * cache): the same resource read back fine first, then made too deep. */
static void refuses_unreadable_resource(void)
{
	char err[512] = "";
	struct record_batch rec;
	struct span_batch *b = with_resource(5);
	CHECK(record_pack(b, NULL, &rec, err, sizeof err) == ERR_OK, "s5 packs: %s", err);
	span_batch_free(b);
	b = with_resource(5);
	deepen(b, ((Tl__Resource *)b->spans[0].resource)->attributes[0]);
	int rc = record_pack(b, NULL, &rec, err, sizeof err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "does not read back"), "deep resource refused: %d %s", rc, err);
	span_batch_free(b);
}

int main(void)
{
	packs_and_reads_back();
	refuses_unreadable();
	refuses_unknown_fields();
	blob_hashes();
	refuses_unreadable_resource();
	return test_done();
}
