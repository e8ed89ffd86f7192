/* test_otlp_pb.c: the OTLP protobuf path, which is protobuf-c's unpack with
 * the arena allocator. Each fixture in tests/data/otlp_pb/ (written by gen.c
 * there) has a row below: valid ones are checked field by field, bad ones
 * must fail to unpack or, when protobuf accepts them (ids of the wrong
 * length, a logs export that happens to parse), be refused by
 * span_batch_add_request. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "ingest/span.h"
#include "test.h"
#include "ingest/batch.h"

#define DATA "tests/data/otlp_pb/"

typedef const Tl__ExportTraceServiceRequest Req;

static uint8_t *read_file(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, DATA "%s", name);
	return (uint8_t *)test_read_file(path, len);
}

/* What the ingest path does with a protobuf body. */
static Tl__ExportTraceServiceRequest *unpack(struct arena *a, const uint8_t *data, size_t len)
{
	ProtobufCAllocator pa;
	arena_protobuf_allocator(a, &pa);
	return tl__export_trace_service_request__unpack(&pa, len, data);
}

/* ---- field checks ---- */

/* Checks kv[i] is named key and returns its value, or NULL. */
static const Tl__AnyValue *kv_at(Tl__KeyValue *const *kv, size_t n, size_t i, const char *key)
{
	CHECK(i < n && strcmp(kv[i]->key, key) == 0, "entry %zu is not \"%s\"", i, key);
	return i < n ? kv[i]->value : NULL;
}

static const Tl__AnyValue *of_kind(const Tl__AnyValue *v, Tl__AnyValue__ValueCase kind)
{
	CHECK(v && v->value_case == kind, "value kind %d, expected %d", v ? (int)v->value_case : -1, (int)kind);
	return v && v->value_case == kind ? v : NULL;
}

static int is_str(const Tl__AnyValue *v, const char *s)
{
	return (v = of_kind(v, TL__ANY_VALUE__VALUE_STRING_VALUE)) && strcmp(v->string_value, s) == 0;
}

static int is_int(const Tl__AnyValue *v, int64_t i)
{
	return (v = of_kind(v, TL__ANY_VALUE__VALUE_INT_VALUE)) && v->int_value == i;
}

static int is_bytes(const Tl__AnyValue *v, const void *p, size_t n)
{
	return (v = of_kind(v, TL__ANY_VALUE__VALUE_BYTES_VALUE)) && v->bytes_value.len == n &&
	       memcmp(v->bytes_value.data, p, n) == 0;
}

static void check_full_attrs(const Tl__Span *sp)
{
	Tl__KeyValue *const *at = sp->attributes;
	size_t n = sp->n_attributes;
	const Tl__AnyValue *v;
	CHECK(n == 11, "%zu attributes", n);
	if (n != 11)
		return;
	CHECK(is_str(kv_at(at, n, 0, "str"), "h\xc3\xa9llo \"q\"\n"), "string");
	v = of_kind(kv_at(at, n, 1, "bool"), TL__ANY_VALUE__VALUE_BOOL_VALUE);
	CHECK(v && v->bool_value == 0, "bool");
	CHECK(is_int(kv_at(at, n, 2, "int.str"), INT64_MIN), "int64 min");
	CHECK(is_int(kv_at(at, n, 3, "int.num"), 42), "int");
	v = of_kind(kv_at(at, n, 4, "double"), TL__ANY_VALUE__VALUE_DOUBLE_VALUE);
	CHECK(v && v->double_value == 3.25, "double");
	v = of_kind(kv_at(at, n, 5, "double.ninf"), TL__ANY_VALUE__VALUE_DOUBLE_VALUE);
	CHECK(v && v->double_value == -INFINITY, "-Infinity");
	CHECK(is_bytes(kv_at(at, n, 6, "bytes"), "\x00\x01\x02\xff", 4), "bytes");

	if ((v = of_kind(kv_at(at, n, 7, "array"), TL__ANY_VALUE__VALUE_ARRAY_VALUE))) {
		const Tl__ArrayValue *arr = v->array_value;
		CHECK(arr->n_values == 4, "%zu array values", arr->n_values);
		if (arr->n_values == 4) {
			CHECK(is_str(arr->values[0], "a") && is_int(arr->values[1], 7), "array scalars");
			v = of_kind(arr->values[2], TL__ANY_VALUE__VALUE_ARRAY_VALUE);
			CHECK(v && v->array_value->n_values == 1 &&
			      v->array_value->values[0]->value_case == TL__ANY_VALUE__VALUE_BOOL_VALUE &&
			      v->array_value->values[0]->bool_value == 1, "nested array");
			of_kind(arr->values[3], TL__ANY_VALUE__VALUE__NOT_SET);
		}
	}
	if ((v = of_kind(kv_at(at, n, 8, "kvlist"), TL__ANY_VALUE__VALUE_KVLIST_VALUE))) {
		const Tl__KeyValueList *kvl = v->kvlist_value;
		const Tl__AnyValue *inner = of_kind(kv_at(kvl->values, kvl->n_values, 0, "inner"),
		                                    TL__ANY_VALUE__VALUE_DOUBLE_VALUE);
		CHECK(inner && inner->double_value == 0.5, "kvlist double");
		if ((v = of_kind(kv_at(kvl->values, kvl->n_values, 1, "deep"), TL__ANY_VALUE__VALUE_KVLIST_VALUE)))
			CHECK(is_bytes(kv_at(v->kvlist_value->values, v->kvlist_value->n_values, 0, "raw"), "hi", 2),
			      "bytes in a nested kvlist");
	}
	of_kind(kv_at(at, n, 9, "empty"), TL__ANY_VALUE__VALUE__NOT_SET);
	CHECK(strcmp(at[10]->key, "novalue") == 0 && at[10]->value == NULL, "KeyValue without a value");
}

static void check_full_span(const Tl__Span *sp)
{
	CHECK(test_hex_is(sp->trace_id, "5b8efff798038103d269b633813fc60c") && test_hex_is(sp->span_id, "eee19b7ec3c1b174") &&
	      test_hex_is(sp->parent_span_id, "eee19b7ec3c1b173"), "ids");
	CHECK(strcmp(sp->trace_state, "vendor=abc,other=1") == 0 && sp->flags == 257, "traceState, flags");
	CHECK(strcmp(sp->name, "chat gpt-4o") == 0 && sp->kind == 3, "name, kind");
	CHECK(sp->start_time_unix_nano == 1700000000000000001ull && sp->end_time_unix_nano == 1700000000123456789ull,
	      "times");
	check_full_attrs(sp);
	CHECK(sp->dropped_attributes_count == 3 && sp->dropped_events_count == 5 && sp->dropped_links_count == 7,
	      "dropped counts");
	CHECK(sp->n_events == 2, "%zu events", sp->n_events);
	if (sp->n_events == 2) {
		const Tl__Span__Event *e = sp->events[0];
		CHECK(e->time_unix_nano == 1700000000000000500ull && strcmp(e->name, "gen_ai.choice") == 0 &&
		      e->dropped_attributes_count == 4, "event");
		CHECK(is_int(kv_at(e->attributes, e->n_attributes, 0, "index"), 0), "event attribute");
		CHECK(sp->events[1]->time_unix_nano == 1700000000 && strcmp(sp->events[1]->name, "exception") == 0,
		      "second event");
	}
	CHECK(sp->n_links == 1, "%zu links", sp->n_links);
	if (sp->n_links == 1) {
		const Tl__Span__Link *l = sp->links[0];
		CHECK(test_hex_is(l->trace_id, "0af7651916cd43dd8448eb211c80319c") && test_hex_is(l->span_id, "b7ad6b7169203331"),
		      "link ids");
		CHECK(strcmp(l->trace_state, "k=v") == 0 && l->dropped_attributes_count == 6 && l->flags == 1, "link");
		CHECK(is_str(kv_at(l->attributes, l->n_attributes, 0, "link.kind"), "follows"), "link attribute");
	}
	CHECK(sp->status && sp->status->code == 2 && strcmp(sp->status->message, "rate limited") == 0, "status");
}

static void check_full(Req *r, const uint8_t *data, size_t len)
{
	CHECK(r->n_resource_spans == 2, "%zu resourceSpans", r->n_resource_spans);
	if (r->n_resource_spans != 2)
		return;
	const Tl__ResourceSpans *rs = r->resource_spans[0];
	CHECK(strcmp(rs->schema_url, "https://opentelemetry.io/schemas/1.24.0") == 0, "resource schema_url");
	CHECK(rs->resource && rs->resource->dropped_attributes_count == 1, "resource");
	if (rs->resource) {
		const Tl__Resource *res = rs->resource;
		CHECK(is_str(kv_at(res->attributes, res->n_attributes, 0, "service.name"), "checkout") &&
		      is_int(kv_at(res->attributes, res->n_attributes, 1, "host.cores"), 8), "resource attributes");
	}
	const Tl__ScopeSpans *ss = rs->scope_spans[0];
	CHECK(strcmp(ss->schema_url, "https://opentelemetry.io/schemas/1.21.0") == 0, "scope schema_url");
	if (ss->scope) {
		const Tl__InstrumentationScope *sc = ss->scope;
		const Tl__AnyValue *v = of_kind(kv_at(sc->attributes, sc->n_attributes, 0, "scope.enabled"),
		                                TL__ANY_VALUE__VALUE_BOOL_VALUE);
		CHECK(strcmp(sc->name, "agent-sdk") == 0 && strcmp(sc->version, "1.2.3") == 0 &&
		      sc->dropped_attributes_count == 2 && v && v->bool_value, "scope");
	} else {
		CHECK(0, "scope missing");
	}
	CHECK(ss->n_spans == 2, "%zu spans", ss->n_spans);
	if (ss->n_spans != 2)
		return;
	check_full_span(ss->spans[0]);
	const Tl__Span *sp = ss->spans[1];
	CHECK(sp->parent_span_id.len == 0 && sp->kind == 2 && sp->status && sp->status->code == 1 &&
	      sp->start_time_unix_nano == 1000 && sp->end_time_unix_nano == 2000, "server span");
	rs = r->resource_spans[1];
	CHECK(rs->resource == NULL && rs->n_scope_spans == 1 && rs->scope_spans[0]->scope == NULL &&
	      rs->scope_spans[0]->n_spans == 1 && strcmp(rs->scope_spans[0]->spans[0]->name, "bare") == 0,
	      "second resourceSpans");

	/* protobuf-c packs canonically: the fixture must round-trip byte for byte. */
	size_t plen = tl__export_trace_service_request__get_packed_size(r);
	uint8_t *packed = malloc(plen);
	tl__export_trace_service_request__pack(r, packed);
	CHECK(plen == len && memcmp(packed, data, len) == 0, "repacked to %zu bytes, file has %zu", plen, len);
	free(packed);

	struct span_batch *b = span_batch_new(NULL);
	char err[256] = "";
	CHECK(span_batch_add_request(b, r, err, sizeof err) == ERR_OK && b->nspans == 3 && b->rejected == 0,
	      "batch: %zu spans, %lld rejected: %s", b->nspans, (long long)b->rejected, err);
	if (b->nspans == 3) {
		CHECK(strcmp(b->spans[0].service, "checkout") == 0 && b->spans[0].has_parent, "span 0 in batch");
		CHECK(b->spans[1].status_code == 1 && !b->spans[1].has_parent, "span 1 in batch");
		CHECK(strcmp(b->spans[2].service, "unknown_service") == 0, "span 2 service %s", b->spans[2].service);
	}
	span_batch_free(b);
}

static void check_empty(Req *r, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	CHECK(r->n_resource_spans == 0, "%zu resourceSpans", r->n_resource_spans);
}

/* Adds r to a fresh batch; checks the code, counts and message. */
static void check_batch(Req *r, int want_rc, size_t want_spans, int64_t want_rejected, const char *msg)
{
	struct span_batch *b = span_batch_new(NULL);
	char err[256] = "";
	int rc = span_batch_add_request(b, r, err, sizeof err);
	CHECK(rc == want_rc && b->nspans == want_spans && b->rejected == want_rejected,
	      "rc %d, %zu spans, %lld rejected (%s)", rc, b->nspans, (long long)b->rejected, b->reject_msg);
	CHECK(strstr(b->reject_msg, msg), "reject_msg \"%s\" lacks \"%s\"", b->reject_msg, msg);
	if (want_rc)
		CHECK(strstr(err, msg), "err \"%s\" lacks \"%s\"", err, msg);
	span_batch_free(b);
}

/* Each span alone, so each reason is seen, then all at once. */
static void check_ids_wrong_length(Req *r, const uint8_t *data, size_t len)
{
	static const char *const why[] = {
		"spans[0]: traceId must be 16 bytes",
		"spans[0]: spanId must be 8 bytes",
		"spans[0]: parentSpanId must be empty or 8 bytes",
		"spans[0]: traceId must not be all zero",
	};
	(void)data;
	(void)len;
	Tl__ScopeSpans *ss = r->resource_spans[0]->scope_spans[0];
	CHECK(ss->n_spans == 4, "%zu spans", ss->n_spans);
	if (ss->n_spans != 4)
		return;
	CHECK(ss->spans[0]->trace_id.len == 15 && ss->spans[1]->span_id.len == 7 &&
	      ss->spans[2]->parent_span_id.len == 4, "lengths survive unpacking");
	Tl__Span **all = ss->spans;
	for (size_t i = 0; i < 4; i++) {
		ss->spans = &all[i];
		ss->n_spans = 1;
		check_batch(r, ERR_BAD_INPUT, 0, 1, why[i]);
	}
	ss->spans = all;
	ss->n_spans = 4;
	check_batch(r, ERR_BAD_INPUT, 0, 4, why[0]);
}

static void check_ids_mixed(Req *r, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	check_batch(r, ERR_OK, 1, 1, "resourceSpans[0].scopeSpans[0].spans[1]: traceId must be 16 bytes");
}

/* A logs export whose record has only a body unpacks as an id-less span
 * under a believable resource; only the id check stands in its way. */
static void check_logs_body_only(Req *r, const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	const Tl__ResourceSpans *rs = r->n_resource_spans ? r->resource_spans[0] : NULL;
	CHECK(rs && rs->resource && is_str(kv_at(rs->resource->attributes, rs->resource->n_attributes, 0,
	                                         "service.name"), "billing"), "resource of the logs export");
	check_batch(r, ERR_BAD_INPUT, 0, 1, "resourceSpans[0].scopeSpans[0].spans[0]: traceId must be 16 bytes");
}

static const struct {
	const char *file;
	int unpacks;
	void (*check)(Req *r, const uint8_t *data, size_t len);
} cases[] = {
	{"full.bin", 1, check_full},
	{"empty.bin", 1, check_empty},
	{"ids_wrong_length.bin", 1, check_ids_wrong_length},
	{"ids_mixed.bin", 1, check_ids_mixed},
	{"logs_body_only.bin", 1, check_logs_body_only},
	{"logs.bin", 0, NULL},
	{"truncated.bin", 0, NULL},
	{"wrong_wire_type.bin", 0, NULL},
	{"wrong_wire_type_top.bin", 0, NULL},
	{"huge_length.bin", 0, NULL},
};

/* Every prefix of a valid request either unpacks or fails cleanly. */
static void test_prefixes(const uint8_t *data, size_t len)
{
	size_t ok = 0;
	for (size_t n = 0; n < len; n++) {
		struct arena *a = arena_new();
		ok += unpack(a, data, n) != NULL;
		arena_free(a);
	}
	CHECK(ok > 0 && ok < len, "%zu of %zu prefixes unpacked", ok, len);
}

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t len = 0;
		uint8_t *data = read_file(cases[i].file, &len);
		CHECK(data != NULL, "cannot read " DATA "%s", cases[i].file);
		if (!data)
			continue;
		struct arena *a = arena_new();
		Tl__ExportTraceServiceRequest *r = unpack(a, data, len);
		CHECK((r != NULL) == cases[i].unpacks, "%s: unpack %s", cases[i].file, r ? "succeeded" : "failed");
		if (r && cases[i].check)
			cases[i].check(r, data, len);
		if (strcmp(cases[i].file, "full.bin") == 0)
			test_prefixes(data, len);
		arena_free(a);
		free(data);
	}
	return test_done();
}
