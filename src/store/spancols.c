/* spancols.c: a chunk's spans rows as columns (spancols.h). After the
 * SPANCOLS_FORMAT byte, one zstd frame of these raw columns, each over all
 * rows before the next (varints are varint.h's; "zigzag" a varint of
 * varint_zigzag):
 *   n            varint, at most SPANCOLS_MAX_ROWS
 *   tuples       per row a byte of which nullable values it has (HAS_*),
 *                then zigzag of its tuple_cols[] values (the nullable ones
 *                only when present): values a span's name mostly
 *                determines, so a row's run of them recurs whole, which
 *                zstd matches better than each column apart (about a byte
 *                a row less on demo traffic)
 *   span_id      8 bytes per row
 *   parent       varint per row: 0 NULL, 1 the next raw parent, else
 *                2 + zigzag(i - k) for the span id of row k (a span's
 *                parent is mostly in its chunk, and near)
 *   raw parents  8 bytes each
 *   cols[]       zigzag per row: the value, or its difference from the
 *                previous row's or from the row number (COL_PREV, COL_ROW)
 *   cost_usd     the 8 bytes of each present cost's bit pattern, as byte
 *                planes: the most significant byte of every cost, then the
 *                next ... (sign and exponent repeat)
 *   messages     a varint length per row with a status message, then
 *                their bytes one after another
 * The frame's size is bounded (RAW_MAX), so a decoder allocates at most
 * that before it knows the blob is sound, and every count, length and
 * reference is checked against what is left. */
#include "store/spancols.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "base/arena.h"
#include "base/varint.h"
#include "store/record.h"

/* The bits of a row's nulls byte. */
enum {
	HAS_MODEL = 1,
	HAS_PROVIDER = 2,
	HAS_COST = 4,
	HAS_RESOURCE = 8,
	HAS_SCOPE = 16,
	HAS_MESSAGE = 32,
	HAS_ALL = 63,
};

enum col_kind {
	COL_VALUE,   /* the value itself */
	COL_PREV,    /* the difference from the previous row's (0 before the first) */
	COL_ROW,     /* the difference from the row's number */
};

/* An int64 column: its field, its nulls bit (0: NOT NULL; only tuple_cols[]
 * are nullable) and how it is written (tuple_cols[] as the value itself). */
struct col {
	const char *name;
	size_t off;
	unsigned has;
	enum col_kind kind;
};

#define COL(field, has, kind) {#field, offsetof(struct spancols_row, field), has, kind}
/* written row by row, each value itself */
static const struct col tuple_cols[] = {
	COL(project, 0, COL_VALUE),
	COL(name, 0, COL_VALUE),
	COL(service, 0, COL_VALUE),
	COL(flags, 0, COL_VALUE),
	COL(status, 0, COL_VALUE),
	COL(model, HAS_MODEL, COL_VALUE),
	COL(provider, HAS_PROVIDER, COL_VALUE),
	COL(resource, HAS_RESOURCE, COL_VALUE),
	COL(scope, HAS_SCOPE, COL_VALUE),
};
/* written column by column */
static const struct col cols[] = {
	COL(trace, 0, COL_PREV),
	COL(start_ns, 0, COL_PREV),
	COL(dur, 0, COL_VALUE),
	COL(input_tokens, 0, COL_VALUE),
	COL(output_tokens, 0, COL_VALUE),
	COL(cache_read_tokens, 0, COL_VALUE),
	COL(cache_write_tokens, 0, COL_VALUE),
	COL(chunk_index, 0, COL_ROW),
};
#define NTUPLE (sizeof tuple_cols / sizeof tuple_cols[0])
#define NCOLS (sizeof cols / sizeof cols[0])

/* The most raw bytes a row takes besides its message's, and a blob. */
#define ROW_MAX (1 + (NTUPLE + NCOLS) * VARINT_MAX + 8 + VARINT_MAX + 8 + 8 + VARINT_MAX)
#define RAW_MAX (VARINT_MAX + (size_t)SPANCOLS_MAX_ROWS * (ROW_MAX + SPANCOLS_MAX_MESSAGE))
/* record_frame_decompress refuses frames over 256 MiB (record.c) */
_Static_assert(RAW_MAX < (256u << 20), "a blob of the largest rows decompresses");

static int64_t *field(struct spancols_row *r, const struct col *c)
{
	return (int64_t *)((char *)r + c->off);
}

static int64_t value(const struct spancols_row *r, const struct col *c)
{
	return *(const int64_t *)((const char *)r + c->off);
}

static unsigned nulls_of(const struct spancols_row *r)
{
	return (r->has_model ? HAS_MODEL : 0) | (r->has_provider ? HAS_PROVIDER : 0) | (r->has_cost ? HAS_COST : 0) |
	       (r->has_resource ? HAS_RESOURCE : 0) | (r->has_scope ? HAS_SCOPE : 0) |
	       (r->status_message ? HAS_MESSAGE : 0);
}

/* The difference a - b as the two's complement int64 it wraps to. */
static int64_t diff(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

static int64_t sum(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* What column c writes for value v of row i after prev (the previous
 * written value of c); and back. */
static int64_t col_put(const struct col *c, int64_t v, int64_t prev, size_t i)
{
	return c->kind == COL_PREV ? diff(v, prev) : c->kind == COL_ROW ? diff(v, (int64_t)i) : v;
}

static int64_t col_get(const struct col *c, int64_t d, int64_t prev, size_t i)
{
	return c->kind == COL_PREV ? sum(d, prev) : c->kind == COL_ROW ? sum(d, (int64_t)i) : d;
}

/* The code of row i's parent: 0 none, 1 raw, else 2 + zigzag(i - k) for
 * the span id of row k (the first row with that id). */
static uint64_t parent_code(const struct spancols_row *rows, size_t n, size_t i)
{
	if (!rows[i].has_parent)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!memcmp(rows[k].span_id, rows[i].parent_span_id, 8))
			return 2 + varint_zigzag(diff((int64_t)i, (int64_t)k));
	return 1;
}

/* Writes column c (of cols[], NOT NULL) of rows[0..n) to p; returns the
 * end. */
static uint8_t *put_col(const struct spancols_row *rows, size_t n, const struct col *c, uint8_t *p)
{
	int64_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t v = value(&rows[i], c);
		p += varint_put(p, varint_zigzag(col_put(c, v, prev, i)));
		prev = v;
	}
	return p;
}

/* Writes the raw columns of rows[0..n) to p (room for n * ROW_MAX bytes
 * and the messages), with code[0..n) for the parent codes; returns their
 * size. */
static size_t put_columns(const struct spancols_row *rows, size_t n, uint64_t *code, uint8_t *p)
{
	uint8_t *start = p;
	size_t ncost = 0;
	p += varint_put(p, n);
	for (size_t i = 0; i < n; i++) {
		unsigned has = nulls_of(&rows[i]);
		*p++ = (uint8_t)has;
		for (const struct col *c = tuple_cols; c < tuple_cols + NTUPLE; c++)
			if (!c->has || has & c->has)
				p += varint_put(p, varint_zigzag(value(&rows[i], c)));
		ncost += rows[i].has_cost != 0;
	}
	for (size_t i = 0; i < n; i++, p += 8)
		memcpy(p, rows[i].span_id, 8);
	for (size_t i = 0; i < n; i++)
		p += varint_put(p, code[i] = parent_code(rows, n, i));
	for (size_t i = 0; i < n; i++)
		if (code[i] == 1) {
			memcpy(p, rows[i].parent_span_id, 8);
			p += 8;
		}
	for (const struct col *c = cols; c < cols + NCOLS; c++)
		p = put_col(rows, n, c, p);
	for (size_t i = 0, j = 0; i < n; i++)
		if (rows[i].has_cost) {
			uint64_t bits;
			memcpy(&bits, &rows[i].cost_usd, 8);
			for (size_t plane = 0; plane < 8; plane++)
				p[plane * ncost + j] = (uint8_t)(bits >> (56 - 8 * plane));
			j++;
		}
	p += 8 * ncost;
	for (size_t i = 0; i < n; i++)
		if (rows[i].status_message)
			p += varint_put(p, rows[i].status_message_len);
	for (size_t i = 0; i < n; i++)
		if (rows[i].status_message) {
			memcpy(p, rows[i].status_message, rows[i].status_message_len);
			p += rows[i].status_message_len;
		}
	return (size_t)(p - start);
}

enum err spancols_encode(const struct spancols_row *rows, size_t n, int level, void **out, size_t *outlen)
{
	*out = NULL;
	if (n > SPANCOLS_MAX_ROWS)
		return ERR_TOO_LARGE;
	size_t bound = VARINT_MAX + n * ROW_MAX;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].status_message && rows[i].status_message_len > SPANCOLS_MAX_MESSAGE)
			return ERR_TOO_LARGE;
		bound += rows[i].status_message ? rows[i].status_message_len : 0;
	}
	uint8_t *raw = malloc(bound), *blob = NULL;
	uint64_t *code = malloc((n ? n : 1) * sizeof *code);
	if (raw && code) {
		size_t len = put_columns(rows, n, code, raw), zbound = ZSTD_compressBound(len);
		if ((blob = malloc(1 + zbound))) {
			blob[0] = SPANCOLS_FORMAT;
			*outlen = 1 + record_frame_compress_at(NULL, level, blob + 1, zbound, raw, len);
			uint8_t *fit = realloc(blob, *outlen);
			*out = fit ? fit : blob;
		}
	}
	free(raw);
	free(code);
	return *out ? ERR_OK : ERR_STORE;
}

/* The reader of the raw columns: what is left of them, and the error
 * message of the first thing found wrong. */
struct reader {
	const uint8_t *p, *end;
	char *err;
	size_t errlen;
};

/* Reads a varint of column what (row i) into *v; ERR_OK or ERR_STORE. */
static enum err get_varint(struct reader *r, const char *what, size_t i, uint64_t *v)
{
	if (varint_get(&r->p, r->end, v))
		return err_set(r->err, r->errlen, ERR_STORE, "spancols: %s of row %zu runs past the end or is not a varint",
		               what, i);
	return ERR_OK;
}

/* Takes len bytes of column what (row i) into *p; ERR_OK or ERR_STORE. */
static enum err get_bytes(struct reader *r, const char *what, size_t i, size_t len, const uint8_t **p)
{
	if ((size_t)(r->end - r->p) < len)
		return err_set(r->err, r->errlen, ERR_STORE, "spancols: %s of row %zu runs past the end", what, i);
	*p = r->p;
	r->p += len;
	return ERR_OK;
}

/* Reads column c (of cols[]) of rows[0..n) at r. */
static enum err get_col(struct reader *r, struct spancols_row *rows, size_t n, const struct col *c)
{
	int64_t prev = 0;
	uint64_t v;
	enum err rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = get_varint(r, c->name, i, &v)))
			return rc;
		prev = *field(&rows[i], c) = col_get(c, varint_unzigzag(v), prev, i);
	}
	return ERR_OK;
}

/* Reads each row's tuple, its nulls and tuple_cols[], at r into rows[0..n)
 * (zero-filled); a row with a message gets "" for it meanwhile. */
static enum err get_tuples(struct reader *r, struct spancols_row *rows, size_t n)
{
	const uint8_t *b = NULL;
	uint64_t v;
	enum err rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = get_bytes(r, "nulls", i, 1, &b)))
			return rc;
		if (*b & ~HAS_ALL)
			return err_set(r->err, r->errlen, ERR_STORE, "spancols: row %zu has null flags 0x%02x", i, *b);
		rows[i].has_model = !!(*b & HAS_MODEL);
		rows[i].has_provider = !!(*b & HAS_PROVIDER);
		rows[i].has_cost = !!(*b & HAS_COST);
		rows[i].has_resource = !!(*b & HAS_RESOURCE);
		rows[i].has_scope = !!(*b & HAS_SCOPE);
		rows[i].status_message = *b & HAS_MESSAGE ? "" : NULL;
		for (const struct col *c = tuple_cols; c < tuple_cols + NTUPLE; c++)
			if (!c->has || *b & c->has) {
				if ((rc = get_varint(r, c->name, i, &v)))
					return rc;
				*field(&rows[i], c) = varint_unzigzag(v);
			}
	}
	return ERR_OK;
}

/* Reads the parent codes and the raw parents at r into rows[0..n) (their
 * span ids read). */
static enum err get_parents(struct reader *r, struct spancols_row *rows, size_t n)
{
	const uint8_t *b = NULL;
	uint64_t v;
	enum err rc;
	/* the codes first, kept in has_parent meanwhile as 0, 1 or k + 2 */
	for (size_t i = 0; i < n; i++) {
		if ((rc = get_varint(r, "parent", i, &v)))
			return rc;
		if (v > 1) {
			int64_t back = varint_unzigzag(v - 2);   /* i - k */
			uint64_t k = (uint64_t)i - (uint64_t)back;
			if (back < 0 ? 0 - (uint64_t)back >= n - i : (uint64_t)back > i)
				return err_set(r->err, r->errlen, ERR_STORE, "spancols: row %zu's parent is row %lld of %zu", i,
				               (long long)k, n);
			v = k + 2;
		}
		rows[i].has_parent = (int)v;
	}
	for (size_t i = 0; i < n; i++) {
		int code = rows[i].has_parent;
		rows[i].has_parent = code != 0;
		if (code == 1) {
			if ((rc = get_bytes(r, "raw parent", i, 8, &b)))
				return rc;
			memcpy(rows[i].parent_span_id, b, 8);
		} else if (code > 1)
			memcpy(rows[i].parent_span_id, rows[code - 2].span_id, 8);
	}
	return ERR_OK;
}

/* Reads the raw columns after the row count at r into rows[0..n)
 * (zero-filled); messages are copied into a. */
static enum err get_columns(struct reader *r, struct spancols_row *rows, size_t n, struct arena *a)
{
	const uint8_t *b = NULL;
	uint64_t v;
	size_t ncost = 0;
	enum err rc;
	if ((rc = get_tuples(r, rows, n)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = get_bytes(r, "span_id", i, 8, &b)))
			return rc;
		memcpy(rows[i].span_id, b, 8);
		ncost += (size_t)rows[i].has_cost;
	}
	if ((rc = get_parents(r, rows, n)))
		return rc;
	for (const struct col *c = cols; c < cols + NCOLS; c++)
		if ((rc = get_col(r, rows, n, c)))
			return rc;
	if ((rc = get_bytes(r, "cost_usd", n, 8 * ncost, &b)))
		return rc;
	for (size_t i = 0, j = 0; i < n; i++)
		if (rows[i].has_cost) {
			uint64_t bits = 0;
			for (size_t plane = 0; plane < 8; plane++)
				bits |= (uint64_t)b[plane * ncost + j] << (56 - 8 * plane);
			memcpy(&rows[i].cost_usd, &bits, 8);
			j++;
		}
	for (size_t i = 0; i < n; i++)
		if (rows[i].status_message) {
			if ((rc = get_varint(r, "status_message length", i, &v)))
				return rc;
			if (v > SPANCOLS_MAX_MESSAGE)
				return err_set(r->err, r->errlen, ERR_STORE, "spancols: row %zu's status_message of %llu bytes", i,
				               (unsigned long long)v);
			rows[i].status_message_len = (size_t)v;
		}
	for (size_t i = 0; i < n; i++)
		if (rows[i].status_message) {
			if ((rc = get_bytes(r, "status_message", i, rows[i].status_message_len, &b)))
				return rc;
			rows[i].status_message = arena_strndup(a, (const char *)b, rows[i].status_message_len);
		}
	if (r->p != r->end)
		return err_set(r->err, r->errlen, ERR_STORE, "spancols: %zu bytes left over after %zu rows",
		               (size_t)(r->end - r->p), n);
	return ERR_OK;
}

enum err spancols_decode(const void *blob, size_t len, struct arena *a, struct spancols_row **rows, size_t *n,
                         char *err, size_t errlen)
{
	const uint8_t *z = (const uint8_t *)blob + 1;
	if (!len || *(const uint8_t *)blob != SPANCOLS_FORMAT)
		return err_set(err, errlen, ERR_STORE, "spancols: not a spancols blob (%s)",
		               len ? "wrong format byte" : "empty");
	unsigned long long size = ZSTD_getFrameContentSize(z, len - 1);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
		return err_set(err, errlen, ERR_STORE, "spancols: no zstd frame with its size after the format byte");
	if (ZSTD_findFrameCompressedSize(z, len - 1) != len - 1)   /* an error, or more after it */
		return err_set(err, errlen, ERR_STORE, "spancols: not one whole zstd frame after the format byte");
	if (ZSTD_getDictID_fromFrame(z, len - 1))
		return err_set(err, errlen, ERR_STORE, "spancols: the frame names a dictionary");
	if (size > RAW_MAX)
		return err_set(err, errlen, ERR_STORE, "spancols: the frame holds %llu bytes, over %zu", size,
		               (size_t)RAW_MAX);
	uint8_t *raw = malloc(size ? size : 1);
	if (!raw)
		return err_set(err, errlen, ERR_STORE, "spancols: out of memory");
	size_t got;
	uint64_t count;
	struct reader r = {raw, raw, err, errlen};
	enum err rc = ERR_STORE;
	if (record_frame_decompress(z, len - 1, raw, size, &got) || got != size) {
		err_set(err, errlen, ERR_STORE, "spancols: the frame does not decompress");
		goto out;
	}
	r.end = raw + got;
	if ((rc = get_varint(&r, "row count", 0, &count)))
		goto out;
	if (count > SPANCOLS_MAX_ROWS) {
		rc = err_set(err, errlen, ERR_STORE, "spancols: %llu rows, over %d", (unsigned long long)count,
		             SPANCOLS_MAX_ROWS);
		goto out;
	}
	struct spancols_row *got_rows = count ? arena_alloc(a, count * sizeof *got_rows) : NULL;
	if (!(rc = get_columns(&r, got_rows, count, a))) {
		*rows = got_rows;
		*n = count;
	}
out:
	free(raw);
	return rc;
}
