/* api.h: the REST query endpoints (GET). Parameters are validated first
 * (args.h); a bad one gets 400 naming it. GET /api/search is api_search.h. */
#ifndef TL_API_H
#define TL_API_H
#include <civetweb.h>
#include "server/app.h"

/* GET /api/health: 200 {"status":"ok", checks, ...}, 503 when unhealthy. */
handler_fn api_health;
/* GET /api/traces: the trace list (query_traces), or a search with q=. */
handler_fn api_traces;
/* GET /api/traces/{id}: query_trace, or ?format=otlp query_trace_otlp. */
handler_fn api_trace;
/* GET /api/spans/{id}: query_span. */
handler_fn api_span;
/* GET /api/scores: query_scores, of one trace with ?trace_id=. */
handler_fn api_scores;
/* GET /api/projects: query_projects. */
handler_fn api_projects;
/* GET /api/replication: repl_status_json (src/server/api_repl.c). */
handler_fn api_replication;
/* GET /api/facets: distinct services, models and span names of recent
 * traces (for filter pickers); see query_facets. */
handler_fn api_facets;

#endif
