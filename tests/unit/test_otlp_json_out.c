/* test_otlp_json_out.c: otlp_json_encode output parsed back with cJSON:
 * every AnyValue kind, every span/resource/scope field, string escaping
 * and UTF-8 handling, 64-bit integers and doubles at their limits; and
 * demo traces taken through otlp_json_decode back to identical protobuf,
 * and the generator invariants the load generator relies on. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "demo/demo.h"
#include "otlp/otlp_build.h"
#include "otlp/otlp_json.h"
#include "otlp/otlp_json_out.h"
#include "test.h"

static ProtobufCBinaryData bin(struct arena *a, const char *s, size_t n)
{
	ProtobufCBinaryData d = {n, arena_alloc(a, n ? n : 1)};
	memcpy(d.data, s, n);
	return d;
}

static Tl__AnyValue *any_str(struct arena *a, const char *s)
{
	Tl__AnyValue *v = otlp_any_new(a);
	v->value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
	v->string_value = arena_strdup(a, s);
	return v;
}

static cJSON *attr_value(const cJSON *attrs, const char *key)
{
	const cJSON *kv;
	cJSON_ArrayForEach(kv, attrs) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(kv, "key");
		if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0)
			return cJSON_GetObjectItemCaseSensitive(kv, "value");
	}
	return NULL;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -12345.0;
}

static int str_is(const char *got, const char *want)
{
	return got && strcmp(got, want) == 0;
}

/* The request every check below looks at: one resource, one scope, a root
 * span with every value kind, a child with events, links and an error. */
static Tl__ExportTraceServiceRequest *build(struct arena *a)
{
	Tl__ExportTraceServiceRequest *req = arena_alloc(a, sizeof *req);
	tl__export_trace_service_request__init(req);
	Tl__ResourceSpans *rs = arena_alloc(a, sizeof *rs);
	tl__resource_spans__init(rs);
	rs->schema_url = "https://opentelemetry.io/schemas/1.26.0";
	rs->resource = arena_alloc(a, sizeof *rs->resource);
	tl__resource__init(rs->resource);
	otlp_attr_str(a, &rs->resource->attributes, &rs->resource->n_attributes, "service.name", "svc");
	rs->resource->dropped_attributes_count = 3;
	otlp_push(a, &req->resource_spans, &req->n_resource_spans, rs);

	Tl__ScopeSpans *ss = arena_alloc(a, sizeof *ss);
	tl__scope_spans__init(ss);
	ss->schema_url = "scope-schema";
	ss->scope = arena_alloc(a, sizeof *ss->scope);
	tl__instrumentation_scope__init(ss->scope);
	ss->scope->name = "my.scope";
	ss->scope->version = "1.2.3";
	otlp_attr_bool(a, &ss->scope->attributes, &ss->scope->n_attributes, "scoped", 1);
	ss->scope->dropped_attributes_count = 4;
	otlp_push(a, &rs->scope_spans, &rs->n_scope_spans, ss);

	Tl__Span *s = arena_alloc(a, sizeof *s);
	tl__span__init(s);
	s->trace_id = bin(a, "\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10", 16);
	s->span_id = bin(a, "\x00\x11\x22\x33\x44\x55\x66\x77", 8);
	s->trace_state = "rojo=00f067aa0ba902b7";
	s->flags = 257;
	s->name = "root \"span\"";
	s->kind = 2;
	s->start_time_unix_nano = 1700000000123456789ull;
	s->end_time_unix_nano = UINT64_MAX;
	s->dropped_attributes_count = 5;
	s->dropped_events_count = 6;
	s->dropped_links_count = 7;
	Tl__KeyValue ***at = &s->attributes;
	size_t *na = &s->n_attributes;
	otlp_attr_str(a, at, na, "esc", "q\" b\\ n\n t\t r\r \x01 \x1f / \x7f");
	otlp_attr_str(a, at, na, "utf8", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80");
	otlp_attr_str(a, at, na, "bad", "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x9c");
	otlp_attr_str(a, at, na, "empty", "");
	otlp_attr_bool(a, at, na, "t", 1);
	otlp_attr_bool(a, at, na, "f", 0);
	otlp_attr_int(a, at, na, "imin", INT64_MIN);
	otlp_attr_int(a, at, na, "imax", INT64_MAX);
	otlp_attr_int(a, at, na, "zero", 0);
	otlp_attr_double(a, at, na, "tenth", 0.1);
	otlp_attr_double(a, at, na, "third", 1.0 / 3.0);
	otlp_attr_double(a, at, na, "big", -1.7976931348623157e308);
	otlp_attr_double(a, at, na, "tiny", 5e-324);
	otlp_attr_double(a, at, na, "whole", 42.0);
	otlp_attr_double(a, at, na, "nan", NAN);
	otlp_attr_double(a, at, na, "inf", INFINITY);
	otlp_attr_double(a, at, na, "ninf", -INFINITY);

	Tl__AnyValue *arr = otlp_any_new(a);
	arr->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
	arr->array_value = arena_alloc(a, sizeof *arr->array_value);
	tl__array_value__init(arr->array_value);
	otlp_push(a, &arr->array_value->values, &arr->array_value->n_values, any_str(a, "x"));
	Tl__AnyValue *inner = otlp_any_new(a);
	inner->value_case = TL__ANY_VALUE__VALUE_KVLIST_VALUE;
	inner->kvlist_value = arena_alloc(a, sizeof *inner->kvlist_value);
	tl__key_value_list__init(inner->kvlist_value);
	otlp_attr_int(a, &inner->kvlist_value->values, &inner->kvlist_value->n_values, "n", -7);
	otlp_push(a, &arr->array_value->values, &arr->array_value->n_values, inner);
	otlp_push(a, &arr->array_value->values, &arr->array_value->n_values, otlp_any_new(a));
	otlp_push(a, at, na, otlp_kv_new(a, "arr", arr));

	Tl__AnyValue *by = otlp_any_new(a);
	by->value_case = TL__ANY_VALUE__VALUE_BYTES_VALUE;
	by->bytes_value = bin(a, "\x00\x01\xff\xfe", 4);
	otlp_push(a, at, na, otlp_kv_new(a, "bytes", by));
	Tl__AnyValue *eb = otlp_any_new(a);
	eb->value_case = TL__ANY_VALUE__VALUE_BYTES_VALUE;
	otlp_push(a, at, na, otlp_kv_new(a, "nobytes", eb));
	otlp_push(a, at, na, otlp_kv_new(a, "unset", otlp_any_new(a)));
	otlp_push(a, &ss->spans, &ss->n_spans, s);

	Tl__Span *c = arena_alloc(a, sizeof *c);
	tl__span__init(c);
	c->trace_id = s->trace_id;
	c->span_id = bin(a, "\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 8);
	c->parent_span_id = s->span_id;
	c->name = "child";
	c->start_time_unix_nano = 1;
	c->end_time_unix_nano = 2;
	Tl__Span__Event *ev = arena_alloc(a, sizeof *ev);
	tl__span__event__init(ev);
	ev->time_unix_nano = 1700000000000000001ull;
	ev->name = "exception";
	ev->dropped_attributes_count = 8;
	otlp_attr_str(a, &ev->attributes, &ev->n_attributes, "exception.type", "ValueError");
	otlp_push(a, &c->events, &c->n_events, ev);
	Tl__Span__Link *ln = arena_alloc(a, sizeof *ln);
	tl__span__link__init(ln);
	ln->trace_id = bin(a, "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	ln->span_id = bin(a, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	ln->trace_state = "k=v";
	ln->flags = 1;
	ln->dropped_attributes_count = 9;
	otlp_attr_str(a, &ln->attributes, &ln->n_attributes, "link.type", "follows");
	otlp_push(a, &c->links, &c->n_links, ln);
	c->status = arena_alloc(a, sizeof *c->status);
	tl__status__init(c->status);
	c->status->code = 2;
	c->status->message = "boom\n";
	otlp_push(a, &ss->spans, &ss->n_spans, c);
	return req;
}

static void check_values(const cJSON *attrs)
{
	CHECK(str_is(str_of(attr_value(attrs, "esc"), "stringValue"),
	             "q\" b\\ n\n t\t r\r \x01 \x1f / \x7f"), "escapes round-trip");
	CHECK(str_is(str_of(attr_value(attrs, "utf8"), "stringValue"),
	             "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"), "valid UTF-8 passes through");
	CHECK(str_is(str_of(attr_value(attrs, "bad"), "stringValue"),
	             "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	             "d\xef\xbf\xbd\xef\xbf\xbd"), "invalid UTF-8 becomes U+FFFD per byte");
	CHECK(str_is(str_of(attr_value(attrs, "empty"), "stringValue"), ""), "empty string kept");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(attr_value(attrs, "t"), "boolValue")), "true");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(attr_value(attrs, "f"), "boolValue")), "false");
	CHECK(str_is(str_of(attr_value(attrs, "imin"), "intValue"), "-9223372036854775808"), "INT64_MIN");
	CHECK(str_is(str_of(attr_value(attrs, "imax"), "intValue"), "9223372036854775807"), "INT64_MAX");
	CHECK(str_is(str_of(attr_value(attrs, "zero"), "intValue"), "0"), "zero int");
	CHECK(num_of(attr_value(attrs, "tenth"), "doubleValue") == 0.1, "0.1 exact");
	CHECK(num_of(attr_value(attrs, "third"), "doubleValue") == 1.0 / 3.0, "1/3 exact");
	CHECK(num_of(attr_value(attrs, "big"), "doubleValue") == -1.7976931348623157e308, "-DBL_MAX");
	CHECK(num_of(attr_value(attrs, "tiny"), "doubleValue") == 5e-324, "denormal min");
	CHECK(num_of(attr_value(attrs, "whole"), "doubleValue") == 42.0, "whole double");
	CHECK(str_is(str_of(attr_value(attrs, "nan"), "doubleValue"), "NaN"), "NaN as string");
	CHECK(str_is(str_of(attr_value(attrs, "inf"), "doubleValue"), "Infinity"), "Infinity");
	CHECK(str_is(str_of(attr_value(attrs, "ninf"), "doubleValue"), "-Infinity"), "-Infinity");

	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(attr_value(attrs, "arr"), "arrayValue"), "values");
	CHECK(cJSON_GetArraySize(arr) == 3, "array of 3");
	CHECK(str_is(str_of(cJSON_GetArrayItem(arr, 0), "stringValue"), "x"), "array[0]");
	const cJSON *kvl = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 1), "kvlistValue"), "values");
	CHECK(str_is(str_of(attr_value(kvl, "n"), "intValue"), "-7"), "kvlist in array");
	CHECK(cJSON_IsObject(cJSON_GetArrayItem(arr, 2)) && !cJSON_GetArrayItem(arr, 2)->child,
	      "unset AnyValue is {}");
	CHECK(str_is(str_of(attr_value(attrs, "bytes"), "bytesValue"), "AAH//g=="), "bytes base64");
	CHECK(str_is(str_of(attr_value(attrs, "nobytes"), "bytesValue"), ""), "empty bytes");
	CHECK(cJSON_IsObject(attr_value(attrs, "unset")), "unset value");
}

static void check_request(const char *json, size_t len)
{
	CHECK(strlen(json) == len, "length matches");
	cJSON *root = cJSON_ParseWithLength(json, len);
	CHECK(root != NULL, "output parses: %.200s", json);
	if (!root)
		return;
	const cJSON *rs = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "resourceSpans"), 0);
	CHECK(str_is(str_of(rs, "schemaUrl"), "https://opentelemetry.io/schemas/1.26.0"), "resource schemaUrl");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(rs, "resource");
	CHECK(str_is(str_of(attr_value(cJSON_GetObjectItemCaseSensitive(res, "attributes"), "service.name"),
	                    "stringValue"), "svc"), "service.name");
	CHECK(num_of(res, "droppedAttributesCount") == 3, "resource dropped");
	const cJSON *ss = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rs, "scopeSpans"), 0);
	CHECK(str_is(str_of(ss, "schemaUrl"), "scope-schema"), "scope schemaUrl");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(ss, "scope");
	CHECK(str_is(str_of(sc, "name"), "my.scope") && str_is(str_of(sc, "version"), "1.2.3"), "scope");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		attr_value(cJSON_GetObjectItemCaseSensitive(sc, "attributes"), "scoped"), "boolValue")), "scope attr");
	CHECK(num_of(sc, "droppedAttributesCount") == 4, "scope dropped");

	const cJSON *spans = cJSON_GetObjectItemCaseSensitive(ss, "spans");
	CHECK(cJSON_GetArraySize(spans) == 2, "two spans");
	const cJSON *s = cJSON_GetArrayItem(spans, 0);
	CHECK(str_is(str_of(s, "traceId"), "0123456789abcdeffedcba9876543210"), "traceId hex");
	CHECK(str_is(str_of(s, "spanId"), "0011223344556677"), "spanId hex");
	CHECK(!cJSON_GetObjectItemCaseSensitive(s, "parentSpanId"), "root has no parentSpanId");
	CHECK(str_is(str_of(s, "traceState"), "rojo=00f067aa0ba902b7"), "traceState");
	CHECK(num_of(s, "flags") == 257, "flags");
	CHECK(str_is(str_of(s, "name"), "root \"span\""), "name escaped");
	CHECK(num_of(s, "kind") == 2, "kind is an integer");
	CHECK(str_is(str_of(s, "startTimeUnixNano"), "1700000000123456789"), "start as string");
	CHECK(str_is(str_of(s, "endTimeUnixNano"), "18446744073709551615"), "UINT64_MAX end");
	CHECK(num_of(s, "droppedAttributesCount") == 5, "dropped attributes");
	CHECK(num_of(s, "droppedEventsCount") == 6, "dropped events");
	CHECK(num_of(s, "droppedLinksCount") == 7, "dropped links");
	CHECK(!cJSON_GetObjectItemCaseSensitive(s, "status"), "no status when NULL");
	check_values(cJSON_GetObjectItemCaseSensitive(s, "attributes"));

	const cJSON *c = cJSON_GetArrayItem(spans, 1);
	CHECK(str_is(str_of(c, "parentSpanId"), "0011223344556677"), "parentSpanId");
	CHECK(!cJSON_GetObjectItemCaseSensitive(c, "traceState"), "empty traceState omitted");
	CHECK(num_of(c, "kind") == 0 && num_of(c, "flags") == 0, "zero enums written");
	const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "events"), 0);
	CHECK(str_is(str_of(ev, "timeUnixNano"), "1700000000000000001"), "event time");
	CHECK(str_is(str_of(ev, "name"), "exception"), "event name");
	CHECK(str_is(str_of(attr_value(cJSON_GetObjectItemCaseSensitive(ev, "attributes"), "exception.type"),
	                    "stringValue"), "ValueError"), "event attribute");
	CHECK(num_of(ev, "droppedAttributesCount") == 8, "event dropped");
	const cJSON *ln = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "links"), 0);
	CHECK(str_is(str_of(ln, "traceId"), "ffffffffffffffff0000000000000001"), "link traceId");
	CHECK(str_is(str_of(ln, "spanId"), "0102030405060708"), "link spanId");
	CHECK(str_is(str_of(ln, "traceState"), "k=v"), "link traceState");
	CHECK(num_of(ln, "flags") == 1 && num_of(ln, "droppedAttributesCount") == 9, "link counts");
	CHECK(str_is(str_of(attr_value(cJSON_GetObjectItemCaseSensitive(ln, "attributes"), "link.type"),
	                    "stringValue"), "follows"), "link attribute");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "status");
	CHECK(num_of(st, "code") == 2 && str_is(str_of(st, "message"), "boom\n"), "status");
	cJSON_Delete(root);
}

static void check_raw_escapes(const char *json)
{
	CHECK(strstr(json, "q\\\" b\\\\ n\\n t\\t r\\r \\u0001 \\u001f / \x7f\"") != NULL,
	      "short escapes and \\u00XX for other control characters");
	CHECK(strstr(json, "\"bad\",\"value\":{\"stringValue\":\"a\\ufffdb") != NULL, "U+FFFD escape");
	CHECK(strstr(json, "\"doubleValue\":0.1}") != NULL, "shortest round-trip double");
	CHECK(strstr(json, "\"intValue\":\"0\"") != NULL, "intValue is a string");
}

/* Returns 1 if both requests pack to the same protobuf bytes. */
static int same_wire(const Tl__ExportTraceServiceRequest *x, const Tl__ExportTraceServiceRequest *y)
{
	size_t nx = tl__export_trace_service_request__get_packed_size(x);
	size_t ny = tl__export_trace_service_request__get_packed_size(y);
	if (nx != ny)
		return 0;
	uint8_t *bx = malloc(nx + 1), *by = malloc(ny + 1);
	tl__export_trace_service_request__pack(x, bx);
	tl__export_trace_service_request__pack(y, by);
	int same = memcmp(bx, by, nx) == 0;
	free(bx);
	free(by);
	return same;
}

/* JSON -> otlp_json_decode -> the same request, on generated agent traces
 * (long prompts, every convention, errors, links, events). */
static void check_decoder_round_trip(void)
{
	size_t total = 0;
	for (size_t first = 0; first < 40; first += 8) {
		struct arena *a = arena_new();
		Tl__ExportTraceServiceRequest req = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
		for (size_t i = first; i < first + 8; i++)
			total += demo_generate(99, i, 1750000000000000000ull, 3, a, &req);
		size_t len;
		char *json = otlp_json_encode(&req, &len);
		cJSON *root = cJSON_ParseWithLength(json, len);
		CHECK(root != NULL, "demo JSON parses");
		Tl__ExportTraceServiceRequest *back = NULL;
		char err[256] = "";
		int rc = root ? otlp_json_decode(root, a, &back, err, sizeof err) : -1;
		CHECK(rc == 0 && back, "decoder takes the output: %s", err);
		if (rc == 0 && back)
			CHECK(same_wire(&req, back), "traces %zu..%zu survive JSON unchanged", first, first + 7);
		cJSON_Delete(root);
		free(json);
		arena_free(a);
	}
	CHECK(total > 100, "generated %zu spans", total);
}

static const char *root_attr(const Tl__ExportTraceServiceRequest *req, size_t ri, const char *key)
{
	const Tl__Span *root = req->resource_spans[ri]->scope_spans[0]->spans[0];
	return otlp_attr_find_str(root->attributes, root->n_attributes, key);
}

/* demo_generate: deterministic per index, distinct trace ids, sessions of
 * consecutive traces, children inside their parents, all in the window. */
static void check_generator(void)
{
	const uint64_t now = 1750000000000000000ull, day = 86400ull * 1000000000ull;
	struct arena *a = arena_new(), *b = arena_new();
	Tl__ExportTraceServiceRequest r1 = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	Tl__ExportTraceServiceRequest r2 = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	for (size_t i = 0; i < 16; i++)
		demo_generate(5, i, now, 2, a, &r1);
	for (size_t i = 16; i-- > 0;)
		demo_generate(5, i, now, 2, b, &r2);
	CHECK(r1.n_resource_spans == 16, "one ResourceSpans per trace");
	size_t same = 0, bad_time = 0, spans = 0, errors = 0;
	for (size_t i = 0; i < 16; i++) {
		Tl__ExportTraceServiceRequest x = r1, y = r2;
		x.n_resource_spans = y.n_resource_spans = 1;
		x.resource_spans = &r1.resource_spans[i];
		y.resource_spans = &r2.resource_spans[15 - i];
		same += same_wire(&x, &y);
		const Tl__Span *root = r1.resource_spans[i]->scope_spans[0]->spans[0];
		for (size_t j = 0; j < 16; j++)
			if (j != i)
				CHECK(memcmp(root->trace_id.data, r1.resource_spans[j]->scope_spans[0]->spans[0]->trace_id.data, 16),
				      "trace ids %zu and %zu differ", i, j);
		if (root->start_time_unix_nano < now - 2 * day || root->end_time_unix_nano > now)
			bad_time++;
		const Tl__ResourceSpans *rs = r1.resource_spans[i];
		for (size_t si = 0; si < rs->n_scope_spans; si++)
			for (size_t k = 0; k < rs->scope_spans[si]->n_spans; k++) {
				const Tl__Span *sp = rs->scope_spans[si]->spans[k];
				spans++;
				errors += sp->status && sp->status->code == 2;
				if (sp->start_time_unix_nano > sp->end_time_unix_nano)
					bad_time++;
				if (!sp->parent_span_id.len)
					continue;
				/* find the parent: every span but the root has one here */
				const Tl__Span *parent = NULL;
				for (size_t sj = 0; sj < rs->n_scope_spans; sj++)
					for (size_t m = 0; m < rs->scope_spans[sj]->n_spans; m++)
						if (!memcmp(rs->scope_spans[sj]->spans[m]->span_id.data, sp->parent_span_id.data, 8))
							parent = rs->scope_spans[sj]->spans[m];
				CHECK(parent != NULL, "parent of %s is in the trace", sp->name);
				if (parent && (sp->start_time_unix_nano < parent->start_time_unix_nano ||
				               sp->end_time_unix_nano > parent->end_time_unix_nano))
					bad_time++;
			}
	}
	CHECK(same == 16, "same trace whatever the generation order (%zu/16)", same);
	CHECK(bad_time == 0, "%zu spans outside their parent or the window", bad_time);
	CHECK(spans >= 16 * 3, "several spans per trace (%zu)", spans);
	CHECK(errors < spans / 3, "errors are the exception (%zu of %zu)", errors, spans);
	const char *s0 = root_attr(&r1, 0, "session.id"), *s1 = root_attr(&r1, 1, "session.id");
	CHECK(s0 && s1 && strcmp(s0, s1) == 0, "consecutive traces share a session");
	CHECK(s0 && root_attr(&r1, 8, "session.id") && strcmp(s0, root_attr(&r1, 8, "session.id")) != 0,
	      "sessions end");
	CHECK(root_attr(&r1, 0, "gen_ai.operation.name") &&
	      strcmp(root_attr(&r1, 0, "gen_ai.operation.name"), "invoke_agent") == 0, "agent root");
	arena_free(a);
	arena_free(b);
}

int main(void)
{
	struct arena *a = arena_new();
	Tl__ExportTraceServiceRequest *req = build(a);
	size_t len = 0;
	char *json = otlp_json_encode(req, &len);
	check_request(json, len);
	check_raw_escapes(json);

	size_t slen = 0;
	char *one = otlp_json_encode_span(req->resource_spans[0]->scope_spans[0]->spans[1], &slen);
	CHECK(slen > 0 && strstr(json, one) != NULL, "span encoding is the same text as inside the request");
	cJSON *sp = cJSON_Parse(one);
	CHECK(sp && str_is(str_of(sp, "name"), "child"), "span object parses");
	cJSON_Delete(sp);
	free(one);
	free(json);

	Tl__ExportTraceServiceRequest empty = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	json = otlp_json_encode(&empty, NULL);
	CHECK(strcmp(json, "{\"resourceSpans\":[]}") == 0, "empty request: %s", json);
	free(json);

	/* a string longer than the first buffer, all escapes, grows correctly */
	size_t n = 100000;
	char *big = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i % 3 ? '"' : '\x02');
	big[n] = 0;
	Tl__Span s = TL__SPAN__INIT;
	s.name = big;
	one = otlp_json_encode_span(&s, &slen);
	cJSON *bs = cJSON_Parse(one);
	CHECK(bs && str_is(str_of(bs, "name"), big), "100 KB escaped name round-trips");
	cJSON_Delete(bs);
	free(one);
	free(big);
	arena_free(a);
	check_decoder_round_trip();
	check_generator();
	return test_done();
}
