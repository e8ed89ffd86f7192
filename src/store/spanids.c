/* spanids.c: the writer's side of the span-id index (schema/019): counts
 * the spans stored past span_ids_state.upto and merges them into span_ids,
 * sorted by span id, in the transaction that crosses SPANIDS_MERGE_SPANS,
 * so a merge dirties each index page once instead of once per span. */
#include "store/spanids.h"
#include <assert.h>
#include <stdlib.h>

struct spanids {
	sqlite3 *db;
	sqlite3_stmt *merge, *mark;
	int64_t upto;      /* span_ids_state.upto as of the open transaction */
	int64_t pending;   /* spans in chunks past upto (an upper bound: deletions are not counted) */
};

enum err spanids_reload(struct spanids *s)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_STORE;
	assert(s);
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT upto, (SELECT count(*) FROM spans WHERE chunk > upto) FROM span_ids_state WHERE id = 1",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		s->upto = sqlite3_column_int64(st, 0);
		s->pending = sqlite3_column_int64(st, 1);
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
	                       " SELECT span_id, trace FROM spans WHERE chunk > ?1 AND chunk <= ?2 ORDER BY span_id, trace",
	                       -1, SQLITE_PREPARE_PERSISTENT, &s->merge, NULL) ||
	    sqlite3_prepare_v3(db, "UPDATE span_ids_state SET upto = ?1 WHERE id = 1", -1, SQLITE_PREPARE_PERSISTENT,
	                       &s->mark, NULL) ||
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

int64_t spanids_upto(const struct spanids *s)
{
	assert(s);
	return s->upto;
}

void spanids_note(struct spanids *s, int64_t n)
{
	assert(s && n >= 0);
	s->pending += n;
}

enum err spanids_flush(struct spanids *s, int64_t last_chunk)
{
	enum err rc = ERR_STORE;
	assert(s);
	if (s->pending < SPANIDS_MERGE_SPANS || last_chunk <= s->upto)
		return ERR_OK;
	sqlite3_bind_int64(s->merge, 1, s->upto);
	sqlite3_bind_int64(s->merge, 2, last_chunk);
	sqlite3_bind_int64(s->mark, 1, last_chunk);
	if (sqlite3_step(s->merge) != SQLITE_DONE || sqlite3_step(s->mark) != SQLITE_DONE)
		goto out;
	s->upto = last_chunk;
	s->pending = 0;
	rc = ERR_OK;
out:
	sqlite3_reset(s->merge);
	sqlite3_reset(s->mark);
	return rc;
}

void spanids_free(struct spanids *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->merge);
	sqlite3_finalize(s->mark);
	free(s);
}
