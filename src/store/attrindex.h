/* attrindex.h: the attribute index (schema/007_attr_index.sql,
 * 011_attr_pairs.sql and 015_pairsets.sql) the writer
 * fills and the trace-list filters read (query/filters.h): each distinct
 * (key, scalar value) of a trace's span attributes once per trace, and of
 * each resource once, with the traces each resource appears in. The span
 * attributes are prepared in the submitting thread (attrindex_prepare);
 * the rest runs in the writer thread. */
#ifndef TL_ATTRINDEX_H
#define TL_ATTRINDEX_H
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"
#include "ingest/span.h"

#define ATTRINDEX_KEY_MAX 128        /* longer keys are not indexed */
#define ATTRINDEX_VALUE_MAX 256      /* longer string values are not indexed */
#define ATTRINDEX_ELEMS_MAX 32       /* array elements / kvlist members indexed per value */
#define ATTRINDEX_JSON_MAX 8192      /* metadata and tags sent as JSON text: parsed up to this size */
/* Each of the writer's attribute-index caches (resource ids indexed,
 * attr_pairs ids, pair_blocks rows, pairs of one trace run) and the pairs
 * of one trace run a request remembers hold at most this many bytes: a
 * full one is forgotten, and a miss costs a lookup or an ignored insert.
 * They were bounded by entries (100,000), which at 1M spans let the
 * pair_blocks cache alone hold 11 MB. */
#define ATTRINDEX_CACHE_BYTES (1u << 20)
#define ATTRINDEX_PENDING_MAX 65536  /* pair ids of one trace run held before they are written */
#define ATTRINDEX_BLOCK_BITS 8       /* pair_blocks.block = traces.key >> this (schema/011) */

struct attrindex;

/* One (key, value) pair of attr_pairs to be: key is "a:KEY", value as type says (s
 * with slen bytes for text). All memory in the batch's arena. */
enum { ATTRINDEX_INT, ATTRINDEX_REAL, ATTRINDEX_TEXT };
struct attrindex_entry {
	const char *key;
	int type;
	int64_t i;
	double d;
	const char *s;
	size_t slen;
};
/* A span's entries: only pairs not already taken by an earlier span of the
 * same run of spans of one trace in the batch. */
struct attrindex_prep {
	struct attrindex_entry *v;
	size_t n;
};

/* Interns s (the writer's strings table); returns ERR_OK or ERR_STORE. */
typedef enum err (*attrindex_intern_fn)(void *ctx, const char *s, int64_t *id);

/* Prepares the index's statement on db (the writer's connection). Returns
 * ERR_OK or ERR_STORE. */
enum err attrindex_open(sqlite3 *db, struct attrindex **out);
void attrindex_close(struct attrindex *x);
/* Walks the span attributes of b's spans in order (order[0..nspans), span
 * indices grouped by trace, as record_pack sorts them) and fills out[i]
 * (out has b->nspans elements, indexed like b->spans) with the distinct
 * pairs of each run of one trace, as "a:KEY" entries. Scalars are kept as
 * integer, real or text (booleans as 'true'/'false'); arrays of strings or
 * booleans by element (KEY), kvlists of scalars by member (KEY.member);
 * the JSON text of metadata and tags attributes (docs/api.md) as its
 * members. Text, per-span ids and token counts are left out. Allocates in
 * b->arena. Any thread; no store access. */
void attrindex_prepare(const struct span_batch *b, const size_t *order, struct attrindex_prep *out);
/* Adds span s of trace (traces.key) to the index: its prepared entries p
 * to the trace's pair set (keys interned with intern, pairs in attr_pairs,
 * with their pair_blocks rows; pairs the stored set has are merged away).
 * The set of a run of calls for one trace is written (trace_pairsets,
 * schema/015) when a call names another trace or by attrindex_flush, which
 * the caller must call before committing. Its resource (blobs.id resource, 0 = none) linked to the trace
 * in trace_resources, and the resource's attributes as "r:KEY" in
 * resource_attrs the first time the resource is seen. Writer thread.
 * Returns ERR_OK or ERR_STORE. */
enum err attrindex_span_prepared(struct attrindex *x, int64_t trace, const struct span *s,
                                 const struct attrindex_prep *p, int64_t resource, attrindex_intern_fn intern,
                                 void *ctx);
/* The same for one span whose entries are not prepared: walks its
 * attributes here as attrindex_prepare does, each distinct pair once per
 * run of calls for one trace (for callers that read stored spans one by
 * one). Returns ERR_OK or ERR_STORE. */
enum err attrindex_span(struct attrindex *x, int64_t trace, const struct span *s, int64_t resource,
                        attrindex_intern_fn intern, void *ctx);
/* Writes the pending pair set of the current trace run to trace_pairsets,
 * merged with the stored one (a no-op when none is pending). Returns
 * ERR_OK or ERR_STORE. */
enum err attrindex_flush(struct attrindex *x);
/* Forgets what was seen and what is pending (after a rolled-back
 * transaction). */
void attrindex_reset(struct attrindex *x);
/* Returns the bytes the writer's caches of x hold (intern_bytes). */
size_t attrindex_cache_bytes(const struct attrindex *x);

#endif
