/* arena.c: chunked bump allocator. Large requests get their own chunk so
 * the common small allocation stays a pointer bump. arena_reset keeps
 * chunks as spares for the next round, so a loop that fills and empties an
 * arena does not hand its memory back to malloc each time (glibc trims the
 * top of a thread's heap with madvise, and every page then faults in again
 * zeroed). */
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
	struct chunk *spare;   /* kept by arena_reset, unused: sizes sum to spare_bytes */
	size_t total, spare_bytes;
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
	a->head = a->spare = NULL;
	a->total = a->spare_bytes = 0;
	return a;
}

static void free_chunks(struct chunk *c)
{
	for (struct chunk *next; c; c = next) {
		next = c->next;
		free(c);
	}
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	free_chunks(a->head);
	free_chunks(a->spare);
	free(a);
}

void arena_reset(struct arena *a, size_t keep)
{
	struct chunk *c = a->head;
	while (c) {
		struct chunk *next = c->next;
		if (a->spare_bytes + c->size <= keep) {
			c->next = a->spare;
			a->spare = c;
			a->spare_bytes += c->size;
		} else {
			free(c);
		}
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

/* A chunk of at least size bytes: the smallest spare that holds them, or
 * a new one of exactly size. */
static struct chunk *chunk_new(struct arena *a, size_t size)
{
	struct chunk **best = NULL;
	for (struct chunk **p = &a->spare; *p; p = &(*p)->next)
		if ((*p)->size >= size && (!best || (*p)->size < (*best)->size))
			best = p;
	struct chunk *c;
	if (best) {
		c = *best;
		*best = c->next;
		a->spare_bytes -= c->size;
	} else {
		c = xmalloc(sizeof *c + size);
		c->size = size;
	}
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
		struct chunk *big = chunk_new(a, n);
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
		c = chunk_new(a, ARENA_CHUNK);
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

size_t arena_kept(const struct arena *a)
{
	return a->spare_bytes;
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
