/* facets.c: distinct filter values for the UI's pickers. Bounded to the
 * newest FACETS_SCAN traces of the range so it stays a short index walk on
 * any store size; models come from each trace's comma-separated list. A
 * trace names its texts by strings id (schema/030): each distinct id is
 * looked up once. */
#include "query/facets.h"
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/intern.h"

/* Adds s to arr unless present (lists stay small: a few hundred values). */
static void add_distinct(cJSON *arr, const char *s, size_t len)
{
	if (!len)
		return;
	cJSON *it;
	cJSON_ArrayForEach(it, arr)
		if (strlen(it->valuestring) == len && memcmp(it->valuestring, s, len) == 0)
			return;
	char *copy = strndup(s, len);
	if (!copy)
		abort();
	cJSON_AddItemToArray(arr, cJSON_CreateString(copy));
	free(copy);
}

static int by_text(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->valuestring, (*(cJSON *const *)b)->valuestring);
}

/* Rebuilds arr in sorted order. */
static void sort_strings(cJSON *arr)
{
	int n = cJSON_GetArraySize(arr);
	if (n < 2)
		return;
	cJSON **items = malloc((size_t)n * sizeof *items);
	if (!items)
		abort();
	for (int i = n - 1; i >= 0; i--)
		items[i] = cJSON_DetachItemFromArray(arr, i);
	qsort(items, (size_t)n, sizeof *items, by_text);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, items[i]);
	free(items);
}

enum err query_facets(sqlite3 *db, int64_t project, uint64_t from_ns, uint64_t to_ns, cJSON **out)
{
	static const char sql[] =
		"SELECT service_sid, name_sid, models_sid FROM traces WHERE (?1 = 0 OR project = ?1) AND start_ns >= ?2"
		" AND start_ns <= ?3 ORDER BY start_ns DESC LIMIT ?4";
	sqlite3_stmt *st, *text_st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	if (sqlite3_prepare_v2(db, "SELECT value FROM strings WHERE id = ?1", -1, &text_st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return ERR_STORE;
	}
	sqlite3_bind_int64(st, 1, project);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from_ns);
	sqlite3_bind_int64(st, 3, to_ns ? (sqlite3_int64)to_ns : INT64_MAX);
	sqlite3_bind_int(st, 4, FACETS_SCAN);
	cJSON *o = cJSON_CreateObject();
	cJSON *services = cJSON_AddArrayToObject(o, "services"), *models = cJSON_AddArrayToObject(o, "models"),
	      *names = cJSON_AddArrayToObject(o, "names");
	cJSON *lists[3] = {services, names, models};
	struct intern *seen = intern_new();   /* (column, strings id) pairs done */
	int rc, scanned = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int col = 0; col < 3; col++) {
			int64_t key[2] = {col, sqlite3_column_int64(st, col)}, unused;
			if (intern_get(seen, key, sizeof key, &unused))
				continue;
			intern_put(seen, key, sizeof key, 1);
			sqlite3_bind_int64(text_st, 1, key[1]);
			const char *text = sqlite3_step(text_st) == SQLITE_ROW ? (const char *)sqlite3_column_text(text_st, 0) : NULL;
			if (text && col < 2)
				add_distinct(lists[col], text, strlen(text));
			for (const char *p = col == 2 ? text : NULL; p && *p;) {
				const char *comma = strchr(p, ',');
				size_t len = comma ? (size_t)(comma - p) : strlen(p);
				add_distinct(models, p, len);
				p = comma ? comma + 1 : p + len;
			}
			sqlite3_reset(text_st);
		}
		scanned++;
	}
	intern_free(seen);
	sqlite3_finalize(text_st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		cJSON_Delete(o);
		return ERR_STORE;
	}
	sort_strings(services);
	sort_strings(models);
	sort_strings(names);
	cJSON_AddNumberToObject(o, "traces_scanned", scanned);
	*out = o;
	return ERR_OK;
}
