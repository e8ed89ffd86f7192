/* backfill.c: the attribute-index backfill (backfill.h). A thread loops
 * over short writer tasks; each reads attr_backfill, walks the spans of the
 * next BACKFILL_CHUNKS chunks with a spanview on the writer's connection,
 * feeds them to a fresh attrindex (INSERT OR IGNORE, and pair sets merged
 * by union: already indexed pairs cost a lookup) and moves done forward in
 * the same transaction. */
#include "store/backfill.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/log.h"
#include "base/worker.h"
#include "store/attrindex.h"
#include "store/spanview.h"

struct backfill {
	struct writer *w;
	struct worker thread;
};

/* What one task shares with its intern callback. */
struct step {
	sqlite3 *db;
	sqlite3_stmt *str_get, *str_put;
	int64_t left;
	int ran;          /* chunks were indexed */
};

/* Interns s in the strings table on the writer's connection (the writer's
 * own cache reads the table on a miss, so it sees these ids). */
static enum err intern_db(void *ctx, const char *s, int64_t *id)
{
	struct step *st = ctx;
	enum err rc = ERR_STORE;
	sqlite3_bind_text(st->str_get, 1, s, -1, SQLITE_STATIC);
	if (sqlite3_step(st->str_get) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st->str_get, 0);
		rc = ERR_OK;
	} else {
		sqlite3_bind_text(st->str_put, 1, s, -1, SQLITE_STATIC);
		if (sqlite3_step(st->str_put) == SQLITE_DONE) {
			*id = sqlite3_last_insert_rowid(st->db);
			rc = ERR_OK;
		}
		sqlite3_reset(st->str_put);
	}
	sqlite3_reset(st->str_get);
	return rc;
}

/* One batch: the spans of the chunks after done, whole chunks, until
 * BACKFILL_SPANS spans or BACKFILL_CHUNKS chunks. */
static enum err step_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	struct step *st = arg;
	sqlite3_stmt *get = NULL, *key = NULL, *put = NULL;
	struct spanview *v = NULL;
	struct attrindex *x = NULL;
	struct stored_span s;
	uint8_t last_trace[16] = {0};
	int64_t done = 0, upto = 0, trace = 0;
	int more;
	enum err rc = ERR_OK;
	st->db = db;
	st->left = 0;
	st->ran = 0;
	if (sqlite3_prepare_v2(db, "SELECT done, upto FROM attr_backfill WHERE id = 1", -1, &get, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "reading attr_backfill: %s", sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(get) != SQLITE_ROW)
		goto out;   /* nothing to do */
	done = sqlite3_column_int64(get, 0);
	upto = sqlite3_column_int64(get, 1);
	if (done >= upto)
		goto out;
	int64_t to = upto - done > BACKFILL_CHUNKS ? done + BACKFILL_CHUNKS : upto;
	if (sqlite3_prepare_v2(db, "SELECT key FROM traces WHERE trace_id = ?", -1, &key, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id FROM strings WHERE value = ?", -1, &st->str_get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO strings (value) VALUES (?)", -1, &st->str_put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE attr_backfill SET done = ? WHERE id = 1", -1, &put, NULL) != SQLITE_OK ||
	    attrindex_open(db, &x) || spanview_open(db, &v) || spanview_chunks(v, done, to)) {
		rc = err_set(err, errlen, ERR_STORE, "attribute backfill: %s", sqlite3_errmsg(db));
		goto out;
	}
	int64_t spans = 0, last_chunk = done;
	while (!rc && (more = spanview_next(v, &s)) == 1) {
		if (s.chunk != last_chunk) {
			if (spans >= BACKFILL_SPANS) {
				to = last_chunk;   /* enough for one task: whole chunks only */
				break;
			}
			last_chunk = s.chunk;
		}
		spans++;
		if (!s.otlp)
			continue;   /* unreadable: as ingest would not have indexed it */
		if (!trace || memcmp(last_trace, s.trace_id, 16)) {
			memcpy(last_trace, s.trace_id, 16);
			sqlite3_bind_blob(key, 1, s.trace_id, 16, SQLITE_STATIC);
			trace = sqlite3_step(key) == SQLITE_ROW ? sqlite3_column_int64(key, 0) : 0;
			sqlite3_reset(key);
		}
		if (!trace)
			continue;   /* the trace is gone (retention) */
		struct span sp;
		memset(&sp, 0, sizeof sp);
		sp.otlp = s.otlp;
		sp.resource = s.resource ? s.resource->resource : NULL;
		rc = attrindex_span(x, trace, &sp, s.resource_id, intern_db, st);
	}
	if (!rc && more < 0)
		rc = ERR_STORE;
	if (!rc)
		rc = attrindex_flush(x); /* the last trace's pair set (schema/015) */
	if (rc) {
		rc = err_set(err, errlen, ERR_STORE, "attribute backfill of chunks %lld..%lld: %s", (long long)done + 1,
		             (long long)to, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(put, 1, to);
	if (sqlite3_step(put) != SQLITE_DONE) {
		rc = err_set(err, errlen, ERR_STORE, "attribute backfill: %s", sqlite3_errmsg(db));
		goto out;
	}
	st->left = upto - to;
	st->ran = 1;
out:
	spanview_close(v);
	attrindex_close(x);
	sqlite3_finalize(get);
	sqlite3_finalize(key);
	sqlite3_finalize(put);
	sqlite3_finalize(st->str_get);
	sqlite3_finalize(st->str_put);
	st->str_get = st->str_put = NULL;
	return rc;
}

enum err backfill_step(struct writer *w, int64_t *left, int *ran, char *err, size_t errlen)
{
	struct step st = {0};
	enum err rc = writer_exec(w, step_task, &st, 0, err, errlen);
	*left = rc ? 0 : st.left;
	*ran = !rc && st.ran;
	return rc;
}

static void *run(void *arg)
{
	struct backfill *b = arg;
	char err[512];
	int64_t left = 1, batches = 0;
	int ran = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		enum err rc = backfill_step(b->w, &left, &ran, err, sizeof err);
		batches += ran;
		if (rc == ERR_BUSY)
			break;   /* the writer is stopping */
		if (rc) {
			log_error("backfill", "%s (retried in 10 s)", err);
			left = 1;
		} else if (!left) {
			break;
		}
		if (worker_pause(&b->thread, rc ? 10000 : BACKFILL_PAUSE_MS))
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (batches)
		log_info("backfill", "attribute index: %lld batches in %.1f s%s", (long long)batches,
		         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		         left ? ", stopped before the end (resumes at the next start)" : ", complete");
	return NULL;
}

struct backfill *backfill_start(struct writer *w, char *err, size_t errlen)
{
	struct backfill *b = calloc(1, sizeof *b);
	if (!b)
		abort();
	b->w = w;
	if (worker_start(&b->thread, "tl-backfill", run, b)) {
		err_set(err, errlen, ERR_STORE, "cannot start the attribute backfill thread");
		free(b);
		return NULL;
	}
	return b;
}

void backfill_stop(struct backfill *b)
{
	if (!b)
		return;
	worker_stop(&b->thread);
	free(b);
}

cJSON *backfill_status_json(sqlite3 *db)
{
	sqlite3_stmt *st;
	cJSON *o = NULL;
	if (sqlite3_prepare_v2(db, "SELECT done, upto FROM attr_backfill WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "done", (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(o, "upto", (double)sqlite3_column_int64(st, 1));
		cJSON_AddBoolToObject(o, "complete", sqlite3_column_int64(st, 0) >= sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	return o;
}
