/* intern.c: open-addressing hash map with FNV-1a over byte keys. */
#include "base/intern.h"
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
};

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
	m->cap = 256;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	return m;
}

void intern_clear(struct intern *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->count = 0;
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
	if ((m->count + 1) * 4 > m->cap * 3)
		grow(m);
	uint64_t h = fnv1a(key, len);
	struct slot *s = find(m, key, len, h);
	if (!s->key) {
		s->key = malloc(len ? len : 1);
		if (!s->key)
			abort();
		memcpy(s->key, key, len);
		s->len = len;
		s->hash = h;
		m->count++;
	}
	s->val = val;
}

size_t intern_count(const struct intern *m)
{
	return m->count;
}
