/* spanview.h: the one reader of stored spans. A spanview runs on a read
 * connection and yields typed stored spans: the hot columns of the spans
 * row plus the record unpacked from its chunk, with its resource and scope.
 * Query (the API), search (the index) and replication (rows) all read
 * through it, so none of them depends on another's output format. Each
 * chunk is decompressed and each blob unpacked once per spanview. */
#ifndef TL_SPANVIEW_H
#define TL_SPANVIEW_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "otlp.pb-c.h"
#include "base/err.h"


struct spanview;
struct record_texts;   /* store/record.h */
struct record_row;

/* A stored span. Pointers into the row (ids, strings) stay valid until the
 * next spanview_next; otlp, resource and scope until spanview_close. */
struct stored_span {
	/* the spans row */
	const uint8_t *trace_id;           /* 16 bytes */
	const uint8_t *span_id;            /* 8 bytes */
	const uint8_t *parent_span_id;     /* NULL for a root */
	size_t parent_len;
	const char *project_id;            /* the project's UUID */
	const char *name, *service;
	const char *model, *provider;      /* NULL when none */
	const char *status_message;        /* NULL when none (the row's, else the record's) */
	int kind;                          /* OTLP SpanKind as stored */
	int type;                          /* enum span_type */
	int status_code;                   /* 0 unset, 1 ok, 2 error */
	uint64_t start_ns, end_ns;
	int64_t input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
	double cost_usd;
	int has_cost;
	int cost_source;                   /* enum span_cost_source */
	int64_t chunk;                     /* chunks.id: the change sequence */
	int64_t resource_id, scope_id;     /* blobs.id; 0 when none */
	/* the record: NULL when it does not read back (corrupt, or nested too
	 * deep to unpack safely); resource and scope also when none */
	const Tl__Span *otlp;
	const Tl__ResourceSpans *resource;
	const Tl__ScopeSpans *scope;
};

/* The text fields a span's attributes carry (genai.h), NULL when absent. */
struct stored_text {
	const char *input, *output, *session_id, *user_id;
};

/* The order spanview_trace yields a trace's spans in. */
enum spanview_order {
	SPANVIEW_BY_START,                 /* start time, then span id */
	SPANVIEW_BY_RESOURCE,              /* resource, scope, start, span id (OTLP grouping) */
};

/* Opens a spanview on db (a read connection the caller keeps open).
 * Returns ERR_OK with *out set, or ERR_STORE. */
enum err spanview_open(sqlite3 *db, struct spanview **out);
/* Frees v, its caches and every record it returned. NULL is a no-op. */
void spanview_close(struct spanview *v);
/* The arena v's records live in, for memory that should live as long. */
struct arena *spanview_arena(struct spanview *v);

/* Selects the spans of a trace in order, limit spans from offset (limit
 * < 0: all). Returns ERR_OK or ERR_STORE; then iterate with spanview_next. */
enum err spanview_trace(struct spanview *v, const uint8_t trace_id[16], enum spanview_order order, long long offset,
                        int limit);
/* Selects the most recent span with this id. Returns ERR_OK or ERR_STORE. */
enum err spanview_span(struct spanview *v, const uint8_t span_id[8]);
/* Selects the spans stored in chunks after < chunk <= upto in commit order
 * (chunk, then index in it). Returns ERR_OK or ERR_STORE. */
enum err spanview_chunks(struct spanview *v, int64_t after, int64_t upto);
/* Fills *s with the next selected span. Returns 1, 0 after the last, or
 * ERR_STORE. A record that does not read back is no error: s->otlp is
 * NULL, and the caller reports it (spanview_log_unreadable). */
int spanview_next(struct spanview *v, struct stored_span *s);

/* The records of chunk id in entry order (every entry, also those whose
 * row a retry kept from being stored): *n entries in *spans, NULL where a
 * record does not read back. A format-2 entry (record.h) gets its ids,
 * name, kind and times from the row pointing at it; one without a row (a
 * retry's copy) has them empty (trace_id.len 0). Valid until spanview_close
 * or spanview_reset. Returns ERR_OK, ERR_NOT_FOUND (no such chunk),
 * ERR_BAD_INPUT (the chunk is corrupt) or ERR_STORE (its rows unreadable). */
enum err spanview_chunk_records(struct spanview *v, int64_t id, const Tl__Span *const **spans, size_t *n);
/* The text fields of every entry of chunk id in entry order, as
 * spanview_chunk_records' records would give them to record_texts_of_span
 * (same rows, same entries), but read with record_span_texts: only those
 * fields are decoded. *n entries in *texts, NULL where an entry does not
 * read back. Valid until spanview_close or spanview_reset. Returns ERR_OK,
 * ERR_NOT_FOUND (no such chunk), ERR_BAD_INPUT (the chunk is corrupt) or
 * ERR_STORE (its rows unreadable). */
enum err spanview_chunk_texts(struct spanview *v, int64_t id, const struct record_texts *const **texts, size_t *n);
/* The spans rows of chunk id's entries, as spanview_chunk_records
 * completes format-2 entries from them: *n entries in *rows, NULL where
 * no row points at the entry (or one record_pack did not write: no trace
 * id or name, a span id not of 8 bytes), read for every entry whatever
 * the chunk's format (the format conversion, zformat.c). Valid until
 * spanview_close or spanview_reset. Returns ERR_OK, ERR_NOT_FOUND (no
 * such chunk), ERR_BAD_INPUT (the chunk is corrupt) or ERR_STORE (its
 * rows unreadable). */
enum err spanview_chunk_rows(struct spanview *v, int64_t id, const struct record_row *const **rows, size_t *n);
/* Drops every cached chunk and blob and every record returned so far
 * (a long scan keeps its memory bounded). */
void spanview_reset(struct spanview *v);

/* Derives input, output, session and user from a record's attributes
 * (session and user also from the resource's), as ingest does
 * (genai_normalize); strings in a. sp may not be NULL. */
void spanview_text(const Tl__Span *sp, const Tl__ResourceSpans *resource, struct arena *a, struct stored_text *out);
/* Logs one line naming a span whose stored record is unreadable (skipped
 * by the caller); span_id may be NULL. */
void spanview_log_unreadable(const uint8_t *trace_id, const uint8_t *span_id);

#endif
