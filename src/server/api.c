/* api.c: GET handlers: parse and check parameters, run the query on this
 * worker thread's read-only connection, send JSON. */
#include "server/api.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/text.h"
#include "query/facets.h"
#include "server/http.h"
#include "query/query.h"
#include "ingest/span.h"
#include "store/store.h"


static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

static void reader_close(void *db)
{
	sqlite3_close_v2(db);
}

static void reader_key_init(void)
{
	pthread_key_create(&reader_key, reader_close);
}

sqlite3 *api_reader(struct mg_connection *c, struct app *app)
{
	pthread_once(&reader_once, reader_key_init);
	sqlite3 *db = pthread_getspecific(reader_key);
	char err[256];
	if (!db) {
		if (store_open_reader(app->cfg->data, &db, err, sizeof err)) {
			http_send_error(c, 503, "%s", err);
			return NULL;
		}
		pthread_setspecific(reader_key, db);
	}
	return db;
}

static void reply(struct mg_connection *c, int rc, cJSON *o, const char *what)
{
	if (rc == ERR_OK)
		http_send_json(c, 200, o);
	else if (rc == ERR_NOT_FOUND)
		http_send_error(c, 404, "%s not found", what);
	else
		http_send_error(c, 500, "query failed");
}

/* Reads an optional string parameter into buf; 400 and -1 if too long. */
int api_opt_param(struct mg_connection *c, const char *name, char *buf, size_t len, const char **out)
{
	int r = http_query_param(c, name, buf, len);
	*out = NULL;
	if (r < 0) {
		http_send_error(c, 400, "%s: longer than %zu characters", name, len - 1);
		return -1;
	}
	if (r > 0 && *buf)
		*out = buf;
	return 0;
}

int api_int_param(struct mg_connection *c, const char *name, long long min, long long max, long long dflt,
                  long long *out)
{
	char buf[32];
	int r = http_query_param(c, name, buf, sizeof buf);
	int64_t v = dflt;
	*out = dflt;
	if (r == 0)
		return 0;
	if (r < 0 || text_parse_i64(buf, min, max, &v)) {
		http_send_error(c, 400, "%s: expected an integer from %lld to %lld", name, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int api_limit_param(struct mg_connection *c, int *limit)
{
	long long v;
	if (api_int_param(c, "limit", 1, API_LIMIT_MAX, API_LIMIT_DEFAULT, &v))
		return -1;
	*limit = (int)v;
	return 0;
}

int api_time_param(struct mg_connection *c, const char *name, uint64_t *ns)
{
	char buf[64];
	int r = http_query_param(c, name, buf, sizeof buf);
	*ns = 0;
	if (r == 0 || (r > 0 && !*buf))
		return 0;
	if (r < 0 || text_parse_time(buf, ns)) {
		http_send_error(c, 400, "%s: expected an ISO-8601 time (2025-01-31T12:00:00Z) or unix seconds/ms/us/ns",
		                name);
		return -1;
	}
	return 0;
}

static int duration_param(struct mg_connection *c, const char *name, double *ms)
{
	char buf[64], *end;
	int r = http_query_param(c, name, buf, sizeof buf);
	*ms = -1;
	if (r == 0 || (r > 0 && !*buf))
		return 0;
	double v = r > 0 ? strtod(buf, &end) : -1;
	if (r < 0 || *end || !(v >= 0 && v < 1e12)) {
		http_send_error(c, 400, "%s: expected a non-negative number of milliseconds", name);
		return -1;
	}
	*ms = v;
	return 0;
}

int api_trace_cursor(struct mg_connection *c, struct trace_filter *f)
{
	char buf[80];
	int r = http_query_param(c, "cursor", buf, sizeof buf);
	if (r == 0 || (r > 0 && !*buf))
		return 0;
	if (f->q) {
		/* a search pages by index document: "s<rowid>" */
		int64_t before;
		if (r < 0 || buf[0] != 's' || text_parse_i64(buf + 1, 1, INT64_MAX, &before)) {
			http_send_error(c, 400, "cursor: not a cursor this search returned");
			return -1;
		}
		f->search_before = before;
		return 0;
	}
	char *dot = r > 0 ? strchr(buf, '.') : NULL;
	int64_t start;
	if (dot)
		*dot = 0;
	if (!dot || text_parse_i64(buf, 0, INT64_MAX, &start) ||
	    id_from_hex(dot + 1, f->cursor_trace, 16) || strlen(dot + 1) != 32) {
		http_send_error(c, 400, "cursor: not a cursor this API returned");
		return -1;
	}
	f->has_cursor = 1;
	f->cursor_start = (uint64_t)start;
	return 0;
}

static int project_param(struct mg_connection *c, sqlite3 *db, int64_t *key)
{
	char buf[300];
	const char *p;
	*key = 0;
	if (api_opt_param(c, "project", buf, sizeof buf, &p))
		return -1;
	if (p && query_project_key(db, p, key)) {
		http_send_error(c, 404, "project: no project with id or name '%s'", p);
		return -1;
	}
	return 0;
}

int api_filter_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a)
{
	struct trace_filter *f = &a->f;
	const char *type;
	memset(a, 0, sizeof *a);
	f->type = -1;
	if (project_param(c, db, &f->project) || api_time_param(c, "from", &f->from_ns) ||
	    api_time_param(c, "to", &f->to_ns) || api_opt_param(c, "service", a->service, sizeof a->service, &f->service) ||
	    api_opt_param(c, "name", a->name, sizeof a->name, &f->name) ||
	    api_opt_param(c, "status", a->status, sizeof a->status, &f->status) ||
	    api_opt_param(c, "model", a->model, sizeof a->model, &f->model) ||
	    api_opt_param(c, "type", a->type, sizeof a->type, &type) ||
	    api_opt_param(c, "session_id", a->session, sizeof a->session, &f->session_id) ||
	    api_opt_param(c, "user_id", a->user, sizeof a->user, &f->user_id) ||
	    duration_param(c, "min_duration_ms", &f->min_ms) || duration_param(c, "max_duration_ms", &f->max_ms) ||
	    api_opt_param(c, "q", a->q, sizeof a->q, &f->q))
		return -1;
	if (f->status && strcmp(f->status, "ok") && strcmp(f->status, "error")) {
		http_send_error(c, 400, "status: expected 'ok' or 'error'");
		return -1;
	}
	if (type && (f->type = span_type_from_name(type)) < 0) {
		http_send_error(c, 400, "type: expected span, llm, tool, retrieval, agent or embedding");
		return -1;
	}
	if (f->from_ns && f->to_ns && f->from_ns > f->to_ns) {
		http_send_error(c, 400, "from: after to");
		return -1;
	}
	return 0;
}

int api_refuse_q(struct mg_connection *c, const struct trace_filter *f)
{
	if (!f->q)
		return 0;
	http_send_error(c, 400, "q: full-text search does not filter this endpoint; use /api/search or /api/traces?q=");
	return -1;
}

int api_list_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a)
{
	return api_filter_args(c, db, a) || api_limit_param(c, &a->f.limit) || api_trace_cursor(c, &a->f) ? -1 : 0;
}

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
	reply(c, rc, o, "traces");
}

/* Parses a path id: 2n hex digits, or any other string mapped the way
 * ingest maps foreign ids. Sends 400 and returns -1 on a bad one. */
static int path_id(struct mg_connection *c, const char *tail, uint8_t *id, size_t n, const char *what)
{
	char buf[300];
	if (!*tail || strchr(tail, '/') || strlen(tail) >= sizeof buf ||
	    mg_url_decode(tail, (int)strlen(tail), buf, sizeof buf, 0) < 0 || id_from_any(buf, id, n)) {
		http_send_error(c, 400, "%s: expected %zu hex digits", what, 2 * n);
		return -1;
	}
	return 0;
}

void api_trace(struct mg_connection *c, struct app *app, const char *tail)
{
	uint8_t id[16];
	char format[16];
	const char *fmt;
	long long limit;
	struct span_page page;
	sqlite3 *db = api_reader(c, app);
	if (!db || path_id(c, tail, id, 16, "trace_id") || api_opt_param(c, "format", format, sizeof format, &fmt) ||
	    api_int_param(c, "offset", 0, INT64_MAX, 0, &page.offset) ||
	    api_int_param(c, "limit", 1, QUERY_TRACE_MAX_SPANS, QUERY_TRACE_MAX_SPANS, &limit))
		return;
	page.limit = (int)limit;
	if (fmt && strcmp(fmt, "otlp") && strcmp(fmt, "json")) {
		http_send_error(c, 400, "format: expected 'json' or 'otlp'");
		return;
	}
	if (fmt && !strcmp(fmt, "otlp")) {
		char *json = NULL, next[64] = "";
		size_t len = 0;
		long long next_offset;
		int rc = query_trace_otlp(db, id, page, &json, &len, &next_offset);
		if (next_offset >= 0)
			snprintf(next, sizeof next, "X-Next-Offset: %lld\r\n", next_offset);
		if (rc == ERR_OK)
			http_send(c, 200, "application/json", json, len, next);
		else
			reply(c, rc, NULL, "trace");
		free(json);
		return;
	}
	cJSON *o = NULL;
	int rc = query_trace(db, id, page, &o);
	reply(c, rc, o, "trace");
}

void api_span(struct mg_connection *c, struct app *app, const char *tail)
{
	uint8_t id[8];
	sqlite3 *db = api_reader(c, app);
	if (!db || path_id(c, tail, id, 8, "span_id"))
		return;
	cJSON *o = NULL;
	int rc = query_span(db, id, &o);
	reply(c, rc, o, "span");
}

void api_scores(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	char buf[300];
	const char *trace;
	uint8_t id[16];
	int limit;
	sqlite3 *db = api_reader(c, app);
	if (!db || api_opt_param(c, "trace_id", buf, sizeof buf, &trace) || api_limit_param(c, &limit))
		return;
	if (trace && id_from_any(trace, id, 16)) {
		http_send_error(c, 400, "trace_id: expected 32 hex digits");
		return;
	}
	cJSON *o = NULL;
	int rc = query_scores(db, trace ? id : NULL, trace ? 10000 : limit, &o);
	reply(c, rc, o, "scores");
}

void api_projects(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	cJSON *o = NULL;
	if (!db)
		return;
	int rc = query_projects(db, &o);
	reply(c, rc, o, "projects");
}

static int64_t max_rowid(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

void api_health(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	if (!db)
		return;
	int writable = access(app->cfg->data, W_OK) == 0, writer_ok = writer_healthy(app->writer);
	int64_t traces = max_rowid(db, "SELECT coalesce(max(key), 0) FROM traces");
	int store_ok = traces >= 0;
	int ok = writable && writer_ok && store_ok;
	cJSON *o = cJSON_CreateObject(), *checks;
	cJSON_AddStringToObject(o, "status", ok ? "ok" : "unhealthy");
	cJSON_AddStringToObject(o, "version", TRACELITE_VERSION);
	checks = cJSON_AddObjectToObject(o, "checks");
	cJSON_AddStringToObject(checks, "store_readable", store_ok ? "ok" : "failing");
	cJSON_AddStringToObject(checks, "data_dir_writable", writable ? "ok" : "failing");
	cJSON_AddStringToObject(checks, "last_commit", writer_ok ? "ok" : "failing");
	cJSON_AddNumberToObject(o, "schema_version", store_schema_version());
	cJSON_AddNumberToObject(o, "traces_stored_approx", (double)traces);
	cJSON_AddNumberToObject(o, "uptime_s", (double)((text_now_ns() - app->started_ns) / 1000000000ull));
	if (app->search)
		cJSON_AddItemToObject(o, "search", api_search_status(app, db));
	http_send_json(c, ok ? 200 : 503, o);
}

void api_facets(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	int64_t project;
	uint64_t from, to;
	if (!db || project_param(c, db, &project) || api_time_param(c, "from", &from) || api_time_param(c, "to", &to))
		return;
	cJSON *o = NULL;
	int rc = query_facets(db, project, from, to, &o);
	reply(c, rc, o, "facets");
}
