/* query_people.c: sessions and users (traces grouped by session_id or
 * user_id) and the scores summary. Everything reads the traces and scores
 * tables; spans are never scanned.
 *
 * Query plans relied on (EXPLAIN QUERY PLAN on 1M demo spans: 170k traces,
 * 42.5k sessions, 750 users):
 * - list walk:      SCAN t USING INDEX traces_start (newest first; with from/to
 *                   SEARCH ... (start_ns>? AND start_ns<?)), stopping after the
 *                   page's groups: about limit x traces-per-group rows.
 * - each group:     SEARCH t USING INDEX traces_session (session_sid=?) or
 *                   traces_user (user_sid=?) + a temp b-tree for a user's
 *                   count(DISTINCT session_sid); the ids are people.id
 *                   (schema/025), the texts read from people by id.
 * - one id's page:  the same group query, then the trace list on the same
 *                   index, oldest first.
 * - scores summary: SEARCH s USING INDEX scores_time (time_ns>? AND
 *                   time_ns<?) with a range, else SCAN s; trace filters go
 *                   through the traces' UNIQUE trace_id index.
 * Measured there (warm, limit 50): sessions 3-5 ms, users 45-90 ms (each of
 * 50 users has about 230 traces), one session 6 ms. */
#include "query/query_people.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/intern.h"
#include "ingest/span.h"

#define HOUR_NS 3600000000000ull
#define DAY_NS (24 * HOUR_NS)
#define SCORE_MAX_LABELS 100     /* categories listed per score; the rest are "(other)" */

static const char *id_col(enum people_kind kind)
{
	return kind == PEOPLE_SESSIONS ? "session_id" : "user_id";
}

/* The traces column naming the group (people.id, schema/025). */
static const char *sid_col(enum people_kind kind)
{
	return kind == PEOPLE_SESSIONS ? "session_sid" : "user_sid";
}

/* SELECT of the group of traces f selects (f's session_id or user_id
 * names it); columns: id, traces, spans, errors, input, output, cost,
 * first_seen, last_seen (starts of its first and latest trace), and the
 * user (sessions) or the session count (users). */
static int group_prepare(sqlite3 *db, enum people_kind kind, const struct trace_filter *f, sqlite3_stmt **st)
{
	char sql[2048];
	const char *col = sid_col(kind);
	size_t n = (size_t)snprintf(sql, sizeof sql,
	                            "SELECT (SELECT value FROM people WHERE id = t.%s), count(*), sum(t.span_count),"
	                            " sum(t.error_count > 0), sum(t.input_tokens), sum(t.output_tokens), total(t.cost_usd),"
	                            " min(t.start_ns), max(t.start_ns), %s FROM traces t WHERE 1",
	                            col,
	                            kind == PEOPLE_SESSIONS ? "max((SELECT value FROM people WHERE id = t.user_sid))"
	                                                    : "count(DISTINCT t.session_sid)");
	n += query_trace_where(f, QUERY_ALL, sql + n, n < sizeof sql ? sizeof sql - n : 0);
	if (n >= sizeof sql || sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return ERR_STORE;
	query_trace_bind(*st, f);
	return ERR_OK;
}

static cJSON *group_json(sqlite3_stmt *st, enum people_kind kind)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, id_col(kind), (const char *)sqlite3_column_text(st, 0));
	if (kind == PEOPLE_USERS)
		cJSON_AddNumberToObject(o, "sessions", (double)sqlite3_column_int64(st, 9));
	cJSON_AddNumberToObject(o, "traces", (double)sqlite3_column_int64(st, 1));
	cJSON_AddNumberToObject(o, "spans", (double)sqlite3_column_int64(st, 2));
	cJSON_AddNumberToObject(o, "errors", (double)sqlite3_column_int64(st, 3));
	cJSON_AddNumberToObject(o, "input_tokens", (double)sqlite3_column_int64(st, 4));
	cJSON_AddNumberToObject(o, "output_tokens", (double)sqlite3_column_int64(st, 5));
	cJSON_AddNumberToObject(o, "cost_usd", sqlite3_column_double(st, 6));
	query_add_iso(o, "first_seen", (uint64_t)sqlite3_column_int64(st, 7));
	query_add_iso(o, "last_seen", (uint64_t)sqlite3_column_int64(st, 8));
	if (kind == PEOPLE_SESSIONS) {
		if (sqlite3_column_type(st, 9) == SQLITE_NULL)
			cJSON_AddNullToObject(o, "user_id");
		else
			cJSON_AddStringToObject(o, "user_id", (const char *)sqlite3_column_text(st, 9));
	}
	return o;
}

/* Adds "scores": the scores of session id (schema/013: session_id set, no
 * trace), at most limit, oldest first, to item o. Returns ERR_OK or ERR_STORE. */
static enum err add_session_scores(sqlite3 *db, int64_t project, const char *id, int limit, cJSON *o)
{
	struct score_range r = {.project = project, .session_id = id};
	cJSON *sc = NULL;
	enum err rc = query_scores(db, NULL, &r, limit, &sc);
	if (!rc)
		cJSON_AddItemToObject(o, "scores", cJSON_DetachItemFromObject(sc, "items"));
	cJSON_Delete(sc);
	return rc;
}

/* One item of a page: its position and its JSON. */
struct page_item {
	uint64_t last_ns;
	char *id;
	cJSON *json;
};

static int page_order(const void *a, const void *b)
{
	const struct page_item *x = a, *y = b;
	if (x->last_ns != y->last_ns)
		return x->last_ns > y->last_ns ? -1 : 1;
	return -strcmp(x->id, y->id);
}

/* A page without grouping every trace: the traces f selects are walked
 * newest first on traces_start (or traces_project); each id met for the
 * first time is a group whose last_seen is at most this trace's start, and
 * it belongs to this page exactly when its latest selected trace is this
 * one (checked by its group query on traces_session / traces_user) and it
 * comes after the cursor. The walk stops once limit + 1 groups are found
 * and no other trace starts at the same time, so ties page exactly. */
enum err query_people_list(sqlite3 *db, enum people_kind kind, const struct trace_filter *f,
                           const struct people_cursor *cur, cJSON **out)
{
	char sql[2048];
	const char *col = sid_col(kind);
	struct trace_filter g = *f;
	sqlite3_stmt *walk = NULL, *group = NULL;
	struct page_item *items = NULL;
	size_t n = 0, cap = 0;
	struct intern *seen = intern_new();
	int rc = ERR_STORE, step;
	/* "+" keeps the planner off the partial id index: walking it would
	 * need every trace sorted by time first. */
	size_t len = (size_t)snprintf(sql, sizeof sql,
	                              "SELECT (SELECT value FROM people WHERE id = t.%s), t.start_ns FROM traces t"
	                              " WHERE +t.%s IS NOT NULL",
	                              col, col);
	len += query_trace_where(f, QUERY_ALL, sql + len, len < sizeof sql ? sizeof sql - len : 0);
	if (cur->has)
		len += (size_t)snprintf(sql + len, len < sizeof sql ? sizeof sql - len : 0, " AND t.start_ns <= :cur_last");
	len += (size_t)snprintf(sql + len, len < sizeof sql ? sizeof sql - len : 0, " ORDER BY t.start_ns DESC");
	if (kind == PEOPLE_SESSIONS)
		g.session_id = "";
	else
		g.user_id = "";
	if (len >= sizeof sql || sqlite3_prepare_v2(db, sql, -1, &walk, NULL) != SQLITE_OK ||
	    group_prepare(db, kind, &g, &group))
		goto out;
	query_trace_bind(walk, f);
	sqlite3_bind_int64(walk, sqlite3_bind_parameter_index(walk, ":cur_last"), (int64_t)cur->last_ns);
	int id_param = sqlite3_bind_parameter_index(group, kind == PEOPLE_SESSIONS ? ":session" : ":user");
	while ((step = sqlite3_step(walk)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(walk, 0);
		size_t idlen = (size_t)sqlite3_column_bytes(walk, 0);
		uint64_t start = (uint64_t)sqlite3_column_int64(walk, 1);
		int64_t dummy;
		if (n > (size_t)f->limit && start != items[n - 1].last_ns)
			break;
		if (intern_get(seen, id, idlen, &dummy))
			continue;
		intern_put(seen, id, idlen, 1);
		if (cur->has && start == cur->last_ns && strcmp(id, cur->id) >= 0)
			continue;
		sqlite3_bind_text(group, id_param, id, (int)idlen, SQLITE_TRANSIENT);
		step = sqlite3_step(group);
		if (step == SQLITE_ROW && (uint64_t)sqlite3_column_int64(group, 8) == start) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				items = realloc(items, cap * sizeof *items);
				if (!items)
					abort();
			}
			items[n].last_ns = start;
			items[n].id = strdup(id);
			items[n++].json = group_json(group, kind);
			if (!items[n - 1].id)
				abort();
		}
		sqlite3_reset(group);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			goto out;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		goto out;
	if (n)
		qsort(items, n, sizeof *items, page_order);
	for (size_t i = 0; kind == PEOPLE_SESSIONS && i < n && i < (size_t)f->limit; i++)
		if (add_session_scores(db, f->project, items[i].id, PEOPLE_LIST_SCORES, items[i].json))
			goto out;
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < n && i < (size_t)f->limit; i++) {
		cJSON_AddItemToArray(arr, items[i].json);
		items[i].json = NULL;
	}
	if (n > (size_t)f->limit) {
		const struct page_item *last = &items[f->limit - 1];
		size_t idlen = strlen(last->id);
		char cursor[2 * PEOPLE_MAX_ID + 32];
		int k = snprintf(cursor, sizeof cursor, "%llu.", (unsigned long long)last->last_ns);
		id_to_hex((const uint8_t *)last->id, idlen > PEOPLE_MAX_ID ? PEOPLE_MAX_ID : idlen, cursor + k);
		cJSON_AddStringToObject(o, "next_cursor", cursor);
	} else {
		cJSON_AddNullToObject(o, "next_cursor");
	}
	*out = o;
	rc = ERR_OK;
out:
	for (size_t i = 0; i < n; i++) {
		free(items[i].id);
		cJSON_Delete(items[i].json);
	}
	free(items);
	intern_free(seen);
	sqlite3_finalize(walk);
	sqlite3_finalize(group);
	return rc;
}

enum err query_people_one(sqlite3 *db, enum people_kind kind, const char *id, struct trace_filter *f, cJSON **out)
{
	sqlite3_stmt *st;
	if (kind == PEOPLE_SESSIONS)
		f->session_id = id;
	else
		f->user_id = id;
	if (group_prepare(db, kind, f, &st))
		return ERR_STORE;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_finalize(st);
		return rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_STORE;
	}
	cJSON *o = cJSON_CreateObject(), *traces = NULL, *item = group_json(st, kind);
	cJSON_AddItemToObject(o, kind == PEOPLE_SESSIONS ? "session" : "user", item);
	sqlite3_finalize(st);
	f->ascending = 1;
	if ((kind == PEOPLE_SESSIONS && (rc = add_session_scores(db, f->project, id, PEOPLE_ONE_SCORES, item))) ||
	    (rc = query_traces(db, f, &traces))) {
		cJSON_Delete(o);
		return rc;
	}
	cJSON_AddItemToObject(o, "traces", cJSON_DetachItemFromObject(traces, "items"));
	cJSON_AddItemToObject(o, "next_cursor", cJSON_DetachItemFromObject(traces, "next_cursor"));
	cJSON_Delete(traces);
	*out = o;
	return ERR_OK;
}

/* ---------- scores ---------- */

/* The scores f selects: by score time and project here, by the trace's
 * other properties through the traces table. Returns the length. */
static size_t score_where(const struct trace_filter *f, char *sql, size_t size, size_t n)
{
	struct trace_filter tf = *f;
	char sub[1024];
	tf.project = 0;
	tf.from_ns = tf.to_ns = 0;
	size_t k = query_trace_where(&tf, QUERY_ALL, sub, sizeof sub);
#define ADD(...) n += (size_t)snprintf(sql + n, n < size ? size - n : 0, __VA_ARGS__)
	if (f->project)
		ADD(" AND s.project = :project");
	if (f->from_ns)
		ADD(" AND s.time_ns >= :from");
	if (f->to_ns)
		ADD(" AND s.time_ns < :to");
	if (k)
		ADD(" AND s.trace_id IN (SELECT t.trace_id FROM traces t WHERE 1%s)", sub);
#undef ADD
	return n;
}

/* Prepares parts[0] WHERE parts[1] WHERE ... parts[n-1], each WHERE being
 * score_where's conditions, and binds f. NULL on a store error. */
static sqlite3_stmt *score_query(sqlite3 *db, const struct trace_filter *f, const char *const *parts, int nparts)
{
	char sql[8192];
	size_t n = 0;
	for (int i = 0; i < nparts; i++) {
		if (i)
			n = score_where(f, sql, sizeof sql, n);
		n += (size_t)snprintf(sql + n, n < sizeof sql ? sizeof sql - n : 0, "%s", parts[i]);
	}
	sqlite3_stmt *st;
	if (n >= sizeof sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	query_trace_bind(st, f);
	return st;
}

#define SCORE_QUERY(db, f, ...) \
	score_query(db, f, (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

/* The item for (name, type) of a row whose first columns are those. Rows
 * come in the items' order, so the search starts at the last hit. */
static cJSON *item_for(cJSON *items, sqlite3_stmt *st, cJSON **last)
{
	const char *name = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 1);
	for (int pass = 0; pass < 2; pass++)
		for (cJSON *it = pass ? items->child : *last; it; it = it->next)
			if (!strcmp(cJSON_GetObjectItem(it, "name")->valuestring, name) &&
			    !strcmp(cJSON_GetObjectItem(it, "score_type")->valuestring, type))
				return *last = it;
	return NULL;
}

static void add_number_or_null(cJSON *o, const char *key, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, sqlite3_column_double(st, col));
}

/* Ten equal-width bins between the item's min and max (one when equal). */
static void numeric_bins(cJSON *item, double lo, double hi)
{
	cJSON *dist = cJSON_GetObjectItem(item, "distribution");
	int bins = hi > lo ? 10 : 1; /* the numeric query's 10 and 9 */
	for (int i = 0; i < bins; i++) {
		double a = lo + (hi - lo) * i / bins, b = i == bins - 1 ? hi : lo + (hi - lo) * (i + 1) / bins;
		char label[80];
		if (bins == 1)
			snprintf(label, sizeof label, "%g", lo);
		else
			snprintf(label, sizeof label, "%g-%g", a, b);
		cJSON *bin = cJSON_CreateObject();
		cJSON_AddStringToObject(bin, "label", label);
		cJSON_AddNumberToObject(bin, "lower", a);
		cJSON_AddNumberToObject(bin, "upper", b);
		cJSON_AddNumberToObject(bin, "count", 0);
		cJSON_AddItemToArray(dist, bin);
	}
}

enum err query_scores_summary(sqlite3 *db, const struct trace_filter *f, cJSON **out)
{
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items"), *last = NULL;
	uint64_t tmin = UINT64_MAX, tmax = 0, bucket = HOUR_NS;
	sqlite3_stmt *st = SCORE_QUERY(db, f,
	                               "SELECT s.name, s.score_type, count(*), avg(s.value), min(s.value), max(s.value),"
	                               " min(s.time_ns), max(s.time_ns) FROM scores s WHERE 1",
	                               " GROUP BY 1, 2 ORDER BY 1, 2");
	if (!st)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "name", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(it, "score_type", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddNumberToObject(it, "count", (double)sqlite3_column_int64(st, 2));
		add_number_or_null(it, "mean", st, 3);
		add_number_or_null(it, "min", st, 4);
		add_number_or_null(it, "max", st, 5);
		cJSON_AddArrayToObject(it, "distribution");
		cJSON_AddArrayToObject(it, "trend");
		if (!strcmp(cJSON_GetObjectItem(it, "score_type")->valuestring, "numeric") &&
		    sqlite3_column_type(st, 4) != SQLITE_NULL)
			numeric_bins(it, sqlite3_column_double(st, 4), sqlite3_column_double(st, 5));
		uint64_t a = (uint64_t)sqlite3_column_int64(st, 6), b = (uint64_t)sqlite3_column_int64(st, 7);
		tmin = a < tmin ? a : tmin;
		tmax = b > tmax ? b : tmax;
		cJSON_AddItemToArray(items, it);
	}
	sqlite3_finalize(st);
	if (!items->child)
		goto done;

	/* numeric: the bin of each value, from its group's min and max */
	st = SCORE_QUERY(db, f,
	                 "WITH g AS (SELECT s.name, s.score_type, min(s.value) lo, max(s.value) hi FROM scores s"
	                 " WHERE s.score_type = 'numeric'",
	                 " GROUP BY 1, 2) SELECT s.name, s.score_type, CASE WHEN g.hi > g.lo THEN"
	                 " min(CAST((s.value - g.lo) * 10 / (g.hi - g.lo) AS INTEGER), 9) ELSE 0 END, count(*)"
	                 " FROM scores s JOIN g ON g.name = s.name AND g.score_type = s.score_type"
	                 " WHERE s.value IS NOT NULL",
	                 " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
	if (!st)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *it = item_for(items, st, &last);
		cJSON *bin = it ? cJSON_GetArrayItem(cJSON_GetObjectItem(it, "distribution"), sqlite3_column_int(st, 2)) : NULL;
		if (bin)
			cJSON_SetNumberValue(cJSON_GetObjectItem(bin, "count"), (double)sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);

	/* boolean and categorical: a count per value, most frequent first */
	st = SCORE_QUERY(db, f,
	                 "SELECT s.name, s.score_type, CASE WHEN s.score_type = 'boolean' AND s.string_value IS NULL"
	                 " THEN CASE WHEN s.value != 0 THEN 'true' ELSE 'false' END"
	                 " ELSE coalesce(s.string_value, CAST(s.value AS TEXT), '') END, count(*)"
	                 " FROM scores s WHERE s.score_type != 'numeric'",
	                 " GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3");
	if (!st)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *it = item_for(items, st, &last), *dist = it ? cJSON_GetObjectItem(it, "distribution") : NULL;
		if (!dist)
			continue;
		int have = cJSON_GetArraySize(dist);
		double count = (double)sqlite3_column_int64(st, 3);
		if (have == SCORE_MAX_LABELS) {
			cJSON *other = cJSON_CreateObject();
			cJSON_AddStringToObject(other, "label", "(other)");
			cJSON_AddNumberToObject(other, "count", 0);
			cJSON_AddItemToArray(dist, other);
		}
		if (have >= SCORE_MAX_LABELS) {
			cJSON *c = cJSON_GetObjectItem(cJSON_GetArrayItem(dist, SCORE_MAX_LABELS), "count");
			cJSON_SetNumberValue(c, c->valuedouble + count);
			continue;
		}
		cJSON *bin = cJSON_CreateObject();
		cJSON_AddStringToObject(bin, "label", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddNumberToObject(bin, "count", count);
		cJSON_AddItemToArray(dist, bin);
	}
	sqlite3_finalize(st);

	/* trend: per hour for ranges up to two days, else per UTC day */
	uint64_t lo = f->from_ns ? f->from_ns : tmin, hi = f->to_ns ? f->to_ns : tmax + 1;
	if (hi > lo && hi - lo > 2 * DAY_NS)
		bucket = DAY_NS;
	st = SCORE_QUERY(db, f,
	                 "SELECT s.name, s.score_type, s.time_ns / :bucket, count(*), avg(s.value) FROM scores s WHERE 1",
	                 " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":bucket"), (int64_t)bucket);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *it = item_for(items, st, &last);
		if (!it)
			continue;
		cJSON *pt = cJSON_CreateObject();
		query_add_iso(pt, "time", (uint64_t)sqlite3_column_int64(st, 2) * bucket);
		cJSON_AddNumberToObject(pt, "count", (double)sqlite3_column_int64(st, 3));
		add_number_or_null(pt, "mean", st, 4);
		cJSON_AddItemToArray(cJSON_GetObjectItem(it, "trend"), pt);
	}
	sqlite3_finalize(st);
done:
	cJSON_AddStringToObject(o, "trend_bucket", bucket == DAY_NS ? "1d" : "1h");
	*out = o;
	return ERR_OK;
fail:
	cJSON_Delete(o);
	return ERR_STORE;
}
