/* sketch.h: a mergeable latency sketch (DDSketch-style logarithmic
 * buckets). A value v > 0 lands in bucket ceil(log_g(v)) with
 * g = (1 + a) / (1 - a), a = SKETCH_ALPHA, so every quantile it answers is
 * within a relative error of a of the true value at that rank. Counts are
 * signed while deltas are being summed (a late span moves a trace from one
 * duration to another), so sketches can be subtracted as well as merged. */
#ifndef TL_SKETCH_H
#define TL_SKETCH_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

#define SKETCH_ALPHA 0.01
#define SKETCH_BUCKETS 2400      /* covers 1 ns .. ~5e20 ns */
#define SKETCH_ENCODED_MAX (10 + SKETCH_BUCKETS * 20)

struct sketch {
	int64_t zero;                /* values <= 0 */
	int64_t total;               /* sum of all counts */
	int lo, hi;                  /* bucket range in use; lo > hi when empty */
	int64_t counts[SKETCH_BUCKETS];
};

/* Empties s. */
void sketch_clear(struct sketch *s);
/* Adds count (may be negative) observations of value v (ns). */
void sketch_add(struct sketch *s, double v, int64_t count);
/* dst += src. */
void sketch_merge(struct sketch *dst, const struct sketch *src);
/* dst -= src. */
void sketch_subtract(struct sketch *dst, const struct sketch *src);
/* The value at rank floor(q * (total - 1)) (0 <= q <= 1), within relative
 * error SKETCH_ALPHA; 0 when the sketch is empty. */
double sketch_quantile(const struct sketch *s, double q);
/* Serializes s (varints; non-zero buckets only) into out, at least
 * SKETCH_ENCODED_MAX bytes; returns the length. */
size_t sketch_encode(const struct sketch *s, uint8_t *out);
/* Adds the sketch encoded in data to s. Returns ERR_OK, or ERR_BAD_INPUT if
 * data is corrupt (s is then unchanged): a stored count beyond 2^40 or a
 * bucket out of range is corrupt. */
enum err sketch_decode_add(struct sketch *s, const void *data, size_t len);

/* The encoding of the sum of the sketches encoded in a[0..alen) and
 * b[0..blen), written to out (SKETCH_ENCODED_MAX bytes) in one pass over
 * both, without a struct sketch: the bytes sketch_decode_add of both then
 * sketch_encode give. Returns ERR_OK with *outlen set, ERR_BAD_INPUT if
 * either is corrupt, or ERR_NOT_FOUND if either lists its buckets out of
 * order (sketch_encode never does; decode and encode such a pair). */
enum err sketch_merge_encoded(const void *a, size_t alen, const void *b, size_t blen, uint8_t *out, size_t *outlen);

#endif
