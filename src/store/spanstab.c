/* spanstab.c: the virtual table `spans` over chunk_spans and trace_chunks
 * (schema/033), and the writer's functions that store and rewrite a
 * chunk's rows. A cursor finds chunks by trace (trace_chunks), by chunk id
 * (one, or a range) or all of them, in chunk order, and yields each
 * chunk's rows in the order they were stored; it keeps the last few
 * chunks it decoded, so a join that looks up trace after trace decodes a
 * chunk they share once. */
#include "store/spanstab.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"

/* the zstd level of a chunk's rows as written (the compaction leaves
 * them) */
#define SPANSTAB_LEVEL 3
/* chunks a cursor keeps decoded */
#define CURSOR_CHUNKS 8

enum col {
	C_TRACE, C_SPAN_ID, C_PARENT, C_PROJECT, C_NAME, C_SERVICE, C_FLAGS, C_START, C_DUR, C_STATUS, C_MESSAGE,
	C_MODEL, C_PROVIDER, C_INPUT, C_OUTPUT, C_CACHE_READ, C_CACHE_WRITE, C_COST, C_RESOURCE, C_SCOPE, C_CHUNK,
	C_INDEX, C_END, C_TYPE, C_COST_SOURCE, C_KIND,
};

/* The columns of schema/031's table, in its order (generated ones last). */
#define SPANS_DECL                                                                                              \
	"CREATE TABLE x(trace INTEGER, span_id BLOB, parent_span_id BLOB, project INTEGER, name INTEGER,"       \
	" service INTEGER, flags INTEGER, start_ns INTEGER, dur INTEGER, status INTEGER, status_message TEXT,"   \
	" model INTEGER, provider INTEGER, input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens"      \
	" INTEGER, cache_write_tokens INTEGER, cost_usd REAL, resource INTEGER, scope INTEGER, chunk INTEGER,"   \
	" chunk_index INTEGER, end_ns INTEGER, type INTEGER, cost_source INTEGER, kind INTEGER)"

/* idxNum: which chunks a cursor visits; the argv of xFilter in this order */
enum plan {
	P_TRACE = 1,      /* argv: trace key */
	P_SPAN = 2,       /* with P_TRACE: then a span id */
	P_CHUNK = 4,      /* argv: a chunk id */
	P_LO = 8,         /* argv: lowest chunk id (> or >=: P_LO_GT) */
	P_LO_GT = 16,
	P_HI = 32,        /* argv: highest chunk id (< or <=: P_HI_LT) */
	P_HI_LT = 64,
};

struct tab {
	sqlite3_vtab base;
	sqlite3 *db;
};

struct slot {
	int64_t chunk;               /* -1: empty */
	struct arena *a;
	struct spancols_row *rows;
	size_t n;
	unsigned used;               /* last use, for the eviction */
};

struct cursor {
	sqlite3_vtab_cursor base;
	struct tab *tab;
	sqlite3_stmt *by[3];         /* chunk ids by trace, by id, by range: prepared on first use */
	sqlite3_stmt *chunks;        /* the one of them in use (column 0: the chunk ids to visit) */
	struct spanstab_stmts rows;  /* a chunk's rows (spanstab_chunk_rows) */
	int plan;
	int64_t trace;
	uint8_t span_id[8];
	int span_ok;                 /* P_SPAN: the argument is an 8-byte blob */
	struct slot slots[CURSOR_CHUNKS];
	unsigned clock;
	const struct slot *cur;      /* the chunk being read, NULL at the end */
	size_t i;                    /* its row */
};

static int tab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **errp)
{
	(void)aux;
	(void)argc;
	(void)argv;
	(void)errp;
	int rc = sqlite3_declare_vtab(db, SPANS_DECL);
	if (rc != SQLITE_OK)
		return rc;
	struct tab *t = sqlite3_malloc(sizeof *t);
	if (!t)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof *t);
	t->db = db;
	sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
	*out = &t->base;
	return SQLITE_OK;
}

static int tab_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

/* Plans by the best constraint there is: a trace (and span id), a chunk,
 * a chunk range, else every chunk. SQLite checks each constraint again
 * (omit stays 0), so a value of another type than the column's only
 * widens what is visited. Rows come in chunk order, then stored order. */
static int tab_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	int trace = -1, span = -1, chunk = -1, lo = -1, hi = -1, plan = 0, n = 0;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (!c->usable)
			continue;
		if (c->iColumn == C_TRACE && c->op == SQLITE_INDEX_CONSTRAINT_EQ)
			trace = i;
		else if (c->iColumn == C_SPAN_ID && c->op == SQLITE_INDEX_CONSTRAINT_EQ)
			span = i;
		else if (c->iColumn == C_CHUNK && c->op == SQLITE_INDEX_CONSTRAINT_EQ)
			chunk = i;
		else if (c->iColumn == C_CHUNK && (c->op == SQLITE_INDEX_CONSTRAINT_GT || c->op == SQLITE_INDEX_CONSTRAINT_GE))
			lo = i;
		else if (c->iColumn == C_CHUNK && (c->op == SQLITE_INDEX_CONSTRAINT_LT || c->op == SQLITE_INDEX_CONSTRAINT_LE))
			hi = i;
	}
	if (trace >= 0) {
		plan = P_TRACE;
		info->aConstraintUsage[trace].argvIndex = ++n;
		if (span >= 0) {
			plan |= P_SPAN;
			info->aConstraintUsage[span].argvIndex = ++n;
		}
		info->estimatedCost = span >= 0 ? 5 : 20;
		info->estimatedRows = span >= 0 ? 1 : 10;
	} else if (chunk >= 0) {
		plan = P_CHUNK;
		info->aConstraintUsage[chunk].argvIndex = ++n;
		info->estimatedCost = 100;
		info->estimatedRows = 100;
	} else if (lo >= 0 || hi >= 0) {
		if (lo >= 0) {
			plan |= P_LO | (info->aConstraint[lo].op == SQLITE_INDEX_CONSTRAINT_GT ? P_LO_GT : 0);
			info->aConstraintUsage[lo].argvIndex = ++n;
		}
		if (hi >= 0) {
			plan |= P_HI | (info->aConstraint[hi].op == SQLITE_INDEX_CONSTRAINT_LT ? P_HI_LT : 0);
			info->aConstraintUsage[hi].argvIndex = ++n;
		}
		info->estimatedCost = lo >= 0 && hi >= 0 ? 10000 : 1e6;
		info->estimatedRows = lo >= 0 && hi >= 0 ? 10000 : 1e6;
	} else {
		/* every chunk decoded: never the plan when a trace or chunk
		 * constraint can be had from another table of the join */
		info->estimatedCost = 1e12;
		info->estimatedRows = 1e9;
	}
	info->idxNum = plan;
	/* chunk order, then stored order, which chunk_index follows */
	int ordered = info->nOrderBy > 0;
	for (int i = 0; i < info->nOrderBy && ordered; i++) {
		const struct sqlite3_index_orderby *o = &info->aOrderBy[i];
		ordered = !o->desc && ((i == 0 && o->iColumn == C_CHUNK) || (i == 1 && o->iColumn == C_INDEX));
	}
	info->orderByConsumed = ordered;
	return SQLITE_OK;
}

static int cur_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct cursor *c = sqlite3_malloc(sizeof *c);
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof *c);
	c->tab = (struct tab *)v;
	c->rows.db = c->tab->db;
	for (int i = 0; i < CURSOR_CHUNKS; i++)
		c->slots[i].chunk = -1;
	*out = &c->base;
	return SQLITE_OK;
}

static int cur_close(sqlite3_vtab_cursor *vc)
{
	struct cursor *c = (struct cursor *)vc;
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(c->by[i]);
	spanstab_stmts_free(&c->rows);
	for (int i = 0; i < CURSOR_CHUNKS; i++)
		arena_free(c->slots[i].a);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int fail(struct cursor *c, const char *msg)
{
	sqlite3_free(c->tab->base.zErrMsg);
	c->tab->base.zErrMsg = sqlite3_mprintf("spans: %s", msg);
	return SQLITE_ERROR;
}

/* The rows of chunk, decoded now or kept from before; NULL on error (the
 * table's message set). */
static const struct slot *load(struct cursor *c, int64_t chunk, int *rc)
{
	struct slot *s = NULL;
	char err[256];
	c->clock++;
	for (int i = 0; i < CURSOR_CHUNKS; i++) {
		if (c->slots[i].chunk == chunk) {
			c->slots[i].used = c->clock;
			return &c->slots[i];
		}
		if (!s || c->slots[i].used < s->used)
			s = &c->slots[i];
	}
	if (!s->a && !(s->a = arena_new())) {
		*rc = SQLITE_NOMEM;
		return NULL;
	}
	arena_reset(s->a, 64u << 10);
	s->chunk = -1;
	if (spanstab_chunk_rows(&c->rows, chunk, s->a, &s->rows, &s->n, NULL, err, sizeof err)) {
		*rc = fail(c, err);
		return NULL;
	}
	s->chunk = chunk;
	s->used = c->clock;
	return s;
}

/* Whether row i of the current chunk is one the plan selects. */
static int wanted(const struct cursor *c, const struct spancols_row *r)
{
	if (!(c->plan & P_TRACE))
		return 1;
	return r->trace == c->trace && (!(c->plan & P_SPAN) || (c->span_ok && memcmp(r->span_id, c->span_id, 8) == 0));
}

/* Moves to the next selected row from row c->i on, through the chunks
 * left; c->cur NULL at the end. */
static int advance(struct cursor *c)
{
	int rc = SQLITE_OK;
	for (;;) {
		if (c->cur) {
			for (; c->i < c->cur->n; c->i++)
				if (wanted(c, &c->cur->rows[c->i]))
					return SQLITE_OK;
		}
		c->cur = NULL;
		if (!c->chunks)
			return SQLITE_OK;
		int st = sqlite3_step(c->chunks);
		if (st == SQLITE_DONE)
			return SQLITE_OK;
		if (st != SQLITE_ROW)
			return fail(c, sqlite3_errmsg(c->tab->db));
		if (!(c->cur = load(c, sqlite3_column_int64(c->chunks, 0), &rc)))
			return rc;
		c->i = 0;
	}
}

/* An argument as a chunk bound: integers as they are, reals rounded
 * inward, anything else (SQLite compares it again) as no bound. */
static int64_t bound(sqlite3_value *v, int low, int strict)
{
	double d;
	switch (sqlite3_value_numeric_type(v)) {
	case SQLITE_INTEGER: {
		int64_t x = sqlite3_value_int64(v);
		if (strict)
			return low ? (x == INT64_MAX ? x : x + 1) : (x == INT64_MIN ? x : x - 1);
		return x;
	}
	case SQLITE_FLOAT:
		d = low ? ceil(sqlite3_value_double(v)) : floor(sqlite3_value_double(v));
		if (d != d)
			return low ? INT64_MAX : INT64_MIN;
		if (d <= -9223372036854775808.0)
			return INT64_MIN;
		if (d >= 9223372036854775807.0)
			return INT64_MAX;
		return (int64_t)d;
	default:
		return low ? INT64_MIN : INT64_MAX;
	}
}

/* The cursor's statement k of sql, prepared on first use, reset. */
static int use(struct cursor *c, int k, const char *sql)
{
	if (!c->by[k] && sqlite3_prepare_v2(c->tab->db, sql, -1, &c->by[k], NULL))
		return fail(c, sqlite3_errmsg(c->tab->db));
	sqlite3_reset(c->by[k]);
	c->chunks = c->by[k];
	return SQLITE_OK;
}

static int cur_filter(sqlite3_vtab_cursor *vc, int plan, const char *idx, int argc, sqlite3_value **argv)
{
	(void)idx;
	(void)argc;
	struct cursor *c = (struct cursor *)vc;
	int a = 0, rc;
	c->chunks = NULL;
	c->cur = NULL;
	c->plan = plan;
	if (plan & P_TRACE) {
		c->trace = sqlite3_value_int64(argv[a++]);
		if (plan & P_SPAN) {
			sqlite3_value *s = argv[a++];
			c->span_ok = sqlite3_value_type(s) == SQLITE_BLOB && sqlite3_value_bytes(s) == 8;
			if (c->span_ok)
				memcpy(c->span_id, sqlite3_value_blob(s), 8);
		}
		if ((rc = use(c, 0, "SELECT chunk FROM trace_chunks WHERE trace = ?1 ORDER BY chunk")))
			return rc;
		sqlite3_bind_int64(c->chunks, 1, c->trace);
	} else if (plan & P_CHUNK) {
		if ((rc = use(c, 1, "SELECT chunk FROM chunk_spans WHERE chunk = ?1")))
			return rc;
		sqlite3_bind_value(c->chunks, 1, argv[a++]);
	} else {
		int64_t lo = INT64_MIN, hi = INT64_MAX;
		if (plan & P_LO)
			lo = bound(argv[a++], 1, plan & P_LO_GT);
		if (plan & P_HI)
			hi = bound(argv[a++], 0, plan & P_HI_LT);
		if ((rc = use(c, 2, "SELECT chunk FROM chunk_spans WHERE chunk >= ?1 AND chunk <= ?2 ORDER BY chunk")))
			return rc;
		sqlite3_bind_int64(c->chunks, 1, lo);
		sqlite3_bind_int64(c->chunks, 2, hi);
	}
	return advance(c);
}

static int cur_next(sqlite3_vtab_cursor *vc)
{
	struct cursor *c = (struct cursor *)vc;
	c->i++;
	return advance(c);
}

static int cur_eof(sqlite3_vtab_cursor *vc)
{
	return ((struct cursor *)vc)->cur == NULL;
}

static void result_opt(sqlite3_context *ctx, int has, int64_t v)
{
	if (has)
		sqlite3_result_int64(ctx, v);
	else
		sqlite3_result_null(ctx);
}

static int cur_column(sqlite3_vtab_cursor *vc, sqlite3_context *ctx, int col)
{
	const struct cursor *c = (const struct cursor *)vc;
	const struct spancols_row *r = &c->cur->rows[c->i];
	int64_t end;
	switch ((enum col)col) {
	case C_TRACE: sqlite3_result_int64(ctx, r->trace); break;
	case C_SPAN_ID: sqlite3_result_blob(ctx, r->span_id, 8, SQLITE_TRANSIENT); break;
	case C_PARENT:
		if (r->has_parent)
			sqlite3_result_blob(ctx, r->parent_span_id, 8, SQLITE_TRANSIENT);
		else
			sqlite3_result_null(ctx);
		break;
	case C_PROJECT: sqlite3_result_int64(ctx, r->project); break;
	case C_NAME: sqlite3_result_int64(ctx, r->name); break;
	case C_SERVICE: sqlite3_result_int64(ctx, r->service); break;
	case C_FLAGS: sqlite3_result_int64(ctx, r->flags); break;
	case C_START: sqlite3_result_int64(ctx, r->start_ns); break;
	case C_DUR: sqlite3_result_int64(ctx, r->dur); break;
	case C_STATUS: sqlite3_result_int64(ctx, r->status); break;
	case C_MESSAGE:
		if (r->status_message)
			sqlite3_result_text(ctx, r->status_message, (int)r->status_message_len, SQLITE_TRANSIENT);
		else
			sqlite3_result_null(ctx);
		break;
	case C_MODEL: result_opt(ctx, r->has_model, r->model); break;
	case C_PROVIDER: result_opt(ctx, r->has_provider, r->provider); break;
	case C_INPUT: sqlite3_result_int64(ctx, r->input_tokens); break;
	case C_OUTPUT: sqlite3_result_int64(ctx, r->output_tokens); break;
	case C_CACHE_READ: sqlite3_result_int64(ctx, r->cache_read_tokens); break;
	case C_CACHE_WRITE: sqlite3_result_int64(ctx, r->cache_write_tokens); break;
	case C_COST:
		if (r->has_cost)
			sqlite3_result_double(ctx, r->cost_usd);
		else
			sqlite3_result_null(ctx);
		break;
	case C_RESOURCE: result_opt(ctx, r->has_resource, r->resource); break;
	case C_SCOPE: result_opt(ctx, r->has_scope, r->scope); break;
	case C_CHUNK: sqlite3_result_int64(ctx, c->cur->chunk); break;
	case C_INDEX: sqlite3_result_int64(ctx, r->chunk_index); break;
	/* the generated columns of schema/031, as SQLite computed them there */
	case C_END:
		if (r->dur < 0)
			sqlite3_result_int64(ctx, r->dur);
		else if (__builtin_add_overflow(r->start_ns, r->dur, &end))
			sqlite3_result_double(ctx, (double)r->start_ns + (double)r->dur);
		else
			sqlite3_result_int64(ctx, end);
		break;
	case C_TYPE: sqlite3_result_int64(ctx, r->flags & 7); break;
	case C_COST_SOURCE: sqlite3_result_int64(ctx, (r->flags >> 3) & 3); break;
	case C_KIND: sqlite3_result_int64(ctx, r->flags >> 5); break;
	}
	return SQLITE_OK;
}

static int cur_rowid(sqlite3_vtab_cursor *vc, sqlite_int64 *out)
{
	const struct cursor *c = (const struct cursor *)vc;
	*out = (sqlite_int64)((uint64_t)c->cur->chunk << 16 | c->i);
	return SQLITE_OK;
}

static const sqlite3_module spans_module = {
	.iVersion = 0,
	.xCreate = NULL,   /* eponymous only */
	.xConnect = tab_connect,
	.xBestIndex = tab_best_index,
	.xDisconnect = tab_disconnect,
	.xDestroy = tab_disconnect,
	.xOpen = cur_open,
	.xClose = cur_close,
	.xFilter = cur_filter,
	.xNext = cur_next,
	.xEof = cur_eof,
	.xColumn = cur_column,
	.xRowid = cur_rowid,
};

enum err spanstab_register(sqlite3 *db)
{
	return sqlite3_create_module_v2(db, "spans", &spans_module, NULL, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
}

void spanstab_stmts_free(struct spanstab_stmts *s)
{
	sqlite3_stmt **all[] = {&s->cols, &s->put, &s->set, &s->drop, &s->list, &s->unlist};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
		sqlite3_finalize(*all[i]);
		*all[i] = NULL;
	}
}

/* *slot, s->db's statement of sql, prepared at its first use and reset;
 * NULL with err set when it does not prepare. */
static sqlite3_stmt *use_stmt(struct spanstab_stmts *s, sqlite3_stmt **slot, const char *sql, char *err,
                              size_t errlen)
{
	if (!*slot && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL)) {
		err_set(err, errlen, ERR_STORE, "spans: %s", sqlite3_errmsg(s->db));
		return NULL;
	}
	sqlite3_reset(*slot);
	return *slot;
}

enum err spanstab_chunk_rows(struct spanstab_stmts *s, int64_t chunk, struct arena *a, struct spancols_row **rows,
                             size_t *n, int *unreadable, char *err, size_t errlen)
{
	/* the last chunk logged: a damaged chunk is read by every query that
	 * passes it, and one line says it */
	static _Atomic int64_t logged = -1;
	sqlite3_stmt *st = use_stmt(s, &s->cols, "SELECT cols FROM chunk_spans WHERE chunk = ?1", err, errlen);
	enum err rc = ERR_OK;
	*rows = NULL;
	*n = 0;
	if (unreadable)
		*unreadable = 0;
	if (!st)
		return ERR_STORE;
	sqlite3_bind_int64(st, 1, chunk);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		char why[200];
		if (spancols_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), a, rows, n, why,
		                    sizeof why)) {
			*rows = NULL;
			*n = 0;
			if (unreadable)
				*unreadable = 1;
			if (atomic_exchange(&logged, chunk) != chunk)
				log_warn("store", "chunk %lld's span rows unreadable (%s): its spans are skipped", (long long)chunk,
				         why);
		}
	} else if (step != SQLITE_DONE) {
		rc = err_set(err, errlen, ERR_STORE, "chunk_spans: %s", sqlite3_errmsg(s->db));
	}
	sqlite3_reset(st);
	return rc;
}

/* Lists chunk under rows[i].trace for each trace of rows (or, del: drops
 * it, unless keep[0..nkeep) has the trace). Rows of a trace need not be
 * adjacent. */
static enum err list_traces(struct spanstab_stmts *s, int64_t chunk, const struct spancols_row *rows, size_t n,
                            int del, const struct spancols_row *keep, size_t nkeep, char *err, size_t errlen)
{
	sqlite3_stmt *st = del ? use_stmt(s, &s->unlist, "DELETE FROM trace_chunks WHERE trace = ?1 AND chunk = ?2", err,
	                                  errlen)
	                       : use_stmt(s, &s->list, "INSERT OR IGNORE INTO trace_chunks (trace, chunk) VALUES (?1, ?2)",
	                                  err, errlen);
	enum err rc = st ? ERR_OK : ERR_STORE;
	for (size_t i = 0; i < n && !rc; i++) {
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = rows[k].trace == rows[i].trace;
		for (size_t k = 0; k < nkeep && !seen; k++)
			seen = keep[k].trace == rows[i].trace;
		if (seen)
			continue;
		sqlite3_bind_int64(st, 1, rows[i].trace);
		sqlite3_bind_int64(st, 2, chunk);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = err_set(err, errlen, ERR_STORE, "trace_chunks: %s", sqlite3_errmsg(s->db));
		sqlite3_reset(st);
	}
	return rc;
}

/* INSERT (put) or UPDATE chunk's blob of rows[0..n). */
static enum err store_rows(struct spanstab_stmts *s, int64_t chunk, const struct spancols_row *rows, size_t n,
                           int put, char *err, size_t errlen)
{
	void *blob = NULL;
	size_t len = 0;
	enum err rc = spancols_encode(rows, n, SPANSTAB_LEVEL, &blob, &len);
	if (rc)
		return err_set(err, errlen, rc, "chunk %lld's rows: cannot encode %zu rows", (long long)chunk, n);
	sqlite3_stmt *st = put ? use_stmt(s, &s->put, "INSERT INTO chunk_spans (chunk, cols) VALUES (?1, ?2)", err, errlen)
	                       : use_stmt(s, &s->set, "UPDATE chunk_spans SET cols = ?2 WHERE chunk = ?1", err, errlen);
	if (!st) {
		free(blob);
		return ERR_STORE;
	}
	if (sqlite3_bind_int64(st, 1, chunk) || sqlite3_bind_blob(st, 2, blob, (int)len, free) ||
	    sqlite3_step(st) != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "chunk_spans: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);   /* frees the blob */
	return rc;
}

enum err spanstab_put_chunk(struct spanstab_stmts *s, int64_t chunk, const struct spancols_row *rows, size_t n,
                            char *err, size_t errlen)
{
	enum err rc = store_rows(s, chunk, rows, n, 1, err, errlen);
	return rc ? rc : list_traces(s, chunk, rows, n, 0, NULL, 0, err, errlen);
}

enum err spanstab_rewrite_chunk(struct spanstab_stmts *s, int64_t chunk, const struct spancols_row *old, size_t nold,
                                const struct spancols_row *rows, size_t n, char *err, size_t errlen)
{
	enum err rc;
	if (n) {
		rc = store_rows(s, chunk, rows, n, 0, err, errlen);
	} else {
		sqlite3_stmt *st = use_stmt(s, &s->drop, "DELETE FROM chunk_spans WHERE chunk = ?1", err, errlen);
		rc = st ? ERR_OK : ERR_STORE;
		if (st && (sqlite3_bind_int64(st, 1, chunk) || sqlite3_step(st) != SQLITE_DONE))
			rc = err_set(err, errlen, ERR_STORE, "chunk_spans: %s", sqlite3_errmsg(s->db));
		if (st)
			sqlite3_reset(st);
	}
	return rc ? rc : list_traces(s, chunk, old, nold, 1, rows, n, err, errlen);
}

/* Copies column k of st (a blob, NULL for none) into id: 0 if NULL. */
static int column_id(sqlite3_stmt *st, int k, uint8_t id[8])
{
	if (sqlite3_column_type(st, k) == SQLITE_NULL)
		return 0;
	size_t len = (size_t)sqlite3_column_bytes(st, k);
	memset(id, 0, 8);
	memcpy(id, sqlite3_column_blob(st, k), len < 8 ? len : 8);
	return 1;
}

/* Column k of st as an optional integer. */
static int column_opt(sqlite3_stmt *st, int k, int64_t *v)
{
	*v = sqlite3_column_int64(st, k);
	return sqlite3_column_type(st, k) != SQLITE_NULL;
}

void spanstab_column_row(sqlite3_stmt *st, struct arena *a, struct spancols_row *r)
{
	memset(r, 0, sizeof *r);
	r->trace = sqlite3_column_int64(st, 0);
	column_id(st, 1, r->span_id);
	r->has_parent = column_id(st, 2, r->parent_span_id);
	r->project = sqlite3_column_int64(st, 3);
	r->name = sqlite3_column_int64(st, 4);
	r->service = sqlite3_column_int64(st, 5);
	r->flags = sqlite3_column_int64(st, 6);
	r->start_ns = sqlite3_column_int64(st, 7);
	r->dur = sqlite3_column_int64(st, 8);
	r->status = sqlite3_column_int64(st, 9);
	if (a && sqlite3_column_type(st, 10) != SQLITE_NULL) {
		r->status_message_len = (size_t)sqlite3_column_bytes(st, 10);
		r->status_message = arena_strndup(a, (const char *)sqlite3_column_text(st, 10), r->status_message_len);
	}
	r->has_model = column_opt(st, 11, &r->model);
	r->has_provider = column_opt(st, 12, &r->provider);
	r->input_tokens = sqlite3_column_int64(st, 13);
	r->output_tokens = sqlite3_column_int64(st, 14);
	r->cache_read_tokens = sqlite3_column_int64(st, 15);
	r->cache_write_tokens = sqlite3_column_int64(st, 16);
	r->has_cost = sqlite3_column_type(st, 17) != SQLITE_NULL;
	r->cost_usd = sqlite3_column_double(st, 17);
	r->has_resource = column_opt(st, 18, &r->resource);
	r->has_scope = column_opt(st, 19, &r->scope);
	r->chunk_index = sqlite3_column_int64(st, 20);
}

enum err spanstab_migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct spanstab_stmts stmts = {.db = db};
	struct arena *a = arena_new();
	struct spancols_row *rows = NULL;
	size_t n = 0, cap = 0;
	int64_t chunk = 0;
	enum err rc = ERR_OK;
	if (!a)
		return err_set(err, errlen, ERR_STORE, "out of memory");
	/* column 21: the chunk */
	if (sqlite3_prepare_v2(db, "SELECT " SPANSTAB_COLUMNS ", chunk FROM spans_032 ORDER BY chunk, chunk_index", -1, &st,
	                       NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "spans: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (;;) {
		int step = sqlite3_step(st);
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			rc = err_set(err, errlen, ERR_STORE, "spans: %s", sqlite3_errmsg(db));
			break;
		}
		/* a chunk's rows are stored once the next chunk's begin */
		if (n && (step == SQLITE_DONE || sqlite3_column_int64(st, 21) != chunk)) {
			if ((rc = spanstab_put_chunk(&stmts, chunk, rows, n, err, errlen)))
				break;
			n = 0;
			arena_reset(a, 1u << 20);
		}
		if (step == SQLITE_DONE)
			break;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct spancols_row *r = realloc(rows, ncap * sizeof *r);
			if (!r) {
				rc = err_set(err, errlen, ERR_STORE, "out of memory");
				break;
			}
			rows = r;
			cap = ncap;
		}
		chunk = sqlite3_column_int64(st, 21);
		spanstab_column_row(st, a, &rows[n++]);
	}
out:
	sqlite3_finalize(st);
	spanstab_stmts_free(&stmts);
	free(rows);
	arena_free(a);
	if (!rc && sqlite3_exec(db, "DROP TABLE spans_032", NULL, NULL, NULL))
		rc = err_set(err, errlen, ERR_STORE, "spans: %s", sqlite3_errmsg(db));
	return rc;
}

enum err spanstab_delete_trace(sqlite3 *db, int64_t trace, int64_t *deleted,
                               void (*counted)(void *ctx, const struct spanstab_chunk_count *c), void *ctx, char *err,
                               size_t errlen)
{
	static const char *const sql[] = {
		"SELECT chunk FROM trace_chunks WHERE trace = ?1 ORDER BY chunk",
		/* the index of spans by id (spanids.h): every span of the trace goes */
		"DELETE FROM span_ids WHERE id_prefix = substr(?1, 1, 4) AND trace = ?2",
		"DELETE FROM span_ids_mid WHERE id_prefix = substr(?1, 1, 4) AND trace = ?2",
		"DELETE FROM span_ids_new WHERE id_prefix = substr(?1, 1, 4) AND trace = ?2",
	};
	enum { N = sizeof sql / sizeof *sql };
	sqlite3_stmt *st[N] = {0};
	struct spanstab_stmts stmts = {.db = db};
	struct arena *a = arena_new();
	int64_t *chunks = NULL;
	size_t nchunks = 0, cap = 0;
	enum err rc = ERR_OK;
	*deleted = 0;
	if (!a)
		return err_set(err, errlen, ERR_STORE, "out of memory");
	for (int i = 0; i < N && !rc; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL))
			rc = err_set(err, errlen, ERR_STORE, "spans: %s", sqlite3_errmsg(db));
	/* the chunk ids first: rewriting a chunk changes trace_chunks */
	if (!rc) {
		sqlite3_bind_int64(st[0], 1, trace);
		while (sqlite3_step(st[0]) == SQLITE_ROW) {
			if (nchunks == cap) {
				cap = cap ? 2 * cap : 16;
				int64_t *n = realloc(chunks, cap * sizeof *n);
				if (!n) {
					rc = err_set(err, errlen, ERR_STORE, "out of memory");
					break;
				}
				chunks = n;
			}
			chunks[nchunks++] = sqlite3_column_int64(st[0], 0);
		}
	}
	for (size_t c = 0; c < nchunks && !rc; c++) {
		struct spancols_row *rows, *left;
		size_t n, nleft = 0;
		int unreadable;
		arena_reset(a, 1u << 20);
		if ((rc = spanstab_chunk_rows(&stmts, chunks[c], a, &rows, &n, &unreadable, err, errlen)))
			break;
		if (unreadable) {
			/* its rows cannot be taken out: the chunk keeps them, unread,
			 * and no longer lists the trace */
			struct spancols_row gone = {.trace = trace};
			rc = list_traces(&stmts, chunks[c], &gone, 1, 1, NULL, 0, err, errlen);
			if (!rc && counted)
				counted(ctx, &(struct spanstab_chunk_count){chunks[c], 0, 0});
			continue;
		}
		if (!(left = arena_alloc(a, (n ? n : 1) * sizeof *left))) {
			rc = err_set(err, errlen, ERR_STORE, "out of memory");
			break;
		}
		for (size_t i = 0; i < n && !rc; i++) {
			if (rows[i].trace != trace) {
				left[nleft++] = rows[i];
				continue;
			}
			++*deleted;
			for (int k = 1; k < N && !rc; k++) {
				sqlite3_bind_blob(st[k], 1, rows[i].span_id, 8, SQLITE_STATIC);
				sqlite3_bind_int64(st[k], 2, trace);
				if (sqlite3_step(st[k]) != SQLITE_DONE)
					rc = err_set(err, errlen, ERR_STORE, "span_ids: %s", sqlite3_errmsg(db));
				sqlite3_reset(st[k]);
			}
		}
		if (!rc)
			rc = spanstab_rewrite_chunk(&stmts, chunks[c], rows, n, left, nleft, err, errlen);
		if (!rc && counted)
			counted(ctx, &(struct spanstab_chunk_count){chunks[c], n, nleft});
	}
	for (int i = 0; i < N; i++)
		sqlite3_finalize(st[i]);
	spanstab_stmts_free(&stmts);
	free(chunks);
	arena_free(a);
	return rc;
}
