/* repl_rows.c: reads a batch of changes for replication. Projects, trace
 * summaries and scores are plain SELECTs whose aliases are the target
 * columns; span rows are built here, column by column, from the stored-span
 * view (store/spanview.h), the JSON columns in query_span_part_json's shape. */
#include "repl/repl_rows.h"
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "base/err.h"
#include "base/ids.h"
#include "base/json.h"
#include "ingest/span.h"
#include "query/logquery.h"
#include "query/query.h"
#include "store/store.h"

static const char *const table_names[REPL_NTABLES] = {"projects", "spans", "traces", "scores", "logs"};
static const char *const table_keys[REPL_NTABLES] = {"id", "trace_id, span_id", "trace_id", "id", "project_id, record_id"};

const char *repl_table_name(enum repl_table t)
{
	return table_names[t];
}

const char *repl_table_key(enum repl_table t)
{
	return table_keys[t];
}

static const char *const select_sql[REPL_NTABLES] = {
	[REPL_PROJECTS] = "SELECT id, name, created_ns, key AS version FROM projects WHERE key > ?1 ORDER BY key",
	[REPL_TRACES] =
		"SELECT lower(hex(t.trace_id)) AS trace_id, p.id AS project_id,"
		" (SELECT value FROM strings WHERE id = t.name_sid) AS name,"
		" (SELECT value FROM strings WHERE id = t.service_sid) AS service, t.start_ns, t.end_ns,"
		" (t.end_ns - t.start_ns) / 1e6 AS duration_ms,"
		" CASE WHEN t.error_count > 0 THEN 'error' ELSE 'ok' END AS status, t.span_count, t.error_count,"
		" t.llm_calls, t.input_tokens, t.output_tokens, t.cost_usd,"
		" (SELECT value FROM strings WHERE id = t.models_sid) AS models,"
		" (SELECT value FROM people WHERE id = t.session_sid) AS session_id,"
		" (SELECT value FROM people WHERE id = t.user_sid) AS user_id,"
		" tl_preview(pv.body, 0, t.key) AS input_preview, tl_preview(pv.body, 1, t.key) AS output_preview,"
		" t.seq AS version"
		" FROM traces t JOIN projects p ON p.key = t.project LEFT JOIN trace_previews pv ON pv.key = t.key"
		" WHERE t.seq > ?1 ORDER BY t.seq LIMIT ?2",
	[REPL_SCORES] =
		"SELECT s.id, p.id AS project_id, lower(hex(s.trace_id)) AS trace_id,"
		" CASE WHEN s.span_id IS NULL THEN NULL ELSE lower(hex(s.span_id)) END AS span_id, s.name, s.value,"
		" s.string_value, s.score_type, s.comment, s.source, s.time_ns, s.session_id, s.seq AS version"
		" FROM scores s JOIN projects p ON p.key = s.project WHERE s.seq > ?1 ORDER BY s.seq LIMIT ?2",
};

/* Exact text for numbers: cJSON keeps doubles, which would round int64. */
static cJSON *raw_int(int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	return cJSON_CreateRaw(buf);
}

static cJSON *raw_double(double v)
{
	char buf[40];
	if (!isfinite(v))
		return cJSON_CreateNull();
	snprintf(buf, sizeof buf, "%.17g", v);
	return cJSON_CreateRaw(buf);
}

/* Runs a select_sql statement; appends one row per result to rows and
 * returns the last "version" seen (or from when none). */
static int read_table(sqlite3 *db, enum repl_table t, int64_t from, int limit, cJSON *rows, int64_t *last)
{
	sqlite3_stmt *st;
	int rc;
	*last = from;
	if (sqlite3_prepare_v2(db, select_sql[t], -1, &st, NULL))
		return ERR_STORE;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int(st, 2, limit);
	int ncol = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *row = cJSON_CreateObject();
		for (int i = 0; i < ncol; i++) {
			cJSON *v;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER: v = raw_int(sqlite3_column_int64(st, i)); break;
			case SQLITE_FLOAT: v = raw_double(sqlite3_column_double(st, i)); break;
			case SQLITE_NULL: v = cJSON_CreateNull(); break;
			default: v = json_string_item((const char *)sqlite3_column_text(st, i)); break;
			}
			cJSON_AddItemToObject(row, sqlite3_column_name(st, i), v);
		}
		*last = sqlite3_column_int64(st, ncol - 1);
		cJSON_AddItemToArray(rows, row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

/* Unix nanos as an exact unsigned number. */
static cJSON *raw_nanos(uint64_t ns)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)ns);
	return cJSON_CreateRaw(buf);
}


/* A string column; NULL is SQL NULL, and so is "" when empty_null. */
static void add_text(cJSON *row, const char *col, const char *v, int empty_null)
{
	if (v && !(empty_null && !*v))
		cJSON_AddItemToObject(row, col, json_string_item(v));
	else
		cJSON_AddNullToObject(row, col);
}

/* A JSON column: the part's JSON text (query_span_part_json), NULL when
 * the record does not read back. */
static void add_part(cJSON *row, const char *col, const struct stored_span *s, enum query_span_part part)
{
	char *text = NULL;
	if (s->otlp) {
		cJSON *v = query_span_part_json(s, part);
		text = json_print(v, NULL);
		cJSON_Delete(v);
	}
	cJSON_AddItemToObject(row, col, text ? cJSON_CreateString(text) : cJSON_CreateNull());
	cJSON_free(text);
}

/* One stored span as a row of the spans table. The columns the record
 * gives are NULL when it does not read back (the span is still sent). */
static cJSON *span_row(const struct stored_span *s, struct arena *a)
{
	cJSON *r = cJSON_CreateObject();
	const Tl__Span *sp = s->otlp;
	struct stored_text text = {0};
	if (sp)
		spanview_text(sp, s->resource, a, &text);
	json_add_hex_id(r, "trace_id", s->trace_id, 16);
	json_add_hex_id(r, "span_id", s->span_id, 8);
	json_add_hex_id(r, "parent_span_id", s->parent_span_id, s->parent_len);
	add_text(r, "project_id", s->project_id, 0);
	add_text(r, "name", s->name, 0);
	cJSON_AddNumberToObject(r, "kind", s->kind);
	cJSON_AddStringToObject(r, "type", span_type_name(s->type));
	add_text(r, "service", s->service, 0);
	cJSON_AddItemToObject(r, "start_ns", raw_nanos(s->start_ns));
	cJSON_AddItemToObject(r, "end_ns", raw_nanos(s->end_ns));
	cJSON_AddNumberToObject(r, "duration_ms", (double)(s->end_ns - s->start_ns) / 1e6);
	cJSON_AddNumberToObject(r, "status_code", s->status_code);
	add_text(r, "status_message", s->status_message ? s->status_message : "", 0);
	add_text(r, "model", s->model, 0);
	add_text(r, "provider", s->provider, 0);
	cJSON_AddNumberToObject(r, "input_tokens", (double)s->input_tokens);
	cJSON_AddNumberToObject(r, "output_tokens", (double)s->output_tokens);
	cJSON_AddNumberToObject(r, "cache_read_tokens", (double)s->cache_read_tokens);
	cJSON_AddNumberToObject(r, "cache_write_tokens", (double)s->cache_write_tokens);
	if (s->has_cost)
		cJSON_AddNumberToObject(r, "cost_usd", s->cost_usd);
	else
		cJSON_AddNullToObject(r, "cost_usd");
	add_text(r, "input", text.input, 1);
	add_text(r, "output", text.output, 1);
	add_text(r, "session_id", text.session_id, 1);
	add_text(r, "user_id", text.user_id, 1);
	add_text(r, "trace_state", sp ? (sp->trace_state ? sp->trace_state : "") : NULL, 0);
	if (sp)
		cJSON_AddNumberToObject(r, "flags", sp->flags);
	else
		cJSON_AddNullToObject(r, "flags");
	add_part(r, "attributes", s, QUERY_PART_ATTRIBUTES);
	add_part(r, "events", s, QUERY_PART_EVENTS);
	add_part(r, "links", s, QUERY_PART_LINKS);
	add_part(r, "resource", s, QUERY_PART_RESOURCE);
	add_part(r, "scope", s, QUERY_PART_SCOPE);
	cJSON_AddNumberToObject(r, "version", (double)s->chunk);
	return r;
}

/* The last chunk to read so that about max_spans spans are read: chunk by
 * chunk, each one's rows counted. */
static int64_t chunk_upto(sqlite3 *db, int64_t after, int max_spans, int64_t chunk_max)
{
	sqlite3_stmt *ids = NULL, *rows = NULL;
	int64_t upto = chunk_max, n = 0;
	if (sqlite3_prepare_v2(db, "SELECT chunk FROM chunk_spans WHERE chunk > ?1 AND chunk <= ?2 ORDER BY chunk", -1, &ids,
	                       NULL) ||
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM spans WHERE chunk = ?1", -1, &rows, NULL))
		goto out;
	sqlite3_bind_int64(ids, 1, after);
	sqlite3_bind_int64(ids, 2, chunk_max);
	while (n < max_spans && sqlite3_step(ids) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(ids, 0);
		sqlite3_bind_int64(rows, 1, id);
		if (sqlite3_step(rows) == SQLITE_ROW)
			n += sqlite3_column_int64(rows, 0);
		sqlite3_reset(rows);
		if (n >= max_spans)
			upto = id;
	}
out:
	sqlite3_finalize(ids);
	sqlite3_finalize(rows);
	return upto;
}

/* The value of a one-value query, or -1 when it fails or has none. */
static int64_t scalar(sqlite3 *db, const char *sql, int64_t arg)
{
	int64_t v = -1;
	store_int_query(db, sql, arg, &v);
	return v;
}

/* Counting spans by chunk decodes each chunk's rows (schema/033), so past
 * this many chunks the count is the first ones' scaled. */
#define LAG_EXACT_CHUNKS 256

enum err repl_rows_spans_after(sqlite3 *db, int64_t chunk, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int64_t chunks = scalar(db, "SELECT count(*) FROM chunk_spans WHERE chunk > ?1", chunk), upto = INT64_MAX;
	*n = -1;
	if (chunks < 0)
		return ERR_STORE;
	if (chunks > LAG_EXACT_CHUNKS)
		upto = scalar(db, "SELECT chunk FROM chunk_spans WHERE chunk > ?1 ORDER BY chunk LIMIT 1 OFFSET 255", chunk);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM spans WHERE chunk > ?1 AND chunk <= ?2", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, chunk);
		sqlite3_bind_int64(st, 2, upto);
		if (sqlite3_step(st) == SQLITE_ROW)
			*n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (*n > 0 && chunks > LAG_EXACT_CHUNKS)
		*n = (int64_t)((double)*n * (double)chunks / LAG_EXACT_CHUNKS);
	return *n < 0 ? ERR_STORE : ERR_OK;
}

static int read_spans(sqlite3 *db, struct repl_batch *b, int64_t after, int max_spans)
{
	b->next.chunk = after;
	if (b->chunk_max <= after)
		return ERR_OK;
	int64_t upto = chunk_upto(db, after, max_spans, b->chunk_max);
	struct spanview *v;
	struct stored_span sp;
	int rc = spanview_open(db, &v), more = 0;
	if (!rc)
		rc = spanview_chunks(v, after, upto);
	while (!rc && (more = spanview_next(v, &sp)) == 1) {
		if (!sp.otlp)
			spanview_log_unreadable(sp.trace_id, sp.span_id);
		cJSON_AddItemToArray(b->rows[REPL_SPANS], span_row(&sp, spanview_arena(v)));
	}
	spanview_close(v);
	if (rc || more < 0)
		return ERR_STORE;
	b->next.chunk = upto;
	return ERR_OK;
}

/* The columns of the logs table, in order, from GET /api/logs's fields of
 * the same name: as they are, decimal strings as exact numbers (NANOS), or
 * objects as their JSON text (JSON_TEXT). */
enum log_col_kind { AS_IS, NANOS, JSON_TEXT };
static const struct {
	const char *name;
	enum log_col_kind kind;
} log_cols[] = {
	{"record_id", AS_IS}, {"project_id", AS_IS}, {"time_ns", NANOS}, {"observed_time_ns", NANOS},
	{"severity_number", AS_IS}, {"severity_text", AS_IS}, {"severity", AS_IS}, {"body", AS_IS},
	{"attributes", JSON_TEXT}, {"resource", JSON_TEXT}, {"scope", JSON_TEXT}, {"service", AS_IS},
	{"trace_id", AS_IS}, {"span_id", AS_IS}, {"flags", AS_IS}, {"event_name", AS_IS},
};

/* One record as GET /api/logs shows it (logquery_since) as a row of the
 * logs table, version = its log chunk. Takes items out of api. */
static cJSON *log_row(cJSON *api, int64_t chunk)
{
	cJSON *r = cJSON_CreateObject();
	for (size_t i = 0; i < sizeof log_cols / sizeof *log_cols; i++) {
		const char *name = log_cols[i].name, *text;
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(api, name);
		char *json = NULL;
		switch (log_cols[i].kind) {
		case NANOS:
			text = cJSON_GetStringValue(v);
			cJSON_AddItemToObject(r, name, cJSON_CreateRaw(text && *text ? text : "0"));
			break;
		case JSON_TEXT:
			json = v ? json_print(v, NULL) : NULL;
			cJSON_AddItemToObject(r, name, json ? cJSON_CreateString(json) : cJSON_CreateNull());
			cJSON_free(json);
			break;
		case AS_IS:
			cJSON_AddItemToObject(r, name, v ? v : cJSON_CreateNull());
			v = NULL;
			break;
		}
		cJSON_Delete(v);
	}
	cJSON_AddItemToObject(r, "version", raw_int(chunk));
	return r;
}

/* The log records of whole log chunks after `after`, about max records. */
static int read_logs(sqlite3 *db, struct repl_batch *b, int64_t after, int max)
{
	b->next.log_chunk = after;
	if (b->log_chunk_max <= after)
		return ERR_OK;
	cJSON *items = cJSON_CreateArray(), *api;
	int rc = logquery_since(db, after, max, items, &b->next.log_chunk);
	while (!rc && (api = cJSON_DetachItemFromArray(items, 0))) {
		int64_t chunk = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(api, "chunk"));
		cJSON_AddItemToArray(b->rows[REPL_LOGS], log_row(api, chunk));
		cJSON_Delete(api);
	}
	cJSON_Delete(items);
	return rc;
}

enum err repl_rows_deletions(sqlite3 *db, int64_t after, int max, cJSON **ids, int64_t *last)
{
	sqlite3_stmt *st;
	char hex[2 * REPL_SCORE_ID_MAX + 2];
	*ids = cJSON_CreateArray();
	*last = after;
	/* score_id came with schema/009; a store from before schema/006 has
	 * no deletions at all: nothing deleted there */
	if (sqlite3_prepare_v2(db, "SELECT seq, trace_id, score_id FROM deletions WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	                       -1, &st, NULL) &&
	    sqlite3_prepare_v2(db, "SELECT seq, trace_id, NULL FROM deletions WHERE seq > ?1 ORDER BY seq LIMIT ?2", -1,
	                       &st, NULL))
		return ERR_OK;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, max);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 2);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			if (!n || n > REPL_SCORE_ID_MAX)
				continue;
			hex[0] = 's';   /* one score: "s" + the hex of its id */
			id_to_hex(sqlite3_column_text(st, 2), n, hex + 1);
		} else if (sqlite3_column_bytes(st, 1) == 16) {
			id_to_hex(sqlite3_column_blob(st, 1), 16, hex);
		} else {
			continue;
		}
		cJSON_AddItemToArray(*ids, cJSON_CreateString(hex));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

/* The comma-separated SQL list of ids: 'hex' for trace ids (prefix 0), or
 * the decoded score ids of the "s" ids (prefix 1). Malloc'd; *len = 0 when
 * there are none. Ids are hex: nothing to escape. */
static char *id_list(const cJSON *ids, int scores, int clickhouse, size_t *len)
{
	size_t cap = 128;
	const cJSON *id;
	cJSON_ArrayForEach(id, ids)
		cap += strlen(id->valuestring) + 40;
	char *list = malloc(cap);
	if (!list)
		abort();
	list[0] = 0;
	*len = 0;
	cJSON_ArrayForEach(id, ids) {
		const char *v = id->valuestring;
		int is_score = v[0] == 's';
		assert(cJSON_IsString(id) && strspn(v + is_score, "0123456789abcdef") == strlen(v + is_score));
		if (is_score != scores)
			continue;
		const char *sep = *len ? "," : "";
		if (!scores)
			*len += (size_t)snprintf(list + *len, cap - *len, "%s'%s'", sep, v);
		else if (clickhouse)
			*len += (size_t)snprintf(list + *len, cap - *len, "%sunhex('%s')", sep, v + 1);
		else
			*len += (size_t)snprintf(list + *len, cap - *len, "%sconvert_from(decode('%s', 'hex'), 'UTF8')", sep, v + 1);
	}
	return list;
}

int repl_rows_delete_sql(const cJSON *ids, int clickhouse, char *out[REPL_NTABLES])
{
	static const enum repl_table tables[] = {REPL_SPANS, REPL_TRACES, REPL_SCORES, REPL_LOGS};
	size_t len, slen;
	char *list = id_list(ids, 0, clickhouse, &len), *slist = id_list(ids, 1, clickhouse, &slen);
	int k = 0;
	for (size_t i = 0; len && i < sizeof tables / sizeof *tables; i++) {
		size_t size = len + 128;
		if (!(out[k] = malloc(size)))
			abort();
		snprintf(out[k++], size, clickhouse ? "ALTER TABLE %s DELETE WHERE trace_id IN (%s)"
		                                    : "DELETE FROM %s WHERE trace_id IN (%s)",
		         repl_table_name(tables[i]), list);
	}
	if (slen) {
		size_t size = slen + 128;
		if (!(out[k] = malloc(size)))
			abort();
		snprintf(out[k++], size, clickhouse ? "ALTER TABLE %s DELETE WHERE id IN (%s)" : "DELETE FROM %s WHERE id IN (%s)",
		         repl_table_name(REPL_SCORES), slist);
	}
	assert(k <= REPL_NTABLES);
	free(list);
	free(slist);
	return k;
}

enum err repl_rows_read(sqlite3 *db, const struct repl_cursor *from, int max_spans, struct repl_batch *b)
{
	memset(b, 0, sizeof *b);
	for (int t = 0; t < REPL_NTABLES; t++)
		b->rows[t] = cJSON_CreateArray();
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL))
		return ERR_STORE;
	b->chunk_max = scalar(db, "SELECT coalesce(max(id), 0) FROM chunks WHERE ?1 = ?1", 0);
	b->log_chunk_max = scalar(db, "SELECT coalesce(max(id), 0) FROM log_chunks WHERE ?1 = ?1", 0);
	int rc = b->chunk_max < 0 || b->log_chunk_max < 0 ? ERR_STORE : ERR_OK;
	if (!rc)
		rc = read_table(db, REPL_PROJECTS, from->project_key, -1, b->rows[REPL_PROJECTS], &b->next.project_key);
	if (!rc)
		rc = read_spans(db, b, from->chunk, max_spans);
	if (!rc)
		rc = read_table(db, REPL_TRACES, from->trace_seq, max_spans, b->rows[REPL_TRACES], &b->next.trace_seq);
	if (!rc)
		rc = read_table(db, REPL_SCORES, from->score_seq, max_spans, b->rows[REPL_SCORES], &b->next.score_seq);
	if (!rc)
		rc = read_logs(db, b, from->log_chunk, max_spans);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc)
		repl_batch_free(b);
	return rc;
}

void repl_batch_free(struct repl_batch *b)
{
	for (int t = 0; t < REPL_NTABLES; t++) {
		cJSON_Delete(b->rows[t]);
		b->rows[t] = NULL;
	}
}

int repl_batch_rows(const struct repl_batch *b)
{
	int n = 0;
	for (int t = 0; t < REPL_NTABLES; t++)
		n += cJSON_GetArraySize(b->rows[t]);
	return n;
}
