/* sketch.c: logarithmic-bucket quantile sketch; see sketch.h. Encoding:
 * varint zero-count, varint number of buckets, then per non-zero bucket a
 * zigzag varint index delta and a zigzag varint count. */
#include "base/sketch.h"
#include <assert.h>
#include <math.h>
#include <string.h>
#include "base/varint.h"

static double log_gamma(void)
{
	static double lg;
	if (lg == 0)
		lg = log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA));
	return lg;
}

void sketch_clear(struct sketch *s)
{
	if (s->lo <= s->hi)
		memset(&s->counts[s->lo], 0, (size_t)(s->hi - s->lo + 1) * sizeof s->counts[0]);
	s->zero = s->total = 0;
	s->lo = SKETCH_BUCKETS;
	s->hi = -1;
}

static void bucket_add(struct sketch *s, int i, int64_t count)
{
	if (s->lo > s->hi) {
		s->lo = s->hi = i;
	} else {
		if (i < s->lo)
			s->lo = i;
		if (i > s->hi)
			s->hi = i;
	}
	s->counts[i] += count;
	s->total += count;
}

void sketch_add(struct sketch *s, double v, int64_t count)
{
	if (!(v >= 1)) {   /* also catches NaN */
		s->zero += count;
		s->total += count;
		return;
	}
	double idx = ceil(log(v) / log_gamma());
	bucket_add(s, idx >= SKETCH_BUCKETS ? SKETCH_BUCKETS - 1 : (int)idx, count);
}

static void combine(struct sketch *dst, const struct sketch *src, int sign)
{
	dst->zero += sign * src->zero;
	dst->total += sign * src->zero;
	for (int i = src->lo; i <= src->hi; i++)
		if (src->counts[i])
			bucket_add(dst, i, sign * src->counts[i]);
}

void sketch_merge(struct sketch *dst, const struct sketch *src)
{
	combine(dst, src, 1);
}

void sketch_subtract(struct sketch *dst, const struct sketch *src)
{
	combine(dst, src, -1);
}

/* The representative value of bucket i: the midpoint that keeps the
 * relative error of every value in it within SKETCH_ALPHA. */
static double bucket_value(int i)
{
	return 2 * exp(i * log_gamma()) / ((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA) + 1);
}

double sketch_quantile(const struct sketch *s, double q)
{
	if (s->total <= 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	int64_t rank = (int64_t)floor(q * (double)(s->total - 1));
	int64_t seen = s->zero;
	if (seen > rank)
		return 0;
	for (int i = s->lo; i <= s->hi; i++) {
		seen += s->counts[i];
		if (seen > rank)
			return bucket_value(i);
	}
	return bucket_value(s->hi);
}

size_t sketch_encode(const struct sketch *s, uint8_t *out)
{
	size_t n = varint_put(out, varint_zigzag(s->zero));
	uint64_t buckets = 0;
	for (int i = s->lo; i <= s->hi; i++)
		buckets += s->counts[i] != 0;
	n += varint_put(out + n, buckets);
	int prev = 0;
	for (int i = s->lo; i <= s->hi; i++) {
		if (!s->counts[i])
			continue;
		n += varint_put(out + n, varint_zigzag(i - prev));
		n += varint_put(out + n, varint_zigzag(s->counts[i]));
		prev = i;
	}
	return n;
}

/* A stored count beyond this is corrupt (a trillion spans in one row);
 * bounding each keeps every sum of them far from int64 overflow. */
#define SKETCH_MAX_STORED_COUNT ((int64_t)1 << 40)

static int stored_count(const uint8_t **p, const uint8_t *end, int64_t *out)
{
	uint64_t v;
	if (varint_get(p, end, &v))
		return -1;
	*out = varint_unzigzag(v);
	return *out > SKETCH_MAX_STORED_COUNT || *out < -SKETCH_MAX_STORED_COUNT ? -1 : 0;
}

/* Reads an encoded sketch; adds it to s unless s is NULL (a dry run).
 * Returns 0, or -1 if data is corrupt. */
static int decode(const void *data, size_t len, struct sketch *s)
{
	const uint8_t *p = data, *end = p + len;
	uint64_t buckets;
	int64_t zero, d, c, idx = 0;
	if (stored_count(&p, end, &zero) || varint_get(&p, end, &buckets) || buckets > SKETCH_BUCKETS)
		return -1;
	if (s) {
		s->zero += zero;
		s->total += zero;
	}
	for (uint64_t k = 0; k < buckets; k++) {
		if (stored_count(&p, end, &d) || stored_count(&p, end, &c) || d < -SKETCH_BUCKETS || d > SKETCH_BUCKETS)
			return -1;
		idx += d;
		if (idx < 0 || idx >= SKETCH_BUCKETS)
			return -1;
		if (s)
			bucket_add(s, (int)idx, c);
	}
	return p == end ? 0 : -1;
}

enum err sketch_decode_add(struct sketch *s, const void *data, size_t len)
{
	/* a corrupt blob adds nothing */
	if (decode(data, len, NULL))
		return ERR_BAD_INPUT;
	int rc = decode(data, len, s);
	assert(rc == 0);   /* the dry run read the same bytes */
	(void)rc;
	return ERR_OK;
}

/* One encoded sketch read bucket by bucket (sketch_merge_encoded). */
struct reader {
	const uint8_t *p, *end;
	uint64_t left;                     /* buckets not read yet */
	int64_t idx, count;                /* the current bucket; idx SKETCH_BUCKETS at the end */
};

/* Reads the header; 0, or -1 if corrupt. */
static int reader_open(struct reader *r, const void *data, size_t len, int64_t *zero)
{
	r->p = data;
	r->end = r->p + len;
	r->idx = 0;
	return stored_count(&r->p, r->end, zero) || varint_get(&r->p, r->end, &r->left) || r->left > SKETCH_BUCKETS
	           ? -1 : 0;
}

/* Moves to the next bucket: 0, -1 if corrupt, 1 if out of order (its
 * index not above the last). */
static int reader_next(struct reader *r, int first)
{
	int64_t d;
	if (!r->left) {
		r->idx = SKETCH_BUCKETS;
		return r->p == r->end ? 0 : -1;
	}
	r->left--;
	if (stored_count(&r->p, r->end, &d) || stored_count(&r->p, r->end, &r->count) || d < -SKETCH_BUCKETS ||
	    d > SKETCH_BUCKETS || r->idx + d < 0 || r->idx + d >= SKETCH_BUCKETS)
		return -1;
	if (d <= 0 && !first)
		return 1;
	r->idx += d;
	return 0;
}

enum err sketch_merge_encoded(const void *a, size_t alen, const void *b, size_t blen, uint8_t *out, size_t *outlen)
{
	struct reader ra, rb;
	int64_t za, zb;
	int rc;
	if (reader_open(&ra, a, alen, &za) || reader_open(&rb, b, blen, &zb))
		return ERR_BAD_INPUT;
	if ((rc = reader_next(&ra, 1)) || (rc = reader_next(&rb, 1)))
		return rc < 0 ? ERR_BAD_INPUT : ERR_NOT_FOUND;
	/* the buckets go after room for the largest header, which then moves
	 * up against them */
	uint8_t *w = out + 20;
	uint64_t n = 0;
	int64_t prev = 0;
	while (ra.idx < SKETCH_BUCKETS || rb.idx < SKETCH_BUCKETS) {
		int64_t idx = ra.idx < rb.idx ? ra.idx : rb.idx, sum = 0;
		if (ra.idx == idx) {
			sum += ra.count;
			rc = reader_next(&ra, 0);
		}
		if (!rc && rb.idx == idx) {
			sum += rb.count;
			rc = reader_next(&rb, 0);
		}
		if (rc)
			return rc < 0 ? ERR_BAD_INPUT : ERR_NOT_FOUND;
		if (!sum)
			continue;
		w += varint_put(w, varint_zigzag(idx - prev));
		w += varint_put(w, varint_zigzag(sum));
		prev = idx;
		n++;
	}
	uint8_t head[20];
	size_t h = varint_put(head, varint_zigzag(za + zb));
	h += varint_put(head + h, n);
	memmove(out + h, out + 20, (size_t)(w - (out + 20)));
	memcpy(out, head, h);
	*outlen = h + (size_t)(w - (out + 20));
	return ERR_OK;
}
