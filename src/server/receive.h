/* receive.h: the ingest endpoints: read the body, decode it, hand it to the
 * writer, and answer only once it is committed. */
#ifndef TL_RECEIVE_H
#define TL_RECEIVE_H
#include <civetweb.h>
#include "server/app.h"
#include "ingest/ingest.h"
#include "ingest/native.h"

/* One ingest request to route: reads the body, decodes it (a Langfuse
 * batch with lf's callbacks; lf NULL otherwise), commits it and answers.
 * project names the project (NULL: the X-Project-ID header). Returns the
 * outcome answered: ERR_OK once committed (lf->done called first),
 * else the error sent. */
enum err receive_as(struct mg_connection *c, struct app *app, enum ingest_route route, const char *project,
                    struct langfuse_io *lf);

/* POST /v1/traces, /api/v1/traces: OTLP protobuf/JSON, CognObserve JSON. */
handler_fn receive_otlp;
/* POST /api/traces/ingest: Neon traces. */
handler_fn receive_neon_traces;
/* POST /api/spans: Neon spans. */
handler_fn receive_neon_spans;
/* POST /api/scores. */
handler_fn receive_scores;

#endif
