/* fuzz_sketch.c: libFuzzer harness for stored latency sketches (the blobs
 * of rollup and metric rows): sketch_decode_add into an empty sketch. A
 * blob that decodes must answer quantiles and come back unchanged through
 * sketch_encode and sketch_decode_add. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "base/sketch.h"

/* Kept off the 100 KiB worker stack, as the rollup code keeps them. */
static struct sketch_job {
	const uint8_t *data;
	size_t size;
	struct sketch s, back;
	uint8_t enc[SKETCH_ENCODED_MAX];
} job;

static void decode(void *p)
{
	struct sketch_job *j = p;
	static const double qs[] = {0, 0.5, 0.9, 0.99, 1};
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
