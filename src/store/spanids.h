/* spanids.h: the index of spans by span id (schema/019_span_ids.sql,
 * 021; 032 keeps the first 4 bytes of each id). A new span's id goes into the small span_ids_new (a trigger); the
 * writer thread moves them into span_ids_mid in key order once there are
 * SPANIDS_MERGE_SPANS, and span_ids_mid into span_ids every
 * SPANIDS_MID_MERGES merges, so the big index takes rare sorted batches
 * instead of a random insert per span. Readers use SPANIDS_TRACES_SQL. */
#ifndef TL_SPANIDS_H
#define TL_SPANIDS_H
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"

/* Spans in span_ids_new before they are merged: a bigger batch shares
 * more of span_ids' pages per merge, a smaller span_ids_new has fewer
 * pages for each commit to dirty. */
#define SPANIDS_MERGE_SPANS 8192
/* Merges into span_ids_mid before it goes into span_ids (131,072 spans):
 * a merge into span_ids dirties most of its pages (~4,400 at 1M spans),
 * a merge into span_ids_mid most of span_ids_mid's (up to ~600); this
 * balances the two near 1M spans (the best is sqrt(2 * 8192 * spans)). */
#define SPANIDS_MID_MERGES 16

/* The trace keys of the spans whose span id starts as ?1's first 4 bytes
 * (schema/032 keeps only those), for "WHERE s.span_id = ?1 AND s.trace IN
 * (" SPANIDS_TRACES_SQL ")": the planner then reads each span by its
 * primary key, which leaves out the traces of other ids with the prefix.
 * Only that form is exact. */
#define SPANIDS_TRACES_SQL                                                                             \
	"SELECT trace FROM span_ids WHERE id_prefix = substr(?1, 1, 4)"                                  \
	" UNION ALL SELECT trace FROM span_ids_mid WHERE id_prefix = substr(?1, 1, 4)"                   \
	" UNION ALL SELECT trace FROM span_ids_new WHERE id_prefix = substr(?1, 1, 4)"

struct spanids;

/* Prepares the writer's statements on db (the writer's connection) and
 * counts the spans waiting; *out NULL on failure (ERR_STORE, SQLite's
 * message on db). */
enum err spanids_open(sqlite3 *db, struct spanids **out);

/* Re-counts the spans waiting (after a rolled-back transaction).
 * Returns ERR_OK or ERR_STORE. */
enum err spanids_reload(struct spanids *s);

/* Counts n spans inserted in the open transaction. */
void spanids_note(struct spanids *s, int64_t n);

/* In the writer's open transaction, once the spans noted reach
 * SPANIDS_MERGE_SPANS: moves span_ids_new into span_ids_mid, and that into
 * span_ids once it holds SPANIDS_MID_MERGES merges. Returns ERR_OK
 * or ERR_STORE (the transaction must then be rolled back and
 * spanids_reload called). */
enum err spanids_flush(struct spanids *s);

/* Finalizes the statements and frees s; NULL is ignored. */
void spanids_free(struct spanids *s);
#endif
