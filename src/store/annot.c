/* annot.c: score configs and annotation edits (annot.h). The value check is
 * one function used by ingest (annot_check, on a reader) and by the edit
 * task (on the writer's connection); configs' categories are kept as the
 * JSON array text they came in. */
#include "store/annot.h"
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/text.h"

static const char *const types[] = {"numeric", "boolean", "categorical"};

/* The static type name equal to t, or NULL. */
static const char *type_of(const char *t)
{
	for (size_t i = 0; t && i < sizeof types / sizeof *types; i++)
		if (!strcmp(t, types[i]))
			return types[i];
	return NULL;
}

/* Checks a value against the config of name and sets *type to the
 * config's type; without a config only a boolean's value is checked. */
static enum err check_value(sqlite3 *db, const char *name, int has_value, double value, const char *sval,
                            const char **type, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	cJSON *cats = NULL;
	if (sqlite3_prepare_v2(db, "SELECT type, min_value, max_value, categories FROM score_configs WHERE name = ?", -1,
	                       &st, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "reading score configs: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {   /* no config: a boolean is still 0 or 1 */
		if (*type && !strcmp(*type, "boolean") && (!has_value || (value != 0 && value != 1)))
			rc = err_set(err, errlen, ERR_BAD_INPUT, "'%s' is a boolean annotation: value must be true or false", name);
		goto out;
	}
	const char *t = type_of((const char *)sqlite3_column_text(st, 0));
	assert(t);
	*type = t;
	if (t == types[0]) {
		if (!has_value) {
			rc = err_set(err, errlen, ERR_BAD_INPUT, "score config '%s' is numeric: value must be a number", name);
		} else if (sqlite3_column_type(st, 1) != SQLITE_NULL && value < sqlite3_column_double(st, 1)) {
			rc = err_set(err, errlen, ERR_BAD_INPUT, "score config '%s': value %g is under its minimum %g", name,
			             value, sqlite3_column_double(st, 1));
		} else if (sqlite3_column_type(st, 2) != SQLITE_NULL && value > sqlite3_column_double(st, 2)) {
			rc = err_set(err, errlen, ERR_BAD_INPUT, "score config '%s': value %g is over its maximum %g", name,
			             value, sqlite3_column_double(st, 2));
		}
	} else if (t == types[1]) {
		if (!has_value || (value != 0 && value != 1))
			rc = err_set(err, errlen, ERR_BAD_INPUT, "score config '%s' is boolean: value must be true or false",
			             name);
	} else {
		int found = 0;
		const cJSON *c;
		cats = cJSON_Parse((const char *)sqlite3_column_text(st, 3));
		cJSON_ArrayForEach(c, cats)
			found |= sval && cJSON_IsString(c) && !strcmp(c->valuestring, sval);
		if (!found)
			rc = err_set(err, errlen, ERR_BAD_INPUT,
			             "score config '%s' is categorical: string_value must be one of its categories", name);
	}
out:
	cJSON_Delete(cats);
	sqlite3_finalize(st);
	return rc;
}

enum err annot_check(sqlite3 *db, struct score *s, char *err, size_t errlen)
{
	assert(s && s->name);
	if (!s->source || strcmp(s->source, ANNOT_SOURCE))
		return ERR_OK;
	return check_value(db, s->name, s->has_value, s->value, s->string_value, &s->score_type, err, errlen);
}

enum err annot_check_batch(sqlite3 *db, struct span_batch *b, char *err, size_t errlen)
{
	char why[400];
	for (size_t i = 0; i < b->nscores; i++) {
		if (!b->scores[i].source || strcmp(b->scores[i].source, ANNOT_SOURCE))
			continue;
		if (!db)
			return err_set(err, errlen, ERR_STORE, "cannot open the store to check score configs");
		enum err rc = annot_check(db, &b->scores[i], why, sizeof why);
		if (rc)
			return err_set(err, errlen, rc, "score %zu: %s", i, why);
	}
	return ERR_OK;
}

static enum err config_put_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	const struct score_config *c = arg;
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	char *cats = c->categories ? cJSON_PrintUnformatted(c->categories) : NULL;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO score_configs (name, type, min_value, max_value, categories,"
	                       " description, time_ns) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "writing score config: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->type, -1, SQLITE_STATIC);
	if (c->has_min)
		sqlite3_bind_double(st, 3, c->min);
	if (c->has_max)
		sqlite3_bind_double(st, 4, c->max);
	if (cats)
		sqlite3_bind_text(st, 5, cats, -1, SQLITE_STATIC);
	if (c->description)
		sqlite3_bind_text(st, 6, c->description, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)text_now_ns());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "writing score config: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	free(cats);
	return rc;
}

enum err annot_config_put(struct writer *w, const struct score_config *c, char *err, size_t errlen)
{
	const cJSON *x;
	struct score_config v = *c;
	if (!c->name || !*c->name || strlen(c->name) > SPAN_MAX_NAME)
		return err_set(err, errlen, ERR_BAD_INPUT, "name: required, at most %u bytes", SPAN_MAX_NAME);
	if (!(v.type = type_of(c->type)))
		return err_set(err, errlen, ERR_BAD_INPUT, "type: must be one of numeric, boolean, categorical");
	if (v.type != types[0] && (c->has_min || c->has_max))
		return err_set(err, errlen, ERR_BAD_INPUT, "min/max: only a numeric config has a range");
	if (c->has_min && c->has_max && c->min > c->max)
		return err_set(err, errlen, ERR_BAD_INPUT, "min: %g is over max %g", c->min, c->max);
	if (v.type != types[2]) {
		if (c->categories)
			return err_set(err, errlen, ERR_BAD_INPUT, "categories: only a categorical config has categories");
		return writer_exec(w, config_put_task, &v, 0, err, errlen);
	}
	int n = cJSON_IsArray(c->categories) ? cJSON_GetArraySize(c->categories) : 0;
	if (n < 1 || n > ANNOT_CATEGORIES_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "categories: a categorical config needs an array of 1 to %d strings",
		               ANNOT_CATEGORIES_MAX);
	cJSON_ArrayForEach(x, c->categories)
		if (!cJSON_IsString(x) || !*x->valuestring || strlen(x->valuestring) > ANNOT_CATEGORY_MAX)
			return err_set(err, errlen, ERR_BAD_INPUT, "categories: each must be a string of 1 to %d bytes",
			               ANNOT_CATEGORY_MAX);
	return writer_exec(w, config_put_task, &v, 0, err, errlen);
}

static enum err config_delete_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	if (sqlite3_prepare_v2(db, "DELETE FROM score_configs WHERE name = ?", -1, &st, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "deleting score config: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "deleting score config: %s", sqlite3_errmsg(db));
	else if (!sqlite3_changes(db))
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no score config named '%.200s'", (const char *)arg);
out:
	sqlite3_finalize(st);
	return rc;
}

enum err annot_config_delete(struct writer *w, const char *name, char *err, size_t errlen)
{
	return writer_exec(w, config_delete_task, (void *)name, 0, err, errlen);
}

enum err annot_configs_json(sqlite3 *db, cJSON **out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT name, type, min_value, max_value, categories, description, time_ns"
	                       " FROM score_configs ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "items");
	while (sqlite3_step(st) == SQLITE_ROW) {
		cJSON *c = cJSON_CreateObject();
		char when[TEXT_ISO_MS_SIZE];
		cJSON_AddStringToObject(c, "name", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddStringToObject(c, "type", (const char *)sqlite3_column_text(st, 1));
		for (int i = 2; i <= 3; i++)
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				cJSON_AddNullToObject(c, i == 2 ? "min" : "max");
			else
				cJSON_AddNumberToObject(c, i == 2 ? "min" : "max", sqlite3_column_double(st, i));
		cJSON *cats = sqlite3_column_text(st, 4) ? cJSON_Parse((const char *)sqlite3_column_text(st, 4)) : NULL;
		cJSON_AddItemToObject(c, "categories", cats ? cats : cJSON_CreateNull());
		if (sqlite3_column_text(st, 5))
			cJSON_AddStringToObject(c, "description", (const char *)sqlite3_column_text(st, 5));
		else
			cJSON_AddNullToObject(c, "description");
		text_format_iso_ms((uint64_t)sqlite3_column_int64(st, 6), when);
		cJSON_AddStringToObject(c, "created_at", when);
		cJSON_AddItemToArray(items, c);
	}
	sqlite3_finalize(st);
	*out = o;
	return ERR_OK;
}

struct edit_job {
	struct writer *w;
	const struct score_edit *e;
	int delete;
};

/* Reads annotation j->e->id and changes or deletes it. */
static enum err edit_task(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	struct edit_job *j = arg;
	const struct score_edit *e = j->e;
	sqlite3_stmt *st = NULL, *up = NULL;
	enum err rc = ERR_OK;
	if (sqlite3_prepare_v2(db, "SELECT name, source, value, string_value, score_type, trace_id FROM scores WHERE id = ?", -1,
	                       &st, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "reading score: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no score with id '%.100s'", e->id);
		goto out;
	}
	const char *source = (const char *)sqlite3_column_text(st, 1);
	if (!source || strcmp(source, ANNOT_SOURCE)) {
		rc = err_set(err, errlen, ERR_FORBIDDEN, "score '%.100s' has source '%.100s'; only annotations (source "
		             "\"annotation\") can be changed or deleted", e->id, source ? source : "");
		goto out;
	}
	if (j->delete) {
		/* the deletions log (schema/006, 009) tells replication targets */
		if (sqlite3_prepare_v2(db, "INSERT INTO deletions (trace_id, time_ns, score_id) VALUES (?1, ?2, ?3)", -1, &up,
		                       NULL) != SQLITE_OK) {
			rc = err_set(err, errlen, ERR_STORE, "logging the deletion: %s", sqlite3_errmsg(db));
			goto out;
		}
		if (sqlite3_column_bytes(st, 5))
			sqlite3_bind_blob(up, 1, sqlite3_column_blob(st, 5), sqlite3_column_bytes(st, 5), SQLITE_STATIC);
		else   /* a session's score (schema/013): the empty blob, as stored */
			sqlite3_bind_zeroblob(up, 1, 0);
		sqlite3_bind_int64(up, 2, (int64_t)text_now_ns());
		sqlite3_bind_text(up, 3, e->id, -1, SQLITE_STATIC);
		if (sqlite3_step(up) != SQLITE_DONE) {
			rc = err_set(err, errlen, ERR_STORE, "logging the deletion: %s", sqlite3_errmsg(db));
			goto out;
		}
		sqlite3_finalize(up);
		if (sqlite3_prepare_v2(db, "DELETE FROM scores WHERE id = ?", -1, &up, NULL) != SQLITE_OK) {
			rc = err_set(err, errlen, ERR_STORE, "deleting score: %s", sqlite3_errmsg(db));
			goto out;
		}
		sqlite3_bind_text(up, 1, e->id, -1, SQLITE_STATIC);
	} else {
		int has_value = e->has_value ? !e->value_null : sqlite3_column_type(st, 2) != SQLITE_NULL;
		double value = e->has_value ? e->value : sqlite3_column_double(st, 2);
		const char *sval = e->has_string ? e->string_value : (const char *)sqlite3_column_text(st, 3);
		const char *type = type_of((const char *)sqlite3_column_text(st, 4));
		if (!has_value && !sval) {
			rc = err_set(err, errlen, ERR_BAD_INPUT, "value: an annotation needs a value or a string_value");
			goto out;
		}
		if ((rc = check_value(db, (const char *)sqlite3_column_text(st, 0), has_value, value, sval, &type, err,
		                      errlen)))
			goto out;
		if (sqlite3_prepare_v2(db, "UPDATE scores SET value = CASE WHEN ?1 THEN ?2 ELSE value END,"
		                       " string_value = CASE WHEN ?3 THEN ?4 ELSE string_value END,"
		                       " comment = CASE WHEN ?5 THEN ?6 ELSE comment END, score_type = coalesce(?7, score_type),"
		                       " seq = ?8 WHERE id = ?9", -1, &up, NULL) != SQLITE_OK) {
			rc = err_set(err, errlen, ERR_STORE, "changing score: %s", sqlite3_errmsg(db));
			goto out;
		}
		sqlite3_bind_int(up, 1, e->has_value);
		if (e->has_value && !e->value_null)
			sqlite3_bind_double(up, 2, e->value);
		sqlite3_bind_int(up, 3, e->has_string);
		if (e->string_value)
			sqlite3_bind_text(up, 4, e->string_value, -1, SQLITE_STATIC);
		sqlite3_bind_int(up, 5, e->has_comment);
		if (e->comment)
			sqlite3_bind_text(up, 6, e->comment, -1, SQLITE_STATIC);
		if (type)
			sqlite3_bind_text(up, 7, type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(up, 8, writer_task_seq(j->w));
		sqlite3_bind_text(up, 9, e->id, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(up) != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "writing score: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return rc;
}

enum err annot_score_edit(struct writer *w, const struct score_edit *e, char *err, size_t errlen)
{
	struct edit_job j = {w, e, 0};
	assert(e && e->id);
	if ((e->has_string && e->string_value && strlen(e->string_value) > ANNOT_COMMENT_MAX) ||
	    (e->has_comment && e->comment && strlen(e->comment) > ANNOT_COMMENT_MAX))
		return err_set(err, errlen, ERR_BAD_INPUT, "string_value and comment: at most %d bytes", ANNOT_COMMENT_MAX);
	if (e->has_value && !e->value_null && !isfinite(e->value))
		return err_set(err, errlen, ERR_BAD_INPUT, "value: must be a finite number or a boolean");
	return writer_exec(w, edit_task, &j, 0, err, errlen);
}

enum err annot_score_delete(struct writer *w, const char *id, char *err, size_t errlen)
{
	struct score_edit e = {.id = id};
	struct edit_job j = {w, &e, 1};
	return writer_exec(w, edit_task, &j, 0, err, errlen);
}
