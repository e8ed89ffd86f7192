/* test_otlp_json.c: table-driven tests of otlp_json_decode. Every file in
 * tests/data/otlp_json/ has a row in its cases.txt (ok, unparsable, or an
 * error code with a message substring); ok files with a checker below are
 * compared field by field. Inputs at and over the limits (string length,
 * attribute count, AnyValue depth) are generated here. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "otlp/otlp_json.h"
#include "ingest/span.h"
#include "test.h"
#include "ingest/batch.h"

#define DATA "tests/data/otlp_json/"
#define PB_FULL "tests/data/otlp_pb/full.bin"
#define SPAN0 "resourceSpans[0].scopeSpans[0].spans[0]"

typedef const Tl__ExportTraceServiceRequest Req;


/* Parses text as the HTTP layer does and decodes it, deleting the cJSON
 * tree before returning so a decoded pointer into it would trip ASan.
 * Returns 1 when cJSON rejects the text, else the decoder's code. */
static int decode(const char *text, size_t len, struct arena *a, Req **out, char *err, size_t errlen)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	Tl__ExportTraceServiceRequest *req = NULL;
	if (!root)
		return 1;
	int rc = otlp_json_decode(root, a, &req, err, errlen);
	cJSON_Delete(root);
	*out = req;
	return rc;
}

/* ---- field checks ---- */

static int bytes_is(ProtobufCBinaryData b, const void *p, size_t n)
{
	return b.len == n && (n == 0 || memcmp(b.data, p, n) == 0);
}

/* Checks kv[i] is named key and returns its value (NULL if absent). */
static const Tl__AnyValue *kv_at(Tl__KeyValue *const *kv, size_t n, size_t i, const char *key)
{
	CHECK(i < n, "no entry %zu for key %s (n=%zu)", i, key, n);
	if (i >= n)
		return NULL;
	CHECK(strcmp(kv[i]->key, key) == 0, "entry %zu is \"%s\", expected \"%s\"", i, kv[i]->key, key);
	return kv[i]->value;
}

static const Tl__AnyValue *of_kind(const Tl__AnyValue *v, Tl__AnyValue__ValueCase kind)
{
	CHECK(v && v->value_case == kind, "value kind %d, expected %d", v ? (int)v->value_case : -1, (int)kind);
	return v && v->value_case == kind ? v : NULL;
}

static void check_str(const Tl__AnyValue *v, const char *s)
{
	v = of_kind(v, TL__ANY_VALUE__VALUE_STRING_VALUE);
	CHECK(v && strcmp(v->string_value, s) == 0, "string \"%s\", expected \"%s\"", v ? v->string_value : "", s);
}

static void check_int(const Tl__AnyValue *v, int64_t i)
{
	v = of_kind(v, TL__ANY_VALUE__VALUE_INT_VALUE);
	CHECK(v && v->int_value == i, "int %lld, expected %lld", v ? (long long)v->int_value : 0LL, (long long)i);
}

static void check_double(const Tl__AnyValue *v, double d)
{
	v = of_kind(v, TL__ANY_VALUE__VALUE_DOUBLE_VALUE);
	CHECK(v && (v->double_value == d || (isnan(d) && isnan(v->double_value))), "double %g, expected %g",
	      v ? v->double_value : 0.0, d);
}

static void check_bool(const Tl__AnyValue *v, int b)
{
	v = of_kind(v, TL__ANY_VALUE__VALUE_BOOL_VALUE);
	CHECK(v && v->bool_value == b, "bool %d, expected %d", v ? v->bool_value : -1, b);
}

static void check_bytes(const Tl__AnyValue *v, const void *p, size_t n)
{
	v = of_kind(v, TL__ANY_VALUE__VALUE_BYTES_VALUE);
	CHECK(v && bytes_is(v->bytes_value, p, n), "bytes of length %zu, expected %zu", v ? v->bytes_value.len : 0, n);
}

/* Returns the first span of the first scope of resourceSpans[ri]. */
static const Tl__Span *span_at(Req *r, size_t ri, size_t si, size_t sj)
{
	if (ri < r->n_resource_spans && si < r->resource_spans[ri]->n_scope_spans &&
	    sj < r->resource_spans[ri]->scope_spans[si]->n_spans)
		return r->resource_spans[ri]->scope_spans[si]->spans[sj];
	CHECK(0, "no span at [%zu][%zu][%zu]", ri, si, sj);
	return NULL;
}

static void check_full_attrs(const Tl__Span *sp)
{
	Tl__KeyValue *const *at = sp->attributes;
	size_t n = sp->n_attributes;
	const Tl__AnyValue *v;
	CHECK(n == 11, "span has %zu attributes", n);
	check_str(kv_at(at, n, 0, "str"), "h\xc3\xa9llo \"q\"\n");
	check_bool(kv_at(at, n, 1, "bool"), 0);
	check_int(kv_at(at, n, 2, "int.str"), INT64_MIN);
	check_int(kv_at(at, n, 3, "int.num"), 42);
	check_double(kv_at(at, n, 4, "double"), 3.25);
	check_double(kv_at(at, n, 5, "double.ninf"), -INFINITY);
	check_bytes(kv_at(at, n, 6, "bytes"), "\x00\x01\x02\xff", 4);

	if ((v = of_kind(kv_at(at, n, 7, "array"), TL__ANY_VALUE__VALUE_ARRAY_VALUE))) {
		const Tl__ArrayValue *arr = v->array_value;
		CHECK(arr->n_values == 4, "array has %zu values", arr->n_values);
		if (arr->n_values == 4) {
			check_str(arr->values[0], "a");
			check_int(arr->values[1], 7);
			if ((v = of_kind(arr->values[2], TL__ANY_VALUE__VALUE_ARRAY_VALUE))) {
				CHECK(v->array_value->n_values == 1, "inner array has %zu", v->array_value->n_values);
				if (v->array_value->n_values == 1)
					check_bool(v->array_value->values[0], 1);
			}
			of_kind(arr->values[3], TL__ANY_VALUE__VALUE__NOT_SET);
		}
	}
	if ((v = of_kind(kv_at(at, n, 8, "kvlist"), TL__ANY_VALUE__VALUE_KVLIST_VALUE))) {
		const Tl__KeyValueList *kvl = v->kvlist_value;
		check_double(kv_at(kvl->values, kvl->n_values, 0, "inner"), 0.5);
		if ((v = of_kind(kv_at(kvl->values, kvl->n_values, 1, "deep"), TL__ANY_VALUE__VALUE_KVLIST_VALUE)))
			check_bytes(kv_at(v->kvlist_value->values, v->kvlist_value->n_values, 0, "raw"), "hi", 2);
	}
	of_kind(kv_at(at, n, 9, "empty"), TL__ANY_VALUE__VALUE__NOT_SET);
	CHECK(n > 10 && strcmp(at[10]->key, "novalue") == 0 && at[10]->value == NULL, "novalue has a value");
}

static void check_full_span(const Tl__Span *sp)
{
	CHECK(test_hex_is(sp->trace_id, "5b8efff798038103d269b633813fc60c"), "trace id (upper-case hex)");
	CHECK(test_hex_is(sp->span_id, "eee19b7ec3c1b174"), "span id");
	CHECK(test_hex_is(sp->parent_span_id, "eee19b7ec3c1b173"), "parent id");
	CHECK(strcmp(sp->trace_state, "vendor=abc,other=1") == 0, "traceState %s", sp->trace_state);
	CHECK(sp->flags == 257, "flags %u", sp->flags);
	CHECK(strcmp(sp->name, "chat gpt-4o") == 0, "name %s", sp->name);
	CHECK(sp->kind == 3, "kind %d", sp->kind);
	CHECK(sp->start_time_unix_nano == 1700000000000000001ull, "start %llu",
	      (unsigned long long)sp->start_time_unix_nano);
	CHECK(sp->end_time_unix_nano == 1700000000123456789ull, "end %llu",
	      (unsigned long long)sp->end_time_unix_nano);
	check_full_attrs(sp);
	CHECK(sp->dropped_attributes_count == 3, "dropped attrs %u", sp->dropped_attributes_count);

	CHECK(sp->n_events == 2, "%zu events", sp->n_events);
	if (sp->n_events == 2) {
		const Tl__Span__Event *e = sp->events[0];
		CHECK(e->time_unix_nano == 1700000000000000500ull, "event time");
		CHECK(strcmp(e->name, "gen_ai.choice") == 0, "event name %s", e->name);
		check_int(kv_at(e->attributes, e->n_attributes, 0, "index"), 0);
		CHECK(e->dropped_attributes_count == 4, "event dropped %u", e->dropped_attributes_count);
		e = sp->events[1];
		CHECK(e->time_unix_nano == 1700000000 && strcmp(e->name, "exception") == 0 && e->n_attributes == 0,
		      "second event (time as a number)");
	}
	CHECK(sp->dropped_events_count == 5, "dropped events %u", sp->dropped_events_count);

	CHECK(sp->n_links == 1, "%zu links", sp->n_links);
	if (sp->n_links == 1) {
		const Tl__Span__Link *l = sp->links[0];
		CHECK(test_hex_is(l->trace_id, "0af7651916cd43dd8448eb211c80319c"), "link trace id");
		CHECK(test_hex_is(l->span_id, "b7ad6b7169203331"), "link span id");
		CHECK(strcmp(l->trace_state, "k=v") == 0, "link traceState %s", l->trace_state);
		check_str(kv_at(l->attributes, l->n_attributes, 0, "link.kind"), "follows");
		CHECK(l->dropped_attributes_count == 6 && l->flags == 1, "link counts %u flags %u",
		      l->dropped_attributes_count, l->flags);
	}
	CHECK(sp->dropped_links_count == 7, "dropped links %u", sp->dropped_links_count);
	CHECK(sp->status && strcmp(sp->status->message, "rate limited") == 0 && sp->status->code == 2, "status");
}

static void check_full(Req *r)
{
	CHECK(r->n_resource_spans == 2, "%zu resourceSpans", r->n_resource_spans);
	if (r->n_resource_spans != 2)
		return;
	const Tl__ResourceSpans *rs = r->resource_spans[0];
	CHECK(strcmp(rs->schema_url, "https://opentelemetry.io/schemas/1.24.0") == 0, "resource schemaUrl");
	CHECK(rs->resource != NULL, "resource missing");
	if (rs->resource) {
		const Tl__Resource *res = rs->resource;
		check_str(kv_at(res->attributes, res->n_attributes, 0, "service.name"), "checkout");
		check_int(kv_at(res->attributes, res->n_attributes, 1, "host.cores"), 8);
		CHECK(res->dropped_attributes_count == 1, "resource dropped %u", res->dropped_attributes_count);
	}
	CHECK(rs->n_scope_spans == 1, "%zu scopeSpans", rs->n_scope_spans);
	const Tl__ScopeSpans *ss = rs->scope_spans[0];
	CHECK(strcmp(ss->schema_url, "https://opentelemetry.io/schemas/1.21.0") == 0, "scope schemaUrl");
	CHECK(ss->scope != NULL, "scope missing");
	if (ss->scope) {
		const Tl__InstrumentationScope *sc = ss->scope;
		CHECK(strcmp(sc->name, "agent-sdk") == 0 && strcmp(sc->version, "1.2.3") == 0, "scope name/version");
		check_bool(kv_at(sc->attributes, sc->n_attributes, 0, "scope.enabled"), 1);
		CHECK(sc->dropped_attributes_count == 2, "scope dropped %u", sc->dropped_attributes_count);
	}
	CHECK(ss->n_spans == 2, "%zu spans", ss->n_spans);
	const Tl__Span *sp = span_at(r, 0, 0, 0);
	if (sp)
		check_full_span(sp);
	if ((sp = span_at(r, 0, 0, 1))) {
		CHECK(sp->parent_span_id.len == 0, "empty parentSpanId has %zu bytes", sp->parent_span_id.len);
		CHECK(sp->kind == 2, "kind by name: %d", sp->kind);
		CHECK(sp->status && sp->status->code == 1 && !*sp->status->message, "status code by name");
		CHECK(sp->start_time_unix_nano == 1000 && sp->end_time_unix_nano == 2000, "times as numbers");
		CHECK(sp->n_attributes == 0 && sp->n_events == 0 && sp->n_links == 0, "no attributes, events, links");
	}
	rs = r->resource_spans[1];
	CHECK(rs->resource == NULL && !*rs->schema_url, "second resourceSpans has no resource");
	CHECK(rs->n_scope_spans == 1 && rs->scope_spans[0]->scope == NULL, "second scopeSpans has no scope");
	if ((sp = span_at(r, 1, 0, 0)))
		CHECK(strcmp(sp->name, "bare") == 0 && sp->status == NULL && !*sp->trace_state, "bare span");
}

/* The JSON and protobuf fixtures describe one request: packing what the JSON
 * decoder built must give the bytes of the protobuf fixture. */
static void check_full_matches_pb(Req *r)
{
	size_t want_len, len = tl__export_trace_service_request__get_packed_size(r);
	char *want = test_read_file(PB_FULL, &want_len);
	uint8_t *got = malloc(len);
	tl__export_trace_service_request__pack(r, got);
	CHECK(want && want_len == len && memcmp(want, got, len) == 0,
	      "full.json packs to %zu bytes unlike " PB_FULL " (%zu bytes)", len, want ? want_len : 0);
	free(got);
	free(want);
}

static void check_snake(Req *r)
{
	const Tl__Span *sp = span_at(r, 0, 0, 0);
	const Tl__ResourceSpans *rs = r->n_resource_spans ? r->resource_spans[0] : NULL;
	const Tl__AnyValue *v;
	if (!sp || !rs)
		return;
	CHECK(strcmp(rs->schema_url, "https://example.com/resource") == 0, "schema_url");
	CHECK(rs->resource && rs->resource->dropped_attributes_count == 1, "resource dropped_attributes_count");
	if (rs->resource)
		check_str(kv_at(rs->resource->attributes, rs->resource->n_attributes, 0, "service.name"), "snake");
	const Tl__ScopeSpans *ss = rs->scope_spans[0];
	CHECK(strcmp(ss->schema_url, "https://example.com/scope") == 0, "scope schema_url");
	CHECK(ss->scope && strcmp(ss->scope->version, "0.1") == 0 && ss->scope->dropped_attributes_count == 2,
	      "scope");
	CHECK(test_hex_is(sp->trace_id, "5b8efff798038103d269b633813fc60c") && test_hex_is(sp->span_id, "eee19b7ec3c1b174") &&
	      test_hex_is(sp->parent_span_id, "eee19b7ec3c1b173"), "ids");
	CHECK(strcmp(sp->trace_state, "a=b") == 0 && sp->kind == 1, "trace_state, kind");
	CHECK(sp->start_time_unix_nano == 5 && sp->end_time_unix_nano == 6, "times");
	CHECK(sp->dropped_attributes_count == 3 && sp->dropped_events_count == 4 && sp->dropped_links_count == 5,
	      "dropped counts");
	if ((v = of_kind(kv_at(sp->attributes, sp->n_attributes, 0, "arr"), TL__ANY_VALUE__VALUE_ARRAY_VALUE))) {
		const Tl__ArrayValue *arr = v->array_value;
		CHECK(arr->n_values == 5, "%zu values", arr->n_values);
		if (arr->n_values == 5) {
			check_int(arr->values[0], 1);
			check_double(arr->values[1], 2.5);
			check_bool(arr->values[2], 1);
			check_bytes(arr->values[3], "\x01", 1);
			if ((v = of_kind(arr->values[4], TL__ANY_VALUE__VALUE_KVLIST_VALUE)))
				check_str(kv_at(v->kvlist_value->values, v->kvlist_value->n_values, 0, "k"), "v");
		}
	}
	CHECK(sp->n_events == 1 && sp->events[0]->time_unix_nano == 7 && sp->events[0]->dropped_attributes_count == 6,
	      "event");
	CHECK(sp->n_links == 1 && test_hex_is(sp->links[0]->trace_id, "0af7651916cd43dd8448eb211c80319c") &&
	      strcmp(sp->links[0]->trace_state, "x=y") == 0 && sp->links[0]->dropped_attributes_count == 7, "link");
	CHECK(sp->status && sp->status->code == 1 && strcmp(sp->status->message, "fine") == 0, "status");
}

static void check_variants(Req *r)
{
	const Tl__Span *sp = span_at(r, 0, 0, 0);
	if (!sp)
		return;
	CHECK(r->resource_spans[0]->resource == NULL, "null resource reads as absent");
	CHECK(r->resource_spans[0]->scope_spans[0]->scope != NULL, "{} scope is present");
	CHECK(test_hex_is(sp->trace_id, "5b8efff798038103d269b633813fc60c") && test_hex_is(sp->span_id, "eee19b7ec3c1b174"),
	      "mixed-case hex");
	CHECK(sp->parent_span_id.len == 0, "null parentSpanId");
	CHECK(sp->kind == 7, "unknown kind survives: %d", sp->kind);
	CHECK(sp->flags == 256, "flags from a string: %u", sp->flags);
	CHECK(sp->start_time_unix_nano == UINT64_MAX && sp->end_time_unix_nano == 0, "time extremes");
	CHECK(sp->dropped_attributes_count == UINT32_MAX, "uint32 max");
	CHECK(sp->n_events == 0 && sp->n_links == 0, "null events, empty links");
	CHECK(sp->status && sp->status->code == 2 && !*sp->status->message, "status by name, null message");

	Tl__KeyValue *const *at = sp->attributes;
	size_t n = sp->n_attributes;
	const Tl__AnyValue *v;
	CHECK(n == 15, "%zu attributes", n);
	check_int(kv_at(at, n, 0, "i.max"), INT64_MAX);
	check_int(kv_at(at, n, 1, "i.neg"), -42);
	check_int(kv_at(at, n, 2, "i.zero"), 0);
	check_int(kv_at(at, n, 3, "i.exp"), 1000);
	check_double(kv_at(at, n, 4, "d.nan"), NAN);
	check_double(kv_at(at, n, 5, "d.inf"), INFINITY);
	check_double(kv_at(at, n, 6, "d.str"), 1500);
	check_double(kv_at(at, n, 7, "d.int"), 7);
	check_bytes(kv_at(at, n, 8, "b.url"), "\xfb\xff", 2);
	check_bytes(kv_at(at, n, 9, "b.empty"), "", 0);
	check_str(kv_at(at, n, 10, "s.empty"), "");
	of_kind(kv_at(at, n, 11, "s.null"), TL__ANY_VALUE__VALUE__NOT_SET);
	if ((v = of_kind(kv_at(at, n, 12, "kv.none"), TL__ANY_VALUE__VALUE_KVLIST_VALUE)))
		CHECK(v->kvlist_value->n_values == 0, "kvlist without values");
	if ((v = of_kind(kv_at(at, n, 13, "arr.null"), TL__ANY_VALUE__VALUE_ARRAY_VALUE)))
		CHECK(v->array_value->n_values == 0, "array with null values");
	check_str(kv_at(at, n, 14, ""), "no key");
}

static void check_empty(Req *r)
{
	CHECK(r->n_resource_spans == 0, "%zu resourceSpans", r->n_resource_spans);
}

/* {} everywhere decodes to defaults, which span_batch refuses. */
static void check_empty_objects(Req *r)
{
	CHECK(r->n_resource_spans == 2 && r->resource_spans[0]->resource == NULL &&
	      r->resource_spans[0]->n_scope_spans == 0, "empty resourceSpans");
	const Tl__Span *sp = span_at(r, 1, 1, 0);
	if (!sp)
		return;
	CHECK(sp->trace_id.len == 0 && sp->span_id.len == 0 && !*sp->name && !*sp->trace_state && sp->kind == 0 &&
	      sp->start_time_unix_nano == 0 && sp->status == NULL, "span defaults");
	struct span_batch *b = span_batch_new(NULL);
	char err[256] = "";
	CHECK(span_batch_add_request(b, r, err, sizeof err) == ERR_BAD_INPUT, "empty span accepted");
	CHECK(strstr(err, "resourceSpans[1].scopeSpans[1].spans[0]: traceId must be 16 bytes"), "err: %s", err);
	span_batch_free(b);
}

/* Wrong lengths pass the decoder; span_batch refuses those spans alone. */
static void check_ids_wrong_length(Req *r)
{
	const Tl__Span *sp = span_at(r, 0, 0, 1);
	if (!sp)
		return;
	CHECK(sp->trace_id.len == 15 && sp->span_id.len == 7, "lengths %zu %zu", sp->trace_id.len, sp->span_id.len);
	struct span_batch *b = span_batch_new(NULL);
	char err[256] = "";
	CHECK(span_batch_add_request(b, r, err, sizeof err) == ERR_OK, "partial success expected: %s", err);
	CHECK(b->nspans == 1 && b->rejected == 1, "%zu spans, %lld rejected", b->nspans, (long long)b->rejected);
	CHECK(strstr(b->reject_msg, "spans[1]: traceId must be 16 bytes"), "reject_msg: %s", b->reject_msg);
	span_batch_free(b);
}

static const struct {
	const char *file;
	void (*check)(Req *r);
} checkers[] = {
	{"full.json", check_full},
	{"full.json", check_full_matches_pb},
	{"snake_case.json", check_snake},
	{"variants.json", check_variants},
	{"empty.json", check_empty},
	{"empty_objects.json", check_empty_objects},
	{"ids_wrong_length.json", check_ids_wrong_length},
};

/* ---- the table ---- */

static void run_case(const char *file, const char *expect, const char *substring)
{
	char path[512], err[512] = "";
	size_t len;
	snprintf(path, sizeof path, DATA "%s", file);
	char *text = test_read_file(path, &len);
	CHECK(text != NULL, "cannot read %s", path);
	if (!text)
		return;
	struct arena *a = arena_new();
	Req *req = NULL;
	int rc = decode(text, len, a, &req, err, sizeof err);
	if (strcmp(expect, "unparsable") == 0) {
		CHECK(rc == 1, "%s: cJSON parsed it", file);
	} else if (strcmp(expect, "ok") == 0) {
		CHECK(rc == ERR_OK && req, "%s: rc %d: %s", file, rc, err);
		for (size_t i = 0; req && i < sizeof checkers / sizeof *checkers; i++)
			if (strcmp(checkers[i].file, file) == 0)
				checkers[i].check(req);
	} else {
		int want = strcmp(expect, "413") == 0 ? ERR_TOO_LARGE : ERR_BAD_INPUT;
		CHECK(rc == want && req == NULL, "%s: rc %d, expected %s (%s)", file, rc, expect, err);
		CHECK(*substring && strstr(err, substring), "%s: error \"%s\" lacks \"%s\"", file, err, substring);
	}
	arena_free(a);
	free(text);
}

/* Runs every row of cases.txt; returns how many rows there were. */
static int run_table(char files[][128], int max)
{
	FILE *f = fopen(DATA "cases.txt", "r");
	char line[1024];
	int n = 0;
	CHECK(f != NULL, "cannot open " DATA "cases.txt");
	while (f && fgets(line, sizeof line, f)) {
		char file[128], expect[16];
		int off = 0;
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || sscanf(line, "%127s %15s %n", file, expect, &off) < 2)
			continue;
		CHECK(n < max, "too many rows");
		if (n < max)
			snprintf(files[n++], 128, "%s", file);
		run_case(file, expect, off ? line + off : "");
	}
	if (f)
		fclose(f);
	return n;
}

/* Every data file must be in the table, so none goes untested. */
static void check_all_listed(char files[][128], int n)
{
	DIR *d = opendir(DATA);
	struct dirent *e;
	CHECK(d != NULL, "cannot list " DATA);
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		int found = 0;
		for (int i = 0; i < n && !found; i++)
			found = strcmp(files[i], e->d_name) == 0;
		CHECK(found, "%s has no row in cases.txt", e->d_name);
	}
	if (d)
		closedir(d);
}

/* ---- generated inputs ---- */

/* Returns a one-span request whose attributes array holds attrs. */
static char *one_span(const char *attrs, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	fprintf(f, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
	           "\"spanId\":\"eee19b7ec3c1b174\",\"name\":\"gen\",\"attributes\":[%s]}]}]}]}",
	        attrs);
	fclose(f);
	return text;
}

/* Decodes a generated request; checks the code and, if failing, the message. */
static void run_generated(const char *what, char *text, size_t len, int want, const char *substring,
                          void (*check)(Req *r))
{
	char err[512] = "";
	struct arena *a = arena_new();
	Req *req = NULL;
	int rc = decode(text, len, a, &req, err, sizeof err);
	CHECK(rc == want, "%s: rc %d, expected %d (%s)", what, rc, want, err);
	if (substring)
		CHECK(strstr(err, substring), "%s: error \"%s\" lacks \"%s\"", what, err, substring);
	if (check && req)
		check(req);
	arena_free(a);
	free(text);
}

static void check_long_string(Req *r)
{
	const Tl__Span *sp = span_at(r, 0, 0, 0);
	CHECK(sp && sp->n_attributes == 1 && sp->attributes[0]->value &&
	      strlen(sp->attributes[0]->value->string_value) == SPAN_MAX_STRING, "string at the limit");
}

static void test_string_limit(void)
{
	for (size_t extra = 0; extra < 2; extra++) {
		size_t n = SPAN_MAX_STRING + extra, len;
		char *s = malloc(n + 64);
		int k = snprintf(s, 64, "{\"key\":\"big\",\"value\":{\"stringValue\":\"");
		memset(s + k, 'x', n);
		snprintf(s + k + n, 64, "\"}}");
		char *text = one_span(s, &len);
		free(s);
		run_generated(extra ? "string over the limit" : "string at the limit", text, len,
		              extra ? ERR_TOO_LARGE : ERR_OK,
		              extra ? SPAN0 ".attributes[0].value.stringValue: string of 16777217 bytes" : NULL,
		              extra ? NULL : check_long_string);
	}
}

static int depth_seen;

static void check_depth(Req *r)
{
	const Tl__Span *sp = span_at(r, 0, 0, 0);
	const Tl__AnyValue *v = sp && sp->n_attributes ? sp->attributes[0]->value : NULL;
	depth_seen = 0;
	while (v) {
		depth_seen++;
		if (v->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE && v->array_value->n_values)
			v = v->array_value->values[0];
		else if (v->value_case == TL__ANY_VALUE__VALUE_KVLIST_VALUE && v->kvlist_value->n_values)
			v = v->kvlist_value->values[0]->value;
		else
			break;
	}
	CHECK(v && v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE, "innermost value is not the string");
}

/* depth AnyValues, alternating arrays and kvlists, around a string. */
static char *nested(int depth, size_t *len)
{
	char *attr = NULL, *text;
	size_t alen;
	FILE *f = open_memstream(&attr, &alen);
	fputs("{\"key\":\"deep\",\"value\":", f);
	for (int i = 1; i < depth; i++)
		fputs(i % 2 ? "{\"arrayValue\":{\"values\":[" : "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":", f);
	fputs("{\"stringValue\":\"bottom\"}", f);
	for (int i = depth - 1; i >= 1; i--)
		fputs(i % 2 ? "]}}" : "}]}}", f);
	fputs("}", f);
	fclose(f);
	text = one_span(attr, len);
	free(attr);
	return text;
}

static void test_depth_limit(void)
{
	size_t len;
	char *text = nested(SPAN_MAX_DEPTH, &len);
	run_generated("deepest allowed", text, len, ERR_OK, NULL, check_depth);
	CHECK(depth_seen == SPAN_MAX_DEPTH, "walked %d levels", depth_seen);
	text = nested(SPAN_MAX_DEPTH + 1, &len);
	run_generated("one level deeper", text, len, ERR_BAD_INPUT, SPAN0 ".attributes[0].value: nesting deeper than 12",
	              NULL);
	/* Far past cJSON's own nesting limit: the parser refuses it first. */
	text = nested(2000, &len);
	run_generated("depth 2000", text, len, 1, NULL, NULL);
}

/* n attributes, or one kvlist attribute holding n entries. */
static char *many(size_t n, int in_kvlist, size_t *len)
{
	char *attrs = NULL, *text;
	size_t alen;
	FILE *f = open_memstream(&attrs, &alen);
	if (in_kvlist)
		fputs("{\"key\":\"map\",\"value\":{\"kvlistValue\":{\"values\":[", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s{\"key\":\"k%zu\",\"value\":{\"intValue\":%zu}}", i ? "," : "", i, i);
	if (in_kvlist)
		fputs("]}}}", f);
	fclose(f);
	text = one_span(attrs, len);
	free(attrs);
	return text;
}

static void check_many(Req *r)
{
	const Tl__Span *sp = span_at(r, 0, 0, 0);
	CHECK(sp && sp->n_attributes == SPAN_MAX_ATTRS, "%zu attributes", sp ? sp->n_attributes : 0);
	if (sp && sp->n_attributes == SPAN_MAX_ATTRS)
		check_int(kv_at(sp->attributes, sp->n_attributes, SPAN_MAX_ATTRS - 1, "k4095"), SPAN_MAX_ATTRS - 1);
}

static void test_attr_limit(void)
{
	size_t len;
	char *text = many(SPAN_MAX_ATTRS, 0, &len);
	run_generated("4096 attributes", text, len, ERR_OK, NULL, check_many);
	text = many(SPAN_MAX_ATTRS + 1, 0, &len);
	run_generated("4097 attributes", text, len, ERR_TOO_LARGE,
	              SPAN0 ".attributes: 4097 entries, over the limit of 4096", NULL);
	text = many(SPAN_MAX_ATTRS + 1, 1, &len);
	run_generated("4097 kvlist entries", text, len, ERR_TOO_LARGE,
	              SPAN0 ".attributes[0].value.kvlistValue.values: 4097 entries", NULL);
}

/* A cJSON tree that is not an object, and a too-small error buffer. */
static void test_api_edges(void)
{
	struct arena *a = arena_new();
	Tl__ExportTraceServiceRequest *req = (void *)1;
	char err[8];
	cJSON *root = cJSON_CreateString("x");
	CHECK(otlp_json_decode(root, a, &req, err, sizeof err) == ERR_BAD_INPUT && req == NULL, "string root");
	CHECK(strlen(err) == sizeof err - 1, "error truncated to the buffer: %s", err);
	cJSON_Delete(root);
	arena_free(a);
}

int main(void)
{
	static char files[256][128];
	int n = run_table(files, 256);
	CHECK(n > 40, "only %d rows in cases.txt", n);
	check_all_listed(files, n);
	test_string_limit();
	test_depth_limit();
	test_attr_limit();
	test_api_edges();
	return test_done();
}
