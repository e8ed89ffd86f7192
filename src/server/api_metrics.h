/* api_metrics.h: the dashboard metrics endpoints (GET /api/metrics/...). */
#ifndef TL_API_METRICS_H
#define TL_API_METRICS_H
#include <civetweb.h>
#include "server/app.h"

handler_fn api_metrics_summary;
handler_fn api_metrics_timeseries;
handler_fn api_metrics_models;
handler_fn api_metrics_operations;

#endif
