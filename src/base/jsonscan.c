/* jsonscan.c: the pre-parse pass of jsonscan.h. Strings are skipped with
 * memchr, since they hold nearly all the bytes of a span (prompts). */
#include "base/jsonscan.h"
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "base/err.h"

const char *json_string_end(const char *p, const char *end, int *escaped)
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

/* Returns the position just after the string starting at p (after its
 * opening quote), or end if it is unterminated. */
static const char *skip_string(const char *p, const char *end)
{
	int escaped;
	const char *q = json_string_end(p, end, &escaped);
	return q ? q + 1 : end;
}

enum err json_scan(const char *text, size_t len, size_t max_values, struct json_shape *out, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t values = 1;
	int depth = 0;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	out->root = p < end ? *p : 0;
	while (p < end) {
		switch (*p++) {
		case '"':
			p = skip_string(p, end);
			break;
		case '[':
		case '{':
			if (++depth > JSONSCAN_MAX_DEPTH)
				return err_set(err, errlen, ERR_BAD_INPUT, "JSON nested deeper than %d levels at byte %zu",
				               JSONSCAN_MAX_DEPTH, (size_t)(p - 1 - text));
			values++;
			break;
		case ']':
		case '}':
			depth -= depth > 0;
			break;
		case ',':
			values++;
			break;
		default:
			break;
		}
	}
	out->values = values;
	if (values > max_values)
		return err_set(err, errlen, ERR_TOO_LARGE,
		               "JSON body holds more than %zu values; send fewer spans per request", max_values);
	return ERR_OK;
}
