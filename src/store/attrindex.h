/* attrindex.h: the attribute index (schema/007_attr_index.sql) the writer
 * fills and the trace-list filters read (query/filters.h): each distinct
 * (key, scalar value) of a trace's span attributes once per trace, and of
 * each resource once, with the traces each resource appears in. Writer
 * thread only. */
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
#define ATTRINDEX_RESOURCES_CACHED 100000  /* resource ids remembered as indexed */
#define ATTRINDEX_SEEN_MAX 65536     /* pairs of one trace run remembered */

struct attrindex;

/* Interns s (the writer's strings table); returns ERR_OK or ERR_STORE. */
typedef enum err (*attrindex_intern_fn)(void *ctx, const char *s, int64_t *id);

/* Prepares the index's statement on db (the writer's connection). Returns
 * ERR_OK or ERR_STORE. */
enum err attrindex_open(sqlite3 *db, struct attrindex **out);
void attrindex_close(struct attrindex *x);
/* Adds span s of trace (traces.key) to the index: its attributes as
 * "a:KEY" in trace_attrs, each distinct pair once per run of spans of one
 * trace; its resource (blobs.id resource, 0 = none) linked to the trace in
 * trace_resources, and the resource's attributes as "r:KEY" in
 * resource_attrs the first time the resource is seen. Scalars are stored
 * as integer, real or text (booleans as 'true'/'false'); arrays of strings
 * or booleans by element (KEY), kvlists of scalars by member (KEY.member);
 * the JSON text of metadata and tags attributes (docs/api.md) as its
 * members. Text, per-span ids and token counts are left out. Returns
 * ERR_OK or ERR_STORE. */
enum err attrindex_span(struct attrindex *x, int64_t trace, const struct span *s, int64_t resource,
                        attrindex_intern_fn intern, void *ctx);
/* Forgets what was seen (after a rolled-back transaction). */
void attrindex_reset(struct attrindex *x);

#endif
