/* spanrows.c: the writer's span rows of the chunk being written and of
 * the trace being written to (spanrows.h). */
#include "store/spanrows.h"
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "store/spanstab.h"

/* chunks kept decoded in one transaction: a request's traces mostly sit
 * in the last few chunks */
#define KEEP_CHUNKS 32

struct decoded {
	int64_t chunk;             /* -1: empty */
	struct arena *a;
	struct spancols_row *rows;
	size_t n;
	unsigned used;
};

/* a row of the current trace: stored (chunk, its index in the decoded
 * rows) or in the chunk being written (chunk -1, index into cur) */
struct ref {
	int64_t chunk;
	size_t i;
	struct spancols_row row;   /* a copy (its message in r->ta) */
};

struct spanrows {
	sqlite3 *db;
	struct spanstab_stmts rows;   /* chunks' rows, read and written */
	sqlite3_stmt *chunks, *ids;
	struct decoded keep[KEEP_CHUNKS];
	unsigned clock;
	int64_t chunk;             /* the chunk being written */
	struct spancols_row *cur;  /* its rows */
	unsigned char *dead;       /* per row: removed (a newer version came) */
	size_t ncur, curcap;
	int64_t trace;             /* the current trace */
	struct ref *refs;          /* its stored rows, then those of cur */
	size_t nrefs, refcap;
	struct arena *ta;          /* the copies' messages */
};

enum err spanrows_open(sqlite3 *db, struct spanrows **out)
{
	struct spanrows *r = calloc(1, sizeof *r);
	*out = NULL;
	if (!r || !(r->ta = arena_new())) {
		free(r);
		return ERR_STORE;
	}
	r->db = db;
	r->rows.db = db;
	for (int i = 0; i < KEEP_CHUNKS; i++)
		r->keep[i].chunk = -1;
	if (sqlite3_prepare_v3(db, "SELECT chunk FROM trace_chunks WHERE trace = ?1 ORDER BY chunk", -1,
	                       SQLITE_PREPARE_PERSISTENT, &r->chunks, NULL) ||
	    sqlite3_prepare_v3(db, "INSERT OR IGNORE INTO span_ids_new (id_prefix, trace) VALUES (substr(?1, 1, 4), ?2)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &r->ids, NULL)) {
		spanrows_free(r);
		return ERR_STORE;
	}
	*out = r;
	return ERR_OK;
}

void spanrows_free(struct spanrows *r)
{
	if (!r)
		return;
	spanstab_stmts_free(&r->rows);
	sqlite3_finalize(r->chunks);
	sqlite3_finalize(r->ids);
	for (int i = 0; i < KEEP_CHUNKS; i++)
		arena_free(r->keep[i].a);
	arena_free(r->ta);
	free(r->cur);
	free(r->dead);
	free(r->refs);
	free(r);
}

void spanrows_reset(struct spanrows *r)
{
	for (int i = 0; i < KEEP_CHUNKS; i++) {
		r->keep[i].chunk = -1;
		if (r->keep[i].a)
			arena_reset(r->keep[i].a, 256u << 10);
	}
	r->nrefs = r->ncur = 0;
	r->trace = 0;
}

void spanrows_chunk_begin(struct spanrows *r, int64_t chunk)
{
	r->chunk = chunk;
	r->ncur = 0;
	r->nrefs = 0;
	r->trace = 0;
}

/* chunk's rows, decoded now or kept; NULL on error (err set). */
static struct decoded *decode(struct spanrows *r, int64_t chunk, char *err, size_t errlen)
{
	struct decoded *d = NULL;
	r->clock++;
	for (int i = 0; i < KEEP_CHUNKS; i++) {
		if (r->keep[i].chunk == chunk) {
			r->keep[i].used = r->clock;
			return &r->keep[i];
		}
		if (!d || r->keep[i].used < d->used)
			d = &r->keep[i];
	}
	if (!d->a && !(d->a = arena_new())) {
		err_set(err, errlen, ERR_STORE, "out of memory");
		return NULL;
	}
	arena_reset(d->a, 256u << 10);
	d->chunk = -1;
	if (spanstab_chunk_rows(&r->rows, chunk, d->a, &d->rows, &d->n, NULL, err, errlen))
		return NULL;
	d->chunk = chunk;
	d->used = r->clock;
	return d;
}

static int ref_add(struct spanrows *r, int64_t chunk, size_t i, const struct spancols_row *row)
{
	if (r->nrefs == r->refcap) {
		size_t cap = r->refcap ? r->refcap * 2 : 64;
		struct ref *n = realloc(r->refs, cap * sizeof *n);
		if (!n)
			return -1;
		r->refs = n;
		r->refcap = cap;
	}
	struct ref *f = &r->refs[r->nrefs++];
	f->chunk = chunk;
	f->i = i;
	f->row = *row;
	return 0;
}

enum err spanrows_trace(struct spanrows *r, int64_t trace, int stored, char *err, size_t errlen)
{
	enum err rc = ERR_OK;
	r->trace = trace;
	r->nrefs = 0;
	arena_reset(r->ta, 64u << 10);
	if (stored) {
		sqlite3_bind_int64(r->chunks, 1, trace);
		int step;
		while (!rc && (step = sqlite3_step(r->chunks)) == SQLITE_ROW) {
			int64_t chunk = sqlite3_column_int64(r->chunks, 0);
			const struct decoded *d = decode(r, chunk, err, errlen);
			if (!d) {
				rc = ERR_STORE;
				break;
			}
			for (size_t i = 0; i < d->n && !rc; i++) {
				if (d->rows[i].trace != trace)
					continue;
				if (ref_add(r, chunk, i, &d->rows[i]))
					rc = err_set(err, errlen, ERR_STORE, "out of memory");
				else if (d->rows[i].status_message)   /* the decoded chunk may be evicted */
					r->refs[r->nrefs - 1].row.status_message =
						arena_strndup(r->ta, d->rows[i].status_message, d->rows[i].status_message_len);
			}
		}
		if (!rc && step != SQLITE_DONE)
			rc = err_set(err, errlen, ERR_STORE, "trace_chunks: %s", sqlite3_errmsg(r->db));
		sqlite3_reset(r->chunks);
	}
	for (size_t i = 0; i < r->ncur && !rc; i++)
		if (!r->dead[i] && r->cur[i].trace == trace && ref_add(r, -1, i, &r->cur[i]))
			rc = err_set(err, errlen, ERR_STORE, "out of memory");
	return rc;
}

const struct spancols_row *spanrows_find(const struct spanrows *r, const uint8_t span_id[8])
{
	for (size_t i = 0; i < r->nrefs; i++)
		if (memcmp(r->refs[i].row.span_id, span_id, 8) == 0)
			return &r->refs[i].row;
	return NULL;
}

enum err spanrows_remove(struct spanrows *r, const struct spancols_row *row, char *err, size_t errlen)
{
	struct ref *f = (struct ref *)((const char *)row - offsetof(struct ref, row));
	enum err rc = ERR_OK;
	if (f->chunk < 0) {
		r->dead[f->i] = 1;
	} else {
		struct decoded *d = decode(r, f->chunk, err, errlen);
		if (!d)
			return ERR_STORE;
		struct spancols_row *left = arena_alloc(d->a, (d->n ? d->n : 1) * sizeof *left);
		size_t n = 0;
		if (!left)
			return err_set(err, errlen, ERR_STORE, "out of memory");
		for (size_t i = 0; i < d->n; i++)
			if (d->rows[i].trace != r->trace || memcmp(d->rows[i].span_id, row->span_id, 8) != 0)
				left[n++] = d->rows[i];
		if ((rc = spanstab_rewrite_chunk(&r->rows, d->chunk, d->rows, d->n, left, n, err, errlen)))
			return rc;
		d->rows = left;
		d->n = n;
	}
	*f = r->refs[--r->nrefs];
	return ERR_OK;
}

void spanrows_add(struct spanrows *r, const struct spancols_row *row)
{
	if (r->ncur == r->curcap) {
		size_t cap = r->curcap ? r->curcap * 2 : 256;
		struct spancols_row *n = realloc(r->cur, cap * sizeof *n);
		unsigned char *dead = realloc(r->dead, cap);
		if (!n || !dead)
			abort();   /* as the writer's other allocations */
		r->cur = n;
		r->dead = dead;
		r->curcap = cap;
	}
	r->dead[r->ncur] = 0;
	r->cur[r->ncur] = *row;
	if (ref_add(r, -1, r->ncur, row))
		abort();
	r->ncur++;
}

enum err spanrows_chunk_end(struct spanrows *r, size_t *stored, char *err, size_t errlen)
{
	size_t n = 0;
	enum err rc = ERR_OK;
	for (size_t i = 0; i < r->ncur; i++)
		if (!r->dead[i])
			r->cur[n++] = r->cur[i];
	*stored = n;
	r->ncur = r->nrefs = 0;
	r->trace = 0;
	if (!n)
		return ERR_OK;
	if ((rc = spanstab_put_chunk(&r->rows, r->chunk, r->cur, n, err, errlen)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_bind_blob(r->ids, 1, r->cur[i].span_id, 8, SQLITE_STATIC);
		sqlite3_bind_int64(r->ids, 2, r->cur[i].trace);
		if (sqlite3_step(r->ids) != SQLITE_DONE)
			rc = err_set(err, errlen, ERR_STORE, "span_ids_new: %s", sqlite3_errmsg(r->db));
		sqlite3_reset(r->ids);
	}
	return rc;
}
