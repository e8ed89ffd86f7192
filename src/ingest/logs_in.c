/* logs_in.c: validating OTLP log records into a span batch (the same
 * service and project rules as batch.c's spans) and counting them. */
#include "ingest/logs_in.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include "base/counters.h"
#include "base/text.h"
#include "otlp/otlp_build.h"

static atomic_uint_fast64_t n_received, n_accepted, n_rejected, n_refused;

static struct log_rec *add_log(struct span_batch *b)
{
	if (b->nlogs == b->log_cap) {
		size_t cap = b->log_cap ? b->log_cap * 2 : 64;
		struct log_rec *fresh = arena_alloc(b->arena, cap * sizeof *fresh);
		if (b->nlogs)
			memcpy(fresh, b->logs, b->nlogs * sizeof *fresh);
		b->logs = fresh;
		b->log_cap = cap;
	}
	struct log_rec *l = &b->logs[b->nlogs++];
	memset(l, 0, sizeof *l);
	return l;
}

/* Returns NULL if the record is acceptable, else why not (why holds room
 * for a formatted reason). */
static const char *check_record(const Tl__LogRecord *lr, char *why, size_t n)
{
	if (lr->trace_id.len != 0 && lr->trace_id.len != 16)
		return "traceId must be empty or 16 bytes (32 hex digits)";
	if (lr->span_id.len != 0 && lr->span_id.len != 8)
		return "spanId must be empty or 8 bytes (16 hex digits)";
	if (lr->severity_number < 0 || lr->severity_number > LOGS_SEVERITY_MAX) {
		snprintf(why, n, "severityNumber %d is out of range (0..%d)", lr->severity_number, LOGS_SEVERITY_MAX);
		return why;
	}
	return NULL;
}

static void reject(struct span_batch *b, const char *why, size_t ri, size_t si, size_t li)
{
	if (b->rejected++ == 0)
		err_set(b->reject_msg, sizeof b->reject_msg, ERR_BAD_INPUT,
		        "resourceLogs[%zu].scopeLogs[%zu].logRecords[%zu]: %s", ri, si, li, why);
}

static void fill(struct log_rec *l, const Tl__LogRecord *lr, uint64_t now)
{
	l->time_ns = lr->time_unix_nano ? lr->time_unix_nano : lr->observed_time_unix_nano ? lr->observed_time_unix_nano : now;
	if (l->time_ns > INT64_MAX)
		l->time_ns = INT64_MAX;   /* stored as a SQLite integer; the record keeps the exact value */
	l->severity = lr->severity_number;
	if (lr->trace_id.len == 16 && !id_is_zero(lr->trace_id.data, 16)) {
		memcpy(l->trace_id, lr->trace_id.data, 16);
		l->has_trace = 1;
	}
	if (lr->span_id.len == 8 && !id_is_zero(lr->span_id.data, 8)) {
		memcpy(l->span_id, lr->span_id.data, 8);
		l->has_span = 1;
	}
	l->otlp = lr;
}

enum err logs_in_add_request(struct span_batch *b, const Tl__ExportLogsServiceRequest *req, char *err,
                             size_t errlen)
{
	size_t seen = 0, added = 0;
	uint64_t now = text_now_ns();
	char why[128];
	for (size_t ri = 0; ri < req->n_resource_logs; ri++) {
		const Tl__ResourceLogs *rl = req->resource_logs[ri];
		const Tl__Resource *res = rl->resource;
		const char *service = NULL, *project = b->project_header;
		if (res) {
			service = otlp_attr_find_str(res->attributes, res->n_attributes, "service.name");
			if (!project)
				project = otlp_attr_find_str(res->attributes, res->n_attributes, "openinference.project.name");
		}
		if (!service || !*service)
			service = "unknown_service";
		for (size_t si = 0; si < rl->n_scope_logs; si++) {
			const Tl__ScopeLogs *sl = rl->scope_logs[si];
			for (size_t li = 0; li < sl->n_log_records; li++) {
				const Tl__LogRecord *lr = sl->log_records[li];
				const char *bad = check_record(lr, why, sizeof why);
				seen++;
				if (bad) {
					reject(b, bad, ri, si, li);
					continue;
				}
				struct log_rec *l = add_log(b);
				fill(l, lr, now);
				l->service = service;
				l->project = project;
				l->resource = res;
				l->scope = sl->scope;
				l->resource_schema_url = rl->schema_url ? rl->schema_url : "";
				l->scope_schema_url = sl->schema_url ? sl->schema_url : "";
				added++;
			}
		}
	}
	if (seen > 0 && added == 0)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s", b->reject_msg);
	return ERR_OK;
}

void logs_in_note(enum err rc, const struct span_batch *b)
{
	uint64_t nlogs = b ? b->nlogs : 0, refused = b && b->rejected > 0 ? (uint64_t)b->rejected : 0;
	if (rc)
		atomic_fetch_add(&n_refused, 1);
	atomic_fetch_add(&n_received, nlogs + refused);
	atomic_fetch_add(&n_accepted, rc ? 0 : nlogs);
	atomic_fetch_add(&n_rejected, (rc ? nlogs : 0) + refused);
	counters_add("tracelite_ingest_log_records_total", nlogs + refused, "outcome", "received", NULL);
	counters_add("tracelite_ingest_log_records_total", rc ? 0 : nlogs, "outcome", "accepted", NULL);
	counters_add("tracelite_ingest_log_records_total", (rc ? nlogs : 0) + refused, "outcome", "rejected", NULL);
}

void logs_in_counts(struct logs_in_counts *out)
{
	out->received = atomic_load(&n_received);
	out->accepted = atomic_load(&n_accepted);
	out->rejected = atomic_load(&n_rejected);
	out->exports_refused = atomic_load(&n_refused);
}

static const char *const severity_names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

const char *logs_severity_name(int severity)
{
	if (severity < 1 || severity > LOGS_SEVERITY_MAX)
		return "UNSPECIFIED";
	return severity_names[(severity - 1) / 4];
}

enum err logs_severity_parse(const char *s, int *out)
{
	char *end;
	if (!s || !*s)
		return ERR_BAD_INPUT;
	if (s[0] >= '0' && s[0] <= '9') {
		long n = strtol(s, &end, 10);
		if (*end || n < 0 || n > LOGS_SEVERITY_MAX)
			return ERR_BAD_INPUT;
		*out = (int)n;
		return ERR_OK;
	}
	size_t len = strlen(s), step = 0;
	if (len >= 2 && s[len - 1] >= '2' && s[len - 1] <= '4') {
		step = (size_t)(s[len - 1] - '1');
		len--;
	}
	for (size_t i = 0; i < sizeof severity_names / sizeof *severity_names; i++)
		if ((strlen(severity_names[i]) == len && strncasecmp(s, severity_names[i], len) == 0) ||
		    (i == 3 && len == 7 && strncasecmp(s, "WARNING", 7) == 0)) {
			*out = (int)(i * 4 + 1 + step);
			return ERR_OK;
		}
	return ERR_BAD_INPUT;
}
