/* counters.h: process-wide named counters, gauges and histograms, with
 * labels, for GET /metrics (Prometheus text format). Any thread may add to
 * any series at any time (C11 atomics; a new series takes a mutex once);
 * a family is declared with its help text before or on first use.
 * Example: counters_add("tracelite_retention_deleted_traces_total", n,
 *                       "reason", "age", NULL); */
#ifndef TL_COUNTERS_H
#define TL_COUNTERS_H
#include <stddef.h>
#include <stdint.h>
#include "base/json.h"

enum counters_type { COUNTERS_COUNTER, COUNTERS_GAUGE, COUNTERS_HISTOGRAM };

#define COUNTERS_MAX_FAMILIES 96
#define COUNTERS_MAX_SERIES 2048   /* over all families; more are dropped (and counted) */
#define COUNTERS_MAX_BUCKETS 16
#define COUNTERS_LABELS_MAX 384    /* bytes of one series' label text */

/* Declares the family name (a Prometheus metric name; counters end in
 * _total) with its type and one-line help. Idempotent: a second
 * declaration of a name changes nothing. bounds (histograms only; NULL
 * for counters_default_seconds) are nb <= COUNTERS_MAX_BUCKETS ascending
 * upper bounds, +Inf implied. Returns 0, or -1 when the family table is
 * full or name is not a valid metric name. Thread-safe. */
int counters_declare(const char *name, enum counters_type type, const char *help, const double *bounds, int nb);
/* Adds n to the counter (or gauge) series name{labels}; the labels are
 * "key", "value" pairs ending with NULL (the compiler checks the NULL is
 * there: without it va_arg reads past the arguments, which x86-64 happened
 * to survive and arm64 did not). An undeclared name becomes a
 * counter with no help. Thread-safe, lock-free once the series exists. */
void counters_add(const char *name, uint64_t n, ...) __attribute__((sentinel));
/* Adds delta (may be negative) to the gauge series name{labels}. */
void counters_gauge_add(const char *name, int64_t delta, ...) __attribute__((sentinel));
/* Sets the gauge (or counter, for values kept elsewhere) series to v. */
void counters_set(const char *name, double v, ...) __attribute__((sentinel));
/* Counts v into the histogram series name{labels}. */
void counters_observe(const char *name, double v, ...) __attribute__((sentinel));
/* Upper bounds in seconds for latencies (1 ms .. 10 s). */
extern const double counters_default_seconds[];
extern const int counters_default_seconds_n;
/* Appends every declared family with its series in the text exposition
 * format 0.0.4 to b: # HELP and # TYPE lines, then one line per series
 * (histograms: _bucket with le, _sum, _count), families in declaration
 * order, series in creation order. A family with no series shows only its
 * HELP and TYPE. Thread-safe. */
void counters_render(struct jbuf *b);
/* Returns the number of series (they live as long as the process). */
int counters_series_count(void);

#endif
