/* json.h: the one JSON writer. A growable output buffer with a size cap,
 * and the value rules every JSON producer in tracelite shares: strings
 * UTF-8 validated (each invalid byte becomes U+FFFD) with control
 * characters escaped, int64 exact, doubles in the shortest form that reads
 * back to the same double with NaN and infinities as null, base64 bytes. */
#ifndef TL_JSON_H
#define TL_JSON_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cjson/cJSON.h>

/* Invariant: len <= cap; p is NULL or holds cap bytes; len <= max. Once an
 * append would pass max, the text is dropped, over is set and every later
 * append is dropped too, so a writer checks once, at jbuf_finish. */
struct jbuf {
	char *p;
	size_t len, cap, max;
	int over;
};

/* No cap: for callers whose output is bounded by what they were given. */
#define JBUF_NO_CAP SIZE_MAX

/* Starts an empty buffer that will hold at most max bytes (not counting
 * the NUL jbuf_finish adds). Allocates nothing. Required: a zeroed struct
 * jbuf has a cap of 0 and drops everything. */
void jbuf_init(struct jbuf *b, size_t max);

/* Slow path of jbuf_put: grows the buffer (doubling, at least 4 KiB) or
 * sets over. Out of memory aborts. */
void jbuf_put_slow(struct jbuf *b, const void *s, size_t n);

/* Appends s[0..n) as is. Inline so that writers appending a byte at a time
 * stay cheap. */
static inline void jbuf_put(struct jbuf *b, const void *s, size_t n)
{
	if (b->cap - b->len >= n && b->max - b->len >= n) {
		if (n)
			memcpy(b->p + b->len, s, n);
		b->len += n;
	} else {
		jbuf_put_slow(b, s, n);
	}
}

/* Appends one byte as is. */
static inline void jbuf_putc(struct jbuf *b, char c)
{
	jbuf_put(b, &c, 1);
}

/* Appends a string literal as is (its length is known at compile time). */
#define jbuf_lit(b, s) jbuf_put((b), (s), sizeof(s) - 1)

/* NUL-terminates the text and hands the malloc'd buffer to the caller (who
 * frees it), with its length without the NUL in *len (len may be NULL).
 * Returns NULL, and frees the buffer, if the cap was passed. Never returns
 * NULL otherwise, even for empty output. The buffer is empty afterwards. */
char *jbuf_finish(struct jbuf *b, size_t *len);

/* Appends s[0..n) as a quoted JSON string. Copies well-formed UTF-8
 * (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF) as is and
 * writes each byte that does not start a well-formed sequence as \ufffd.
 * Escapes '"' and '\\' with a backslash, \b \f \n \r \t by name, every
 * other byte below 0x20 as \u00XX (lower-case hex); 0x7F and '/' are not
 * escaped. A NUL inside s[0..n) is \u0000. */
void json_str(struct jbuf *b, const char *s, size_t n);

/* json_str of a NUL-terminated string; NULL writes "". */
void json_strz(struct jbuf *b, const char *s);

/* Longest text json_i64_fmt writes, NUL included ("-9223372036854775808"). */
#define JSON_INT_MAX 21

/* Writes v in decimal, exactly (every int64, INT64_MIN included), into
 * out, NUL-terminated, and returns its length. For callers that hand the
 * text to cJSON as a raw number (cJSON keeps numbers as doubles, which are
 * exact only up to 2^53). */
size_t json_i64_fmt(char out[JSON_INT_MAX], int64_t v);

/* Appends json_i64_fmt's text of v. */
void json_i64(struct jbuf *b, int64_t v);

/* Appends v in decimal, exactly. */
void json_u64(struct jbuf *b, uint64_t v);

/* Longest text json_double_fmt writes, NUL included. */
#define JSON_DOUBLE_MAX 32

/* Writes the JSON text of v into out, NUL-terminated, and returns its
 * length (json_i64_fmt says why a caller wants text). The one number rule for doubles: JSON has no NaN or infinity, so
 * NaN, +Inf and -Inf are null (a reader sees "no number", not a made-up
 * one). A finite v is the shortest %.Ng text that strtod reads back as
 * exactly v, with ".0" added when that text would read as an
 * integer, so a double stays visibly a double ("42.0", "-0.0", "1e+300"). */
size_t json_double_fmt(char out[JSON_DOUBLE_MAX], double v);

/* Appends json_double_fmt's text of v. */
void json_double(struct jbuf *b, double v);

/* Appends d[0..n) as a quoted standard base64 string (RFC 4648 section 4,
 * with padding), through mbedtls like the decoder in otlp_json.c. */
void json_base64(struct jbuf *b, const void *d, size_t n);

/* Prints v unformatted, as cJSON does, except that invalid UTF-8 inside
 * strings (cJSON copies string bytes through as they are) becomes U+FFFD,
 * so the text is always valid JSON. Returns the text, to be freed with
 * cJSON_free, and its length in *len (len may be NULL). Out of memory
 * aborts. */
char *json_print(const cJSON *v, size_t *len);

/* A cJSON string item holding s (NUL-terminated) with invalid UTF-8
 * replaced by U+FFFD: for text that came from a client, so that every
 * consumer (not only json_print) gets well-formed text. Out of memory
 * aborts. */
cJSON *json_string_item(const char *s);

/* Adds key to o: the lowercase hex of id[0..n) (a trace, span or parent
 * id), or null when id is NULL or n is 0 or over 32 bytes. */
void json_add_hex_id(cJSON *o, const char *key, const void *id, size_t n);

#endif
