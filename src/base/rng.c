/* rng.c: splitmix64 seeding and the xoshiro256** generator. */
#include "base/rng.h"
#include "base/text.h"
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

uint64_t rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t key)
{
	uint64_t x = key;
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&x);
}

void rng_seed_random(struct rng *r)
{
	if (getrandom(r->s, sizeof r->s, 0) != (ssize_t)sizeof r->s) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		ssize_t got = fd >= 0 ? read(fd, r->s, sizeof r->s) : -1;
		if (fd >= 0)
			close(fd);
		if (got != (ssize_t)sizeof r->s) {
			/* no entropy source: still unique per process and instant */
			rng_seed(r, text_now_ns() ^ ((uint64_t)getpid() << 32));
		}
	}
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 0x9e3779b97f4a7c15ull;
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}
