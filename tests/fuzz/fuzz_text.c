/* fuzz_text.c: libFuzzer harness for src/base/text.c, whose parsers read
 * query parameters, native ingest times, settings and project headers. The
 * input up to the first NUL is one string given to every parser; what one
 * accepts must come back the same through its writer (times to the
 * millisecond through text_format_iso_ms), and integers must agree with
 * strtoll/strtoull, which see the same digits. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fuzz.h"
#include "base/err.h"
#include "base/text.h"

#define MAX_TEXT 256

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_text: %s: \"%s\"\n", what, s);
	abort();
}

static void check_time(const char *s)
{
	uint64_t ns, back;
	char iso[TEXT_ISO_MS_SIZE];
	if (text_parse_time(s, &ns) != ERR_OK)
		return;
	if (ns > (uint64_t)INT64_MAX)
		fail("a time past INT64_MAX ns", s);
	text_format_iso_ms(ns, iso);
	if (strlen(iso) != TEXT_ISO_MS_SIZE - 1 || text_parse_time(iso, &back) != ERR_OK || back != ns / 1000000 * 1000000)
		fail("a time does not read back from its ISO-8601 form", s);
}

static void check_ints(const char *s)
{
	int64_t i;
	uint64_t u;
	char buf[32];
	if (text_parse_i64(s, INT64_MIN, INT64_MAX, &i) == ERR_OK) {
		snprintf(buf, sizeof buf, "%" PRId64, i);
		int64_t again;
		if (strtoll(s, NULL, 10) != i || text_parse_i64(buf, INT64_MIN, INT64_MAX, &again) != ERR_OK || again != i)
			fail("an int64 does not agree with strtoll or its own text", s);
	}
	if (text_parse_u64(s, 0, UINT64_MAX, &u) == ERR_OK) {
		snprintf(buf, sizeof buf, "%" PRIu64, u);
		uint64_t again;
		if (strtoull(s, NULL, 10) != u || text_parse_u64(buf, 0, UINT64_MAX, &again) != ERR_OK || again != u)
			fail("a uint64 does not agree with strtoull or its own text", s);
	}
}

static void check_uuid(const char *s)
{
	uint8_t b[16], again[16];
	char text[TEXT_UUID_SIZE];
	if (text_uuid_parse(s, b) != ERR_OK)
		return;
	text_uuid_format(b, text);
	if (strcasecmp(text, s) != 0 || text_uuid_parse(text, again) != ERR_OK || memcmp(again, b, 16) != 0)
		fail("a UUID does not come back through its text", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAX_TEXT + 1];
	size_t n = strnlen((const char *)data, size < MAX_TEXT ? size : MAX_TEXT);
	memcpy(s, data, n);
	s[n] = 0;
	check_time(s);
	check_ints(s);
	check_uuid(s);
	return 0;
}
