/* receive.h: the ingest endpoints: read the body, decode it, hand it to the
 * writer, and answer only once it is committed. */
#ifndef TL_RECEIVE_H
#define TL_RECEIVE_H
#include <civetweb.h>
#include "server/app.h"
#include "base/reqmem.h"
#include "ingest/ingest.h"
#include "ingest/native.h"
#include "ingest/span.h"

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
/* POST /v1/metrics: OTLP metrics (protobuf or JSON), counted, not stored;
 * 200 with an empty ExportMetricsServiceResponse. */
handler_fn receive_metrics;
/* POST /v1/logs: OTLP logs (protobuf or JSON), stored; 200 with an
 * ExportLogsServiceResponse (partialSuccess when records were refused). */
handler_fn receive_logs;

/* The largest ExportTraceServiceResponse receive_trace_response packs (a
 * partial success with reject_msg). */
#define RECEIVE_RESPONSE_MAX 512
/* Packs the ExportTraceServiceResponse for a committed batch into out
 * (partial_success when b refused spans) and returns its length; HTTP
 * protobuf and gRPC answer with it. A logs export answers with it too: an
 * ExportLogsServiceResponse is the same on the wire (partial_success = 1
 * holding rejected_log_records = 1 and error_message = 2, as otlp.proto
 * declares both). */
size_t receive_trace_response(const struct span_batch *b, uint8_t out[RECEIVE_RESPONSE_MAX]);

/* The ingest path without its transport, shared by the HTTP routes and
 * OTLP/gRPC: decodes body[0..len) (content_encoding NULL/identity, gzip or
 * deflate, inflated under the same cap) for route and encoding into a new
 * batch for project (NULL: the default; lf as for receive_as), prices it and submits it to the
 * writer, returning only once it is committed (durable on ack). *out gets
 * the batch in every case (caller frees it with span_batch_free; its
 * rejected/reject_msg are the partial success, metric_points the count of
 * a metrics export). Memory is taken from mem (caller releases it); first
 * the request waits its turn to decode (reqmem_admit on mem), which lasts
 * until that release. owned, the allocation holding body (or NULL), is
 * freed once decoded, before the wait for the commit: the caller gives it up.
 * Returns ingest_decode's and writer_submit's codes: ERR_BAD_INPUT,
 * ERR_TOO_LARGE, ERR_MEDIA_TYPE, ERR_BUSY (queue full: UNAVAILABLE / 503),
 * ERR_STORE; metrics exports are counted in metrics_in.h. */
enum err receive_commit(struct app *app, enum ingest_route route, int encoding, const char *content_encoding,
                        const char *project, struct langfuse_io *lf, const void *body, size_t len, void *owned,
                        struct reqmem *mem, struct span_batch **out, char *err, size_t errlen);

#endif
