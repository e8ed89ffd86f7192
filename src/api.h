/* api.h: the REST query endpoints (GET). Parameters are validated first;
 * a bad one gets 400 naming it. */
#ifndef TL_API_H
#define TL_API_H
#include <civetweb.h>
#include <stdint.h>
#include "app.h"

void api_health(struct mg_connection *c, struct app *app, const char *tail);
void api_traces(struct mg_connection *c, struct app *app, const char *tail);
void api_trace(struct mg_connection *c, struct app *app, const char *tail);
void api_span(struct mg_connection *c, struct app *app, const char *tail);
void api_scores(struct mg_connection *c, struct app *app, const char *tail);
void api_projects(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/facets: distinct services, models and span names of recent
 * traces (for filter pickers); see query_facets. */
void api_facets(struct mg_connection *c, struct app *app, const char *tail);

/* Parses an ISO-8601 UTC time ("2025-01-02T03:04:05.123Z", offsets and a
 * bare date allowed) or an integer (seconds, milliseconds or nanoseconds
 * since the epoch, told apart by magnitude) into unix nanos. Returns 0 or
 * ERR_BAD_INPUT. */
int api_parse_time(const char *s, uint64_t *ns);

#endif
