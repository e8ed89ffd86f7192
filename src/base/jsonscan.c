/* jsonscan.c: the pre-parse pass of jsonscan.h. Strings are skipped with
 * memchr, since they hold nearly all the bytes of a span (prompts). */
#include "base/jsonscan.h"
#include <string.h>
#include "base/err.h"

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
