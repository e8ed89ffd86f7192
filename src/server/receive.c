/* receive.c: ingest endpoints. Errors go back in the request's encoding
 * (google.rpc.Status for protobuf clients, {"error"} for JSON); success on
 * the OTLP routes is an ExportTraceServiceResponse, with partialSuccess when
 * some spans were refused. Nothing is answered 200 before its commit.
 * receive_commit is the transport-neutral part OTLP/gRPC shares. */
#include "server/receive.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/counters.h"
#include "base/err.h"
#include "server/http.h"
#include "server/args.h"
#include "store/annot.h"
#include "ingest/ingest.h"
#include "base/intern.h"
#include "ingest/batch.h"
#include "ingest/metrics_in.h"
#include "ingest/logs_in.h"
#include "ingest/native.h"

#define PROJECT_HEADER_MAX 256

/* The error as JSON or, to a protobuf client, as a google.rpc.Status with
 * the gRPC code of the same table (err_grpc_status). */
static void reply_error(struct mg_connection *c, enum err rc, int protobuf, const char *msg)
{
	int status = err_http_status(rc);
	if (!protobuf) {
		http_send_error(c, status, "%s", msg);
		return;
	}
	Tl__RpcStatus st;
	tl__rpc_status__init(&st);
	st.code = err_grpc_status(rc);
	st.message = (char *)msg;
	size_t len = tl__rpc_status__get_packed_size(&st);
	uint8_t *buf = malloc(len + 1);
	if (!buf)
		abort();
	tl__rpc_status__pack(&st, buf);
	http_send(c, status, "application/x-protobuf", buf, len, status == 503 ? "Retry-After: 1\r\n" : "");
	free(buf);
}

/* The Export*ServiceResponse of a trace export (logs 0) or a logs export,
 * with partialSuccess when b refused spans or records. */
static void reply_otlp_ok(struct mg_connection *c, int protobuf, const struct span_batch *b, int logs)
{
	if (protobuf) {
		uint8_t buf[RECEIVE_RESPONSE_MAX];
		http_send(c, 200, "application/x-protobuf", buf, receive_trace_response(b, buf), "");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	if (b->rejected) {
		cJSON *ps = cJSON_AddObjectToObject(o, "partialSuccess");
		cJSON_AddNumberToObject(ps, logs ? "rejectedLogRecords" : "rejectedSpans", (double)b->rejected);
		cJSON_AddStringToObject(ps, "errorMessage", b->reject_msg);
	}
	http_send_json(c, 200, o);
}

/* A request refused before it was decoded; a refused metrics export is
 * counted (metrics_in.h), as receive_commit counts the decoded ones. */
static void reply_refused(struct mg_connection *c, enum ingest_route route, enum err rc, int protobuf, const char *msg)
{
	if (route == INGEST_METRICS)
		metrics_in_note(rc, 0);
	if (route == INGEST_LOGS)
		logs_in_note(rc, NULL);
	reply_error(c, rc, protobuf, msg);
}

/* An empty ExportMetricsServiceResponse: metrics are counted, not stored,
 * and none is rejected. */
static void reply_metrics_ok(struct mg_connection *c, int protobuf)
{
	if (protobuf)
		http_send(c, 200, "application/x-protobuf", "", 0, "");
	else
		http_send_json(c, 200, cJSON_CreateObject());
}

/* The native shapes' clients (CognObserve, Neon) read success, trace_id
 * and span_ids. */
static void reply_native_ok(struct mg_connection *c, const struct span_batch *b)
{
	cJSON *o = cJSON_CreateObject();
	char hex[33];
	cJSON_AddBoolToObject(o, "success", 1);
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddNumberToObject(o, "accepted", (double)(b->nspans + b->nscores));
	cJSON_AddNumberToObject(o, "rejected", (double)b->rejected);
	if (b->rejected)
		cJSON_AddStringToObject(o, "error", b->reject_msg);
	if (b->nspans) {
		id_to_hex(b->spans[0].trace_id, 16, hex);
		cJSON_AddStringToObject(o, "trace_id", hex);
	}
	cJSON *traces = cJSON_AddArrayToObject(o, "trace_ids"), *spans = cJSON_AddArrayToObject(o, "span_ids");
	struct intern *listed = intern_new();
	for (size_t i = 0; i < b->nspans; i++) {
		const struct span *s = &b->spans[i];
		int64_t seen;
		id_to_hex(s->span_id, 8, hex);
		cJSON_AddItemToArray(spans, cJSON_CreateString(hex));
		if (intern_get(listed, s->trace_id, 16, &seen))
			continue;
		intern_put(listed, s->trace_id, 16, 1);
		id_to_hex(s->trace_id, 16, hex);
		cJSON_AddItemToArray(traces, cJSON_CreateString(hex));
	}
	intern_free(listed);
	http_send_json(c, 200, o);
}

/* The reason label of a refused request or span (GET /metrics). */
static const char *reason(enum err rc)
{
	switch (rc) {
	case ERR_BAD_INPUT: return "bad_input";
	case ERR_TOO_LARGE: return "too_large";
	case ERR_MEDIA_TYPE: return "media_type";
	case ERR_BUSY: return "queue_full";
	case ERR_STORE: return "store";
	case ERR_TIMEOUT: return "timeout";
	default: return "other";
	}
}

/* Counts one ingest request for GET /metrics: received, and what of it was
 * refused and why (rc for the whole request, b's rejected spans). */
static void count_ingest(const struct mg_connection *c, int enc, size_t bytes, const struct span_batch *b, enum err rc)
{
	const char *route = mg_get_request_info(c)->local_uri;
	const char *e = enc == INGEST_PROTOBUF ? "protobuf" : enc == INGEST_JSON ? "json" : "unsupported";
	counters_add("tracelite_ingest_requests_total", 1, "route", route, "encoding", e, NULL);
	counters_add("tracelite_ingest_bytes_total", bytes, "route", route, "encoding", e, NULL);
	if (rc)
		counters_add("tracelite_ingest_requests_rejected_total", 1, "route", route, "encoding", e, "reason", reason(rc),
		             NULL);
	if (!b)
		return;
	if (rc && b->nspans)
		counters_add("tracelite_ingest_spans_rejected_total", b->nspans, "route", route, "encoding", e, "reason",
		             reason(rc), NULL);
	else if (!rc)
		counters_add("tracelite_ingest_spans_total", b->nspans, "route", route, "encoding", e, NULL);
	if (b->rejected)
		counters_add("tracelite_ingest_spans_rejected_total", (uint64_t)b->rejected, "route", route, "encoding", e,
		             "reason", "invalid_span", NULL);
}

/* Langfuse's batch answer: 207 with every event's outcome (its SDK 3.x
 * parses the body; an empty one fails its flush). */
static void reply_langfuse_ok(struct mg_connection *c, const struct langfuse_io *io)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *ok = cJSON_AddArrayToObject(o, "successes"), *bad = cJSON_AddArrayToObject(o, "errors");
	for (size_t i = 0; i < io->nanswers; i++) {
		const struct langfuse_answer *a = &io->answers[i];
		cJSON *item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "id", a->id);
		cJSON_AddNumberToObject(item, "status", a->status);
		if (a->status >= 300) {
			cJSON_AddStringToObject(item, "message", a->message ? a->message : "invalid event");
			cJSON_AddStringToObject(item, "error", a->message ? a->message : "invalid event");
		}
		cJSON_AddItemToArray(a->status >= 300 ? bad : ok, item);
	}
	http_send_json(c, 207, o);
}

enum err receive_as(struct mg_connection *c, struct app *app, enum ingest_route route, const char *project,
                    struct langfuse_io *lf)
{
	char err[512];
	const char *ct = mg_get_header(c, "Content-Type");
	int enc = ingest_content_type(ct);
	int protobuf = enc == INGEST_PROTOBUF, otlp = route == INGEST_OTLP || route == INGEST_METRICS || route == INGEST_LOGS;
	enum err rc;
	if (enc < 0 || (!otlp && enc != INGEST_JSON)) {
		count_ingest(c, enc, 0, NULL, ERR_MEDIA_TYPE);
		http_discard_body(c, SPAN_MAX_BODY);
		reply_refused(c, route, ERR_MEDIA_TYPE, 0,
		              otlp ? "Content-Type must be application/x-protobuf or application/json"
		                   : "Content-Type must be application/json");
		return ERR_MEDIA_TYPE;
	}
	if (!project)
		project = mg_get_header(c, "X-Project-ID");
	if (project && strlen(project) > PROJECT_HEADER_MAX) {
		count_ingest(c, enc, 0, NULL, ERR_BAD_INPUT);
		http_discard_body(c, SPAN_MAX_BODY);
		reply_refused(c, route, ERR_BAD_INPUT, protobuf, "X-Project-ID: longer than 256 characters");
		return ERR_BAD_INPUT;
	}
	char *body = NULL;
	size_t len = 0;
	struct reqmem mem = {0};
	struct span_batch *b = NULL;
	if ((rc = http_read_body(c, SPAN_MAX_BODY, &mem, &body, &len, err, sizeof err))) {
		count_ingest(c, enc, len, NULL, rc);
		reply_refused(c, route, rc, protobuf, err);
		goto out;
	}
	rc = receive_commit(app, route, enc, mg_get_header(c, "Content-Encoding"), project, lf, body, len, body, &mem, &b,
	                    err, sizeof err);
	body = NULL;   /* freed by receive_commit */
	count_ingest(c, enc, len, route == INGEST_LOGS ? NULL : b, rc); /* logs: logs_in_note */
	if (rc)
		reply_error(c, rc, protobuf, err);
	else if (route == INGEST_METRICS)
		reply_metrics_ok(c, protobuf);
	else if (route == INGEST_LOGS)
		reply_otlp_ok(c, protobuf, b, 1);
	else if (lf) {
		if (lf->done)
			lf->done(lf->ctx, lf);
		reply_langfuse_ok(c, lf);
	} else if (!b->native)
		reply_otlp_ok(c, protobuf, b, 0);
	else
		reply_native_ok(c, b);
out:
	free(body);
	span_batch_free(b);
	reqmem_release(&mem);
	return rc;
}

size_t receive_trace_response(const struct span_batch *b, uint8_t out[RECEIVE_RESPONSE_MAX])
{
	Tl__ExportTraceServiceResponse resp;
	Tl__ExportTracePartialSuccess ps;
	tl__export_trace_service_response__init(&resp);
	tl__export_trace_partial_success__init(&ps);
	if (b->rejected) {
		ps.rejected_spans = b->rejected;
		ps.error_message = (char *)b->reject_msg;
		resp.partial_success = &ps;
	}
	assert(tl__export_trace_service_response__get_packed_size(&resp) <= RECEIVE_RESPONSE_MAX);
	return tl__export_trace_service_response__pack(&resp, out);
}

enum err receive_commit(struct app *app, enum ingest_route route, int encoding, const char *content_encoding,
                        const char *project, struct langfuse_io *lf, const void *body, size_t len, void *owned,
                        struct reqmem *mem, struct span_batch **out, char *err, size_t errlen)
{
	reqmem_admit(mem);   /* its turn to decode: the body is read, nothing else held yet */
	struct span_batch *b = span_batch_new(project);
	b->langfuse = lf;
	enum err rc = ingest_decode(route, encoding, content_encoding, body, len, b, mem, err, errlen);
	free(owned);   /* the batch holds copies: the body goes before the commit's wait */
	if (!rc && route == INGEST_SCORES)
		rc = annot_check_batch(api_reader(NULL, app), b, err, errlen);   /* annotations fit their config */
	if (!rc && (b->nspans || b->nscores || b->nlogs)) {
		prices_apply(app->prices, b); /* here, not in the writer thread */
		rc = writer_submit(app->writer, b, err, errlen);
	}
	if (route == INGEST_METRICS)
		metrics_in_note(rc, b->metric_points);
	if (route == INGEST_LOGS)
		logs_in_note(rc, b);
	*out = b;
	return rc;
}

void receive_otlp(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	receive_as(c, app, INGEST_OTLP, NULL, NULL);
}

void receive_neon_traces(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	receive_as(c, app, INGEST_NEON_TRACES, NULL, NULL);
}

void receive_neon_spans(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	receive_as(c, app, INGEST_NEON_SPANS, NULL, NULL);
}

void receive_scores(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	receive_as(c, app, INGEST_SCORES, NULL, NULL);
}

void receive_metrics(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	receive_as(c, app, INGEST_METRICS, NULL, NULL);
}

void receive_logs(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	receive_as(c, app, INGEST_LOGS, NULL, NULL);
}
