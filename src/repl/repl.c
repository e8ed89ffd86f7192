/* repl.c: replication threads (one per target), their checkpoints,
 * retries with exponential backoff and jitter, status for the API, and the
 * one-pass replication behind `tracelite replicate --once` (cmd/replicate.c). Checkpoints live in their own SQLite file,
 * data/replication.db, so recording one never takes the store's write lock
 * from the ingest writer. */
#include "repl/repl.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "base/env.h"
#include "base/err.h"
#include "base/log.h"
#include "base/json.h"
#include "base/text.h"
#include "query/query.h"
#include "repl/repl_rows.h"
#include "repl/repl_sink.h"
#include "repl/repl_target.h"
#include "base/rng.h"
#include "store/preview.h"
#include "store/store.h"

#define BATCH_SPANS 5000       /* spans (and trace or score changes) per batch */
#define POLL_MS 200            /* how often an idle target looks for changes */
#define BACKOFF_BASE_MS 250
#define BACKOFF_MAX_MS 30000   /* TRACELITE_REPLICATE_BACKOFF_MAX_MS overrides */
#define LAG_SAMPLES 64
#define DELETIONS_PER_CYCLE 1000  /* deleted traces sent per cycle at most */
#define ONCE_ATTEMPTS 5       /* failed cycles in a row before replicate --once gives up */

struct tgt {
	struct repl_target target;
	struct repl_sink *sink;
	char data_dir[4096];
	sqlite3 *db, *cpdb;        /* store (read-only); checkpoints (NULL for --once) */
	pthread_t thread;
	volatile int stop;
	int schema_ready, backoff_max_ms;
	struct rng rng;
	pthread_mutex_t lock;      /* guards what follows, read by the API */
	pthread_cond_t wake;
	const char *state;
	struct repl_cursor cur;
	int64_t sent[REPL_NTABLES], refused, retries, lag_spans;
	uint64_t last_error_ns, last_success_ns, lag_checked_ns;
	char last_error[512];
	struct {
		int64_t chunk;
		uint64_t ns;           /* when the thread first saw chunks up to chunk */
	} samples[LAG_SAMPLES];
	int nsamples;
};

struct repl {
	struct tgt *t;
	int n;
};

static void fail(struct tgt *t, const char *what, const char *err)
{
	pthread_mutex_lock(&t->lock);
	snprintf(t->last_error, sizeof t->last_error, "%s: %s", what, err);
	t->last_error_ns = text_now_ns();
	t->state = "retrying";
	pthread_mutex_unlock(&t->lock);
	log_write(LOGL_WARN, "replicate", (const char *const[]){"target", t->target.display, NULL}, "replicate %s: %s: %s",
	          t->target.display, what, err);
}

/* ---------- checkpoints ---------- */

/* The targets' threads start together and each opens replication.db: on
 * a new file one thread's switch to WAL could meet another's open and fail
 * with "database is locked" at once, the busy timeout not applying (seen in
 * a CI run: that target then kept no checkpoints and resent everything
 * after a restart). The opens of one process go one at a time. */
static pthread_mutex_t checkpoint_open_lock = PTHREAD_MUTEX_INITIALIZER;

static int checkpoint_open_locked(struct tgt *t, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/replication.db", t->data_dir);
	if (sqlite3_open_v2(path, &t->cpdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) ||
	    sqlite3_busy_timeout(t->cpdb, 5000) ||
	    sqlite3_exec(t->cpdb,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                 "CREATE TABLE IF NOT EXISTS checkpoints (target TEXT PRIMARY KEY, chunk INTEGER NOT NULL,"
	                 " trace_seq INTEGER NOT NULL, score_seq INTEGER NOT NULL, project_key INTEGER NOT NULL,"
	                 " updated_ns INTEGER NOT NULL)",
	                 NULL, NULL, NULL)) {
		err_set(err, errlen, ERR_STORE, "%s: %s", path, sqlite3_errmsg(t->cpdb));
		sqlite3_close_v2(t->cpdb);
		t->cpdb = NULL;
		return ERR_STORE;
	}
	/* added with schema/006_deletions.sql and log replication; fail harmlessly once there */
	sqlite3_exec(t->cpdb, "ALTER TABLE checkpoints ADD COLUMN deletion_seq INTEGER NOT NULL DEFAULT 0", NULL, NULL,
	             NULL);
	sqlite3_exec(t->cpdb, "ALTER TABLE checkpoints ADD COLUMN log_chunk INTEGER NOT NULL DEFAULT 0", NULL, NULL, NULL);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(t->cpdb,
	                       "SELECT chunk, trace_seq, score_seq, project_key, deletion_seq, log_chunk FROM checkpoints"
	                       " WHERE target = ?",
	                       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, t->target.display, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			t->cur.chunk = sqlite3_column_int64(st, 0);
			t->cur.trace_seq = sqlite3_column_int64(st, 1);
			t->cur.score_seq = sqlite3_column_int64(st, 2);
			t->cur.project_key = sqlite3_column_int64(st, 3);
			t->cur.deletion_seq = sqlite3_column_int64(st, 4);
			t->cur.log_chunk = sqlite3_column_int64(st, 5);
		}
	}
	sqlite3_finalize(st);
	return ERR_OK;
}

static int checkpoint_open(struct tgt *t, char *err, size_t errlen)
{
	pthread_mutex_lock(&checkpoint_open_lock);
	int rc = checkpoint_open_locked(t, err, errlen);
	pthread_mutex_unlock(&checkpoint_open_lock);
	return rc;
}

static int checkpoint_save(struct tgt *t, const struct repl_cursor *c)
{
	sqlite3_stmt *st;
	if (!t->cpdb)
		return ERR_OK;
	if (sqlite3_prepare_v2(t->cpdb,
	                       "INSERT OR REPLACE INTO checkpoints (target, chunk, trace_seq, score_seq, project_key,"
	                       " updated_ns, deletion_seq, log_chunk) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL))
		return ERR_STORE;
	sqlite3_bind_text(st, 1, t->target.display, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->chunk);
	sqlite3_bind_int64(st, 3, c->trace_seq);
	sqlite3_bind_int64(st, 4, c->score_seq);
	sqlite3_bind_int64(st, 5, c->project_key);
	sqlite3_bind_int64(st, 6, (int64_t)text_now_ns());
	sqlite3_bind_int64(st, 7, c->deletion_seq);
	sqlite3_bind_int64(st, 8, c->log_chunk);
	int rc = sqlite3_step(st) == SQLITE_DONE ? ERR_OK : ERR_STORE;
	sqlite3_finalize(st);
	return rc;
}

/* ---------- lag ---------- */

/* Remembers when chunks up to chunk_max were first seen (lag in seconds is
 * the age of the oldest sighting not yet sent). Called with t->lock held. */
static void lag_note(struct tgt *t, int64_t chunk_max)
{
	uint64_t now = text_now_ns();
	int keep = 0;
	for (int i = 0; i < t->nsamples; i++)
		if (t->samples[i].chunk > t->cur.chunk)
			t->samples[keep++] = t->samples[i];
	t->nsamples = keep;
	if (chunk_max <= t->cur.chunk || (keep && t->samples[keep - 1].chunk >= chunk_max))
		return;
	if (keep == LAG_SAMPLES)
		t->samples[keep - 1].chunk = chunk_max;   /* full: widen the newest sample */
	else {
		t->samples[keep].chunk = chunk_max;
		t->samples[keep].ns = now;
		t->nsamples++;
	}
}

/* ---------- one batch ---------- */

static void log_refused(struct tgt *t, enum repl_table tb, const cJSON *row, const char *err)
{
	const char *a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, tb == REPL_SPANS ? "trace_id" :
	                                                                           tb == REPL_TRACES ? "trace_id" : "id"));
	const char *b = tb == REPL_SPANS ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "span_id")) : NULL;
	log_write(LOGL_WARN, "replicate", (const char *const[]){"target", t->target.display, NULL},
	          "replicate %s: %s row %s%s%s refused, skipped: %s", t->target.display,
	        repl_table_name(tb), a ? a : "?", b ? "/" : "", b ? b : "", err);
	pthread_mutex_lock(&t->lock);
	t->refused++;
	snprintf(t->last_error, sizeof t->last_error, "%s row %s%s%s refused: %s", repl_table_name(tb), a ? a : "?",
	         b ? "/" : "", b ? b : "", err);
	t->last_error_ns = text_now_ns();
	pthread_mutex_unlock(&t->lock);
}

/* Sends one table's rows: a missing table is created again, and a batch
 * the target refuses is sent again row by row so only the bad rows are
 * skipped (logged and counted). Returns REPL_SENT or REPL_DOWN. */
static enum repl_result send_table(struct tgt *t, enum repl_table tb, cJSON *rows, char *err, size_t errlen)
{
	struct repl_sink *s = t->sink;
	enum repl_result rc = s->send(s->ctx, tb, rows, err, errlen);
	if (rc == REPL_NO_SCHEMA) {
		log_write(LOGL_WARN, "replicate", (const char *const[]){"target", t->target.display, NULL},
		          "replicate %s: %s; creating the tables again", t->target.display, err);
		rc = s->ensure_schema(s->ctx, err, errlen);
		if (rc == REPL_SENT)
			rc = s->send(s->ctx, tb, rows, err, errlen);
	}
	if (rc != REPL_REFUSED)
		return rc == REPL_SENT ? REPL_SENT : REPL_DOWN;
	if (cJSON_GetArraySize(rows) == 1) {
		log_refused(t, tb, rows->child, err);
		return REPL_SENT;
	}
	for (cJSON *row = rows->child; row; row = row->next) {
		cJSON *one = cJSON_CreateArray();
		cJSON_AddItemReferenceToArray(one, row);
		rc = s->send(s->ctx, tb, one, err, errlen);
		cJSON_Delete(one);
		if (rc == REPL_REFUSED)
			log_refused(t, tb, row, err);
		else if (rc != REPL_SENT)
			return REPL_DOWN;
	}
	return REPL_SENT;
}

/* Reads and sends one batch after the checkpoint, then records the new
 * checkpoint. Returns the rows sent (0 = caught up) or -1 to retry later. */
static int cycle(struct tgt *t)
{
	char err[512];
	struct repl_sink *s = t->sink;
	if (!t->schema_ready) {
		if (s->ensure_schema(s->ctx, err, sizeof err) != REPL_SENT) {
			fail(t, "creating tables", err);
			return -1;
		}
		t->schema_ready = 1;
	}
	struct repl_batch b;
	if (repl_rows_read(t->db, &t->cur, BATCH_SPANS, &b)) {
		fail(t, "reading the store", sqlite3_errmsg(t->db));
		return -1;
	}
	if (b.chunk_max < t->cur.chunk || b.log_chunk_max < t->cur.log_chunk) {
		/* the store is older than the checkpoint (replaced): start over */
		log_write(LOGL_WARN, "replicate", (const char *const[]){"target", t->target.display, NULL},
		          "replicate %s: checkpoint is past the store; sending everything again",
		        t->target.display);
		repl_batch_free(&b);
		memset(&t->cur, 0, sizeof t->cur);
		return 1;
	}
	pthread_mutex_lock(&t->lock);
	lag_note(t, b.chunk_max);
	pthread_mutex_unlock(&t->lock);
	int n = repl_batch_rows(&b);
	for (int tb = 0; tb < REPL_NTABLES && n; tb++) {
		if (!cJSON_GetArraySize(b.rows[tb]))
			continue;
		if (send_table(t, tb, b.rows[tb], err, sizeof err) != REPL_SENT) {
			fail(t, repl_table_name(tb), err);
			repl_batch_free(&b);
			return -1;
		}
	}
	/* deletions read after the rows were sent, so a trace deleted while
	 * its rows were on the way is deleted on the target after they land */
	cJSON *gone = NULL;
	b.next.deletion_seq = t->cur.deletion_seq;
	if (repl_rows_deletions(t->db, t->cur.deletion_seq, DELETIONS_PER_CYCLE, &gone, &b.next.deletion_seq)) {
		fail(t, "reading deletions", sqlite3_errmsg(t->db));
		cJSON_Delete(gone);
		repl_batch_free(&b);
		return -1;
	}
	if (cJSON_GetArraySize(gone) && s->delete_traces(s->ctx, gone, err, sizeof err) != REPL_SENT) {
		fail(t, "deleting traces", err);
		cJSON_Delete(gone);
		repl_batch_free(&b);
		return -1;
	}
	cJSON_Delete(gone);
	n += b.next.deletion_seq > t->cur.deletion_seq;
	if (n && checkpoint_save(t, &b.next)) {
		fail(t, "saving the checkpoint", sqlite3_errmsg(t->cpdb));
		repl_batch_free(&b);
		return -1;
	}
	uint64_t now = text_now_ns();
	int check_lag = n && now - t->lag_checked_ns > 1000000000ull;
	int64_t lag = 0;
	if (check_lag)
		repl_rows_spans_after(t->db, b.next.chunk, &lag); /* -1 when unknown */
	pthread_mutex_lock(&t->lock);
	t->cur = b.next;
	for (int tb = 0; tb < REPL_NTABLES; tb++)
		t->sent[tb] += cJSON_GetArraySize(b.rows[tb]);
	t->last_success_ns = now;
	t->state = n ? "replicating" : "caught_up";
	if (!n || check_lag) {
		t->lag_spans = n ? lag : 0;
		t->lag_checked_ns = now;
	}
	lag_note(t, b.chunk_max);
	pthread_mutex_unlock(&t->lock);
	repl_batch_free(&b);
	return n;
}

/* Exponential backoff with jitter: a random delay in [d/2, d], where d
 * doubles from BACKOFF_BASE_MS per failed attempt up to the maximum. */
static int backoff_ms(struct tgt *t, int64_t attempt)
{
	int64_t d = BACKOFF_BASE_MS;
	for (int64_t i = 0; i < attempt && d < t->backoff_max_ms; i++)
		d *= 2;
	if (d > t->backoff_max_ms)
		d = t->backoff_max_ms;
	return (int)(d / 2 + (int64_t)(rng_next(&t->rng) % (uint64_t)(d / 2 + 1)));
}

/* Sleeps ms unless stopped first. */
static void pause_ms(struct tgt *t, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	while (!t->stop && pthread_cond_timedwait(&t->wake, &t->lock, &until) == 0)
		;
	pthread_mutex_unlock(&t->lock);
}

/* Opens the store; returns 0, or -1 with the failure recorded. */
static int open_store(struct tgt *t)
{
	char err[512];
	if (t->db)
		return 0;
	if (store_open_reader(t->data_dir, &t->db, err, sizeof err)) {
		fail(t, "opening the store", err);
		return -1;
	}
	return 0;
}

/* While a target is failing, keeps lag_spans current (once a second). */
static void refresh_lag(struct tgt *t)
{
	uint64_t now = text_now_ns();
	if (!t->db || now - t->lag_checked_ns < 1000000000ull)
		return;
	int64_t lag;
	int rc = repl_rows_spans_after(t->db, t->cur.chunk, &lag);
	pthread_mutex_lock(&t->lock);
	if (!rc)
		t->lag_spans = lag;
	t->lag_checked_ns = now;
	pthread_mutex_unlock(&t->lock);
}

static void *target_main(void *arg)
{
	struct tgt *t = arg;
	char err[512];
	if (checkpoint_open(t, err, sizeof err))
		fail(t, "checkpoints", err);   /* replicates anyway, from the start each run */
	while (!t->stop) {
		int n = open_store(t) ? -1 : cycle(t);
		if (n < 0) {
			refresh_lag(t);
			pthread_mutex_lock(&t->lock);
			int64_t attempt = t->retries++;
			pthread_mutex_unlock(&t->lock);
			pause_ms(t, backoff_ms(t, attempt));
			continue;
		}
		pthread_mutex_lock(&t->lock);
		t->retries = 0;
		pthread_mutex_unlock(&t->lock);
		if (n == 0)
			pause_ms(t, POLL_MS);
	}
	return NULL;
}

static void tgt_init(struct tgt *t, const char *data_dir, const char *url)
{
	char err[512];
	memset(t, 0, sizeof *t);
	repl_target_parse(url, &t->target, err, sizeof err);   /* checked by the caller */
	snprintf(t->data_dir, sizeof t->data_dir, "%s", data_dir);
	t->sink = t->target.kind == REPL_CLICKHOUSE ? repl_ch_open(&t->target, &t->stop)
	                                            : repl_pg_open(&t->target, &t->stop);
	t->state = "starting";
	t->backoff_max_ms = (int)env_i64("TRACELITE_REPLICATE_BACKOFF_MAX_MS", BACKOFF_BASE_MS, 3600000, BACKOFF_MAX_MS);
	rng_seed_random(&t->rng);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
}

static void tgt_free(struct tgt *t)
{
	t->sink->close(t->sink->ctx);
	preview_release(t->db);   /* tl_preview's reader, or the connection never closes */
	sqlite3_close_v2(t->db);
	sqlite3_close_v2(t->cpdb);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
}

struct repl *repl_start(const char *data_dir, const char (*urls)[2048], int n)
{
	if (n <= 0)
		return NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct repl *r = calloc(1, sizeof *r);
	if (!r || !(r->t = calloc((size_t)n, sizeof *r->t)))
		abort();
	r->n = n;
	for (int i = 0; i < n; i++) {
		tgt_init(&r->t[i], data_dir, urls[i]);
		if (pthread_create(&r->t[i].thread, NULL, target_main, &r->t[i]))
			abort();
		pthread_setname_np(r->t[i].thread, "tl-replicate");
	}
	return r;
}

void repl_stop(struct repl *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->n; i++) {
		pthread_mutex_lock(&r->t[i].lock);
		r->t[i].stop = 1;
		pthread_cond_broadcast(&r->t[i].wake);
		pthread_mutex_unlock(&r->t[i].lock);
	}
	for (int i = 0; i < r->n; i++) {
		pthread_join(r->t[i].thread, NULL);
		tgt_free(&r->t[i]);
	}
	free(r->t);
	free(r);
	curl_global_cleanup();
}

/* Exact: cJSON keeps numbers as doubles. */
static cJSON *json_int(int64_t v)
{
	char buf[JSON_INT_MAX];
	json_i64_fmt(buf, v);
	return cJSON_CreateRaw(buf);
}

static void add_time(cJSON *o, const char *key, uint64_t ns)
{
	if (ns)
		query_add_iso(o, key, ns);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *tgt_json(struct tgt *t)
{
	cJSON *o = cJSON_CreateObject();
	pthread_mutex_lock(&t->lock);
	uint64_t now = text_now_ns();
	lag_note(t, 0);   /* drops sightings already sent */
	double lag_s = t->nsamples ? (double)(now - t->samples[0].ns) / 1e9 : 0;
	cJSON_AddStringToObject(o, "target", t->target.display);
	cJSON_AddStringToObject(o, "type", t->target.kind == REPL_CLICKHOUSE ? "clickhouse" : "postgres");
	cJSON_AddStringToObject(o, "state", t->state);
	cJSON *last = cJSON_AddObjectToObject(o, "last_sent");
	cJSON_AddItemToObject(last, "chunk", json_int(t->cur.chunk));
	cJSON_AddItemToObject(last, "trace_seq", json_int(t->cur.trace_seq));
	cJSON_AddItemToObject(last, "score_seq", json_int(t->cur.score_seq));
	cJSON_AddItemToObject(last, "project_key", json_int(t->cur.project_key));
	cJSON_AddItemToObject(last, "log_chunk", json_int(t->cur.log_chunk));
	cJSON *sent = cJSON_AddObjectToObject(o, "sent");
	for (int tb = 0; tb < REPL_NTABLES; tb++)
		cJSON_AddItemToObject(sent, repl_table_name(tb), json_int(t->sent[tb]));
	cJSON_AddItemToObject(o, "refused_rows", json_int(t->refused));
	cJSON_AddItemToObject(o, "lag_spans", json_int(t->nsamples ? t->lag_spans : 0));
	cJSON_AddNumberToObject(o, "lag_seconds", (double)(int64_t)(lag_s * 1000) / 1000);
	cJSON_AddItemToObject(o, "retries", json_int(t->retries));
	if (t->last_error_ns)
		cJSON_AddStringToObject(o, "last_error", t->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	add_time(o, "last_error_time", t->last_error_ns);
	add_time(o, "last_success_time", t->last_success_ns);
	pthread_mutex_unlock(&t->lock);
	return o;
}

cJSON *repl_status_json(struct repl *r)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "targets");
	for (int i = 0; r && i < r->n; i++)
		cJSON_AddItemToArray(a, tgt_json(&r->t[i]));
	return o;
}

/* ---------- one pass (tracelite replicate --once) ---------- */

enum err repl_once(const char *data_dir, const char *url, struct repl_once_stats *st, char *err, size_t errlen)
{
	char path[4200];
	struct stat sb;
	sqlite3 *w;
	memset(st, 0, sizeof *st);
	snprintf(path, sizeof path, "%s/tracelite.db", data_dir);
	if (stat(path, &sb) != 0)
		return err_set(err, errlen, ERR_NOT_FOUND, "no store at %s", path);
	if (store_open_writer(data_dir, &w, err, errlen))   /* applies pending migrations */
		return ERR_STORE;
	sqlite3_close_v2(w);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct tgt t;
	tgt_init(&t, data_dir, url);
	uint64_t start = text_now_ns();
	int rc = ERR_OK, n;
	while ((n = open_store(&t) ? -1 : cycle(&t)) != 0) {
		if (n > 0) {
			t.retries = 0;
			continue;
		}
		if (++t.retries > ONCE_ATTEMPTS) {
			rc = err_set(err, errlen, ERR_BUSY, "giving up after %lld attempts: %s", (long long)t.retries,
			             t.last_error);
			break;
		}
		pause_ms(&t, backoff_ms(&t, t.retries));
	}
	st->seconds = (double)(text_now_ns() - start) / 1e9;
	st->spans = t.sent[REPL_SPANS];
	st->traces = t.sent[REPL_TRACES];
	st->scores = t.sent[REPL_SCORES];
	st->projects = t.sent[REPL_PROJECTS];
	st->logs = t.sent[REPL_LOGS];
	st->refused = t.refused;
	tgt_free(&t);
	curl_global_cleanup();
	return rc;
}
