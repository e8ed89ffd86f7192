/* jsonscan.h: one pass over JSON text before cJSON parses it, so that
 * nothing hostile reaches the parser: cJSON recurses once per nesting level
 * (a civetweb worker's 100 KB stack overflows near 660 levels) and builds a
 * 64-byte node per value (64 MiB of "[0,0,..." is a 2.7 GB tree). */
#ifndef TL_JSONSCAN_H
#define TL_JSONSCAN_H
#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "base/err.h"

/* Far deeper than any valid OTLP JSON (an AnyValue SPAN_MAX_DEPTH deep in
 * an event is 10 + 3 * SPAN_MAX_DEPTH levels), so the decoders see values
 * a few times too deep and name their path; far from the stack's limit
 * (cJSON takes about 150 bytes of stack per level). */
#define JSONSCAN_MAX_DEPTH 160

struct json_shape {
	char root;          /* first non-blank character ('{', '[', ... or 0) */
	size_t values;      /* upper bound on the values cJSON would allocate */
};

/* Returns the closing quote of the JSON string whose text starts at p (just
 * after its opening quote), or NULL when none comes before end; with a
 * quote, *escaped is set to 1 if the string holds a backslash (else left). A
 * backslash escapes the byte after it, as in cJSON. Shared by json_scan and
 * the OTLP/JSON fast path (otlp_json_fast.h); inline, as it runs once per
 * string and most strings are a few bytes. */
static inline const char *json_string_end(const char *p, const char *end, int *escaped)
{
#ifdef __SSE2__
	/* 16 bytes a step: a short string (keys, ids, most values) ends in the
	 * first, where two memchr calls cost more than the whole string. */
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
		if (!m) {
			p += 16;
			continue;
		}
		p += __builtin_ctz(m);
		if (*p == '"')
			return p;
		*escaped = 1;
		if (end - p < 2)
			return NULL;
		p += 2;
	}
#endif
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return NULL;
		const char *bs = memchr(p, '\\', (size_t)(q - p));
		if (!bs)
			return q;
		*escaped = 1;
		if (end - bs < 2)
			return NULL;
		p = bs + 2;
	}
}

/* Scans text[0..len) without allocating: finds the root's first character,
 * counts values (an upper bound: one per ',', '[' and '{', plus one) and
 * checks nesting. Syntax errors are left to the parser. Returns ERR_OK, or
 * ERR_BAD_INPUT (nested deeper than JSONSCAN_MAX_DEPTH, naming the byte)
 * or ERR_TOO_LARGE (more than max_values values) with err filled. */
enum err json_scan(const char *text, size_t len, size_t max_values, struct json_shape *out, char *err, size_t errlen);

#endif
