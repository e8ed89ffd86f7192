/* receive.h: the ingest endpoints: read the body, decode it, hand it to the
 * writer, and answer only once it is committed. */
#ifndef TL_RECEIVE_H
#define TL_RECEIVE_H
#include <civetweb.h>
#include "server/app.h"

/* POST /v1/traces, /api/v1/traces: OTLP protobuf/JSON, CognObserve JSON. */
handler_fn receive_otlp;
/* POST /api/traces/ingest: Neon traces. */
handler_fn receive_neon_traces;
/* POST /api/spans: Neon spans. */
handler_fn receive_neon_spans;
/* POST /api/scores. */
handler_fn receive_scores;

#endif
