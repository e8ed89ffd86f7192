/* test_pairset.c: the encoded pair sets of trace_pairsets (store/pairset.h):
 * round trips (small and large ids, long sets), membership, malformed blobs
 * refused, and the SQL functions the writer, migration 015 and the filters
 * call (union, any, has, the aggregate over unordered, repeated ids). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "store/pairset.h"
#include "test.h"

int main(void)
{
	static int64_t ids[5000], back[5000];
	static unsigned char buf[5000 * PAIRSET_VARINT_MAX];
	int64_t v[] = {7, 3, 3, 1, INT64_MAX, 300, 7};
	size_t n = pairset_normalize(v, sizeof v / sizeof *v);
	CHECK(n == 5 && v[0] == 1 && v[1] == 3 && v[2] == 7 && v[3] == 300 && v[4] == INT64_MAX, "normalize: %zu", n);
	size_t len = pairset_encode(v, n, buf);
	CHECK(len == 1 + 1 + 1 + 2 + 9, "encoded length %zu", len);
	size_t pos = 0, k = 0;
	int64_t id = 0;
	while (pairset_next(buf, len, &pos, &id) == 1 && k < 5)
		back[k++] = id;
	CHECK(k == 5 && !memcmp(back, v, 5 * sizeof *v), "round trip");
	CHECK(pairset_has(buf, len, 300) && pairset_has(buf, len, INT64_MAX) && !pairset_has(buf, len, 2) &&
	          !pairset_has(buf, len, 301) && !pairset_has(buf, 0, 1),
	      "has");
	/* a long set: 1 byte per id for dense ids */
	for (size_t i = 0; i < 5000; i++)
		ids[i] = 1000 + (int64_t)i * 3;
	len = pairset_encode(ids, 5000, buf);
	CHECK(len == 2 + 4999, "dense: %zu bytes", len);
	pos = 0, id = 0, k = 0;
	size_t wrong = 0;
	while (pairset_next(buf, len, &pos, &id) == 1) {
		wrong += k >= 5000 || id != ids[k];
		k++;
	}
	CHECK(k == 5000 && wrong == 0, "all ids back: %zu, %zu wrong", k, wrong);
	/* malformed: truncated varint, zero delta, overflow */
	unsigned char trunc[] = {0x05, 0x80}, zero[] = {0x05, 0x00}, big[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x7f};
	pos = 1, id = 5;
	CHECK(pairset_next(trunc, 2, &pos, &id) == -1, "truncated");
	pos = 1, id = 5;
	CHECK(pairset_next(zero, 2, &pos, &id) == -1, "zero delta");
	pos = 0, id = 0;
	CHECK(pairset_next(big, 10, &pos, &id) == 1 && pairset_next(big, 10, &pos, &id) == -1, "past INT64_MAX");

	sqlite3 *db;
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK && pairset_register(db) == ERR_OK, "register");
	CHECK(!sqlite3_exec(db,
	                    "CREATE TABLE r (t, p); INSERT INTO r VALUES (1, 9), (1, 2), (1, 9), (1, 500), (2, 4), (2, NULL);"
	                    "CREATE TABLE s AS SELECT t, tl_pairset_agg(p) AS b FROM r GROUP BY t;",
	                    NULL, NULL, NULL),
	      "agg: %s", sqlite3_errmsg(db));
	CHECK(test_sql_int(db, "SELECT hex(b) = '0207EB03' FROM s WHERE t = 1") == 1, "agg sorts, drops repeats");
	CHECK(test_sql_int(db, "SELECT length(tl_pairset_agg(p)) FROM r WHERE 0") == 0, "agg of no rows: empty set");
	CHECK(test_sql_int(db, "SELECT tl_pairset_has(b, 500) + tl_pairset_has(b, 9) * 2 + tl_pairset_has(b, 4) * 4 FROM s "
	                  "WHERE t = 1") == 3,
	      "has");
	CHECK(test_sql_int(db, "SELECT tl_pairset_has(NULL, 1)") == 0, "has NULL");
	CHECK(test_sql_int(db, "SELECT tl_pairset_any((SELECT b FROM s WHERE t = 1), (SELECT b FROM s WHERE t = 2))") == 0 &&
	          test_sql_int(db, "SELECT tl_pairset_any((SELECT b FROM s WHERE t = 1), tl_pairset_union((SELECT b FROM s WHERE t = 2),"
	                      " (SELECT tl_pairset_agg(500))))") == 1 &&
	          test_sql_int(db, "SELECT tl_pairset_any(NULL, (SELECT b FROM s WHERE t = 2))") == 0,
	      "any");
	CHECK(test_sql_int(db, "SELECT hex(tl_pairset_union((SELECT b FROM s WHERE t = 1), (SELECT b FROM s WHERE t = 2)))"
	                  " = hex((SELECT tl_pairset_agg(p) FROM r))") == 1 &&
	          test_sql_int(db, "SELECT hex(tl_pairset_union(NULL, b)) = hex(b) FROM s WHERE t = 2") == 1,
	      "union");
	/* interleaved, overlapping, with large gaps: the merge equals the aggregate of both */
	CHECK(!sqlite3_exec(db,
	                    "CREATE TABLE g AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
	                    " SELECT i * (CASE WHEN i % 7 = 0 THEN 100003 ELSE 1 END) AS id, i % 2 AS a, i % 3 = 0 AS b FROM n;",
	                    NULL, NULL, NULL),
	      "g: %s", sqlite3_errmsg(db));
	CHECK(test_sql_int(db, "SELECT hex(tl_pairset_union((SELECT tl_pairset_agg(id) FROM g WHERE a),"
	                       " (SELECT tl_pairset_agg(id) FROM g WHERE b))) = hex((SELECT tl_pairset_agg(id) FROM g WHERE a OR b))") == 1 &&
	          test_sql_int(db, "SELECT hex(tl_pairset_union((SELECT tl_pairset_agg(id) FROM g WHERE b),"
	                           " (SELECT tl_pairset_agg(id) FROM g WHERE a))) = hex((SELECT tl_pairset_agg(id) FROM g WHERE a OR b))") == 1 &&
	          test_sql_int(db, "SELECT length(tl_pairset_union((SELECT tl_pairset_agg(id) FROM g), (SELECT tl_pairset_agg(id) FROM g)))"
	                           " = length((SELECT tl_pairset_agg(id) FROM g))") == 1,
	      "union merges");
	CHECK(test_sql_int(db, "SELECT tl_pairset_union(x'0580', x'01')") == -1 &&
	          test_sql_int(db, "SELECT tl_pairset_union(x'01', x'0500')") == -1,
	      "malformed refused");
	CHECK(test_sql_int(db, "SELECT tl_pairset_agg(0)") == -1, "ids are positive");
	sqlite3_close(db);
	return test_done();
}
