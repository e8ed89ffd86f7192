/* attrindex.h: the per-trace attribute index (schema/008_attr_index.sql)
 * the writer fills and the trace-list filters read (query/filters.h): each
 * distinct (key, scalar value) of a trace's span and resource attributes,
 * once per trace. Writer thread only. */
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

struct attrindex;

/* Interns s (the writer's strings table); returns ERR_OK or ERR_STORE. */
typedef enum err (*attrindex_intern_fn)(void *ctx, const char *s, int64_t *id);

/* Prepares the index's statement on db (the writer's connection). Returns
 * ERR_OK or ERR_STORE. */
enum err attrindex_open(sqlite3 *db, struct attrindex **out);
void attrindex_close(struct attrindex *x);
/* Adds span s of trace (traces.key) to the index: its attributes as
 * "a:KEY", its resource's as "r:KEY" (once per resource per trace run),
 * each distinct pair once per run of spans of one trace. Scalars are
 * stored as integer, real or text (booleans as 'true'/'false'); arrays and
 * kvlists of scalars by element (KEY) and member (KEY.member); the JSON
 * text of metadata and tags attributes (docs/api.md) as its members.
 * Returns ERR_OK or ERR_STORE. */
enum err attrindex_span(struct attrindex *x, int64_t trace, const struct span *s, attrindex_intern_fn intern,
                        void *ctx);
/* Forgets what was seen (after a rolled-back transaction). */
void attrindex_reset(struct attrindex *x);

#endif
