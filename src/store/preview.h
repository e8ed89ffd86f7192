/* preview.h: a trace's input and output previews, kept out of `traces` in
 * trace_previews (schema/017) as one value per trace: both texts, zstd
 * compressed with the store's chunk dictionary when that is smaller. The
 * writer packs a trace's previews when they change; readers unpack the
 * rows they show (preview_get) or call tl_preview() in SQL. */
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

/* Prepares, on a connection of the store, the lookup preview_get runs.
 * Returns ERR_OK or ERR_STORE; the caller finalizes *st. */
enum err preview_stmt(sqlite3 *db, sqlite3_stmt **st);
/* The previews of the trace with traces.key key into p (both NULL when it
 * has none). Returns ERR_OK, or ERR_STORE (logged) for a corrupt body or a
 * failed read. */
enum err preview_get(sqlite3_stmt *st, int64_t key, struct preview *p);

/* Registers on db tl_preview(body, which): the input (which 0) or output
 * (1) text of a body, NULL for a NULL body or text; an SQL error for a
 * corrupt body. Returns ERR_OK or ERR_STORE. */
enum err preview_register(sqlite3 *db);

/* Migration 017's conversion, in its transaction: moves each trace's
 * input_preview and output_preview into trace_previews (packed with the
 * store's newest dictionary) and drops the two columns. Does nothing when
 * `traces` has no such columns any more. Returns ERR_OK or ERR_STORE. */
enum err preview_migrate(sqlite3 *db, char *err, size_t errlen);

#endif
