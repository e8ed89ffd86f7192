/* otlp_json.c: OTLP/JSON trace export -> protobuf-c ExportTraceServiceRequest
 * in an arena. One walk of the cJSON tree keeps the JSON path of the node in
 * hand, so every error names its field; limits on strings, key/value lists
 * and AnyValue depth are checked before anything is copied. */
#include "otlp/otlp_json.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/base64.h>
#include "base/err.h"
#include "otlp/otlp_build.h"
#include "base/ids.h"
#include "otlp/input_limits.h"

/* Room for a path SPAN_MAX_DEPTH AnyValues deep; longer paths are cut. */
#define PATH_CAP 4096

#define TRY(expr)                   \
	do {                            \
		int rc_ = (expr);           \
		if (rc_)                    \
			return rc_;             \
	} while (0)

struct ctx {
	struct arena *a;
	char *err;
	size_t errlen;
	size_t len;        /* strlen(path) */
	size_t any_root;   /* len at the outermost AnyValue being decoded */
	char path[PATH_CAP];
};

/* Decodes one JSON object into a new message stored in *out. */
typedef int (*decode_fn)(struct ctx *c, const cJSON *obj, void **out);

static const char *const span_kinds[] = {
	"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
	"SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
};
static const char *const severity_numbers[] = {
	"SEVERITY_NUMBER_UNSPECIFIED", "SEVERITY_NUMBER_TRACE", "SEVERITY_NUMBER_TRACE2", "SEVERITY_NUMBER_TRACE3",
	"SEVERITY_NUMBER_TRACE4", "SEVERITY_NUMBER_DEBUG", "SEVERITY_NUMBER_DEBUG2", "SEVERITY_NUMBER_DEBUG3",
	"SEVERITY_NUMBER_DEBUG4", "SEVERITY_NUMBER_INFO", "SEVERITY_NUMBER_INFO2", "SEVERITY_NUMBER_INFO3",
	"SEVERITY_NUMBER_INFO4", "SEVERITY_NUMBER_WARN", "SEVERITY_NUMBER_WARN2", "SEVERITY_NUMBER_WARN3",
	"SEVERITY_NUMBER_WARN4", "SEVERITY_NUMBER_ERROR", "SEVERITY_NUMBER_ERROR2", "SEVERITY_NUMBER_ERROR3",
	"SEVERITY_NUMBER_ERROR4", "SEVERITY_NUMBER_FATAL", "SEVERITY_NUMBER_FATAL2", "SEVERITY_NUMBER_FATAL3",
	"SEVERITY_NUMBER_FATAL4",
};
static const char *const status_codes[] = {
	"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR",
};

/* ---- path and errors ---- */

/* Appends s[0..n) to the path, cut at PATH_CAP; returns
 * the length path_pop restores. Without printf: it runs for every member
 * and array element of every request. */
static size_t path_put(struct ctx *c, const char *s, size_t n)
{
	size_t old = c->len;
	if (n > PATH_CAP - 1 - old)
		n = PATH_CAP - 1 - old;
	memcpy(c->path + old, s, n);
	c->len = old + n;
	c->path[c->len] = 0;
	return old;
}

static size_t path_field(struct ctx *c, const char *name)
{
	size_t old = c->len;
	if (old)
		path_put(c, ".", 1);
	path_put(c, name, strlen(name));
	return old;
}

/* Appends "[i]"; returns the length path_pop restores. */
static size_t path_index(struct ctx *c, size_t i)
{
	char buf[24], *p = buf + sizeof buf;
	*--p = ']';
	do
		*--p = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	*--p = '[';
	return path_put(c, p, (size_t)(buf + sizeof buf - p));
}

static void path_pop(struct ctx *c, size_t old)
{
	c->len = old;
	c->path[old] = 0;
}

/* Writes "<path[0..pathlen)>[.field]: <message>" to the caller's buffer. */
static int vfail_at(struct ctx *c, size_t pathlen, const char *field, int code,
                    const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	const char *dot = field && pathlen ? "." : "";
	if (!field)
		field = "";
	if (!pathlen && !*field)
		return err_set(c->err, c->errlen, code, "%s", msg);
	return err_set(c->err, c->errlen, code, "%.*s%s%s: %s", (int)pathlen, c->path, dot, field, msg);
}

/* Fails with the current path, extended by field when it is not NULL. */
static int fail(struct ctx *c, const char *field, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct ctx *c, const char *field, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vfail_at(c, c->len, field, code, fmt, ap);
	va_end(ap);
	return rc;
}

static int fail_at(struct ctx *c, size_t pathlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct ctx *c, size_t pathlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vfail_at(c, pathlen, NULL, code, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsObject(v))
		return "object";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsNull(v))
		return "null";
	return "invalid value";
}

/* ---- members and scalars ---- */

/* Returns obj's member camel, else snake (when given); NULL when absent or
 * null, which the JSON mapping reads as the default value. */
static const cJSON *member(const cJSON *obj, const char *camel, const char *snake)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, camel);
	if (!v && snake)
		v = cJSON_GetObjectItemCaseSensitive(obj, snake);
	return cJSON_IsNull(v) ? NULL : v;
}

/* Looks up a member that must be of one JSON type; *out is NULL if absent. */
static int member_typed(struct ctx *c, const cJSON *obj, const char *camel, const char *snake,
                        int want_array, const cJSON **out)
{
	const cJSON *v = member(obj, camel, snake);
	*out = NULL;
	if (!v)
		return ERR_OK;
	if (want_array ? !cJSON_IsArray(v) : !cJSON_IsObject(v))
		return fail(c, camel, ERR_BAD_INPUT, "expected an %s, got %s",
		            want_array ? "array" : "object", type_name(v));
	*out = v;
	return ERR_OK;
}

/* Checks that v is a string within SPAN_MAX_STRING; *n gets its length. */
static int check_string(struct ctx *c, const cJSON *v, const char *field, size_t *n)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return fail(c, field, ERR_BAD_INPUT, "expected a string, got %s", type_name(v));
	*n = strlen(v->valuestring);
	if (*n > SPAN_MAX_STRING)
		return fail(c, field, ERR_TOO_LARGE, "string of %zu bytes is over the limit of %u",
		            *n, SPAN_MAX_STRING);
	return ERR_OK;
}

static int copy_string(struct ctx *c, const cJSON *v, const char *field, char **out)
{
	size_t n;
	TRY(check_string(c, v, field, &n));
	*out = arena_strndup(c->a, v->valuestring, n);
	return ERR_OK;
}

/* Reads a string member into *out; leaves *out (the "" default) if absent. */
static int get_string(struct ctx *c, const cJSON *obj, const char *camel, const char *snake, char **out)
{
	const cJSON *v = member(obj, camel, snake);
	return v ? copy_string(c, v, camel, out) : ERR_OK;
}

/* Reads v, a JSON number or a string of decimal digits with an optional
 * '-', as a sign and a magnitude below 2^64. */
static int read_integer(struct ctx *c, const cJSON *v, const char *field, int *neg, uint64_t *mag)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (!isfinite(d) || fabs(d) >= 18446744073709551616.0)
			return fail(c, field, ERR_BAD_INPUT, "%g is out of range", d);
		if (d != floor(d))
			return fail(c, field, ERR_BAD_INPUT, "expected an integer, got %g", d);
		*neg = d < 0;
		*mag = (uint64_t)fabs(d);
		return ERR_OK;
	}
	if (!cJSON_IsString(v))
		return fail(c, field, ERR_BAD_INPUT, "expected an integer (number or decimal string), got %s",
		            type_name(v));
	const char *s = v->valuestring;
	*neg = *s == '-';
	s += *neg;
	if (!*s)
		return fail(c, field, ERR_BAD_INPUT, "expected an integer, got \"%.32s\"", v->valuestring);
	*mag = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return fail(c, field, ERR_BAD_INPUT, "expected an integer, got \"%.32s\"", v->valuestring);
		unsigned digit = (unsigned)(*s - '0');
		if (*mag > (UINT64_MAX - digit) / 10)
			return fail(c, field, ERR_BAD_INPUT, "\"%.32s\" is out of range", v->valuestring);
		*mag = *mag * 10 + digit;
	}
	return ERR_OK;
}

/* Reads an unsigned member (fixed64 times, uint32 counts) no larger than max. */
static int get_unsigned(struct ctx *c, const cJSON *obj, const char *camel, const char *snake,
                        uint64_t max, uint64_t *out)
{
	const cJSON *v = member(obj, camel, snake);
	int neg;
	uint64_t mag;
	if (!v)
		return ERR_OK;
	TRY(read_integer(c, v, camel, &neg, &mag));
	if (neg && mag)
		return fail(c, camel, ERR_BAD_INPUT, "must not be negative");
	if (mag > max)
		return fail(c, camel, ERR_BAD_INPUT, "%llu is out of range (at most %llu)",
		            (unsigned long long)mag, (unsigned long long)max);
	*out = mag;
	return ERR_OK;
}

static int get_u64(struct ctx *c, const cJSON *obj, const char *camel, const char *snake, uint64_t *out)
{
	return get_unsigned(c, obj, camel, snake, UINT64_MAX, out);
}

static int get_u32(struct ctx *c, const cJSON *obj, const char *camel, const char *snake, uint32_t *out)
{
	uint64_t v = *out;
	TRY(get_unsigned(c, obj, camel, snake, UINT32_MAX, &v));
	*out = (uint32_t)v;
	return ERR_OK;
}

/* Reads a signed integer v in [-2^(bits-1), 2^(bits-1)) into *out. */
static int read_signed(struct ctx *c, const cJSON *v, const char *field, unsigned bits, int64_t *out)
{
	int neg;
	uint64_t mag, lim = (uint64_t)1 << (bits - 1);
	TRY(read_integer(c, v, field, &neg, &mag));
	if (neg ? mag > lim : mag >= lim)
		return fail(c, field, ERR_BAD_INPUT, "%s%llu is out of range for int%u",
		            neg ? "-" : "", (unsigned long long)mag, bits);
	/* -2^63 has no positive counterpart: negate in unsigned arithmetic. */
	*out = neg ? (int64_t)(~mag + 1) : (int64_t)mag;
	return ERR_OK;
}

/* Reads an enum member: an int32, or one of the names (their index). */
static int get_enum(struct ctx *c, const cJSON *obj, const char *camel, const char *snake,
                    const char *const *names, size_t nnames, int32_t *out)
{
	const cJSON *v = member(obj, camel, snake);
	int64_t n;
	if (!v)
		return ERR_OK;
	if (cJSON_IsString(v) && v->valuestring) {
		for (size_t i = 0; i < nnames; i++)
			if (strcmp(v->valuestring, names[i]) == 0) {
				*out = (int32_t)i;
				return ERR_OK;
			}
		return fail(c, camel, ERR_BAD_INPUT, "unknown value \"%.40s\" (expected an integer or %s..%s)",
		            v->valuestring, names[0], names[nnames - 1]);
	}
	if (!cJSON_IsNumber(v))
		return fail(c, camel, ERR_BAD_INPUT, "expected an integer, got %s", type_name(v));
	TRY(read_signed(c, v, camel, 32, &n));
	*out = (int32_t)n;
	return ERR_OK;
}

/* Reads a hex id member into bytes; "" and absent leave it empty. */
static int get_hex(struct ctx *c, const cJSON *obj, const char *camel, const char *snake,
                   ProtobufCBinaryData *out)
{
	const cJSON *v = member(obj, camel, snake);
	size_t n;
	if (!v)
		return ERR_OK;
	TRY(check_string(c, v, camel, &n));
	if (n == 0)
		return ERR_OK;
	const char *s = v->valuestring;
	if (n % 2)
		return fail(c, camel, ERR_BAD_INPUT, "expected an even number of hex digits, got %zu", n);
	for (size_t i = 0; i < n; i++)
		if (hex_digit((unsigned char)s[i]) < 0) {
			unsigned char ch = (unsigned char)s[i];
			if (isprint(ch))
				return fail(c, camel, ERR_BAD_INPUT,
				            "invalid hex digit '%c' at offset %zu (OTLP/JSON ids are hex, not base64)",
				            ch, i);
			return fail(c, camel, ERR_BAD_INPUT, "invalid hex digit 0x%02x at offset %zu", ch, i);
		}
	out->len = n / 2;
	out->data = arena_alloc(c->a, out->len);
	for (size_t i = 0; i < out->len; i++)
		out->data[i] = (uint8_t)(hex_digit((unsigned char)s[2 * i]) << 4 |
		                         hex_digit((unsigned char)s[2 * i + 1]));
	return ERR_OK;
}

/* ---- AnyValue ---- */

static int decode_kvs(struct ctx *c, const cJSON *arr, int depth, Tl__KeyValue ***out, size_t *n);

static int any_double(struct ctx *c, const cJSON *v, double *out)
{
	static const char field[] = "doubleValue";
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return ERR_OK;
	}
	if (!cJSON_IsString(v))
		return fail(c, field, ERR_BAD_INPUT, "expected a number, got %s", type_name(v));
	const char *s = v->valuestring;
	if (strcmp(s, "NaN") == 0) {
		*out = NAN;
		return ERR_OK;
	}
	if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
		*out = *s == '-' ? -INFINITY : INFINITY;
		return ERR_OK;
	}
	/* A number in a string: strtod alone would also take "inf" or "0x1p3". */
	char *end = NULL;
	if (*s && strspn(s, "0123456789+-.eE") == strlen(s))
		*out = strtod(s, &end);
	if (!end || *end || !isfinite(*out))
		return fail(c, field, ERR_BAD_INPUT,
		            "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got \"%.32s\"", s);
	return ERR_OK;
}

/* Decodes base64 (standard or URL-safe, padding optional) into *out. */
static int any_bytes(struct ctx *c, const cJSON *v, ProtobufCBinaryData *out)
{
	static const char field[] = "bytesValue";
	size_t n, olen;
	TRY(check_string(c, v, field, &n));
	size_t pad = strchr(v->valuestring, '=') ? 0 : (4 - n % 4) % 4;
	const unsigned char *src = (const unsigned char *)v->valuestring;
	if (pad || strpbrk(v->valuestring, "-_")) {
		/* mbedtls takes only padded standard base64: translate a copy. */
		unsigned char *std = arena_alloc(c->a, n + pad);
		for (size_t i = 0; i < n; i++)
			std[i] = src[i] == '-' ? '+' : src[i] == '_' ? '/' : src[i];
		memset(std + n, '=', pad);
		src = std;
	}
	int rc = mbedtls_base64_decode(NULL, 0, &olen, src, n + pad);
	if (rc && rc != MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
		return fail(c, field, ERR_BAD_INPUT, "not valid base64");
	out->len = 0;
	out->data = NULL;
	if (olen == 0)
		return ERR_OK;
	out->data = arena_alloc(c->a, olen);
	if (mbedtls_base64_decode(out->data, olen, &out->len, src, n + pad))
		return fail(c, field, ERR_BAD_INPUT, "not valid base64");
	return ERR_OK;
}

/* Reads {"values": [...]} (as arrayValue and kvlistValue carry it) into
 * *values, NULL when the list is absent. */
static int any_values(struct ctx *c, const cJSON *v, const char *field, const cJSON **values)
{
	if (!cJSON_IsObject(v))
		return fail(c, field, ERR_BAD_INPUT, "expected an object, got %s", type_name(v));
	size_t old = path_field(c, field);
	TRY(member_typed(c, v, "values", NULL, 1, values));
	path_pop(c, old);
	return ERR_OK;
}

static int decode_any(struct ctx *c, const cJSON *v, int depth, Tl__AnyValue **out);

static int any_array(struct ctx *c, const cJSON *v, int depth, Tl__ArrayValue **out)
{
	const cJSON *values, *item;
	TRY(any_values(c, v, "arrayValue", &values));
	Tl__ArrayValue *arr = arena_alloc(c->a, sizeof *arr);
	tl__array_value__init(arr);
	*out = arr;
	if (!values)
		return ERR_OK;
	/* No count limit here: each element costs input bytes, and the body is
	 * capped; long numeric arrays (embeddings) are legitimate. */
	arr->values = arena_alloc(c->a, (size_t)cJSON_GetArraySize(values) * sizeof *arr->values);
	cJSON_ArrayForEach(item, values) {
		size_t old = path_put(c, ".arrayValue.values", sizeof ".arrayValue.values" - 1);
		path_index(c, arr->n_values);
		TRY(decode_any(c, item, depth + 1, &arr->values[arr->n_values]));
		arr->n_values++;
		path_pop(c, old);
	}
	return ERR_OK;
}

static int any_kvlist(struct ctx *c, const cJSON *v, int depth, Tl__KeyValueList **out)
{
	const cJSON *values;
	TRY(any_values(c, v, "kvlistValue", &values));
	Tl__KeyValueList *kvl = arena_alloc(c->a, sizeof *kvl);
	tl__key_value_list__init(kvl);
	*out = kvl;
	if (!values)
		return ERR_OK;
	size_t old = path_put(c, ".kvlistValue.values", sizeof ".kvlistValue.values" - 1);
	TRY(decode_kvs(c, values, depth, &kvl->values, &kvl->n_values));
	path_pop(c, old);
	return ERR_OK;
}

static const struct {
	const char *camel, *snake;
	Tl__AnyValue__ValueCase kind;
} any_kinds[] = {
	{"stringValue", "string_value", TL__ANY_VALUE__VALUE_STRING_VALUE},
	{"boolValue", "bool_value", TL__ANY_VALUE__VALUE_BOOL_VALUE},
	{"intValue", "int_value", TL__ANY_VALUE__VALUE_INT_VALUE},
	{"doubleValue", "double_value", TL__ANY_VALUE__VALUE_DOUBLE_VALUE},
	{"arrayValue", "array_value", TL__ANY_VALUE__VALUE_ARRAY_VALUE},
	{"kvlistValue", "kvlist_value", TL__ANY_VALUE__VALUE_KVLIST_VALUE},
	{"bytesValue", "bytes_value", TL__ANY_VALUE__VALUE_BYTES_VALUE},
};

/* Decodes the one member of an AnyValue that is set into av. */
static int any_set(struct ctx *c, const cJSON *v, Tl__AnyValue__ValueCase kind, int depth, Tl__AnyValue *av)
{
	int64_t i;
	switch (kind) {
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		return copy_string(c, v, "stringValue", &av->string_value);
	case TL__ANY_VALUE__VALUE_BOOL_VALUE:
		if (!cJSON_IsBool(v))
			return fail(c, "boolValue", ERR_BAD_INPUT, "expected a boolean, got %s", type_name(v));
		av->bool_value = cJSON_IsTrue(v);
		return ERR_OK;
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		TRY(read_signed(c, v, "intValue", 64, &i));
		av->int_value = i;
		return ERR_OK;
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		return any_double(c, v, &av->double_value);
	case TL__ANY_VALUE__VALUE_ARRAY_VALUE:
		return any_array(c, v, depth, &av->array_value);
	case TL__ANY_VALUE__VALUE_KVLIST_VALUE:
		return any_kvlist(c, v, depth, &av->kvlist_value);
	case TL__ANY_VALUE__VALUE_BYTES_VALUE:
		return any_bytes(c, v, &av->bytes_value);
	default:
		return ERR_OK;
	}
}

/* depth is 1 for an attribute's value and grows by one per array or kvlist;
 * the depth error names the outermost value, not a 64-level path. */
static int decode_any(struct ctx *c, const cJSON *v, int depth, Tl__AnyValue **out)
{
	const cJSON *item;
	const char *set = NULL;
	if (depth == 1)
		c->any_root = c->len;
	if (depth > SPAN_MAX_DEPTH)
		return fail_at(c, c->any_root, ERR_BAD_INPUT, "nesting deeper than %d", SPAN_MAX_DEPTH);
	if (!cJSON_IsObject(v))
		return fail(c, NULL, ERR_BAD_INPUT, "expected an object, got %s", type_name(v));
	Tl__AnyValue *av = otlp_any_new(c->a);
	*out = av;
	cJSON_ArrayForEach(item, v) {
		size_t k = 0;
		while (k < sizeof any_kinds / sizeof any_kinds[0] &&
		       strcmp(item->string, any_kinds[k].camel) != 0 &&
		       strcmp(item->string, any_kinds[k].snake) != 0)
			k++;
		if (k == sizeof any_kinds / sizeof any_kinds[0] || cJSON_IsNull(item))
			continue;
		if (set)
			return fail(c, NULL, ERR_BAD_INPUT, "more than one value (%s and %s)", set,
			            any_kinds[k].camel);
		set = any_kinds[k].camel;
		av->value_case = any_kinds[k].kind;
		TRY(any_set(c, item, any_kinds[k].kind, depth, av));
	}
	return ERR_OK;
}

/* Decodes a JSON array of {key, value} (attributes, kvlistValue.values). */
static int decode_kvs(struct ctx *c, const cJSON *arr, int depth, Tl__KeyValue ***out, size_t *n)
{
	const cJSON *item;
	size_t count = (size_t)cJSON_GetArraySize(arr);
	if (count > SPAN_MAX_ATTRS)
		return fail(c, NULL, ERR_TOO_LARGE, "%zu entries, over the limit of %d", count, SPAN_MAX_ATTRS);
	*out = arena_alloc(c->a, count * sizeof **out);
	*n = 0;
	cJSON_ArrayForEach(item, arr) {
		size_t old = path_index(c, *n);
		const cJSON *value;
		if (!cJSON_IsObject(item))
			return fail(c, NULL, ERR_BAD_INPUT, "expected an object, got %s", type_name(item));
		Tl__KeyValue *kv = arena_alloc(c->a, sizeof *kv);
		tl__key_value__init(kv);
		TRY(get_string(c, item, "key", NULL, &kv->key));
		if ((value = member(item, "value", NULL))) {
			size_t vold = path_field(c, "value");
			TRY(decode_any(c, value, depth + 1, &kv->value));
			path_pop(c, vold);
		}
		(*out)[(*n)++] = kv;
		path_pop(c, old);
	}
	return ERR_OK;
}

static int get_attrs(struct ctx *c, const cJSON *obj, Tl__KeyValue ***out, size_t *n)
{
	const cJSON *arr;
	TRY(member_typed(c, obj, "attributes", NULL, 1, &arr));
	if (!arr)
		return ERR_OK;
	size_t old = path_field(c, "attributes");
	TRY(decode_kvs(c, arr, 0, out, n));
	path_pop(c, old);
	return ERR_OK;
}

/* ---- messages ---- */

/* Decodes the array member camel/snake of obj, one fn call per element, into
 * an arena array of message pointers. Absent leaves *items NULL, *n 0. */
static int decode_list(struct ctx *c, const cJSON *obj, const char *camel, const char *snake,
                       decode_fn fn, void ***items, size_t *n)
{
	const cJSON *arr, *item;
	TRY(member_typed(c, obj, camel, snake, 1, &arr));
	if (!arr)
		return ERR_OK;
	size_t old = path_field(c, camel);
	*items = arena_alloc(c->a, (size_t)cJSON_GetArraySize(arr) * sizeof **items);
	*n = 0;
	cJSON_ArrayForEach(item, arr) {
		size_t iold = path_index(c, *n);
		if (!cJSON_IsObject(item))
			return fail(c, NULL, ERR_BAD_INPUT, "expected an object, got %s", type_name(item));
		TRY(fn(c, item, &(*items)[*n]));
		(*n)++;
		path_pop(c, iold);
	}
	path_pop(c, old);
	return ERR_OK;
}

/* Decodes the object member name of obj with fn; absent leaves *out NULL. */
static int decode_member(struct ctx *c, const cJSON *obj, const char *name, decode_fn fn, void **out)
{
	const cJSON *v;
	TRY(member_typed(c, obj, name, NULL, 0, &v));
	if (!v)
		return ERR_OK;
	size_t old = path_field(c, name);
	TRY(fn(c, v, out));
	path_pop(c, old);
	return ERR_OK;
}

static int decode_status(struct ctx *c, const cJSON *o, void **out)
{
	Tl__Status *st = arena_alloc(c->a, sizeof *st);
	tl__status__init(st);
	*out = st;
	TRY(get_string(c, o, "message", NULL, &st->message));
	return get_enum(c, o, "code", NULL, status_codes, sizeof status_codes / sizeof *status_codes,
	                &st->code);
}

static int decode_event(struct ctx *c, const cJSON *o, void **out)
{
	Tl__Span__Event *ev = arena_alloc(c->a, sizeof *ev);
	tl__span__event__init(ev);
	*out = ev;
	TRY(get_u64(c, o, "timeUnixNano", "time_unix_nano", &ev->time_unix_nano));
	TRY(get_string(c, o, "name", NULL, &ev->name));
	TRY(get_attrs(c, o, &ev->attributes, &ev->n_attributes));
	return get_u32(c, o, "droppedAttributesCount", "dropped_attributes_count",
	               &ev->dropped_attributes_count);
}

static int decode_link(struct ctx *c, const cJSON *o, void **out)
{
	Tl__Span__Link *ln = arena_alloc(c->a, sizeof *ln);
	tl__span__link__init(ln);
	*out = ln;
	TRY(get_hex(c, o, "traceId", "trace_id", &ln->trace_id));
	TRY(get_hex(c, o, "spanId", "span_id", &ln->span_id));
	TRY(get_string(c, o, "traceState", "trace_state", &ln->trace_state));
	TRY(get_attrs(c, o, &ln->attributes, &ln->n_attributes));
	TRY(get_u32(c, o, "droppedAttributesCount", "dropped_attributes_count",
	            &ln->dropped_attributes_count));
	return get_u32(c, o, "flags", NULL, &ln->flags);
}

static int decode_span(struct ctx *c, const cJSON *o, void **out)
{
	void **items = NULL, *status = NULL;
	Tl__Span *sp = arena_alloc(c->a, sizeof *sp);
	tl__span__init(sp);
	*out = sp;
	TRY(get_hex(c, o, "traceId", "trace_id", &sp->trace_id));
	TRY(get_hex(c, o, "spanId", "span_id", &sp->span_id));
	TRY(get_string(c, o, "traceState", "trace_state", &sp->trace_state));
	TRY(get_hex(c, o, "parentSpanId", "parent_span_id", &sp->parent_span_id));
	TRY(get_u32(c, o, "flags", NULL, &sp->flags));
	TRY(get_string(c, o, "name", NULL, &sp->name));
	TRY(get_enum(c, o, "kind", NULL, span_kinds, sizeof span_kinds / sizeof *span_kinds, &sp->kind));
	TRY(get_u64(c, o, "startTimeUnixNano", "start_time_unix_nano", &sp->start_time_unix_nano));
	TRY(get_u64(c, o, "endTimeUnixNano", "end_time_unix_nano", &sp->end_time_unix_nano));
	TRY(get_attrs(c, o, &sp->attributes, &sp->n_attributes));
	TRY(get_u32(c, o, "droppedAttributesCount", "dropped_attributes_count",
	            &sp->dropped_attributes_count));
	TRY(decode_list(c, o, "events", NULL, decode_event, &items, &sp->n_events));
	sp->events = (Tl__Span__Event **)items;
	TRY(get_u32(c, o, "droppedEventsCount", "dropped_events_count", &sp->dropped_events_count));
	items = NULL;
	TRY(decode_list(c, o, "links", NULL, decode_link, &items, &sp->n_links));
	sp->links = (Tl__Span__Link **)items;
	TRY(get_u32(c, o, "droppedLinksCount", "dropped_links_count", &sp->dropped_links_count));
	TRY(decode_member(c, o, "status", decode_status, &status));
	sp->status = status;
	return ERR_OK;
}

static int decode_scope(struct ctx *c, const cJSON *o, void **out)
{
	Tl__InstrumentationScope *sc = arena_alloc(c->a, sizeof *sc);
	tl__instrumentation_scope__init(sc);
	*out = sc;
	TRY(get_string(c, o, "name", NULL, &sc->name));
	TRY(get_string(c, o, "version", NULL, &sc->version));
	TRY(get_attrs(c, o, &sc->attributes, &sc->n_attributes));
	return get_u32(c, o, "droppedAttributesCount", "dropped_attributes_count",
	               &sc->dropped_attributes_count);
}

static int decode_scope_spans(struct ctx *c, const cJSON *o, void **out)
{
	void **items = NULL, *scope = NULL;
	Tl__ScopeSpans *ss = arena_alloc(c->a, sizeof *ss);
	tl__scope_spans__init(ss);
	*out = ss;
	TRY(decode_member(c, o, "scope", decode_scope, &scope));
	ss->scope = scope;
	TRY(decode_list(c, o, "spans", NULL, decode_span, &items, &ss->n_spans));
	ss->spans = (Tl__Span **)items;
	return get_string(c, o, "schemaUrl", "schema_url", &ss->schema_url);
}

static int decode_resource(struct ctx *c, const cJSON *o, void **out)
{
	Tl__Resource *res = arena_alloc(c->a, sizeof *res);
	tl__resource__init(res);
	*out = res;
	TRY(get_attrs(c, o, &res->attributes, &res->n_attributes));
	return get_u32(c, o, "droppedAttributesCount", "dropped_attributes_count",
	               &res->dropped_attributes_count);
}

static int decode_resource_spans(struct ctx *c, const cJSON *o, void **out)
{
	void **items = NULL, *resource = NULL;
	Tl__ResourceSpans *rs = arena_alloc(c->a, sizeof *rs);
	tl__resource_spans__init(rs);
	*out = rs;
	TRY(decode_member(c, o, "resource", decode_resource, &resource));
	rs->resource = resource;
	TRY(decode_list(c, o, "scopeSpans", "scope_spans", decode_scope_spans, &items, &rs->n_scope_spans));
	rs->scope_spans = (Tl__ScopeSpans **)items;
	return get_string(c, o, "schemaUrl", "schema_url", &rs->schema_url);
}

enum err otlp_json_decode(const cJSON *root, struct arena *a, Tl__ExportTraceServiceRequest **out,
                          char *err, size_t errlen)
{
	struct ctx c = {.a = a, .err = err, .errlen = errlen};
	void **items = NULL;
	*out = NULL;
	if (!cJSON_IsObject(root))
		return fail(&c, NULL, ERR_BAD_INPUT, "expected a JSON object at the top level, got %s",
		            type_name(root));
	if (!member(root, "resourceSpans", "resource_spans")) {
		if (member(root, "resourceLogs", "resource_logs"))
			return fail(&c, "resourceSpans", ERR_BAD_INPUT,
			            "missing; this is an OTLP logs export (resourceLogs), not traces");
		if (member(root, "resourceMetrics", "resource_metrics"))
			return fail(&c, "resourceSpans", ERR_BAD_INPUT,
			            "missing; this is an OTLP metrics export (resourceMetrics), not traces");
		return fail(&c, "resourceSpans", ERR_BAD_INPUT, "missing");
	}
	Tl__ExportTraceServiceRequest *req = arena_alloc(a, sizeof *req);
	tl__export_trace_service_request__init(req);
	TRY(decode_list(&c, root, "resourceSpans", "resource_spans", decode_resource_spans, &items,
	                &req->n_resource_spans));
	req->resource_spans = (Tl__ResourceSpans **)items;
	*out = req;
	return ERR_OK;
}

/* ---- logs ---- */

/* The body: an AnyValue under "body" (absent or null: none). */
static int decode_body(struct ctx *c, const cJSON *o, Tl__AnyValue **out)
{
	const cJSON *v;
	TRY(member_typed(c, o, "body", NULL, 0, &v));
	if (!v)
		return ERR_OK;
	size_t old = path_field(c, "body");
	TRY(decode_any(c, v, 1, out));
	path_pop(c, old);
	return ERR_OK;
}

static int decode_log_record(struct ctx *c, const cJSON *o, void **out)
{
	Tl__LogRecord *lr = arena_alloc(c->a, sizeof *lr);
	tl__log_record__init(lr);
	*out = lr;
	TRY(get_u64(c, o, "timeUnixNano", "time_unix_nano", &lr->time_unix_nano));
	TRY(get_u64(c, o, "observedTimeUnixNano", "observed_time_unix_nano", &lr->observed_time_unix_nano));
	TRY(get_enum(c, o, "severityNumber", "severity_number", severity_numbers,
	             sizeof severity_numbers / sizeof *severity_numbers, &lr->severity_number));
	TRY(get_string(c, o, "severityText", "severity_text", &lr->severity_text));
	TRY(decode_body(c, o, &lr->body));
	TRY(get_attrs(c, o, &lr->attributes, &lr->n_attributes));
	TRY(get_u32(c, o, "droppedAttributesCount", "dropped_attributes_count", &lr->dropped_attributes_count));
	TRY(get_u32(c, o, "flags", NULL, &lr->flags));
	TRY(get_hex(c, o, "traceId", "trace_id", &lr->trace_id));
	TRY(get_hex(c, o, "spanId", "span_id", &lr->span_id));
	return get_string(c, o, "eventName", "event_name", &lr->event_name);
}

static int decode_scope_logs(struct ctx *c, const cJSON *o, void **out)
{
	void **items = NULL, *scope = NULL;
	Tl__ScopeLogs *sl = arena_alloc(c->a, sizeof *sl);
	tl__scope_logs__init(sl);
	*out = sl;
	TRY(decode_member(c, o, "scope", decode_scope, &scope));
	sl->scope = scope;
	TRY(decode_list(c, o, "logRecords", "log_records", decode_log_record, &items, &sl->n_log_records));
	sl->log_records = (Tl__LogRecord **)items;
	return get_string(c, o, "schemaUrl", "schema_url", &sl->schema_url);
}

static int decode_resource_logs(struct ctx *c, const cJSON *o, void **out)
{
	void **items = NULL, *resource = NULL;
	Tl__ResourceLogs *rl = arena_alloc(c->a, sizeof *rl);
	tl__resource_logs__init(rl);
	*out = rl;
	TRY(decode_member(c, o, "resource", decode_resource, &resource));
	rl->resource = resource;
	TRY(decode_list(c, o, "scopeLogs", "scope_logs", decode_scope_logs, &items, &rl->n_scope_logs));
	rl->scope_logs = (Tl__ScopeLogs **)items;
	return get_string(c, o, "schemaUrl", "schema_url", &rl->schema_url);
}

enum err otlp_json_decode_logs(const cJSON *root, struct arena *a, Tl__ExportLogsServiceRequest **out, char *err,
                               size_t errlen)
{
	struct ctx c = {.a = a, .err = err, .errlen = errlen};
	void **items = NULL;
	*out = NULL;
	if (!cJSON_IsObject(root))
		return fail(&c, NULL, ERR_BAD_INPUT, "expected a JSON object at the top level, got %s",
		            type_name(root));
	if (!member(root, "resourceLogs", "resource_logs")) {
		if (member(root, "resourceSpans", "resource_spans"))
			return fail(&c, "resourceLogs", ERR_BAD_INPUT,
			            "missing; this is an OTLP trace export (resourceSpans), not logs");
		return fail(&c, "resourceLogs", ERR_BAD_INPUT, "missing");
	}
	Tl__ExportLogsServiceRequest *req = arena_alloc(a, sizeof *req);
	tl__export_logs_service_request__init(req);
	TRY(decode_list(&c, root, "resourceLogs", "resource_logs", decode_resource_logs, &items, &req->n_resource_logs));
	req->resource_logs = (Tl__ResourceLogs **)items;
	*out = req;
	return ERR_OK;
}
