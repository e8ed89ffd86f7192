/* facets.h: the distinct values the trace filters can take (services,
 * models, root span names), read from the most recent traces. */
#ifndef TL_FACETS_H
#define TL_FACETS_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"

/* How many of the newest matching traces facets look at. */
#define FACETS_SCAN 5000

/* {"services":[...], "models":[...], "names":[...], "traces_scanned":N}:
 * each list sorted and distinct, over the newest FACETS_SCAN traces of
 * project (0 = all) starting in [from_ns, to_ns] (0 = open). Returns ERR_OK
 * or ERR_STORE; *out is the caller's. */
enum err query_facets(sqlite3 *db, int64_t project, uint64_t from_ns, uint64_t to_ns, cJSON **out);

#endif
