/* gen.c: writes the protobuf fixtures of tests/unit/test_otlp_pb.c. full.bin
 * is the same request as tests/data/otlp_json/full.json (test_otlp_json
 * checks that the two decode alike); the others are hand-encoded hostile or
 * foreign inputs. The .bin files are committed; regenerate from the repo root:
 *   make B=build build/otlp.pb-c.c && cc -std=c11 -D_GNU_SOURCE -Ibuild -Isrc \
 *     -o /tmp/otlp_pb_gen tests/data/otlp_pb/gen.c src/arena.c src/otlp_build.c \
 *     build/otlp.pb-c.c -lprotobuf-c && /tmp/otlp_pb_gen tests/data/otlp_pb */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "otlp_build.h"

static const char *outdir;

static void write_file(const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", outdir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- protobuf-c built messages ---- */

static ProtobufCBinaryData bin(struct arena *a, const char *hex)
{
	ProtobufCBinaryData b = {strlen(hex) / 2, NULL};
	b.data = arena_alloc(a, b.len);
	for (size_t i = 0; i < b.len; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		b.data[i] = (uint8_t)v;
	}
	return b;
}

static Tl__AnyValue *any_kind(struct arena *a, Tl__AnyValue__ValueCase kind)
{
	Tl__AnyValue *v = otlp_any_new(a);
	v->value_case = kind;
	return v;
}

static Tl__AnyValue *any_str(struct arena *a, const char *s)
{
	Tl__AnyValue *v = any_kind(a, TL__ANY_VALUE__VALUE_STRING_VALUE);
	v->string_value = arena_strdup(a, s);
	return v;
}

static Tl__AnyValue *any_bytes(struct arena *a, const void *p, size_t n)
{
	Tl__AnyValue *v = any_kind(a, TL__ANY_VALUE__VALUE_BYTES_VALUE);
	v->bytes_value.len = n;
	v->bytes_value.data = arena_alloc(a, n);
	memcpy(v->bytes_value.data, p, n);
	return v;
}

static Tl__AnyValue *any_array(struct arena *a, Tl__ArrayValue **arr)
{
	Tl__AnyValue *v = any_kind(a, TL__ANY_VALUE__VALUE_ARRAY_VALUE);
	*arr = v->array_value = arena_alloc(a, sizeof **arr);
	tl__array_value__init(*arr);
	return v;
}

static Tl__AnyValue *any_kvlist(struct arena *a, Tl__KeyValueList **kvl)
{
	Tl__AnyValue *v = any_kind(a, TL__ANY_VALUE__VALUE_KVLIST_VALUE);
	*kvl = v->kvlist_value = arena_alloc(a, sizeof **kvl);
	tl__key_value_list__init(*kvl);
	return v;
}

static Tl__Span *span_new(struct arena *a, const char *trace, const char *span, const char *name)
{
	Tl__Span *sp = arena_alloc(a, sizeof *sp);
	tl__span__init(sp);
	sp->trace_id = bin(a, trace);
	sp->span_id = bin(a, span);
	sp->name = arena_strdup(a, name);
	return sp;
}

/* Wraps spans in one ResourceSpans/ScopeSpans without resource or scope. */
static Tl__ExportTraceServiceRequest *request_of(struct arena *a, Tl__Span **spans, size_t n)
{
	Tl__ScopeSpans *ss = arena_alloc(a, sizeof *ss);
	tl__scope_spans__init(ss);
	for (size_t i = 0; i < n; i++)
		otlp_push(a, &ss->spans, &ss->n_spans, spans[i]);
	Tl__ResourceSpans *rs = arena_alloc(a, sizeof *rs);
	tl__resource_spans__init(rs);
	otlp_push(a, &rs->scope_spans, &rs->n_scope_spans, ss);
	Tl__ExportTraceServiceRequest *req = arena_alloc(a, sizeof *req);
	tl__export_trace_service_request__init(req);
	otlp_push(a, &req->resource_spans, &req->n_resource_spans, rs);
	return req;
}

/* The attributes of the first span of full.json, in its order. */
static void full_span_attrs(struct arena *a, Tl__Span *sp)
{
	Tl__KeyValue ***at = &sp->attributes;
	size_t *n = &sp->n_attributes;
	Tl__ArrayValue *arr, *inner;
	Tl__KeyValueList *kvl, *deep;
	Tl__AnyValue *v;

	otlp_attr_str(a, at, n, "str", "h\xc3\xa9llo \"q\"\n");
	otlp_attr_bool(a, at, n, "bool", 0);
	otlp_attr_int(a, at, n, "int.str", INT64_MIN);
	otlp_attr_int(a, at, n, "int.num", 42);
	otlp_attr_double(a, at, n, "double", 3.25);
	otlp_attr_double(a, at, n, "double.ninf", -INFINITY);
	otlp_push(a, at, n, otlp_kv_new(a, "bytes", any_bytes(a, "\x00\x01\x02\xff", 4)));

	v = any_array(a, &arr);
	otlp_push(a, &arr->values, &arr->n_values, any_str(a, "a"));
	Tl__AnyValue *seven = any_kind(a, TL__ANY_VALUE__VALUE_INT_VALUE);
	seven->int_value = 7;
	otlp_push(a, &arr->values, &arr->n_values, seven);
	Tl__AnyValue *t = any_kind(a, TL__ANY_VALUE__VALUE_BOOL_VALUE);
	t->bool_value = 1;
	Tl__AnyValue *nested = any_array(a, &inner);
	otlp_push(a, &inner->values, &inner->n_values, t);
	otlp_push(a, &arr->values, &arr->n_values, nested);
	otlp_push(a, &arr->values, &arr->n_values, otlp_any_new(a));
	otlp_push(a, at, n, otlp_kv_new(a, "array", v));

	v = any_kvlist(a, &kvl);
	otlp_attr_double(a, &kvl->values, &kvl->n_values, "inner", 0.5);
	Tl__AnyValue *dv = any_kvlist(a, &deep);
	otlp_push(a, &deep->values, &deep->n_values, otlp_kv_new(a, "raw", any_bytes(a, "hi", 2)));
	otlp_push(a, &kvl->values, &kvl->n_values, otlp_kv_new(a, "deep", dv));
	otlp_push(a, at, n, otlp_kv_new(a, "kvlist", v));

	otlp_push(a, at, n, otlp_kv_new(a, "empty", otlp_any_new(a)));
	otlp_push(a, at, n, otlp_kv_new(a, "novalue", NULL));
}

static Tl__ExportTraceServiceRequest *full_request(struct arena *a)
{
	Tl__Span *sp = span_new(a, "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "chat gpt-4o");
	sp->parent_span_id = bin(a, "eee19b7ec3c1b173");
	sp->trace_state = arena_strdup(a, "vendor=abc,other=1");
	sp->flags = 257;
	sp->kind = 3;
	sp->start_time_unix_nano = 1700000000000000001ull;
	sp->end_time_unix_nano = 1700000000123456789ull;
	full_span_attrs(a, sp);
	sp->dropped_attributes_count = 3;

	Tl__Span__Event *ev = arena_alloc(a, sizeof *ev);
	tl__span__event__init(ev);
	ev->time_unix_nano = 1700000000000000500ull;
	ev->name = arena_strdup(a, "gen_ai.choice");
	otlp_attr_int(a, &ev->attributes, &ev->n_attributes, "index", 0);
	ev->dropped_attributes_count = 4;
	otlp_push(a, &sp->events, &sp->n_events, ev);
	ev = arena_alloc(a, sizeof *ev);
	tl__span__event__init(ev);
	ev->time_unix_nano = 1700000000;
	ev->name = arena_strdup(a, "exception");
	otlp_push(a, &sp->events, &sp->n_events, ev);
	sp->dropped_events_count = 5;

	Tl__Span__Link *ln = arena_alloc(a, sizeof *ln);
	tl__span__link__init(ln);
	ln->trace_id = bin(a, "0af7651916cd43dd8448eb211c80319c");
	ln->span_id = bin(a, "b7ad6b7169203331");
	ln->trace_state = arena_strdup(a, "k=v");
	otlp_attr_str(a, &ln->attributes, &ln->n_attributes, "link.kind", "follows");
	ln->dropped_attributes_count = 6;
	ln->flags = 1;
	otlp_push(a, &sp->links, &sp->n_links, ln);
	sp->dropped_links_count = 7;

	sp->status = arena_alloc(a, sizeof *sp->status);
	tl__status__init(sp->status);
	sp->status->message = arena_strdup(a, "rate limited");
	sp->status->code = 2;

	Tl__Span *server = span_new(a, "5b8efff798038103d269b633813fc60c", "0102030405060708", "POST /v1/chat");
	server->kind = 2;
	server->start_time_unix_nano = 1000;
	server->end_time_unix_nano = 2000;
	server->status = arena_alloc(a, sizeof *server->status);
	tl__status__init(server->status);
	server->status->code = 1;

	Tl__Span *pair[2] = {sp, server};
	Tl__ExportTraceServiceRequest *req = request_of(a, pair, 2);
	Tl__ResourceSpans *rs = req->resource_spans[0];
	rs->schema_url = arena_strdup(a, "https://opentelemetry.io/schemas/1.24.0");
	rs->resource = arena_alloc(a, sizeof *rs->resource);
	tl__resource__init(rs->resource);
	otlp_attr_str(a, &rs->resource->attributes, &rs->resource->n_attributes, "service.name", "checkout");
	otlp_attr_int(a, &rs->resource->attributes, &rs->resource->n_attributes, "host.cores", 8);
	rs->resource->dropped_attributes_count = 1;
	Tl__ScopeSpans *ss = rs->scope_spans[0];
	ss->schema_url = arena_strdup(a, "https://opentelemetry.io/schemas/1.21.0");
	ss->scope = arena_alloc(a, sizeof *ss->scope);
	tl__instrumentation_scope__init(ss->scope);
	ss->scope->name = arena_strdup(a, "agent-sdk");
	ss->scope->version = arena_strdup(a, "1.2.3");
	otlp_attr_bool(a, &ss->scope->attributes, &ss->scope->n_attributes, "scope.enabled", 1);
	ss->scope->dropped_attributes_count = 2;

	Tl__Span *bare = span_new(a, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "bare");
	Tl__ExportTraceServiceRequest *second = request_of(a, &bare, 1);
	otlp_push(a, &req->resource_spans, &req->n_resource_spans, second->resource_spans[0]);
	return req;
}

/* Spans whose ids span_batch_add_request must refuse, one reason each. */
static Tl__ExportTraceServiceRequest *bad_ids_request(struct arena *a)
{
	Tl__Span *s[4] = {
		span_new(a, "5b8efff798038103d269b633813fc6", "eee19b7ec3c1b174", "short trace id"),
		span_new(a, "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b1", "short span id"),
		span_new(a, "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "short parent id"),
		span_new(a, "00000000000000000000000000000000", "eee19b7ec3c1b174", "zero trace id"),
	};
	s[2]->parent_span_id = bin(a, "eee19b7e");
	return request_of(a, s, 4);
}

/* One good span, then one with a 20-byte trace id: a partial success. */
static Tl__ExportTraceServiceRequest *mixed_ids_request(struct arena *a)
{
	Tl__Span *s[2] = {
		span_new(a, "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "good"),
		span_new(a, "5b8efff798038103d269b633813fc60c01020304", "eee19b7ec3c1b175", "long trace id"),
	};
	return request_of(a, s, 2);
}

static void write_request(const char *name, const Tl__ExportTraceServiceRequest *req, size_t cut)
{
	size_t len = tl__export_trace_service_request__get_packed_size(req);
	uint8_t *buf = malloc(len);
	tl__export_trace_service_request__pack(req, buf);
	write_file(name, buf, cut ? cut : len);
	free(buf);
}

/* ---- hand-encoded wire bytes ---- */

struct wire {
	uint8_t d[512];
	size_t n;
};

static void put_varint(struct wire *w, uint64_t v)
{
	do {
		w->d[w->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static void put_tag(struct wire *w, unsigned field, unsigned wire_type)
{
	put_varint(w, (uint64_t)field << 3 | wire_type);
}

static void put_len(struct wire *w, unsigned field, const void *p, size_t n)
{
	put_tag(w, field, 2);
	put_varint(w, n);
	memcpy(w->d + w->n, p, n);
	w->n += n;
}

static void put_msg(struct wire *w, unsigned field, const struct wire *m)
{
	put_len(w, field, m->d, m->n);
}

static void put_fixed64(struct wire *w, unsigned field, uint64_t v)
{
	put_tag(w, field, 1);
	for (int i = 0; i < 8; i++)
		w->d[w->n++] = (uint8_t)(v >> (8 * i));
}

/* Writes name as ExportLogsServiceRequest{ResourceLogs{resource, ScopeLogs{
 * scope, LogRecord = rec}}}. */
static void write_logs(const char *name, const struct wire *rec)
{
	struct wire any = {0}, kv = {0}, res = {0}, scope = {0}, sl = {0}, rl = {0}, req = {0};
	put_len(&any, 1, "billing", 7);                   /* AnyValue.string_value */
	put_len(&kv, 1, "service.name", 12);              /* KeyValue.key */
	put_msg(&kv, 2, &any);                            /* KeyValue.value */
	put_msg(&res, 1, &kv);                            /* Resource.attributes */
	put_len(&scope, 1, "logger", 6);                  /* InstrumentationScope.name */
	put_msg(&sl, 1, &scope);                          /* ScopeLogs.scope */
	put_msg(&sl, 2, rec);                             /* ScopeLogs.log_records */
	put_msg(&rl, 1, &res);                            /* ResourceLogs.resource */
	put_msg(&rl, 2, &sl);                             /* ResourceLogs.scope_logs */
	put_msg(&req, 1, &rl);                            /* resource_logs */
	write_file(name, req.d, req.n);
}

static void write_hand_encoded(void)
{
	static const uint8_t trace[16] = {0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03,
	                                  0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c};
	struct wire body = {0}, rec = {0}, only = {0};
	put_len(&body, 1, "user logged in", 14);          /* AnyValue.string_value */

	/* A real log record: its fields clash with Span's wire types. */
	put_fixed64(&rec, 1, 1700000000000000000ull);     /* time_unix_nano */
	put_tag(&rec, 2, 0);                              /* severity_number = INFO */
	put_varint(&rec, 9);
	put_msg(&rec, 5, &body);                          /* body */
	put_len(&rec, 9, trace, 16);                      /* trace_id */
	put_len(&rec, 10, trace, 8);                      /* span_id */
	write_logs("logs.bin", &rec);

	/* Only a body: it reads as a Span named "\n\x0euser logged in" with no
	 * ids, which protobuf accepts and span_batch_add_request must refuse. */
	put_msg(&only, 5, &body);
	write_logs("logs_body_only.bin", &only);

	/* Span.start_time_unix_nano (fixed64) sent as a varint, three levels in. */
	struct wire span = {0}, ss = {0}, rs = {0}, req = {0};
	put_len(&span, 1, trace, 16);
	put_tag(&span, 7, 0);
	put_varint(&span, 5);
	put_msg(&ss, 2, &span);
	put_msg(&rs, 2, &ss);
	put_msg(&req, 1, &rs);
	write_file("wrong_wire_type.bin", req.d, req.n);

	/* resource_spans claiming 4 GiB that are not there. */
	struct wire huge = {0};
	put_tag(&huge, 1, 2);
	put_varint(&huge, 0xffffffffu);
	write_file("huge_length.bin", huge.d, huge.n);

	/* resource_spans (a message) sent as a varint at the top level. */
	struct wire top = {0};
	put_tag(&top, 1, 0);
	put_varint(&top, 1);
	write_file("wrong_wire_type_top.bin", top.d, top.n);
}

int main(int argc, char **argv)
{
	struct arena *a = arena_new();
	outdir = argc > 1 ? argv[1] : "tests/data/otlp_pb";
	Tl__ExportTraceServiceRequest *full = full_request(a);
	write_request("full.bin", full, 0);
	write_request("truncated.bin", full, tl__export_trace_service_request__get_packed_size(full) / 2);
	write_request("ids_wrong_length.bin", bad_ids_request(a), 0);
	write_request("ids_mixed.bin", mixed_ids_request(a), 0);
	write_file("empty.bin", "", 0);
	write_hand_encoded();
	arena_free(a);
	return 0;
}
