/* test_sketch.c: the latency sketch answers quantiles within its relative
 * error bound, merges and subtracts exactly, and round-trips its encoding;
 * corrupt encodings are refused. */
#include <math.h>
#include "base/sketch.h"
#include "test.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static uint64_t rng_state = 88172645463325252ull;
static double uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static struct sketch a, b, c;

/* Quantiles of n values from a distribution against the exact ones. */
static void check_quantiles(const char *what, double (*gen)(void), int n)
{
	double *v = malloc((size_t)n * sizeof *v);
	sketch_clear(&a);
	for (int i = 0; i < n; i++) {
		v[i] = floor(gen());
		sketch_add(&a, v[i], 1);
	}
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	const double qs[] = {0, 0.5, 0.9, 0.95, 0.99, 1};
	for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
		double exact = v[(size_t)floor(qs[k] * (n - 1))];
		double got = sketch_quantile(&a, qs[k]);
		double err = exact == 0 ? got : fabs(got - exact) / exact;
		CHECK(err <= SKETCH_ALPHA + 1e-9, "%s q=%g exact %g got %g", what, qs[k], exact, got);
	}
	CHECK(a.total == n, "%s total", what);
	free(v);
}

static double lognormal(void)
{
	double u1 = uniform() + 1e-12, u2 = uniform();
	return exp(17 + 1.5 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2)); /* ~24 ms median */
}
static double wide(void) { return pow(10, uniform() * 12); }
static double small(void) { return uniform() * 5; }   /* zeros and tiny values */

int main(void)
{
	check_quantiles("lognormal", lognormal, 20000);
	check_quantiles("wide", wide, 20000);
	check_quantiles("small", small, 1000);
	sketch_clear(&a);
	CHECK(sketch_quantile(&a, 0.5) == 0, "empty sketch answers 0");

	/* merge == adding everything to one; subtract undoes merge */
	sketch_clear(&a);
	sketch_clear(&b);
	sketch_clear(&c);
	for (int i = 0; i < 5000; i++) {
		double v = wide();
		sketch_add(i % 2 ? &a : &b, v, 1);
		sketch_add(&c, v, 1);
	}
	sketch_merge(&a, &b);
	uint8_t e1[SKETCH_ENCODED_MAX], e2[SKETCH_ENCODED_MAX];
	size_t n1 = sketch_encode(&a, e1), n2 = sketch_encode(&c, e2);
	CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0, "merge equals a single sketch");
	sketch_subtract(&a, &b);
	sketch_subtract(&a, &a);
	CHECK(a.total == 0 && a.zero == 0, "subtracting itself empties");

	/* decode round trip, and into a non-empty sketch adds */
	sketch_clear(&a);
	CHECK(sketch_decode_add(&a, e2, n2) == 0, "decode");
	n1 = sketch_encode(&a, e1);
	CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0, "round trip");
	CHECK(sketch_decode_add(&a, e2, n2) == 0 && a.total == 2 * c.total, "decode adds");
	sketch_clear(&a);
	sketch_add(&a, 5, -2);
	sketch_add(&a, 0, 3);
	n1 = sketch_encode(&a, e1);
	sketch_clear(&b);
	CHECK(sketch_decode_add(&b, e1, n1) == 0 && b.total == 1 && b.zero == 3, "negative counts round trip");

	/* corrupt input */
	CHECK(sketch_decode_add(&b, e2, n2 - 1) == -1, "truncated");
	CHECK(sketch_decode_add(&b, "", 0) == -1, "empty");
	const uint8_t far[] = {0, 1, 0xfe, 0xff, 0x03, 2};   /* index 32767 */
	CHECK(sketch_decode_add(&b, far, sizeof far) == -1, "index out of range");
	const uint8_t trailing[] = {0, 0, 7};
	CHECK(sketch_decode_add(&b, trailing, sizeof trailing) == -1, "trailing bytes");
	const uint8_t endless[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
	CHECK(sketch_decode_add(&b, endless, sizeof endless) == -1, "overlong varint");
	/* huge deltas and counts overflowed int64 (UBSan) before they were bounded */
	sketch_clear(&b);
	const uint8_t huge_delta[] = {0, 2, 2, 2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 2};
	CHECK(sketch_decode_add(&b, huge_delta, sizeof huge_delta) == -1 && b.total == 0, "delta past int64");
	const uint8_t huge_count[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0};
	CHECK(sketch_decode_add(&b, huge_count, sizeof huge_count) == -1 && b.zero == 0, "count past 2^40");
	const uint8_t many[] = {0, 0xff, 0xff, 0xff, 0xff, 0x0f};
	CHECK(sketch_decode_add(&b, many, sizeof many) == -1, "more buckets than exist");
	const uint8_t partly_bad[] = {2, 2, 2, 2, 0xfe, 0xff, 0x03, 2};   /* a good bucket, then index 32768 */
	CHECK(sketch_decode_add(&b, partly_bad, sizeof partly_bad) == -1 && b.total == 0 && b.zero == 0,
	      "a corrupt blob adds nothing");

	/* sketch_merge_encoded gives the bytes decoding both and encoding
	 * give: random sketches and deltas (negative counts, sums reaching 0),
	 * every cut of a blob, a pair out of order */
	static struct sketch x, y, sum;
	static uint8_t ex[SKETCH_ENCODED_MAX], ey[SKETCH_ENCODED_MAX], want[SKETCH_ENCODED_MAX], got[SKETCH_ENCODED_MAX];
	srand(11);
	long same = 0, zeroed = 0;
	for (int round = 0; round < 4000; round++) {
		sketch_clear(&x);
		sketch_clear(&y);
		int nx = rand() % 40, ny = rand() % 40;
		for (int i = 0; i < nx; i++)
			sketch_add(&x, rand() % 5 ? exp((double)(rand() % 2000) / 40) : 0, 1 + rand() % 3);
		for (int i = 0; i < ny; i++)
			sketch_add(&y, rand() % 5 ? exp((double)(rand() % 2000) / 40) : 0, (rand() % 2 ? -1 : 1) * (1 + rand() % 3));
		if (round % 5 == 0)
			sketch_subtract(&y, &x);   /* a delta taking x's buckets to 0 */
		size_t lx = sketch_encode(&x, ex), ly = sketch_encode(&y, ey), lg;
		sketch_clear(&sum);
		CHECK(!sketch_decode_add(&sum, ex, lx) && !sketch_decode_add(&sum, ey, ly), "decode");
		size_t lw = sketch_encode(&sum, want);
		zeroed += sum.total == 0;
		if (sketch_merge_encoded(ex, lx, ey, ly, got, &lg) == ERR_OK && lg == lw && !memcmp(got, want, lw))
			same++;
	}
	CHECK(same == 4000 && zeroed >= 50, "%ld of 4000 merges as decode and encode give (%ld summed to an empty sketch)", same, zeroed);
	size_t lx = sketch_encode(&x, ex), ly = sketch_encode(&y, ey), lg;
	long cuts_ok = 0;
	for (size_t cut = 0; cut < lx; cut++) {
		sketch_clear(&sum);
		int old_bad = sketch_decode_add(&sum, ex, cut) != ERR_OK;
		enum err rc = sketch_merge_encoded(ex, cut, ey, ly, got, &lg);
		cuts_ok += old_bad ? rc == ERR_BAD_INPUT : rc == ERR_OK;
	}
	CHECK(cuts_ok == (long)lx, "every cut judged as decoding judges it: %ld of %zu", cuts_ok, lx);
	const uint8_t backwards[] = {0, 2, 20, 2, 3, 2};   /* bucket 10, then 10 + (-2) = 8 */
	sketch_clear(&sum);
	CHECK(sketch_decode_add(&sum, backwards, sizeof backwards) == ERR_OK, "decode takes buckets out of order");
	CHECK(sketch_merge_encoded(backwards, sizeof backwards, ey, ly, got, &lg) == ERR_NOT_FOUND &&
	          sketch_merge_encoded(ey, ly, backwards, sizeof backwards, got, &lg) == ERR_NOT_FOUND,
	      "out of order: left to decode and encode");
	CHECK(sketch_merge_encoded(partly_bad, sizeof partly_bad, ey, ly, got, &lg) == ERR_BAD_INPUT &&
	          sketch_merge_encoded(ey, ly, many, sizeof many, got, &lg) == ERR_BAD_INPUT,
	      "corrupt on either side");
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed != 0;
}
