/* json.c: the one JSON writer (json.h). Strings are copied in runs between
 * the bytes that need work (quote, backslash, control characters,
 * non-ASCII to validate), so the common long ASCII prompt costs one scan
 * and one memcpy. */
#include "base/json.h"
#include "base/ids.h"
#include "base/utf8.h"
#include <assert.h>
#include <float.h>
#include <math.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <stdlib.h>

void jbuf_init(struct jbuf *b, size_t max)
{
	*b = (struct jbuf){.max = max};
}

void jbuf_put_slow(struct jbuf *b, const void *s, size_t n)
{
	assert(b->len <= b->cap && b->len <= b->max && (b->p || !b->cap));
	if (b->over)
		return;
	if (b->max - b->len < n) {
		/* empty and over: every later append takes this path and is dropped */
		free(b->p);
		*b = (struct jbuf){.max = b->max, .over = 1};
		return;
	}
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
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

char *jbuf_finish(struct jbuf *b, size_t *len)
{
	size_t max = b->max;
	if (b->over) {
		jbuf_init(b, max);
		return NULL;
	}
	b->max = SIZE_MAX; /* the NUL is not counted against the cap */
	jbuf_putc(b, 0);
	char *p = b->p;
	if (len)
		*len = b->len - 1;
	jbuf_init(b, max);
	return p;
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

void json_str(struct jbuf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	jbuf_putc(b, '"');
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && esc_class[s[run]] == 0)
			run++;
		if (run > i) {
			jbuf_put(b, s + i, run - i);
			i = run;
			if (i == n)
				break;
		}
		unsigned c = s[i];
		if (esc_class[c] == 2) {
			size_t k = utf8_char_len(s + i, n - i);
			if (k) {
				jbuf_put(b, s + i, k);
				i += k;
			} else {
				jbuf_lit(b, "\\ufffd");
				i++;
			}
			continue;
		}
		i++;
		switch (c) {
		case '"': jbuf_lit(b, "\\\""); break;
		case '\\': jbuf_lit(b, "\\\\"); break;
		case '\n': jbuf_lit(b, "\\n"); break;
		case '\r': jbuf_lit(b, "\\r"); break;
		case '\t': jbuf_lit(b, "\\t"); break;
		case '\b': jbuf_lit(b, "\\b"); break;
		case '\f': jbuf_lit(b, "\\f"); break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			jbuf_put(b, u, sizeof u);
		}
		}
	}
	jbuf_putc(b, '"');
}

void json_strz(struct jbuf *b, const char *s)
{
	json_str(b, s ? s : "", s ? strlen(s) : 0);
}

/* Writes v's digits ending just before end; returns where they start. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

size_t json_i64_fmt(char out[JSON_INT_MAX], int64_t v)
{
	char tmp[JSON_INT_MAX];
	char *p = u64_digits(tmp + sizeof tmp, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	size_t n = (size_t)(tmp + sizeof tmp - p);
	memcpy(out, p, n);
	out[n] = 0;
	return n;
}

void json_i64(struct jbuf *b, int64_t v)
{
	char tmp[JSON_INT_MAX];
	jbuf_put(b, tmp, json_i64_fmt(tmp, v));
}

void json_u64(struct jbuf *b, uint64_t v)
{
	char tmp[JSON_INT_MAX];
	char *p = u64_digits(tmp + sizeof tmp, v);
	jbuf_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

size_t json_double_fmt(char out[JSON_DOUBLE_MAX], double v)
{
	if (!isfinite(v)) {
		memcpy(out, "null", 5);
		return 4;
	}
	/* A normal double carries more than 15 significant digits, so a shorter
	 * precision that round-trips gives the text %.15g gives (%g drops the
	 * trailing zeros): start there. A denormal carries fewer: start at 1. */
	int n = 0;
	for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		n = snprintf(out, JSON_DOUBLE_MAX, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	if (!strpbrk(out, ".eE")) {
		memcpy(out + n, ".0", 3);
		n += 2;
	}
	return (size_t)n;
}

void json_double(struct jbuf *b, double v)
{
	char tmp[JSON_DOUBLE_MAX];
	jbuf_put(b, tmp, json_double_fmt(tmp, v));
}

void json_base64(struct jbuf *b, const void *d, size_t n)
{
	/* in blocks of 3 * 64 bytes: whole groups, so no padding until the end */
	const unsigned char *s = d;
	unsigned char o[4 * 64 + 1];
	jbuf_putc(b, '"');
	for (size_t i = 0; i < n; i += 3 * 64) {
		size_t k = n - i < 3 * 64 ? n - i : 3 * 64, olen = 0;
		if (mbedtls_base64_encode(o, sizeof o, &olen, s + i, k) != 0)
			abort(); /* cannot happen: o holds the encoding of 3 * 64 bytes */
		jbuf_put(b, o, olen);
	}
	jbuf_putc(b, '"');
}

char *json_print(const cJSON *v, size_t *len)
{
	char *text = cJSON_PrintUnformatted(v);
	if (!text)
		abort();
	size_t n = strlen(text), valid = utf8_valid_len(text, n);
	if (valid < n) {
		/* only bytes inside strings can be >= 0x80, so replacing them
		 * keeps the JSON structure; each bad byte grows to 3 */
		size_t fixed = valid + utf8_repair(text + valid, n - valid, NULL);
		char *out = cJSON_malloc(fixed + 1);
		if (!out)
			abort();
		memcpy(out, text, valid);
		utf8_repair(text + valid, n - valid, out + valid);
		out[fixed] = 0;
		cJSON_free(text);
		text = out;
		n = fixed;
	}
	if (len)
		*len = n;
	return text;
}

cJSON *json_string_item(const char *s)
{
	size_t n = strlen(s), m;
	if (utf8_valid_len(s, n) == n)
		return cJSON_CreateString(s);
	m = utf8_repair(s, n, NULL);
	char *fixed = malloc(m + 1);
	if (!fixed)
		abort();
	utf8_repair(s, n, fixed);
	fixed[m] = 0;
	cJSON *v = cJSON_CreateString(fixed);
	free(fixed);
	if (!v)
		abort();
	return v;
}

void json_add_hex_id(cJSON *o, const char *key, const void *id, size_t n)
{
	char hex[65];
	if (!id || n == 0 || n > 32) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	id_to_hex(id, n, hex);
	cJSON_AddStringToObject(o, key, hex);
}
