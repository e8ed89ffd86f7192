/* fuzz_chunk.c: libFuzzer harness for a stored span chunk (record.c) as a
 * damaged or hostile store could hold it: a zstd frame, with or without a
 * dictionary. One dictionary (id FUZZ_DICT_ID) is trained once and
 * registered, so frames naming it reach the dictionary path and frames
 * naming others the unknown-id path. Every reader of chunks runs:
 * record_chunk_split (each entry then record_span_unpack),
 * record_chunk_keep and record_chunk_recompress; a chunk recompressed must
 * split to the same entries. */
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
	const uint8_t **spans, **spans2;
	if (record_chunk_split(j->data, j->size, a, &count, &spans, &lens) == ERR_OK) {
		for (size_t i = 0; i < count; i++)
			record_span_unpack(spans[i], lens[i], a);
		void *out;
		size_t outlen;
		/* a malformed frame that decoded may still be refused on a second
		 * decode: zstd 1.5.4 decodes some with a fresh context and refuses
		 * them with a used one (both safe); what recompresses must match */
		if (record_chunk_recompress(j->data, j->size, d, &out, &outlen) == ERR_OK) {
			if (record_chunk_split(out, outlen, a, &count2, &spans2, &lens2) != ERR_OK || count2 != count)
				abort();
			for (size_t i = 0; i < count; i++)
				if (lens2[i] != lens[i] || memcmp(spans2[i], spans[i], lens[i]))
					abort();
			free(out);
		}
	}
	uint8_t keep[256];
	for (size_t i = 0; i < sizeof keep; i++)
		keep[i] = (uint8_t)(i & 1);
	void *kept;
	size_t kept_len;
	if (record_chunk_keep(j->data, j->size, keep, sizeof keep, &kept, &kept_len) == ERR_OK)
		free(kept);
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job j = {data, size};
	fuzz_on_worker_stack(run, &j);
	return 0;
}
