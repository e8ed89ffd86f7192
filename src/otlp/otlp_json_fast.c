/* otlp_json_fast.c: OTLP/JSON trace export -> protobuf-c structs straight
 * from the text, without a cJSON tree. It accepts only what cJSON and
 * otlp_json_decode would accept and then builds the same structs; anything
 * else (bad JSON, a wrong type, a limit, a duplicate key, a rare form such as
 * bytesValue) makes it give up, and the caller decodes the slow way, which
 * names the error. */
#include "otlp/otlp_json_fast.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/ids.h"
#include "base/jsonscan.h"
#include "otlp/input_limits.h"
#include "otlp/otlp_build.h"

/* Every function returns 0 when it consumed its value, GIVE_UP otherwise. */
#define GIVE_UP 1
#define TRY(expr)               \
	do {                        \
		if (expr)               \
			return GIVE_UP;     \
	} while (0)

struct fp {
	const char *p, *end;
	struct arena *a;
};

static void ws(struct fp *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
		f->p++;
}

/* Skips whitespace and one expected byte. */
static int expect(struct fp *f, char ch)
{
	ws(f);
	if (f->p >= f->end || *f->p != ch)
		return GIVE_UP;
	f->p++;
	return 0;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit((unsigned char)s[i]);
		if (d < 0)
			return GIVE_UP;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Decodes the escaped string body [s, q) (q at its closing quote) as cJSON
 * does into dst (NULL: only check it), *n its decoded length. A \u0000,
 * which cJSON's C string would cut, gives up. */
__attribute__((noinline)) static int unescape(const char *s, const char *q, char *dst, size_t *n)
{
	size_t o = 0;
	while (s < q) {
		if (*s != '\\') {
			const char *bs = memchr(s, '\\', (size_t)(q - s));
			size_t run = (size_t)((bs ? bs : q) - s);
			if (dst)
				memcpy(dst + o, s, run);
			o += run;
			s += run;
			continue;
		}
		if (q - s < 2)
			return GIVE_UP;
		char ch = s[1], c1;
		switch (ch) {
		case 'b': c1 = '\b'; break;
		case 'f': c1 = '\f'; break;
		case 'n': c1 = '\n'; break;
		case 'r': c1 = '\r'; break;
		case 't': c1 = '\t'; break;
		case '"': case '\\': case '/': c1 = ch; break;
		case 'u': c1 = 0; break;
		default: return GIVE_UP;
		}
		if (ch != 'u') {
			if (dst)
				dst[o] = c1;
			o++;
			s += 2;
			continue;
		}
		unsigned cp, lo;
		if (q - s < 6 || hex4(s + 2, &cp))
			return GIVE_UP;
		s += 6;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return GIVE_UP;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (q - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
				return GIVE_UP;
			s += 6;
			cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
		}
		if (cp == 0)
			return GIVE_UP;
		unsigned char u[4];
		size_t k;
		if (cp < 0x80) {
			u[0] = (unsigned char)cp;
			k = 1;
		} else if (cp < 0x800) {
			u[0] = (unsigned char)(0xC0 | cp >> 6);
			u[1] = (unsigned char)(0x80 | (cp & 0x3F));
			k = 2;
		} else if (cp < 0x10000) {
			u[0] = (unsigned char)(0xE0 | cp >> 12);
			u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (unsigned char)(0x80 | (cp & 0x3F));
			k = 3;
		} else {
			u[0] = (unsigned char)(0xF0 | cp >> 18);
			u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
			u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
			u[3] = (unsigned char)(0x80 | (cp & 0x3F));
			k = 4;
		}
		if (dst)
			memcpy(dst + o, u, k);
		o += k;
	}
	*n = o;
	return 0;
}

/* Reads the string at f->p. raw: *s points into the text (keys; an escape
 * gives up), else *s is a NUL-terminated copy in the arena (NULL arena: only
 * checked). The body holds no NUL byte (otlp_json_fast_decode checks), which
 * cJSON would keep in a string its C string then cuts. */
static int string(struct fp *f, int raw, struct arena *a, const char **s, size_t *n)
{
	ws(f);
	if (f->p >= f->end || *f->p != '"')
		return GIVE_UP;
	const char *b = f->p + 1;
	int escaped = 0;
	const char *q = json_string_end(b, f->end, &escaped);
	if (!q)
		return GIVE_UP;
	f->p = q + 1;
	if (!escaped) {
		*n = (size_t)(q - b);
		*s = raw || !a ? b : arena_strndup(a, b, *n);
		return 0;
	}
	if (raw)
		return GIVE_UP;
	char *dst = a ? arena_alloc_raw(a, (size_t)(q - b) + 1) : NULL;
	TRY(unescape(b, q, dst, n));
	if (dst)
		dst[*n] = 0;
	*s = dst;
	return 0;
}

static int is_number_byte(char c)
{
	return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* A JSON number as cJSON reads it: the run of [0-9+-.eE] through strtod,
 * which must take all of it. */
static int number(struct fp *f, double *out)
{
	char buf[64];
	size_t n = 0;
	ws(f);
	if (f->p >= f->end || !(*f->p == '-' || (*f->p >= '0' && *f->p <= '9')))
		return GIVE_UP;
	while (f->p + n < f->end && is_number_byte(f->p[n])) {
		if (n == sizeof buf - 1)
			return GIVE_UP;
		buf[n] = f->p[n];
		n++;
	}
	/* Up to 15 digits are exact in a double, so strtod would give the same:
	 * most numbers are counts and enums. */
	size_t neg = *f->p == '-', i = neg;
	uint64_t v = 0;
	while (i < n && i < 15 + neg && f->p[i] >= '0' && f->p[i] <= '9')
		v = v * 10 + (uint64_t)(f->p[i++] - '0');
	if (i == n && n > neg) {
		*out = neg ? -(double)v : (double)v;
		f->p += n;
		return 0;
	}
	buf[n] = 0;
	char *end;
	*out = strtod(buf, &end);
	if (end != buf + n)
		return GIVE_UP;
	f->p += n;
	return 0;
}

static inline int literal(struct fp *f, const char *word, size_t n)
{
	if ((size_t)(f->end - f->p) < n || *f->p != *word || memcmp(f->p, word, n) != 0)
		return GIVE_UP;
	f->p += n;
	return 0;
}

/* 1 when the next value is null (consumed), 0 otherwise. */
static inline int is_null(struct fp *f)
{
	ws(f);
	return literal(f, "null", 4) == 0;
}

/* Iterates an object's members: call first with *first = 1 after '{'.
 * Returns 0 with *k, *kn set (*k NULL after the closing brace), or GIVE_UP. */
static int next_key(struct fp *f, int *first, const char **k, size_t *kn)
{
	ws(f);
	*k = NULL;
	if (f->p < f->end && *f->p == '}' && *first) {
		f->p++;
		return 0;
	}
	if (!*first) {
		if (f->p < f->end && *f->p == '}') {
			f->p++;
			return 0;
		}
		TRY(expect(f, ','));
	}
	*first = 0;
	TRY(string(f, 1, NULL, k, kn));
	return expect(f, ':');
}

/* The same for an array's elements: *more 1 when an element follows. */
static int next_elem(struct fp *f, int *first, int *more)
{
	ws(f);
	*more = 0;
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return 0;
	}
	if (!*first)
		TRY(expect(f, ','));
	*first = 0;
	*more = 1;
	return 0;
}

/* Skips one value of any shape, checking its syntax as cJSON does. Not
 * recursive: a byte per open container, at most JSONSCAN_MAX_DEPTH of them
 * (deeper input never gets here past json_scan), so a worker's stack holds
 * whatever nesting an unknown member brings. */
static int skip_value(struct fp *f)
{
	unsigned char in_object[JSONSCAN_MAX_DEPTH];
	size_t depth = 0;
	const char *s;
	size_t n;
	double d;
	for (;;) {
		/* one value starts here */
		ws(f);
		if (f->p >= f->end)
			return GIVE_UP;
		switch (*f->p) {
		case '"':
			TRY(string(f, 0, NULL, &s, &n));
			break;
		case '{':
		case '[': {
			int obj = *f->p == '{';
			f->p++;
			ws(f);
			if (f->p < f->end && *f->p == (obj ? '}' : ']')) {
				f->p++;
				break;
			}
			if (depth == sizeof in_object)
				return GIVE_UP;
			in_object[depth++] = (unsigned char)obj;
			if (obj) {
				TRY(string(f, 0, NULL, &s, &n));
				TRY(expect(f, ':'));
			}
			continue;
		}
		case 't':
			TRY(literal(f, "true", 4));
			break;
		case 'f':
			TRY(literal(f, "false", 5));
			break;
		case 'n':
			TRY(literal(f, "null", 4));
			break;
		default:
			TRY(number(f, &d));
			break;
		}
		/* a value ended: close containers, or go on to the next element */
		for (;;) {
			if (depth == 0)
				return 0;
			int obj = in_object[depth - 1];
			ws(f);
			if (f->p < f->end && *f->p == (obj ? '}' : ']')) {
				f->p++;
				depth--;
				continue;
			}
			TRY(expect(f, ','));
			if (obj) {
				TRY(string(f, 0, NULL, &s, &n));
				TRY(expect(f, ':'));
			}
			break;
		}
	}
}

#define KEY(lit) (kn == sizeof lit - 1 && memcmp(k, lit, sizeof lit - 1) == 0)

/* Marks field bit as seen; a second sighting (a duplicate, or the camel and
 * the snake name both) gives up: cJSON's first-match lookup decides then. */
static int seen(unsigned *mask, unsigned bit)
{
	if (*mask & (1u << bit))
		return GIVE_UP;
	*mask |= 1u << bit;
	return 0;
}

/* ---- scalars (after the null check) ---- */

static int get_string(struct fp *f, char **out)
{
	const char *s;
	size_t n;
	TRY(string(f, 0, f->a, &s, &n));
	if (n > SPAN_MAX_STRING)
		return GIVE_UP;
	*out = (char *)s;
	return 0;
}

/* read_integer of otlp_json.c: a number, or a string of digits. */
static int get_integer(struct fp *f, int *neg, uint64_t *mag)
{
	ws(f);
	if (f->p < f->end && *f->p == '"') {
		const char *s;
		size_t n;
		TRY(string(f, 1, NULL, &s, &n));
		*neg = n && *s == '-';
		size_t i = (size_t)*neg;
		if (i == n)
			return GIVE_UP;
		*mag = 0;
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return GIVE_UP;
			unsigned digit = (unsigned)(s[i] - '0');
			if (*mag > (UINT64_MAX - digit) / 10)
				return GIVE_UP;
			*mag = *mag * 10 + digit;
		}
		return 0;
	}
	double d;
	TRY(number(f, &d));
	if (!isfinite(d) || fabs(d) >= 18446744073709551616.0 || d != floor(d))
		return GIVE_UP;
	*neg = d < 0;
	*mag = (uint64_t)fabs(d);
	return 0;
}

static int get_unsigned(struct fp *f, uint64_t max, uint64_t *out)
{
	int neg;
	uint64_t mag;
	TRY(get_integer(f, &neg, &mag));
	if ((neg && mag) || mag > max)
		return GIVE_UP;
	*out = mag;
	return 0;
}

static int get_u32(struct fp *f, uint32_t *out)
{
	uint64_t v;
	TRY(get_unsigned(f, UINT32_MAX, &v));
	*out = (uint32_t)v;
	return 0;
}

static int get_signed(struct fp *f, unsigned bits, int64_t *out)
{
	int neg;
	uint64_t mag, lim = (uint64_t)1 << (bits - 1);
	TRY(get_integer(f, &neg, &mag));
	if (neg ? mag > lim : mag >= lim)
		return GIVE_UP;
	*out = neg ? (int64_t)(~mag + 1) : (int64_t)mag;
	return 0;
}

static int get_enum(struct fp *f, const char *const *names, size_t nnames, int32_t *out)
{
	ws(f);
	if (f->p < f->end && *f->p == '"') {
		const char *s;
		size_t n;
		TRY(string(f, 1, NULL, &s, &n));
		for (size_t i = 0; i < nnames; i++)
			if (strlen(names[i]) == n && memcmp(s, names[i], n) == 0) {
				*out = (int32_t)i;
				return 0;
			}
		return GIVE_UP;
	}
	int64_t v;
	TRY(get_signed(f, 32, &v));
	*out = (int32_t)v;
	return 0;
}

static int get_hex(struct fp *f, ProtobufCBinaryData *out)
{
	const char *s;
	size_t n;
	TRY(string(f, 1, NULL, &s, &n));
	if (n == 0)
		return 0;
	if (n % 2 || n > SPAN_MAX_STRING)
		return GIVE_UP;
	uint8_t *d = arena_alloc_raw(f->a, n / 2);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit((unsigned char)s[2 * i]), lo = hex_digit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return GIVE_UP;
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	out->len = n / 2;
	out->data = d;
	return 0;
}

/* ---- lists ---- */

typedef int (*elem_fn)(struct fp *f, int depth, void **out);

/* Reads an array of objects, one fn call per element, into an arena array
 * (NULL when empty); at most max elements. */
static int list(struct fp *f, elem_fn fn, int depth, size_t max, void *items, size_t *n)
{
	int first = 1, more;
	TRY(expect(f, '['));
	*n = 0;
	for (;;) {
		void *item;
		TRY(next_elem(f, &first, &more));
		if (!more)
			return 0;
		if (*n == max)
			return GIVE_UP;
		TRY(fn(f, depth, &item));
		otlp_push(f->a, items, n, item);
	}
}

/* Opens an object value (after the null check). */
static int open_object(struct fp *f, int *first)
{
	*first = 1;
	return expect(f, '{');
}

/* ---- AnyValue ---- */

static int kv(struct fp *f, int depth, void **out);

/* {"values": [...]} of arrayValue (fn decode_any) and kvlistValue (fn kv). */
static int any_values(struct fp *f, elem_fn fn, int depth, size_t max, void *items, size_t *n)
{
	int first;
	unsigned mask = 0;
	const char *k;
	size_t kn;
	TRY(open_object(f, &first));
	for (;;) {
		TRY(next_key(f, &first, &k, &kn));
		if (!k)
			return 0;
		if (KEY("values")) {
			TRY(seen(&mask, 0));
			if (is_null(f))
				continue;
			TRY(list(f, fn, depth, max, items, n));
		} else
			TRY(skip_value(f));
	}
}

/* The AnyValue member named k[0..kn): its kind, NOT_SET for an unknown one,
 * -1 for bytesValue (left to the slow path). */
static int any_kind(const char *k, size_t kn)
{
	if (KEY("stringValue") || KEY("string_value"))
		return TL__ANY_VALUE__VALUE_STRING_VALUE;
	if (KEY("intValue") || KEY("int_value"))
		return TL__ANY_VALUE__VALUE_INT_VALUE;
	if (KEY("doubleValue") || KEY("double_value"))
		return TL__ANY_VALUE__VALUE_DOUBLE_VALUE;
	if (KEY("boolValue") || KEY("bool_value"))
		return TL__ANY_VALUE__VALUE_BOOL_VALUE;
	if (KEY("arrayValue") || KEY("array_value"))
		return TL__ANY_VALUE__VALUE_ARRAY_VALUE;
	if (KEY("kvlistValue") || KEY("kvlist_value"))
		return TL__ANY_VALUE__VALUE_KVLIST_VALUE;
	if (KEY("bytesValue") || KEY("bytes_value"))
		return -1;
	return TL__ANY_VALUE__VALUE__NOT_SET;
}

static int any(struct fp *f, int depth, void **out)
{
	int first;
	const char *k;
	size_t kn;
	if (depth > SPAN_MAX_DEPTH)
		return GIVE_UP;
	TRY(open_object(f, &first));
	Tl__AnyValue *av = otlp_any_new(f->a);
	*out = av;
	for (;;) {
		TRY(next_key(f, &first, &k, &kn));
		if (!k)
			return 0;
		int kind = any_kind(k, kn);
		if (kind < 0)
			return GIVE_UP;
		if (kind == TL__ANY_VALUE__VALUE__NOT_SET) {
			TRY(skip_value(f));
			continue;
		}
		if (is_null(f))
			continue;
		if (av->value_case != TL__ANY_VALUE__VALUE__NOT_SET)
			return GIVE_UP;
		av->value_case = (Tl__AnyValue__ValueCase)kind;
		switch (av->value_case) {
		case TL__ANY_VALUE__VALUE_STRING_VALUE:
			TRY(get_string(f, &av->string_value));
			break;
		case TL__ANY_VALUE__VALUE_BOOL_VALUE:
			ws(f);
			if (literal(f, "true", 4) == 0)
				av->bool_value = 1;
			else
				TRY(literal(f, "false", 5));
			break;
		case TL__ANY_VALUE__VALUE_INT_VALUE:
			TRY(get_signed(f, 64, &av->int_value));
			break;
		case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
			TRY(number(f, &av->double_value));
			break;
		case TL__ANY_VALUE__VALUE_ARRAY_VALUE: {
			Tl__ArrayValue *arr = arena_alloc(f->a, sizeof *arr);
			tl__array_value__init(arr);
			av->array_value = arr;
			TRY(any_values(f, any, depth + 1, SIZE_MAX, &arr->values, &arr->n_values));
			break;
		}
		case TL__ANY_VALUE__VALUE_KVLIST_VALUE: {
			Tl__KeyValueList *kvl = arena_alloc(f->a, sizeof *kvl);
			tl__key_value_list__init(kvl);
			av->kvlist_value = kvl;
			TRY(any_values(f, kv, depth, SPAN_MAX_ATTRS, &kvl->values, &kvl->n_values));
			break;
		}
		default:
			return GIVE_UP;
		}
	}
}

/* A {key, value} of a list at depth (0: attributes). */
static int kv(struct fp *f, int depth, void **out)
{
	int first;
	unsigned mask = 0;
	const char *k;
	size_t kn;
	TRY(open_object(f, &first));
	Tl__KeyValue *item = arena_alloc(f->a, sizeof *item);
	tl__key_value__init(item);
	*out = item;
	for (;;) {
		TRY(next_key(f, &first, &k, &kn));
		if (!k)
			return 0;
		if (KEY("key")) {
			TRY(seen(&mask, 0));
			if (!is_null(f))
				TRY(get_string(f, &item->key));
		} else if (KEY("value")) {
			void *v;
			TRY(seen(&mask, 1));
			if (!is_null(f)) {
				TRY(any(f, depth + 1, &v));
				item->value = v;
			}
		} else
			TRY(skip_value(f));
	}
}

static int attrs(struct fp *f, Tl__KeyValue ***out, size_t *n)
{
	return list(f, kv, 0, SPAN_MAX_ATTRS, out, n);
}

/* ---- messages ---- */

static const char *const span_kinds[] = {
	"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
	"SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
};
static const char *const status_codes[] = {
	"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR",
};

/* Loops over the members of an object, skipping unknown keys; the body sees
 * k, kn and mask and must consume the value (null already skipped). Each
 * FIELD(camel, snake, bit) arm claims its key. */
#define MEMBERS(body)                                   \
	do {                                                \
		int first_;                                     \
		unsigned mask = 0;                              \
		const char *k;                                  \
		size_t kn;                                      \
		TRY(open_object(f, &first_));                   \
		for (;;) {                                      \
			TRY(next_key(f, &first_, &k, &kn));         \
			if (!k)                                     \
				break;                                  \
			body                                        \
			TRY(skip_value(f));                         \
		}                                               \
	} while (0)
#define FIELD(camel, snake, bit, stmt)                  \
	if (KEY(camel) || KEY(snake)) {                     \
		TRY(seen(&mask, bit));                          \
		if (!is_null(f))                                \
			TRY(stmt);                                  \
		continue;                                       \
	}

static int status(struct fp *f, Tl__Status **out)
{
	Tl__Status *st = arena_alloc(f->a, sizeof *st);
	tl__status__init(st);
	*out = st;
	MEMBERS(
		FIELD("message", "message", 0, get_string(f, &st->message))
		FIELD("code", "code", 1, get_enum(f, status_codes, 3, &st->code))
	);
	return 0;
}

static int event(struct fp *f, int depth, void **out)
{
	(void)depth;
	Tl__Span__Event *ev = arena_alloc(f->a, sizeof *ev);
	tl__span__event__init(ev);
	*out = ev;
	MEMBERS(
		FIELD("timeUnixNano", "time_unix_nano", 0, get_unsigned(f, UINT64_MAX, &ev->time_unix_nano))
		FIELD("name", "name", 1, get_string(f, &ev->name))
		FIELD("attributes", "attributes", 2, attrs(f, &ev->attributes, &ev->n_attributes))
		FIELD("droppedAttributesCount", "dropped_attributes_count", 3, get_u32(f, &ev->dropped_attributes_count))
	);
	return 0;
}

static int link(struct fp *f, int depth, void **out)
{
	(void)depth;
	Tl__Span__Link *ln = arena_alloc(f->a, sizeof *ln);
	tl__span__link__init(ln);
	*out = ln;
	MEMBERS(
		FIELD("traceId", "trace_id", 0, get_hex(f, &ln->trace_id))
		FIELD("spanId", "span_id", 1, get_hex(f, &ln->span_id))
		FIELD("traceState", "trace_state", 2, get_string(f, &ln->trace_state))
		FIELD("attributes", "attributes", 3, attrs(f, &ln->attributes, &ln->n_attributes))
		FIELD("droppedAttributesCount", "dropped_attributes_count", 4, get_u32(f, &ln->dropped_attributes_count))
		FIELD("flags", "flags", 5, get_u32(f, &ln->flags))
	);
	return 0;
}

static int span(struct fp *f, int depth, void **out)
{
	(void)depth;
	Tl__Span *sp = arena_alloc(f->a, sizeof *sp);
	tl__span__init(sp);
	*out = sp;
	MEMBERS(
		FIELD("traceId", "trace_id", 0, get_hex(f, &sp->trace_id))
		FIELD("spanId", "span_id", 1, get_hex(f, &sp->span_id))
		FIELD("traceState", "trace_state", 2, get_string(f, &sp->trace_state))
		FIELD("parentSpanId", "parent_span_id", 3, get_hex(f, &sp->parent_span_id))
		FIELD("flags", "flags", 4, get_u32(f, &sp->flags))
		FIELD("name", "name", 5, get_string(f, &sp->name))
		FIELD("kind", "kind", 6, get_enum(f, span_kinds, 6, &sp->kind))
		FIELD("startTimeUnixNano", "start_time_unix_nano", 7,
		      get_unsigned(f, UINT64_MAX, &sp->start_time_unix_nano))
		FIELD("endTimeUnixNano", "end_time_unix_nano", 8, get_unsigned(f, UINT64_MAX, &sp->end_time_unix_nano))
		FIELD("attributes", "attributes", 9, attrs(f, &sp->attributes, &sp->n_attributes))
		FIELD("droppedAttributesCount", "dropped_attributes_count", 10, get_u32(f, &sp->dropped_attributes_count))
		FIELD("events", "events", 11, list(f, event, 0, SIZE_MAX, &sp->events, &sp->n_events))
		FIELD("droppedEventsCount", "dropped_events_count", 12, get_u32(f, &sp->dropped_events_count))
		FIELD("links", "links", 13, list(f, link, 0, SIZE_MAX, &sp->links, &sp->n_links))
		FIELD("droppedLinksCount", "dropped_links_count", 14, get_u32(f, &sp->dropped_links_count))
		FIELD("status", "status", 15, status(f, &sp->status))
	);
	return 0;
}

static int scope(struct fp *f, Tl__InstrumentationScope **out)
{
	Tl__InstrumentationScope *sc = arena_alloc(f->a, sizeof *sc);
	tl__instrumentation_scope__init(sc);
	*out = sc;
	MEMBERS(
		FIELD("name", "name", 0, get_string(f, &sc->name))
		FIELD("version", "version", 1, get_string(f, &sc->version))
		FIELD("attributes", "attributes", 2, attrs(f, &sc->attributes, &sc->n_attributes))
		FIELD("droppedAttributesCount", "dropped_attributes_count", 3, get_u32(f, &sc->dropped_attributes_count))
	);
	return 0;
}

static int scope_spans(struct fp *f, int depth, void **out)
{
	(void)depth;
	Tl__ScopeSpans *ss = arena_alloc(f->a, sizeof *ss);
	tl__scope_spans__init(ss);
	*out = ss;
	MEMBERS(
		FIELD("scope", "scope", 0, scope(f, &ss->scope))
		FIELD("spans", "spans", 1, list(f, span, 0, SIZE_MAX, &ss->spans, &ss->n_spans))
		FIELD("schemaUrl", "schema_url", 2, get_string(f, &ss->schema_url))
	);
	return 0;
}

static int resource(struct fp *f, Tl__Resource **out)
{
	Tl__Resource *res = arena_alloc(f->a, sizeof *res);
	tl__resource__init(res);
	*out = res;
	MEMBERS(
		FIELD("attributes", "attributes", 0, attrs(f, &res->attributes, &res->n_attributes))
		FIELD("droppedAttributesCount", "dropped_attributes_count", 1, get_u32(f, &res->dropped_attributes_count))
	);
	return 0;
}

static int resource_spans(struct fp *f, int depth, void **out)
{
	(void)depth;
	Tl__ResourceSpans *rs = arena_alloc(f->a, sizeof *rs);
	tl__resource_spans__init(rs);
	*out = rs;
	MEMBERS(
		FIELD("resource", "resource", 0, resource(f, &rs->resource))
		FIELD("scopeSpans", "scope_spans", 1,
		      list(f, scope_spans, 0, SIZE_MAX, &rs->scope_spans, &rs->n_scope_spans))
		FIELD("schemaUrl", "schema_url", 2, get_string(f, &rs->schema_url))
	);
	return 0;
}

static int request(struct fp *f, Tl__ExportTraceServiceRequest *req)
{
	int first, present = 0;
	const char *k;
	size_t kn;
	TRY(open_object(f, &first));
	for (;;) {
		TRY(next_key(f, &first, &k, &kn));
		if (!k)
			break;
		if (KEY("resourceSpans") || KEY("resource_spans")) {
			/* null, or both names: the slow path decides */
			if (present++ || is_null(f))
				return GIVE_UP;
			TRY(list(f, resource_spans, 0, SIZE_MAX, &req->resource_spans, &req->n_resource_spans));
		} else
			TRY(skip_value(f));
	}
	return present ? 0 : GIVE_UP; /* absent: the slow path says what is missing */
}

int otlp_json_fast_decode(const char *text, size_t len, struct arena *a, Tl__ExportTraceServiceRequest **out)
{
	struct fp f = {.p = text, .end = text + len, .a = a};
	Tl__ExportTraceServiceRequest *req = arena_alloc(a, sizeof *req);
	tl__export_trace_service_request__init(req);
	*out = NULL;
	if (memchr(text, 0, len) || request(&f, req))
		return 0;
	*out = req;
	return 1;
}
