/* query.c: read-side SQL and the JSON it becomes. Trace lists read only
 * the traces table; a trace's spans come from their hot columns plus the
 * compressed chunks, each chunk decompressed once per request. */
#include "query/query.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/err.h"
#include "base/json.h"
#include "base/text.h"
#include "ingest/genai.h"
#include "otlp/otlp_build.h"
#include "otlp/otlp_json_out.h"
#include "store/record.h"
#include "ingest/span.h"

#define TRACE_COLS                                                                                     \
	"t.trace_id, t.start_ns, t.end_ns, t.name, t.service, t.span_count, t.error_count, t.llm_calls,"  \
	" t.input_tokens, t.output_tokens, t.cost_usd, t.models, t.session_id, t.user_id,"                \
	" t.input_preview, t.output_preview, p.id, p.name"
#define TRACE_FROM " FROM traces t JOIN projects p ON p.key = t.project"

#define SPAN_COLS                                                                                      \
	"tr.trace_id, s.span_id, s.parent_span_id, n.value, sv.value, s.kind, s.type, s.start_ns, s.end_ns," \
	" s.status, s.status_message, m.value, pr.value, s.input_tokens, s.output_tokens,"                \
	" s.cache_read_tokens, s.cache_write_tokens, s.cost_usd, s.resource, s.scope, s.chunk,"           \
	" s.chunk_index, s.cost_source"
#define SPAN_FROM                                                                                      \
	" FROM spans s JOIN traces tr ON tr.key = s.trace JOIN strings n ON n.id = s.name JOIN strings sv ON sv.id = s.service"              \
	" LEFT JOIN strings m ON m.id = s.model LEFT JOIN strings pr ON pr.id = s.provider"

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

static void add_hex(cJSON *o, const char *key, const void *id, size_t n)
{
	char hex[65];
	if (!id || n == 0 || n > 32) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	id_to_hex(id, n, hex);
	cJSON_AddStringToObject(o, key, hex);
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

static cJSON *models_json(const char *models)
{
	cJSON *a = cJSON_CreateArray();
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", models ? models : "");
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(a, cJSON_CreateString(tok));
	return a;
}

/* One trace summary from a row of TRACE_COLS. */
static cJSON *trace_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t start = (uint64_t)sqlite3_column_int64(st, 1), end = (uint64_t)sqlite3_column_int64(st, 2);
	int64_t errors = sqlite3_column_int64(st, 6);
	add_hex(o, "trace_id", sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	add_col_text(o, "project_id", st, 16);
	add_col_text(o, "project", st, 17);
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
	add_col_text(o, "input_preview", st, 14);
	add_col_text(o, "output_preview", st, 15);
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
		COND(" AND t.service = :service");
	if ((parts & QUERY_DIMS) && f->name)
		COND(" AND t.name = :name");
	if ((parts & QUERY_DIMS) && f->model)
		COND(" AND instr(',' || t.models || ',', ',' || :model || ',') > 0");
	if ((parts & QUERY_DIMS) && f->type >= 0)
		COND(" AND EXISTS (SELECT 1 FROM spans x WHERE x.trace = t.key AND x.type = :type)");
	if ((parts & QUERY_TRACE_ONLY) && f->status)
		COND(strcmp(f->status, "error") == 0 ? " AND t.error_count > 0" : " AND t.error_count = 0");
	if ((parts & QUERY_TRACE_ONLY) && f->session_id)
		COND(" AND t.session_id = :session");
	if ((parts & QUERY_TRACE_ONLY) && f->user_id)
		COND(" AND t.user_id = :user");
	if ((parts & QUERY_TRACE_ONLY) && f->min_ms >= 0)
		COND(" AND t.end_ns - t.start_ns >= :min_ns");
	if ((parts & QUERY_TRACE_ONLY) && f->max_ms >= 0)
		COND(" AND t.end_ns - t.start_ns <= :max_ns");
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
#undef BIND_TEXT
#undef BIND_I64
}

/* Prepares SELECT TRACE_COLS for the traces passing all of f's filters,
 * with tail (ORDER BY ..., or a key condition) appended, and binds them. */
static int filter_prepare(sqlite3 *db, const struct trace_filter *f, const char *tail, sqlite3_stmt **out)
{
	char sql[2048];
	size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT " TRACE_COLS TRACE_FROM " WHERE 1");
	n += query_trace_where(f, QUERY_TIME | QUERY_DIMS | QUERY_TRACE_ONLY, sql + n, sizeof sql - n);
	if (n + strlen(tail) >= sizeof sql)
		return ERR_STORE;
	memcpy(sql + n, tail, strlen(tail) + 1);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	query_trace_bind(st, f);
	*out = st;
	return ERR_OK;
}

int query_trace_filter_prepare(sqlite3 *db, const struct trace_filter *f, sqlite3_stmt **st)
{
	return filter_prepare(db, f, " AND t.key = :key", st);
}

cJSON *query_trace_item(sqlite3_stmt *st)
{
	return trace_json(st);
}

int query_traces(sqlite3 *db, const struct trace_filter *f, cJSON **out)
{
	const char *dir = f->ascending ? "ASC" : "DESC";
	char tail[192];
	snprintf(tail, sizeof tail, "%s ORDER BY t.start_ns %s, t.trace_id %s LIMIT :limit",
	         !f->has_cursor ? ""
	         : f->ascending ? " AND (t.start_ns, t.trace_id) > (:cur_start, :cur_trace)"
	                        : " AND (t.start_ns, t.trace_id) < (:cur_start, :cur_trace)",
	         dir, dir);
	sqlite3_stmt *st;
	if (filter_prepare(db, f, tail, &st))
		return ERR_STORE;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":cur_start"), (int64_t)f->cursor_start);
	sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, ":cur_trace"), f->cursor_trace, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), f->limit + 1);
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	int rows = 0, rc;
	char cursor[64] = "";
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows++ == f->limit)
			break; /* one more row than asked: there is a next page */
		cJSON_AddItemToArray(items, trace_json(st));
		char hex[33];
		id_to_hex(sqlite3_column_blob(st, 0), 16, hex);
		snprintf(cursor, sizeof cursor, "%lld.%s", (long long)sqlite3_column_int64(st, 1), hex);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
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

/* Per-request caches so each chunk is decompressed and each blob unpacked
 * once, however many spans refer to them. */
struct reader {
	sqlite3 *db;
	struct arena *a;
	sqlite3_stmt *chunk_st, *blob_st;
	struct cached_chunk {
		int64_t id;
		long count;
		const uint8_t **spans;
		size_t *lens;
	} *chunks;
	size_t nchunks, chunk_cap;
	struct cached_blob {
		int64_t id;
		void *msg;
	} *blobs;
	size_t nblobs, blob_cap;
};

static int reader_open(struct reader *r, sqlite3 *db)
{
	memset(r, 0, sizeof *r);
	r->db = db;
	r->a = arena_new();
	if (sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE id = ?", -1, &r->chunk_st, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT data FROM blobs WHERE id = ?", -1, &r->blob_st, NULL))
		return ERR_STORE;
	return ERR_OK;
}

static void reader_close(struct reader *r)
{
	sqlite3_finalize(r->chunk_st);
	sqlite3_finalize(r->blob_st);
	free(r->chunks);
	free(r->blobs);
	arena_free(r->a);
}

static Tl__Span *reader_span(struct reader *r, int64_t chunk, int index)
{
	struct cached_chunk *c = NULL;
	for (size_t i = 0; i < r->nchunks; i++)
		if (r->chunks[i].id == chunk)
			c = &r->chunks[i];
	if (!c) {
		if (r->nchunks == r->chunk_cap) {
			r->chunk_cap = r->chunk_cap ? r->chunk_cap * 2 : 8;
			r->chunks = realloc(r->chunks, r->chunk_cap * sizeof *r->chunks);
			if (!r->chunks)
				abort();
		}
		c = &r->chunks[r->nchunks++];
		c->id = chunk;
		c->count = -1;
		sqlite3_bind_int64(r->chunk_st, 1, chunk);
		if (sqlite3_step(r->chunk_st) == SQLITE_ROW)
			c->count = record_chunk_split(sqlite3_column_blob(r->chunk_st, 0),
			                              (size_t)sqlite3_column_bytes(r->chunk_st, 0), r->a, &c->spans,
			                              &c->lens);
		sqlite3_reset(r->chunk_st);
	}
	if (index < 0 || index >= c->count)
		return NULL;
	return record_span_unpack(c->spans[index], c->lens[index], r->a);
}

static void *reader_blob(struct reader *r, int64_t id, int resource)
{
	for (size_t i = 0; i < r->nblobs; i++)
		if (r->blobs[i].id == id)
			return r->blobs[i].msg;
	void *msg = NULL;
	sqlite3_bind_int64(r->blob_st, 1, id);
	if (sqlite3_step(r->blob_st) == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(r->blob_st, 0);
		size_t len = (size_t)sqlite3_column_bytes(r->blob_st, 0);
		msg = resource ? (void *)record_resource_unpack(data, len, r->a) : (void *)record_scope_unpack(data, len, r->a);
	}
	sqlite3_reset(r->blob_st);
	if (r->nblobs == r->blob_cap) {
		r->blob_cap = r->blob_cap ? r->blob_cap * 2 : 8;
		r->blobs = realloc(r->blobs, r->blob_cap * sizeof *r->blobs);
		if (!r->blobs)
			abort();
	}
	r->blobs[r->nblobs].id = id;
	r->blobs[r->nblobs++].msg = msg;
	return msg;
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
		add_hex(o, "trace_id", l->trace_id.data, l->trace_id.len);
		add_hex(o, "span_id", l->span_id.data, l->span_id.len);
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

/* A record the read path refuses is skipped, never fatal; the log says
 * which, so the operator can find it. */
static void log_unreadable(const void *trace_id, const void *span_id)
{
	char t[33], sp[17] = "?";
	id_to_hex(trace_id, 16, t);
	if (span_id)
		id_to_hex(span_id, 8, sp);
	fprintf(stderr, "tracelite: trace %s span %s: stored record unreadable, skipped\n", t, sp);
}

/* One span from a row of SPAN_COLS plus its stored record. */
static cJSON *span_json(struct reader *r, sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t start = (uint64_t)sqlite3_column_int64(st, 7), end = (uint64_t)sqlite3_column_int64(st, 8);
	int kind = sqlite3_column_int(st, 5), status = sqlite3_column_int(st, 9);
	Tl__Span *sp = reader_span(r, sqlite3_column_int64(st, 20), sqlite3_column_int(st, 21));
	const Tl__ResourceSpans *rs = reader_blob(r, sqlite3_column_int64(st, 18), 1);
	const Tl__ScopeSpans *ss = reader_blob(r, sqlite3_column_int64(st, 19), 0);
	add_hex(o, "trace_id", sqlite3_column_blob(st, 0), 16);
	add_hex(o, "span_id", sqlite3_column_blob(st, 1), 8);
	add_hex(o, "parent_span_id", sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	add_col_text(o, "name", st, 3);
	cJSON_AddNumberToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "kind_name", kind >= 0 && kind <= 5 ? kind_names[kind] : "unspecified");
	cJSON_AddStringToObject(o, "type", span_type_name(sqlite3_column_int(st, 6)));
	add_col_text(o, "service", st, 4);
	add_time(o, "start_time", "start_time_unix_nano", start);
	add_time(o, "end_time", "end_time_unix_nano", end);
	cJSON_AddNumberToObject(o, "duration_ms", (double)(end - start) / 1e6);
	cJSON *stat = cJSON_AddObjectToObject(o, "status");
	cJSON_AddNumberToObject(stat, "code", status);
	cJSON_AddStringToObject(stat, "message",
	                        sqlite3_column_type(st, 10) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(st, 10));
	add_col_text(o, "model", st, 11);
	add_col_text(o, "provider", st, 12);
	cJSON_AddNumberToObject(o, "input_tokens", (double)sqlite3_column_int64(st, 13));
	cJSON_AddNumberToObject(o, "output_tokens", (double)sqlite3_column_int64(st, 14));
	cJSON_AddNumberToObject(o, "cache_read_tokens", (double)sqlite3_column_int64(st, 15));
	cJSON_AddNumberToObject(o, "cache_write_tokens", (double)sqlite3_column_int64(st, 16));
	if (sqlite3_column_type(st, 17) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "cost_usd");
	else
		cJSON_AddNumberToObject(o, "cost_usd", sqlite3_column_double(st, 17));
	cJSON_AddStringToObject(o, "cost_source", cost_source_name(sqlite3_column_int(st, 22)));
	if (!sp) {
		log_unreadable(sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 1));
		cJSON_AddStringToObject(o, "error", "stored record unreadable (corrupt, or nested too deep to read safely)");
		return o;
	}
	/* The text fields are not hot columns: derive them again from the record. */
	struct span norm;
	memset(&norm, 0, sizeof norm);
	norm.otlp = sp;
	norm.resource = rs ? rs->resource : NULL;
	genai_normalize(&norm, r->a);
	add_opt_str(o, "input", norm.input_text);
	add_opt_str(o, "output", norm.output_text);
	add_opt_str(o, "session_id", norm.session_id);
	add_opt_str(o, "user_id", norm.user_id);
	cJSON_AddStringToObject(o, "trace_state", sp->trace_state ? sp->trace_state : "");
	cJSON_AddNumberToObject(o, "flags", sp->flags);
	cJSON_AddItemToObject(o, "attributes", attrs_json(sp->attributes, sp->n_attributes, 0));
	cJSON_AddNumberToObject(o, "dropped_attributes_count", sp->dropped_attributes_count);
	cJSON_AddItemToObject(o, "events", events_json(sp));
	cJSON_AddNumberToObject(o, "dropped_events_count", sp->dropped_events_count);
	cJSON_AddItemToObject(o, "links", links_json(sp));
	cJSON_AddNumberToObject(o, "dropped_links_count", sp->dropped_links_count);
	cJSON_AddItemToObject(o, "resource", resource_json(rs));
	cJSON_AddItemToObject(o, "scope", scope_json(ss));
	return o;
}

static cJSON *score_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	add_col_text(o, "id", st, 0);
	add_hex(o, "trace_id", sqlite3_column_blob(st, 1), 16);
	add_hex(o, "span_id", sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	add_col_text(o, "name", st, 3);
	if (sqlite3_column_type(st, 4) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "value");
	else
		cJSON_AddNumberToObject(o, "value", sqlite3_column_double(st, 4));
	add_col_text(o, "string_value", st, 5);
	add_col_text(o, "score_type", st, 6);
	add_col_text(o, "comment", st, 7);
	add_col_text(o, "source", st, 8);
	add_time(o, "timestamp", "timestamp_unix_nano", (uint64_t)sqlite3_column_int64(st, 9));
	add_col_text(o, "project_id", st, 10);
	return o;
}

int query_scores(sqlite3 *db, const uint8_t *trace_id, int limit, cJSON **out)
{
	sqlite3_stmt *st;
	const char *sql = trace_id
		? "SELECT s.id, s.trace_id, s.span_id, s.name, s.value, s.string_value, s.score_type, s.comment,"
		  " s.source, s.time_ns, p.id FROM scores s JOIN projects p ON p.key = s.project"
		  " WHERE s.trace_id = ? ORDER BY s.time_ns LIMIT ?"
		: "SELECT s.id, s.trace_id, s.span_id, s.name, s.value, s.string_value, s.score_type, s.comment,"
		  " s.source, s.time_ns, p.id FROM scores s JOIN projects p ON p.key = s.project"
		  " WHERE ? IS NULL ORDER BY s.time_ns DESC LIMIT ?";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	if (trace_id)
		sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	while (sqlite3_step(st) == SQLITE_ROW)
		cJSON_AddItemToArray(items, score_json(st));
	sqlite3_finalize(st);
	*out = o;
	return ERR_OK;
}

int query_trace(sqlite3 *db, const uint8_t trace_id[16], struct span_page p, cJSON **out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT " TRACE_COLS TRACE_FROM " WHERE t.trace_id = ?", -1, &st, NULL))
		return ERR_STORE;
	sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return ERR_NOT_FOUND;
	}
	cJSON *o = cJSON_CreateObject();
	long long total = sqlite3_column_int64(st, 5);
	cJSON_AddItemToObject(o, "trace", trace_json(st));
	sqlite3_finalize(st);
	struct reader r;
	int rc = reader_open(&r, db);
	if (!rc && sqlite3_prepare_v2(db, "SELECT " SPAN_COLS SPAN_FROM " WHERE s.trace = (SELECT key FROM traces WHERE trace_id = ?)"
	                                  " ORDER BY s.start_ns, s.span_id LIMIT ? OFFSET ?",
	                              -1, &st, NULL))
		rc = ERR_STORE;
	if (!rc) {
		cJSON *spans = cJSON_AddArrayToObject(o, "spans");
		sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, p.limit);
		sqlite3_bind_int64(st, 3, p.offset);
		while (sqlite3_step(st) == SQLITE_ROW)
			cJSON_AddItemToArray(spans, span_json(&r, st));
		sqlite3_finalize(st);
	}
	reader_close(&r);
	cJSON_AddNumberToObject(o, "spans_total", (double)total);
	if (p.offset + p.limit < total)
		cJSON_AddNumberToObject(o, "next_offset", (double)(p.offset + p.limit));
	else
		cJSON_AddNullToObject(o, "next_offset");
	cJSON *scores = NULL;
	if (!rc)
		rc = query_scores(db, trace_id, 10000, &scores);
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	cJSON_AddItemToObject(o, "scores", cJSON_DetachItemFromObject(scores, "items"));
	cJSON_Delete(scores);
	*out = o;
	return ERR_OK;
}

int query_span(sqlite3 *db, const uint8_t span_id[8], cJSON **out)
{
	sqlite3_stmt *st;
	struct reader r;
	int rc = reader_open(&r, db);
	if (!rc && sqlite3_prepare_v2(db, "SELECT " SPAN_COLS SPAN_FROM " WHERE s.span_id = ? ORDER BY s.start_ns DESC LIMIT 1",
	                              -1, &st, NULL))
		rc = ERR_STORE;
	if (!rc) {
		sqlite3_bind_blob(st, 1, span_id, 8, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			*out = span_json(&r, st);
		else
			rc = ERR_NOT_FOUND;
		sqlite3_finalize(st);
	}
	reader_close(&r);
	return rc;
}

int query_trace_otlp(sqlite3 *db, const uint8_t trace_id[16], struct span_page p, char **json, size_t *len,
                     long long *next_offset)
{
	sqlite3_stmt *st;
	struct reader r;
	int rc = reader_open(&r, db), found = 0, rows = 0;
	Tl__ExportTraceServiceRequest req;
	tl__export_trace_service_request__init(&req);
	if (!rc && sqlite3_prepare_v2(db, "SELECT resource, scope, chunk, chunk_index, span_id FROM spans"
	                                  " WHERE trace = (SELECT key FROM traces WHERE trace_id = ?)"
	                                  " ORDER BY resource, scope, start_ns, span_id LIMIT ? OFFSET ?", -1, &st, NULL))
		rc = ERR_STORE;
	if (!rc) {
		Tl__ResourceSpans *rs = NULL;
		Tl__ScopeSpans *ss = NULL;
		int64_t cur_res = -1, cur_scope = -1;
		sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, p.limit + 1); /* one more tells whether a next page exists */
		sqlite3_bind_int64(st, 3, p.offset);
		while (sqlite3_step(st) == SQLITE_ROW && ++rows <= p.limit) {
			int64_t res = sqlite3_column_int64(st, 0), scope = sqlite3_column_int64(st, 1);
			Tl__Span *sp = reader_span(&r, sqlite3_column_int64(st, 2), sqlite3_column_int(st, 3));
			if (!sp) {
				log_unreadable(trace_id, sqlite3_column_blob(st, 4));
				continue;
			}
			found = 1;
			if (!rs || res != cur_res) {
				const Tl__ResourceSpans *stored = reader_blob(&r, res, 1);
				rs = arena_alloc(r.a, sizeof *rs);
				tl__resource_spans__init(rs);
				if (stored) {
					rs->resource = stored->resource;
					rs->schema_url = stored->schema_url;
				}
				otlp_push(r.a, &req.resource_spans, &req.n_resource_spans, rs);
				cur_res = res;
				ss = NULL;
			}
			if (!ss || scope != cur_scope) {
				const Tl__ScopeSpans *stored = reader_blob(&r, scope, 0);
				ss = arena_alloc(r.a, sizeof *ss);
				tl__scope_spans__init(ss);
				if (stored) {
					ss->scope = stored->scope;
					ss->schema_url = stored->schema_url;
				}
				otlp_push(r.a, &rs->scope_spans, &rs->n_scope_spans, ss);
				cur_scope = scope;
			}
			otlp_push(r.a, &ss->spans, &ss->n_spans, sp);
		}
		sqlite3_finalize(st);
	}
	if (!rc && !found)
		rc = ERR_NOT_FOUND;
	*next_offset = rows > p.limit ? p.offset + p.limit : -1;
	if (!rc)
		*json = otlp_json_encode(&req, len);
	reader_close(&r);
	return rc;
}

int query_projects(sqlite3 *db, cJSON **out)
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

int query_project_key(sqlite3 *db, const char *project, int64_t *key)
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

int query_chunk_spans(sqlite3 *db, int64_t after, int64_t upto, cJSON **out)
{
	sqlite3_stmt *st;
	struct reader r;
	*out = NULL;
	if (sqlite3_prepare_v2(db,
	                       "SELECT " SPAN_COLS ", pj.id" SPAN_FROM " JOIN projects pj ON pj.key = s.project"
	                       " WHERE s.chunk > ?1 AND s.chunk <= ?2 ORDER BY s.chunk, s.chunk_index",
	                       -1, &st, NULL))
		return ERR_STORE;
	if (reader_open(&r, db)) {
		sqlite3_finalize(st);
		reader_close(&r);
		return ERR_STORE;
	}
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, upto);
	cJSON *a = cJSON_CreateArray();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = span_json(&r, st);
		add_col_text(o, "project_id", st, 22);
		cJSON_AddNumberToObject(o, "chunk", (double)sqlite3_column_int64(st, 20));
		cJSON_AddItemToArray(a, o);
	}
	sqlite3_finalize(st);
	reader_close(&r);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(a);
		return ERR_STORE;
	}
	*out = a;
	return ERR_OK;
}
