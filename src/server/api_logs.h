/* api_logs.h: GET /api/logs, the stored OTLP log records (query/logquery.h)
 * with the usual time, project and service filters plus severity, trace_id,
 * span_id and q. */
#ifndef TL_API_LOGS_H
#define TL_API_LOGS_H
#include "server/app.h"

/* GET /api/logs?from=&to=&project=&service=&severity=&trace_id=&span_id=&q=
 * &limit=&cursor=: {"logs":[...], "next_cursor"}, newest first; 400 naming
 * a bad parameter, 404 for an unknown project. */
handler_fn api_logs;

#endif
