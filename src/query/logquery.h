/* logquery.h: GET /api/logs on a read-only connection: the stored log
 * records matching time, project, service, minimum severity, trace, span
 * and body-substring filters, newest first, in pages with a stable cursor. */
#ifndef TL_LOGQUERY_H
#define TL_LOGQUERY_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"

/* Records looked at for one page of a body search (q): past it the page
 * ends early with a cursor to continue from. */
#define LOGQUERY_SCAN_MAX 20000

struct log_filter {
	int64_t project;                 /* 0 = every project */
	uint64_t from_ns, to_ns;         /* time range [from, to); 0 = open */
	const char *service;             /* NULL = any */
	int min_severity;                /* 0 = any */
	uint8_t trace_id[16], span_id[8];
	int has_trace, has_span;
	const char *q;                   /* substring of the body; NULL = any */
	int limit;                       /* 1.. */
	int has_cursor;                  /* only records before (cursor_time, cursor_id) */
	int64_t cursor_time, cursor_id;
};

/* Builds {"logs":[...], "next_cursor":"<time_ns>.<id>"|null} for f into
 * *out (caller deletes). Each log: time, time_ns (string), severity_number,
 * severity_text, severity (range name), body (a string: the string value, or
 * the JSON text of any other value), attributes, resource, scope, service,
 * project, trace_id, span_id, flags, event_name. Returns ERR_OK or
 * ERR_STORE. */
enum err logquery_run(sqlite3 *db, const struct log_filter *f, cJSON **out);
/* For replication: appends to items the records of the log chunks after
 * after_chunk, whole chunks of at most max_records rows in all (at least
 * one chunk), in (chunk, index) order, each as logquery_run's objects plus
 * record_id (32 hex digits: logstore_entry_id), project_id (the
 * project's UUID) and chunk (its log chunk id); *last_chunk = the last chunk read (after_chunk when
 * none). Records that do not read back are skipped. Returns ERR_OK or
 * ERR_STORE. */
enum err logquery_since(sqlite3 *db, int64_t after_chunk, int max_records, cJSON *items, int64_t *last_chunk);
/* Parses a cursor as logquery_run writes it into f. Returns ERR_OK or
 * ERR_BAD_INPUT. */
enum err logquery_cursor_parse(const char *text, struct log_filter *f);

#endif
