/* test_arena.c: the bump allocator (base/arena.h): alignment, zero fill,
 * big blocks, and arena_reset, which keeps chunks for the next round up to
 * its bound (reused memory is zeroed again by arena_alloc, and nothing
 * beyond the bound is kept). */
#include <stdint.h>
#include <string.h>
#include "base/arena.h"
#include "test.h"

/* Whether p lies inside one of the blocks in v[0..n), each len bytes. */
static int inside(const void *p, unsigned char *const *v, size_t n, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if ((const unsigned char *)p >= v[i] && (const unsigned char *)p < v[i] + len)
			return 1;
	return 0;
}

int main(void)
{
	struct arena *a = arena_new();
	size_t misaligned = 0, want = 0;
	for (size_t n = 0; n < 100; n++) {
		misaligned += (uintptr_t)arena_alloc_raw(a, n) % 16 != 0;
		want += n ? (n + 15) / 16 * 16 : 16;
	}
	CHECK(misaligned == 0, "%zu misaligned", misaligned);
	CHECK(arena_used(a) == want, "used %zu, not %zu", arena_used(a), want);
	arena_reset(a, 0);

	/* a round of small and big allocations, filled with a pattern */
	unsigned char *small = arena_alloc_raw(a, 1000), *big = arena_alloc_raw(a, 300000);
	memset(small, 0xAB, 1000);
	memset(big, 0xCD, 300000);
	arena_reset(a, 4u << 20);
	CHECK(arena_used(a) == 0, "used after reset %zu", arena_used(a));
	CHECK(arena_kept(a) == 64 * 1024 + 300000, "kept %zu", arena_kept(a));
	/* the next round draws from the kept chunks, and zeroes what it asks zeroed */
	unsigned char *big2 = arena_alloc(a, 300000);
	size_t dirty = 0;
	for (size_t i = 0; i < 300000; i++)
		dirty += big2[i] != 0;
	CHECK(big2 == big, "the big block is reused: %p %p", (void *)big2, (void *)big);
	CHECK(dirty == 0, "%zu bytes not zeroed", dirty);
	unsigned char *small2 = arena_alloc(a, 1000);
	CHECK(small2 == small, "the small chunk is reused: %p %p", (void *)small2, (void *)small);
	CHECK(small2[0] == 0 && small2[999] == 0, "zeroed");
	CHECK(arena_kept(a) == 0, "all taken back: %zu kept", arena_kept(a));
	CHECK((uintptr_t)small2 % 16 == 0 && (uintptr_t)big2 % 16 == 0, "aligned");

	/* a bound of 0 keeps nothing: a new round gets fresh memory (ASan
	 * would report a use after free if a freed chunk were handed out) */
	arena_reset(a, 0);
	CHECK(arena_kept(a) == 0, "kept %zu under a bound of 0", arena_kept(a));
	unsigned char *fresh = arena_alloc_raw(a, 300000);
	memset(fresh, 1, 300000);
	CHECK(arena_used(a) == 300000, "used %zu", arena_used(a));

	/* many chunks, a bound of two: at most two come back */
	arena_reset(a, 0);
	unsigned char *blocks[8];
	for (int i = 0; i < 8; i++) {
		blocks[i] = arena_alloc_raw(a, 100000);
		memset(blocks[i], i, 100000);
	}
	arena_reset(a, 2 * 100000 + 99999);
	CHECK(arena_kept(a) == 2 * 100000, "kept %zu under a bound of 2.99 blocks", arena_kept(a));
	size_t reused = 0;
	for (int i = 0; i < 2; i++) {
		unsigned char *p = arena_alloc_raw(a, 100000);
		reused += inside(p, blocks, 8, 100000);
		memset(p, 0x5A, 100000);
	}
	CHECK(reused == 2 && arena_kept(a) == 0, "%zu of 2 reused, %zu kept", reused, arena_kept(a));

	/* a kept big chunk serves small allocations too */
	arena_reset(a, 100000);
	unsigned char *s1 = arena_alloc(a, 10), *s2 = arena_alloc(a, 10);
	CHECK(s2 == s1 + 16, "bump within a reused chunk: %p %p", (void *)s1, (void *)s2);
	char *dup = arena_strndup(a, "hello, world", 5);
	CHECK(!strcmp(dup, "hello"), "strndup after reset: %s", dup);
	arena_free(a);
	arena_free(NULL);
	return test_done();
}
