/* record.h: the stored form of spans. A chunk holds up to 256 spans of one
 * request, grouped by trace, as a zstd frame of varint-length-prefixed
 * entries. Format 1 (the frame alone): each entry a packed OTLP Span
 * exactly as received. Format 2 (a RECORD_CHUNK_V2 byte, then the frame):
 * each entry a byte of enum record_row_field flags, then the Span packed
 * without the fields its spans row holds (ids, name, kind, times), which
 * the reader puts back from the row (record_span_unpack_row). Resources and
 * scopes are packed once as blobs (ResourceSpans/ScopeSpans without their
 * children, so schemaUrl is kept) and shared by every span that carries them. */
#ifndef TL_RECORD_H
#define TL_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include "ingest/span.h"
#include "base/err.h"

struct zdict_trainer;   /* store/zdict.h */
struct zdict;

#define RECORD_NONE UINT32_MAX
#define RECORD_CHUNK_V2 0x02     /* first byte of a format-2 chunk (a zstd frame starts with 0x28) */

/* The fields of a span a format-2 entry leaves out: its spans row holds
 * them exactly (record_pack checks each against the struct span the row is
 * written from, and keeps in the record any that differ). */
enum record_row_field {
	RECORD_ROW_TRACE_ID = 1,
	RECORD_ROW_SPAN_ID = 2,
	RECORD_ROW_PARENT = 4,       /* the row's parent, or none (the record had an empty one) */
	RECORD_ROW_NAME = 8,
	RECORD_ROW_KIND = 16,
	RECORD_ROW_START = 32,
	RECORD_ROW_END = 64,
	RECORD_ROW_ALL = 127,
};

/* The values of a spans row a format-2 entry is completed from. */
struct record_row {
	const uint8_t *trace_id;     /* 16 bytes */
	const uint8_t *span_id;      /* 8 bytes */
	const uint8_t *parent_span_id;   /* NULL for none */
	size_t parent_len;
	const char *name;
	int kind;
	uint64_t start_ns, end_ns;
};

struct record_chunk {
	size_t first, count;         /* range of record_batch.order */
	const void *data;            /* zstd frame */
	size_t len;
};

struct record_blob {
	uint8_t hash[32];            /* SHA-256 of data */
	const void *data;            /* packed ResourceSpans or ScopeSpans */
	size_t len;
};

struct record_batch {
	size_t *order;               /* span indices grouped by trace, arrival order kept */
	struct record_chunk *chunks;
	size_t nchunks;
	struct record_blob *blobs;
	size_t nblobs;
	uint32_t *resource;          /* per span: blob index or RECORD_NONE */
	uint32_t *scope;             /* per span: blob index or RECORD_NONE */
	size_t raw_bytes;            /* packed span bytes before compression */
};

/* Packs and compresses every span of b into out (all memory in b->arena),
 * reading every record back as the read path will (record_*_unpack) before
 * anything is acknowledged. Runs in the submitting thread so compression
 * scales with HTTP workers. Chunks use zt's current dictionary (zdict.h)
 * and are offered to it as training samples; zt NULL = no dictionary.
 * Returns ERR_OK, or ERR_BAD_INPUT naming the first span whose record does
 * not read back (nothing is stored). */
enum err record_pack(struct span_batch *b, struct zdict_trainer *zt, struct record_batch *out, char *err,
                     size_t errlen);

/* Compresses raw[0..len) into one zstd frame allocated in a (*out,
 * *outlen) with a pooled context, at level 3 (nothing recompresses it),
 * without a dictionary (the log chunks, logstore.c, use it). Never fails (out of memory aborts). */
void record_compress(const void *raw, size_t len, struct arena *a, const void **out, size_t *outlen);
/* Fills the zstd compression and decompression contexts that exist now
 * (in use or idle: at most 2 of each idle, whatever the thread count).
 * Thread-safe. */
void record_zstd_contexts(size_t *cctx, size_t *dctx);
/* Frees the idle compression contexts of other levels than the chunks'
 * (record_chunk_recompress at a level: several MB each); the compaction
 * calls it when it pauses. Thread-safe. */
void record_zstd_trim(void);

/* Compresses raw[0..len) into one zstd frame in dst (bound >=
 * ZSTD_compressBound(len) bytes) with dictionary d (NULL: none) at level 3
 * (a frame kept as written: the previews), with a pooled context; returns
 * its size. */
size_t record_frame_compress(const struct zdict *d, void *dst, size_t bound, const void *raw, size_t len);
/* record_frame_compress at zstd level (0: the level chunks are packed at;
 * 1..RECORD_LEVEL_MAX, defined below), for a frame written once at the
 * level its writer chose. A level other than the chunks' and 3 takes a
 * context of the compaction's pool (record_zstd_trim frees its idle ones). */
size_t record_frame_compress_at(const struct zdict *d, int level, void *dst, size_t bound, const void *raw,
                                size_t len);
/* Decompresses one such frame (its dictionary looked up by the id it names,
 * zdict_find) into raw (max bytes) and sets *size. Returns ERR_OK, or
 * ERR_STORE if it is not a frame, holds more than max bytes, is corrupt or
 * names a dictionary no store opened has. */
enum err record_frame_decompress(const void *data, size_t len, void *raw, size_t max, size_t *size);

/* Decompresses chunk data of either format (with the dictionary its frame
 * names, looked up with zdict_find) and splits it into *count entries:
 * *spans (arena array of pointers into the arena) to packed Spans of *lens
 * bytes, and *fields (arena array): per entry the enum record_row_field
 * set its record leaves out (all 0 in format 1; an empty entry, a deleted
 * span, has 0). Returns ERR_OK, or ERR_STORE if the chunk is corrupt or
 * names a dictionary no store opened has (logged once per id; then the
 * outputs are unset). */
enum err record_chunk_entries(const void *data, size_t len, struct arena *a, size_t *count, const uint8_t ***spans,
                              size_t **lens, const uint8_t **fields);
/* record_chunk_entries for a reader without rows (logs, which are format
 * 1): ERR_STORE also if an entry leaves fields out. */
enum err record_chunk_split(const void *data, size_t len, struct arena *a, size_t *count,
                            const uint8_t ***spans, size_t **lens);
/* The id of the dictionary chunk data (either format) names: 0 for none or
 * not a chunk. */
unsigned record_chunk_dict_id(const void *data, size_t len);

/* Rewrites chunk data keeping only the entries i with keep[i] != 0 (keep
 * has n >= the chunk's entry count elements); the others become empty entries, so the kept ones keep
 * their index (spans.chunk_index, search document ids) while the bytes of
 * the removed spans are gone. *out is malloc'd (caller frees). Returns
 * ERR_OK, or ERR_BAD_INPUT if the chunk is corrupt or has more than n entries. */
enum err record_chunk_keep(const void *data, size_t len, const uint8_t *keep, size_t n, void **out, size_t *outlen);

/* Recompresses chunk data with dictionary d (NULL: none) at zstd level
 * (0: the level chunks are packed at; 1..RECORD_LEVEL_MAX), its format and
 * entries unchanged: it reads back as the same entries. *out is malloc'd
 * (caller frees). Returns ERR_OK, or ERR_STORE if the chunk is corrupt or
 * names a dictionary no store opened has. */
#define RECORD_LEVEL_MAX 19
/* The zstd level span chunks are packed at in the request threads (the
 * idle-time compaction recompresses them higher; record.c says why 1). */
#define RECORD_CHUNK_LEVEL 1
enum err record_chunk_recompress(const void *data, size_t len, const struct zdict *d, int level, void **out,
                                 size_t *outlen);

/* Rewrites format-1 chunk data as format 2 (the format conversion,
 * zformat.c): entry i loses the fields its spans row rows[i] holds exactly
 * (rows has n >= the chunk's entry count elements; NULL: no row points at
 * the entry, a retry's copy or a superseded version, which stays whole),
 * as record_pack would leave them out, and only when the entry read back
 * with the row (record_span_unpack_row) packs to its very bytes; any other
 * entry is kept whole with no flags, an empty one (a deleted span) empty.
 * So every reader with the same rows reads the same spans. Compressed with
 * the dictionary the chunk names at level (0: the chunks' level). *out is
 * malloc'd (caller frees). Returns
 * ERR_OK, or ERR_BAD_INPUT if data is not a format-1 chunk, is corrupt,
 * names a dictionary no store opened has or has more than n entries. */
enum err record_chunk_slim(const void *data, size_t len, const struct record_row *const *rows, size_t n, int level,
                           void **out, size_t *outlen);
/* The chunk format record_pack writes now: 2, or 1 when the environment
 * has TRACELITE_CHUNK_FORMAT=1 (tests and measurements of format 1). */
int record_pack_format(void);

/* Unpacks a stored message of type d after pbcheck (so a record nested too
 * deep for a worker's stack is refused, not unpacked); NULL if corrupt.
 * Allocations in a. The functions below are this for their types. */
void *record_unpack(const ProtobufCMessageDescriptor *d, const void *data, size_t len, struct arena *a);

/* Unpacks a stored blob; returns NULL if corrupt or nested too deep to
 * unpack safely on a worker's stack (pbcheck.h). Allocations in a. */
Tl__ResourceSpans *record_resource_unpack(const void *data, size_t len, struct arena *a);
Tl__ScopeSpans *record_scope_unpack(const void *data, size_t len, struct arena *a);
/* Unpacks one chunk entry; returns NULL if corrupt or too deep (as above). */
Tl__Span *record_span_unpack(const uint8_t *data, size_t len, struct arena *a);
/* record_span_unpack, then the fields in the set fields (enum
 * record_row_field) copied from row into the span (into a); row NULL (an
 * entry no row points at) leaves them unset. */
Tl__Span *record_span_unpack_row(const uint8_t *data, size_t len, unsigned fields, const struct record_row *row,
                                 struct arena *a);
/* A text field of a stored span: s[0..len), not NUL-terminated, cut at its
 * first NUL byte as a C string would be; s NULL (len 0) when none. */
struct record_text {
	const char *s;
	size_t len;
};

/* The text fields of a stored span the search index reads: its trace id,
 * name, input and output (genai_normalize's, without the resource), status
 * message, and the string exception.message attributes of its events. */
struct record_texts {
	const uint8_t *trace_id;           /* 16 bytes; NULL when the span has none of that length */
	struct record_text name, input, output, status;
	struct record_text *exceptions;    /* in event, then attribute order */
	size_t nexceptions;
};

/* The texts of an unpacked span sp (the reference reader): strings point
 * into sp or a. */
void record_texts_of_span(const Tl__Span *sp, struct arena *a, struct record_texts *out);
/* The texts record_span_unpack_row(data, len, fields, row) would give to
 * record_texts_of_span, read off the packed entry: only those fields are
 * decoded (an attribute only when its key can make input or output text,
 * or is exception.message in an event), the rest skipped without
 * allocating; an odd entry (a singular field repeated, a wrong wire type
 * where the walk reads) is unpacked whole instead. Strings point into
 * data, row or a. Returns ERR_OK, or ERR_BAD_INPUT if the entry does not
 * read back: whenever this refuses an entry record_span_unpack_row does
 * too (the reverse need not hold for damage in fields this skips). */
enum err record_span_texts(const uint8_t *data, size_t len, unsigned fields, const struct record_row *row,
                           struct arena *a, struct record_texts *out);
/* Fills r with the row values writer.c stores for s (pointers into s):
 * what its format-2 entry is completed from. */
void record_row_from_span(const struct span *s, struct record_row *r);

#endif
