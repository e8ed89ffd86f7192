/* api_search.h: GET /api/search, the q= path of GET /api/traces, and the
 * indexer's progress for GET /api/health (api_search.c). */
#ifndef TL_API_SEARCH_H
#define TL_API_SEARCH_H
#include <civetweb.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include "query/query.h"
#include "server/app.h"

/* GET /api/search: the trace-list parameters plus a required q. */
handler_fn api_search;
/* Runs the search f->q with f's filters and sends the answer: 400 naming q
 * for bad syntax; with_index adds the indexer's "index" status. */
void api_search_run(struct mg_connection *c, struct app *app, sqlite3 *db, const struct trace_filter *f,
                    int with_index);
/* {"indexed_spans","pending_spans","lag_seconds",...}: the indexer's
 * progress, for /api/health and a search's "index"; with_shape (health
 * only) adds the index's segments, bytes and idle-time merge, which
 * differ between two stores of the same spans. */
cJSON *api_search_status(struct app *app, sqlite3 *db, int with_shape);

#endif
