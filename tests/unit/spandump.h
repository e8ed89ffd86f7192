/* spandump.h: stored spans as lines of hex, for unit tests that compare two
 * stores, or a store before and after a rewrite, byte for byte. Include
 * after test.h (CHECK) and store/spanview.h. */
#ifndef TL_TEST_SPANDUMP_H
#define TL_TEST_SPANDUMP_H
#include <stdio.h>
#include <string.h>

/* The packed bytes of sp (NULL: "-") appended to out as hex, then '\n'. */
static void dump(const Tl__Span *sp, char *out, size_t cap)
{
	size_t at = strlen(out);
	if (!sp) {
		snprintf(out + at, cap - at, "-\n");
		return;
	}
	uint8_t buf[4096];
	size_t n = tl__span__get_packed_size(sp);
	CHECK(n <= sizeof buf, "span too big");
	if (n > sizeof buf)
		return;
	tl__span__pack(sp, buf);
	for (size_t i = 0; i < n && at + 3 < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%02x", buf[i]);
	snprintf(out + at, cap - at, "\n");
}

/* Empties out, then appends every span row's record of db in commit order
 * (chunks 0 .. 100); returns the span view, reset, for the caller's reads
 * of whole chunks, with *rows the number of rows. */
static struct spanview *dump_rows(sqlite3 *db, char *out, size_t cap, int *rows)
{
	struct spanview *v;
	struct stored_span s;
	int rc;
	out[0] = 0;
	*rows = 0;
	CHECK(spanview_open(db, &v) == ERR_OK, "open");
	CHECK(spanview_chunks(v, 0, 100) == ERR_OK, "chunks");
	while ((rc = spanview_next(v, &s)) == 1) {
		++*rows;
		dump(s.otlp, out, cap);
	}
	CHECK(rc == 0, "rows read to the end");
	spanview_reset(v);
	return v;
}

#endif
