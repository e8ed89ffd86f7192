/* test_zstdpool.c: the zstd contexts chunks are compressed and read with
 * are shared: 16 live threads that each compressed and read a chunk leave
 * at most 2 contexts of each kind, not one per thread (which the 256 HTTP
 * workers each kept, about 1.2 MB per compression context). */
#include <pthread.h>
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

int main(void)
{
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
