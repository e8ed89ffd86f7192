/* preview.c: packing and reading trace_previews bodies (preview.h), the
 * tl_preview SQL function and migrations 017's and 024's conversions. A
 * body is PV_REF and a span id, or one header byte (PV_ZSTD or raw, and
 * which texts are NULL), then the payload varint(input length) input
 * output, raw or as one zstd frame. */
#include "store/preview.h"
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/log.h"
#include "store/record.h"
#include "store/spanview.h"
#include "store/tracesum.h"
#include "store/zdict.h"

#define PV_ZSTD 0x01u      /* the payload is a zstd frame */
#define PV_NO_INPUT 0x02u  /* input is NULL */
#define PV_NO_OUTPUT 0x04u /* output is NULL */
#define PV_FLAGS (PV_ZSTD | PV_NO_INPUT | PV_NO_OUTPUT)
#define PV_REF 0x08u       /* the body is this byte and a span id (preview_pack_ref) */

_Static_assert(TRACESUM_PREVIEW <= PREVIEW_TEXT_MAX, "the writer's previews fit a body");

size_t preview_pack(const struct zdict *d, const char *in, const char *out, unsigned char *body)
{
	uint8_t raw[PREVIEW_RAW_MAX];
	size_t inlen = in ? strlen(in) : 0, outlen = out ? strlen(out) : 0;
	assert(inlen <= PREVIEW_TEXT_MAX && outlen <= PREVIEW_TEXT_MAX);
	size_t n = varint_put(raw, inlen);
	memcpy(raw + n, in ? in : "", inlen);
	memcpy(raw + n + inlen, out ? out : "", outlen);
	n += inlen + outlen;
	body[0] = (unsigned char)((in ? 0 : PV_NO_INPUT) | (out ? 0 : PV_NO_OUTPUT));
	size_t z = n > 1 ? record_frame_compress(d, body + 1, PREVIEW_BODY_MAX - 1, raw, n) : n + 1;
	if (z < n) {
		body[0] |= PV_ZSTD;
		return 1 + z;
	}
	memcpy(body + 1, raw, n);
	return 1 + n;
}

static void preview_clear(struct preview *p)
{
	p->has_input = p->has_output = 0;
	p->input[0] = p->output[0] = 0;
}

enum err preview_unpack(const void *body, size_t len, struct preview *p)
{
	const uint8_t *b = body;
	uint8_t buf[PREVIEW_RAW_MAX];
	const uint8_t *raw = b + 1, *q;
	size_t n;
	uint64_t inlen;
	preview_clear(p);
	if (len < 2 || (b[0] & ~PV_FLAGS))
		return ERR_STORE;
	n = len - 1;
	if (b[0] & PV_ZSTD) {
		if (record_frame_decompress(b + 1, len - 1, buf, sizeof buf, &n))
			return ERR_STORE;
		raw = buf;
	}
	q = raw;
	if (varint_get(&q, raw + n, &inlen) || inlen > PREVIEW_TEXT_MAX || inlen > (size_t)(raw + n - q) ||
	    (size_t)(raw + n - q) - inlen > PREVIEW_TEXT_MAX)
		return ERR_STORE;
	size_t outlen = (size_t)(raw + n - q) - inlen;
	if (((b[0] & PV_NO_INPUT) && inlen) || ((b[0] & PV_NO_OUTPUT) && outlen))
		return ERR_STORE;
	memcpy(p->input, q, inlen);
	p->input[inlen] = 0;
	memcpy(p->output, q + inlen, outlen);
	p->output[outlen] = 0;
	p->has_input = !(b[0] & PV_NO_INPUT);
	p->has_output = !(b[0] & PV_NO_OUTPUT);
	return ERR_OK;
}

size_t preview_pack_ref(const uint8_t span_id[8], unsigned char *body)
{
	body[0] = PV_REF;
	memcpy(body + 1, span_id, 8);
	return PREVIEW_REF_SIZE;
}

int preview_is_ref(const void *body, size_t len, uint8_t span_id[8])
{
	const uint8_t *b = body;
	if (len != PREVIEW_REF_SIZE || b[0] != PV_REF)
		return 0;
	memcpy(span_id, b + 1, 8);
	return 1;
}

/* A decompressed chunk a reader keeps (its entries in its own arena a). */
struct pv_chunk {
	int64_t id;
	struct arena *a;
	size_t count;
	const uint8_t **raw;
	size_t *lens;
	const uint8_t *fields;
};

#define PV_CHUNKS 16   /* chunks a reader keeps: the latest 50 traces lie in ~17 */

/* Invariant: chunks[i] with a non-NULL arena hold chunk id as the database
 * had it at data_version (all dropped when it changes); next is the slot
 * replaced next (round robin). */
struct preview_reader {
	sqlite3 *db;
	sqlite3_stmt *body_st, *where_st;   /* a body; a span's chunk entry */
	sqlite3_stmt *span_st, *chunk_st, *blob_st;   /* prepared on the first entry not cached */
	struct pv_chunk chunks[PV_CHUNKS];
	size_t next;
	unsigned data_version;
};

/* The texts of recently read spans, process-wide: a span's texts never
 * change while its row points at the same chunk entry (a deletion or the
 * compaction rewrites a chunk's bytes, never what an entry holds; a
 * superseded span gets a new entry; a chunk id is used again when the
 * newest chunk was deleted, and then the trace and span ids must match
 * too, and after a rolled-back transaction, whose notes are forgotten).
 * Two ways per set of (chunk, index), the older one replaced: about the
 * newest PV_TEXTS traces' previews (the writer notes each, ~0.5 MB). */
#define PV_TEXTS 1024
#define PV_WAYS 2
static struct pv_text {
	int64_t chunk;       /* 0: empty slot */
	int64_t index, trace;
	uint8_t span_id[8];
	char input[TRACESUM_PREVIEW + 1], output[TRACESUM_PREVIEW + 1];
} pv_texts[PV_TEXTS];
static unsigned char pv_newer[PV_TEXTS / PV_WAYS];   /* per set: the way written last */
static pthread_mutex_t pv_texts_lock = PTHREAD_MUTEX_INITIALIZER;

/* The set of entry (chunk, index): its first way's index in pv_texts. */
static size_t text_set(int64_t chunk, int64_t index)
{
	uint64_t h = ((uint64_t)chunk * 0x9E3779B97F4A7C15ull + (uint64_t)index) * 0xC2B2AE3D27D4EB4Full;
	return (size_t)((h >> 40) % (PV_TEXTS / PV_WAYS)) * PV_WAYS;   /* high bits: chunk and index mixed */
}

/* The slot of entry (chunk, index) of span span_id of trace, or NULL. Under pv_texts_lock. */
static struct pv_text *text_find(int64_t chunk, int64_t index, int64_t trace, const uint8_t span_id[8])
{
	size_t set = text_set(chunk, index);
	for (size_t w = 0; w < PV_WAYS; w++) {
		struct pv_text *t = &pv_texts[set + w];
		if (t->chunk == chunk && t->index == index && t->trace == trace && memcmp(t->span_id, span_id, 8) == 0)
			return t;
	}
	return NULL;
}

/* The slot entry (chunk, index) of span span_id of trace is written to:
 * its own, else the older way of its set. Under pv_texts_lock. */
static struct pv_text *text_put(int64_t chunk, int64_t index, int64_t trace, const uint8_t span_id[8])
{
	size_t set = text_set(chunk, index);
	struct pv_text *t = text_find(chunk, index, trace, span_id);
	if (!t)
		t = &pv_texts[set + (pv_newer[set / PV_WAYS] + 1) % PV_WAYS];
	pv_newer[set / PV_WAYS] = (unsigned char)(t - &pv_texts[set]);
	t->chunk = chunk;
	t->index = index;
	t->trace = trace;
	memcpy(t->span_id, span_id, 8);
	return t;
}

/* 1 with p filled if the texts of entry (chunk, index), span span_id of
 * trace, are cached. */
static int text_cached(int64_t chunk, int64_t index, int64_t trace, const uint8_t span_id[8], struct preview *p)
{
	pthread_mutex_lock(&pv_texts_lock);
	struct pv_text *t = text_find(chunk, index, trace, span_id);
	if (t) {
		memcpy(p->input, t->input, sizeof t->input);
		memcpy(p->output, t->output, sizeof t->output);
		p->has_input = p->has_output = 1;
	}
	pthread_mutex_unlock(&pv_texts_lock);
	return t != NULL;
}

static void text_keep(int64_t chunk, int64_t index, int64_t trace, const uint8_t span_id[8], const struct preview *p)
{
	pthread_mutex_lock(&pv_texts_lock);
	struct pv_text *t = text_put(chunk, index, trace, span_id);
	memcpy(t->input, p->input, sizeof t->input);
	memcpy(t->output, p->output, sizeof t->output);
	pthread_mutex_unlock(&pv_texts_lock);
}

void preview_note(int64_t chunk, int64_t index, int64_t key, const uint8_t span_id[8], const char *in,
                  const char *out)
{
	pthread_mutex_lock(&pv_texts_lock);
	struct pv_text *t = text_put(chunk, index, key, span_id);
	tracesum_clip(t->input, in ? in : "", TRACESUM_PREVIEW);
	tracesum_clip(t->output, out ? out : "", TRACESUM_PREVIEW);
	pthread_mutex_unlock(&pv_texts_lock);
}

void preview_notes_forget(void)
{
	pthread_mutex_lock(&pv_texts_lock);
	for (size_t i = 0; i < PV_TEXTS; i++)
		pv_texts[i].chunk = 0;
	pthread_mutex_unlock(&pv_texts_lock);
}

enum err preview_reader_open(sqlite3 *db, struct preview_reader **out)
{
	struct preview_reader *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->db = db;
	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT body FROM trace_previews WHERE key = ?1", -1, &r->body_st, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT chunk, chunk_index FROM spans WHERE trace = ?1 AND span_id = ?2", -1,
	                       &r->where_st, NULL)) {
		preview_reader_close(r);
		return ERR_STORE;
	}
	*out = r;
	return ERR_OK;
}

static void reader_drop_chunks(struct preview_reader *r)
{
	for (size_t i = 0; i < PV_CHUNKS; i++) {
		arena_free(r->chunks[i].a);
		r->chunks[i].a = NULL;
	}
	r->next = 0;
}

void preview_reader_close(struct preview_reader *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->body_st);
	sqlite3_finalize(r->where_st);
	sqlite3_finalize(r->span_st);
	sqlite3_finalize(r->chunk_st);
	sqlite3_finalize(r->blob_st);
	reader_drop_chunks(r);
	free(r);
}

/* Chunk id decompressed, from the reader's cache or the store; NULL if it
 * is missing or corrupt (logged by record_chunk_entries). */
static const struct pv_chunk *reader_chunk(struct preview_reader *r, int64_t id)
{
	unsigned version = 0;
	sqlite3_file_control(r->db, "main", SQLITE_FCNTL_DATA_VERSION, &version);
	if (version != r->data_version) {   /* a chunk may have been rewritten */
		reader_drop_chunks(r);
		r->data_version = version;
	}
	for (size_t i = 0; i < PV_CHUNKS; i++)
		if (r->chunks[i].a && r->chunks[i].id == id)
			return &r->chunks[i];
	struct pv_chunk *c = &r->chunks[r->next], *got = NULL;
	r->next = (r->next + 1) % PV_CHUNKS;
	arena_free(c->a);
	c->a = arena_new();
	c->id = id;
	sqlite3_bind_int64(r->chunk_st, 1, id);
	if (sqlite3_step(r->chunk_st) == SQLITE_ROW &&
	    record_chunk_entries(sqlite3_column_blob(r->chunk_st, 0), (size_t)sqlite3_column_bytes(r->chunk_st, 0),
	                         c->a, &c->count, &c->raw, &c->lens, &c->fields) == ERR_OK) {
		got = c;
	} else {
		arena_free(c->a);
		c->a = NULL;
	}
	sqlite3_reset(r->chunk_st);
	return got;
}

/* Fills p with both texts of span (sp, resource blob id) as ingest clipped them. */
static void span_texts(struct preview_reader *r, const Tl__Span *sp, int64_t resource, struct arena *a,
                       struct preview *p)
{
	const Tl__ResourceSpans *res = NULL;
	struct stored_text t;
	if (resource) {
		sqlite3_bind_int64(r->blob_st, 1, resource);
		if (sqlite3_step(r->blob_st) == SQLITE_ROW)
			res = record_resource_unpack(sqlite3_column_blob(r->blob_st, 0),
			                             (size_t)sqlite3_column_bytes(r->blob_st, 0), a);
		sqlite3_reset(r->blob_st);
	}
	spanview_text(sp, res, a, &t);
	tracesum_clip(p->input, t.input ? t.input : "", TRACESUM_PREVIEW);
	tracesum_clip(p->output, t.output ? t.output : "", TRACESUM_PREVIEW);
	p->has_input = p->has_output = 1;
}

/* Prepares what reading an entry from its chunk needs. Returns ERR_OK or ERR_STORE. */
static enum err reader_prepare_cold(struct preview_reader *r)
{
	if (r->blob_st)
		return ERR_OK;
	if ((!r->span_st &&
	     sqlite3_prepare_v2(r->db, "SELECT s.resource, s.parent_span_id, n.value, s.kind, s.start_ns, s.end_ns,"
	                        " tr.trace_id FROM spans s JOIN traces tr ON tr.key = s.trace"
	                        " JOIN strings n ON n.id = s.name WHERE s.trace = ?1 AND s.span_id = ?2",
	                        -1, &r->span_st, NULL)) ||
	    (!r->chunk_st && sqlite3_prepare_v2(r->db, "SELECT data FROM chunks WHERE id = ?1", -1, &r->chunk_st, NULL)) ||
	    sqlite3_prepare_v2(r->db, "SELECT data FROM blobs WHERE id = ?1", -1, &r->blob_st, NULL))
		return ERR_STORE;
	return ERR_OK;
}

/* The texts of span span_id of trace key, entry index of chunk, read from
 * the chunk into p. Returns ERR_OK, ERR_NOT_FOUND or ERR_STORE. */
static enum err reader_entry(struct preview_reader *r, int64_t key, const uint8_t span_id[8], int64_t chunk,
                             int64_t index, struct preview *p)
{
	sqlite3_stmt *st;
	struct arena *a = NULL;
	enum err rc;
	if ((rc = reader_prepare_cold(r)))
		return rc;
	st = r->span_st;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_blob(st, 2, span_id, 8, SQLITE_STATIC);
	int step = sqlite3_step(st);
	rc = step == SQLITE_ROW || step == SQLITE_DONE ? ERR_NOT_FOUND : ERR_STORE;
	const struct pv_chunk *c = step == SQLITE_ROW ? reader_chunk(r, chunk) : NULL;
	if (!c || index < 0 || (size_t)index >= c->count || sqlite3_column_bytes(st, 6) != 16)
		goto out;
	struct record_row row = {
		.trace_id = sqlite3_column_blob(st, 6),
		.span_id = span_id,
		.parent_span_id = sqlite3_column_blob(st, 1),
		.parent_len = (size_t)sqlite3_column_bytes(st, 1),
		.name = (const char *)sqlite3_column_text(st, 2),
		.kind = sqlite3_column_int(st, 3),
		.start_ns = (uint64_t)sqlite3_column_int64(st, 4),
		.end_ns = (uint64_t)sqlite3_column_int64(st, 5),
	};
	a = arena_new();
	const Tl__Span *sp = record_span_unpack_row(c->raw[index], c->lens[index], c->fields[index], &row, a);
	if (!sp)
		goto out;
	span_texts(r, sp, sqlite3_column_int64(st, 0), a, p);
	text_keep(chunk, index, key, span_id, p);
	rc = ERR_OK;
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	arena_free(a);
	return rc;
}

enum err preview_reader_span(struct preview_reader *r, int64_t key, const uint8_t span_id[8], struct preview *p)
{
	sqlite3_stmt *st = r->where_st;
	enum err rc;
	int64_t chunk = 0, index = 0;
	preview_clear(p);
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_blob(st, 2, span_id, 8, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		chunk = sqlite3_column_int64(st, 0);
		index = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (step != SQLITE_ROW)
		return step == SQLITE_DONE ? ERR_NOT_FOUND : ERR_STORE;
	if (text_cached(chunk, index, key, span_id, p))
		return ERR_OK;
	rc = reader_entry(r, key, span_id, chunk, index, p);
	if (rc)
		preview_clear(p);
	return rc;
}

/* The stored body of trace key into buf (PREVIEW_BODY_MAX bytes): its
 * length, 0 for none, or ERR_STORE (negative). */
static long reader_body(struct preview_reader *r, int64_t key, unsigned char *buf)
{
	long n = 0;
	int step;
	sqlite3_bind_int64(r->body_st, 1, key);
	step = sqlite3_step(r->body_st);
	if (step == SQLITE_ROW) {
		int len = sqlite3_column_bytes(r->body_st, 0);
		n = len > 0 && len <= PREVIEW_BODY_MAX ? len : ERR_STORE;
		if (n > 0)
			memcpy(buf, sqlite3_column_blob(r->body_st, 0), (size_t)n);
	} else if (step != SQLITE_DONE) {
		n = ERR_STORE;
	}
	sqlite3_reset(r->body_st);
	return n;
}

int preview_reader_ref(struct preview_reader *r, int64_t key, uint8_t span_id[8])
{
	unsigned char body[PREVIEW_BODY_MAX];
	long n = reader_body(r, key, body);
	if (n < 0)
		return ERR_STORE;
	return n > 0 && preview_is_ref(body, (size_t)n, span_id);
}

/* The previews of body[0..len) of trace key into p (resolving a reference). */
static enum err reader_resolve(struct preview_reader *r, int64_t key, const void *body, size_t len,
                               struct preview *p)
{
	uint8_t span_id[8];
	if (!preview_is_ref(body, len, span_id))
		return preview_unpack(body, len, p);
	enum err rc = preview_reader_span(r, key, span_id, p);
	if (rc == ERR_NOT_FOUND) {   /* its trace is being deleted, or the record is unreadable */
		char hex[17];
		id_to_hex(span_id, 8, hex);
		log_warn("store", "trace_previews row %lld: span %s does not read back; no previews", (long long)key, hex);
		rc = ERR_OK;
	}
	return rc;
}

enum err preview_reader_get(struct preview_reader *r, int64_t key, struct preview *p)
{
	unsigned char body[PREVIEW_BODY_MAX];   /* on the stack: _Thread_local would be in every thread's static TLS */
	long n = reader_body(r, key, body);
	enum err rc = ERR_OK;
	preview_clear(p);
	if (n > 0)
		rc = reader_resolve(r, key, body, (size_t)n, p);
	else if (n < 0)
		rc = ERR_STORE;
	if (rc && n > 0)
		log_error("store", "trace_previews row %lld is corrupt or names an unknown zstd dictionary", (long long)key);
	return rc;
}

/* A connection's reader for tl_preview, opened on first use. */
struct fn_state {
	struct preview_reader *r;
};

static void fn_state_free(void *arg)
{
	struct fn_state *f = arg;
	preview_reader_close(f->r);
	free(f);
}

static void fn_preview(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct preview p;
	struct fn_state *f = sqlite3_user_data(ctx);
	uint8_t span_id[8];
	const void *body = sqlite3_value_blob(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	enum err rc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return; /* NULL */
	if (preview_is_ref(body, len, span_id)) {
		if (argc < 3 || (!f->r && preview_reader_open(sqlite3_context_db_handle(ctx), &f->r))) {
			sqlite3_result_error(ctx, "trace_previews: a reference body needs the trace key and the store", -1);
			return;
		}
		rc = reader_resolve(f->r, sqlite3_value_int64(argv[2]), body, len, &p);
	} else {
		rc = preview_unpack(body, len, &p);
	}
	if (rc) {
		sqlite3_result_error(ctx, "trace_previews: a corrupt body or an unknown zstd dictionary", -1);
		return;
	}
	int out = sqlite3_value_int(argv[1]) != 0;
	if (out ? p.has_output : p.has_input)
		sqlite3_result_text(ctx, out ? p.output : p.input, -1, SQLITE_TRANSIENT);
}

enum err preview_register(sqlite3 *db)
{
	struct fn_state *f = calloc(1, sizeof *f);
	if (!f)
		abort();
	if (sqlite3_create_function(db, "tl_preview", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_preview, NULL,
	                            NULL)) {
		free(f);
		return ERR_STORE;
	}
	/* not deterministic: a reference reads the store; a failed
	 * registration frees f too (fn_state_free) */
	return sqlite3_create_function_v2(db, "tl_preview", 3, SQLITE_UTF8, f, fn_preview, NULL, NULL, fn_state_free)
	           ? ERR_STORE
	           : ERR_OK;
}

void preview_release(sqlite3 *db)
{
	/* deleting the function runs its destructor, fn_state_free */
	if (db)
		sqlite3_create_function_v2(db, "tl_preview", 3, SQLITE_UTF8, NULL, NULL, NULL, NULL, NULL);
}

/* 1 if traces still has input_preview (a store before 017), else 0. */
static int has_preview_columns(sqlite3 *db)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('traces') WHERE name = 'input_preview'", -1, &st,
	                       NULL) == SQLITE_OK)
		found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* A text column clipped as the writer clips (older rows never exceed it),
 * or NULL. */
static const char *col_clipped(sqlite3_stmt *st, int col, char *buf)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	return tracesum_clip(buf, (const char *)sqlite3_column_text(st, col), PREVIEW_TEXT_MAX);
}

/* Copies `traces` into a new table of the same definition and indexes
 * (as sqlite_master holds them), so its rows fill their pages again; the
 * pages freed go back to the file at once on an auto_vacuum store, else
 * to later ingest. Returns ERR_OK or ERR_STORE. */
static enum err rebuild_traces(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	struct jbuf sql;   /* the table's CREATE, then ";" and each index's */
	char *text = NULL;
	enum err rc = ERR_STORE;
	jbuf_init(&sql, JBUF_NO_CAP);
	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE tbl_name = 'traces' AND sql IS NOT NULL"
	                       " ORDER BY type = 'index', name", -1, &st, NULL))
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		jbuf_put(&sql, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		jbuf_putc(&sql, ';');
	}
	sqlite3_finalize(st);   /* no statement may read traces while it is renamed and dropped */
	st = NULL;
	text = jbuf_finish(&sql, NULL);
	if (strncmp(text, "CREATE TABLE", 12) != 0)
		goto out;
	char *create = text, *indexes = strchr(text, ';');
	assert(indexes);   /* one was appended after the table */
	*indexes++ = 0;
	if (sqlite3_exec(db, "ALTER TABLE traces RENAME TO traces_pre017", NULL, NULL, NULL) ||
	    sqlite3_exec(db, create, NULL, NULL, NULL) ||
	    sqlite3_exec(db, "INSERT INTO traces SELECT * FROM traces_pre017; DROP TABLE traces_pre017;", NULL, NULL,
	                 NULL) ||
	    sqlite3_exec(db, indexes, NULL, NULL, NULL) || sqlite3_exec(db, "PRAGMA incremental_vacuum", NULL, NULL, NULL))
		goto out;
	rc = ERR_OK;
out:
	sqlite3_finalize(st);
	if (!text)
		text = jbuf_finish(&sql, NULL);
	free(text);
	return rc;
}

enum err preview_migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *sel = NULL, *ins = NULL;
	const struct zdict *d = NULL;
	char in[PREVIEW_TEXT_MAX + 1], out[PREVIEW_TEXT_MAX + 1];
	unsigned char body[PREVIEW_BODY_MAX];
	enum err rc;
	int step = SQLITE_DONE;
	if (!has_preview_columns(db))
		return ERR_OK;
	if ((rc = zdict_load_newest(db, &d, err, errlen)))
		return rc;
	rc = ERR_STORE;
	if (sqlite3_prepare_v2(db, "SELECT key, input_preview, output_preview FROM traces"
	                       " WHERE input_preview IS NOT NULL OR output_preview IS NOT NULL", -1, &sel, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO trace_previews (key, body) VALUES (?1, ?2)", -1, &ins, NULL))
		goto out;
	while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
		size_t n = preview_pack(d, col_clipped(sel, 1, in), col_clipped(sel, 2, out), body);
		sqlite3_bind_int64(ins, 1, sqlite3_column_int64(sel, 0));
		sqlite3_bind_blob(ins, 2, body, (int)n, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto out;
		sqlite3_reset(ins);
	}
	if (step != SQLITE_DONE)
		goto out;
	sqlite3_finalize(sel);
	sel = NULL;
	/* DROP COLUMN (SQLite 3.35+) rewrites each row in place, leaving its
	 * pages two thirds empty: the table is then copied compactly */
	if (sqlite3_exec(db, "ALTER TABLE traces DROP COLUMN input_preview; ALTER TABLE traces DROP COLUMN output_preview;",
	                 NULL, NULL, NULL) == SQLITE_OK)
		rc = rebuild_traces(db);
out:
	if (rc)
		err_set(err, errlen, rc, "migration 017 (trace previews): %s", sqlite3_errmsg(db));
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc;
}

/* The first span of trace key (root for preview_ns 0, else a child starting
 * at preview_ns | 1) whose texts are those of *want, into span_id: 1, 0 if
 * none, or ERR_STORE (negative). */
static int source_span(struct preview_reader *r, sqlite3_stmt *cand, int64_t key, int64_t preview_ns,
                       const struct preview *want, uint8_t span_id[8])
{
	struct preview got;
	int step, found = 0;
	sqlite3_bind_int64(cand, 1, key);
	sqlite3_bind_int64(cand, 2, preview_ns);
	while (!found && (step = sqlite3_step(cand)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(cand, 0) != 8)
			continue;
		memcpy(span_id, sqlite3_column_blob(cand, 0), 8);
		enum err rc = preview_reader_span(r, key, span_id, &got);
		if (rc == ERR_STORE) {
			found = ERR_STORE;
			break;
		}
		found = !rc && got.has_input == want->has_input && got.has_output == want->has_output &&
		        strcmp(got.input, want->input) == 0 && strcmp(got.output, want->output) == 0;
	}
	sqlite3_reset(cand);
	return found;
}

enum err preview_migrate_refs(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *next = NULL, *cand = NULL, *put = NULL;
	struct preview_reader *r = NULL;
	struct preview want;
	unsigned char body[PREVIEW_BODY_MAX];
	uint8_t span_id[8];
	int64_t last = -1;
	long refs = 0, texts = 0;
	enum err rc = ERR_STORE;
	int step;
	/* one row at a time by key: the rows change under the walk */
	if (sqlite3_prepare_v2(db, "SELECT pv.key, pv.body, t.preview_ns FROM trace_previews pv JOIN traces t"
	                       " ON t.key = pv.key WHERE pv.key > ?1 ORDER BY pv.key LIMIT 1", -1, &next, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT span_id FROM spans WHERE trace = ?1 AND CASE WHEN ?2 = 0"
	                       " THEN parent_span_id IS NULL ELSE parent_span_id IS NOT NULL AND (start_ns | 1) = ?2 END"
	                       " ORDER BY chunk, chunk_index", -1, &cand, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE trace_previews SET body = ?2 WHERE key = ?1", -1, &put, NULL) ||
	    preview_reader_open(db, &r))
		goto out;
	for (;;) {
		sqlite3_bind_int64(next, 1, last);
		if ((step = sqlite3_step(next)) != SQLITE_ROW)
			break;
		last = sqlite3_column_int64(next, 0);
		int64_t preview_ns = sqlite3_column_int64(next, 2);
		size_t len = (size_t)sqlite3_column_bytes(next, 1);
		int found = 0;
		if (len <= PREVIEW_BODY_MAX && !preview_is_ref(sqlite3_column_blob(next, 1), len, span_id) &&
		    preview_unpack(sqlite3_column_blob(next, 1), len, &want) == ERR_OK && sqlite3_column_type(next, 2) != SQLITE_NULL)
			found = source_span(r, cand, last, preview_ns, &want, span_id);
		sqlite3_reset(next);
		if (found < 0)
			goto out;
		if (!found) {
			texts++;
			continue;
		}
		sqlite3_bind_int64(put, 1, last);
		sqlite3_bind_blob(put, 2, body, (int)preview_pack_ref(span_id, body), SQLITE_STATIC);
		if (sqlite3_step(put) != SQLITE_DONE)
			goto out;
		sqlite3_reset(put);
		refs++;
	}
	if (step != SQLITE_DONE)
		goto out;
	if (refs || texts)   /* a new store has none: nothing to say */
		log_info("store", "migration 024: %ld trace previews now refer to their span, %ld stay text", refs, texts);
	rc = ERR_OK;
out:
	if (rc)
		err_set(err, errlen, rc, "migration 024 (preview references): %s", sqlite3_errmsg(db));
	sqlite3_finalize(next);
	sqlite3_finalize(cand);
	sqlite3_finalize(put);
	preview_reader_close(r);
	return rc;
}
