/* spancols.h: a chunk's spans rows (the stored columns of schema/031's
 * spans table, less chunk, the blob's key) as one compressed blob, column
 * by column: a SPANCOLS_FORMAT byte, then a zstd frame of the columns
 * (spancols.c describes them). The codec only; every value round-trips bit
 * for bit, NULLs stay NULL. */
#ifndef TL_SPANCOLS_H
#define TL_SPANCOLS_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

struct arena;   /* base/arena.h */

#define SPANCOLS_FORMAT 0x01            /* first byte of a blob (a zstd frame starts with 0x28) */
/* Rows of a blob at most: a chunk holds up to 256 spans; with 1,024 the
 * largest blob, every message SPANCOLS_MAX_MESSAGE bytes, is about 64 MiB
 * raw, within what record_frame_decompress takes. */
#define SPANCOLS_MAX_ROWS 1024
#define SPANCOLS_MAX_MESSAGE (64 << 10) /* bytes of a status message at most */

/* One spans row. A has_ flag of 0 is SQL NULL: the value beside it is not
 * stored (it decodes as zeros). */
struct spancols_row {
	int64_t trace;                   /* traces.key */
	uint8_t span_id[8];
	int has_parent;                  /* 0: parent_span_id is NULL */
	uint8_t parent_span_id[8];
	int64_t project, name, service;  /* ids */
	int64_t flags;                   /* spanrow.h */
	int64_t start_ns, dur;           /* spanrow.h (dur may be negative) */
	int64_t status;
	const char *status_message;      /* NULL: SQL NULL; else status_message_len bytes (may hold NULs) */
	size_t status_message_len;
	int has_model, has_provider;     /* 0: NULL */
	int64_t model, provider;
	int64_t input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
	int has_cost;                    /* 0: NULL */
	double cost_usd;                 /* any bit pattern (NaN, -0.0) */
	int has_resource, has_scope;     /* 0: NULL */
	int64_t resource, scope;
	int64_t chunk_index;
};

/* Encodes rows[0..n) (rows may be NULL when n is 0; any int64 in any
 * field) into one blob, malloc'd in *out (caller frees; *outlen bytes),
 * compressed at zstd level (0: the level chunks are packed at,
 * RECORD_CHUNK_LEVEL; 1..RECORD_LEVEL_MAX, record.h) with a pooled context
 * and no dictionary. Returns ERR_OK, ERR_TOO_LARGE if n is over
 * SPANCOLS_MAX_ROWS or a status message over SPANCOLS_MAX_MESSAGE bytes, or
 * ERR_STORE if out of memory (*out is then NULL). */
enum err spancols_encode(const struct spancols_row *rows, size_t n, int level, void **out, size_t *outlen);

/* Decodes blob[0..len) into *n rows, *rows an array allocated in a (NULL
 * when *n is 0): the values spancols_encode was given, has_ flags 0 or 1,
 * each status message a copy in a with a NUL after its length. Returns
 * ERR_OK, or ERR_STORE with err naming what is wrong (not a spancols blob,
 * a frame that does not decompress, too many rows, a column running past
 * the end, a bad parent reference, bytes left over, ...); *rows and *n are
 * then unset. Reads only blob[0..len); before the blob is validated
 * allocates at most the largest raw size SPANCOLS_MAX_ROWS rows with
 * SPANCOLS_MAX_MESSAGE-byte messages take (malloc'd and freed), and in a
 * only what the decoded rows hold. */
enum err spancols_decode(const void *blob, size_t len, struct arena *a, struct spancols_row **rows, size_t *n,
                         char *err, size_t errlen);

#endif
