/* arena.h: bump allocator owning every allocation of one request.
 * Decoders allocate strings and protobuf-c messages here; one arena_free
 * releases a whole request. Out of memory aborts (there is no recovery). */
#ifndef TL_ARENA_H
#define TL_ARENA_H
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

struct arena;

/* Returns a new empty arena; never NULL. Free with arena_free. */
struct arena *arena_new(void);
/* Frees the arena and everything allocated from it; NULL is a no-op. */
void arena_free(struct arena *a);
/* Frees everything allocated from a at once, as arena_free, but keeps up
 * to keep bytes of its chunks for the allocations that follow (a is empty
 * and usable after it). */
void arena_reset(struct arena *a, size_t keep);
/* Returns n bytes aligned for any type, zero-filled, owned by the arena. */
void *arena_alloc(struct arena *a, size_t n);
/* The same without the zero fill, for a caller that writes every byte it
 * reads (string copies: the fill was a pass over every prompt). */
void *arena_alloc_raw(struct arena *a, size_t n);
/* Returns a NUL-terminated copy of s[0..n) owned by the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Returns a NUL-terminated copy of s owned by the arena (NULL stays NULL). */
char *arena_strdup(struct arena *a, const char *s);
/* Returns bytes handed out so far (for limits and tests). */
size_t arena_used(const struct arena *a);
/* Returns bytes of the chunks arena_reset kept and no allocation took
 * back yet (for bounds and tests). */
size_t arena_kept(const struct arena *a);
/* Fills *pa with a protobuf-c allocator drawing from a, without zero fill
 * (as malloc, its default); its free is a no-op. */
void arena_protobuf_allocator(struct arena *a, ProtobufCAllocator *pa);

#endif
