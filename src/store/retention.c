/* retention.c: the retention thread (age, size cap, free-space watch) and
 * the batch deleter every deletion goes through: victims are picked on a
 * read-only connection, the search index forgets them, then one writer task
 * per batch deletes their spans, traces, scores and chunks (chunks shared
 * with surviving traces are rewritten without the deleted spans' bytes).
 * Freed pages go back to the filesystem by incremental vacuum steps and a
 * WAL checkpoint that truncates. */
#include "store/retention.h"
#include <assert.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include "base/env.h"
#include "base/counters.h"
#include "base/err.h"
#include "base/text.h"
#include "store/spanstab.h"
#include "store/record.h"
#include "store/rollup.h"
#include "store/store.h"

#define BATCH_SPANS 2000          /* spans per delete transaction, at least one trace */
#define TASK_MS 5                 /* aimed-at length of one delete transaction ... */
#define TASK_MS_IDLE 40           /* ... and of a background one while nothing is ingested */
#define VACUUM_PAGES "256"        /* pages moved per incremental vacuum step (1 MiB at 4 KiB) */
#define RECLAIM_EVERY 20          /* batches between reclaims while deleting */
#define POLL_MS_DEFAULT 1000
#define CHUNK_ENTRIES 256         /* entries of a chunk at most (record.c CHUNK_MAX_SPANS) */
#define DAY_NS (86400ll * 1000000000ll)
#define DELETIONS_KEEP_DAYS 30    /* schema/006_deletions.sql: what replication may still need */

struct retention {
	char dir[4096];
	struct writer *w;
	struct retention_opts o;
	struct retention_hooks hooks;
	sqlite3 *rdb;               /* picks victims; under pick */
	pthread_mutex_t pick;       /* one deletion picks and deletes at a time */
	pthread_mutex_t lock;       /* the fields below */
	pthread_cond_t wake;
	pthread_t thread;
	int stopping, poll_ms;
	int dirty;                  /* a request deleted traces: reclaim their space */
	int target;                 /* traces per batch, adapted to TASK_MS; under pick */
	int64_t size_debt;          /* traces the size cap still wants deleted before a reclaim */
	int64_t pause_owed;         /* background thread only: ms it still leaves the writer alone ... */
	int64_t paced_end;          /* ... counted from when its last paced task ended (mono_ms) ... */
	uint64_t paced_ingest;      /* ... if ingest submitted a batch since it began (writer_submitted) */
	struct retention_status st;
};

enum pick { PICK_AGE, PICK_OLDEST, PICK_FILTER };

/* A batch being deleted: trace keys picked, the writer task's tally. */
struct batch {
	int64_t keys[RETENTION_BATCH];
	size_t n;
	int64_t cutoff_ns;          /* PICK_AGE: recheck end_ns < cutoff in the task; else 0 */
	int rewrite;                /* a request: rewrite chunks shared with surviving traces, take the
	                             * traces out of the rollups (through w's accumulator) */
	struct writer *w;
	int64_t deleted;
	int64_t deleted_spans;
	int64_t deleted_logs;       /* log records of the deleted traces */
	int64_t task_ms;            /* how long the writer task took */
	struct retention_victim *v; /* malloc'd */
	size_t nv, vcap;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t retention_dir_bytes(const char *dir)
{
	uint64_t total = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4400];
	struct stat sb;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.' && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			total += (uint64_t)sb.st_size;
	}
	closedir(d);
	return total;
}

uint64_t retention_min_free(const struct retention_opts *o, uint64_t total)
{
	if (o->min_free_set)
		return o->min_free;
	uint64_t pct = total / 100 * RETENTION_MIN_FREE_PCT;
	return pct < RETENTION_MIN_FREE_CAP ? pct : RETENTION_MIN_FREE_CAP;
}

/* ---------- the writer tasks ---------- */

static enum err sql_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	return err_set(err, errlen, ERR_STORE, "%s: %s", what, sqlite3_errmsg(db));
}

/* Rewrites chunk id without the entries no span row points at any more, or
 * deletes it when none does, unless it is the newest chunk: that one is
 * rewritten empty, so a chunk id is never given out again (replication's
 * checkpoints count on it; del only deletes a chunk older than the newest).
 * again (span chunks only, else NULL) lists a rewritten chunk for the
 * idle-time compaction (schema/026). */
static enum err trim_chunk(sqlite3 *db, sqlite3_stmt *left, sqlite3_stmt *del, sqlite3_stmt *get,
                           sqlite3_stmt *put, sqlite3_stmt *again, int64_t id, char *err, size_t errlen)
{
	uint8_t keep[CHUNK_ENTRIES];
	int any = 0, rc = ERR_OK;
	memset(keep, 0, sizeof keep);
	sqlite3_bind_int64(left, 1, id);
	while (sqlite3_step(left) == SQLITE_ROW) {
		int i = sqlite3_column_int(left, 0);
		if (i >= 0 && i < CHUNK_ENTRIES)
			keep[i] = 1;
		any = 1;
	}
	sqlite3_reset(left);
	if (!any) {
		sqlite3_bind_int64(del, 1, id);
		if (sqlite3_step(del) != SQLITE_DONE)
			rc = sql_fail(db, "delete chunk", err, errlen);
		sqlite3_reset(del);
		if (rc || sqlite3_changes(db))
			return rc;
	}
	sqlite3_bind_int64(get, 1, id);
	if (sqlite3_step(get) == SQLITE_ROW) {
		void *out = NULL;
		size_t len = 0;
		if (record_chunk_keep(sqlite3_column_blob(get, 0), (size_t)sqlite3_column_bytes(get, 0), keep, sizeof keep,
		                      &out, &len) == ERR_OK) {
			sqlite3_bind_int64(put, 1, id);
			sqlite3_bind_blob(put, 2, out, (int)len, free);
			if (sqlite3_step(put) != SQLITE_DONE)
				rc = sql_fail(db, "rewrite chunk", err, errlen);
			sqlite3_reset(put);
			if (!rc && again) {
				sqlite3_bind_int64(again, 1, id);
				if (sqlite3_step(again) != SQLITE_DONE)
					rc = sql_fail(db, "list the chunk for compaction", err, errlen);
				sqlite3_reset(again);
			}
		} /* a corrupt chunk is left as it is: its spans read as unreadable already */
	}
	sqlite3_reset(get);
	return rc;
}

/* The chunks a delete task touched: each chunk's span rows before the
 * task's first deletion in it and after its last. */
struct touched {
	struct spanstab_chunk_count *c;
	size_t n, cap;
};

static void touched_add(void *ctx, const struct spanstab_chunk_count *c)
{
	struct touched *t = ctx;
	for (size_t i = 0; i < t->n; i++)
		if (t->c[i].chunk == c->chunk) {
			t->c[i].after = c->after;
			return;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		if (!(t->c = realloc(t->c, t->cap * sizeof *t->c)))
			abort();
	}
	t->c[t->n++] = *c;
}

/* The number of halvings of a row count, in half steps: the smallest k
 * with n * n <= 2^k (n <= 2^(k/2)); 0 for n <= 1. */
static int half_steps(size_t n)
{
	int k = 0;
	while (k < 63 && (uint64_t)n * n > (1ull << k))
		k++;
	return k;
}

/* 1 if retention rewrites a chunk that went from before to after span
 * rows (after > 0: others' spans are left in it). It does each time the
 * rows left fall to or below a power of sqrt(2) (181, 128, 90, 64, ...), so
 * a chunk whose traces go one by one is recompressed about 15 times at
 * most, the rewritten bytes summing to under 3.5 times the chunk's, and
 * holds at most about 1.4 times the bytes its surviving spans need. Chunks
 * of traffic stored as it came go whole with their last trace; chunks of
 * backfilled data, whose traces are of all ages, give bytes back as their
 * old traces go (without this the disk cap deleted 81% of such a store to
 * free half its bytes: docs/performance.md). */
static int worth_trimming(size_t before, size_t after)
{
	return half_steps(after) < half_steps(before);
}

/* Log records (schema/010): the statements delete_logs runs, in order. */
enum { L_DEL, L_LEFT, L_DCHUNK, L_GET, L_PUT, L_COUNT, L_N };
#define LOG_STMTS                                                      \
	"DELETE FROM logs WHERE id = ?1", "SELECT chunk_index FROM logs WHERE chunk = ?1", \
	"DELETE FROM log_chunks WHERE id = ?1 AND id < (SELECT max(id) FROM log_chunks)",         \
	"SELECT data FROM log_chunks WHERE id = ?1", \
	"UPDATE log_chunks SET data = ?2 WHERE id = ?1", "SELECT count(*) FROM logs WHERE chunk = ?1"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Deletes the log rows sel selects (columns id, chunk) with ls (L_N
 * statements of LOG_STMTS) and trims their chunks as trim_chunk does the
 * spans' (rewrite 0: a chunk that still holds records is rewritten only
 * when worth_trimming says so, as the spans' are). Adds the rows deleted
 * to *deleted. */
static enum err delete_logs(sqlite3 *db, sqlite3_stmt *sel, sqlite3_stmt *const *ls, int rewrite, int64_t *deleted,
                            char *err, size_t errlen)
{
	int64_t *ids = NULL, *chunks = NULL;
	size_t n = 0, cap = 0;
	enum err rc = ERR_OK;
	int step;
	while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(ids = realloc(ids, cap * sizeof *ids)) || !(chunks = realloc(chunks, cap * sizeof *chunks)))
				abort();
		}
		ids[n] = sqlite3_column_int64(sel, 0);
		chunks[n++] = sqlite3_column_int64(sel, 1);
	}
	sqlite3_reset(sel);
	if (step != SQLITE_DONE) {
		rc = sql_fail(db, "select logs", err, errlen);
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_bind_int64(ls[L_DEL], 1, ids[i]);
		if (sqlite3_step(ls[L_DEL]) != SQLITE_DONE)
			rc = sql_fail(db, "delete logs", err, errlen);
		sqlite3_reset(ls[L_DEL]);
	}
	if (n)
		qsort(chunks, n, sizeof *chunks, cmp_i64);
	for (size_t i = 0, gone; i < n && !rc; i += gone) {
		size_t left = 0;
		for (gone = 1; i + gone < n && chunks[i + gone] == chunks[i]; gone++)
			;
		sqlite3_bind_int64(ls[L_COUNT], 1, chunks[i]);
		if (sqlite3_step(ls[L_COUNT]) == SQLITE_ROW)
			left = (size_t)sqlite3_column_int64(ls[L_COUNT], 0);
		sqlite3_reset(ls[L_COUNT]);
		if (rewrite || !left || worth_trimming(left + gone, left))
			rc = trim_chunk(db, ls[L_LEFT], ls[L_DCHUNK], ls[L_GET], ls[L_PUT], NULL, chunks[i], err, errlen);
	}
	if (!rc)
		*deleted += (int64_t)n;
out:
	free(ids);
	free(chunks);
	return rc;
}

/* What log_prune_task deletes: up to limit (at most LOG_PRUNE_MAX) of the
 * oldest records older than cutoff (0: older than the oldest trace's start,
 * or any when no trace is left: the disk cap, oldest data first); deleted
 * is set to how many went. */
#define LOG_PRUNE_MAX 2000        /* records per writer task: a few ms */
struct log_prune {
	int64_t cutoff, limit, deleted;
};

static enum err log_prune_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	static const char *const sql[L_N + 2] = {
		LOG_STMTS, "SELECT id, chunk FROM logs WHERE time_ns < ?1 ORDER BY time_ns LIMIT ?2",
		"SELECT coalesce(min(start_ns), 9223372036854775807) FROM traces"};
	sqlite3_stmt *st[L_N + 2] = {0};
	struct log_prune *lp = arg;
	int64_t cutoff = lp->cutoff;
	enum err rc = ERR_OK;
	lp->deleted = 0;
	for (int i = 0; i < L_N + 2 && !rc; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK)
			rc = sql_fail(db, "prepare", err, errlen);
	if (!rc && !cutoff && sqlite3_step(st[L_N + 1]) == SQLITE_ROW)
		cutoff = sqlite3_column_int64(st[L_N + 1], 0);
	if (!rc) {
		sqlite3_bind_int64(st[L_N], 1, cutoff);
		sqlite3_bind_int64(st[L_N], 2, lp->limit < LOG_PRUNE_MAX ? lp->limit : LOG_PRUNE_MAX);
		rc = delete_logs(db, st[L_N], st, 0, &lp->deleted, err, errlen);
	}
	for (int i = 0; i < L_N + 2; i++)
		sqlite3_finalize(st[i]);
	return rc;
}

/* Deletes the batch's traces (writer thread, inside a transaction). A
 * chunk no span points at any more goes; one shared with a surviving trace
 * is rewritten without the deleted spans when b->rewrite (a deletion
 * request: those bytes must go now), else (retention) only when
 * worth_trimming says so: chunk-mates that came in one request expire
 * together, and rewriting a chunk per deleted trace would cost a
 * recompression each. */
static enum err delete_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	struct batch *b = arg;
	int64_t t0 = mono_ms();
	enum { S_TRACE, S_SCORES, S_ATTRS, S_TRES, S_PREVIEW, S_LONG, S_DTRACE, S_LEFT, S_DCHUNK, S_GET, S_PUT, S_AGAIN,
	       S_LOG, S_PRUNE, S_PEOPLE, S_LOGSEL, S_LOGS, S_N = S_LOGS + L_N };
	static const char *const sql[S_N] = {
		[S_TRACE] = "SELECT trace_id, end_ns, session_sid, user_sid FROM traces WHERE key = ?1",
		[S_SCORES] = "DELETE FROM scores WHERE trace_id = ?1",
		/* the attribute index (015): the trace's one pair-set row;
		 * attr_pairs and pair_blocks rows stay (shared with other traces;
		 * a stale block only points the set path at fewer rows) */
		[S_ATTRS] = "DELETE FROM trace_pairsets WHERE trace = ?1",
		[S_TRES] = "DELETE FROM trace_resources WHERE trace = ?1",
		[S_PREVIEW] = "DELETE FROM trace_previews WHERE key = ?1",   /* schema/017 */
		[S_LONG] = "DELETE FROM long_traces WHERE key = ?1",   /* schema/016: no spans left to find */
		[S_DTRACE] = "DELETE FROM traces WHERE key = ?1",
		[S_LEFT] = "SELECT chunk_index FROM spans WHERE chunk = ?1",
		[S_DCHUNK] = "DELETE FROM chunks WHERE id = ?1 AND id < (SELECT max(id) FROM chunks)",
		[S_GET] = "SELECT data FROM chunks WHERE id = ?1",
		[S_PUT] = "UPDATE chunks SET data = ?2 WHERE id = ?1",
		/* back at the ingest level: compacted again if it was (schema/026) */
		[S_AGAIN] = "INSERT OR IGNORE INTO zcompact_again (chunk) SELECT ?1 FROM zcompact WHERE id = 1 AND upto >= ?1",
		[S_LOG] = "INSERT INTO deletions (trace_id, time_ns) VALUES (?1, ?2)",
		/* the oldest rows only (seq order is time order): no scan */
		[S_PRUNE] = "DELETE FROM deletions WHERE time_ns < ?1 AND seq IN (SELECT seq FROM deletions ORDER BY seq LIMIT 1000)",
		/* a session or user id no trace names any more (schema/025): a
		 * forgotten user's id goes with their last trace */
		[S_PEOPLE] = "DELETE FROM people WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM traces WHERE session_sid = ?1) AND NOT EXISTS (SELECT 1 FROM traces WHERE user_sid = ?1)",
		/* the trace's log records (schema/010), then LOG_STMTS from S_LOGS */
		[S_LOGSEL] = "SELECT id, chunk FROM logs WHERE trace_id = ?1",
		[S_LOGS] = LOG_STMTS,
	};
	sqlite3_stmt *st[S_N] = {0};
	struct touched chunks = {0};
	enum err rc = ERR_OK;
	for (int i = 0; i < S_N && !rc; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK)
			rc = sql_fail(db, "prepare", err, errlen);
	for (size_t k = 0; k < b->n && !rc; k++) {
		uint8_t tid[16];
		int64_t people[2] = {0, 0};   /* the trace's session and user ids, 0 = none */
		int found = 0;
		sqlite3_bind_int64(st[S_TRACE], 1, b->keys[k]);
		if (sqlite3_step(st[S_TRACE]) == SQLITE_ROW && sqlite3_column_bytes(st[S_TRACE], 0) == 16 &&
		    (!b->cutoff_ns || sqlite3_column_int64(st[S_TRACE], 1) < b->cutoff_ns)) {
			memcpy(tid, sqlite3_column_blob(st[S_TRACE], 0), 16);
			people[0] = sqlite3_column_int64(st[S_TRACE], 2);
			people[1] = sqlite3_column_int64(st[S_TRACE], 3);
			found = 1;
		}
		sqlite3_reset(st[S_TRACE]);
		if (!found)
			continue; /* gone meanwhile, or a late span made it young again */
		/* a request forgets the traces in the rollups too (retention keeps
		 * them there as history: docs/storage.md) */
		if (b->rewrite && (rc = rollup_forget_trace(writer_task_rollup(b->w), b->keys[k], err, errlen)))
			break;
		int64_t spans = 0;
		if ((rc = spanstab_delete_trace(db, b->keys[k], &spans, touched_add, &chunks, err, errlen)))
			break;
		b->deleted_spans += spans;
		sqlite3_bind_blob(st[S_SCORES], 1, tid, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st[S_ATTRS], 1, b->keys[k]);
		sqlite3_bind_int64(st[S_TRES], 1, b->keys[k]);
		sqlite3_bind_int64(st[S_PREVIEW], 1, b->keys[k]);
		sqlite3_bind_int64(st[S_LONG], 1, b->keys[k]);
		sqlite3_bind_int64(st[S_DTRACE], 1, b->keys[k]);
		sqlite3_bind_blob(st[S_LOG], 1, tid, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st[S_LOG], 2, (int64_t)text_now_ns());
		for (int s = S_SCORES; s <= S_DTRACE && !rc; s++) {
			if (sqlite3_step(st[s]) != SQLITE_DONE)
				rc = sql_fail(db, "delete", err, errlen);
			sqlite3_reset(st[s]);
		}
		for (int i = 0; i < 2 && !rc; i++) {
			if (!people[i])
				continue;
			sqlite3_bind_int64(st[S_PEOPLE], 1, people[i]);
			if (sqlite3_step(st[S_PEOPLE]) != SQLITE_DONE)
				rc = sql_fail(db, "delete people", err, errlen);
			sqlite3_reset(st[S_PEOPLE]);
		}
		if (!rc) {
			sqlite3_bind_blob(st[S_LOGSEL], 1, tid, 16, SQLITE_STATIC);
			rc = delete_logs(db, st[S_LOGSEL], &st[S_LOGS], b->rewrite, &b->deleted_logs, err, errlen);
		}
		/* requests only: a target keeps its own history past local retention */
		if (!rc && b->rewrite && sqlite3_step(st[S_LOG]) != SQLITE_DONE)
			rc = sql_fail(db, "log the deletion", err, errlen);
		sqlite3_reset(st[S_LOG]);
		b->deleted++;
	}
	for (size_t i = 0; i < chunks.n && !rc; i++) {
		const struct spanstab_chunk_count *c = &chunks.c[i];
		if (b->rewrite || !c->after || worth_trimming(c->before, c->after))
			rc = trim_chunk(db, st[S_LEFT], st[S_DCHUNK], st[S_GET], st[S_PUT], st[S_AGAIN], c->chunk, err, errlen);
	}
	if (!rc && b->deleted) {
		sqlite3_bind_int64(st[S_PRUNE], 1, (int64_t)text_now_ns() - DELETIONS_KEEP_DAYS * DAY_NS);
		if (sqlite3_step(st[S_PRUNE]) != SQLITE_DONE)
			rc = sql_fail(db, "prune deletions", err, errlen);
	}
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(st[i]);
	free(chunks.c);
	b->task_ms = mono_ms() - t0;
	return rc;
}

/* Age retention beyond traces, and the minute rollups' horizon: scores
 * older than the cutoff (also those of traces never stored), then minute
 * rollup rows older than the cutoff or past the horizon (rollup_sweep), a
 * slice at a time; *(int64_t *)arg = cutoff in ns (0: no age retention,
 * the horizon only), rows deleted out. */
static enum err prune_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	int64_t *io = arg, cutoff = *io, before = rollup_sweep_before((int64_t)(text_now_ns() / 1000000000u));
	if (cutoff / 1000000000 > before)
		before = cutoff / 1000000000;
	*io = 0;
	if (cutoff) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "DELETE FROM scores WHERE id IN (SELECT id FROM scores WHERE time_ns < ?1"
		                           " ORDER BY time_ns LIMIT 500)", -1, &st, NULL) != SQLITE_OK)
			return sql_fail(db, "prepare", err, errlen);
		sqlite3_bind_int64(st, 1, cutoff);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sql_fail(db, "prune", err, errlen);
		*io += sqlite3_changes(db);
	}
	return rollup_sweep(db, before, io, err, errlen);
}

/* One incremental vacuum step; *(int64_t *)arg = free pages left. */
static enum err vacuum_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_exec(db, "PRAGMA incremental_vacuum(" VACUUM_PAGES ")", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(db, "incremental vacuum", err, errlen);
	*(int64_t *)arg = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA freelist_count", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*(int64_t *)arg = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ERR_OK;
}

static enum err checkpoint_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	(void)arg;
	/* TRUNCATE waits (busy handler) for readers on older snapshots: not
	 * for long in the writer thread; the next round retries */
	sqlite3_busy_timeout(db, 50);
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	/* SQLITE_BUSY: a reader still uses old frames; the next round retries */
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? ERR_OK : sql_fail(db, "checkpoint", err, errlen);
}

/* Switches a store created before incremental vacuum (auto_vacuum=NONE)
 * with one VACUUM; *(int *)arg set to 1 if it ran. */
static enum err auto_vacuum_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int mode = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		mode = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	*(int *)arg = 0;
	if (mode == 2)
		return ERR_OK;
	if (sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM;", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(db, "VACUUM to switch on incremental vacuum", err, errlen);
	*(int *)arg = 1;
	/* the VACUUM went through the WAL: a copy of the whole store */
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return ERR_OK;
}

/* ---------- picking and deleting a batch ---------- */

static void add_victim(struct batch *b, int64_t chunk, const void *trace_id)
{
	if (b->nv == b->vcap) {
		b->vcap = b->vcap ? 2 * b->vcap : 256;
		if (!(b->v = realloc(b->v, b->vcap * sizeof *b->v)))
			abort();
	}
	b->v[b->nv].chunk = chunk;
	memcpy(b->v[b->nv++].trace_id, trace_id, 16);
}

/* Fills b with the next traces to delete (under r->pick). Returns ERR_OK
 * (b->n = 0: nothing left) or ERR_STORE. */
static enum err pick(struct retention *r, enum pick how, const struct retention_filter *f, struct batch *b, char *err,
                     size_t errlen)
{
	char sql[512] = "SELECT key, trace_id, span_count FROM traces";
	sqlite3_stmt *st = NULL, *chunks = NULL;
	enum err rc = ERR_OK;
	b->n = b->nv = 0;
	if (how == PICK_AGE)
		strcat(sql, " WHERE start_ns < ?1 AND end_ns < ?1 ORDER BY start_ns");
	else if (how == PICK_OLDEST)
		strcat(sql, " ORDER BY start_ns");
	else {
		strcat(sql, " WHERE 1");
		if (f->trace_id)
			strcat(sql, " AND trace_id = ?2");
		if (f->user_id)
			strcat(sql, " AND user_sid = (SELECT id FROM people WHERE value = ?3)");
		if (f->session_id)
			strcat(sql, " AND session_sid = (SELECT id FROM people WHERE value = ?4)");
		if (f->project)
			strcat(sql, " AND project = ?5");
	}
	snprintf(sql + strlen(sql), sizeof sql - strlen(sql), " LIMIT %d", r->target);
	if (sqlite3_prepare_v2(r->rdb, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->rdb, "SELECT chunk FROM trace_chunks WHERE trace = ?1", -1, &chunks, NULL) != SQLITE_OK) {
		rc = sql_fail(r->rdb, "pick", err, errlen);
		goto out;
	}
	if (how == PICK_AGE)
		sqlite3_bind_int64(st, 1, b->cutoff_ns);
	if (how == PICK_FILTER) {
		if (f->trace_id)
			sqlite3_bind_blob(st, 2, f->trace_id, 16, SQLITE_STATIC);
		if (f->user_id)
			sqlite3_bind_text(st, 3, f->user_id, -1, SQLITE_STATIC);
		if (f->session_id)
			sqlite3_bind_text(st, 4, f->session_id, -1, SQLITE_STATIC);
		if (f->project)
			sqlite3_bind_int64(st, 5, f->project);
	}
	/* the size cap's batch goes no further than its debt */
	int64_t most = how == PICK_OLDEST && r->size_debt > 0 && r->size_debt < r->target ? r->size_debt : r->target;
	int64_t spans = 0;
	while (b->n < (size_t)most && (b->n == 0 || spans < BATCH_SPANS) && sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != 16)
			continue;
		int64_t key = sqlite3_column_int64(st, 0);
		b->keys[b->n++] = key;
		spans += sqlite3_column_int64(st, 2);
		sqlite3_bind_int64(chunks, 1, key);
		while (sqlite3_step(chunks) == SQLITE_ROW)
			add_victim(b, sqlite3_column_int64(chunks, 0), sqlite3_column_blob(st, 1));
		sqlite3_reset(chunks);
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(chunks);
	return rc;
}

/* Waits ms (at most 1 s), or less if stopping or woken. */
static void pause_ms(struct retention *r, int64_t ms)
{
	struct timespec until;
	if (ms > 1000)
		ms = 1000;
	clock_gettime(CLOCK_REALTIME, &until);
	uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)ms * 1000000ull;
	until.tv_sec += (time_t)(ns / 1000000000ull);
	until.tv_nsec = (long)(ns % 1000000000ull);
	pthread_mutex_lock(&r->lock);
	if (!r->stopping)
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
	pthread_mutex_unlock(&r->lock);
}

/* writer_exec for the background thread: after a task it leaves the
 * writer alone as long as the task took (queueing and commit included), so
 * retention holds the writer at most about half the time and ingest keeps
 * the rest. That pause is owed, and waited out before the next task: what
 * the thread does meanwhile (picking the next batch, the search index
 * forgetting its traces) runs during it instead of after it. It is not
 * owed when no span batch came since the last task began: with no ingest
 * the writer has no one to leave time to, and a request that comes now
 * waits for one task at most (TASK_MS), as it would with the pause. */
static enum err paced_exec(struct retention *r, writer_task_fn fn, void *arg, int flags, char *err, size_t errlen)
{
	int64_t since = mono_ms() - r->paced_end;
	uint64_t ingest = writer_submitted(r->w);
	if (r->pause_owed > since && ingest != r->paced_ingest)
		pause_ms(r, r->pause_owed - since);
	r->paced_ingest = ingest;
	int64_t t0 = mono_ms();
	enum err rc = writer_exec(r->w, fn, arg, flags, err, errlen);
	r->paced_end = mono_ms();
	r->pause_owed = r->paced_end - t0;
	return rc;
}

/* Picks and deletes one batch; *n = traces deleted. A background batch
 * (how != PICK_FILTER) is paced (paced_exec); a request's is not. */
static enum err delete_batch(struct retention *r, enum pick how, const struct retention_filter *f, int64_t cutoff,
                             int64_t *n, char *err, size_t errlen)
{
	struct batch *b = calloc(1, sizeof *b);
	enum err rc;
	if (!b)
		abort();
	*n = 0;
	b->cutoff_ns = how == PICK_AGE ? cutoff : 0;
	b->rewrite = how == PICK_FILTER;
	b->w = r->w;
	pthread_mutex_lock(&r->pick);
	rc = pick(r, how, f, b, err, errlen);
	if (!rc && b->n) {
		if (r->hooks.forget && b->nv)
			r->hooks.forget(r->hooks.ctx, b->v, b->nv);
		rc = how == PICK_FILTER ? writer_exec(r->w, delete_task, b, 0, err, errlen)
		                        : paced_exec(r, delete_task, b, 0, err, errlen);
		/* aim at TASK_MS per transaction: ingest waits meanwhile; with
		 * none since the pause, the background thread's batches grow
		 * (their fixed costs, the index's and the reclaims every
		 * RECLAIM_EVERY batches, dominated with a few traces each) */
		int64_t aim = how != PICK_FILTER && writer_submitted(r->w) == r->paced_ingest ? TASK_MS_IDLE : TASK_MS;
		int t = r->target;
		if (!rc && b->task_ms > aim)
			t = t / 2 > 0 ? t / 2 : 1;
		else if (!rc && b->task_ms < aim / 2 && b->n == (size_t)t)
			t = t + t / 2 + 1 < RETENTION_BATCH ? t + t / 2 + 1 : RETENTION_BATCH;
		r->target = t;
		*n = rc ? 0 : b->deleted;
		if (*n) {
			const char *why = how == PICK_AGE ? "age" : how == PICK_OLDEST ? "disk" : "api";
			counters_add("tracelite_retention_deleted_traces_total", (uint64_t)*n, "reason", why, NULL);
			counters_add("tracelite_retention_deleted_spans_total", (uint64_t)b->deleted_spans, "reason", why, NULL);
			counters_add("tracelite_retention_deleted_logs_total", (uint64_t)b->deleted_logs, "reason", why, NULL);
		}
	}
	pthread_mutex_unlock(&r->pick);
	free(b->v);
	free(b);
	if (*n) {
		pthread_mutex_lock(&r->lock);
		r->st.deleted_traces += *n;
		pthread_mutex_unlock(&r->lock);
	}
	return rc;
}

/* Gives freed pages back: incremental vacuum steps, then a WAL checkpoint
 * that truncates the WAL, each step its own short writer task; then the
 * search index does the same with its files (hooks.reclaim). */
static uint64_t file_bytes(const char *dir, const char *name)
{
	char path[4400];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static void reclaim(struct retention *r)
{
	char err[256];
	uint64_t before = file_bytes(r->dir, "tracelite.db");
	int64_t left = 1;
	for (int i = 0; i < 100000 && left > 0; i++) {
		if (paced_exec(r, vacuum_task, &left, 0, err, sizeof err)) {
			fprintf(stderr, "tracelite: retention: %s\n", err);
			break;
		}
		pthread_mutex_lock(&r->lock);
		int stop = r->stopping;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			break;
	}
	if (writer_exec(r->w, checkpoint_task, NULL, WRITER_TASK_NO_TXN, err, sizeof err))
		fprintf(stderr, "tracelite: retention: %s\n", err);
	if (r->hooks.reclaim)
		r->hooks.reclaim(r->hooks.ctx);
	uint64_t after = file_bytes(r->dir, "tracelite.db");
	pthread_mutex_lock(&r->lock);
	if (after < before)
		r->st.reclaimed_bytes += (int64_t)(before - after);
	r->st.dir_bytes = retention_dir_bytes(r->dir);
	pthread_mutex_unlock(&r->lock);
}

/* Measures the directory and the filesystem; sets or clears the writer's
 * low-disk refusal. */
static void watch_disk(struct retention *r)
{
	struct statvfs vs;
	uint64_t bytes = retention_dir_bytes(r->dir), free_b = 0, total = 0, min_free;
	int ok = statvfs(r->dir, &vs) == 0;
	if (ok) {
		free_b = (uint64_t)vs.f_bavail * vs.f_frsize;
		total = (uint64_t)vs.f_blocks * vs.f_frsize;
	}
	min_free = retention_min_free(&r->o, total);
	int low = ok && free_b < min_free;
	pthread_mutex_lock(&r->lock);
	int was = r->st.disk_low;
	r->st.dir_bytes = bytes;
	r->st.free_bytes = free_b;
	r->st.min_free = min_free;
	r->st.disk_low = low;
	pthread_mutex_unlock(&r->lock);
	if (low) {
		char why[256];
		snprintf(why, sizeof why,
		         "disk nearly full: %llu MB free on the data directory's filesystem, below --min-free %llu MB; "
		         "nothing stored, retry later",
		         (unsigned long long)(free_b / 1000000), (unsigned long long)(min_free / 1000000));
		writer_set_disk_low(r->w, why);
		if (!was)
			fprintf(stderr, "tracelite: %s\n", why);
	} else if (was) {
		writer_set_disk_low(r->w, NULL);
		fprintf(stderr, "tracelite: free space back above --min-free, taking data again\n");
	}
}

/* Traces to delete for the store to fit r's cap: the excess of the files
 * but the WALs (they shrink at the reclaim's checkpoint)
 * over the mean bytes per trace, plus 5%; 0 if a reclaim should do. */
static int64_t size_debt(struct retention *r)
{
	uint64_t wal = file_bytes(r->dir, "tracelite.db-wal") + file_bytes(r->dir, "search.db-wal"),
		 all = retention_dir_bytes(r->dir), bytes = all > wal ? all - wal : 0;
	sqlite3_stmt *st;
	int64_t traces = 0;
	pthread_mutex_lock(&r->pick);
	if (sqlite3_prepare_v2(r->rdb, "SELECT count(*) FROM traces", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		traces = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->pick);
	if (traces <= 0 || bytes <= r->o.max_disk)
		return 0;
	double per = (double)bytes / (double)traces, want = (double)(bytes - r->o.max_disk) / per * 1.05;
	return want < 1 ? 1 : want > (double)traces ? traces : (int64_t)want;
}

/* Deletes up to limit old log records (log_prune_task's cutoff), counted
 * under reason; returns how many. */
static int64_t prune_logs(struct retention *r, int64_t cutoff, int64_t limit, const char *reason)
{
	char err[320];
	struct log_prune lp = {cutoff, limit, 0};
	if (limit <= 0)
		return 0;
	if (paced_exec(r, log_prune_task, &lp, 0, err, sizeof err)) {
		fprintf(stderr, "tracelite: retention: %s\n", err);
		return 0;
	}
	counters_add("tracelite_retention_deleted_logs_total", (uint64_t)lp.deleted, "reason", reason, NULL);
	return lp.deleted;
}

/* Log records to delete for the store to fit r's cap, as size_debt counts
 * traces: the excess over the mean bytes per stored item (trace or log
 * record), plus 5%; 0 when under the cap or no record is stored. */
static int64_t log_debt(struct retention *r, uint64_t bytes)
{
	sqlite3_stmt *st;
	int64_t items = 0, logs = 0;
	if (bytes <= r->o.max_disk)
		return 0;
	pthread_mutex_lock(&r->pick);
	/* the traces are counted (a walk of an index: 14% of this thread's
	 * time while the cap deleted) only when there are log records */
	if (sqlite3_prepare_v2(r->rdb,
	                       "SELECT logs, CASE WHEN logs > 0 THEN (SELECT count(*) FROM traces) END"
	                       /* max and min apart: each is then one seek, together a scan */
	                       " FROM (SELECT coalesce((SELECT max(id) FROM logs) - (SELECT min(id) FROM logs) + 1, 0) AS logs)",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		logs = sqlite3_column_int64(st, 0);   /* ids are dense but for deletions: an upper bound */
		items = sqlite3_column_int64(st, 1) + logs;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->pick);
	if (logs <= 0)
		return 0;
	double per = (double)bytes / (double)items, want = (double)(bytes - r->o.max_disk) / per * 1.05;
	return want < 1 ? 1 : want > (double)logs ? logs : (int64_t)want;
}

/* 1 if minute rollup rows past the horizon are left (an idle store: the
 * writer sweeps them only while ingesting); two seeks on the primary keys. */
static int minutes_stale(struct retention *r)
{
	sqlite3_stmt *st;
	int stale = 0;
	pthread_mutex_lock(&r->pick);
	if (sqlite3_prepare_v2(r->rdb, "SELECT EXISTS (SELECT 1 FROM span_rollups WHERE level = 0 AND bucket < ?1)"
	                                " OR EXISTS (SELECT 1 FROM trace_rollups WHERE level = 0 AND bucket < ?1)",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, rollup_sweep_before((int64_t)(text_now_ns() / 1000000000u)));
		stale = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->pick);
	return stale;
}

/* One round of background work; returns the traces and rows deleted. */
static int64_t round_once(struct retention *r, int *since_reclaim)
{
	char err[320];
	int64_t n = 0;
	if (r->o.days > 0) {
		int64_t cutoff = (int64_t)text_now_ns() - r->o.days * DAY_NS, pruned = cutoff;
		if (delete_batch(r, PICK_AGE, NULL, cutoff, &n, err, sizeof err))
			fprintf(stderr, "tracelite: retention: %s\n", err);
		if (!n && !paced_exec(r, prune_task, &pruned, 0, err, sizeof err))
			n = pruned;
		if (!n)
			n = prune_logs(r, cutoff, LOG_PRUNE_MAX, "age");
	} else if (minutes_stale(r)) {
		int64_t pruned = 0;   /* no cutoff: the horizon only */
		if (paced_exec(r, prune_task, &pruned, 0, err, sizeof err))
			fprintf(stderr, "tracelite: retention: %s\n", err);
		else
			n = pruned;
	}
	pthread_mutex_lock(&r->lock);
	uint64_t bytes = r->st.dir_bytes;
	if (r->dirty)
		(*since_reclaim)++;
	r->dirty = 0;
	pthread_mutex_unlock(&r->lock);
	if (!n && r->o.max_disk && (bytes > r->o.max_disk || r->size_debt > 0)) {
		/* the size only drops once pages are given back, so delete about
		 * what the excess holds (by the mean trace size) and then reclaim */
		if (r->size_debt <= 0)
			r->size_debt = size_debt(r);
		if (r->size_debt > 0 && delete_batch(r, PICK_OLDEST, NULL, 0, &n, err, sizeof err))
			fprintf(stderr, "tracelite: retention: %s\n", err);
		r->size_debt -= n;
		if (!n || r->size_debt <= 0) {
			r->size_debt = 0;
			*since_reclaim = RECLAIM_EVERY;
		}
		/* log records too, oldest first, then measure again */
		int64_t logs = prune_logs(r, 0, log_debt(r, bytes), "disk");
		if (logs)
			*since_reclaim = RECLAIM_EVERY;
		n += logs;
	}
	if (n)
		(*since_reclaim)++;
	if (*since_reclaim && (!n || *since_reclaim >= RECLAIM_EVERY)) {
		reclaim(r);
		*since_reclaim = 0;
	}
	return n;
}

static void *retention_main(void *arg)
{
	struct retention *r = arg;
	int since_reclaim = 0;
	pthread_mutex_lock(&r->lock);
	while (!r->stopping) {
		pthread_mutex_unlock(&r->lock);
		watch_disk(r);
		int64_t n = round_once(r, &since_reclaim);
		pthread_mutex_lock(&r->lock);
		if (r->stopping)
			break;
		/* busy: go on (each task was already followed by a pause) */
		int64_t ms = n ? 1 : r->poll_ms;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)ms * 1000000ull;
		until.tv_sec += (time_t)(ns / 1000000000ull);
		until.tv_nsec = (long)(ns % 1000000000ull);
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct retention *retention_start(const char *dir, struct writer *w, const struct retention_opts *o,
                                  const struct retention_hooks *hooks, char *err, size_t errlen)
{
	struct retention *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	r->w = w;
	r->o = *o;
	if (hooks)
		r->hooks = *hooks;
	r->poll_ms = (int)env_i64("TRACELITE_RETENTION_POLL_MS", 10, 600000, POLL_MS_DEFAULT);
	r->target = 16;
	if (store_open_reader(dir, &r->rdb, err, errlen)) {
		free(r);
		return NULL;
	}
	if (o->days > 0 || o->max_disk) {
		int ran = 0;
		int64_t t0 = mono_ms();
		if (writer_exec(w, auto_vacuum_task, &ran, WRITER_TASK_NO_TXN, err, errlen)) {
			sqlite3_close_v2(r->rdb);
			free(r);
			return NULL;
		}
		if (ran)
			fprintf(stderr, "tracelite: retention: switched the store to incremental vacuum (one-time VACUUM, %lld ms)\n",
			        (long long)(mono_ms() - t0));
	}
	pthread_mutex_init(&r->pick, NULL);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	watch_disk(r);
	if (pthread_create(&r->thread, NULL, retention_main, r))
		abort();
	pthread_setname_np(r->thread, "tl-retention");
	return r;
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	sqlite3_close_v2(r->rdb);
	pthread_mutex_destroy(&r->pick);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}

enum err retention_delete(struct retention *r, const struct retention_filter *f, int64_t *deleted, char *err,
                          size_t errlen)
{
	int64_t n;
	enum err rc = ERR_OK;
	*deleted = 0;
	if (!f->trace_id && !f->user_id && !f->session_id && !f->project)
		return err_set(err, errlen, ERR_BAD_INPUT, "no filter: name a trace id, user_id, session_id or project");
	do {
		rc = delete_batch(r, PICK_FILTER, f, 0, &n, err, errlen);
		*deleted += n;
	} while (!rc && n > 0);
	if (*deleted) {
		pthread_mutex_lock(&r->lock);
		r->dirty = 1;
		pthread_cond_signal(&r->wake); /* the thread reclaims the space */
		pthread_mutex_unlock(&r->lock);
	}
	return rc;
}

void retention_status(struct retention *r, struct retention_status *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	pthread_mutex_unlock(&r->lock);
}
