/* spanids.c: the writer's side of the span-id index (schema/019): counts
 * the spans waiting in span_ids_new and moves them into span_ids, in key
 * order, in the transaction that reaches SPANIDS_MERGE_SPANS, so a merge
 * dirties each page of span_ids it touches once instead of once per span. */
#include "store/spanids.h"
#include <assert.h>
#include <stdlib.h>

struct spanids {
	sqlite3 *db;
	sqlite3_stmt *merge, *clear;
	int64_t pending;   /* rows in span_ids_new (an upper bound: deletions are not counted) */
};

enum err spanids_reload(struct spanids *s)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_STORE;
	assert(s);
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM span_ids_new", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		s->pending = sqlite3_column_int64(st, 0);
		rc = ERR_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

enum err spanids_open(sqlite3 *db, struct spanids **out)
{
	struct spanids *s = calloc(1, sizeof *s);
	enum err rc = ERR_STORE;
	if (!s)
		abort();
	s->db = db;
	if (sqlite3_prepare_v3(db,
	                       "INSERT OR IGNORE INTO span_ids (span_id, trace)"
	                       " SELECT span_id, trace FROM span_ids_new ORDER BY span_id, trace",
	                       -1, SQLITE_PREPARE_PERSISTENT, &s->merge, NULL) ||
	    sqlite3_prepare_v3(db, "DELETE FROM span_ids_new", -1, SQLITE_PREPARE_PERSISTENT, &s->clear, NULL) ||
	    (rc = spanids_reload(s)))
		goto out;
	rc = ERR_OK;
out:
	if (rc) {
		spanids_free(s);
		s = NULL;
	}
	*out = s;
	return rc ? ERR_STORE : ERR_OK;
}

void spanids_note(struct spanids *s, int64_t n)
{
	assert(s && n >= 0);
	s->pending += n;
}

enum err spanids_flush(struct spanids *s)
{
	enum err rc = ERR_STORE;
	assert(s);
	if (s->pending < SPANIDS_MERGE_SPANS)
		return ERR_OK;
	if (sqlite3_step(s->merge) != SQLITE_DONE || sqlite3_step(s->clear) != SQLITE_DONE)
		goto out;
	s->pending = 0;
	rc = ERR_OK;
out:
	sqlite3_reset(s->merge);
	sqlite3_reset(s->clear);
	return rc;
}

void spanids_free(struct spanids *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->merge);
	sqlite3_finalize(s->clear);
	free(s);
}
