/* test_spancols.c: the span-columns codec (store/spancols.h): rows round
 * trip bit for bit (extreme values, NULLs, NaN costs, messages with NUL
 * bytes, parents in and out of the blob), the limits are refused, and a
 * damaged blob (every truncation, flipped bytes, trailing bytes, a wrong
 * format byte) is refused without a crash. Rows of demo traffic stored by
 * the writer are round-tripped chunk by chunk and their size per row is
 * printed. Also varint.h's zigzag. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>
#include "base/arena.h"
#include "base/err.h"
#include "base/varint.h"
#include "demo/demo.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "store/record.h"
#include "store/spancols.h"
#include "store/store.h"
#include "store/writer.h"
#include "test.h"

static void check_zigzag(void)
{
	static const int64_t v[] = {0, -1, 1, -2, 2, 63, -64, 64, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	static const uint64_t z[] = {0, 1, 2, 3, 4, 126, 127, 128, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX - 2};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		CHECK(varint_zigzag(v[i]) == z[i], "zigzag(%lld) = %llu", (long long)v[i],
		      (unsigned long long)varint_zigzag(v[i]));
		CHECK(varint_unzigzag(z[i]) == v[i], "unzigzag(%llu)", (unsigned long long)z[i]);
	}
}

/* 1 if got is rows as decoded: NULLs the same, values where not NULL, bit
 * for bit (costs by their bits), messages byte for byte. */
static int same_row(const struct spancols_row *x, const struct spancols_row *y)
{
	int64_t xi[] = {x->trace, x->project, x->name, x->service, x->flags, x->start_ns, x->dur, x->status,
	                x->input_tokens, x->output_tokens, x->cache_read_tokens, x->cache_write_tokens, x->chunk_index};
	int64_t yi[] = {y->trace, y->project, y->name, y->service, y->flags, y->start_ns, y->dur, y->status,
	                y->input_tokens, y->output_tokens, y->cache_read_tokens, y->cache_write_tokens, y->chunk_index};
	if (memcmp(xi, yi, sizeof xi) || memcmp(x->span_id, y->span_id, 8) || !x->has_parent != !y->has_parent ||
	    (x->has_parent && memcmp(x->parent_span_id, y->parent_span_id, 8)))
		return 0;
	if (!x->has_model != !y->has_model || (x->has_model && x->model != y->model) ||
	    !x->has_provider != !y->has_provider || (x->has_provider && x->provider != y->provider) ||
	    !x->has_resource != !y->has_resource || (x->has_resource && x->resource != y->resource) ||
	    !x->has_scope != !y->has_scope || (x->has_scope && x->scope != y->scope) || !x->has_cost != !y->has_cost ||
	    (x->has_cost && memcmp(&x->cost_usd, &y->cost_usd, sizeof x->cost_usd)))
		return 0;
	if (!x->status_message != !y->status_message)
		return 0;
	return !x->status_message || (x->status_message_len == y->status_message_len &&
	                              !memcmp(x->status_message, y->status_message, x->status_message_len));
}

/* Encodes rows[0..n) at level, checks the blob decodes to them and returns
 * it (caller frees; NULL if encoding failed). */
static void *round_trip(const char *what, const struct spancols_row *rows, size_t n, int level, size_t *len)
{
	void *blob;
	char err[256] = "";
	int rc = spancols_encode(rows, n, level, &blob, len);
	CHECK(rc == ERR_OK, "%s: encode: %d", what, rc);
	if (rc)
		return NULL;
	struct arena *a = arena_new();
	struct spancols_row *got;
	size_t m = SIZE_MAX, bad = 0;
	rc = spancols_decode(blob, *len, a, &got, &m, err, sizeof err);
	CHECK(rc == ERR_OK && m == n, "%s: decode: %d %s (%zu rows of %zu)", what, rc, err, m, n);
	for (size_t i = 0; !rc && i < n; i++)
		bad += !same_row(&rows[i], &got[i]) || got[i].has_parent > 1 || got[i].has_model > 1 || got[i].has_cost > 1 ||
		       (got[i].status_message && got[i].status_message[got[i].status_message_len]);
	CHECK(bad == 0, "%s: %zu rows differ", what, bad);
	arena_free(a);
	return blob;
}

/* A row of an LLM-agent chunk as the writer would store it: row i of
 * trace key trace, its parent the row before (none for the first). */
static struct spancols_row typical_row(size_t i, int64_t trace)
{
	struct spancols_row r = {
		.trace = trace,
		.has_parent = i % 6 != 0,
		.project = 1,
		.name = 20 + (int64_t)(i % 5),
		.service = 3,
		.flags = (int64_t)(i % 3) | 1 << 5,
		.start_ns = 1800000000000000000 + (int64_t)i * 1500000,
		.dur = 1000000 + (int64_t)(i * 7919 % 100000) * 1000,
		.status = i % 17 == 0 ? 2 : 0,
		.has_model = i % 3 == 1,
		.has_provider = i % 3 == 1,
		.model = 40,
		.provider = 41,
		.input_tokens = i % 3 == 1 ? 1200 + (int64_t)(i * 37 % 900) : 0,
		.output_tokens = i % 3 == 1 ? 80 + (int64_t)(i * 13 % 300) : 0,
		.has_cost = i % 3 == 1,
		.cost_usd = 0.0000025 * (double)(i + 1),
		.has_resource = 1,
		.has_scope = 1,
		.resource = 7,
		.scope = 8,
		.chunk_index = (int64_t)i,
	};
	for (int k = 0; k < 8; k++) {
		r.span_id[k] = (uint8_t)(i * 131 + (size_t)k * 29 + 1);
		r.parent_span_id[k] = (uint8_t)((i - 1) * 131 + (size_t)k * 29 + 1);
	}
	if (r.status == 2) {
		r.status_message = "tool call failed: timeout";
		r.status_message_len = strlen(r.status_message);
	}
	return r;
}

static void check_small(void)
{
	size_t len;
	void *blob = round_trip("no rows", NULL, 0, 0, &len);
	CHECK(blob && len > 1 && ((uint8_t *)blob)[0] == SPANCOLS_FORMAT, "a blob of no rows: %zu bytes", len);
	free(blob);
	struct spancols_row one = typical_row(1, 42);
	free(round_trip("one row", &one, 1, 0, &len));
	struct spancols_row rows[256];
	for (size_t i = 0; i < 256; i++)
		rows[i] = typical_row(i, 1000 + (int64_t)i / 40);
	for (int level = 0; level <= RECORD_LEVEL_MAX; level += 3)
		free(round_trip("256 typical rows", rows, 256, level, &len));
}

/* Rows whose every value is an extreme: INT64_MIN/MAX and neighbours,
 * NaN, infinities and -0.0 as costs, messages empty, with NUL bytes and of
 * SPANCOLS_MAX_MESSAGE bytes, parents in and out of the blob, all NULL or
 * none. */
static void check_extremes(void)
{
	static const int64_t ext[] = {INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1, -1, 0, 1};
	double costs[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.0, 5e-324, 1.7976931348623157e308};
	uint64_t payload_nan = 0x7ff0000000000123ull;   /* a signalling NaN with a payload */
	memcpy(&costs[1], &payload_nan, 8);
	enum { N = 64 };
	static char big[SPANCOLS_MAX_MESSAGE];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i % 7 ? i * 31 : 0);
	struct spancols_row rows[N];
	memset(rows, 0, sizeof rows);
	for (size_t i = 0; i < N; i++) {
		struct spancols_row *r = &rows[i];
		int64_t *f[] = {&r->trace, &r->project, &r->name, &r->service, &r->flags, &r->start_ns, &r->dur,
		                &r->status, &r->model, &r->provider, &r->input_tokens, &r->output_tokens,
		                &r->cache_read_tokens, &r->cache_write_tokens, &r->resource, &r->scope, &r->chunk_index};
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			*f[k] = ext[(i + k) % 7];
		for (int k = 0; k < 8; k++)
			r->span_id[k] = (uint8_t)(i < N / 2 ? (size_t)(0xff - k) : i * 3 + (size_t)k);   /* the first half alike */
		int nulls = i % 4 == 0 ? 0 : i % 4 == 1 ? 1 : (int)(i * 2654435761u >> 7) & 1;
		r->has_model = r->has_provider = r->has_resource = r->has_scope = r->has_cost = r->has_parent = !nulls;
		if (i % 4 == 3)
			r->has_provider = r->has_scope = 0, r->has_parent = 1;
		r->cost_usd = costs[i % 8];
		if (r->has_parent)   /* the first row's span id, its own, or none in the blob */
			memcpy(r->parent_span_id, i % 3 == 0 ? rows[0].span_id : i % 3 == 1 ? r->span_id : (uint8_t[8]){1, 2}, 8);
		if (i % 5 == 1) {
			r->status_message = i % 2 ? big : "";
			r->status_message_len = i % 2 ? sizeof big : 0;
		} else if (i % 5 == 2) {
			r->status_message = "a\0b\0";
			r->status_message_len = 4;
		}
	}
	size_t len;
	free(round_trip("extreme values", rows, N, 0, &len));
	free(round_trip("extreme values at level 19", rows, N, 19, &len));
	/* values beside a NULL are not stored: they decode as zeros */
	struct spancols_row r = rows[0];
	r.has_model = r.has_provider = r.has_resource = r.has_scope = r.has_cost = r.has_parent = 0;
	void *blob = round_trip("values beside NULLs", &r, 1, 0, &len);
	struct arena *a = arena_new();
	struct spancols_row *got;
	size_t n;
	char err[256];
	static const uint8_t zeros[8];
	CHECK(blob && spancols_decode(blob, len, a, &got, &n, err, sizeof err) == ERR_OK && n == 1 && !got->model &&
	          !got->provider && !got->resource && !got->scope && !memcmp(&got->cost_usd, zeros, 8) &&
	          !memcmp(got->parent_span_id, zeros, 8),
	      "values beside NULLs decode as zeros");
	arena_free(a);
	free(blob);
	for (size_t i = 0; i < N; i++) {
		rows[i].has_model = rows[i].has_provider = rows[i].has_resource = rows[i].has_scope = rows[i].has_cost =
		    rows[i].has_parent = 7;   /* any nonzero flag */
		if (!rows[i].status_message)
			rows[i].status_message = "";
	}
	free(round_trip("no NULLs", rows, N, 0, &len));

	r = rows[1];
	r.status_message_len = SPANCOLS_MAX_MESSAGE + 1;
	blob = NULL;
	CHECK(spancols_encode(&r, 1, 0, &blob, &len) == ERR_TOO_LARGE && !blob, "a longer message is refused");
}

/* SPANCOLS_MAX_ROWS rows, each with a message of SPANCOLS_MAX_MESSAGE
 * bytes (the largest blob), round trip; one row more is refused. */
static void check_max_rows(void)
{
	struct spancols_row *rows = calloc(SPANCOLS_MAX_ROWS + 1, sizeof *rows);
	char *msg = malloc(SPANCOLS_MAX_MESSAGE);
	if (!rows || !msg)
		abort();
	for (size_t i = 0; i < SPANCOLS_MAX_MESSAGE; i++)
		msg[i] = (char)(i * 7 % 251);
	for (size_t i = 0; i <= SPANCOLS_MAX_ROWS; i++) {
		rows[i] = typical_row(i, (int64_t)i / 8);
		rows[i].status_message = msg + i % 16;
		rows[i].status_message_len = SPANCOLS_MAX_MESSAGE - i % 16;
	}
	rows[0].status_message = msg;
	rows[0].status_message_len = SPANCOLS_MAX_MESSAGE;
	size_t len;
	free(round_trip("SPANCOLS_MAX_ROWS rows with the longest messages", rows, SPANCOLS_MAX_ROWS, 0, &len));
	void *blob = NULL;
	CHECK(spancols_encode(rows, SPANCOLS_MAX_ROWS + 1, 0, &blob, &len) == ERR_TOO_LARGE && !blob,
	      "SPANCOLS_MAX_ROWS + 1 rows are refused");
	free(rows);
	free(msg);
}

/* Decodes blob[0..len) expecting a refusal whose message holds why (NULL:
 * any). */
static int refused_for(const void *blob, size_t len, const char *why)
{
	struct arena *a = arena_new();
	struct spancols_row *rows;
	size_t n;
	char err[256] = "";
	int rc = spancols_decode(blob, len, a, &rows, &n, err, sizeof err);
	arena_free(a);
	if (rc == ERR_STORE && why && !strstr(err, why))
		printf("refused for %s, not %s\n", err, why);
	return rc == ERR_STORE && !strncmp(err, "spancols: ", 10) && (!why || strstr(err, why));
}

static int refused(const void *blob, size_t len)
{
	return refused_for(blob, len, NULL);
}

/* A zstd frame of raw[0..len) after the format byte, in out (room for
 * 1 + ZSTD_compressBound(len)); returns the blob's size. */
static size_t forge(const uint8_t *raw, size_t len, uint8_t *out, size_t cap)
{
	out[0] = SPANCOLS_FORMAT;
	return 1 + ZSTD_compress(out + 1, cap - 1, raw, len, 1);
}

static void check_damage(void)
{
	struct spancols_row rows[40];
	for (size_t i = 0; i < 40; i++)
		rows[i] = typical_row(i, 9);
	size_t len, bad = 0, ok = 0;
	uint8_t *blob = round_trip("forty rows", rows, 40, 0, &len);
	if (!blob)
		return;
	for (size_t cut = 0; cut < len; cut++)
		bad += !refused(blob, cut);
	CHECK(bad == 0, "%zu of %zu truncations decode", bad, len);

	uint8_t *copy = malloc(len + 32);
	memcpy(copy, blob, len);
	memcpy(copy + len, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	CHECK(refused_for(copy, len + 1, "not one whole zstd frame") && refused_for(copy, len + 16, "not one whole"),
	      "trailing bytes after the frame are refused");
	static const uint8_t skippable[] = {0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0};   /* a skippable frame of 0 bytes */
	memcpy(copy + len, skippable, 8);
	CHECK(refused_for(copy, len + 8, "not one whole"), "a skippable frame after the frame is refused");
	size_t empty = ZSTD_compress(copy + len, 32, "", 0, 1);
	CHECK(!ZSTD_isError(empty) && refused_for(copy, len + empty, "not one whole"),
	      "an empty frame after the frame is refused");
	copy[0] = 0x28;
	CHECK(refused_for(copy, len, "not a spancols blob"), "a zstd frame without the format byte is refused");
	copy[0] = RECORD_CHUNK_V2;
	CHECK(refused_for(copy, len, "not a spancols blob"), "a span chunk is refused");
	memcpy(copy, blob, len);
	struct arena *a = arena_new();
	for (size_t i = 0; i < len; i++)   /* every bit of every byte flipped: refused, or decodes */
		for (int bit = 0; bit < 8; bit++) {
			struct spancols_row *got;
			size_t n;
			char err[256];
			copy[i] ^= (uint8_t)(1 << bit);
			ok += spancols_decode(copy, len, a, &got, &n, err, sizeof err) == ERR_OK;
			copy[i] ^= (uint8_t)(1 << bit);
			arena_reset(a, 0);
		}
	arena_free(a);
	printf("flipped bits: %zu of %zu blobs still decode\n", ok, len * 8);

	/* the raw columns damaged inside a sound frame */
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t rawlen = ZSTD_getFrameContentSize(blob + 1, len - 1);
	uint8_t *raw = malloc(rawlen + 16), *z = malloc(1 + ZSTD_compressBound(rawlen + 16));
	CHECK(ZSTD_decompressDCtx(d, raw, rawlen, blob + 1, len - 1) == rawlen, "the frame decompresses");
	ZSTD_freeDCtx(d);
	bad = 0;
	for (size_t cut = 0; cut < rawlen; cut++)
		bad += !refused(z, forge(raw, cut, z, 1 + ZSTD_compressBound(rawlen + 16)));
	CHECK(bad == 0, "%zu of %zu truncated columns decode", bad, rawlen);
	raw[rawlen] = 0;
	CHECK(refused_for(z, forge(raw, rawlen + 1, z, 1 + ZSTD_compressBound(rawlen + 16)), "1 bytes left over"), "a byte left over is refused");
	size_t flipped = 0;
	for (size_t i = 0; i < rawlen; i++)
		for (int bit = 0; bit < 8; bit++) {
			raw[i] ^= (uint8_t)(1 << bit);
			flipped += !refused(z, forge(raw, rawlen, z, 1 + ZSTD_compressBound(rawlen + 16)));
			raw[i] ^= (uint8_t)(1 << bit);
		}
	printf("flipped bits in the columns: %zu of %zu still decode\n", flipped, rawlen * 8);

	/* a count over SPANCOLS_MAX_ROWS, a parent before or after the rows,
	 * bad null flags, a message over the limit */
	uint8_t forged[64], *p = forged;
	p += varint_put(p, SPANCOLS_MAX_ROWS + 1);
	CHECK(refused_for(z, forge(forged, (size_t)(p - forged), z, 64), "1025 rows, over 1024"), "too many rows are refused");
	/* 1 row: no nulls, 5 ids 0, a span id, its parent itself (code 2) */
	uint8_t one[32] = {1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 2};
	size_t at = 15;
	memcpy(one + at + 1, (uint8_t[8]){0}, 8);   /* then 8 zero columns */
	CHECK(!refused(z, forge(one, at + 9, z, 64)), "a row of its own parent decodes");
	one[at] = 3;   /* row 1 */
	CHECK(refused_for(z, forge(one, at + 9, z, 64), "row 0's parent is row 1 of 1"), "a parent after the rows is refused");
	one[at] = 4;   /* row -1 */
	CHECK(refused_for(z, forge(one, at + 9, z, 64), "row 0's parent is row -1 of 1"), "a parent before the rows is refused");
	memcpy(forged, one, at);
	p = forged + at + varint_put(forged + at, UINT64_MAX);   /* 2 + zigzag(i - k) with i - k = INT64_MIN */
	memcpy(p, (uint8_t[8]){0}, 8);
	CHECK(refused_for(z, forge(forged, (size_t)(p + 8 - forged), z, 64), "parent is row"), "a parent INT64_MIN rows away is refused");
	one[at] = 2;
	one[1] = 64;
	CHECK(refused_for(z, forge(one, at + 9, z, 64), "null flags 0x40"), "unknown null flags are refused");
	one[1] = 32;   /* a message */
	p = one + at + 9;
	p += varint_put(p, SPANCOLS_MAX_MESSAGE + 1);
	CHECK(refused_for(z, forge(one, (size_t)(p - one), z, 64), "status_message of 65537 bytes"), "a message over the limit is refused");
	free(raw);
	free(z);
	free(copy);
	free(blob);
}

/* A frame claiming more than the largest blob is refused before anything
 * that size is allocated; a frame naming a dictionary is refused. */
static void check_frame_headers(void)
{
	/* the format byte, then a zstd frame header (magic, a descriptor for
	 * an 8-byte content size and a window byte, 2^40) and an empty last
	 * raw block */
	static const uint8_t blob[] = {SPANCOLS_FORMAT, 0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x00, 0, 0, 0, 0, 0, 1, 0, 0,
	                               0x01, 0, 0};
	CHECK(ZSTD_getFrameContentSize(blob + 1, sizeof blob - 1) == 1ull << 40, "a frame claiming 1 TiB");
	CHECK(refused_for(blob, sizeof blob, "holds 1099511627776 bytes"), "a frame claiming 1 TiB is refused");
	/* a frame of 0 bytes naming dictionary 7 (a 1-byte id, a 1-byte size) */
	static const uint8_t dict[] = {SPANCOLS_FORMAT, 0x28, 0xb5, 0x2f, 0xfd, 0x21, 7, 0, 0x01, 0, 0};
	CHECK(ZSTD_getDictID_fromFrame(dict + 1, sizeof dict - 1) == 7, "a frame naming dictionary 7");
	CHECK(refused_for(dict, sizeof dict, "names a dictionary"), "a frame naming a dictionary is refused");
}

/* ---------- rows of demo traffic, as the writer stores them ---------- */

struct chunks {
	struct spancols_row *rows;
	size_t n, cap;
	size_t *first;   /* chunk k: rows[first[k]..first[k + 1]) */
	size_t nchunks;
	struct arena *a;
};

/* Posts requests of about 512 demo spans (the OpenTelemetry SDKs' default
 * export batch) to a new store and reads back its spans rows by chunk. */
static void demo_rows(struct chunks *c, size_t requests)
{
	char dir[] = "/tmp/tl-test-spancols-XXXXXX", err[512];
	if (!mkdtemp(dir))
		abort();
	struct writer *w = writer_start(dir, 64 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	if (!w)
		return;
	for (size_t q = 0, trace = 0; q < requests; q++) {
		struct arena *a = arena_new();
		Tl__ExportTraceServiceRequest req = TL__EXPORT_TRACE_SERVICE_REQUEST__INIT;
		for (size_t spans = 0; spans < 512;)
			spans += demo_generate(7, trace++, 1800000000000000000ull, 7, a, &req);
		size_t len = tl__export_trace_service_request__get_packed_size(&req);
		uint8_t *body = malloc(len);
		tl__export_trace_service_request__pack(&req, body);
		struct span_batch *b = span_batch_new(NULL);
		int rc = ingest_decode(INGEST_OTLP, INGEST_PROTOBUF, NULL, (const char *)body, len, b, NULL, err, sizeof err);
		if (!rc)
			rc = writer_submit(w, b, err, sizeof err);
		CHECK(rc == ERR_OK, "request %zu: %s", q, err);
		span_batch_free(b);
		free(body);
		arena_free(a);
	}
	writer_stop(w);
	sqlite3 *db;
	/* with the store's connection setup: spans is the virtual table (spanstab.h) */
	CHECK(store_open_reader(dir, &db, err, sizeof err) == ERR_OK, "open %s: %s", dir, err);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db,
	                         "SELECT trace, span_id, parent_span_id, project, name, service, flags, start_ns, dur, "
	                         "status, status_message, model, provider, input_tokens, output_tokens, "
	                         "cache_read_tokens, cache_write_tokens, cost_usd, resource, scope, chunk_index, chunk "
	                         "FROM spans ORDER BY chunk, chunk_index",
	                         -1, &st, NULL) == SQLITE_OK,
	      "select: %s", sqlite3_errmsg(db));
	c->a = arena_new();
	int64_t chunk = -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (c->n == c->cap && !(c->rows = realloc(c->rows, (c->cap = c->cap * 2 + 256) * sizeof *c->rows)))
			abort();
		if (sqlite3_column_int64(st, 21) != chunk) {
			if (!(c->first = realloc(c->first, (c->nchunks + 2) * sizeof *c->first)))
				abort();
			c->first[c->nchunks++] = c->n;
			chunk = sqlite3_column_int64(st, 21);
		}
		struct spancols_row *r = &c->rows[c->n++];
		*r = (struct spancols_row){0};
		int64_t *f[] = {&r->trace, NULL, NULL, &r->project, &r->name, &r->service, &r->flags, &r->start_ns,
		                &r->dur, &r->status, NULL, &r->model, &r->provider, &r->input_tokens, &r->output_tokens,
		                &r->cache_read_tokens, &r->cache_write_tokens, NULL, &r->resource, &r->scope,
		                &r->chunk_index};
		for (int k = 0; k < 21; k++)
			if (f[k])
				*f[k] = sqlite3_column_int64(st, k);
		memcpy(r->span_id, sqlite3_column_blob(st, 1), 8);
		if ((r->has_parent = sqlite3_column_type(st, 2) != SQLITE_NULL))
			memcpy(r->parent_span_id, sqlite3_column_blob(st, 2), 8);
		if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
			r->status_message_len = (size_t)sqlite3_column_bytes(st, 10);
			r->status_message = arena_strndup(c->a, (const char *)sqlite3_column_blob(st, 10), r->status_message_len);
		}
		r->has_model = sqlite3_column_type(st, 11) != SQLITE_NULL;
		r->has_provider = sqlite3_column_type(st, 12) != SQLITE_NULL;
		if ((r->has_cost = sqlite3_column_type(st, 17) != SQLITE_NULL))
			r->cost_usd = sqlite3_column_double(st, 17);
		r->has_resource = sqlite3_column_type(st, 18) != SQLITE_NULL;
		r->has_scope = sqlite3_column_type(st, 19) != SQLITE_NULL;
	}
	if (c->first)
		c->first[c->nchunks] = c->n;
	sqlite3_finalize(st);
	sqlite3_close(db);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		abort();
}

/* Round-trips every chunk of demo rows and prints their bytes per row, raw
 * and at a few zstd levels (printed, not asserted). */
static void check_demo(void)
{
	struct chunks c = {0};
	demo_rows(&c, 8);
	CHECK(c.nchunks > 8 && c.n > 2000, "%zu demo rows in %zu chunks", c.n, c.nchunks);
	static const int levels[] = {1, 3, 19};
	size_t raw = 0, z[3] = {0}, full = 0;
	for (size_t k = 0; k < c.nchunks; k++) {
		size_t n = c.first[k + 1] - c.first[k], len;
		full += n == 256;
		for (int l = 0; l < 3; l++) {
			uint8_t *blob = round_trip("a chunk of demo rows", c.rows + c.first[k], n, levels[l], &len);
			if (!blob)
				continue;
			z[l] += len;
			if (l == 0)
				raw += ZSTD_getFrameContentSize(blob + 1, len - 1);
			free(blob);
		}
	}
	printf("demo rows: %zu in %zu chunks (%zu of 256 rows): bytes per row raw %.2f, level 1 %.2f, 3 %.2f, 19 %.2f\n",
	       c.n, c.nchunks, full, (double)raw / (double)c.n, (double)z[0] / (double)c.n, (double)z[1] / (double)c.n,
	       (double)z[2] / (double)c.n);
	free(c.rows);
	free(c.first);
	arena_free(c.a);
}

int main(void)
{
	check_zigzag();
	check_small();
	check_extremes();
	check_max_rows();
	check_damage();
	check_frame_headers();
	check_demo();
	return test_done();
}
