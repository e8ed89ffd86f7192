/* api.c: GET handlers: parse and check parameters, run the query on the
 * request's read-only connection (api_reader), send JSON. */
#include "server/api.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/json.h"
#include "base/text.h"
#include "ingest/metrics_in.h"
#include "ingest/logs_in.h"
#include "query/facets.h"
#include "query/query.h"
#include "query/query_people.h"
#include "server/api_delete.h"
#include "server/api_search.h"
#include "server/args.h"
#include "server/http.h"
#include "store/backfill.h"
#include "store/store.h"
#include "store/writer.h"
#include "store/zdict.h"
#include "store/zformat.h"


void api_traces(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	struct filter_args a;
	if (!db || api_list_args(c, db, &a))
		return;
	if (a.f.q) {
		api_search_run(c, app, db, &a.f, 0);
		return;
	}
	cJSON *o = NULL;
	int rc = query_traces(db, &a.f, &o);
	http_reply(c, rc, o, "traces");
}

/* A trace answer streamed in chunks (query_trace_write); failed once the
 * client is gone. An HTTP/1.0 client knows no chunks: its answer is
 * collected in whole and sent sized, as before streaming. */
struct trace_out {
	struct mg_connection *c;
	int failed;
	long long next_offset;   /* ?format=otlp: X-Next-Offset when >= 0 */
	struct jbuf *whole;      /* HTTP/1.0: the answer collected here; NULL: chunks */
};

static void next_header(const struct trace_out *o, char out[64])
{
	out[0] = 0;
	if (o->next_offset >= 0)
		snprintf(out, 64, "X-Next-Offset: %lld\r\n", o->next_offset);
}

static void trace_begin(void *ctx)
{
	struct trace_out *o = ctx;
	char next[64];
	next_header(o, next);
	if (!o->whole)
		http_stream_begin(o->c, "application/json", next);
}

static int trace_write(void *ctx, const char *p, size_t n)
{
	struct trace_out *o = ctx;
	if (o->whole)
		jbuf_put(o->whole, p, n);
	else if (!o->failed && mg_send_chunk(o->c, p, (unsigned)n) < 0)
		o->failed = 1;
	return o->failed ? ERR_BAD_INPUT : ERR_OK;
}

void api_trace(struct mg_connection *c, struct app *app, const char *tail)
{
	uint8_t id[16];
	char format[16];
	const char *fmt;
	long long limit;
	struct span_page page;
	sqlite3 *db = api_reader(c, app);
	if (!db || api_path_id(c, tail, id, 16, "trace_id") || api_opt_param(c, "format", format, sizeof format, &fmt) ||
	    api_int_param(c, "offset", 0, INT64_MAX, 0, &page.offset) ||
	    api_int_param(c, "limit", 1, QUERY_TRACE_MAX_SPANS, QUERY_TRACE_MAX_SPANS, &limit))
		return;
	page.limit = (int)limit;
	if (fmt && strcmp(fmt, "otlp") && strcmp(fmt, "json")) {
		http_send_error(c, 400, "format: expected 'json' or 'otlp'");
		return;
	}
	struct jbuf whole;
	const char *version = mg_get_request_info(c)->http_version;
	struct trace_out out = {c, 0, -1, version && !strcmp(version, "1.0") ? &whole : NULL};
	struct query_sink sink = {trace_begin, trace_write, &out};
	jbuf_init(&whole, JBUF_NO_CAP);
	int begun, rc = fmt && !strcmp(fmt, "otlp")
	                        ? query_trace_otlp_write(db, id, page, &sink, &out.next_offset, &begun)
	                        : query_trace_write(db, id, page, &sink, &begun);
	if (!begun || (out.whole && rc)) {
		http_reply(c, rc, NULL, "trace");
	} else if (out.whole) {
		char next[64];
		next_header(&out, next);
		http_send(c, 200, "application/json", whole.p, whole.len, next);
	} else if (rc == ERR_OK) {
		mg_send_chunk(c, "", 0);
	} else {
		http_close_after_reply(c);   /* no last chunk: the client sees the answer cut short */
	}
	free(whole.p);
}

void api_span(struct mg_connection *c, struct app *app, const char *tail)
{
	uint8_t id[8];
	sqlite3 *db = api_reader(c, app);
	if (!db || api_path_id(c, tail, id, 8, "span_id"))
		return;
	cJSON *o = NULL;
	int rc = query_span(db, id, &o);
	http_reply(c, rc, o, "span");
}

void api_scores(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	char buf[300], sbuf[PEOPLE_MAX_ID + 2];
	const char *trace;
	uint8_t id[16];
	int limit;
	struct score_range range = {0};
	sqlite3 *db = api_reader(c, app);
	if (!db || api_opt_param(c, "trace_id", buf, sizeof buf, &trace) ||
	    api_opt_param(c, "session_id", sbuf, sizeof sbuf, &range.session_id) || api_limit_param(c, &limit) ||
	    api_project_param(c, db, &range.project) || api_time_param(c, "from", &range.from_ns) ||
	    api_time_param(c, "to", &range.to_ns))
		return;
	if (trace && id_from_any(trace, id, 16)) {
		http_send_error(c, 400, "trace_id: expected 32 hex digits");
		return;
	}
	cJSON *o = NULL;
	int rc = query_scores(db, trace ? id : NULL, &range, trace || range.session_id ? 10000 : limit, &o);
	http_reply(c, rc, o, "scores");
}

void api_projects(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	cJSON *o = NULL;
	if (!db)
		return;
	int rc = query_projects(db, &o);
	http_reply(c, rc, o, "projects");
}

void api_health(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	if (!db)
		return;
	int writable = access(app->cfg->data, W_OK) == 0, writer_ok = writer_healthy(app->writer);
	int64_t traces = 0;
	int store_ok = store_int_query(db, "SELECT coalesce(max(key), 0) FROM traces", 0, &traces) == ERR_OK;
	cJSON *disk = api_disk_status(app);
	int nearly_full = disk && cJSON_IsTrue(cJSON_GetObjectItem(disk, "nearly_full"));
	int ok = writable && writer_ok && store_ok && !nearly_full;
	cJSON *o = cJSON_CreateObject(), *checks;
	cJSON_AddStringToObject(o, "status", ok ? "ok" : "unhealthy");
	cJSON_AddStringToObject(o, "version", TRACELITE_VERSION);
	checks = cJSON_AddObjectToObject(o, "checks");
	cJSON_AddStringToObject(checks, "store_readable", store_ok ? "ok" : "failing");
	cJSON_AddStringToObject(checks, "data_dir_writable", writable ? "ok" : "failing");
	char why[240] = "failing: ";
	if (!writer_ok && writer_sync_failed(app->writer, why + strlen(why), sizeof why - strlen(why)))
		cJSON_AddStringToObject(checks, "last_commit", why);
	else
		cJSON_AddStringToObject(checks, "last_commit", writer_ok ? "ok" : "failing");
	cJSON_AddStringToObject(checks, "disk_space", nearly_full ? "nearly full: ingest refused" : "ok");
	cJSON_AddNumberToObject(o, "schema_version", store_schema_version());
	cJSON_AddNumberToObject(o, "traces_stored_approx", (double)traces);
	cJSON_AddNumberToObject(o, "uptime_s", (double)((text_now_ns() - app->started_ns) / 1000000000ull));
	if (app->search)
		cJSON_AddItemToObject(o, "search", api_search_status(app, db, 1));
	cJSON *backfill = backfill_status_json(db);
	if (backfill)
		cJSON_AddItemToObject(o, "attr_index_backfill", backfill);
	cJSON *zd = zdict_status_json(db, app->cfg->compact_level);
	/* zformat.c, next to the compaction: both start once there is a dictionary */
	cJSON *fmt = cJSON_GetObjectItemCaseSensitive(zd, "compaction") ? zformat_status_json(db) : NULL;
	if (fmt)
		cJSON_AddItemToObject(zd, "format_conversion", fmt);
	if (zd)
		cJSON_AddItemToObject(o, "zstd_dictionaries", zd);
	if (app->auth) {
		cJSON *auth = cJSON_AddObjectToObject(o, "auth");
		cJSON_AddBoolToObject(auth, "on", auth_is_on(app->auth));
		cJSON_AddStringToObject(auth, "mode", auth_mode_name((enum auth_mode)app->cfg->auth_mode));
	}
	struct metrics_in_counts mc;
	metrics_in_counts(&mc);
	cJSON *m = cJSON_AddObjectToObject(o, "otlp_metrics"); /* received and dropped: metrics are not stored */
	cJSON_AddNumberToObject(m, "exports", (double)mc.exports);
	cJSON_AddNumberToObject(m, "data_points_received", (double)mc.points_received);
	cJSON_AddNumberToObject(m, "data_points_dropped", (double)mc.points_received);
	cJSON_AddNumberToObject(m, "exports_refused", (double)mc.exports_refused);
	struct logs_in_counts lc;
	logs_in_counts(&lc);
	cJSON *lg = cJSON_AddObjectToObject(o, "otlp_logs");
	cJSON_AddNumberToObject(lg, "records_received", (double)lc.received);
	cJSON_AddNumberToObject(lg, "records_accepted", (double)lc.accepted);
	cJSON_AddNumberToObject(lg, "records_rejected", (double)lc.rejected);
	cJSON_AddNumberToObject(lg, "exports_refused", (double)lc.exports_refused);
	if (disk)
		cJSON_AddItemToObject(o, "disk", disk);
	http_send_json(c, ok ? 200 : 503, o);
}

void api_facets(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	int64_t project;
	uint64_t from, to;
	if (!db || api_project_param(c, db, &project) || api_time_param(c, "from", &from) || api_time_param(c, "to", &to))
		return;
	cJSON *o = NULL;
	int rc = query_facets(db, project, from, to, &o);
	http_reply(c, rc, o, "facets");
}
