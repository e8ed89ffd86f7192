/* pairset.h: a trace's attribute pairs (attr_pairs ids) as one compact
 * blob, trace_pairsets.pairs (schema/015): the ids sorted ascending, the
 * first as an unsigned LEB128 varint, each next as its (positive) delta
 * from the one before. The SQL functions the writer, the migration and the
 * filters (query/filters.c) use are registered on every connection. */
#ifndef TL_PAIRSET_H
#define TL_PAIRSET_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

#define PAIRSET_VARINT_MAX 10       /* bytes of one encoded id at most */
#define PAIRSET_BLOB_MAX (64 << 20) /* a stored or merged set larger than this is refused */

/* Sorts ids[0..n) and drops duplicates in place; returns the new count. */
size_t pairset_normalize(int64_t *ids, size_t n);
/* Encodes ids[0..n) (sorted, distinct, each > 0) into out, which holds at
 * least n * PAIRSET_VARINT_MAX bytes; returns the bytes written. */
size_t pairset_encode(const int64_t *ids, size_t n, unsigned char *out);
/* Walks an encoded set: *pos is the offset in p[0..len) (start at 0),
 * *id the previous id (start at 0). Returns 1 and the next id in *id,
 * 0 at the end, -1 if the blob is malformed (a truncated varint, a zero
 * delta, an id past INT64_MAX). */
int pairset_next(const unsigned char *p, size_t len, size_t *pos, int64_t *id);
/* 1 if the encoded set p[0..len) holds id, else 0 (also when malformed). */
int pairset_has(const unsigned char *p, size_t len, int64_t id);
/* Registers on db: tl_pairset_has(set, id) -> 0/1; tl_pairset_any(set,
 * other) -> 1 if the two encoded sets share an id, else 0 (also for NULL);
 * tl_pairset_union(a, b) -> the encoded union (NULL counts as empty);
 * aggregate tl_pairset_agg(id) -> the encoded set of the ids (any order,
 * duplicates allowed; NULL ids ignored; the empty set for no rows).
 * Returns ERR_OK or ERR_STORE. */
enum err pairset_register(sqlite3 *db);

#endif
