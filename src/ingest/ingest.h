/* ingest.h: turns an HTTP request body into a span batch: content-type and
 * route dispatch, gzip/deflate with a cap on the inflated size, OTLP
 * protobuf, OTLP JSON, and the native JSON shapes. */
#ifndef TL_INGEST_H
#define TL_INGEST_H
#include <stddef.h>
#include "base/reqmem.h"
#include "ingest/span.h"
#include "base/err.h"

enum ingest_route {
	INGEST_OTLP,          /* /v1/traces, /api/v1/traces (also CognObserve JSON) */
	INGEST_NEON_TRACES,   /* /api/traces/ingest */
	INGEST_NEON_SPANS,    /* /api/spans */
	INGEST_SCORES,        /* /api/scores */
	INGEST_LANGFUSE,      /* /api/public/ingestion (b->langfuse set) */
	INGEST_METRICS,       /* /v1/metrics, MetricsService/Export: checked and counted, not stored */
	INGEST_LOGS,          /* /v1/logs, LogsService/Export: log records into b->logs */
};

enum ingest_encoding { INGEST_JSON, INGEST_PROTOBUF };

/* Installs cJSON allocation hooks so request bodies parse into a
 * per-request arena. Call once before any thread uses cJSON. */
void ingest_init(void);

/* Returns the encoding for a Content-Type header value (parameters such as
 * charset ignored), or -1 if it is neither JSON nor protobuf. NULL -> -1. */
int ingest_content_type(const char *content_type);

/* Decodes body[0..len) sent to route with the given encoding and
 * Content-Encoding (NULL/"identity", "gzip", "deflate") into b, taking the
 * memory it decodes with from m (reqmem.h; NULL: unbounded) before
 * allocating it. JSON is scanned (jsonscan.h) and protobuf checked
 * (pbcheck.h) before either is parsed. INGEST_METRICS takes an OTLP
 * ExportMetricsServiceRequest (protobuf or JSON) and only counts its data
 * points into b->metric_points (metrics_in.h). Returns ERR_OK (spans refused
 * individually are counted in b->rejected), or ERR_BAD_INPUT
 * (undecodable, too deep), ERR_TOO_LARGE (over SPAN_MAX_BODY once inflated,
 * too many JSON values, more than the memory budget), ERR_BUSY (the budget
 * is held by other requests), ERR_MEDIA_TYPE (encoding or content coding
 * not taken here), with err naming what is wrong. */
enum err ingest_decode(enum ingest_route route, int encoding, const char *content_encoding,
                       const void *body, size_t len, struct span_batch *b, struct reqmem *m, char *err,
                       size_t errlen);

#endif
