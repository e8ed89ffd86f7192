/* receive.h: the ingest endpoints: read the body, decode it, hand it to the
 * writer, and answer only once it is committed. */
#ifndef TL_RECEIVE_H
#define TL_RECEIVE_H
#include <civetweb.h>
#include "server/app.h"

/* POST /v1/traces, /api/v1/traces: OTLP protobuf/JSON, CognObserve JSON. */
void receive_otlp(struct mg_connection *c, struct app *app, const char *tail);
/* POST /api/traces/ingest: Neon traces. */
void receive_neon_traces(struct mg_connection *c, struct app *app, const char *tail);
/* POST /api/spans: Neon spans. */
void receive_neon_spans(struct mg_connection *c, struct app *app, const char *tail);
/* POST /api/scores. */
void receive_scores(struct mg_connection *c, struct app *app, const char *tail);

#endif
