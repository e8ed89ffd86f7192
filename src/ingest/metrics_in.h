/* metrics_in.h: OTLP metrics exports are accepted so SDKs configured with
 * one endpoint for every signal stop logging errors, but not stored: their
 * data points are counted here (per request and process-wide) and dropped. */
#ifndef TL_METRICS_IN_H
#define TL_METRICS_IN_H
#include <stdint.h>
#include <cjson/cJSON.h>
#include "otlp.pb-c.h"
#include "base/err.h"

/* Process-wide counts since start, for /metrics and /api/health. */
struct metrics_in_counts {
	uint64_t exports;          /* metrics exports accepted (HTTP and gRPC) */
	uint64_t points_received;  /* data points in them; every one is dropped after counting */
	uint64_t exports_refused;  /* metrics exports refused (undecodable, too large, busy) */
};

/* Returns the data points of an unpacked export: every gauge, sum,
 * histogram, exponential histogram and summary point. */
int64_t metrics_in_points_pb(const Tl__ExportMetricsServiceRequest *req);
/* Counts the data points of an OTLP/JSON ExportMetricsServiceRequest
 * (lowerCamelCase or snake_case keys) into *points. Returns ERR_OK, or
 * ERR_BAD_INPUT with err naming the first value of the wrong type
 * (e.g. "resourceMetrics[0].scopeMetrics: expected an array"). */
enum err metrics_in_points_json(const cJSON *root, int64_t *points, char *err, size_t errlen);
/* Records one export's outcome: rc ERR_OK adds an export of points data
 * points, anything else a refused export. Thread-safe. */
void metrics_in_note(enum err rc, int64_t points);
/* Copies the counts so far into *out. Thread-safe. */
void metrics_in_counts(struct metrics_in_counts *out);

#endif
