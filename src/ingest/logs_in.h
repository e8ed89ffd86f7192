/* logs_in.h: OTLP log exports -> the log records of a span batch (span.h
 * struct log_rec): ids and severity checked per record (refused ones are a
 * partial success), service and project resolved as for spans, and the
 * process-wide counters of what was received, accepted and rejected. */
#ifndef TL_LOGS_IN_H
#define TL_LOGS_IN_H
#include <stddef.h>
#include <stdint.h>
#include "ingest/span.h"
#include "base/err.h"

#define LOGS_SEVERITY_MAX 24   /* OTLP SeverityNumber: 1..24, 0 unspecified */

/* Process-wide counts since start, for /metrics and /api/health. */
struct logs_in_counts {
	uint64_t received;         /* log records in exports that decoded */
	uint64_t accepted;         /* of them stored */
	uint64_t rejected;         /* of them refused (partial success or a failed commit) */
	uint64_t exports_refused;  /* exports refused as a whole (undecodable, too large, busy) */
};

/* Adds every log record of req (allocated in b->arena) to b->logs. A record
 * whose trace id is neither empty nor 16 bytes, whose span id is neither
 * empty nor 8 bytes, or whose severityNumber is outside 0..24 is refused:
 * counted in b->rejected with the first reason in b->reject_msg. Returns
 * ERR_OK, or ERR_BAD_INPUT with err filled when the request had records and
 * every one was refused. */
enum err logs_in_add_request(struct span_batch *b, const Tl__ExportLogsServiceRequest *req, char *err,
                             size_t errlen);
/* Records one logs export's outcome: rc ERR_OK adds b's records as
 * accepted, anything else a refused export with b's records (if any; b NULL:
 * refused before decoding) as rejected. b->rejected records are counted
 * received and rejected. Also feeds tracelite_ingest_log_records_total.
 * Thread-safe. */
void logs_in_note(enum err rc, const struct span_batch *b);
/* Copies the counts so far into *out. Thread-safe. */
void logs_in_counts(struct logs_in_counts *out);
/* Returns the short name of a severity number's range ("TRACE", "DEBUG",
 * "INFO", "WARN", "ERROR", "FATAL"), or "UNSPECIFIED" for 0 and out of range. */
const char *logs_severity_name(int severity);
/* Parses a minimum severity given as a number 0..24 or a name (TRACE, DEBUG,
 * INFO, WARN/WARNING, ERROR, FATAL, any case, optionally with a digit 2..4
 * as in INFO3) into *out. Returns ERR_OK or ERR_BAD_INPUT. */
enum err logs_severity_parse(const char *s, int *out);

#endif
