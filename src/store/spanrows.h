/* spanrows.h: the writer's span rows (schema/033): the rows of the chunk
 * being written, stored at its end as the chunk's blob (spanstab.h), and
 * the stored rows of the trace being written to, which tell a retried span
 * (stored already: skipped) and find the row a newer version supersedes.
 * Chunks decoded for that are kept until spanrows_reset (each commit's
 * start), so the traces of one request decode a chunk they share once. */
#ifndef TL_SPANROWS_H
#define TL_SPANROWS_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "store/spancols.h"

struct spanrows;

/* On db, the writer's connection. Returns ERR_OK with *out, or ERR_STORE. */
enum err spanrows_open(sqlite3 *db, struct spanrows **out);
/* Frees r (NULL: nothing). */
void spanrows_free(struct spanrows *r);
/* Forgets the chunks decoded (another transaction may change them). */
void spanrows_reset(struct spanrows *r);

/* Starts chunk `chunk`, with no row yet. */
void spanrows_chunk_begin(struct spanrows *r, int64_t chunk);
/* Makes trace the one spanrows_find looks in: its stored rows (none
 * unless stored, that is, it has a traces row) and its rows in the chunk
 * being written. Returns ERR_OK or ERR_STORE with err set. */
enum err spanrows_trace(struct spanrows *r, int64_t trace, int stored, char *err, size_t errlen);
/* The row of that trace with span_id, stored or in the chunk being
 * written, or NULL; valid until the next call on r. */
const struct spancols_row *spanrows_find(const struct spanrows *r, const uint8_t span_id[8]);
/* Removes the row spanrows_find gave: from the chunk being written, or
 * from its stored chunk (rewritten without it). Returns ERR_OK or
 * ERR_STORE with err set. */
enum err spanrows_remove(struct spanrows *r, const struct spancols_row *row, char *err, size_t errlen);
/* Adds row (of the current trace; its strings must live until
 * spanrows_chunk_end) to the chunk being written. */
void spanrows_add(struct spanrows *r, const struct spancols_row *row);
/* Stores the chunk's rows and lists each span id in span_ids_new
 * (spanids.h); *stored: how many (0: none, nothing written). Returns
 * ERR_OK or ERR_STORE with err set. */
enum err spanrows_chunk_end(struct spanrows *r, size_t *stored, char *err, size_t errlen);

#endif
