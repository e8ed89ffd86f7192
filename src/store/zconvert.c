/* zconvert.c: the background recompression of chunks stored before the
 * dictionary (zconvert.h). The thread reads ZCONVERT_CHUNKS chunks after
 * zdicts.converted on a read-only connection, recompresses those whose frame
 * names no dictionary in this thread (not the writer's), then one writer
 * task swaps each in with UPDATE ... WHERE data = the bytes read (a chunk a
 * deletion rewrote meanwhile is left alone) and moves converted on. */
#include "store/zconvert.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/log.h"
#include "base/worker.h"
#include "store/record.h"
#include "store/store.h"
#include "store/zdict.h"

struct zconvert {
	struct writer *w;
	char *dir;
	struct worker thread;
};

/* One task's chunks: old[i] as read, new[i] recompressed (malloc'd). */
struct swap {
	int64_t dict, upto;
	size_t n;
	int64_t id[ZCONVERT_CHUNKS];
	void *old[ZCONVERT_CHUNKS], *new[ZCONVERT_CHUNKS];
	size_t oldlen[ZCONVERT_CHUNKS], newlen[ZCONVERT_CHUNKS];
	int64_t swapped;   /* rows changed by the task */
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
	sqlite3_stmt *up = NULL, *mark = NULL;
	enum err rc = ERR_OK;
	s->swapped = 0;
	if (sqlite3_prepare_v2(db, "UPDATE chunks SET data = ?1 WHERE id = ?2 AND data = ?3", -1, &up, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE zdicts SET converted = ?1 WHERE id = ?2 AND converted < ?1", -1, &mark,
	                       NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "zconvert: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		sqlite3_bind_blob(up, 1, s->new[i], (int)s->newlen[i], SQLITE_STATIC);
		sqlite3_bind_int64(up, 2, s->id[i]);
		sqlite3_bind_blob(up, 3, s->old[i], (int)s->oldlen[i], SQLITE_STATIC);
		if (sqlite3_step(up) != SQLITE_DONE) {
			rc = err_set(err, errlen, ERR_STORE, "zconvert: chunk %lld: %s", (long long)s->id[i],
			             sqlite3_errmsg(db));
			goto out;
		}
		s->swapped += sqlite3_changes(db);
		sqlite3_reset(up);
	}
	sqlite3_bind_int64(mark, 1, s->upto);
	sqlite3_bind_int64(mark, 2, s->dict);
	if (sqlite3_step(mark) != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "zconvert: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(up);
	sqlite3_finalize(mark);
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
		if (record_chunk_recompress(data, len, d, &out, &outlen))
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
	sqlite3_close_v2(rd);
	return NULL;
}

struct zconvert *zconvert_start(struct writer *w, const char *dir, char *err, size_t errlen)
{
	struct zconvert *c = calloc(1, sizeof *c);
	if (!c || !(c->dir = strdup(dir)))
		abort();
	c->w = w;
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
