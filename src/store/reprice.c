/* reprice.c: recomputing stored price-table costs, batch by batch in
 * chunk order (schema/033: a chunk's rows are rewritten once), with the
 * rollups' costs moved along; the command around it is cmd/reprice.c. */
#include "store/reprice.h"
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "store/rollup.h"
#include "base/arena.h"
#include "store/spanstab.h"
#include "store/store.h"

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, ERR_STORE, "%s: %s", what, sqlite3_errmsg(db));
}

/* The price of model id m (strings.id), looked up once per batch's model. */
struct models {
	sqlite3_stmt *name;
	int64_t id[64];
	const struct price *price[64];
	unsigned n;
};

static const struct price *model_price(struct models *m, const struct prices *p, int64_t id)
{
	for (unsigned i = 0; i < m->n && i < 64; i++)
		if (m->id[i] == id)
			return m->price[i];
	const struct price *pr = NULL;
	sqlite3_bind_int64(m->name, 1, id);
	if (sqlite3_step(m->name) == SQLITE_ROW)
		pr = prices_match(p, (const char *)sqlite3_column_text(m->name, 0));
	sqlite3_reset(m->name);
	m->id[m->n % 64] = id;
	m->price[m->n % 64] = pr;
	m->n++;
	return pr;
}

/* Whether key is in keys[0..n) (the batch's changed traces, few). */
static int listed(const int64_t *keys, size_t n, int64_t key)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i] == key)
			return 1;
	return 0;
}

/* Reprices the rows of one chunk (in a); the chunk is rewritten when one
 * changes, and each changed trace is added to *changed. Returns ERR_OK, or
 * ERR_STORE (a hook's failure too). */
static enum err reprice_chunk(sqlite3 *db, struct spanstab_stmts *rs, struct models *m, const struct prices *p,
                              const struct reprice_hooks *hooks, int64_t chunk, struct arena *a, int64_t **changed,
                              size_t *nchanged, size_t *cap, struct reprice_stats *st, char *err, size_t errlen)
{
	struct spancols_row *rows, *now;
	struct reprice_span *changes;
	size_t n, dirty = 0;
	enum err rc = spanstab_chunk_rows(rs, chunk, a, &rows, &n, NULL, err, errlen);
	if (rc)
		return rc;
	if (!(now = arena_alloc(a, (n ? n : 1) * sizeof *now)) || !(changes = arena_alloc(a, (n ? n : 1) * sizeof *changes)))
		return err_set(err, errlen, ERR_STORE, "out of memory");
	memcpy(now, rows, n * sizeof *now);
	for (size_t i = 0; i < n; i++) {
		struct spancols_row *r = &now[i];
		int source = r->has_cost ? (int)((r->flags >> 3) & 3) : SPAN_COST_NONE;
		if (!r->has_model || source == SPAN_COST_CLIENT)
			continue;
		st->spans_checked++;
		const struct price *pr = model_price(m, p, r->model);
		int priced = pr && (r->input_tokens || r->output_tokens || r->cache_read_tokens || r->cache_write_tokens);
		struct reprice_span s = {
			.trace = r->trace, .project = r->project, .name = r->name, .service = r->service, .model = r->model,
			.provider = r->has_provider ? r->provider : 0, .type = (int)(r->flags & 7),
			.start_ns = (uint64_t)r->start_ns, .old_cost = r->has_cost ? r->cost_usd : 0, .old_source = source,
			.new_source = priced ? SPAN_COST_TABLE : SPAN_COST_NONE,
		};
		s.new_cost = priced ? prices_cost(pr, r->input_tokens, r->output_tokens, r->cache_read_tokens,
		                                  r->cache_write_tokens) : 0;
		if (s.new_source == s.old_source && s.new_cost == s.old_cost)
			continue;
		r->has_cost = priced;
		r->cost_usd = s.new_cost;
		r->flags = (r->flags & ~(int64_t)24) | (int64_t)s.new_source << 3;   /* spanrow.h */
		changes[dirty++] = s;
		if (!listed(*changed, *nchanged, r->trace)) {
			if (*nchanged == *cap) {
				size_t ncap = *cap ? *cap * 2 : 256;
				int64_t *k = realloc(*changed, ncap * sizeof *k);
				if (!k)
					return err_set(err, errlen, ERR_STORE, "out of memory");
				*changed = k;
				*cap = ncap;
			}
			(*changed)[(*nchanged)++] = r->trace;
		}
	}
	if (!dirty)
		return ERR_OK;
	if ((rc = spanstab_rewrite_chunk(rs, chunk, rows, n, now, n, err, errlen)))
		return rc;
	/* the hooks see the rows as rewritten */
	for (size_t i = 0; i < dirty; i++) {
		st->spans_changed++;
		if (hooks && hooks->span_changed && hooks->span_changed(hooks->ctx, db, &changes[i]))
			return err_set(err, errlen, ERR_STORE, "reprice: a summary could not take the new cost");
	}
	return ERR_OK;
}

enum err reprice_run(sqlite3 *db, const struct prices *p, const struct reprice_hooks *hooks, int batch,
                     struct reprice_stats *st, char *err, size_t errlen)
{
	sqlite3_stmt *chunks = NULL, *sum = NULL;
	struct spanstab_stmts rs = {.db = db};
	struct models m = {0};
	struct arena *a = arena_new();
	int64_t last = 0, *changed = NULL;
	size_t nchanged = 0, cap = 0;
	enum err rc = ERR_OK;
	if (!a)
		abort();
	memset(st, 0, sizeof *st);
	/* chunk by chunk (schema/033): a batch ends after the chunk that
	 * reaches batch spans checked */
	if (sqlite3_prepare_v2(db, "SELECT chunk FROM chunk_spans WHERE chunk > ?1 ORDER BY chunk", -1, &chunks, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT value FROM strings WHERE id = ?1", -1, &m.name, NULL) ||
	    sqlite3_prepare_v2(db,
	                       "UPDATE traces SET cost_usd = (SELECT total(cost_usd) FROM spans WHERE trace = ?1)"
	                       " WHERE key = ?1",
	                       -1, &sum, NULL)) {
		rc = fail(db, err, errlen, "reprice: prepare");
		goto out;
	}
	for (int more = 1; more && !rc;) {
		int64_t checked = st->spans_checked, was_changed = st->spans_changed;
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			rc = fail(db, err, errlen, "reprice: begin (is the store locked?)");
			break;
		}
		m.n = 0;   /* names may have changed meanwhile (they do not, but cheaply sure) */
		sqlite3_bind_int64(chunks, 1, last);
		more = 0;
		while (!rc && st->spans_checked - checked < batch) {
			int step = sqlite3_step(chunks);
			if (step == SQLITE_DONE)
				break;
			if (step != SQLITE_ROW) {
				rc = fail(db, err, errlen, "reprice");
				break;
			}
			last = sqlite3_column_int64(chunks, 0);
			more = 1;
			arena_reset(a, 1u << 20);
			rc = reprice_chunk(db, &rs, &m, p, hooks, last, a, &changed, &nchanged, &cap, st, err, errlen);
		}
		sqlite3_reset(chunks);
		/* the batch's changed traces get the sum of their spans' costs */
		for (size_t i = 0; i < nchanged && !rc; i++) {
			sqlite3_bind_int64(sum, 1, changed[i]);
			if (sqlite3_step(sum) != SQLITE_DONE)
				rc = fail(db, err, errlen, "reprice");
			sqlite3_reset(sum);
		}
		if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			rc = fail(db, err, errlen, "reprice: commit");
		if (rc) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			st->spans_changed = was_changed;   /* the batch's changes are gone */
			break;
		}
		/* a trace in several batches' chunks is counted once per batch */
		st->traces_changed += (int64_t)nchanged;
		nchanged = 0;
	}
out:
	sqlite3_finalize(chunks);
	sqlite3_finalize(sum);
	spanstab_stmts_free(&rs);
	sqlite3_finalize(m.name);
	free(changed);
	arena_free(a);
	return rc;
}

/* The reprice hook: the span's cost change moves onto its rollup rows. */
static enum err move_rollup_cost(void *ctx, sqlite3 *db, const struct reprice_span *s)
{
	(void)db;
	struct rollup_span_dims d = {.project = s->project, .service = s->service, .name = s->name,
	                             .model = s->model, .provider = s->provider};
	return rollup_cost_move(ctx, &d, s->type, s->start_ns, s->new_cost - s->old_cost);
}

enum err reprice_data_dir(const char *data_dir, const struct prices *p, struct reprice_stats *st, char *err,
                          size_t errlen)
{
	sqlite3 *db = NULL;
	struct rollup_coster *coster = NULL;
	int rc = store_open_writer(data_dir, &db, err, errlen);
	if (!rc && !(coster = rollup_coster_new(db, err, errlen)))
		rc = ERR_STORE;
	if (!rc) {
		struct reprice_hooks hooks = {.span_changed = move_rollup_cost, .ctx = coster};
		rc = reprice_run(db, p, &hooks, REPRICE_BATCH, st, err, errlen);
	}
	rollup_coster_free(coster);
	sqlite3_close_v2(db);
	return rc;
}
