/* rng.h: xoshiro256** pseudo-random numbers (not for secrets): seeded from
 * a 64-bit key for reproducible streams (demo data) or from the kernel for
 * ids that must not repeat across processes (native ingest). */
#ifndef TL_RNG_H
#define TL_RNG_H
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Advances *x and returns the next splitmix64 output (also a good mixer). */
uint64_t rng_splitmix64(uint64_t *x);
/* Seeds r deterministically from key. */
void rng_seed(struct rng *r, uint64_t key);
/* Seeds r from getrandom (or /dev/urandom, or time and pid as a last resort). */
void rng_seed_random(struct rng *r);
/* Returns the next 64 random bits. */
uint64_t rng_next(struct rng *r);

#endif
