/* fuzz_sketch.c: libFuzzer harness for stored latency sketches (the blobs
 * of rollup and metric rows): sketch_decode_add into an empty sketch. A
 * blob that decodes must answer quantiles and come back unchanged through
 * sketch_encode and sketch_decode_add. sketch_merge_encoded of the blob
 * with a fixed sketch, either way round, and with itself must give the
 * bytes decoding both and encoding give, refuse what decoding refuses,
 * and leave only a pair out of order to that way. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "base/sketch.h"

/* Kept off the 100 KiB worker stack, as the rollup code keeps them. */
static struct sketch_job {
	const uint8_t *data;
	size_t size;
	struct sketch s, back, sum;
	uint8_t enc[SKETCH_ENCODED_MAX], fixed[SKETCH_ENCODED_MAX], want[SKETCH_ENCODED_MAX], got[SKETCH_ENCODED_MAX];
	size_t nfixed;
} job;

/* sketch_merge_encoded(a, b) against decoding both and encoding. */
static void merge_check(struct sketch_job *j, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t lg;
	enum err rc = sketch_merge_encoded(a, alen, b, blen, j->got, &lg);
	sketch_clear(&j->sum);
	int bad = sketch_decode_add(&j->sum, a, alen) || sketch_decode_add(&j->sum, b, blen);
	size_t lw = bad ? 0 : sketch_encode(&j->sum, j->want);
	if (rc == ERR_NOT_FOUND)
		return;   /* out of order: the caller decodes and encodes */
	if (bad ? rc != ERR_BAD_INPUT : rc != ERR_OK || lg != lw || memcmp(j->got, j->want, lw)) {
		fprintf(stderr, "fuzz_sketch: sketch_merge_encoded (%d, %zu bytes) differs from decode and encode (%s, %zu)\n",
		        (int)rc, rc == ERR_OK ? lg : 0, bad ? "corrupt" : "ok", lw);
		abort();
	}
}

static void decode(void *p)
{
	struct sketch_job *j = p;
	static const double qs[] = {0, 0.5, 0.9, 0.99, 1};
	if (!j->nfixed) {
		sketch_clear(&j->s);
		for (int i = 1; i < 400; i += 7)
			sketch_add(&j->s, exp(i / 9.0), i % 3 ? 1 : -2);
		sketch_add(&j->s, 0, 3);
		j->nfixed = sketch_encode(&j->s, j->fixed);
	}
	merge_check(j, j->data, j->size, j->fixed, j->nfixed);
	merge_check(j, j->fixed, j->nfixed, j->data, j->size);
	merge_check(j, j->data, j->size, j->data, j->size);
	sketch_clear(&j->s);
	if (sketch_decode_add(&j->s, j->data, j->size))
		return;
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
		sketch_quantile(&j->s, qs[i]);
	size_t n = sketch_encode(&j->s, j->enc);
	sketch_clear(&j->back);
	if (sketch_decode_add(&j->back, j->enc, n) || j->back.zero != j->s.zero || j->back.total != j->s.total ||
	    memcmp(j->back.counts, j->s.counts, sizeof j->s.counts)) {
		fprintf(stderr, "fuzz_sketch: a decoded sketch does not survive encode and decode\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	job.data = data;
	job.size = size;
	fuzz_on_worker_stack(decode, &job);
	return 0;
}
