/* api_prom.h: GET /metrics, everything base/counters holds in the
 * Prometheus text format, with the gauges read at scrape time (queue,
 * store files, search lag, replication, process). */
#ifndef TL_API_PROM_H
#define TL_API_PROM_H
#include <civetweb.h>
#include "server/app.h"

/* Declares the server's families (help and type) and their zero series,
 * so a first scrape already shows them. Call once before serving. */
void api_prom_declare(void);
/* GET /metrics: text/plain; version=0.0.4. Read-only. */
void api_prom(struct mg_connection *c, struct app *app, const char *tail);
/* Counts one answered request by route (label, a route table path) and
 * status class ("2xx"..."5xx"). */
void api_prom_count_request(const char *route, int status);

/* Adds delta (+1 or -1) to the open connections gauge. */
void api_prom_connections(int delta);

#endif
