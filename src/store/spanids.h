/* spanids.h: the index of spans by span id (schema/019_span_ids.sql), kept
 * by the writer thread in batches: the spans of recent chunks are found
 * through spans_chunk, and merged into span_ids in span-id order once there
 * are SPANIDS_MERGE_SPANS of them. Readers use SPANIDS_TRACES_SQL. */
#ifndef TL_SPANIDS_H
#define TL_SPANIDS_H
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"

/* Spans of chunks past span_ids_state.upto before they are merged: bounds
 * what a lookup scans (at most this many plus one transaction's), and sets
 * how many span ids one merge spreads over the index pages. */
#define SPANIDS_MERGE_SPANS 16384

/* The trace keys of the spans with span id ?1, for
 * "WHERE s.span_id = ?1 AND s.trace IN (" SPANIDS_TRACES_SQL ")": the
 * planner then reads each span by its primary key. */
#define SPANIDS_TRACES_SQL                                                                             \
	"SELECT trace FROM span_ids WHERE span_id = ?1"                                                 \
	" UNION ALL SELECT trace FROM spans"                                                            \
	" WHERE chunk > (SELECT upto FROM span_ids_state WHERE id = 1) AND span_id = ?1"

struct spanids;

/* Prepares the writer's statements on db (the writer's connection) and
 * reads where the merge stands; *out NULL on failure (ERR_STORE, SQLite's
 * message on db). */
enum err spanids_open(sqlite3 *db, struct spanids **out);

/* Re-reads where the merge stands (after a rolled-back transaction).
 * Returns ERR_OK or ERR_STORE. */
enum err spanids_reload(struct spanids *s);

/* The last chunk id merged: the writer hands out chunk ids above it. */
int64_t spanids_upto(const struct spanids *s);

/* Counts n spans inserted in chunks past upto in the open transaction. */
void spanids_note(struct spanids *s, int64_t n);

/* In the writer's open transaction, once the spans noted reach
 * SPANIDS_MERGE_SPANS: merges the spans of chunks (upto, last_chunk] into
 * span_ids and moves upto to last_chunk. Returns ERR_OK or ERR_STORE
 * (the transaction must then be rolled back and spanids_reload called). */
enum err spanids_flush(struct spanids *s, int64_t last_chunk);

void spanids_free(struct spanids *s);
#endif
