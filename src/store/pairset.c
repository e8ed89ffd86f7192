/* pairset.c: the encoded pair sets of trace_pairsets (pairset.h): varint
 * deltas of sorted attr_pairs ids, and the SQL functions over them that
 * the writer (merging a trace's sets), migration 015 (building them from
 * trace_pairs rows) and the filters (membership) call. */
#include "store/pairset.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

size_t pairset_normalize(int64_t *ids, size_t n)
{
	size_t k = 0;
	qsort(ids, n, sizeof *ids, cmp_id);
	for (size_t i = 0; i < n; i++)
		if (!k || ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	return k;
}

static size_t put_varint(unsigned char *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (unsigned char)v;
	return n;
}

size_t pairset_encode(const int64_t *ids, size_t n, unsigned char *out)
{
	size_t len = 0;
	int64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		assert(ids[i] > prev); /* sorted, distinct, positive */
		len += put_varint(out + len, (uint64_t)(ids[i] - prev));
		prev = ids[i];
	}
	return len;
}

int pairset_next(const unsigned char *p, size_t len, size_t *pos, int64_t *id)
{
	uint64_t v = 0;
	size_t i = *pos;
	if (i >= len)
		return 0;
	for (int shift = 0;; shift += 7) {
		if (i >= len || shift > 63)
			return -1;
		unsigned char b = p[i++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	if (!v || v > (uint64_t)(INT64_MAX - *id))
		return -1;
	*id += (int64_t)v;
	*pos = i;
	return 1;
}

int pairset_has(const unsigned char *p, size_t len, int64_t id)
{
	size_t pos = 0;
	int64_t cur = 0;
	while (pairset_next(p, len, &pos, &cur) == 1) {
		if (cur == id)
			return 1;
		if (cur > id)
			return 0;
	}
	return 0;
}

/* tl_pairset_has(set, id) */
static void fn_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *p = sqlite3_value_blob(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);
	sqlite3_result_int(ctx, p && sqlite3_value_type(argv[1]) == SQLITE_INTEGER &&
	                            pairset_has(p, (size_t)len, sqlite3_value_int64(argv[1])));
}

/* tl_pairset_any(set, other): a merge of the two sorted sets. */
static void fn_any(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *a = sqlite3_value_blob(argv[0]);
	size_t alen = (size_t)sqlite3_value_bytes(argv[0]);
	const unsigned char *b = sqlite3_value_blob(argv[1]);
	size_t blen = (size_t)sqlite3_value_bytes(argv[1]);
	size_t pa = 0, pb = 0;
	int64_t x = 0, y = 0;
	int found = 0;
	if (a && b && pairset_next(a, alen, &pa, &x) == 1 && pairset_next(b, blen, &pb, &y) == 1)
		for (;;) {
			if (x == y) {
				found = 1;
				break;
			}
			if ((x < y ? pairset_next(a, alen, &pa, &x) : pairset_next(b, blen, &pb, &y)) != 1)
				break;
		}
	sqlite3_result_int(ctx, found);
}

/* Sets the result to the encoded ids v[0..n) (normalized here). */
static void result_set(sqlite3_context *ctx, int64_t *v, size_t n)
{
	n = v ? pairset_normalize(v, n) : 0;
	unsigned char *out = malloc(n * PAIRSET_VARINT_MAX + 1);
	if (!out)
		abort();
	size_t len = pairset_encode(v, n, out);
	sqlite3_result_blob(ctx, out, (int)len, free);
}

/* tl_pairset_union(a, b): a merge of the two sorted sets, O(a + b). */
static void fn_union(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *a = sqlite3_value_blob(argv[0]), *b = sqlite3_value_blob(argv[1]);
	size_t alen = a ? (size_t)sqlite3_value_bytes(argv[0]) : 0, blen = b ? (size_t)sqlite3_value_bytes(argv[1]) : 0;
	size_t pa = 0, pb = 0, len = 0;
	int64_t x = 0, y = 0, prev = 0;
	if (alen + blen > PAIRSET_BLOB_MAX) {
		sqlite3_result_error(ctx, "tl_pairset_union: a pair set over PAIRSET_BLOB_MAX", -1);
		return;
	}
	/* at most alen + blen bytes: an id's delta in the union is at most its
	 * delta in the set it came from (its predecessor there is in the
	 * union too), so its varint is no longer */
	unsigned char *out = malloc(alen + blen + 1);
	if (!out)
		abort();
	int ra = a ? pairset_next(a, alen, &pa, &x) : 0, rb = b ? pairset_next(b, blen, &pb, &y) : 0;
	while (ra == 1 || rb == 1) {
		int64_t id;
		if (rb != 1 || (ra == 1 && x < y)) {
			id = x;
			ra = pairset_next(a, alen, &pa, &x);
		} else {
			if (ra == 1 && x == y)
				ra = pairset_next(a, alen, &pa, &x);
			id = y;
			rb = pairset_next(b, blen, &pb, &y);
		}
		assert(id > prev);
		len += put_varint(out + len, (uint64_t)(id - prev));
		assert(len <= alen + blen);
		prev = id;
	}
	if (ra < 0 || rb < 0) {
		free(out);
		sqlite3_result_error(ctx, "tl_pairset_union: a malformed pair set", -1);
		return;
	}
	sqlite3_result_blob(ctx, out, (int)len, free);
}

/* tl_pairset_agg's state: the ids of the group so far. */
struct agg {
	int64_t *v;
	size_t n, cap;
};

static void agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct agg *g = sqlite3_aggregate_context(ctx, sizeof *g);
	if (!g)
		abort();
	if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER)
		return;
	int64_t id = sqlite3_value_int64(argv[0]);
	if (id <= 0) {
		sqlite3_result_error(ctx, "tl_pairset_agg: pair ids are positive", -1);
		return;
	}
	if (g->n == g->cap) {
		if (g->cap * sizeof *g->v >= PAIRSET_BLOB_MAX) {
			sqlite3_result_error(ctx, "tl_pairset_agg: a pair set over PAIRSET_BLOB_MAX", -1);
			return;
		}
		g->cap = g->cap ? 2 * g->cap : 64;
		if (!(g->v = realloc(g->v, g->cap * sizeof *g->v)))
			abort();
	}
	g->v[g->n++] = id;
}

static void agg_final(sqlite3_context *ctx)
{
	struct agg *g = sqlite3_aggregate_context(ctx, 0);
	result_set(ctx, g ? g->v : NULL, g ? g->n : 0);
	if (g)
		free(g->v);
}

enum err pairset_register(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	if (sqlite3_create_function(db, "tl_pairset_has", 2, flags, NULL, fn_has, NULL, NULL) ||
	    sqlite3_create_function(db, "tl_pairset_any", 2, flags, NULL, fn_any, NULL, NULL) ||
	    sqlite3_create_function(db, "tl_pairset_union", 2, flags, NULL, fn_union, NULL, NULL) ||
	    sqlite3_create_function(db, "tl_pairset_agg", 1, flags, NULL, NULL, agg_step, agg_final))
		return ERR_STORE;
	return ERR_OK;
}
