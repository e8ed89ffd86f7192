/* fuzz_chunk.c: libFuzzer harness for a stored span chunk (record.c) as a
 * damaged or hostile store could hold it: a zstd frame, with or without a
 * dictionary, alone (format 1) or after the format-2 byte. One dictionary
 * (id FUZZ_DICT_ID) is trained once and registered, so frames naming it
 * reach the dictionary path and frames naming others the unknown-id path.
 * Every reader of chunks runs: record_chunk_entries (each entry then
 * record_span_unpack_row with and without a row), record_chunk_split,
 * record_chunk_keep and record_chunk_recompress; a chunk recompressed must
 * keep its format and split to the same entries and flags, and a kept one
 * keep the kept entries' flags. A format-1 chunk converted to format 2
 * (record_chunk_slim, every other entry with a row) must read back, entry
 * by entry with the same rows, as the whole records did (an entry that
 * does not read kept byte for byte). Each entry is also read by the search
 * indexer's partial reader (record_span_texts), which must give the same
 * texts as the whole record wherever that reads, and refuse only what it
 * refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>
#include "base/arena.h"
#include "store/record.h"
#include "store/zdict.h"
#include "fuzz.h"

#define FUZZ_DICT_ID 40000u

static const struct zdict *dict(void)
{
	static const struct zdict *d;
	static uint8_t samples[64 << 10], buf[8 << 10];
	if (d)
		return d;
	size_t sizes[256], used = 0;
	for (unsigned i = 0; i < 256; i++) {
		sizes[i] = (size_t)snprintf((char *)samples + used, 256, "\x0a\x10trace %u span %u gen_ai.prompt You are a "
		                            "helpful assistant; answer %u briefly.", i * 7, i, i % 13);
		used += sizes[i];
	}
	size_t len = ZDICT_trainFromBuffer(buf, sizeof buf, samples, sizes, 256);
	if (ZDICT_isError(len))
		abort();
	for (int i = 0; i < 4; i++)
		buf[4 + i] = (uint8_t)(FUZZ_DICT_ID >> (8 * i));
	if (zdict_register(FUZZ_DICT_ID, buf, len, &d))
		abort();
	return d;
}

static int text_same(const struct record_text *x, const struct record_text *y)
{
	size_t lx = x->s ? x->len : 0, ly = y->s ? y->len : 0;
	return lx == ly && (!lx || !memcmp(x->s, y->s, lx));
}

/* record_span_texts against the whole record (with and without a row). */
static void texts_check(const uint8_t *data, size_t len, unsigned fields, const struct record_row *row, struct arena *a)
{
	struct record_texts p, w;
	int prc = record_span_texts(data, len, fields, row, a, &p);
	const Tl__Span *sp = record_span_unpack_row(data, len, fields, row, a);
	if (!sp)
		return;
	if (prc)
		abort();   /* refused what reads whole */
	record_texts_of_span(sp, a, &w);
	if (!p.trace_id != !w.trace_id || (p.trace_id && memcmp(p.trace_id, w.trace_id, 16)) ||
	    !text_same(&p.name, &w.name) || !text_same(&p.input, &w.input) || !text_same(&p.output, &w.output) ||
	    !text_same(&p.status, &w.status) || p.nexceptions != w.nexceptions)
		abort();
	for (size_t i = 0; i < p.nexceptions; i++)
		if (!text_same(&p.exceptions[i], &w.exceptions[i]))
			abort();
}

struct job {
	const uint8_t *data;
	size_t size;
};

static void run(void *arg)
{
	struct job *j = arg;
	const struct zdict *d = dict();
	struct arena *a = arena_new();
	size_t count, count2, *lens, *lens2;
	const uint8_t **spans, **spans2, *fields, *fields2;
	static const uint8_t tid[16] = {1, 2, 3}, sid[8] = {4, 5, 6}, pid[8] = {7};
	const struct record_row row = {tid, sid, pid, 8, "fuzz", 3, 1700000000000000000ull, 1700000001000000000ull};
	int v2 = j->size > 0 && j->data[0] == RECORD_CHUNK_V2;
	if (record_chunk_entries(j->data, j->size, a, &count, &spans, &lens, &fields) == ERR_OK) {
		int any = 0;
		for (size_t i = 0; i < count; i++) {
			if (fields[i] & ~RECORD_ROW_ALL || (fields[i] && !v2))
				abort();
			any |= fields[i];
			texts_check(spans[i], lens[i], fields[i], &row, a);
			texts_check(spans[i], lens[i], fields[i], NULL, a);
		}
		/* a malformed frame that decoded may still be refused on a second
		 * decode: zstd 1.5.4 decodes some with a fresh context and refuses
		 * them with a used one (both safe); what decodes again must agree */
		if (record_chunk_split(j->data, j->size, a, &count2, &spans2, &lens2) == ERR_OK && any)
			abort();   /* a reader without rows never gets a slim record */
		void *out;
		size_t outlen;
		if (record_chunk_recompress(j->data, j->size, d, (j->size & 1) ? 9 : 0, &out, &outlen) == ERR_OK) {
			if (record_chunk_entries(out, outlen, a, &count2, &spans2, &lens2, &fields2) != ERR_OK ||
			    count2 != count || (outlen > 0 && ((const uint8_t *)out)[0] == RECORD_CHUNK_V2) != v2)
				abort();
			for (size_t i = 0; i < count; i++)
				if (lens2[i] != lens[i] || fields2[i] != fields[i] || memcmp(spans2[i], spans[i], lens[i]))
					abort();
			free(out);
		}
	}
	if (!v2 && record_chunk_entries(j->data, j->size, a, &count, &spans, &lens, &fields) == ERR_OK) {
		const struct record_row *rows[256];
		void *out;
		size_t outlen;
		for (size_t i = 0; i < 256; i++)
			rows[i] = i & 1 ? NULL : &row;
		if (record_chunk_slim(j->data, j->size, rows, 256, (j->size & 1) ? 9 : 0, &out, &outlen) == ERR_OK) {
			if (record_chunk_entries(out, outlen, a, &count2, &spans2, &lens2, &fields2) != ERR_OK || count2 != count ||
			    !outlen || ((const uint8_t *)out)[0] != RECORD_CHUNK_V2)
				abort();
			for (size_t i = 0; i < count; i++) {
				if (!fields2[i]) {   /* kept whole */
					if (lens2[i] != lens[i] || memcmp(spans2[i], spans[i], lens[i]))
						abort();
					continue;
				}
				const Tl__Span *was = record_span_unpack(spans[i], lens[i], a);
				const Tl__Span *now = record_span_unpack_row(spans2[i], lens2[i], fields2[i], rows[i], a);
				if (!was || !now || !rows[i])
					abort();
				size_t n = tl__span__get_packed_size(was);
				uint8_t *x = arena_alloc(a, n + 1), *y;
				if (tl__span__get_packed_size(now) != n)
					abort();
				y = arena_alloc(a, n + 1);
				tl__span__pack(was, x);
				tl__span__pack(now, y);
				if (memcmp(x, y, n))
					abort();
			}
			free(out);
		}
	}
	uint8_t keep[256];
	for (size_t i = 0; i < sizeof keep; i++)
		keep[i] = (uint8_t)(i & 1);
	void *kept;
	size_t kept_len;
	if (record_chunk_keep(j->data, j->size, keep, sizeof keep, &kept, &kept_len) == ERR_OK) {
		if (record_chunk_entries(j->data, j->size, a, &count, &spans, &lens, &fields) == ERR_OK &&
		    record_chunk_entries(kept, kept_len, a, &count2, &spans2, &lens2, &fields2) == ERR_OK) {
			if (count2 != count)
				abort();
			for (size_t i = 0; i < count; i++)
				if (fields2[i] != (keep[i] ? fields[i] : 0) || lens2[i] != (keep[i] ? lens[i] : 0))
					abort();
		}
		free(kept);
	}
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job j = {data, size};
	fuzz_on_worker_stack(run, &j);
	return 0;
}
