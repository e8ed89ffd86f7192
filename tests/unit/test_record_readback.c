/* test_record_readback.c: record_pack's read-back check (every packed span
 * is unpacked as the read path does before the batch is acknowledged): a
 * span whose record does not read back is refused, naming it; spans larger
 * than the check's reusable scratch buffer, and small ones after them, pack
 * and read back field by field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "otlp/input_limits.h"
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
	Tl__KeyValue *kv = b->spans[2].otlp->attributes[0];
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
	struct record_batch rec;
	int rc = record_pack(b, NULL, &rec, err, sizeof err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "does not read back") && strstr(err, "span 0000000000000003"),
	      "refused, naming the span: %d %s", rc, err);
	span_batch_free(b);
	free(body);
}

int main(void)
{
	packs_and_reads_back();
	refuses_unreadable();
	return test_done();
}
