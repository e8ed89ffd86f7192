/* spanids.c: the writer's side of the span-id index (schema/019, 021):
 * counts the spans waiting in span_ids_new and moves them into
 * span_ids_mid, in key order, in the transaction that reaches
 * SPANIDS_MERGE_SPANS, and span_ids_mid into span_ids every
 * SPANIDS_MID_MERGES such merges, so each merge dirties each page it
 * touches once instead of once per span, and the big span_ids is
 * rewritten rarely. */
#include "store/spanids.h"
#include <assert.h>
#include <stdlib.h>
#include "base/env.h"

enum { SQ_NEW_COUNT, SQ_MID_COUNT, SQ_TO_MID, SQ_CLEAR_NEW, SQ_TO_MAIN, SQ_CLEAR_MID, SQ_COUNT };

static const char *const sql[SQ_COUNT] = {
	[SQ_NEW_COUNT] = "SELECT count(*) FROM span_ids_new",
	[SQ_MID_COUNT] = "SELECT count(*) FROM span_ids_mid",
	[SQ_TO_MID] = "INSERT OR IGNORE INTO span_ids_mid (id_prefix, trace)"
	              " SELECT id_prefix, trace FROM span_ids_new ORDER BY id_prefix, trace",
	[SQ_CLEAR_NEW] = "DELETE FROM span_ids_new",
	[SQ_TO_MAIN] = "INSERT OR IGNORE INTO span_ids (id_prefix, trace)"
	               " SELECT id_prefix, trace FROM span_ids_mid ORDER BY id_prefix, trace",
	[SQ_CLEAR_MID] = "DELETE FROM span_ids_mid",
};

struct spanids {
	sqlite3 *db;
	sqlite3_stmt *st[SQ_COUNT];
	/* rows in span_ids_new and span_ids_mid (upper bounds: deletions are
	 * not counted) */
	int64_t pending, mid;
	/* SPANIDS_MERGE_SPANS, or TRACELITE_SPANIDS_MERGE_SPANS (tests reach
	 * both merges with fewer spans) */
	int64_t merge_spans;
};

static int64_t count_rows(struct spanids *s, int q, enum err *rc)
{
	int64_t n = 0;
	if (sqlite3_step(s->st[q]) == SQLITE_ROW)
		n = sqlite3_column_int64(s->st[q], 0);
	else
		*rc = ERR_STORE;
	sqlite3_reset(s->st[q]);
	return n;
}

enum err spanids_reload(struct spanids *s)
{
	enum err rc = ERR_OK;
	assert(s);
	s->pending = count_rows(s, SQ_NEW_COUNT, &rc);
	s->mid = count_rows(s, SQ_MID_COUNT, &rc);
	return rc;
}

enum err spanids_open(sqlite3 *db, struct spanids **out)
{
	struct spanids *s = calloc(1, sizeof *s);
	enum err rc = ERR_STORE;
	if (!s)
		abort();
	s->db = db;
	s->merge_spans = env_i64("TRACELITE_SPANIDS_MERGE_SPANS", 16, SPANIDS_MERGE_SPANS, SPANIDS_MERGE_SPANS);
	for (int i = 0; i < SQ_COUNT; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL))
			goto out;
	rc = spanids_reload(s);
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

/* Runs statement q to its end; ERR_OK or ERR_STORE. */
static enum err run(struct spanids *s, int q)
{
	int rc = sqlite3_step(s->st[q]);
	sqlite3_reset(s->st[q]);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

enum err spanids_flush(struct spanids *s)
{
	assert(s);
	if (s->pending < s->merge_spans)
		return ERR_OK;
	if (run(s, SQ_TO_MID) || run(s, SQ_CLEAR_NEW))
		return ERR_STORE;
	s->mid += s->pending;
	s->pending = 0;
	if (s->mid < s->merge_spans * SPANIDS_MID_MERGES)
		return ERR_OK;
	if (run(s, SQ_TO_MAIN) || run(s, SQ_CLEAR_MID))
		return ERR_STORE;
	s->mid = 0;
	return ERR_OK;
}

void spanids_free(struct spanids *s)
{
	if (!s)
		return;
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	free(s);
}
