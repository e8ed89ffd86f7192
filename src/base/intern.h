/* intern.h: a string -> int64 map for the writer's caches (interned
 * strings, projects, blob hashes). Keys are copied; not thread-safe. */
#ifndef TL_INTERN_H
#define TL_INTERN_H
#include <stddef.h>
#include <stdint.h>

struct intern;

/* Returns a new empty map; never NULL. */
struct intern *intern_new(void);
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
