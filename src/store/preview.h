/* preview.h: a trace's input and output previews in trace_previews
 * (schema/017, 024), one value per trace: a reference to the span whose
 * record holds the texts (9 bytes; the reader derives and clips them as
 * ingest did), or where no stored span holds them any more both texts,
 * zstd compressed with the store's chunk dictionary when that is smaller.
 * Readers use a preview_reader or call tl_preview() in SQL. */
#ifndef TL_PREVIEW_H
#define TL_PREVIEW_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>
#include "base/err.h"
#include "base/varint.h"

struct zdict;

#define PREVIEW_TEXT_MAX 1024   /* bytes of one text at most (the writer keeps 240: tracesum.h) */
#define PREVIEW_RAW_MAX (VARINT_MAX + 2 * PREVIEW_TEXT_MAX)
#define PREVIEW_BODY_MAX (1 + ZSTD_COMPRESSBOUND(PREVIEW_RAW_MAX))   /* a packed body at most */

/* The two texts of a body; has_* 0 = SQL NULL (then the text is ""). */
struct preview {
	int has_input, has_output;
	char input[PREVIEW_TEXT_MAX + 1], output[PREVIEW_TEXT_MAX + 1];
};

/* Packs the texts in and out (NULL = SQL NULL; each at most
 * PREVIEW_TEXT_MAX bytes) into body (PREVIEW_BODY_MAX bytes), compressed
 * with d (NULL: plain zstd) when that is shorter than the text; returns the
 * body's length. */
size_t preview_pack(const struct zdict *d, const char *in, const char *out, unsigned char *body);
/* Unpacks body[0..len) into p. Returns ERR_OK, or ERR_STORE if the body is
 * corrupt or names a zstd dictionary no store opened has. */
enum err preview_unpack(const void *body, size_t len, struct preview *p);

#define PREVIEW_REF_SIZE 9   /* a reference body: header byte, span id */
/* Packs a reference to the span span_id of the trace into body (at least
 * PREVIEW_REF_SIZE bytes); returns its length. */
size_t preview_pack_ref(const uint8_t span_id[8], unsigned char *body);
/* 1 with span_id set if body[0..len) is a reference body, else 0. */
int preview_is_ref(const void *body, size_t len, uint8_t span_id[8]);

struct preview_reader;
/* Opens a reader of previews on db (a connection of the store, kept open
 * by the caller). It keeps the last chunks it decompressed until the
 * database changes. Returns ERR_OK with *out set, or ERR_STORE. */
enum err preview_reader_open(sqlite3 *db, struct preview_reader **out);
/* Frees r; NULL is a no-op. */
void preview_reader_close(struct preview_reader *r);
/* The previews of the trace with traces.key key into p (both NULL when it
 * has none, or when the span a reference names cannot be read: logged).
 * Returns ERR_OK, or ERR_STORE (logged) for a corrupt body or a failed read. */
enum err preview_reader_get(struct preview_reader *r, int64_t key, struct preview *p);
/* The previews span span_id of trace key gives (TRACESUM_PREVIEW bytes of
 * each text, both present) into p. Returns ERR_OK, ERR_NOT_FOUND (no such
 * span, or its record does not read back) or ERR_STORE. */
enum err preview_reader_span(struct preview_reader *r, int64_t key, const uint8_t span_id[8], struct preview *p);
/* The trace's stored body, if it is a reference: 1 with span_id set, 0
 * when it is text or there is none, or ERR_STORE (negative). */
int preview_reader_ref(struct preview_reader *r, int64_t key, uint8_t span_id[8]);

/* The writer's note that span span_id of trace key, stored as entry index
 * of chunk, gives the texts in and out (NULL = none; clipped here as
 * ingest does): the readers' cache of span texts keeps them, so the
 * newest traces' previews read without decompressing their chunks. */
void preview_note(int64_t chunk, int64_t index, int64_t key, const uint8_t span_id[8], const char *in,
                  const char *out);
/* Forgets every text preview_note kept. The writer calls it when a
 * transaction rolls back: the chunk ids, trace keys and entries it noted
 * are handed out again, possibly to other content. */
void preview_notes_forget(void);

/* Registers on db tl_preview(body, which[, key]): the input (which 0) or
 * output (1) text of a body of trace key (needed for a reference body),
 * NULL for a NULL body or text; an SQL error for a corrupt body. Returns
 * ERR_OK or ERR_STORE. */
enum err preview_register(sqlite3 *db);
/* Frees what tl_preview keeps on db: the reader it opened for reference
 * bodies holds prepared statements on db, which would keep
 * sqlite3_close_v2 from ever closing it. Call before closing a connection
 * on which tl_preview may have read a reference (replication's). */
void preview_release(sqlite3 *db);

/* Migration 017's conversion, in its transaction: moves each trace's
 * input_preview and output_preview into trace_previews (packed with the
 * store's newest dictionary) and drops the two columns. Does nothing when
 * `traces` has no such columns any more. Returns ERR_OK or ERR_STORE. */
enum err preview_migrate(sqlite3 *db, char *err, size_t errlen);

/* Migration 024's conversion, in its transaction: each text body whose
 * texts a span of its trace still gives (the root for traces.preview_ns 0,
 * else a span starting at preview_ns) becomes a reference to that span;
 * the others stay text. Returns ERR_OK or ERR_STORE. */
enum err preview_migrate_refs(sqlite3 *db, char *err, size_t errlen);

#endif
