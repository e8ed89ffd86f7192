/* zformat.c: the conversion of format-1 span chunks to format 2
 * (zformat.h). A step reads a few chunks after the mark and their rows in
 * one read transaction, rewrites them off the writer (record_chunk_slim),
 * then one writer task swaps each in with UPDATE ... WHERE data = the bytes
 * read, after checking that the rows pointing into it are still the ones
 * read (a retention or a superseded span takes a row without rewriting
 * the chunk), and moves the mark. A chunk that changed under ZFORMAT_RACES
 * steps in a row is skipped until the process ends (the mark held before
 * it, so the next start tries it again). */
#include "store/zformat.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "store/record.h"
#include "store/spanview.h"
#include "store/store.h"

#define ZFORMAT_VACUUM_PAGES "16"   /* free pages moved per task at most */

/* Chunks this process skipped after ZFORMAT_RACES races (zformat_status_json). */
static atomic_int_fast64_t skipped;

/* One chunk of a step: old as read, new rewritten (malloc'd; NULL: it does
 * not read), rows the spans rows it was rewritten with (in v's arena). */
struct fmt_chunk {
	int64_t id;
	void *old, *new;
	size_t oldlen, newlen, n;
	const struct record_row *const *rows;
	int level;   /* the level new is compressed at (0: the ingest's) */
};

/* A step's batch, handed to the writer task. */
struct fmt_swap {
	struct fmt_chunk c[ZFORMAT_CHUNKS];
	size_t n;
	int64_t upto;                 /* the mark once the batch is in (-1: the newest chunk) */
	int64_t hold;                 /* zformat_run.hold: the stored mark stays before it (0: none) */
	struct zformat_tally done;    /* filled by the task */
	int64_t raced;                /* a chunk changed meanwhile (0: none): the mark stops before it */
	int64_t mark;                 /* filled by the task: where the mark went, before the hold */
};

int zformat_enabled(void)
{
	return record_pack_format() == 2;
}

static int same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && (!an || !memcmp(a, b, an));
}

/* 1 if rows a and b (NULL: none) complete an entry alike. */
static int same_row(const struct record_row *a, const struct record_row *b)
{
	if (!a || !b)
		return a == b;
	return same_bytes(a->trace_id, 16, b->trace_id, 16) && same_bytes(a->span_id, 8, b->span_id, 8) &&
	       same_bytes(a->parent_span_id, a->parent_len, b->parent_span_id, b->parent_len) &&
	       !strcmp(a->name, b->name) && a->kind == b->kind && a->start_ns == b->start_ns && a->end_ns == b->end_ns;
}

/* 1 if chunk f's rows on db are still the ones it was rewritten with. */
static int rows_unchanged(sqlite3 *db, const struct fmt_chunk *f, enum err *rc)
{
	struct spanview *v;
	const struct record_row *const *rows;
	size_t n;
	int same = 0;
	if ((*rc = spanview_open(db, &v)))
		return 0;
	enum err got = spanview_chunk_rows(v, f->id, &rows, &n);
	if (got == ERR_STORE)
		*rc = ERR_STORE;
	else if (!got && n == f->n) {
		same = 1;
		for (size_t i = 0; i < n && same; i++)
			same = same_row(rows[i], f->rows[i]);
	}
	spanview_close(v);
	return same;
}

static enum err swap_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	struct fmt_swap *s = arg;
	sqlite3_stmt *up = NULL, *again = NULL, *mark = NULL;
	enum err rc = ERR_OK;
	memset(&s->done, 0, sizeof s->done);
	s->raced = 0;
	if (sqlite3_prepare_v2(db, "UPDATE chunks SET data = ?1 WHERE id = ?2 AND data = ?3", -1, &up, NULL) ||
	    /* as a deletion's rewrite does (retention.c): at the ingest level, a
	     * chunk the compaction passed is compacted again */
	    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO zcompact_again (chunk) SELECT ?1 FROM zcompact"
	                           " WHERE id = 1 AND upto >= ?1", -1, &again, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE zformat SET upto = max(upto, ?1),"
	                           " chunks = chunks + ?2,"
	                           " bytes_before = bytes_before + ?3, bytes_after = bytes_after + ?4,"
	                           " unreadable = unreadable + ?5 WHERE id = 1", -1, &mark, NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "format conversion: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct fmt_chunk *f = &s->c[i];
		if (!f->new) {
			s->done.unreadable++;
			continue;
		}
		if (!rows_unchanged(db, f, &rc)) {
			if (rc) {
				err_set(err, errlen, rc, "format conversion: chunk %lld: %s", (long long)f->id, sqlite3_errmsg(db));
				goto out;
			}
			s->raced = f->id;   /* or deleted: the rest of the batch is read again, then passed */
			break;
		}
		sqlite3_bind_blob(up, 1, f->new, (int)f->newlen, SQLITE_STATIC);
		sqlite3_bind_int64(up, 2, f->id);
		sqlite3_bind_blob(up, 3, f->old, (int)f->oldlen, SQLITE_STATIC);
		int ok = sqlite3_step(up) == SQLITE_DONE;
		sqlite3_reset(up);
		if (ok && !sqlite3_changes(db)) {
			s->raced = f->id;
			break;
		}
		if (ok && !f->level) {
			sqlite3_bind_int64(again, 1, f->id);
			ok = sqlite3_step(again) == SQLITE_DONE;
			sqlite3_reset(again);
		}
		if (!ok) {
			rc = err_set(err, errlen, ERR_STORE, "format conversion: chunk %lld: %s", (long long)f->id,
			             sqlite3_errmsg(db));
			goto out;
		}
		s->done.chunks++;
		s->done.before += (int64_t)f->oldlen;
		s->done.after += (int64_t)f->newlen;
	}
	s->mark = s->raced ? s->raced - 1 : s->upto;
	if (s->mark < 0 && store_int_query(db, "SELECT coalesce(max(id), 0) FROM chunks", 0, &s->mark)) {
		rc = err_set(err, errlen, ERR_STORE, "format conversion: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(mark, 1, s->hold && s->mark >= s->hold ? s->hold - 1 : s->mark);
	sqlite3_bind_int64(mark, 2, s->done.chunks);
	sqlite3_bind_int64(mark, 3, s->done.before);
	sqlite3_bind_int64(mark, 4, s->done.after);
	sqlite3_bind_int64(mark, 5, s->done.unreadable);
	if (sqlite3_step(mark) != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "format conversion: %s", sqlite3_errmsg(db));
	/* the pages the smaller chunks freed go back to the disk, as the
	 * compaction's do (a task frees a few: about 3 KB a chunk on prose) */
	else if (s->done.chunks && sqlite3_exec(db, "PRAGMA incremental_vacuum(" ZFORMAT_VACUUM_PAGES ")", NULL, NULL, NULL))
		rc = err_set(err, errlen, ERR_STORE, "format conversion: vacuum: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(up);
	sqlite3_finalize(again);
	sqlite3_finalize(mark);
	return rc;
}

/* Reads the batch after the mark (or after from, this process's place
 * past a held mark, if later) up to written_from on rd (one read
 * transaction: each chunk with the rows pointing into it then) into s;
 * rows live in v. Returns ERR_OK (s->n chunks, s->upto the last id looked
 * at; 0: nothing left, -1: nothing left up to written_from but the mark is
 * behind the newest chunk) or ERR_STORE. */
static enum err read_batch(sqlite3 *rd, struct spanview *v, int compact_level, int64_t written_from, int64_t from,
                           struct fmt_swap *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t upto = 0, compacted = 0, newest = 0;
	enum err rc = ERR_OK;
	if (sqlite3_exec(rd, "BEGIN", NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(rd, "SELECT (SELECT upto FROM zformat WHERE id = 1), (SELECT upto FROM zcompact WHERE id = 1),"
	                           " (SELECT coalesce(max(id), 0) FROM chunks)",
	                       -1, &st, NULL) ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = err_set(err, errlen, ERR_STORE, "format conversion: %s", sqlite3_errmsg(rd));
		goto out;
	}
	upto = sqlite3_column_int64(st, 0);
	if (upto < from)
		upto = from;
	compacted = sqlite3_column_int64(st, 1);
	newest = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(rd, "SELECT id, data FROM chunks WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3", -1, &st,
	                       NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "format conversion: %s", sqlite3_errmsg(rd));
		goto out;
	}
	sqlite3_bind_int64(st, 1, upto);
	sqlite3_bind_int64(st, 2, written_from);
	sqlite3_bind_int(st, 3, ZFORMAT_SCAN);
	/* no rows: nothing written before this process is left (the chunks it
	 * wrote since are format 2), the mark goes to the newest */
	s->upto = upto < newest ? -1 : 0;
	while (s->n < ZFORMAT_CHUNKS && sqlite3_step(st) == SQLITE_ROW) {
		const uint8_t *data = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		int64_t id = sqlite3_column_int64(st, 0);
		s->upto = id;
		if (!len || data[0] == RECORD_CHUNK_V2)
			continue;   /* format 2 already (or nothing) */
		struct fmt_chunk *f = &s->c[s->n++];
		f->id = id;
		if (!(f->old = malloc(len)))
			abort();
		memcpy(f->old, data, len);
		f->oldlen = len;
		f->level = id <= compacted ? compact_level : 0;
		enum err got = spanview_chunk_rows(v, id, &f->rows, &f->n);
		if (got == ERR_STORE) {
			rc = err_set(err, errlen, ERR_STORE, "format conversion: chunk %lld: rows: %s", (long long)id,
			             sqlite3_errmsg(rd));
			goto out;
		}
		if (got)
			f->rows = NULL;   /* does not read: rewritten as nothing, passed */
	}
out:
	sqlite3_finalize(st);
	sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL);   /* ends the read transaction before rewriting */
	return rc;
}

/* Counts the race the task met at chunk id (0: none) into r; at the
 * ZFORMAT_RACES-th in a row at one chunk, skips it: the steps go on after
 * it, the stored mark stays before it (and before any later skip). */
static void count_race(struct zformat_run *r, int64_t id)
{
	if (!id || id != r->raced)
		r->races = 0;
	r->raced = id;
	if (!id || ++r->races < ZFORMAT_RACES)
		return;
	log_warn("store", "format conversion: chunk %lld changed under the conversion %d times in a row: left in format 1"
	         " until the next start", (long long)id, ZFORMAT_RACES);
	atomic_fetch_add(&skipped, 1);
	if (!r->hold)
		r->hold = id;
	r->from = id;
	r->raced = r->races = 0;
}

enum err zformat_step(struct writer *w, sqlite3 *rd, int compact_level, int64_t written_from, int (*busy)(void *ctx),
                      void *ctx, int *state, struct zformat_run *r, struct zformat_tally *t, char *err, size_t errlen)
{
	struct spanview *v = NULL;
	struct fmt_swap s;
	enum err rc;
	memset(&s, 0, sizeof s);
	s.hold = r->hold;
	*state = 2;
	if (spanview_open(rd, &v)) {
		rc = err_set(err, errlen, ERR_STORE, "format conversion: %s", sqlite3_errmsg(rd));
		goto out;
	}
	if ((rc = read_batch(rd, v, compact_level, written_from, r->from, &s, err, errlen)) || !s.upto)
		goto out;
	*state = 1;
	for (size_t i = 0; i < s.n; i++) {
		struct fmt_chunk *f = &s.c[i];
		if (busy(ctx))
			goto out;   /* ingest is back: it has the CPU, the batch is redone later */
		if (f->rows && record_chunk_slim(f->old, f->oldlen, f->rows, f->n, f->level, &f->new, &f->newlen))
			f->new = NULL;
	}
	if (busy(ctx))
		goto out;
	*state = 0;
	if ((rc = writer_exec(w, swap_task, &s, 0, err, errlen)))
		goto out;
	if (r->from < s.mark)
		r->from = s.mark;
	count_race(r, s.raced);
	for (size_t i = 0; i < s.n && (!s.raced || s.c[i].id < s.raced); i++)
		if (!s.c[i].new)
			log_warn("store", "format conversion: chunk %lld is stored in format 1 but does not read: left as it is",
			         (long long)s.c[i].id);
	t->chunks += s.done.chunks;
	t->unreadable += s.done.unreadable;
	t->before += s.done.before;
	t->after += s.done.after;
out:
	for (size_t i = 0; i < s.n; i++) {
		free(s.c[i].old);
		free(s.c[i].new);
	}
	spanview_close(v);
	return rc;
}

cJSON *zformat_status_json(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	cJSON *o = NULL;
	/* pending_chunks from the ids, not counted (as the compaction's: a
	 * count reads every chunk page) */
	if (sqlite3_prepare_v2(db,
	                       "SELECT upto, chunks, bytes_before, bytes_after, unreadable,"
	                       " max(0, coalesce((SELECT max(id) FROM chunks), 0) - upto) FROM zformat WHERE id = 1",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		int on = zformat_enabled();
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "enabled", on);
		cJSON_AddNumberToObject(o, "upto", (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(o, "chunks", (double)sqlite3_column_int64(st, 1));
		cJSON_AddNumberToObject(o, "bytes_before", (double)sqlite3_column_int64(st, 2));
		cJSON_AddNumberToObject(o, "bytes_saved", (double)(sqlite3_column_int64(st, 2) - sqlite3_column_int64(st, 3)));
		cJSON_AddNumberToObject(o, "unreadable", (double)sqlite3_column_int64(st, 4));
		cJSON_AddNumberToObject(o, "skipped", (double)atomic_load(&skipped));
		cJSON_AddNumberToObject(o, "pending_chunks", on ? (double)sqlite3_column_int64(st, 5) : 0);
	}
	sqlite3_finalize(st);
	return o;
}
