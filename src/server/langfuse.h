/* langfuse.h: the endpoints Langfuse's SDKs call, under /api/public:
 * OTLP traces, batch ingestion, the project (auth) check and health. */
#ifndef TL_LANGFUSE_H
#define TL_LANGFUSE_H
#include <civetweb.h>
#include "server/app.h"

/* POST /api/public/otel/v1/traces: OTLP as on /v1/traces, the project
 * named by the Basic credentials' public key. */
void langfuse_otel(struct mg_connection *c, struct app *app, const char *tail);
/* POST /api/public/ingestion: a Langfuse batch, answered 207 with every
 * event's outcome (400 when the body is not a batch). */
void langfuse_ingestion(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/public/projects: {"data":[{id, name}]} for the credentials. */
void langfuse_projects(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/public/health: {"status":"OK", "version"}. */
void langfuse_health(struct mg_connection *c, struct app *app, const char *tail);

#endif
