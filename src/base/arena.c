/* arena.c: chunked bump allocator. Large requests get their own chunk so
 * the common small allocation stays a pointer bump. */
#include "base/arena.h"
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN 16

/* Invariant: used <= size, and used is a multiple of ARENA_ALIGN. */
struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct chunk *head;
	size_t total;
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		fputs("tracelite: out of memory\n", stderr);
		abort();
	}
	return p;
}

struct arena *arena_new(void)
{
	struct arena *a = xmalloc(sizeof *a);
	a->head = NULL;
	a->total = 0;
	return a;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static struct chunk *chunk_new(size_t size)
{
	struct chunk *c = xmalloc(sizeof *c + size);
	c->size = size;
	c->used = 0;
	return c;
}

void *arena_alloc_raw(struct arena *a, size_t n)
{
	if (n > SIZE_MAX - ARENA_ALIGN) {
		fputs("tracelite: allocation too large\n", stderr);
		abort();
	}
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n == 0)
		n = ARENA_ALIGN;
	/* every chunk's used stays a multiple of ARENA_ALIGN, so the next
	 * allocation is aligned too */
	assert(n % ARENA_ALIGN == 0 && (!a->head || a->head->used % ARENA_ALIGN == 0));
	struct chunk *c = a->head;
	if (n > ARENA_CHUNK / 4) {
		/* Big block: its own chunk, linked behind the current one so the
		 * current chunk keeps serving small allocations. */
		struct chunk *big = chunk_new(n);
		big->used = n;
		if (c) {
			big->next = c->next;
			c->next = big;
		} else {
			big->next = NULL;
			a->head = big;
		}
		a->total += n;
		return big->data;
	}
	if (!c || c->size - c->used < n) {
		c = chunk_new(ARENA_CHUNK);
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	assert(c->used <= c->size);
	a->total += n;
	return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc_raw(a, n);
	/* the whole aligned block, as before the split */
	memset(p, 0, n ? (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1) : ARENA_ALIGN);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc_raw(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

size_t arena_used(const struct arena *a)
{
	return a->total;
}

/* Unzeroed: protobuf-c's default allocator is malloc, so it initializes
 * what it reads (the fill was a pass over every unpacked string). */
static void *pb_alloc(void *data, size_t size)
{
	return arena_alloc_raw(data, size);
}

static void pb_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

void arena_protobuf_allocator(struct arena *a, ProtobufCAllocator *pa)
{
	pa->alloc = pb_alloc;
	pa->free = pb_free;
	pa->allocator_data = a;
}
