/* zconvert.c: the background recompression of chunks (zconvert.h): of
 * those stored before the dictionary, then at idle time the format
 * conversion (zformat.c's steps) and the compaction. The
 * thread reads a few chunks after its progress mark on a read-only
 * connection, recompresses them in this thread (not the writer's), then one
 * writer task swaps each in with UPDATE ... WHERE data = the bytes read (a
 * chunk a deletion rewrote meanwhile is left alone) and moves the mark on. */
#include "store/zconvert.h"
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <assert.h>
#include "base/arena.h"
#include "base/env.h"
#include "base/log.h"
#include "base/text.h"
#include "base/worker.h"
#include "store/record.h"
#include "store/store.h"
#include "store/zdict.h"
#include "store/zformat.h"

#define ZCONVERT_VACUUM_PAGES "16"   /* free pages moved per compaction task at most */

struct zconvert {
	struct writer *w;
	char *dir;
	int level;        /* compaction level, 0 = none */
	long idle_ms;     /* ingest idle this long before compacting */
	long fmt_pause_ms;   /* between two format conversion steps (tests: a kill lands midway) */
	int reformat;     /* convert format-1 chunks (zformat_enabled) */
	int64_t written_from;   /* the newest chunk when the thread started: the later ones are format 2 */
	/* the compaction's own dictionary (schema/029): trained from dict_samples
	 * bytes of the first chunks' spans (0 = never), dict_bytes at most */
	size_t dict_samples, dict_bytes;
	const struct zdict *dict;   /* NULL: each chunk is recompressed with its own */
	int64_t dict_looked;        /* the newest chunk when samples last ran short */
	int dict_failed;            /* training failed: not tried again in this process */
	struct worker thread;
};

/* One task's chunks: old[i] as read, new[i] recompressed (malloc'd; NULL:
 * left as it is). again: the chunks come from zcompact_again (schema/026),
 * whose entries the task removes. */
struct swap {
	int again;
	int64_t dict, upto;
	size_t n;
	int64_t id[ZCONVERT_CHUNKS];
	void *old[ZCONVERT_CHUNKS], *new[ZCONVERT_CHUNKS];
	size_t oldlen[ZCONVERT_CHUNKS], newlen[ZCONVERT_CHUNKS];
	int64_t swapped;   /* rows changed by the task */
	int level;         /* 0: the dictionary conversion; else the compaction at this level */
	int64_t before, after;   /* bytes of the chunks swapped (compaction) */
};

static void swap_free(struct swap *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->old[i]);
		free(s->new[i]);
	}
	s->n = 0;
}

static enum err swap_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	struct swap *s = arg;
	sqlite3_stmt *up = NULL, *mark = NULL, *drop = NULL;
	enum err rc = ERR_OK;
	s->swapped = 0;
	s->before = s->after = 0;
	if (sqlite3_prepare_v2(db, "UPDATE chunks SET data = ?1 WHERE id = ?2 AND data = ?3", -1, &up, NULL) ||
	    sqlite3_prepare_v2(db,
	                       s->level ? "UPDATE zcompact SET upto = max(upto, ?1), level = ?2, chunks = chunks + ?3,"
	                                  " bytes_before = bytes_before + ?4, bytes_after = bytes_after + ?5"
	                                  " WHERE id = 1"
	                                : "UPDATE zdicts SET converted = ?1 WHERE id = ?2 AND converted < ?1",
	                       -1, &mark, NULL) ||
	    /* an entry goes once its chunk is gone or still holds what was read
	     * (a deletion that rewrote it since listed it for a later batch) */
	    (s->again && sqlite3_prepare_v2(db,
	                                    "DELETE FROM zcompact_again WHERE chunk = ?1"
	                                    " AND coalesce((SELECT data FROM chunks WHERE id = ?1) = ?2, 1)",
	                                    -1, &drop, NULL))) {
		rc = err_set(err, errlen, ERR_STORE, "zconvert: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (drop) {
			sqlite3_bind_int64(drop, 1, s->id[i]);
			sqlite3_bind_blob(drop, 2, s->old[i], (int)s->oldlen[i], SQLITE_STATIC);
			int done = sqlite3_step(drop) == SQLITE_DONE;
			sqlite3_reset(drop);
			if (!done) {
				rc = err_set(err, errlen, ERR_STORE, "compaction: %s", sqlite3_errmsg(db));
				goto out;
			}
		}
		if (!s->new[i])
			continue;
		sqlite3_bind_blob(up, 1, s->new[i], (int)s->newlen[i], SQLITE_STATIC);
		sqlite3_bind_int64(up, 2, s->id[i]);
		sqlite3_bind_blob(up, 3, s->old[i], (int)s->oldlen[i], SQLITE_STATIC);
		if (sqlite3_step(up) != SQLITE_DONE) {
			rc = err_set(err, errlen, ERR_STORE, "zconvert: chunk %lld: %s", (long long)s->id[i],
			             sqlite3_errmsg(db));
			goto out;
		}
		if (sqlite3_changes(db)) {
			s->swapped++;
			s->before += (int64_t)s->oldlen[i];
			s->after += (int64_t)s->newlen[i];
		}
		sqlite3_reset(up);
	}
	sqlite3_bind_int64(mark, 1, s->upto);
	sqlite3_bind_int64(mark, 2, s->level ? s->level : s->dict);
	if (s->level) {
		sqlite3_bind_int64(mark, 3, s->swapped);
		sqlite3_bind_int64(mark, 4, s->before);
		sqlite3_bind_int64(mark, 5, s->after);
	}
	if (sqlite3_step(mark) != SQLITE_DONE) {
		rc = err_set(err, errlen, ERR_STORE, "zconvert: %s", sqlite3_errmsg(db));
		goto out;
	}
	/* the compaction gives the pages it freed back to the disk: a task frees
	 * a few, so moving ZCONVERT_VACUUM_PAGES keeps the free list short */
	if (s->level && sqlite3_exec(db, "PRAGMA incremental_vacuum(" ZCONVERT_VACUUM_PAGES ")", NULL, NULL, NULL))
		rc = err_set(err, errlen, ERR_STORE, "compaction: vacuum: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(up);
	sqlite3_finalize(mark);
	sqlite3_finalize(drop);
	return rc;
}

/* One step: *state 0 = converted a batch, 1 = no dictionary yet, 2 = done. */
static enum err step(struct zconvert *c, sqlite3 *rd, int *state, int64_t *chunks, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct swap s;
	const struct zdict *d;
	int64_t before = 0, converted = 0;
	enum err rc = ERR_OK;
	memset(&s, 0, sizeof s);
	*state = 1;
	if (sqlite3_prepare_v2(rd, "SELECT id, before_chunk, converted FROM zdicts ORDER BY created_ns DESC, id DESC LIMIT 1",
	                       -1, &st, NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "zconvert: %s", sqlite3_errmsg(rd));
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;   /* no dictionary yet */
	s.dict = sqlite3_column_int64(st, 0);
	before = sqlite3_column_int64(st, 1);
	converted = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	st = NULL;
	*state = 2;
	if (converted >= before)
		goto out;
	if (s.dict <= 0 || s.dict > UINT32_MAX || !(d = zdict_find((uint32_t)s.dict))) {
		rc = err_set(err, errlen, ERR_STORE, "zconvert: dictionary %lld does not load", (long long)s.dict);
		goto out;
	}
	*state = 0;
	if (sqlite3_prepare_v2(rd, "SELECT id, data FROM chunks WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3", -1, &st,
	                       NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "zconvert: %s", sqlite3_errmsg(rd));
		goto out;
	}
	sqlite3_bind_int64(st, 1, converted);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, ZCONVERT_CHUNKS);
	s.upto = before;   /* no rows left: the range is done */
	int rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		rows++;
		s.upto = sqlite3_column_int64(st, 0);
		if (!data || record_chunk_dict_id(data, len) != 0)
			continue;   /* written with a dictionary already */
		void *out;
		size_t outlen;
		if (record_chunk_recompress(data, len, d, 0, &out, &outlen))
			continue;   /* corrupt: left as it is, reads report it */
		if (outlen >= len) {
			free(out);
			continue;
		}
		if (!(s.old[s.n] = malloc(len)))
			abort();
		memcpy(s.old[s.n], data, len);
		s.oldlen[s.n] = len;
		s.new[s.n] = out;
		s.newlen[s.n] = outlen;
		s.id[s.n++] = s.upto;
	}
	sqlite3_finalize(st);   /* ends the read transaction before the writer's */
	st = NULL;
	if (rows < ZCONVERT_CHUNKS)
		s.upto = before;
	if ((rc = writer_exec(c->w, swap_task, &s, 0, err, errlen)))
		goto out;
	*chunks += s.swapped;
out:
	sqlite3_finalize(st);
	swap_free(&s);
	return rc;
}

/* The id of the newest chunk on rd, 0 for none (or unreadable). */
static int64_t newest_chunk(sqlite3 *rd)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	if (sqlite3_prepare_v2(rd, "SELECT max(id) FROM chunks", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/* What ingest has done lately: a change in any of these is activity. */
struct activity {
	size_t requests;            /* submitted, not yet answered (writer_queue) */
	int64_t chunk, log_chunk;   /* newest chunks.id, log_chunks.id */
};

/* Fills *a; returns 1 if it differs from *was (then ingest is not idle). */
static int look(struct zconvert *c, sqlite3 *rd, const struct activity *was, struct activity *a)
{
	sqlite3_stmt *st = NULL;
	size_t bytes;
	memset(a, 0, sizeof *a);
	writer_queue(c->w, &a->requests, &bytes);
	if (sqlite3_prepare_v2(rd, "SELECT (SELECT max(id) FROM chunks), (SELECT max(id) FROM log_chunks)", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		a->chunk = sqlite3_column_int64(st, 0);
		a->log_chunk = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return a->requests || a->chunk != was->chunk || a->log_chunk != was->log_chunk;
}

/* Copies the (id, data) rows st gives, ZCONVERT_COMPACT_CHUNKS at most, into
 * ids, data (malloc'd; NULL for a NULL data) and len; returns how many. */
static size_t read_chunks(sqlite3_stmt *st, int64_t *ids, void **data, size_t *len)
{
	size_t rows = 0;
	while (rows < ZCONVERT_COMPACT_CHUNKS && sqlite3_step(st) == SQLITE_ROW) {
		len[rows] = (size_t)sqlite3_column_bytes(st, 1);
		data[rows] = NULL;
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			if (!(data[rows] = malloc(len[rows] ? len[rows] : 1)))
				abort();
			if (len[rows])
				memcpy(data[rows], sqlite3_column_blob(st, 1), len[rows]);
		}
		ids[rows++] = sqlite3_column_int64(st, 0);
	}
	return rows;
}

/* The compaction's dictionary as a row of zcompact_dicts, and the
 * compaction started over from the first chunk, so that every chunk is
 * recompressed with it; in one writer task. */
struct dict_row {
	uint32_t id;
	const void *data;
	size_t len;
	int64_t samples, sample_bytes;
};

static enum err dict_put(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	const struct dict_row *r = arg;
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	/* ids are one space with the ingest dictionaries' (zdicts) */
	if (sqlite3_prepare_v2(db, "INSERT INTO zcompact_dicts (id, created_ns, data, size, samples, sample_bytes)"
	                       " SELECT ?1, ?2, ?3, length(?3), ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM zdicts WHERE id = ?1)",
	                       -1, &st, NULL) ||
	    sqlite3_bind_int64(st, 1, r->id) || sqlite3_bind_int64(st, 2, (int64_t)text_now_ns()) ||
	    sqlite3_bind_blob(st, 3, r->data, (int)r->len, SQLITE_STATIC) || sqlite3_bind_int64(st, 4, r->samples) ||
	    sqlite3_bind_int64(st, 5, r->sample_bytes) || sqlite3_step(st) != SQLITE_DONE) {
		rc = err_set(err, errlen, ERR_STORE, "compaction dictionary: %s", sqlite3_errmsg(db));
		goto out;
	}
	if (!sqlite3_changes(db)) {
		rc = err_set(err, errlen, ERR_STORE, "compaction dictionary: id %u taken", r->id);
		goto out;
	}
	if (sqlite3_exec(db, "UPDATE zcompact SET upto = 0 WHERE id = 1", NULL, NULL, NULL))
		rc = err_set(err, errlen, ERR_STORE, "compaction dictionary: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	return rc;
}

struct dict_save {
	struct zconvert *c;
	const struct zdict_samples *samples;
};

static enum err dict_save(void *ctx, uint32_t id, const void *data, size_t len, char *err, size_t errlen)
{
	const struct dict_save *d = ctx;
	struct dict_row r = {id, data, len, (int64_t)d->samples->n, (int64_t)d->samples->used};
	return writer_exec(d->c->w, dict_put, &r, 0, err, errlen);
}

/* Collects the spans of the chunks up to newest, oldest first, into s
 * until it is full. Returns 1 if full, 0 if the chunks hold too little, or
 * ERR_STORE. */
static int dict_collect(sqlite3 *rd, int64_t newest, struct zdict_samples *s)
{
	sqlite3_stmt *st = NULL;
	int full = 0, step = SQLITE_DONE;
	if (sqlite3_prepare_v2(rd, "SELECT data FROM chunks WHERE id <= ?1 ORDER BY id", -1, &st, NULL))
		return ERR_STORE;
	sqlite3_bind_int64(st, 1, newest);
	while (!full && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct arena *a = arena_new();
		size_t count, *lens;
		const uint8_t **spans, *fields;
		/* a corrupt chunk is left out: reads report it */
		if (record_chunk_entries(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), a, &count, &spans,
		                         &lens, &fields) == ERR_OK)
			for (size_t i = 0; i < count && !full; i++)
				full = zdict_samples_add(s, spans[i], lens[i]);
		arena_free(a);
	}
	sqlite3_finalize(st);
	return full ? 1 : step == SQLITE_ROW || step == SQLITE_DONE ? 0 : ERR_STORE;
}

/* Sets c->dict when it can: the store's compaction dictionary, else one
 * trained from the spans of the first chunks (up to idle->chunk) once they
 * hold c->dict_samples bytes; until then each chunk is recompressed with
 * its own dictionary. Returns ERR_OK (c->dict set or not), ERR_STORE, or
 * ERR_BUSY when the writer is stopping. */
static enum err compact_dict(struct zconvert *c, sqlite3 *rd, const struct activity *idle, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct zdict_samples s;
	enum err rc = ERR_OK;
	if (c->dict || !c->dict_samples || c->dict_failed || c->dict_looked >= idle->chunk)
		return ERR_OK;
	if (sqlite3_prepare_v2(rd, "SELECT id, data FROM zcompact_dicts ORDER BY created_ns DESC, id DESC LIMIT 1", -1,
	                       &st, NULL))
		return err_set(err, errlen, ERR_STORE, "compaction dictionary: %s", sqlite3_errmsg(rd));
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id <= 0 || id > UINT32_MAX ||
		    zdict_register((uint32_t)id, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &c->dict))
			rc = err_set(err, errlen, ERR_STORE, "zcompact_dicts row %lld is not a zstd dictionary", (long long)id);
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	zdict_samples_init(&s, c->dict_samples);
	int full = dict_collect(rd, idle->chunk, &s);
	if (full < 0) {
		rc = err_set(err, errlen, ERR_STORE, "compaction dictionary: %s", sqlite3_errmsg(rd));
	} else if (!full) {
		c->dict_looked = idle->chunk;   /* too few spans yet: looked at again once more chunks come */
	} else {
		uint64_t t0 = text_now_ns();
		struct dict_save ctx = {c, &s};
		if ((rc = zdict_train(&s, c->dict_bytes, dict_save, &ctx, &c->dict, err, errlen))) {
			/* ERR_BUSY from the writer stays; anything else: compacted as before */
			if (rc != ERR_BUSY) {
				log_warn("store", "compaction: zstd dictionary: %s; chunks keep their own", err);
				c->dict_failed = 1;
				rc = ERR_OK;
			}
		} else {
			log_info("store", "compaction: zstd dictionary %u: %zu bytes trained on %zu spans (%zu bytes) in %.2f s;"
			         " every chunk is recompressed with it", zdict_id(c->dict), zdict_size(c->dict), s.n, s.used,
			         (double)(text_now_ns() - t0) / 1e9);
		}
	}
	zdict_samples_free(&s);
	return rc;
}

/* One compaction step over the chunks up to idle->chunk: *state 0 = a batch
 * done, 1 = ingest came back (the batch dropped), 2 = nothing left. */
static enum err compact_step(struct zconvert *c, sqlite3 *rd, const struct activity *idle, int *state,
                             int64_t *chunks, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct swap s;
	struct activity now;
	int64_t upto = 0, ids[ZCONVERT_COMPACT_CHUNKS];
	void *data[ZCONVERT_COMPACT_CHUNKS];
	size_t len[ZCONVERT_COMPACT_CHUNKS], rows = 0;
	enum err rc = ERR_OK;
	memset(&s, 0, sizeof s);
	s.level = c->level;
	*state = 2;
	/* first the chunks a deletion rewrote after the compaction passed them
	 * (schema/026; data NULL: deleted since), then the next ones by id */
	if (sqlite3_prepare_v2(rd,
	                       "SELECT a.chunk, c.data FROM zcompact_again a LEFT JOIN chunks c ON c.id = a.chunk"
	                       " ORDER BY a.chunk LIMIT ?1",
	                       -1, &st, NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "compaction: %s", sqlite3_errmsg(rd));
		goto out;
	}
	sqlite3_bind_int64(st, 1, ZCONVERT_COMPACT_CHUNKS);
	rows = read_chunks(st, ids, data, len);
	sqlite3_finalize(st);
	st = NULL;
	s.again = rows > 0;
	if (!s.again) {
		if (sqlite3_prepare_v2(rd, "SELECT upto FROM zcompact WHERE id = 1", -1, &st, NULL)) {
			rc = err_set(err, errlen, ERR_STORE, "compaction: %s", sqlite3_errmsg(rd));
			goto out;
		}
		if (sqlite3_step(st) == SQLITE_ROW)
			upto = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(rd, "SELECT id, data FROM chunks WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3", -1,
		                       &st, NULL)) {
			rc = err_set(err, errlen, ERR_STORE, "compaction: %s", sqlite3_errmsg(rd));
			goto out;
		}
		sqlite3_bind_int64(st, 1, upto);
		sqlite3_bind_int64(st, 2, idle->chunk);
		sqlite3_bind_int64(st, 3, ZCONVERT_COMPACT_CHUNKS);
		rows = read_chunks(st, ids, data, len);
	}
	sqlite3_finalize(st);   /* ends the read transaction before compressing */
	st = NULL;
	if (!rows)
		goto out;
	*state = 1;
	for (size_t i = 0; i < rows; i++) {
		if (look(c, rd, idle, &now))
			goto out;   /* ingest is back: it has the CPU, the batch is redone later */
		void *out = NULL;
		size_t outlen = 0;
		if (!s.again)
			s.upto = ids[i];
		if (data[i]) {
			unsigned id = record_chunk_dict_id(data[i], len[i]);
			const struct zdict *d = id ? zdict_find(id) : NULL;
			if ((id && !d) || record_chunk_recompress(data[i], len[i], c->dict ? c->dict : d, c->level, &out, &outlen))
				out = NULL;   /* corrupt: left as it is, reads report it */
			else if (outlen >= len[i]) {
				free(out);
				out = NULL;
			}
		}
		if (!out && !s.again)
			continue;
		s.old[s.n] = data[i];
		data[i] = NULL;
		s.oldlen[s.n] = len[i];
		s.new[s.n] = out;
		s.newlen[s.n] = outlen;
		s.id[s.n++] = ids[i];
	}
	if (look(c, rd, idle, &now))
		goto out;
	*state = 0;
	if ((rc = writer_exec(c->w, swap_task, &s, 0, err, errlen)))
		goto out;
	*chunks += s.swapped;
out:
	sqlite3_finalize(st);
	for (size_t i = 0; i < rows; i++)
		free(data[i]);
	swap_free(&s);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* What zformat_step asks between chunks: 1 if ingest is back. */
struct idle_look {
	struct zconvert *c;
	sqlite3 *rd;
	const struct activity *idle;
};

static int ingest_back(void *arg)
{
	struct idle_look *l = arg;
	struct activity now;
	return look(l->c, l->rd, l->idle, &now);
}

/* The idle-time work: waits for ZCONVERT_IDLE_MS without ingest, then
 * converts format-1 chunks to format 2 (zformat.h) and compacts, until
 * ingest comes back or nothing is left; until asked to stop. The thread
 * runs as SCHED_IDLE from here on, so it only gets a core no one else
 * wants. */
static void compact(struct zconvert *c, sqlite3 *rd)
{
	char err[512];
	struct activity was, a;
	struct sched_param none = {0};
	struct idle_look il = {c, rd, &was};
	struct zformat_tally fmt = {0};
	struct zformat_run run = {0};   /* for the process's life: a chunk skipped stays so */
	int64_t chunks = 0, quiet_since = now_ms(), started = 0;
	int state = 2, reported = 1, fmt_left = c->reformat;
	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &none))
		log_info("store", "compaction: SCHED_IDLE refused, runs at normal priority");
	look(c, rd, &(struct activity){0}, &was);
	while (!worker_pause(&c->thread, ZCONVERT_LOOK_MS)) {
		if (look(c, rd, &was, &a)) {
			was = a;
			quiet_since = now_ms();
			fmt_left = c->reformat;   /* new chunks: in format 2, but looked at */
			continue;
		}
		if (now_ms() - quiet_since < c->idle_ms || (!fmt_left && !c->level))
			continue;
		if (!started)
			started = now_ms();
		int dict_tried = 0;
		for (;;) {
			/* the format first: a chunk converted before the compaction
			 * passes it is compressed once at the higher level */
			int converting = fmt_left;
			if (!converting && c->level && !dict_tried) {
				dict_tried = 1;
				enum err drc = compact_dict(c, rd, &was, err, sizeof err);
				if (drc == ERR_BUSY)
					return;   /* the writer is stopping */
				if (drc)
					log_error("store", "%s (compacted without it meanwhile)", err);
			}
			enum err rc = converting ? zformat_step(c->w, rd, c->level, c->written_from, ingest_back, &il, &state, &run,
			                                          &fmt, err, sizeof err)
			                         : compact_step(c, rd, &was, &state, &chunks, err, sizeof err);
			if (rc == ERR_BUSY)
				return;   /* the writer is stopping */
			if (rc) {
				log_error("store", "%s (retried in 10 s)", err);
				if (worker_pause(&c->thread, 10000))
					return;
				break;
			}
			if (converting && state == 2) {
				fmt_left = 0;
				if (c->level)
					continue;
			}
			if (state)
				break;
			reported = 0;
			if (worker_pause(&c->thread, converting ? c->fmt_pause_ms : 0))
				return;
		}
		record_zstd_trim();   /* its context's MBs back while it waits */
		if (state == 1)
			quiet_since = now_ms();   /* ingest is back: wait for idle again */
		else {
			double secs = (double)(now_ms() - started) / 1000;
			if (!reported && (fmt.chunks || fmt.unreadable))
				log_info("store", "format conversion: %lld chunks converted to format 2 (%lld -> %lld bytes),"
				         " %lld unreadable left as they are, in %.1f s", (long long)fmt.chunks, (long long)fmt.before,
				         (long long)fmt.after, (long long)fmt.unreadable, secs);
			if (!reported && chunks)
				log_info("store", "compaction: %lld chunks recompressed at zstd level %d in %.1f s", (long long)chunks,
				         c->level, secs);
			reported = 1;
			chunks = started = 0;   /* an idle period with nothing to do is not timed into the next one's */
			memset(&fmt, 0, sizeof fmt);
		}
	}
}

static void *run(void *arg)
{
	struct zconvert *c = arg;
	char err[512];
	sqlite3 *rd = NULL;
	int64_t chunks = 0;
	int state = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (store_open_reader(c->dir, &rd, err, sizeof err)) {
		log_error("store", "%s", err);
		return NULL;
	}
	c->written_from = newest_chunk(rd);
	for (;;) {
		enum err rc = step(c, rd, &state, &chunks, err, sizeof err);
		if (rc == ERR_BUSY || state == 2)
			break;   /* the writer is stopping, or nothing is left */
		if (rc)
			log_error("store", "%s (retried in 10 s)", err);
		if (worker_pause(&c->thread, rc ? 10000 : state == 1 ? ZCONVERT_WAIT_MS : ZCONVERT_PAUSE_MS))
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (chunks)
		log_info("store", "zstd dictionary: %lld older chunks recompressed in %.1f s%s", (long long)chunks,
		         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		         state == 2 ? ", complete" : ", stopped before the end (resumes at the next start)");
	if (state == 2 && (c->level || c->reformat))
		compact(c, rd);
	sqlite3_close_v2(rd);
	return NULL;
}

struct zconvert *zconvert_start(struct writer *w, const char *dir, int compact_level, char *err, size_t errlen)
{
	struct zconvert *c = calloc(1, sizeof *c);
	if (!c || !(c->dir = strdup(dir)))
		abort();
	assert(compact_level >= 0 && compact_level <= RECORD_LEVEL_MAX);
	c->w = w;
	c->level = compact_level;
	c->reformat = zformat_enabled();
	c->idle_ms = (long)env_i64("TRACELITE_COMPACT_IDLE_MS", 0, 3600000, ZCONVERT_IDLE_MS);   /* tests: a shorter wait */
	c->fmt_pause_ms = (long)env_i64("TRACELITE_FORMAT_PAUSE_MS", 0, 3600000, 0);
	if (zdict_compact_env_sizes(&c->dict_samples, &c->dict_bytes, err, errlen)) {
		free(c->dir);
		free(c);
		return NULL;
	}
	if (worker_start(&c->thread, "tl-zconvert", run, c)) {
		err_set(err, errlen, ERR_STORE, "cannot start the chunk recompression thread");
		free(c->dir);
		free(c);
		return NULL;
	}
	return c;
}

void zconvert_stop(struct zconvert *c)
{
	if (!c)
		return;
	worker_stop(&c->thread);
	free(c->dir);
	free(c);
}
