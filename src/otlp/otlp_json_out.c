/* otlp_json_out.c: OTLP/JSON writer: the OTLP JSON mapping's shape (keys,
 * hex ids, quoted 64-bit integers, proto3 non-finite doubles) over
 * base/json's buffer, strings, numbers and base64. */
#include "otlp/otlp_json_out.h"
#include <math.h>
#include <stdint.h>
#include "base/ids.h"
#include "base/json.h"

static void jb_i64_quoted(struct jbuf *b, int64_t v)
{
	jbuf_putc(b, '"');
	json_i64(b, v);
	jbuf_putc(b, '"');
}

static void jb_u64_quoted(struct jbuf *b, uint64_t v)
{
	jbuf_putc(b, '"');
	json_u64(b, v);
	jbuf_putc(b, '"');
}

static void jb_hex(struct jbuf *b, const ProtobufCBinaryData *d)
{
	char o[2 * 32 + 1];
	jbuf_putc(b, '"');
	for (size_t i = 0; i < d->len; i += 32) {
		size_t k = d->len - i < 32 ? d->len - i : 32;
		id_to_hex(d->data + i, k, o);
		jbuf_put(b, o, 2 * k);
	}
	jbuf_putc(b, '"');
}

/* The proto3 JSON mapping, which OTLP/JSON follows, writes a non-finite
 * double as the string "NaN", "Infinity" or "-Infinity" (and otlp_json.c
 * reads them back), so this format keeps them where base/json writes null;
 * finite doubles take base/json's one rule. */
static void jb_double(struct jbuf *b, double v)
{
	if (isnan(v))
		jbuf_lit(b, "\"NaN\"");
	else if (isinf(v) && v > 0)
		jbuf_lit(b, "\"Infinity\"");
	else if (isinf(v))
		jbuf_lit(b, "\"-Infinity\"");
	else
		json_double(b, v);
}

static void put_attrs(struct jbuf *b, Tl__KeyValue *const *kv, size_t n);

static void put_any(struct jbuf *b, const Tl__AnyValue *v)
{
	if (!v) {
		jbuf_lit(b, "{}");
		return;
	}
	switch (v->value_case) {
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		jbuf_lit(b, "{\"stringValue\":");
		json_strz(b, v->string_value);
		break;
	case TL__ANY_VALUE__VALUE_BOOL_VALUE:
		if (v->bool_value)
			jbuf_lit(b, "{\"boolValue\":true");
		else
			jbuf_lit(b, "{\"boolValue\":false");
		break;
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		jbuf_lit(b, "{\"intValue\":");
		jb_i64_quoted(b, v->int_value);
		break;
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		jbuf_lit(b, "{\"doubleValue\":");
		jb_double(b, v->double_value);
		break;
	case TL__ANY_VALUE__VALUE_ARRAY_VALUE:
		jbuf_lit(b, "{\"arrayValue\":{\"values\":[");
		if (v->array_value)
			for (size_t i = 0; i < v->array_value->n_values; i++) {
				if (i)
					jbuf_putc(b, ',');
				put_any(b, v->array_value->values[i]);
			}
		jbuf_lit(b, "]}");
		break;
	case TL__ANY_VALUE__VALUE_KVLIST_VALUE:
		jbuf_lit(b, "{\"kvlistValue\":{\"values\":");
		if (v->kvlist_value)
			put_attrs(b, v->kvlist_value->values, v->kvlist_value->n_values);
		else
			jbuf_lit(b, "[]");
		jbuf_putc(b, '}');
		break;
	case TL__ANY_VALUE__VALUE_BYTES_VALUE:
		jbuf_lit(b, "{\"bytesValue\":");
		json_base64(b, v->bytes_value.data, v->bytes_value.len);
		break;
	default:
		jbuf_putc(b, '{');
		break;
	}
	jbuf_putc(b, '}');
}

static void put_attrs(struct jbuf *b, Tl__KeyValue *const *kv, size_t n)
{
	jbuf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			jbuf_putc(b, ',');
		jbuf_lit(b, "{\"key\":");
		json_strz(b, kv[i]->key);
		jbuf_lit(b, ",\"value\":");
		put_any(b, kv[i]->value);
		jbuf_putc(b, '}');
	}
	jbuf_putc(b, ']');
}

/* ,"key":<count> */
static void put_count(struct jbuf *b, const char *key_lit, size_t key_len, uint64_t v)
{
	jbuf_put(b, key_lit, key_len);
	json_u64(b, v);
}

#define PUT_COUNT(b, lit, v) put_count((b), (lit), sizeof(lit) - 1, (v))

static int nonempty(const char *s)
{
	return s && *s;
}

static void put_span(struct jbuf *b, const Tl__Span *s)
{
	jbuf_lit(b, "{\"traceId\":");
	jb_hex(b, &s->trace_id);
	jbuf_lit(b, ",\"spanId\":");
	jb_hex(b, &s->span_id);
	if (nonempty(s->trace_state)) {
		jbuf_lit(b, ",\"traceState\":");
		json_strz(b, s->trace_state);
	}
	if (s->parent_span_id.len) {
		jbuf_lit(b, ",\"parentSpanId\":");
		jb_hex(b, &s->parent_span_id);
	}
	PUT_COUNT(b, ",\"flags\":", s->flags);
	jbuf_lit(b, ",\"name\":");
	json_strz(b, s->name);
	jbuf_lit(b, ",\"kind\":");
	json_i64(b, s->kind);
	jbuf_lit(b, ",\"startTimeUnixNano\":");
	jb_u64_quoted(b, s->start_time_unix_nano);
	jbuf_lit(b, ",\"endTimeUnixNano\":");
	jb_u64_quoted(b, s->end_time_unix_nano);
	jbuf_lit(b, ",\"attributes\":");
	put_attrs(b, s->attributes, s->n_attributes);
	PUT_COUNT(b, ",\"droppedAttributesCount\":", s->dropped_attributes_count);
	jbuf_lit(b, ",\"events\":[");
	for (size_t i = 0; i < s->n_events; i++) {
		const Tl__Span__Event *e = s->events[i];
		if (i)
			jbuf_putc(b, ',');
		jbuf_lit(b, "{\"timeUnixNano\":");
		jb_u64_quoted(b, e->time_unix_nano);
		jbuf_lit(b, ",\"name\":");
		json_strz(b, e->name);
		jbuf_lit(b, ",\"attributes\":");
		put_attrs(b, e->attributes, e->n_attributes);
		PUT_COUNT(b, ",\"droppedAttributesCount\":", e->dropped_attributes_count);
		jbuf_putc(b, '}');
	}
	jbuf_putc(b, ']');
	PUT_COUNT(b, ",\"droppedEventsCount\":", s->dropped_events_count);
	jbuf_lit(b, ",\"links\":[");
	for (size_t i = 0; i < s->n_links; i++) {
		const Tl__Span__Link *l = s->links[i];
		if (i)
			jbuf_putc(b, ',');
		jbuf_lit(b, "{\"traceId\":");
		jb_hex(b, &l->trace_id);
		jbuf_lit(b, ",\"spanId\":");
		jb_hex(b, &l->span_id);
		if (nonempty(l->trace_state)) {
			jbuf_lit(b, ",\"traceState\":");
			json_strz(b, l->trace_state);
		}
		jbuf_lit(b, ",\"attributes\":");
		put_attrs(b, l->attributes, l->n_attributes);
		PUT_COUNT(b, ",\"droppedAttributesCount\":", l->dropped_attributes_count);
		PUT_COUNT(b, ",\"flags\":", l->flags);
		jbuf_putc(b, '}');
	}
	jbuf_putc(b, ']');
	PUT_COUNT(b, ",\"droppedLinksCount\":", s->dropped_links_count);
	if (s->status) {
		jbuf_lit(b, ",\"status\":{");
		if (nonempty(s->status->message)) {
			jbuf_lit(b, "\"message\":");
			json_strz(b, s->status->message);
			jbuf_putc(b, ',');
		}
		jbuf_lit(b, "\"code\":");
		json_i64(b, s->status->code);
		jbuf_putc(b, '}');
	}
	jbuf_putc(b, '}');
}

static void put_scope(struct jbuf *b, const Tl__InstrumentationScope *sc)
{
	jbuf_lit(b, "{\"name\":");
	json_strz(b, sc->name);
	if (nonempty(sc->version)) {
		jbuf_lit(b, ",\"version\":");
		json_strz(b, sc->version);
	}
	jbuf_lit(b, ",\"attributes\":");
	put_attrs(b, sc->attributes, sc->n_attributes);
	PUT_COUNT(b, ",\"droppedAttributesCount\":", sc->dropped_attributes_count);
	jbuf_putc(b, '}');
}

void otlp_json_put_span(struct jbuf *b, const Tl__Span *s)
{
	put_span(b, s);
}

void otlp_json_put_rs_open(struct jbuf *b, const Tl__ResourceSpans *rs)
{
	jbuf_putc(b, '{');
	if (rs->resource) {
		jbuf_lit(b, "\"resource\":{\"attributes\":");
		put_attrs(b, rs->resource->attributes, rs->resource->n_attributes);
		PUT_COUNT(b, ",\"droppedAttributesCount\":", rs->resource->dropped_attributes_count);
		jbuf_lit(b, "},");
	}
	jbuf_lit(b, "\"scopeSpans\":[");
}

void otlp_json_put_close(struct jbuf *b, const char *schema_url)
{
	jbuf_putc(b, ']');
	if (nonempty(schema_url)) {
		jbuf_lit(b, ",\"schemaUrl\":");
		json_strz(b, schema_url);
	}
	jbuf_putc(b, '}');
}

void otlp_json_put_ss_open(struct jbuf *b, const Tl__ScopeSpans *ss)
{
	jbuf_putc(b, '{');
	if (ss->scope) {
		jbuf_lit(b, "\"scope\":");
		put_scope(b, ss->scope);
		jbuf_putc(b, ',');
	}
	jbuf_lit(b, "\"spans\":[");
}

static void put_resource_spans(struct jbuf *b, const Tl__ResourceSpans *rs)
{
	otlp_json_put_rs_open(b, rs);
	for (size_t i = 0; i < rs->n_scope_spans; i++) {
		const Tl__ScopeSpans *ss = rs->scope_spans[i];
		if (i)
			jbuf_putc(b, ',');
		otlp_json_put_ss_open(b, ss);
		for (size_t j = 0; j < ss->n_spans; j++) {
			if (j)
				jbuf_putc(b, ',');
			put_span(b, ss->spans[j]);
		}
		otlp_json_put_close(b, ss->schema_url);
	}
	otlp_json_put_close(b, rs->schema_url);
}

char *otlp_json_encode(const Tl__ExportTraceServiceRequest *req, size_t *len)
{
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	jbuf_lit(&b, "{\"resourceSpans\":[");
	for (size_t i = 0; i < req->n_resource_spans; i++) {
		if (i)
			jbuf_putc(&b, ',');
		put_resource_spans(&b, req->resource_spans[i]);
	}
	jbuf_lit(&b, "]}");
	return jbuf_finish(&b, len);
}

char *otlp_json_encode_span(const Tl__Span *s, size_t *len)
{
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	put_span(&b, s);
	return jbuf_finish(&b, len);
}
