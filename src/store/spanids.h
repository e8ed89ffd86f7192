/* spanids.h: the index of spans by span id (schema/019_span_ids.sql). A
 * new span's id goes into the small span_ids_new (a trigger); the writer
 * thread moves them into span_ids in key order once there are
 * SPANIDS_MERGE_SPANS, so the big index takes sorted batches instead of a
 * random insert per span. Readers use SPANIDS_TRACES_SQL. */
#ifndef TL_SPANIDS_H
#define TL_SPANIDS_H
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"

/* Spans in span_ids_new before they are merged: a bigger batch shares
 * more of span_ids' pages per merge, a smaller span_ids_new has fewer
 * pages for each commit to dirty. */
#define SPANIDS_MERGE_SPANS 8192

/* The trace keys of the spans with span id ?1, for
 * "WHERE s.span_id = ?1 AND s.trace IN (" SPANIDS_TRACES_SQL ")": the
 * planner then reads each span by its primary key. */
#define SPANIDS_TRACES_SQL                                                                             \
	"SELECT trace FROM span_ids WHERE span_id = ?1 UNION ALL SELECT trace FROM span_ids_new WHERE span_id = ?1"

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
 * SPANIDS_MERGE_SPANS: moves span_ids_new into span_ids. Returns ERR_OK
 * or ERR_STORE (the transaction must then be rolled back and
 * spanids_reload called). */
enum err spanids_flush(struct spanids *s);

/* Finalizes the statements and frees s; NULL is ignored. */
void spanids_free(struct spanids *s);
#endif
