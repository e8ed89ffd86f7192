/* intern.c: open-addressing hash map with FNV-1a over byte keys. */
#include "base/intern.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	char *key;
	size_t len;
	uint64_t hash;
	int64_t val;
};

struct intern {
	struct slot *slots;
	size_t cap, count;
	size_t key_bytes;   /* malloc's cost of the copied keys (key_cost) */
	size_t max_bytes;   /* 0: not capped */
};

#define INITIAL_CAP 256

/* What malloc spends on a key of len bytes: its 8-byte header, rounded up
 * to 16, at least 32 (glibc's smallest chunk). */
static size_t key_cost(size_t len)
{
	size_t n = ((len ? len : 1) + 8 + 15) & ~(size_t)15;
	return n < 32 ? 32 : n;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		fputs("tracelite: out of memory\n", stderr);
		abort();
	}
	return p;
}

static uint64_t fnv1a(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct intern *intern_new(void)
{
	struct intern *m = xcalloc(1, sizeof *m);
	m->cap = INITIAL_CAP;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	return m;
}

struct intern *intern_new_capped(size_t max_bytes)
{
	assert(max_bytes >= INTERN_MIN_BYTES);
	struct intern *m = intern_new();
	m->max_bytes = max_bytes;
	return m;
}

size_t intern_bytes(const struct intern *m)
{
	return sizeof *m + m->cap * sizeof *m->slots + m->key_bytes;
}

void intern_clear(struct intern *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->count = 0;
	m->key_bytes = 0;
}

void intern_free(struct intern *m)
{
	if (!m)
		return;
	intern_clear(m);
	free(m->slots);
	free(m);
}

static struct slot *find(const struct intern *m, const void *key, size_t len, uint64_t h)
{
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

int intern_get(const struct intern *m, const void *key, size_t len, int64_t *val)
{
	struct slot *s = find(m, key, len, fnv1a(key, len));
	if (!s->key)
		return 0;
	*val = s->val;
	return 1;
}

static void grow(struct intern *m)
{
	struct slot *old = m->slots;
	size_t oldcap = m->cap;
	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].len, old[i].hash) = old[i];
	free(old);
}

void intern_put(struct intern *m, const void *key, size_t len, int64_t val)
{
	uint64_t h = fnv1a(key, len);
	struct slot *s = find(m, key, len, h);
	if (s->key) {
		s->val = val;
		return;
	}
	size_t cost = key_cost(len);
	if ((m->count + 1) * 4 > m->cap * 3) {
		/* a capped map forgets everything rather than outgrow its cap */
		if (m->max_bytes && sizeof *m + 2 * m->cap * sizeof *m->slots + m->key_bytes + cost > m->max_bytes)
			intern_clear(m);
		else
			grow(m);
		s = find(m, key, len, h);
	} else if (m->max_bytes && intern_bytes(m) + cost > m->max_bytes) {
		intern_clear(m);
		s = find(m, key, len, h);
	}
	s->key = malloc(len ? len : 1);
	if (!s->key)
		abort();
	memcpy(s->key, key, len);
	s->len = len;
	s->hash = h;
	s->val = val;
	m->count++;
	m->key_bytes += cost;
}

size_t intern_count(const struct intern *m)
{
	return m->count;
}
