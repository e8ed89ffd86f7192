/* test_zstdpool.c: the zstd contexts chunks are compressed and read with
 * are shared: 16 live threads that each compressed and read a chunk leave
 * at most 2 contexts of each kind, not one per thread (which the 256 HTTP
 * workers each kept, about 1.2 MB per compression context). The same
 * contexts serve two levels: frames kept as written (log chunks, previews)
 * come out at level 3 whichever level a context last compressed at, span
 * chunks at RECORD_CHUNK_LEVEL. */
#include <pthread.h>
#include <zstd.h>
#include "base/arena.h"
#include "base/err.h"
#include "base/varint.h"
#include "store/record.h"
#include "test.h"

#define THREADS 16
#define RECORDS 200

static pthread_barrier_t done, checked;
static int ok[THREADS];

static void *one(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct arena *a = arena_new();
	uint8_t raw[RECORDS * 80], *p = raw;
	for (int r = 0; r < RECORDS; r++) {
		char rec[64];
		int n = snprintf(rec, sizeof rec, "thread %d record %d: some text that compresses", i, r);
		p += varint_put(p, (uint64_t)n);
		memcpy(p, rec, (size_t)n);
		p += n;
	}
	const void *z;
	size_t zlen, count = 0, *lens;
	const uint8_t **spans;
	record_compress(raw, (size_t)(p - raw), a, &z, &zlen);
	ok[i] = zlen < (size_t)(p - raw) && record_chunk_split(z, zlen, a, &count, &spans, &lens) == ERR_OK &&
	        count == RECORDS && lens[0] > 0;
	arena_free(a);
	pthread_barrier_wait(&done);    /* every thread alive until checked */
	pthread_barrier_wait(&checked);
	return NULL;
}

/* Frames kept as written are zstd level 3 frames, also right after a
 * chunk level compression on the same pooled context. */
static void frames_at_level_3(void)
{
	static char raw[64 << 10];
	static uint8_t want[ZSTD_COMPRESSBOUND(sizeof raw)], got[ZSTD_COMPRESSBOUND(sizeof raw)];
	size_t n = 0;
	for (int i = 0; n + 80 < sizeof raw; i++)
		n += (size_t)snprintf(raw + n, sizeof raw - n, "line %d: the level %d frame holds word %d of %d\n", i,
		                      i % 7, (i * 7919) % 1000, i % 13);
	size_t wlen = ZSTD_compress(want, sizeof want, raw, n, 3), chunk_len = ZSTD_compress(got, sizeof got, raw, n, 1);
	CHECK(!ZSTD_isError(wlen) && !ZSTD_isError(chunk_len) && wlen != chunk_len, "levels 1 and 3 differ on the sample");
	struct arena *a = arena_new();
	for (int round = 0; round < 2; round++) {
		void *out;
		size_t outlen;
		CHECK(record_chunk_recompress(want, wlen, NULL, 0, &out, &outlen) == ERR_OK && outlen == chunk_len,
		      "round %d: a chunk at level 0 is packed at RECORD_CHUNK_LEVEL (%d): %zu bytes, want %zu", round,
		      RECORD_CHUNK_LEVEL, outlen, chunk_len);
		free(out);
		size_t flen = record_frame_compress(NULL, got, sizeof got, raw, n);
		CHECK(flen == wlen && !memcmp(got, want, wlen), "round %d: a preview frame is level 3: %zu bytes, want %zu",
		      round, flen, wlen);
		const void *z;
		size_t zlen;
		record_compress(raw, n, a, &z, &zlen);
		CHECK(zlen == wlen && !memcmp(z, want, wlen), "round %d: a log chunk is level 3: %zu bytes, want %zu", round,
		      zlen, wlen);
	}
	arena_free(a);
}

int main(void)
{
	frames_at_level_3();
	pthread_t t[THREADS];
	pthread_barrier_init(&done, NULL, THREADS + 1);
	pthread_barrier_init(&checked, NULL, THREADS + 1);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, one, (void *)(intptr_t)i);
	pthread_barrier_wait(&done);
	size_t c, d;
	record_zstd_contexts(&c, &d);
	CHECK(c >= 1 && c <= 2, "%zu compression contexts for %d live threads", c, THREADS);
	CHECK(d >= 1 && d <= 2, "%zu decompression contexts for %d live threads", d, THREADS);
	pthread_barrier_wait(&checked);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK(ok[i], "thread %d compressed and read its chunk back", i);
	}
	return test_done();
}
