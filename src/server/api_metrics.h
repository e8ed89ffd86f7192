/* api_metrics.h: the dashboard metrics endpoints (GET /api/metrics/...). */
#ifndef TL_API_METRICS_H
#define TL_API_METRICS_H
#include <civetweb.h>
#include "server/app.h"

void api_metrics_summary(struct mg_connection *c, struct app *app, const char *tail);
void api_metrics_timeseries(struct mg_connection *c, struct app *app, const char *tail);
void api_metrics_models(struct mg_connection *c, struct app *app, const char *tail);
void api_metrics_operations(struct mg_connection *c, struct app *app, const char *tail);

#endif
