/* api.h: the REST query endpoints (GET). Parameters are validated first
 * (args.h); a bad one gets 400 naming it. GET /api/search is api_search.h. */
#ifndef TL_API_H
#define TL_API_H
#include <civetweb.h>
#include "server/app.h"

/* GET /api/health: 200 {"status":"ok", checks, ...}, 503 when unhealthy. */
void api_health(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/traces: the trace list (query_traces), or a search with q=. */
void api_traces(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/traces/{id}: query_trace, or ?format=otlp query_trace_otlp. */
void api_trace(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/spans/{id}: query_span. */
void api_span(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/scores: query_scores, of one trace with ?trace_id=. */
void api_scores(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/projects: query_projects. */
void api_projects(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/replication: repl_status_json (src/server/api_repl.c). */
void api_replication(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/facets: distinct services, models and span names of recent
 * traces (for filter pickers); see query_facets. */
void api_facets(struct mg_connection *c, struct app *app, const char *tail);

#endif
