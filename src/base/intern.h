/* intern.h: a string -> int64 map for the writer's caches (interned
 * strings, projects, blob hashes). Keys are copied; not thread-safe.
 * A capped map is a cache whose memory does not grow with the store. */
#ifndef TL_INTERN_H
#define TL_INTERN_H
#include <stddef.h>
#include <stdint.h>

struct intern;

/* Returns a new empty map; never NULL. */
struct intern *intern_new(void);
/* Returns a new empty cache that holds at most max_bytes (intern_bytes;
 * max_bytes >= INTERN_MIN_BYTES): intern_put forgets every entry first
 * when adding one would go past it, so only use it where a missing entry
 * costs a lookup, never a wrong answer. Never NULL. */
#define INTERN_MIN_BYTES (64u << 10)
struct intern *intern_new_capped(size_t max_bytes);
/* Returns the bytes the map holds: its slots and copied keys, counted as
 * malloc spends them (approximate). */
size_t intern_bytes(const struct intern *m);
void intern_free(struct intern *m);
/* Returns 1 and sets *val if key[0..len) is present, else 0. */
int intern_get(const struct intern *m, const void *key, size_t len, int64_t *val);
/* Inserts or overwrites key[0..len) -> val. */
void intern_put(struct intern *m, const void *key, size_t len, int64_t val);
/* Returns the number of entries. */
size_t intern_count(const struct intern *m);
/* Removes every entry (after a rolled-back transaction). */
void intern_clear(struct intern *m);

#endif
