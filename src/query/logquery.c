/* logquery.c: reads log rows through the filter indexes (schema/010) in
 * (time, id) order, newest first, and the records from their zstd chunks
 * (one chunk decompressed at a time, reused while rows stay in it). */
#include "query/logquery.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/json.h"
#include "base/text.h"
#include "ingest/logs_in.h"
#include "query/query.h"
#include "store/logstore.h"
#include "store/record.h"

/* The chunk being read: its entries stay valid until the next one. */
struct chunk_cache {
	int64_t id;
	struct arena *a;
	size_t count;
	const uint8_t **entries;
	size_t *lens;
};

/* The record at (chunk, index), unpacked into out (NULL if its chunk or
 * entry does not read); *raw and *rawlen (when raw is not NULL) are its
 * packed bytes, valid while cc stays on that chunk. */
static const Tl__ResourceLogs *entry(sqlite3 *db, struct chunk_cache *cc, int64_t chunk, int64_t index,
                                     struct arena *out, const uint8_t **raw, size_t *rawlen)
{
	if (cc->id != chunk) {
		sqlite3_stmt *st = NULL;
		arena_free(cc->a);
		cc->a = arena_new();
		cc->id = 0;
		cc->count = 0;
		if (sqlite3_prepare_v2(db, "SELECT data FROM log_chunks WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, chunk);
			if (sqlite3_step(st) == SQLITE_ROW &&
			    record_chunk_split(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), cc->a,
			                       &cc->count, &cc->entries, &cc->lens) == ERR_OK)
				cc->id = chunk;
		}
		sqlite3_finalize(st);
		if (!cc->id)
			return NULL;
	}
	if (index < 0 || (size_t)index >= cc->count)
		return NULL;
	const Tl__ResourceLogs *rl = logstore_entry_unpack(cc->entries[index], cc->lens[index], out);
	if (!rl || rl->n_scope_logs != 1 || rl->scope_logs[0]->n_log_records != 1)
		return NULL;
	if (raw) {
		*raw = cc->entries[index];
		*rawlen = cc->lens[index];
	}
	return rl;
}

/* The body as text: a string value as is, anything else as its JSON. */
static char *body_text(const Tl__AnyValue *v)
{
	if (!v)
		return strdup("");
	if (v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE)
		return strdup(v->string_value ? v->string_value : "");
	cJSON *j = query_any_json(v);
	char *text = json_print(j, NULL), *copy = strdup(text);
	cJSON_free(text);
	cJSON_Delete(j);
	return copy;
}

static cJSON *log_json(sqlite3_stmt *st, const Tl__ResourceLogs *rl, const char *body)
{
	const Tl__ScopeLogs *sl = rl->scope_logs[0];
	const Tl__LogRecord *lr = sl->log_records[0];
	const Tl__InstrumentationScope *sc = sl->scope;
	cJSON *o = cJSON_CreateObject(), *scope;
	char buf[JSON_INT_MAX], iso[TEXT_ISO_MS_SIZE];
	uint64_t t = (uint64_t)sqlite3_column_int64(st, 1);
	text_format_iso_ms(t, iso);
	cJSON_AddStringToObject(o, "time", iso);
	json_i64_fmt(buf, (int64_t)t);
	cJSON_AddStringToObject(o, "time_ns", buf);
	json_i64_fmt(buf, (int64_t)lr->observed_time_unix_nano);
	cJSON_AddStringToObject(o, "observed_time_ns", buf);
	cJSON_AddNumberToObject(o, "severity_number", lr->severity_number);
	cJSON_AddItemToObject(o, "severity_text", json_string_item(lr->severity_text ? lr->severity_text : ""));
	cJSON_AddStringToObject(o, "severity", logs_severity_name(lr->severity_number));
	cJSON_AddItemToObject(o, "body", json_string_item(body));
	cJSON_AddItemToObject(o, "attributes", query_attrs_json(lr->attributes, lr->n_attributes));
	cJSON_AddItemToObject(o, "resource", rl->resource ? query_attrs_json(rl->resource->attributes,
	                                                                     rl->resource->n_attributes)
	                                                  : cJSON_CreateObject());
	scope = cJSON_AddObjectToObject(o, "scope");
	cJSON_AddItemToObject(scope, "name", json_string_item(sc && sc->name ? sc->name : ""));
	cJSON_AddItemToObject(scope, "version", json_string_item(sc && sc->version ? sc->version : ""));
	cJSON_AddItemToObject(o, "service", json_string_item((const char *)sqlite3_column_text(st, 7)));
	cJSON_AddItemToObject(o, "project", json_string_item((const char *)sqlite3_column_text(st, 8)));
	json_add_hex_id(o, "trace_id", sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
	json_add_hex_id(o, "span_id", sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4));
	cJSON_AddNumberToObject(o, "flags", lr->flags);
	cJSON_AddItemToObject(o, "event_name", json_string_item(lr->event_name ? lr->event_name : ""));
	return o;
}

static void cursor_text(sqlite3_stmt *st, char out[64])
{
	snprintf(out, 64, "%lld.%lld", (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 0));
}

enum err logquery_cursor_parse(const char *text, struct log_filter *f)
{
	long long t, id;
	int n = 0;
	if (!text || sscanf(text, "%lld.%lld%n", &t, &id, &n) != 2 || text[n] || t < 0 || id < 0)
		return ERR_BAD_INPUT;
	f->has_cursor = 1;
	f->cursor_time = t;
	f->cursor_id = id;
	return ERR_OK;
}

static void bind(sqlite3_stmt *st, const struct log_filter *f)
{
	int i;
	if ((i = sqlite3_bind_parameter_index(st, ":from")))
		sqlite3_bind_int64(st, i, (int64_t)f->from_ns);
	if ((i = sqlite3_bind_parameter_index(st, ":to")))
		sqlite3_bind_int64(st, i, (int64_t)f->to_ns);
	if ((i = sqlite3_bind_parameter_index(st, ":project")))
		sqlite3_bind_int64(st, i, f->project);
	if ((i = sqlite3_bind_parameter_index(st, ":service")))
		sqlite3_bind_text(st, i, f->service, -1, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":sev")))
		sqlite3_bind_int(st, i, f->min_severity);
	if ((i = sqlite3_bind_parameter_index(st, ":trace")))
		sqlite3_bind_blob(st, i, f->trace_id, 16, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":span")))
		sqlite3_bind_blob(st, i, f->span_id, 8, SQLITE_STATIC);
	if ((i = sqlite3_bind_parameter_index(st, ":ct")))
		sqlite3_bind_int64(st, i, f->cursor_time);
	if ((i = sqlite3_bind_parameter_index(st, ":cid")))
		sqlite3_bind_int64(st, i, f->cursor_id);
}

enum err logquery_run(sqlite3 *db, const struct log_filter *f, cJSON **out)
{
	char sql[1536];
	size_t n = (size_t)snprintf(sql, sizeof sql,
	                            "SELECT l.id, l.time_ns, l.severity, l.trace_id, l.span_id, l.chunk, l.chunk_index,"
	                            " s.value, p.name FROM logs l JOIN strings s ON s.id = l.service"
	                            " JOIN projects p ON p.key = l.project WHERE 1");
	n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s%s%s%s%s%s%s", f->from_ns ? " AND l.time_ns >= :from" : "",
	                      f->to_ns ? " AND l.time_ns < :to" : "", f->project ? " AND l.project = :project" : "",
	                      f->service ? " AND l.service = (SELECT id FROM strings WHERE value = :service)" : "",
	                      f->min_severity ? " AND l.severity >= :sev" : "", f->has_trace ? " AND l.trace_id = :trace" : "",
	                      f->has_span ? " AND l.span_id = :span" : "",
	                      f->has_cursor ? " AND (l.time_ns < :ct OR (l.time_ns = :ct AND l.id < :cid))" : "");
	snprintf(sql + n, sizeof sql - n, " ORDER BY l.time_ns DESC, l.id DESC");
	sqlite3_stmt *st = NULL;
	struct chunk_cache cc = {0};
	struct arena *a = arena_new();
	enum err rc = ERR_STORE;
	char cursor[64] = "";
	int emitted = 0, scanned = 0, step = SQLITE_DONE;
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "logs");
	*out = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	bind(st, f);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (emitted == f->limit || (f->q && scanned >= LOGQUERY_SCAN_MAX))
			break;   /* more rows: cursor holds the last one looked at */
		scanned++;
		cursor_text(st, cursor);
		const Tl__ResourceLogs *rl =
		    entry(db, &cc, sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6), a, NULL, NULL);
		if (!rl)
			continue;  /* chunk unreadable: skipped, as the trace view skips such spans */
		char *body = body_text(rl->scope_logs[0]->log_records[0]->body);
		if (!f->q || strstr(body, f->q)) {
			cJSON_AddItemToArray(items, log_json(st, rl, body));
			emitted++;
		}
		free(body);
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		goto out;
	if (step == SQLITE_ROW)
		cJSON_AddStringToObject(o, "next_cursor", cursor);
	else
		cJSON_AddNullToObject(o, "next_cursor");
	*out = o;
	o = NULL;
	rc = ERR_OK;
out:
	sqlite3_finalize(st);
	cJSON_Delete(o);
	arena_free(cc.a);
	arena_free(a);
	return rc;
}

enum err logquery_since(sqlite3 *db, int64_t after_chunk, int max_records, cJSON *items, int64_t *last_chunk)
{
	/* the same columns as logquery_run's, for log_json, then the project's id */
	static const char *const sql =
	    "SELECT l.id, l.time_ns, l.severity, l.trace_id, l.span_id, l.chunk, l.chunk_index, s.value, p.name, p.id"
	    " FROM logs l JOIN strings s ON s.id = l.service JOIN projects p ON p.key = l.project"
	    " WHERE l.chunk > ?1 AND l.chunk <= coalesce((SELECT max(chunk) FROM (SELECT chunk FROM logs WHERE chunk > ?1"
	    " ORDER BY chunk LIMIT ?2)), ?1) ORDER BY l.chunk, l.chunk_index";
	sqlite3_stmt *st = NULL;
	struct chunk_cache cc = {0};
	struct arena *a = arena_new();
	enum err rc = ERR_STORE;
	int step;
	*last_chunk = after_chunk;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, after_chunk);
	sqlite3_bind_int(st, 2, max_records);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *raw;
		size_t rawlen;
		uint8_t id[LOG_DIGEST_LEN];
		*last_chunk = sqlite3_column_int64(st, 5);
		const Tl__ResourceLogs *rl = entry(db, &cc, *last_chunk, sqlite3_column_int64(st, 6), a, &raw, &rawlen);
		if (!rl)
			continue;  /* chunk unreadable: skipped, as logquery_run does */
		const Tl__LogRecord *lr = rl->scope_logs[0]->log_records[0];
		if (logstore_entry_id(lr, raw, rawlen, (uint64_t)sqlite3_column_int64(st, 1), id) < 0)
			continue;
		char *body = body_text(lr->body);
		cJSON *o = log_json(st, rl, body);
		free(body);
		json_add_hex_id(o, "record_id", id, sizeof id);
		cJSON_AddNumberToObject(o, "chunk", (double)*last_chunk);
		cJSON_AddItemToObject(o, "project_id", json_string_item((const char *)sqlite3_column_text(st, 9)));
		cJSON_AddItemToArray(items, o);
	}
	if (step == SQLITE_DONE)
		rc = ERR_OK;
out:
	sqlite3_finalize(st);
	arena_free(cc.a);
	arena_free(a);
	return rc;
}
