/* api_export.h: GET /api/export/traces and GET /api/export/spans
 * (api_export.c): the trace list's filters, q and cursor, ?format=jsonl
 * (default), csv or otlp; the answer is streamed. */
#ifndef TL_API_EXPORT_H
#define TL_API_EXPORT_H
#include <civetweb.h>
#include "server/app.h"

/* Every selected trace: its trace-list object per line (jsonl), a CSV row,
 * or its spans as OTLP/JSON ExportTraceServiceRequest lines (otlp). */
handler_fn api_export_traces;
/* Every span of every selected trace: the API's span object per line
 * (jsonl), a CSV row, or OTLP lines as for traces. */
handler_fn api_export_spans;

#endif
