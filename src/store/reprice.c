/* reprice.c: recomputing stored price-table costs, batch by batch in
 * primary-key order, with the rollups' costs moved along; the command
 * around it is cmd/reprice.c. */
#include "store/reprice.h"
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "store/rollup.h"
#include "store/spanrow.h"
#include "store/store.h"

/* A span of the current batch, read before any row is written. */
struct row {
	struct reprice_span s;
	uint8_t span_id[8];
	int64_t in, out, cache_read, cache_write;
	const struct price *price;
};

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, ERR_STORE, "%s: %s", what, sqlite3_errmsg(db));
}

/* Reads the next batch after (*trace, span_id) into rows; returns the count
 * or -1. Client costs are skipped in SQL; the model is resolved here. */
static int read_batch(sqlite3_stmt *sel, const struct prices *p, int64_t *trace, uint8_t span_id[8],
                      struct row *rows, int batch)
{
	int n = 0, rc;
	sqlite3_bind_int64(sel, 1, *trace);
	sqlite3_bind_blob(sel, 2, span_id, 8, SQLITE_TRANSIENT);
	sqlite3_bind_int(sel, 3, batch);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct row *r = &rows[n++];
		memset(r, 0, sizeof *r);
		r->s.trace = sqlite3_column_int64(sel, 0);
		if (sqlite3_column_bytes(sel, 1) == 8)
			memcpy(r->span_id, sqlite3_column_blob(sel, 1), 8);
		r->s.project = sqlite3_column_int64(sel, 2);
		r->s.name = sqlite3_column_int64(sel, 3);
		r->s.service = sqlite3_column_int64(sel, 4);
		r->s.type = sqlite3_column_int(sel, 5);
		r->s.start_ns = (uint64_t)sqlite3_column_int64(sel, 6);
		r->s.model = sqlite3_column_int64(sel, 7);
		r->price = prices_match(p, (const char *)sqlite3_column_text(sel, 8));
		r->in = sqlite3_column_int64(sel, 9);
		r->out = sqlite3_column_int64(sel, 10);
		r->cache_read = sqlite3_column_int64(sel, 11);
		r->cache_write = sqlite3_column_int64(sel, 12);
		r->s.old_cost = sqlite3_column_double(sel, 13);
		r->s.old_source = sqlite3_column_type(sel, 13) == SQLITE_NULL ? SPAN_COST_NONE : sqlite3_column_int(sel, 14);
		r->s.provider = sqlite3_column_int64(sel, 15);
	}
	sqlite3_reset(sel);
	if (rc != SQLITE_DONE)
		return -1;
	if (n) {
		*trace = rows[n - 1].s.trace;
		memcpy(span_id, rows[n - 1].span_id, 8);
	}
	return n;
}

/* Writes the changed rows of one batch and their traces' sums. */
static int write_batch(sqlite3 *db, sqlite3_stmt *upd, sqlite3_stmt *sum, const struct reprice_hooks *hooks,
                       struct row *rows, int n, int64_t *last_trace, struct reprice_stats *st)
{
	int64_t pending = -1; /* the last changed trace whose sum is not yet written */
	for (int i = 0; i <= n; i++) {
		struct row *r = i < n ? &rows[i] : NULL;
		if (pending >= 0 && (!r || r->s.trace != pending)) {
			sqlite3_bind_int64(sum, 1, pending);
			int rc = sqlite3_step(sum);
			sqlite3_reset(sum);
			if (rc != SQLITE_DONE)
				return -1;
			pending = -1;
		}
		if (!r)
			break;
		int priced = r->price && (r->in || r->out || r->cache_read || r->cache_write);
		r->s.new_source = priced ? SPAN_COST_TABLE : SPAN_COST_NONE;
		r->s.new_cost = priced ? prices_cost(r->price, r->in, r->out, r->cache_read, r->cache_write) : 0;
		if (r->s.new_source == r->s.old_source && r->s.new_cost == r->s.old_cost)
			continue;
		if (priced)
			sqlite3_bind_double(upd, 1, r->s.new_cost);
		else
			sqlite3_bind_null(upd, 1);
		sqlite3_bind_int(upd, 2, r->s.new_source);
		sqlite3_bind_int64(upd, 3, r->s.trace);
		sqlite3_bind_blob(upd, 4, r->span_id, 8, SQLITE_STATIC);
		int rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		sqlite3_clear_bindings(upd);
		if (rc != SQLITE_DONE)
			return -1;
		if (hooks && hooks->span_changed && hooks->span_changed(hooks->ctx, db, &r->s))
			return -1;
		st->spans_changed++;
		if (r->s.trace != *last_trace) /* spans come in trace order: count each trace once */
			st->traces_changed++;
		*last_trace = pending = r->s.trace;
	}
	return 0;
}

enum err reprice_run(sqlite3 *db, const struct prices *p, const struct reprice_hooks *hooks, int batch,
                     struct reprice_stats *st, char *err, size_t errlen)
{
	sqlite3_stmt *sel = NULL, *upd = NULL, *sum = NULL;
	struct row *rows = calloc((size_t)(batch > 0 ? batch : 1), sizeof *rows);
	int64_t trace = -1, last_changed = -1;
	uint8_t span_id[8] = {0};
	int rc = ERR_OK;
	if (!rows)
		abort();
	memset(st, 0, sizeof *st);
	/* Keyset paging on the primary key: each batch is an index range. */
	if (sqlite3_prepare_v2(db,
	                       "SELECT s.trace, s.span_id, s.project, s.name, s.service, s.type, s.start_ns, s.model,"
	                       " m.value, s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_write_tokens,"
	                       " s.cost_usd, s.cost_source, coalesce(s.provider, 0) FROM spans s JOIN strings m ON m.id = s.model"
	                       " WHERE (s.trace, s.span_id) > (?1, ?2) AND s.cost_source != 1"
	                       " ORDER BY s.trace, s.span_id LIMIT ?3",
	                       -1, &sel, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE spans SET cost_usd = ?1, " SPANROW_SET_COST_SOURCE(2) " WHERE trace = ?3 AND span_id = ?4",
	                       -1, &upd, NULL) ||
	    sqlite3_prepare_v2(db,
	                       "UPDATE traces SET cost_usd = (SELECT total(cost_usd) FROM spans WHERE trace = ?1)"
	                       " WHERE key = ?1",
	                       -1, &sum, NULL)) {
		rc = fail(db, err, errlen, "reprice: prepare");
		goto out;
	}
	for (;;) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			rc = fail(db, err, errlen, "reprice: begin (is the store locked?)");
			break;
		}
		int n = read_batch(sel, p, &trace, span_id, rows, batch);
		if (n < 0 || write_batch(db, upd, sum, hooks, rows, n, &last_changed, st)) {
			rc = fail(db, err, errlen, "reprice");
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			rc = fail(db, err, errlen, "reprice: commit");
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		st->spans_checked += n;
		if (n < batch)
			break;
	}
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_finalize(sum);
	free(rows);
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
