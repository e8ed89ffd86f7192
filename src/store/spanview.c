/* spanview.c: the one reader of stored spans: a selection of span rows
 * (their hot columns joined with the interned strings and the project),
 * each with its record from a chunk cache and its resource and scope from
 * a blob cache, so a chunk is decompressed once however many of its spans
 * are read. */
#include "store/spanview.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/log.h"
#include "base/ids.h"
#include "ingest/genai.h"
#include "ingest/span.h"
#include "store/record.h"
#include "store/spanids.h"

/* bytes of its arena a reset keeps for the next chunks: the indexer resets
 * after every chunk, which took 0.8-1.2 MB of it on prose spans */
#define SPANVIEW_KEEP (4u << 20)

#define COL_LIST                                                                                        \
	"tr.trace_id, s.span_id, s.parent_span_id, pj.id, n.value, sv.value, m.value, pr.value,"     \
	" s.status_message, s.kind, s.type, s.status, s.start_ns, s.end_ns, s.input_tokens, s.output_tokens," \
	" s.cache_read_tokens, s.cache_write_tokens, s.cost_usd, s.cost_source, s.chunk, s.chunk_index,"    \
	" s.resource, s.scope"
#define JOINS                                                                                    \
	" JOIN traces tr ON tr.key = s.trace JOIN projects pj ON pj.key = s.project"                 \
	" JOIN strings n ON n.id = s.name JOIN strings sv ON sv.id = s.service"                      \
	" LEFT JOIN strings m ON m.id = s.model LEFT JOIN strings pr ON pr.id = s.provider"
#define COLS "SELECT " COL_LIST " FROM spans s" JOINS
#define BY_TRACE " WHERE s.trace = (SELECT key FROM traces WHERE trace_id = ?1)"

/* Invariant: every record, chunk and blob pointer handed out lives in a
 * until spanview_close or spanview_reset; chunks and blobs hold one entry
 * per id looked up (also for ids that were missing or corrupt). */
struct spanview {
	sqlite3 *db;
	struct arena *a;
	sqlite3_stmt *chunk_st, *blob_st, *sel;  /* sel: the current selection */
	/* a chunk's rows (format 2), their trace ids and names: prepared on first use */
	sqlite3_stmt *rows_st, *trace_st, *name_st;
	struct cached_chunk {
		int64_t id;
		long count;                  /* -1: missing, -2: corrupt */
		const uint8_t **raw;
		size_t *lens;
		const uint8_t *fields;       /* per entry: enum record_row_field left out */
		const Tl__Span **spans;      /* unpacked on demand */
		unsigned char *tried;        /* per entry: unpack attempted */
		/* per entry: texts read (record_span_texts), on first use; then
		 * texts_tried tells which were attempted */
		const struct record_texts **texts;
		unsigned char *texts_tried;
		/* per entry: the row pointing at it (spanview_chunk_rows), on first use */
		const struct record_row **rows;
		unsigned char *rows_tried;
	} *chunks;
	size_t nchunks, chunk_cap;
	struct cached_blob {
		int64_t id;
		void *msg;
	} *blobs;
	size_t nblobs, blob_cap;
};

enum err spanview_open(sqlite3 *db, struct spanview **out)
{
	struct spanview *v = calloc(1, sizeof *v);
	if (!v)
		abort();
	v->db = db;
	v->a = arena_new();
	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE id = ?", -1, &v->chunk_st, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT data FROM blobs WHERE id = ?", -1, &v->blob_st, NULL)) {
		spanview_close(v);
		return ERR_STORE;
	}
	*out = v;
	return ERR_OK;
}

void spanview_reset(struct spanview *v)
{
	arena_reset(v->a, SPANVIEW_KEEP);
	v->nchunks = v->nblobs = 0;
}

void spanview_close(struct spanview *v)
{
	if (!v)
		return;
	sqlite3_finalize(v->chunk_st);
	sqlite3_finalize(v->blob_st);
	sqlite3_finalize(v->rows_st);
	sqlite3_finalize(v->trace_st);
	sqlite3_finalize(v->name_st);
	sqlite3_finalize(v->sel);
	free(v->chunks);
	free(v->blobs);
	arena_free(v->a);
	free(v);
}

struct arena *spanview_arena(struct spanview *v)
{
	return v->a;
}

static struct cached_chunk *chunk_get(struct spanview *v, int64_t id)
{
	/* spans come in chunk order mostly: look from the newest entry */
	for (size_t i = v->nchunks; i-- > 0;)
		if (v->chunks[i].id == id)
			return &v->chunks[i];
	if (v->nchunks == v->chunk_cap) {
		v->chunk_cap = v->chunk_cap ? v->chunk_cap * 2 : 8;
		v->chunks = realloc(v->chunks, v->chunk_cap * sizeof *v->chunks);
		if (!v->chunks)
			abort();
	}
	struct cached_chunk *c = &v->chunks[v->nchunks++];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->count = -1;
	sqlite3_bind_int64(v->chunk_st, 1, id);
	if (sqlite3_step(v->chunk_st) == SQLITE_ROW) {
		size_t n;
		c->count = record_chunk_entries(sqlite3_column_blob(v->chunk_st, 0),
		                                (size_t)sqlite3_column_bytes(v->chunk_st, 0), v->a, &n, &c->raw, &c->lens,
		                                &c->fields)
		                   ? -2
		                   : (long)n;
	}
	sqlite3_reset(v->chunk_st);
	if (c->count > 0) {
		c->spans = arena_alloc(v->a, (size_t)c->count * sizeof *c->spans);
		c->tried = arena_alloc(v->a, (size_t)c->count);
		memset(c->tried, 0, (size_t)c->count);
	}
	return c;
}

/* Entry index of chunk c, unpacked once; the fields a format-2 entry left
 * out are taken from row (NULL: left unset). */
static const Tl__Span *chunk_span(struct spanview *v, struct cached_chunk *c, long index, const struct record_row *row)
{
	if (index < 0 || index >= c->count)
		return NULL;
	if (!c->tried[index]) {
		c->tried[index] = 1;
		c->spans[index] = record_span_unpack_row(c->raw[index], c->lens[index], c->fields[index], row, v->a);
	}
	return c->spans[index];
}

/* The row fields of stored span s a format-2 entry is completed from. */
static void row_of(const struct stored_span *s, struct record_row *r)
{
	r->trace_id = s->trace_id;
	r->span_id = s->span_id;
	r->parent_span_id = s->parent_span_id;
	r->parent_len = s->parent_len;
	r->name = s->name;
	r->kind = s->kind;
	r->start_ns = s->start_ns;
	r->end_ns = s->end_ns;
}

/* The column of the one row st (bound by the caller) yields, copied into
 * v's arena with a NUL after it (*len its length); NULL if none. Resets st. */
static const void *one_value(struct spanview *v, sqlite3_stmt *st, size_t *len)
{
	void *out = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		out = arena_alloc(v->a, *len + 1);
		if (*len)
			memcpy(out, sqlite3_column_blob(st, 0), *len);
		((char *)out)[*len] = 0;
	}
	sqlite3_reset(st);
	return out;
}

/* What to do with entry index of chunk c given its row (NULL: none). */
typedef void entry_fn(struct spanview *v, struct cached_chunk *c, long index, const struct record_row *row);

/* Entry index of chunk c read once into its texts (NULL: unreadable). */
static void texts_at(struct spanview *v, struct cached_chunk *c, long index, const struct record_row *row)
{
	if (index < 0 || index >= c->count || c->texts_tried[index])
		return;
	c->texts_tried[index] = 1;
	struct record_texts *t = arena_alloc(v->a, sizeof *t);
	c->texts[index] = record_span_texts(c->raw[index], c->lens[index], c->fields[index], row, v->a, t) ? NULL : t;
}

static void unpack_at(struct spanview *v, struct cached_chunk *c, long index, const struct record_row *row)
{
	chunk_span(v, c, index, row);
}

/* Entry index of chunk c's row (NULL: none), copied into v's arena. */
static void row_at(struct spanview *v, struct cached_chunk *c, long index, const struct record_row *row)
{
	if (index < 0 || index >= c->count || c->rows_tried[index])
		return;
	c->rows_tried[index] = 1;
	if (!row)
		return;
	struct record_row *r = arena_alloc(v->a, sizeof *r);
	*r = *row;   /* trace_id and name live in v's arena already (one_value) */
	uint8_t *ids = arena_alloc(v->a, 8 + row->parent_len);
	memcpy(ids, row->span_id, 8);
	r->span_id = ids;
	if (row->parent_span_id) {
		memcpy(ids + 8, row->parent_span_id, row->parent_len);
		r->parent_span_id = ids + 8;
	}
	c->rows[index] = r;
}

/* Calls fn on every entry of chunk c not yet done (done[i] == 0) with the
 * row that points at it (an entry without one, a retried span's second
 * copy, gets no row fields), then on every entry still not done with none.
 * The rows are read only if an entry not done left fields out, or always
 * with all set (spanview_chunk_rows). 
 * A chunk's spans share a few traces and names: a trace id is looked up
 * once per run of its spans, a name once while among the last 8, not
 * joined per row. Returns ERR_OK or ERR_STORE. */
static enum err chunk_each_entry(struct spanview *v, struct cached_chunk *c, const unsigned char *done, entry_fn *fn,
                                 int all)
{
	int need_rows = all;
	for (long i = 0; i < c->count && !need_rows; i++)
		need_rows = !done[i] && c->fields[i];
	if (need_rows) {
		if ((!v->rows_st &&
		     sqlite3_prepare_v2(v->db,
		                        "SELECT s.chunk_index, s.trace, s.span_id, s.parent_span_id, s.name, s.kind,"
		                        " s.start_ns, s.end_ns FROM spans s WHERE s.chunk = ?1",
		                        -1, &v->rows_st, NULL)) ||
		    (!v->trace_st &&
		     sqlite3_prepare_v2(v->db, "SELECT trace_id FROM traces WHERE key = ?1", -1, &v->trace_st, NULL)) ||
		    (!v->name_st && sqlite3_prepare_v2(v->db, "SELECT value FROM strings WHERE id = ?1", -1, &v->name_st, NULL)))
			return ERR_STORE;
		sqlite3_bind_int64(v->rows_st, 1, c->id);
		int rc;
		int64_t trace_key = -1, name_ids[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
		const uint8_t *trace_id = NULL;
		const char *name = NULL, *names[8] = {0};
		size_t len = 0;
		unsigned next_name = 0;
		while ((rc = sqlite3_step(v->rows_st)) == SQLITE_ROW) {
			int64_t k = sqlite3_column_int64(v->rows_st, 1), nm = sqlite3_column_int64(v->rows_st, 4);
			if (k != trace_key) {
				trace_key = k;
				sqlite3_bind_int64(v->trace_st, 1, k);
				trace_id = one_value(v, v->trace_st, &len);
				if (trace_id && len != 16)
					trace_id = NULL;
			}
			int slot = -1;
			for (int i = 0; i < 8 && slot < 0; i++)
				if (name_ids[i] == nm)
					slot = i;
			if (slot < 0) {   /* the 8 names seen last are kept (a trace's span names repeat) */
				slot = (int)(next_name++ % 8);
				name_ids[slot] = nm;
				sqlite3_bind_int64(v->name_st, 1, nm);
				names[slot] = one_value(v, v->name_st, &len);
			}
			name = names[slot];
			struct record_row r = {
				.trace_id = trace_id,
				.span_id = sqlite3_column_blob(v->rows_st, 2),
				.parent_span_id = sqlite3_column_blob(v->rows_st, 3),
				.parent_len = (size_t)sqlite3_column_bytes(v->rows_st, 3),
				.name = name,
				.kind = sqlite3_column_int(v->rows_st, 5),
				.start_ns = (uint64_t)sqlite3_column_int64(v->rows_st, 6),
				.end_ns = (uint64_t)sqlite3_column_int64(v->rows_st, 7),
			};
			if (!trace_id || !name || sqlite3_column_bytes(v->rows_st, 2) != 8)
				continue;   /* not a row record_pack wrote: its entry keeps no row fields */
			fn(v, c, sqlite3_column_int(v->rows_st, 0), &r);
		}
		sqlite3_reset(v->rows_st);
		if (rc != SQLITE_DONE)
			return ERR_STORE;
	}
	for (long i = 0; i < c->count; i++)
		fn(v, c, i, NULL);
	return ERR_OK;
}

static void *blob_get(struct spanview *v, int64_t id, int resource)
{
	for (size_t i = 0; i < v->nblobs; i++)
		if (v->blobs[i].id == id)
			return v->blobs[i].msg;
	void *msg = NULL;
	sqlite3_bind_int64(v->blob_st, 1, id);
	if (sqlite3_step(v->blob_st) == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(v->blob_st, 0);
		size_t len = (size_t)sqlite3_column_bytes(v->blob_st, 0);
		msg = resource ? (void *)record_resource_unpack(data, len, v->a) : (void *)record_scope_unpack(data, len, v->a);
	}
	sqlite3_reset(v->blob_st);
	if (v->nblobs == v->blob_cap) {
		v->blob_cap = v->blob_cap ? v->blob_cap * 2 : 8;
		v->blobs = realloc(v->blobs, v->blob_cap * sizeof *v->blobs);
		if (!v->blobs)
			abort();
	}
	v->blobs[v->nblobs].id = id;
	v->blobs[v->nblobs++].msg = msg;
	return msg;
}

/* Replaces the current selection with sql (COLS and a condition). */
static int select_rows(struct spanview *v, const char *sql)
{
	sqlite3_finalize(v->sel);
	v->sel = NULL;
	return sqlite3_prepare_v2(v->db, sql, -1, &v->sel, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
}

enum err spanview_trace(struct spanview *v, const uint8_t trace_id[16], enum spanview_order order, long long offset,
                        int limit)
{
	static const char *const sql[] = {
		[SPANVIEW_BY_START] = COLS BY_TRACE " ORDER BY s.start_ns, s.span_id LIMIT ?2 OFFSET ?3",
		[SPANVIEW_BY_RESOURCE] = COLS BY_TRACE " ORDER BY s.resource, s.scope, s.start_ns, s.span_id LIMIT ?2 OFFSET ?3",
	};
	if (select_rows(v, sql[order]))
		return ERR_STORE;
	sqlite3_bind_blob(v->sel, 1, trace_id, 16, SQLITE_TRANSIENT);
	sqlite3_bind_int(v->sel, 2, limit);
	sqlite3_bind_int64(v->sel, 3, offset);
	return ERR_OK;
}

enum err spanview_span(struct spanview *v, const uint8_t span_id[8])
{
	if (select_rows(v, COLS " WHERE s.span_id = ?1 AND s.trace IN (" SPANIDS_TRACES_SQL ") ORDER BY s.start_ns DESC LIMIT 1"))
		return ERR_STORE;
	sqlite3_bind_blob(v->sel, 1, span_id, 8, SQLITE_TRANSIENT);
	return ERR_OK;
}

enum err spanview_chunks(struct spanview *v, int64_t after, int64_t upto)
{
	if (select_rows(v, COLS " WHERE s.chunk > ?1 AND s.chunk <= ?2 ORDER BY s.chunk, s.chunk_index"))
		return ERR_STORE;
	sqlite3_bind_int64(v->sel, 1, after);
	sqlite3_bind_int64(v->sel, 2, upto);
	return ERR_OK;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, col);
}

int spanview_next(struct spanview *v, struct stored_span *s)
{
	sqlite3_stmt *st = v->sel;
	int rc = st ? sqlite3_step(st) : SQLITE_DONE;
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return ERR_STORE;
	memset(s, 0, sizeof *s);
	s->trace_id = sqlite3_column_blob(st, 0);
	s->span_id = sqlite3_column_blob(st, 1);
	s->parent_span_id = sqlite3_column_blob(st, 2);
	s->parent_len = (size_t)sqlite3_column_bytes(st, 2);
	s->project_id = col_text(st, 3);
	s->name = col_text(st, 4);
	s->service = col_text(st, 5);
	s->model = col_text(st, 6);
	s->provider = col_text(st, 7);
	s->status_message = col_text(st, 8);
	s->kind = sqlite3_column_int(st, 9);
	s->type = sqlite3_column_int(st, 10);
	s->status_code = sqlite3_column_int(st, 11);
	s->start_ns = (uint64_t)sqlite3_column_int64(st, 12);
	s->end_ns = (uint64_t)sqlite3_column_int64(st, 13);
	s->input_tokens = sqlite3_column_int64(st, 14);
	s->output_tokens = sqlite3_column_int64(st, 15);
	s->cache_read_tokens = sqlite3_column_int64(st, 16);
	s->cache_write_tokens = sqlite3_column_int64(st, 17);
	s->has_cost = sqlite3_column_type(st, 18) != SQLITE_NULL;
	s->cost_usd = s->has_cost ? sqlite3_column_double(st, 18) : 0;
	s->cost_source = sqlite3_column_int(st, 19);
	s->chunk = sqlite3_column_int64(st, 20);
	s->resource_id = sqlite3_column_int64(st, 22);
	s->scope_id = sqlite3_column_int64(st, 23);
	struct record_row row;
	row_of(s, &row);
	s->otlp = chunk_span(v, chunk_get(v, s->chunk), sqlite3_column_int(st, 21), &row);
	/* a row leaves out a message its record holds (schema/031) */
	if (!s->status_message && s->otlp && s->otlp->status && s->otlp->status->message && *s->otlp->status->message)
		s->status_message = s->otlp->status->message;
	s->resource = blob_get(v, s->resource_id, 1);
	s->scope = blob_get(v, s->scope_id, 0);
	/* the row's blobs stay valid while the blob lookups above ran: they
	 * use other statements */
	return 1;
}

enum err spanview_chunk_records(struct spanview *v, int64_t id, const Tl__Span *const **spans, size_t *n)
{
	struct cached_chunk *c = chunk_get(v, id);
	*spans = NULL;
	*n = 0;
	if (c->count == -1)
		return ERR_NOT_FOUND;
	if (c->count < 0)
		return ERR_BAD_INPUT;
	if (chunk_each_entry(v, c, c->tried, unpack_at, 0))
		return ERR_STORE;
	*spans = c->spans;
	*n = (size_t)c->count;
	return ERR_OK;
}

enum err spanview_chunk_texts(struct spanview *v, int64_t id, const struct record_texts *const **texts, size_t *n)
{
	struct cached_chunk *c = chunk_get(v, id);
	*texts = NULL;
	*n = 0;
	if (c->count == -1)
		return ERR_NOT_FOUND;
	if (c->count < 0)
		return ERR_BAD_INPUT;
	if (c->count && !c->texts) {
		c->texts = arena_alloc(v->a, (size_t)c->count * sizeof *c->texts);
		c->texts_tried = arena_alloc(v->a, (size_t)c->count);
		memset(c->texts_tried, 0, (size_t)c->count);
	}
	if (c->count && chunk_each_entry(v, c, c->texts_tried, texts_at, 0))
		return ERR_STORE;
	*texts = c->texts;
	*n = (size_t)c->count;
	return ERR_OK;
}

enum err spanview_chunk_rows(struct spanview *v, int64_t id, const struct record_row *const **rows, size_t *n)
{
	struct cached_chunk *c = chunk_get(v, id);
	*rows = NULL;
	*n = 0;
	if (c->count == -1)
		return ERR_NOT_FOUND;
	if (c->count < 0)
		return ERR_BAD_INPUT;
	if (c->count && !c->rows) {
		c->rows = arena_alloc(v->a, (size_t)c->count * sizeof *c->rows);
		memset(c->rows, 0, (size_t)c->count * sizeof *c->rows);
		c->rows_tried = arena_alloc(v->a, (size_t)c->count);
		memset(c->rows_tried, 0, (size_t)c->count);
	}
	if (c->count && chunk_each_entry(v, c, c->rows_tried, row_at, 1))
		return ERR_STORE;
	*rows = c->rows;
	*n = (size_t)c->count;
	return ERR_OK;
}

void spanview_text(const Tl__Span *sp, const Tl__ResourceSpans *resource, struct arena *a, struct stored_text *out)
{
	struct span norm;
	memset(&norm, 0, sizeof norm);
	norm.otlp = sp;
	norm.resource = resource ? resource->resource : NULL;
	genai_normalize(&norm, a);
	out->input = norm.input_text;
	out->output = norm.output_text;
	out->session_id = norm.session_id;
	out->user_id = norm.user_id;
}

void spanview_log_unreadable(const uint8_t *trace_id, const uint8_t *span_id)
{
	char t[33], sp[17] = "?";
	id_to_hex(trace_id, 16, t);
	if (span_id)
		id_to_hex(span_id, 8, sp);
	log_warn("store", "trace %s span %s: stored record unreadable, skipped", t, sp);
}
