/* preview.c: packing and reading trace_previews bodies (preview.h), the
 * tl_preview SQL function and migration 017's conversion. A body is one
 * header byte (PV_ZSTD or raw, and which texts are NULL), then the payload
 * varint(input length) input output, raw or as one zstd frame. */
#include "store/preview.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/json.h"
#include "base/log.h"
#include "store/record.h"
#include "store/tracesum.h"
#include "store/zdict.h"

#define PV_ZSTD 0x01u      /* the payload is a zstd frame */
#define PV_NO_INPUT 0x02u  /* input is NULL */
#define PV_NO_OUTPUT 0x04u /* output is NULL */
#define PV_FLAGS (PV_ZSTD | PV_NO_INPUT | PV_NO_OUTPUT)

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

enum err preview_stmt(sqlite3 *db, sqlite3_stmt **st)
{
	return sqlite3_prepare_v2(db, "SELECT body FROM trace_previews WHERE key = ?1", -1, st, NULL) ? ERR_STORE
	                                                                                                 : ERR_OK;
}

enum err preview_get(sqlite3_stmt *st, int64_t key, struct preview *p)
{
	enum err rc = ERR_OK;
	int step;
	sqlite3_bind_int64(st, 1, key);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = preview_unpack(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), p);
	else if (step == SQLITE_DONE)
		preview_clear(p);
	else
		rc = ERR_STORE;
	if (rc && step == SQLITE_ROW)
		log_error("store", "trace_previews row %lld is corrupt or names an unknown zstd dictionary", (long long)key);
	sqlite3_reset(st);
	return rc;
}

static void fn_preview(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct preview p;
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return; /* NULL */
	if (preview_unpack(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), &p)) {
		sqlite3_result_error(ctx, "trace_previews: a corrupt body or an unknown zstd dictionary", -1);
		return;
	}
	int out = sqlite3_value_int(argv[1]) != 0;
	if (out ? p.has_output : p.has_input)
		sqlite3_result_text(ctx, out ? p.output : p.input, -1, SQLITE_TRANSIENT);
}

enum err preview_register(sqlite3 *db)
{
	return sqlite3_create_function(db, "tl_preview", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_preview, NULL,
	                               NULL)
	           ? ERR_STORE
	           : ERR_OK;
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
	static _Thread_local char in[PREVIEW_TEXT_MAX + 1], out[PREVIEW_TEXT_MAX + 1];
	static _Thread_local unsigned char body[PREVIEW_BODY_MAX];
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
