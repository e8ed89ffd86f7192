/* query.c: read-side SQL and the JSON it becomes. Trace lists read only
 * the traces table; a trace's spans come from the stored-span view
 * (store/spanview.h), each chunk decompressed once per request. */
#include "query/query.h"
#include <pthread.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/env.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/json.h"
#include "base/text.h"
#include "otlp/otlp_build.h"
#include "otlp/otlp_json_out.h"
#include "store/preview.h"
#include "store/spanview.h"
#include "ingest/span.h"

#define TRACE_COLS                                                                                     \
	"t.trace_id, t.start_ns, t.end_ns, (SELECT value FROM strings WHERE id = t.name_sid),"             \
	" (SELECT value FROM strings WHERE id = t.service_sid), t.span_count, t.error_count, t.llm_calls," \
	" t.input_tokens, t.output_tokens, t.cost_usd, (SELECT value FROM strings WHERE id = t.models_sid)," \
	" (SELECT value FROM people WHERE id = t.session_sid),"                                           \
	" (SELECT value FROM people WHERE id = t.user_sid), p.id, p.name, t.key"
#define TRACE_FROM " FROM traces t JOIN projects p ON p.key = t.project"

void query_add_iso(cJSON *o, const char *key, uint64_t ns)
{
	char iso[TEXT_ISO_MS_SIZE];
	text_format_iso_ms(ns, iso);
	cJSON_AddStringToObject(o, key, iso);
}

static void add_time(cJSON *o, const char *key, const char *nano_key, uint64_t ns)
{
	char nanos[24];
	snprintf(nanos, sizeof nanos, "%llu", (unsigned long long)ns);
	query_add_iso(o, key, ns);
	cJSON_AddStringToObject(o, nano_key, nanos);
}


static void add_col_text(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, (const char *)sqlite3_column_text(st, col));
}

/* Exact integers and doubles that stay doubles: cJSON stores numbers as
 * double, so both are emitted as raw JSON text in base/json's one rule. */
static cJSON *cjson_int(int64_t v)
{
	char buf[JSON_INT_MAX];
	json_i64_fmt(buf, v);
	return cJSON_CreateRaw(buf);
}

static cJSON *cjson_double(double v)
{
	char buf[JSON_DOUBLE_MAX];
	json_double_fmt(buf, v);
	return cJSON_CreateRaw(buf);
}

static cJSON *attrs_json(Tl__KeyValue *const *kv, size_t n, int depth);

static cJSON *any_json(const Tl__AnyValue *v, int depth)
{
	if (!v || depth > SPAN_MAX_DEPTH)
		return cJSON_CreateNull();
	switch (v->value_case) {
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		return cJSON_CreateString(v->string_value);
	case TL__ANY_VALUE__VALUE_BOOL_VALUE:
		return cJSON_CreateBool(v->bool_value);
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		return cjson_int(v->int_value);
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		return cjson_double(v->double_value);
	case TL__ANY_VALUE__VALUE_ARRAY_VALUE: {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; v->array_value && i < v->array_value->n_values; i++)
			cJSON_AddItemToArray(a, any_json(v->array_value->values[i], depth + 1));
		return a;
	}
	case TL__ANY_VALUE__VALUE_KVLIST_VALUE:
		return v->kvlist_value ? attrs_json(v->kvlist_value->values, v->kvlist_value->n_values, depth + 1)
		                       : cJSON_CreateObject();
	case TL__ANY_VALUE__VALUE_BYTES_VALUE: {
		/* raw too: json_base64 writes the quoted string */
		struct jbuf b;
		jbuf_init(&b, JBUF_NO_CAP);
		json_base64(&b, v->bytes_value.data, v->bytes_value.len);
		char *text = jbuf_finish(&b, NULL);
		cJSON *s = cJSON_CreateRaw(text);
		free(text);
		return s;
	}
	default:
		return cJSON_CreateNull();
	}
}

static cJSON *attrs_json(Tl__KeyValue *const *kv, size_t n, int depth)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++)
		if (kv[i] && kv[i]->key)
			cJSON_AddItemToObject(o, kv[i]->key, any_json(kv[i]->value, depth));
	return o;
}

cJSON *query_any_json(const Tl__AnyValue *v)
{
	return any_json(v, 1);
}

cJSON *query_attrs_json(Tl__KeyValue *const *kv, size_t n)
{
	return attrs_json(kv, n, 0);
}

static cJSON *models_json(const char *models)
{
	cJSON *a = cJSON_CreateArray();
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", models ? models : "");
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(a, cJSON_CreateString(tok));
	return a;
}

static void add_preview(cJSON *o, const char *key, int has, const char *text)
{
	if (has)
		cJSON_AddStringToObject(o, key, text);
	else
		cJSON_AddNullToObject(o, key);
}

/* Adds the previews of the trace with key to its summary o, read with pv
 * (preview_reader_open): ERR_OK, or ERR_STORE for a corrupt trace_previews row. */
static int add_previews(cJSON *o, struct preview_reader *pv, int64_t key)
{
	struct preview p;   /* on the stack: as _Thread_local, 2 KB of every thread's static TLS */
	if (preview_reader_get(pv, key, &p))
		return ERR_STORE;
	add_preview(o, "input_preview", p.has_input, p.input);
	add_preview(o, "output_preview", p.has_output, p.output);
	return ERR_OK;
}

/* One trace summary from a row of TRACE_COLS, without its previews
 * (add_previews: not while a list is walked under a progress budget). */
static cJSON *trace_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t start = (uint64_t)sqlite3_column_int64(st, 1), end = (uint64_t)sqlite3_column_int64(st, 2);
	int64_t errors = sqlite3_column_int64(st, 6);
	json_add_hex_id(o, "trace_id", sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	add_col_text(o, "project_id", st, 14);
	add_col_text(o, "project", st, 15);
	add_col_text(o, "name", st, 3);
	add_col_text(o, "service", st, 4);
	add_time(o, "start_time", "start_time_unix_nano", start);
	add_time(o, "end_time", "end_time_unix_nano", end);
	cJSON_AddNumberToObject(o, "duration_ms", (double)(end - start) / 1e6);
	cJSON_AddStringToObject(o, "status", errors ? "error" : "ok");
	cJSON_AddNumberToObject(o, "span_count", (double)sqlite3_column_int64(st, 5));
	cJSON_AddNumberToObject(o, "error_count", (double)errors);
	cJSON_AddNumberToObject(o, "llm_calls", (double)sqlite3_column_int64(st, 7));
	cJSON_AddNumberToObject(o, "input_tokens", (double)sqlite3_column_int64(st, 8));
	cJSON_AddNumberToObject(o, "output_tokens", (double)sqlite3_column_int64(st, 9));
	cJSON_AddNumberToObject(o, "cost_usd", sqlite3_column_double(st, 10));
	cJSON_AddItemToObject(o, "models", models_json((const char *)sqlite3_column_text(st, 11)));
	add_col_text(o, "session_id", st, 12);
	add_col_text(o, "user_id", st, 13);
	return o;
}

size_t query_trace_where(const struct trace_filter *f, unsigned parts, char *sql, size_t size)
{
	size_t n = 0;
#define COND(text) n += (size_t)snprintf(sql + n, n < size ? size - n : 0, "%s", text)
	if (f->project)
		COND(" AND t.project = :project");
	if ((parts & QUERY_TIME) && f->from_ns)
		COND(" AND t.start_ns >= :from");
	if ((parts & QUERY_TIME) && f->to_ns)
		COND(" AND t.start_ns < :to");
	if ((parts & QUERY_DIMS) && f->service)
		COND(" AND t.service_sid = (SELECT id FROM strings WHERE value = :service)");
	if ((parts & QUERY_DIMS) && f->name)
		COND(" AND t.name_sid = (SELECT id FROM strings WHERE value = :name)");
	if ((parts & QUERY_DIMS) && f->model)
		/* the lists naming the model, found once among the strings */
		COND(" AND t.models_sid IN (SELECT id FROM strings WHERE instr(',' || value || ',', ',' || :model || ',') > 0)");
	if ((parts & QUERY_DIMS) && f->type >= 0)
		COND(" AND EXISTS (SELECT 1 FROM spans x WHERE x.trace = t.key AND x.type = :type)");
	if ((parts & QUERY_TRACE_ONLY) && f->status)
		COND(strcmp(f->status, "error") == 0 ? " AND t.error_count > 0" : " AND t.error_count = 0");
	if ((parts & QUERY_TRACE_ONLY) && f->session_id)
		COND(" AND t.session_sid = (SELECT id FROM people WHERE value = :session)");
	if ((parts & QUERY_TRACE_ONLY) && f->user_id)
		COND(" AND t.user_sid = (SELECT id FROM people WHERE value = :user)");
	if ((parts & QUERY_TRACE_ONLY) && f->min_ms >= 0)
		COND(" AND t.end_ns - t.start_ns >= :min_ns");
	if ((parts & QUERY_TRACE_ONLY) && f->max_ms >= 0)
		COND(" AND t.end_ns - t.start_ns <= :max_ns");
	for (int i = 0; (parts & QUERY_ATTRS) && i < f->nfilters; i++)
		n += filter_where(&f->filters[i], i, f->filter_sets, sql + n, n < size ? size - n : 0);
#undef COND
	return n;
}

void query_trace_bind(sqlite3_stmt *st, const struct trace_filter *f)
{
#define BIND_TEXT(k, v) sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, k), v, -1, SQLITE_STATIC)
#define BIND_I64(k, v) sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, k), (int64_t)(v))
	BIND_I64(":project", f->project);
	BIND_I64(":from", f->from_ns);
	BIND_I64(":to", f->to_ns);
	BIND_TEXT(":service", f->service);
	BIND_TEXT(":name", f->name);
	BIND_TEXT(":model", f->model);
	BIND_I64(":type", f->type);
	BIND_TEXT(":session", f->session_id);
	BIND_TEXT(":user", f->user_id);
	BIND_I64(":min_ns", llround(f->min_ms * 1e6));
	BIND_I64(":max_ns", llround(f->max_ms * 1e6));
	for (int i = 0; i < f->nfilters; i++)
		filter_bind(st, &f->filters[i], i);
#undef BIND_TEXT
#undef BIND_I64
}

/* Prepares SELECT TRACE_COLS for the traces passing all of f's filters,
 * with tail (ORDER BY ..., or a key condition) appended, and binds them. */
static int filter_prepare(sqlite3 *db, const struct trace_filter *f, const char *tail, sqlite3_stmt **out)
{
	/* on the heap: FILTERS_MAX attribute filters take about 9 KB of SQL */
	enum { SQL_MAX = 16384 };
	char *sql = malloc(SQL_MAX);
	sqlite3_stmt *st = NULL;
	int rc = ERR_STORE;
	if (!sql)
		abort();
	size_t n = (size_t)snprintf(sql, SQL_MAX, "SELECT " TRACE_COLS TRACE_FROM " WHERE 1");
	n += query_trace_where(f, QUERY_ALL | QUERY_ATTRS, sql + n, SQL_MAX - n);
	if (n + strlen(tail) >= SQL_MAX)
		goto out;
	memcpy(sql + n, tail, strlen(tail) + 1);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	query_trace_bind(st, f);
	*out = st;
	rc = ERR_OK;
out:
	free(sql);
	return rc;
}

cJSON *query_trace_item(sqlite3_stmt *st, struct preview_reader *pv)
{
	cJSON *o = trace_json(st);
	if (add_previews(o, pv, sqlite3_column_int64(st, 16))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

enum err query_trace_list_prepare(sqlite3 *db, const struct trace_filter *f, const char *extra, sqlite3_stmt **out)
{
	const char *dir = f->ascending ? "ASC" : "DESC";
	char tail[1024];
	int n = snprintf(tail, sizeof tail, "%s%s ORDER BY t.start_ns %s, t.trace_id %s", extra ? extra : "",
	                 !f->has_cursor ? ""
	                 : f->ascending ? " AND (t.start_ns, t.trace_id) > (:cur_start, :cur_trace)"
	                                : " AND (t.start_ns, t.trace_id) < (:cur_start, :cur_trace)",
	                 dir, dir);
	sqlite3_stmt *st;
	if (n < 0 || (size_t)n >= sizeof tail || filter_prepare(db, f, tail, &st))
		return ERR_STORE;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":cur_start"), (int64_t)f->cursor_start);
	sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, ":cur_trace"), f->cursor_trace, 16, SQLITE_STATIC);
	*out = st;
	return ERR_OK;
}

void query_trace_cursor(sqlite3_stmt *st, char out[QUERY_CURSOR_SIZE])
{
	char hex[33];
	id_to_hex(sqlite3_column_blob(st, 0), 16, hex);
	snprintf(out, QUERY_CURSOR_SIZE, "%lld.%s", (long long)sqlite3_column_int64(st, 1), hex);
}

/* tests: TRACELITE_FILTER_PROBE_BUDGET counts steps of 10 instructions,
 * so a few traces reach it; 0 takes the set path at once. Read once (a
 * bad value is logged once, not per query). */
static int64_t probe_env = -1;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe_env_read(void)
{
	probe_env = env_i64("TRACELITE_FILTER_PROBE_BUDGET", 0, INT32_MAX, -1);
}

int query_probe_budget(int *step)
{
	pthread_once(&probe_once, probe_env_read);
	*step = probe_env < 0 ? QUERY_PROBE_STEP : 10;
	return probe_env < 0 ? QUERY_PROBE_BUDGET : (int)probe_env;
}

int query_over_budget(void *left)
{
	return --*(int *)left < 0;
}

/* One page of f: ERR_OK, ERR_STORE, or ERR_BUSY when budget (progress
 * handler calls; < 0: none) ran out first. */
static int traces_page(sqlite3 *db, const struct trace_filter *f, int budget, int step, cJSON **out)
{
	sqlite3_stmt *st;
	struct preview_reader *pv = NULL;
	if (query_trace_list_prepare(db, f, NULL, &st))
		return ERR_STORE;
	if (budget >= 0)
		sqlite3_progress_handler(db, step, query_over_budget, &budget);
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	int rows = 0, rc;
	char cursor[QUERY_CURSOR_SIZE] = "";
	int64_t *keys = malloc(((size_t)f->limit + 1) * sizeof *keys);
	if (!keys)
		abort();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows == f->limit) {
			rows++;
			break; /* one more row than asked: there is a next page */
		}
		keys[rows++] = sqlite3_column_int64(st, 16);
		cJSON_AddItemToArray(items, trace_json(st));
		query_trace_cursor(st, cursor);
	}
	sqlite3_finalize(st);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(keys);
		cJSON_Delete(o);
		return rc == SQLITE_INTERRUPT && budget < 0 ? ERR_BUSY : ERR_STORE;
	}
	/* the previews of the rows shown, after the walk (schema/017) */
	rc = preview_reader_open(db, &pv);
	int i = 0;
	for (cJSON *item = items->child; item && !rc; item = item->next)
		rc = add_previews(item, pv, keys[i++]);
	preview_reader_close(pv);
	free(keys);
	if (rc) {
		cJSON_Delete(o);
		return ERR_STORE;
	}
	if (rows > f->limit)
		cJSON_AddStringToObject(o, "next_cursor", cursor);
	else
		cJSON_AddNullToObject(o, "next_cursor");
	*out = o;
	return ERR_OK;
}

enum err query_traces(sqlite3 *db, const struct trace_filter *f, cJSON **out)
{
	if (!f->nfilters || f->filter_sets)
		return traces_page(db, f, -1, 0, out);
	/* attribute filters: first walk the list testing each trace, which
	 * fills a page at once when many traces pass; when that runs out of
	 * budget, few do: select the passing traces first instead */
	struct trace_filter sets = *f;
	int step, budget = query_probe_budget(&step);
	sets.filter_sets = 1;
	int rc = budget ? traces_page(db, f, budget, step, out) : ERR_BUSY;
	return rc == ERR_BUSY ? traces_page(db, &sets, -1, 0, out) : rc;
}

static const char *const kind_names[] = {"unspecified", "internal", "server", "client", "producer", "consumer"};

static cJSON *events_json(const Tl__Span *sp)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < sp->n_events; i++) {
		const Tl__Span__Event *e = sp->events[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", e->name);
		add_time(o, "time", "time_unix_nano", e->time_unix_nano);
		cJSON_AddItemToObject(o, "attributes", attrs_json(e->attributes, e->n_attributes, 0));
		cJSON_AddNumberToObject(o, "dropped_attributes_count", e->dropped_attributes_count);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *links_json(const Tl__Span *sp)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < sp->n_links; i++) {
		const Tl__Span__Link *l = sp->links[i];
		cJSON *o = cJSON_CreateObject();
		json_add_hex_id(o, "trace_id", l->trace_id.data, l->trace_id.len);
		json_add_hex_id(o, "span_id", l->span_id.data, l->span_id.len);
		cJSON_AddStringToObject(o, "trace_state", l->trace_state);
		cJSON_AddNumberToObject(o, "flags", l->flags);
		cJSON_AddItemToObject(o, "attributes", attrs_json(l->attributes, l->n_attributes, 0));
		cJSON_AddNumberToObject(o, "dropped_attributes_count", l->dropped_attributes_count);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *resource_json(const Tl__ResourceSpans *rs)
{
	cJSON *o = cJSON_CreateObject();
	const Tl__Resource *res = rs ? rs->resource : NULL;
	cJSON_AddItemToObject(o, "attributes", res ? attrs_json(res->attributes, res->n_attributes, 0)
	                                           : cJSON_CreateObject());
	cJSON_AddNumberToObject(o, "dropped_attributes_count", res ? res->dropped_attributes_count : 0);
	cJSON_AddStringToObject(o, "schema_url", rs && rs->schema_url ? rs->schema_url : "");
	return o;
}

static cJSON *scope_json(const Tl__ScopeSpans *ss)
{
	cJSON *o = cJSON_CreateObject();
	const Tl__InstrumentationScope *sc = ss ? ss->scope : NULL;
	cJSON_AddStringToObject(o, "name", sc && sc->name ? sc->name : "");
	cJSON_AddStringToObject(o, "version", sc && sc->version ? sc->version : "");
	cJSON_AddItemToObject(o, "attributes", sc ? attrs_json(sc->attributes, sc->n_attributes, 0)
	                                          : cJSON_CreateObject());
	cJSON_AddNumberToObject(o, "dropped_attributes_count", sc ? sc->dropped_attributes_count : 0);
	cJSON_AddStringToObject(o, "schema_url", ss && ss->schema_url ? ss->schema_url : "");
	return o;
}

cJSON *query_span_part_json(const struct stored_span *s, enum query_span_part part)
{
	const Tl__Span *sp = s->otlp;
	switch (part) {
	case QUERY_PART_ATTRIBUTES: return sp ? attrs_json(sp->attributes, sp->n_attributes, 0) : cJSON_CreateObject();
	case QUERY_PART_EVENTS: return sp ? events_json(sp) : cJSON_CreateArray();
	case QUERY_PART_LINKS: return sp ? links_json(sp) : cJSON_CreateArray();
	case QUERY_PART_RESOURCE: return resource_json(s->resource);
	default: return scope_json(s->scope);
	}
}

/* A string, or null when absent. */
static void add_text(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_opt_str(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* spans.cost_source as the API names it. */
static const char *cost_source_name(int source)
{
	return source == SPAN_COST_CLIENT ? "client" : source == SPAN_COST_TABLE ? "price_table" : "none";
}

/* One span of the API: its hot columns, the text derived from its record,
 * and the record's OTLP parts. */
static cJSON *span_json(const struct stored_span *s, struct arena *a)
{
	cJSON *o = cJSON_CreateObject();
	const Tl__Span *sp = s->otlp;
	json_add_hex_id(o, "trace_id", s->trace_id, 16);
	json_add_hex_id(o, "span_id", s->span_id, 8);
	json_add_hex_id(o, "parent_span_id", s->parent_span_id, s->parent_len);
	add_text(o, "name", s->name);
	cJSON_AddNumberToObject(o, "kind", s->kind);
	cJSON_AddStringToObject(o, "kind_name", s->kind >= 0 && s->kind <= 5 ? kind_names[s->kind] : "unspecified");
	cJSON_AddStringToObject(o, "type", span_type_name(s->type));
	add_text(o, "service", s->service);
	add_time(o, "start_time", "start_time_unix_nano", s->start_ns);
	add_time(o, "end_time", "end_time_unix_nano", s->end_ns);
	cJSON_AddNumberToObject(o, "duration_ms", (double)(s->end_ns - s->start_ns) / 1e6);
	cJSON *stat = cJSON_AddObjectToObject(o, "status");
	cJSON_AddNumberToObject(stat, "code", s->status_code);
	cJSON_AddStringToObject(stat, "message", s->status_message ? s->status_message : "");
	add_text(o, "model", s->model);
	add_text(o, "provider", s->provider);
	cJSON_AddNumberToObject(o, "input_tokens", (double)s->input_tokens);
	cJSON_AddNumberToObject(o, "output_tokens", (double)s->output_tokens);
	cJSON_AddNumberToObject(o, "cache_read_tokens", (double)s->cache_read_tokens);
	cJSON_AddNumberToObject(o, "cache_write_tokens", (double)s->cache_write_tokens);
	if (s->has_cost)
		cJSON_AddNumberToObject(o, "cost_usd", s->cost_usd);
	else
		cJSON_AddNullToObject(o, "cost_usd");
	cJSON_AddStringToObject(o, "cost_source", cost_source_name(s->cost_source));
	if (!sp) {
		spanview_log_unreadable(s->trace_id, s->span_id);
		cJSON_AddStringToObject(o, "error", "stored record unreadable (corrupt, or nested too deep to read safely)");
		return o;
	}
	struct stored_text text;
	spanview_text(sp, s->resource, a, &text);
	add_opt_str(o, "input", text.input);
	add_opt_str(o, "output", text.output);
	add_opt_str(o, "session_id", text.session_id);
	add_opt_str(o, "user_id", text.user_id);
	cJSON_AddStringToObject(o, "trace_state", sp->trace_state ? sp->trace_state : "");
	cJSON_AddNumberToObject(o, "flags", sp->flags);
	cJSON_AddItemToObject(o, "attributes", query_span_part_json(s, QUERY_PART_ATTRIBUTES));
	cJSON_AddNumberToObject(o, "dropped_attributes_count", sp->dropped_attributes_count);
	cJSON_AddItemToObject(o, "events", query_span_part_json(s, QUERY_PART_EVENTS));
	cJSON_AddNumberToObject(o, "dropped_events_count", sp->dropped_events_count);
	cJSON_AddItemToObject(o, "links", query_span_part_json(s, QUERY_PART_LINKS));
	cJSON_AddNumberToObject(o, "dropped_links_count", sp->dropped_links_count);
	cJSON_AddItemToObject(o, "resource", query_span_part_json(s, QUERY_PART_RESOURCE));
	cJSON_AddItemToObject(o, "scope", query_span_part_json(s, QUERY_PART_SCOPE));
	return o;
}

/* The columns score_json reads, and their table. */
#define SCORE_COLS "s.id, s.trace_id, s.span_id, s.name, s.value, s.string_value, s.score_type, s.comment," \
	" s.source, s.time_ns, p.id, s.session_id FROM scores s JOIN projects p ON p.key = s.project"

static cJSON *score_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	add_col_text(o, "id", st, 0);
	/* a session's score has the empty blob: null */
	json_add_hex_id(o, "trace_id", sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1) == 16 ? 16 : 0);
	json_add_hex_id(o, "span_id", sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	add_col_text(o, "name", st, 3);
	if (sqlite3_column_type(st, 4) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "value");
	else
		cJSON_AddNumberToObject(o, "value", sqlite3_column_double(st, 4));
	add_col_text(o, "string_value", st, 5);
	add_col_text(o, "score_type", st, 6);
	/* booleans also as true/false; value stays 0/1 (Langfuse's shape) */
	if (sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_text(st, 6) &&
	    !strcmp((const char *)sqlite3_column_text(st, 6), "boolean"))
		cJSON_AddBoolToObject(o, "bool_value", sqlite3_column_double(st, 4) != 0);
	add_col_text(o, "comment", st, 7);
	add_col_text(o, "source", st, 8);
	add_time(o, "timestamp", "timestamp_unix_nano", (uint64_t)sqlite3_column_int64(st, 9));
	add_col_text(o, "project_id", st, 10);
	add_col_text(o, "session_id", st, 11);
	return o;
}

enum err query_scores(sqlite3 *db, const uint8_t *trace_id, const struct score_range *r, int limit, cJSON **out)
{
	sqlite3_stmt *st;
	static const struct score_range all = {0, 0, 0, NULL};
	if (!r)
		r = &all;
	const char *sql = trace_id
		? "SELECT " SCORE_COLS " WHERE s.trace_id = ? ORDER BY s.time_ns LIMIT ?"
		: r->session_id
		? "SELECT " SCORE_COLS " WHERE s.session_id = ?6 AND ?1 IS NULL AND (?3 = 0 OR s.project = ?3)"
		  " ORDER BY s.time_ns LIMIT ?2"
		: "SELECT " SCORE_COLS " WHERE ?1 IS NULL AND (?3 = 0 OR s.project = ?3) AND s.time_ns >= ?4"
		  " AND (?5 = 0 OR s.time_ns < ?5) ORDER BY s.time_ns DESC LIMIT ?2";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	if (trace_id) {
		sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
	} else {
		sqlite3_bind_int64(st, 3, r->project);
		if (r->session_id)
			sqlite3_bind_text(st, 6, r->session_id, -1, SQLITE_STATIC);
		else {
			sqlite3_bind_int64(st, 4, (int64_t)r->from_ns);
			sqlite3_bind_int64(st, 5, (int64_t)r->to_ns);
		}
	}
	sqlite3_bind_int(st, 2, limit);
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	while (sqlite3_step(st) == SQLITE_ROW)
		cJSON_AddItemToArray(items, score_json(st));
	sqlite3_finalize(st);
	*out = o;
	return ERR_OK;
}

#define QUERY_TRACE_CACHE (2u << 20)   /* bytes of a trace answer's arena before it is reset */

/* The sink's buffer: flushed once it holds QUERY_SINK_CHUNK bytes (force:
 * whatever it holds). Returns ERR_OK or the sink's error. */
static int sink_flush(const struct query_sink *k, struct jbuf *b, int force)
{
	if (!b->len || (!force && b->len < QUERY_SINK_CHUNK))
		return ERR_OK;
	int rc = k->write(k->ctx, b->p, b->len);
	b->len = 0;   /* keeps the buffer: jbuf's invariant holds for any len <= cap */
	return rc;
}

/* Appends the cJSON text of v (deleted) to b; with trim, without its first
 * (trim & 1) and last (trim & 2) byte, to splice objects together. */
static void put_json(struct jbuf *b, cJSON *v, unsigned trim)
{
	size_t len;
	char *text = json_print(v, &len);
	cJSON_Delete(v);
	assert(len >= 2);
	size_t from = trim & 1u, to = len - (trim & 2u ? 1 : 0);
	jbuf_put(b, text + from, to - from);
	cJSON_free(text);
}

enum err query_trace_write(sqlite3 *db, const uint8_t trace_id[16], struct span_page p, const struct query_sink *k,
                           int *begun)
{
	assert(p.offset >= 0 && p.limit >= 1 && p.limit <= QUERY_TRACE_MAX_SPANS);
	sqlite3_stmt *st = NULL;
	struct preview_reader *pv = NULL;
	struct spanview *v = NULL;
	struct stored_span s;
	struct jbuf b;
	cJSON *head = NULL, *tail = NULL, *scores = NULL, *trace;
	long long total, end = p.offset + p.limit;
	int rc = ERR_STORE, more = 0, first = 1, sent = 0;
	*begun = 0;
	jbuf_init(&b, JBUF_NO_CAP);
	if (sqlite3_prepare_v2(db, "SELECT " TRACE_COLS TRACE_FROM " WHERE t.trace_id = ?", -1, &st, NULL))
		goto out;
	sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = ERR_NOT_FOUND;
		goto out;
	}
	/* everything that can fail on its own is read before the first byte, so
	 * that a failure is still an error status: the summary, the scores, the
	 * first page of spans */
	total = sqlite3_column_int64(st, 5);
	if ((rc = preview_reader_open(db, &pv)) || !(trace = query_trace_item(st, pv))) {
		rc = ERR_STORE;
		goto out;
	}
	head = cJSON_CreateObject();
	cJSON_AddItemToObject(head, "trace", trace);
	tail = cJSON_CreateObject();
	cJSON_AddNumberToObject(tail, "spans_total", (double)total);
	if (end < total)
		cJSON_AddNumberToObject(tail, "next_offset", (double)end);
	else
		cJSON_AddNullToObject(tail, "next_offset");
	if ((rc = query_scores(db, trace_id, NULL, 10000, &scores)))
		goto out;
	cJSON_AddItemToObject(tail, "scores", cJSON_DetachItemFromObject(scores, "items"));
	if ((rc = spanview_open(db, &v)))
		goto out;
	long long page_end = p.offset + QUERY_EACH_PAGE < end ? p.offset + QUERY_EACH_PAGE : end;
	if ((rc = spanview_trace(v, trace_id, SPANVIEW_BY_START, p.offset, (int)(page_end - p.offset))))
		goto out;
	/* {"trace":{...},"spans":[ ... ],"spans_total":...}: the bytes cJSON
	 * prints for the whole object, in pieces */
	k->begin(k->ctx);
	*begun = 1;
	put_json(&b, head, 2u);
	head = NULL;
	jbuf_lit(&b, ",\"spans\":[");
	for (long long off = p.offset; !rc;) {
		int rows = 0;
		while (!rc && (more = spanview_next(v, &s)) == 1) {
			rows++;
			sent++;
			if (!first)
				jbuf_putc(&b, ',');
			first = 0;
			put_json(&b, span_json(&s, spanview_arena(v)), 0);
			rc = sink_flush(k, &b, 0);
		}
		if (!rc && more < 0)
			rc = more;
		off = page_end;
		if (rc || rows < QUERY_EACH_PAGE || off >= end)
			break;
		/* the next page, with the chunks read so far dropped once they
		 * hold QUERY_TRACE_CACHE: a neighbouring page may share a chunk
		 * (then read twice), but four clients reading big traces at once
		 * stay within the memory target (docs/performance.md) */
		page_end = off + QUERY_EACH_PAGE < end ? off + QUERY_EACH_PAGE : end;
		if (arena_used(spanview_arena(v)) > QUERY_TRACE_CACHE)
			spanview_reset(v);
		rc = spanview_trace(v, trace_id, SPANVIEW_BY_START, off, (int)(page_end - off));
	}
	if (rc)
		goto out;
	jbuf_lit(&b, "],");
	put_json(&b, tail, 1u);
	tail = NULL;
	rc = sink_flush(k, &b, 1);
out:
	sqlite3_finalize(st);
	preview_reader_close(pv);
	spanview_close(v);
	/* a big trace filled this connection's page cache with chunk pages no
	 * other request wants: each HTTP worker thread keeps its own reader, so
	 * over many workers those caches, not the answers, held the memory */
	if (sent > QUERY_EACH_PAGE)
		sqlite3_db_release_memory(db);
	cJSON_Delete(head);
	cJSON_Delete(tail);
	cJSON_Delete(scores);
	free(b.p);
	return rc;
}

enum err query_trace_each_span(struct spanview *v, const uint8_t trace_id[16], query_span_fn fn, void *ctx)
{
	struct stored_span s;
	int rc = ERR_OK, more = 1;
	/* pages of QUERY_EACH_PAGE spans; decompressed chunks stay cached in v
	 * (neighbouring traces share them) until they hold QUERY_EACH_CACHE */
	for (long long offset = 0; !rc && more; offset += QUERY_EACH_PAGE) {
		int rows = 0;
		if (arena_used(spanview_arena(v)) > QUERY_EACH_CACHE)
			spanview_reset(v);
		rc = spanview_trace(v, trace_id, SPANVIEW_BY_START, offset, QUERY_EACH_PAGE);
		while (!rc && (more = spanview_next(v, &s)) == 1) {
			rows++;
			rc = fn(ctx, span_json(&s, spanview_arena(v)));
		}
		if (!rc && more < 0)
			rc = more;
		more = rows == QUERY_EACH_PAGE;
	}
	return rc;
}

enum err query_trace_cursor_parse(const char *text, struct trace_filter *f)
{
	char buf[QUERY_CURSOR_SIZE];
	int64_t start;
	if (strlen(text) >= sizeof buf)
		return ERR_BAD_INPUT;
	memcpy(buf, text, strlen(text) + 1);
	char *dot = strchr(buf, '.');
	if (!dot)
		return ERR_BAD_INPUT;
	*dot = 0;
	if (text_parse_i64(buf, 0, INT64_MAX, &start) || strlen(dot + 1) != 32 || id_from_hex(dot + 1, f->cursor_trace, 16))
		return ERR_BAD_INPUT;
	f->has_cursor = 1;
	f->cursor_start = (uint64_t)start;
	return ERR_OK;
}

enum err query_span(sqlite3 *db, const uint8_t span_id[8], cJSON **out)
{
	struct spanview *v;
	struct stored_span s;
	int rc = spanview_open(db, &v);
	if (!rc)
		rc = spanview_span(v, span_id);
	if (!rc) {
		int more = spanview_next(v, &s);
		if (more == 1)
			*out = span_json(&s, spanview_arena(v));
		rc = more == 1 ? ERR_OK : more == 0 ? ERR_NOT_FOUND : more;
	}
	spanview_close(v);
	return rc;
}

/* A sink into a jbuf (query_trace_otlp's whole text). */
static void jbuf_sink_begin(void *ctx)
{
	(void)ctx;
}

static int jbuf_sink_write(void *ctx, const char *p, size_t n)
{
	jbuf_put(ctx, p, n);
	return ERR_OK;
}

enum err query_trace_otlp(sqlite3 *db, const uint8_t trace_id[16], struct span_page p, char **json, size_t *len,
                          long long *next_offset)
{
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	struct query_sink k = {jbuf_sink_begin, jbuf_sink_write, &b};
	int begun;
	enum err rc = query_trace_otlp_write(db, trace_id, p, &k, next_offset, &begun);
	char *text = jbuf_finish(&b, len);
	if (rc == ERR_OK)
		*json = text;
	else
		free(text);
	return rc;
}

/* Replaces *slot (malloc'd or NULL) with a copy of url (NULL stays NULL).
 * Out of memory aborts. */
static void url_set(char **slot, const char *url)
{
	free(*slot);
	*slot = url ? strdup(url) : NULL;
	if (url && !*slot)
		abort();
}

enum err query_trace_otlp_write(sqlite3 *db, const uint8_t trace_id[16], struct span_page p,
                                const struct query_sink *k, long long *next_offset, int *begun)
{
	assert(p.offset >= 0 && p.limit >= 1 && p.limit <= QUERY_TRACE_MAX_SPANS);
	sqlite3_stmt *st = NULL;
	struct spanview *v = NULL;
	struct stored_span s;
	struct jbuf b;
	static const Tl__ResourceSpans no_rs = TL__RESOURCE_SPANS__INIT;
	static const Tl__ScopeSpans no_ss = TL__SCOPE_SPANS__INIT;
	char *rs_url = NULL, *ss_url = NULL;   /* the open groups' schema URLs, copied: a page may reset the arena */
	int64_t cur_res = -1, cur_scope = -1;
	long long end = p.offset + p.limit, off = p.offset, page_end;
	int rc = ERR_STORE, more = 0, rows = 0, in_scope = 0, sent = 0;
	*begun = 0;
	*next_offset = -1;
	jbuf_init(&b, JBUF_NO_CAP);
	/* whether spans follow the page is a header, so it is known before the
	 * first byte; the statement stays open, holding one read transaction
	 * for the count and every page */
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM spans WHERE trace = (SELECT key FROM traces WHERE trace_id = ?1)",
	                       -1, &st, NULL))
		goto out;
	sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	if (sqlite3_column_int64(st, 0) > end)
		*next_offset = end;
	if ((rc = spanview_open(db, &v)))
		goto out;
	for (; off < end; off = page_end) {
		page_end = off + QUERY_EACH_PAGE < end ? off + QUERY_EACH_PAGE : end;
		if (arena_used(spanview_arena(v)) > QUERY_TRACE_CACHE)
			spanview_reset(v);   /* rs and ss point into it: reopened groups copy them again below */
		if ((rc = spanview_trace(v, trace_id, SPANVIEW_BY_RESOURCE, off, (int)(page_end - off))))
			goto out;
		rows = 0;
		while ((more = spanview_next(v, &s)) == 1) {
			rows++;
			if (!s.otlp) {
				spanview_log_unreadable(trace_id, s.span_id);
				continue;
			}
			if (!*begun) {
				/* the first readable span: the answer is 200 from here */
				k->begin(k->ctx);
				*begun = 1;
				jbuf_lit(&b, "{\"resourceSpans\":[");
			}
			if (s.resource_id != cur_res || s.scope_id != cur_scope) {
				if (in_scope)
					otlp_json_put_close(&b, ss_url);
				if (s.resource_id != cur_res) {
					if (cur_res != -1) {
						otlp_json_put_close(&b, rs_url);
						jbuf_putc(&b, ',');
					}
					const Tl__ResourceSpans *res = s.resource ? s.resource : &no_rs;
					otlp_json_put_rs_open(&b, res);
					url_set(&rs_url, res->schema_url);
					cur_res = s.resource_id;
				} else {
					jbuf_putc(&b, ',');
				}
				const Tl__ScopeSpans *scope = s.scope ? s.scope : &no_ss;
				otlp_json_put_ss_open(&b, scope);
				url_set(&ss_url, scope->schema_url);
				cur_scope = s.scope_id;
				in_scope = 0;
			}
			if (in_scope)
				jbuf_putc(&b, ',');
			in_scope = 1;
			otlp_json_put_span(&b, s.otlp);
			sent++;
			if ((rc = sink_flush(k, &b, 0)))
				goto out;
		}
		if (more < 0) {
			rc = more;
			goto out;
		}
		if (rows < page_end - off)
			break;   /* the trace ends inside this page */
	}
	if (!*begun) {
		rc = ERR_NOT_FOUND;
		goto out;
	}
	otlp_json_put_close(&b, ss_url);
	otlp_json_put_close(&b, rs_url);
	jbuf_lit(&b, "]}");
	rc = sink_flush(k, &b, 1);
out:
	sqlite3_finalize(st);
	spanview_close(v);
	if (sent > QUERY_EACH_PAGE)
		sqlite3_db_release_memory(db);   /* as query_trace_write: a big trace's chunk pages */
	free(rs_url);
	free(ss_url);
	free(b.p);
	return rc;
}

enum err query_projects(sqlite3 *db, cJSON **out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "SELECT p.id, p.name, p.created_ns, (SELECT count(*) FROM traces t WHERE t.project = p.key)"
	                       " FROM projects p ORDER BY p.key",
	                       -1, &st, NULL))
		return ERR_STORE;
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *p = cJSON_CreateObject();
		add_col_text(p, "id", st, 0);
		add_col_text(p, "name", st, 1);
		add_time(p, "created_at", "created_at_unix_nano", (uint64_t)sqlite3_column_int64(st, 2));
		cJSON_AddNumberToObject(p, "trace_count", (double)sqlite3_column_int64(st, 3));
		cJSON_AddItemToArray(items, p);
	}
	sqlite3_finalize(st);
	*out = o;
	return ERR_OK;
}

enum err query_project_key(sqlite3 *db, const char *project, int64_t *key)
{
	sqlite3_stmt *st;
	int rc = ERR_NOT_FOUND;
	if (sqlite3_prepare_v2(db, "SELECT key FROM projects WHERE id = lower(?1) OR name = ?1", -1, &st, NULL))
		return ERR_STORE;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*key = sqlite3_column_int64(st, 0);
		rc = ERR_OK;
	}
	sqlite3_finalize(st);
	return rc;
}
