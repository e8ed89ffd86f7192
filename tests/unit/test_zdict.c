/* test_zdict.c: span chunks with and without a trained zstd dictionary
 * (store/zdict.c, record.c): the trainer samples packed spans and publishes
 * a dictionary its frames name; every chunk reads back byte-identical; a
 * frame naming an unknown dictionary or cut short is an error, not a crash;
 * an unknown id is loaded from a store's zdicts table. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <zdict.h>
#include <zstd.h>
#include "base/arena.h"
#include "base/err.h"
#include "base/rng.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "store/record.h"
#include "store/store.h"
#include "store/zdict.h"
#include "test.h"

static const char *const WORDS[] = {
	"the", "model", "answered", "a", "question", "about", "weather", "in", "Paris", "and", "then", "asked",
	"for", "more", "context", "user", "wants", "summary", "of", "document", "please", "write", "short",
	"poem", "river", "mountain", "system", "prompt", "assistant", "helpful", "careful", "tool", "call",
	"returned", "results", "search", "database", "query", "rows", "table", "customer", "order", "shipped",
	"yesterday", "tomorrow", "because", "although", "however", "therefore", "quickly", "slowly",
};

/* Appends n random words to p (at most cap bytes, NUL-terminated). */
static void words(struct rng *r, char *p, size_t cap, int n)
{
	size_t used = 0;
	for (int i = 0; i < n && used + 16 < cap; i++)
		used += (size_t)snprintf(p + used, cap - used, "%s ",
		                         WORDS[rng_next(r) % (sizeof WORDS / sizeof *WORDS)]);
	p[used] = 0;
}

/* A batch of nspans spans of one trace each, with prose-like prompts. */
static struct span_batch *make_batch(struct rng *r, int nspans)
{
	static char body[1 << 20];
	char text[2048];
	size_t used = 0;
	used += (size_t)snprintf(body, sizeof body,
	                         "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
	                         "\"value\":{\"stringValue\":\"svc\"}}]},\"scopeSpans\":[{\"spans\":[");
	for (int i = 0; i < nspans; i++) {
		words(r, text, sizeof text, 80 + (int)(rng_next(r) % 120));
		used += (size_t)snprintf(
			body + used, sizeof body - used,
			"%s{\"traceId\":\"%016llx%016llx\",\"spanId\":\"%016llx\",\"name\":\"chat\","
			"\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000001000000000\","
			"\"attributes\":[{\"key\":\"gen_ai.prompt\",\"value\":{\"stringValue\":\"You are a helpful assistant. "
			"Answer briefly. %s\"}}]}",
			i ? "," : "", (unsigned long long)rng_next(r), (unsigned long long)rng_next(r),
			(unsigned long long)(rng_next(r) | 1), text);
	}
	snprintf(body + used, sizeof body - used, "]}]}]}");
	struct span_batch *b = span_batch_new(NULL);
	char err[256];
	int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, body, strlen(body), b, NULL, err, sizeof err);
	CHECK(rc == ERR_OK, "decode: %s", err);
	return b;
}

/* Every chunk of rec splits into exactly the packed spans of b, a format-2
 * entry once its row's fields are put back. */
static int reads_back(struct span_batch *b, const struct record_batch *rec)
{
	struct arena *a = arena_new();
	int ok = 1;
	for (size_t c = 0; c < rec->nchunks && ok; c++) {
		const struct record_chunk *ch = &rec->chunks[c];
		size_t count;
		const uint8_t **spans, *fields;
		size_t *lens;
		if (record_chunk_entries(ch->data, ch->len, a, &count, &spans, &lens, &fields) || count != ch->count) {
			ok = 0;
			break;
		}
		for (size_t k = 0; k < count && ok; k++) {
			const struct span *sp = &b->spans[rec->order[ch->first + k]];
			struct record_row row;
			record_row_from_span(sp, &row);
			const Tl__Span *got = record_span_unpack_row(spans[k], lens[k], fields[k], &row, a);
			size_t n = tl__span__get_packed_size(sp->otlp), m = got ? tl__span__get_packed_size(got) : 0;
			uint8_t *want = arena_alloc(a, n + 1), *have = arena_alloc(a, m + 1);
			tl__span__pack(sp->otlp, want);
			if (got)
				tl__span__pack(got, have);
			ok = got && m == n && !memcmp(have, want, n);
		}
	}
	arena_free(a);
	return ok;
}

static size_t total_len(const struct record_batch *rec)
{
	size_t n = 0;
	for (size_t c = 0; c < rec->nchunks; c++)
		n += rec->chunks[c].len;
	return n;
}

struct saved {
	uint32_t id;
	int calls;
};

static enum err save_ok(void *ctx, uint32_t id, const void *data, size_t len, char *err, size_t errlen)
{
	struct saved *s = ctx;
	(void)data;
	(void)err;
	(void)errlen;
	s->calls++;
	s->id = id;
	CHECK(len > 0 && ZDICT_getDictID(data, len) == id, "saved dictionary names its id %u", id);
	return ERR_OK;
}

static enum err save_refuse(void *ctx, uint32_t id, const void *data, size_t len, char *err, size_t errlen)
{
	(void)ctx;
	(void)data;
	(void)len;
	return err_set(err, errlen, ERR_STORE, "id %u taken", id);
}

/* Runs sql, an insert of a dictionary row with data[0..len) as ?1, on the
 * store in dir. */
static void store_dict(const char *dir, const char *sql, const void *data, size_t len)
{
	char err[256];
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "store: %s", err);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare: %s", sqlite3_errmsg(db));
	sqlite3_bind_blob(st, 1, data, (int)len, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE, "insert: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Trains a dictionary outside the trainer (for frames the registry does
 * not know) and sets its id; returns its length in dict. */
static size_t train_raw(struct rng *r, uint32_t id, uint8_t *dict, size_t cap)
{
	static char samples[256 << 10];
	size_t sizes[400], used = 0;
	unsigned n = 0;
	for (; n < 400; n++) {
		words(r, samples + used, 600, 80);
		sizes[n] = strlen(samples + used);
		used += sizes[n];
	}
	size_t len = ZDICT_trainFromBuffer(dict, cap, samples, sizes, n);
	CHECK(!ZDICT_isError(len), "train: %s", ZDICT_getErrorName(len));
	for (int i = 0; i < 4; i++)
		dict[4 + i] = (uint8_t)(id >> (8 * i));
	return len;
}

int main(void)
{
	struct rng r;
	char err[512];
	rng_seed(&r, 42);

	/* without a dictionary: frames name none, spans read back */
	struct span_batch *b = make_batch(&r, 150);
	struct record_batch plain, withd;
	CHECK(record_pack(b, NULL, &plain, err, sizeof err) == ERR_OK, "pack: %s", err);
	CHECK(plain.nchunks == 1 && record_chunk_dict_id(plain.chunks[0].data, plain.chunks[0].len) == 0,
	      "plain chunk names no dictionary");
	CHECK(reads_back(b, &plain), "plain chunk reads back");
	{
		/* format 1 (TRACELITE_CHUNK_FORMAT=1): the frame alone, whole
		 * records; format 2 (the default) is smaller, and refused by a
		 * reader without rows */
		struct record_batch v1;
		struct arena *a = arena_new();
		size_t count, *lens;
		const uint8_t **spans;
		setenv("TRACELITE_CHUNK_FORMAT", "1", 1);
		CHECK(record_pack(b, NULL, &v1, err, sizeof err) == ERR_OK, "pack: %s", err);
		unsetenv("TRACELITE_CHUNK_FORMAT");
		CHECK(v1.nchunks == 1 && ((const uint8_t *)v1.chunks[0].data)[0] == 0x28 && reads_back(b, &v1),
		      "format 1 reads back");
		CHECK(((const uint8_t *)plain.chunks[0].data)[0] == RECORD_CHUNK_V2 && plain.chunks[0].len < v1.chunks[0].len,
		      "format 2 smaller: %zu < %zu", plain.chunks[0].len, v1.chunks[0].len);
		CHECK(record_chunk_split(v1.chunks[0].data, v1.chunks[0].len, a, &count, &spans, &lens) == ERR_OK &&
		          count == 150,
		      "format 1 splits");
		CHECK(record_chunk_split(plain.chunks[0].data, plain.chunks[0].len, a, &count, &spans, &lens) == ERR_STORE,
		      "record_chunk_split refuses format 2 entries");
		arena_free(a);
	}

	/* the trainer collects 64 KB of samples, then publishes a dictionary */
	struct saved sv = {0};
	struct zdict_trainer *zt = zdict_trainer_new(NULL, 64 << 10, 8 << 10, save_ok, &sv);
	CHECK(zdict_trainer_current(zt) == NULL, "no dictionary before training");
	for (int i = 0; i < 20 && !zdict_trainer_current(zt); i++) {
		struct span_batch *t = make_batch(&r, 100);
		struct record_batch rec;
		CHECK(record_pack(t, zt, &rec, err, sizeof err) == ERR_OK, "pack: %s", err);
		span_batch_free(t);
		for (int k = 0; k < 100 && !zdict_trainer_current(zt); k++)
			usleep(20000);
	}
	const struct zdict *d = zdict_trainer_current(zt);
	CHECK(d != NULL && sv.calls == 1 && zdict_id(d) == sv.id && sv.id >= 32768 && sv.id < (1u << 31),
	      "trained and saved once (calls %d, id %u)", sv.calls, sv.id);
	if (!d)
		return test_done();
	CHECK(record_pack(b, zt, &withd, err, sizeof err) == ERR_OK, "pack: %s", err);
	CHECK(record_chunk_dict_id(withd.chunks[0].data, withd.chunks[0].len) == sv.id,
	      "the chunk names the dictionary");
	CHECK(reads_back(b, &withd), "dictionary chunk reads back byte-identical");
	CHECK(total_len(&withd) < total_len(&plain), "smaller with the dictionary: %zu < %zu", total_len(&withd),
	      total_len(&plain));
	CHECK(zdict_find(sv.id) == d, "registered by id");

	/* record_chunk_keep keeps the dictionary and the entries' indices */
	uint8_t keep[256] = {0};
	keep[1] = keep[3] = 1;
	void *kept;
	size_t kept_len, count, *lens;
	const uint8_t **spans;
	struct arena *a = arena_new();
	CHECK(record_chunk_keep(withd.chunks[0].data, withd.chunks[0].len, keep, sizeof keep, &kept, &kept_len) ==
	          ERR_OK, "keep");
	CHECK(record_chunk_dict_id(kept, kept_len) == sv.id, "kept chunk keeps the dictionary");
	const uint8_t *fields;
	CHECK(record_chunk_entries(kept, kept_len, a, &count, &spans, &lens, &fields) == ERR_OK && count == 150 &&
	          lens[0] == 0 && lens[1] > 0 && lens[2] == 0 && lens[3] > 0 && !fields[0] && !fields[2],
	      "kept entries");

	/* the idle-time compaction (zconvert.c): recompressed at a higher
	 * level with the same dictionary, a chunk is smaller and holds the
	 * same entries, its deleted ones still empty; level 0 = the chunks' */
	const void *chunk = withd.chunks[0].data;
	size_t chunk_len = withd.chunks[0].len, count0, *lens0;
	const uint8_t **spans0, *fields0;
	CHECK(record_chunk_entries(chunk, chunk_len, a, &count0, &spans0, &lens0, &fields0) == ERR_OK, "entries");
	int levels[] = {0, RECORD_CHUNK_LEVEL, 12, RECORD_LEVEL_MAX};
	size_t at[4];
	for (int l = 0; l < 4; l++) {
		void *out;
		CHECK(record_chunk_recompress(chunk, chunk_len, d, levels[l], &out, &at[l]) == ERR_OK, "level %d", levels[l]);
		CHECK(((const uint8_t *)out)[0] == RECORD_CHUNK_V2 && record_chunk_dict_id(out, at[l]) == sv.id,
		      "level %d keeps the format and the dictionary", levels[l]);
		CHECK(record_chunk_entries(out, at[l], a, &count, &spans, &lens, &fields) == ERR_OK && count == count0,
		      "level %d entries", levels[l]);
		for (size_t i = 0; i < count; i++)
			CHECK(lens[i] == lens0[i] && fields[i] == fields0[i] && !memcmp(spans[i], spans0[i], lens[i]),
			      "level %d entry %zu identical", levels[l], i);
		free(out);
	}
	CHECK(at[0] == chunk_len && at[1] == chunk_len, "level 0 and %d are the chunks' level: %zu %zu %zu",
	      RECORD_CHUNK_LEVEL, at[0], at[1], chunk_len);
	CHECK(at[2] < chunk_len && at[3] <= at[2], "higher levels are smaller: %zu %zu < %zu", at[3], at[2], chunk_len);
	void *kept19;
	size_t kept19_len;
	CHECK(record_chunk_recompress(kept, kept_len, d, RECORD_LEVEL_MAX, &kept19, &kept19_len) == ERR_OK &&
	          record_chunk_entries(kept19, kept19_len, a, &count, &spans, &lens, &fields) == ERR_OK && count == 150 &&
	          lens[0] == 0 && lens[1] > 0 && lens[2] == 0 && lens[3] > 0,
	      "a chunk with deleted entries recompresses with them empty");
	/* and record_chunk_keep works on a compacted chunk */
	void *kept2;
	size_t kept2_len;
	keep[3] = 0;
	CHECK(record_chunk_keep(kept19, kept19_len, keep, sizeof keep, &kept2, &kept2_len) == ERR_OK &&
	          record_chunk_entries(kept2, kept2_len, a, &count, &spans, &lens, &fields) == ERR_OK && count == 150 &&
	          lens[1] > 0 && lens[3] == 0 && record_chunk_dict_id(kept2, kept2_len) == sv.id,
	      "keep on a compacted chunk");
	/* a plain chunk (no dictionary) at a higher level: still none, same entries */
	void *plain12;
	size_t plain12_len;
	CHECK(record_chunk_recompress(plain.chunks[0].data, plain.chunks[0].len, NULL, 12, &plain12, &plain12_len) ==
	              ERR_OK &&
	          record_chunk_dict_id(plain12, plain12_len) == 0 && plain12_len < plain.chunks[0].len &&
	          record_chunk_entries(plain12, plain12_len, a, &count, &spans, &lens, &fields) == ERR_OK &&
	          count == count0,
	      "plain chunk at level 12");
	free(plain12);
	free(kept2);
	free(kept19);
	free(kept);

	/* the compaction's dictionary (zconvert.c, schema/029): a sample set
	 * trained by zdict_train, larger than the chunks' (256 KiB), so its
	 * compression dictionary has capped tables; at level 12 a chunk names
	 * it and holds the same entries */
	{
		struct zdict_samples smp;
		struct saved sv2 = {0};
		const struct zdict *big = NULL;
		static char text[4096];
		zdict_samples_init(&smp, 12u << 20);
		int full = 0;
		while (!full) {
			words(&r, text, sizeof text, 300 + (int)(rng_next(&r) % 300));
			full = zdict_samples_add(&smp, (const uint8_t *)text, strlen(text));
		}
		CHECK(smp.used > (12u << 20) - 4096 && smp.n > 1000, "samples full: %zu bytes, %zu", smp.used, smp.n);
		CHECK(zdict_train(&smp, 1u << 20, save_ok, &sv2, &big, err, sizeof err) == ERR_OK && big &&
		          sv2.calls == 1 && zdict_id(big) == sv2.id,
		      "trained: %s", err);
		zdict_samples_free(&smp);
		CHECK(smp.data == NULL && smp.n == 0 && smp.target == (12u << 20), "samples freed, set kept");
		if (big) {
			CHECK(zdict_size(big) > ZDICT_DICT_BYTES, "larger than the chunks' dictionary: %zu", zdict_size(big));
			/* its match tables capped at 2^20 entries each (25 MB at level 12 uncapped) */
			size_t cd = ZSTD_sizeof_CDict(zdict_cdict(big, 12));
			CHECK(cd > (4u << 20) && cd < (10u << 20), "level-12 compression dictionary %zu bytes", cd);
			void *out;
			size_t outlen;
			CHECK(record_chunk_recompress(chunk, chunk_len, big, 12, &out, &outlen) == ERR_OK &&
			          record_chunk_dict_id(out, outlen) == sv2.id,
			      "level 12 with the larger dictionary names it");
			CHECK(record_chunk_entries(out, outlen, a, &count, &spans, &lens, &fields) == ERR_OK && count == count0,
			      "its entries");
			for (size_t i = 0; i < count; i++)
				CHECK(lens[i] == lens0[i] && fields[i] == fields0[i] && !memcmp(spans[i], spans0[i], lens[i]),
				      "entry %zu identical", i);
			free(out);
		}
		/* a save that refuses every id: not stored, an error saying why */
		struct zdict_samples few;
		const struct zdict *none = NULL;
		zdict_samples_init(&few, 64u << 10);
		for (int i = 0; i < 40; i++) {
			words(&r, text, sizeof text, 200);
			zdict_samples_add(&few, (const uint8_t *)text, strlen(text));
		}
		err[0] = 0;
		CHECK(zdict_train(&few, 8u << 10, save_refuse, NULL, &none, err, sizeof err) == ERR_STORE && !none &&
		          strstr(err, "taken"),
		      "refused: %s", err);
		zdict_samples_free(&few);
	}

	/* cut short: an error, never a crash or a read past the end */
	for (size_t cut = 0; cut < 12; cut++) {
		size_t n = cut < 6 ? cut : withd.chunks[0].len - (cut - 5);
		CHECK(record_chunk_split(withd.chunks[0].data, n, a, &count, &spans, &lens) == ERR_STORE,
		      "truncated to %zu bytes", n);
	}

	/* a frame naming a dictionary no store has: ERR_STORE */
	static uint8_t other[8 << 10], frame[64 << 10];
	size_t olen = train_raw(&r, 987654321u, other, sizeof other);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t flen = ZSTD_compress_usingDict(cc, frame, sizeof frame, "hello hello", 11, other, olen, 3);
	CHECK(!ZSTD_isError(flen) && ZSTD_getDictID_fromFrame(frame, flen) == 987654321u, "frame names 987654321");
	CHECK(record_chunk_split(frame, flen, a, &count, &spans, &lens) == ERR_STORE, "unknown dictionary refused");
	const struct zdict *bad;
	CHECK(zdict_register(123456789u, other, olen, &bad) == ERR_STORE, "a header naming another id is refused");

	/* an unknown id is loaded from the zdicts table of a store opened */
	char dir[] = "/tmp/tl-test-zdict-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	sqlite3 *db;
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "store: %s", err);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "INSERT INTO zdicts (id, created_ns, data) VALUES (987654321, 1, ?)", -1, &st, NULL);
	sqlite3_bind_blob(st, 1, other, (int)olen, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE, "insert: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	const struct zdict *newest;
	CHECK(zdict_load_newest(db, &newest, err, sizeof err) == ERR_OK && newest && zdict_id(newest) == 987654321u,
	      "newest: %s", err);
	sqlite3_close(db);
	CHECK(record_chunk_split(frame, flen, a, &count, &spans, &lens) == ERR_STORE && count == 150,
	      "outputs untouched on error");
	/* the registry has it now (zdict_load_newest); a fresh id goes through the source */
	static uint8_t third[8 << 10];
	size_t tlen = train_raw(&r, 555555555u, third, sizeof third);
	store_dict(dir, "INSERT INTO zdicts (id, created_ns, data) VALUES (555555555, 2, ?1)", third, tlen);
	flen = ZSTD_compress_usingDict(cc, frame, sizeof frame, "\003abc\003abd", 8, third, tlen, 3);
	CHECK(record_chunk_split(frame, flen, a, &count, &spans, &lens) == ERR_OK && count == 2 && lens[1] == 3 &&
	          !memcmp(spans[1], "abd", 3),
	      "loaded from the store on a miss");
	/* and one of the compaction's dictionaries (schema/029) the same way */
	static uint8_t fourth[8 << 10];
	size_t qlen = train_raw(&r, 444444444u, fourth, sizeof fourth);
	store_dict(dir, "INSERT INTO zcompact_dicts (id, created_ns, size, samples, sample_bytes, data)"
	                " VALUES (444444444, 3, length(?1), 1, 1, ?1)", fourth, qlen);
	flen = ZSTD_compress_usingDict(cc, frame, sizeof frame, "\003abc\003abe", 8, fourth, qlen, 3);
	CHECK(record_chunk_split(frame, flen, a, &count, &spans, &lens) == ERR_OK && count == 2 && lens[1] == 3 &&
	          !memcmp(spans[1], "abe", 3),
	      "a compaction dictionary loaded from the store on a miss");
	ZSTD_freeCCtx(cc);
	arena_free(a);
	zdict_trainer_free(zt);
	span_batch_free(b);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		return 2;
	return test_done();
}
