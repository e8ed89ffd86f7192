/* otlp_json_out.c: OTLP/JSON writer. A growable byte buffer with inline
 * appends; strings are copied in runs between the bytes that need work
 * (quote, backslash, control characters, non-ASCII to validate), so the
 * common long ASCII prompt costs one scan and one memcpy. */
#include "otlp/otlp_json_out.h"
#include <math.h>
#include <mbedtls/base64.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jb {
	char *p;
	size_t len, cap;
};

static void jb_reserve(struct jb *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			abort();
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		fputs("tracelite: out of memory\n", stderr);
		abort();
	}
	b->p = p;
	b->cap = cap;
}

static void jb_mem(struct jb *b, const void *s, size_t n)
{
	jb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define jb_lit(b, s) jb_mem((b), (s), sizeof(s) - 1)

static void jb_ch(struct jb *b, char c)
{
	jb_reserve(b, 1);
	b->p[b->len++] = c;
}

/* 0: copy as is; 1: escape; 2: start of a multi-byte sequence to check */
static const unsigned char esc_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Returns the length of the well-formed UTF-8 sequence at s[0..n) (n >= 1,
 * s[0] >= 0x80), or 0 if it is not one (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

static void jb_str_n(struct jb *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	jb_ch(b, '"');
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && esc_class[s[run]] == 0)
			run++;
		if (run > i) {
			jb_mem(b, s + i, run - i);
			i = run;
			if (i == n)
				break;
		}
		unsigned c = s[i];
		if (esc_class[c] == 2) {
			size_t k = utf8_seq_len(s + i, n - i);
			if (k) {
				jb_mem(b, s + i, k);
				i += k;
			} else {
				jb_lit(b, "\\ufffd");
				i++;
			}
			continue;
		}
		i++;
		switch (c) {
		case '"': jb_lit(b, "\\\""); break;
		case '\\': jb_lit(b, "\\\\"); break;
		case '\n': jb_lit(b, "\\n"); break;
		case '\r': jb_lit(b, "\\r"); break;
		case '\t': jb_lit(b, "\\t"); break;
		case '\b': jb_lit(b, "\\b"); break;
		case '\f': jb_lit(b, "\\f"); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			jb_mem(b, u, sizeof u);
		}
		}
	}
	jb_ch(b, '"');
}

static void jb_str(struct jb *b, const char *s)
{
	jb_str_n(b, s ? s : "", s ? strlen(s) : 0);
}

static void jb_u64(struct jb *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jb_mem(b, tmp + sizeof tmp - n, n);
}

static void jb_i64(struct jb *b, int64_t v)
{
	if (v < 0) {
		jb_ch(b, '-');
		jb_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		jb_u64(b, (uint64_t)v);
	}
}

static void jb_i64_quoted(struct jb *b, int64_t v)
{
	jb_ch(b, '"');
	jb_i64(b, v);
	jb_ch(b, '"');
}

static void jb_u64_quoted(struct jb *b, uint64_t v)
{
	jb_ch(b, '"');
	jb_u64(b, v);
	jb_ch(b, '"');
}

static void jb_hex(struct jb *b, const ProtobufCBinaryData *d)
{
	static const char hex[] = "0123456789abcdef";
	jb_reserve(b, 2 * d->len + 2);
	char *o = b->p + b->len;
	*o++ = '"';
	for (size_t i = 0; i < d->len; i++) {
		*o++ = hex[d->data[i] >> 4];
		*o++ = hex[d->data[i] & 15];
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

static void jb_base64(struct jb *b, const ProtobufCBinaryData *d)
{
	size_t need = (d->len + 2) / 3 * 4 + 1, olen = 0;
	jb_reserve(b, need + 2);
	b->p[b->len++] = '"';
	if (d->len && mbedtls_base64_encode((unsigned char *)b->p + b->len, need, &olen,
	                                    d->data, d->len) != 0)
		abort(); /* cannot happen: the buffer was sized by the formula */
	b->len += olen;
	b->p[b->len++] = '"';
}

/* Shortest of %.15g..%.17g that reads back as the same double. */
static void jb_double(struct jb *b, double v)
{
	if (isnan(v)) {
		jb_lit(b, "\"NaN\"");
		return;
	}
	if (isinf(v)) {
		if (v > 0)
			jb_lit(b, "\"Infinity\"");
		else
			jb_lit(b, "\"-Infinity\"");
		return;
	}
	char tmp[32];
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	jb_mem(b, tmp, (size_t)n);
}

static void put_attrs(struct jb *b, Tl__KeyValue *const *kv, size_t n);

static void put_any(struct jb *b, const Tl__AnyValue *v)
{
	if (!v) {
		jb_lit(b, "{}");
		return;
	}
	switch (v->value_case) {
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		jb_lit(b, "{\"stringValue\":");
		jb_str(b, v->string_value);
		break;
	case TL__ANY_VALUE__VALUE_BOOL_VALUE:
		if (v->bool_value)
			jb_lit(b, "{\"boolValue\":true");
		else
			jb_lit(b, "{\"boolValue\":false");
		break;
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		jb_lit(b, "{\"intValue\":");
		jb_i64_quoted(b, v->int_value);
		break;
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		jb_lit(b, "{\"doubleValue\":");
		jb_double(b, v->double_value);
		break;
	case TL__ANY_VALUE__VALUE_ARRAY_VALUE:
		jb_lit(b, "{\"arrayValue\":{\"values\":[");
		if (v->array_value)
			for (size_t i = 0; i < v->array_value->n_values; i++) {
				if (i)
					jb_ch(b, ',');
				put_any(b, v->array_value->values[i]);
			}
		jb_lit(b, "]}");
		break;
	case TL__ANY_VALUE__VALUE_KVLIST_VALUE:
		jb_lit(b, "{\"kvlistValue\":{\"values\":");
		if (v->kvlist_value)
			put_attrs(b, v->kvlist_value->values, v->kvlist_value->n_values);
		else
			jb_lit(b, "[]");
		jb_ch(b, '}');
		break;
	case TL__ANY_VALUE__VALUE_BYTES_VALUE:
		jb_lit(b, "{\"bytesValue\":");
		jb_base64(b, &v->bytes_value);
		break;
	default:
		jb_ch(b, '{');
		break;
	}
	jb_ch(b, '}');
}

static void put_attrs(struct jb *b, Tl__KeyValue *const *kv, size_t n)
{
	jb_ch(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			jb_ch(b, ',');
		jb_lit(b, "{\"key\":");
		jb_str(b, kv[i]->key);
		jb_lit(b, ",\"value\":");
		put_any(b, kv[i]->value);
		jb_ch(b, '}');
	}
	jb_ch(b, ']');
}

/* ,"key":<count> */
static void put_count(struct jb *b, const char *key_lit, size_t key_len, uint64_t v)
{
	jb_mem(b, key_lit, key_len);
	jb_u64(b, v);
}

#define PUT_COUNT(b, lit, v) put_count((b), (lit), sizeof(lit) - 1, (v))

static int nonempty(const char *s)
{
	return s && *s;
}

static void put_span(struct jb *b, const Tl__Span *s)
{
	jb_lit(b, "{\"traceId\":");
	jb_hex(b, &s->trace_id);
	jb_lit(b, ",\"spanId\":");
	jb_hex(b, &s->span_id);
	if (nonempty(s->trace_state)) {
		jb_lit(b, ",\"traceState\":");
		jb_str(b, s->trace_state);
	}
	if (s->parent_span_id.len) {
		jb_lit(b, ",\"parentSpanId\":");
		jb_hex(b, &s->parent_span_id);
	}
	PUT_COUNT(b, ",\"flags\":", s->flags);
	jb_lit(b, ",\"name\":");
	jb_str(b, s->name);
	jb_lit(b, ",\"kind\":");
	jb_i64(b, s->kind);
	jb_lit(b, ",\"startTimeUnixNano\":");
	jb_u64_quoted(b, s->start_time_unix_nano);
	jb_lit(b, ",\"endTimeUnixNano\":");
	jb_u64_quoted(b, s->end_time_unix_nano);
	jb_lit(b, ",\"attributes\":");
	put_attrs(b, s->attributes, s->n_attributes);
	PUT_COUNT(b, ",\"droppedAttributesCount\":", s->dropped_attributes_count);
	jb_lit(b, ",\"events\":[");
	for (size_t i = 0; i < s->n_events; i++) {
		const Tl__Span__Event *e = s->events[i];
		if (i)
			jb_ch(b, ',');
		jb_lit(b, "{\"timeUnixNano\":");
		jb_u64_quoted(b, e->time_unix_nano);
		jb_lit(b, ",\"name\":");
		jb_str(b, e->name);
		jb_lit(b, ",\"attributes\":");
		put_attrs(b, e->attributes, e->n_attributes);
		PUT_COUNT(b, ",\"droppedAttributesCount\":", e->dropped_attributes_count);
		jb_ch(b, '}');
	}
	jb_ch(b, ']');
	PUT_COUNT(b, ",\"droppedEventsCount\":", s->dropped_events_count);
	jb_lit(b, ",\"links\":[");
	for (size_t i = 0; i < s->n_links; i++) {
		const Tl__Span__Link *l = s->links[i];
		if (i)
			jb_ch(b, ',');
		jb_lit(b, "{\"traceId\":");
		jb_hex(b, &l->trace_id);
		jb_lit(b, ",\"spanId\":");
		jb_hex(b, &l->span_id);
		if (nonempty(l->trace_state)) {
			jb_lit(b, ",\"traceState\":");
			jb_str(b, l->trace_state);
		}
		jb_lit(b, ",\"attributes\":");
		put_attrs(b, l->attributes, l->n_attributes);
		PUT_COUNT(b, ",\"droppedAttributesCount\":", l->dropped_attributes_count);
		PUT_COUNT(b, ",\"flags\":", l->flags);
		jb_ch(b, '}');
	}
	jb_ch(b, ']');
	PUT_COUNT(b, ",\"droppedLinksCount\":", s->dropped_links_count);
	if (s->status) {
		jb_lit(b, ",\"status\":{");
		if (nonempty(s->status->message)) {
			jb_lit(b, "\"message\":");
			jb_str(b, s->status->message);
			jb_ch(b, ',');
		}
		jb_lit(b, "\"code\":");
		jb_i64(b, s->status->code);
		jb_ch(b, '}');
	}
	jb_ch(b, '}');
}

static void put_scope(struct jb *b, const Tl__InstrumentationScope *sc)
{
	jb_lit(b, "{\"name\":");
	jb_str(b, sc->name);
	if (nonempty(sc->version)) {
		jb_lit(b, ",\"version\":");
		jb_str(b, sc->version);
	}
	jb_lit(b, ",\"attributes\":");
	put_attrs(b, sc->attributes, sc->n_attributes);
	PUT_COUNT(b, ",\"droppedAttributesCount\":", sc->dropped_attributes_count);
	jb_ch(b, '}');
}

static void put_resource_spans(struct jb *b, const Tl__ResourceSpans *rs)
{
	jb_ch(b, '{');
	if (rs->resource) {
		jb_lit(b, "\"resource\":{\"attributes\":");
		put_attrs(b, rs->resource->attributes, rs->resource->n_attributes);
		PUT_COUNT(b, ",\"droppedAttributesCount\":", rs->resource->dropped_attributes_count);
		jb_lit(b, "},");
	}
	jb_lit(b, "\"scopeSpans\":[");
	for (size_t i = 0; i < rs->n_scope_spans; i++) {
		const Tl__ScopeSpans *ss = rs->scope_spans[i];
		if (i)
			jb_ch(b, ',');
		jb_ch(b, '{');
		if (ss->scope) {
			jb_lit(b, "\"scope\":");
			put_scope(b, ss->scope);
			jb_ch(b, ',');
		}
		jb_lit(b, "\"spans\":[");
		for (size_t j = 0; j < ss->n_spans; j++) {
			if (j)
				jb_ch(b, ',');
			put_span(b, ss->spans[j]);
		}
		jb_ch(b, ']');
		if (nonempty(ss->schema_url)) {
			jb_lit(b, ",\"schemaUrl\":");
			jb_str(b, ss->schema_url);
		}
		jb_ch(b, '}');
	}
	jb_ch(b, ']');
	if (nonempty(rs->schema_url)) {
		jb_lit(b, ",\"schemaUrl\":");
		jb_str(b, rs->schema_url);
	}
	jb_ch(b, '}');
}

/* NUL-terminates and hands the buffer over. */
static char *jb_finish(struct jb *b, size_t *len)
{
	jb_ch(b, 0);
	if (len)
		*len = b->len - 1;
	return b->p;
}

char *otlp_json_encode(const Tl__ExportTraceServiceRequest *req, size_t *len)
{
	struct jb b = {0};
	jb_lit(&b, "{\"resourceSpans\":[");
	for (size_t i = 0; i < req->n_resource_spans; i++) {
		if (i)
			jb_ch(&b, ',');
		put_resource_spans(&b, req->resource_spans[i]);
	}
	jb_lit(&b, "]}");
	return jb_finish(&b, len);
}

char *otlp_json_encode_span(const Tl__Span *s, size_t *len)
{
	struct jb b = {0};
	put_span(&b, s);
	return jb_finish(&b, len);
}
