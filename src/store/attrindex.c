/* attrindex.c: fills trace_attrs (schema/008) from the spans the writer
 * stores: one row per distinct (key, value, trace). A run of spans of one
 * trace is de-duplicated in memory first (agent traces repeat the same
 * attributes on every span), so most pairs cost a hash lookup, not an
 * insert. */
#include "store/attrindex.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/intern.h"

struct attrindex {
	sqlite3_stmt *put;
	struct intern *seen;          /* pairs of the current trace run */
	int64_t trace;
	const void *resource;         /* the resource already indexed for it */
	attrindex_intern_fn intern;
	void *ctx;
};

/* Attribute keys whose string value may be JSON text of metadata or tags. */
static const char *const json_keys[] = {
	"metadata", "langfuse.trace.metadata", "langfuse.observation.metadata", "tag.tags", "langfuse.trace.tags",
	"langfuse.tags",
};

enum err attrindex_open(sqlite3 *db, struct attrindex **out)
{
	struct attrindex *x = calloc(1, sizeof *x);
	if (!x)
		abort();
	if (sqlite3_prepare_v3(db, "INSERT OR IGNORE INTO trace_attrs (key, value, trace) VALUES (?1, ?2, ?3)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &x->put, NULL)) {
		free(x);
		return ERR_STORE;
	}
	x->seen = intern_new();
	*out = x;
	return ERR_OK;
}

void attrindex_close(struct attrindex *x)
{
	if (!x)
		return;
	sqlite3_finalize(x->put);
	intern_free(x->seen);
	free(x);
}

void attrindex_reset(struct attrindex *x)
{
	intern_clear(x->seen);
	x->trace = 0;
	x->resource = NULL;
}

enum vtype { V_INT, V_REAL, V_TEXT };

/* Inserts (prefix key, value) unless seen in this trace run. */
static enum err put(struct attrindex *x, const char *prefix, const char *key, enum vtype t, int64_t i, double d,
                    const char *s, size_t slen)
{
	char name[ATTRINDEX_KEY_MAX + 8];
	int64_t id;
	if (strlen(key) > ATTRINDEX_KEY_MAX || (t == V_TEXT && slen > ATTRINDEX_VALUE_MAX) || !*key)
		return ERR_OK;
	snprintf(name, sizeof name, "%s%s", prefix, key);
	if (x->intern(x->ctx, name, &id))
		return ERR_STORE;
	unsigned char buf[8 + 1 + ATTRINDEX_VALUE_MAX];
	size_t n = 9;
	memcpy(buf, &id, 8);
	buf[8] = (unsigned char)t;
	if (t == V_TEXT) {
		memcpy(buf + 9, s, slen);
		n += slen;
	} else if (t == V_INT) {
		memcpy(buf + 9, &i, 8);
		n += 8;
	} else {
		memcpy(buf + 9, &d, 8);
		n += 8;
	}
	int64_t dummy;
	if (intern_get(x->seen, buf, n, &dummy))
		return ERR_OK;
	intern_put(x->seen, buf, n, 1);
	sqlite3_bind_int64(x->put, 1, id);
	if (t == V_TEXT)
		sqlite3_bind_text(x->put, 2, s, (int)slen, SQLITE_STATIC);
	else if (t == V_INT)
		sqlite3_bind_int64(x->put, 2, i);
	else
		sqlite3_bind_double(x->put, 2, d);
	sqlite3_bind_int64(x->put, 3, x->trace);
	int rc = sqlite3_step(x->put);
	sqlite3_reset(x->put);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

/* A scalar AnyValue; other kinds are left out. */
static enum err put_scalar(struct attrindex *x, const char *prefix, const char *key, const Tl__AnyValue *v)
{
	switch (v ? v->value_case : TL__ANY_VALUE__VALUE__NOT_SET) {
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		return v->string_value ? put(x, prefix, key, V_TEXT, 0, 0, v->string_value, strlen(v->string_value)) : ERR_OK;
	case TL__ANY_VALUE__VALUE_BOOL_VALUE:
		return put(x, prefix, key, V_TEXT, 0, 0, v->bool_value ? "true" : "false", v->bool_value ? 4 : 5);
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		return put(x, prefix, key, V_INT, v->int_value, 0, NULL, 0);
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		return put(x, prefix, key, V_REAL, 0, v->double_value, NULL, 0);
	default:
		return ERR_OK;
	}
}

/* A scalar JSON value of metadata or tags text. */
static enum err put_json_scalar(struct attrindex *x, const char *key, const cJSON *j)
{
	if (cJSON_IsString(j))
		return put(x, "a:", key, V_TEXT, 0, 0, j->valuestring, strlen(j->valuestring));
	if (cJSON_IsBool(j))
		return put(x, "a:", key, V_TEXT, 0, 0, cJSON_IsTrue(j) ? "true" : "false", cJSON_IsTrue(j) ? 4 : 5);
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (d == (double)(int64_t)d && d > -9e15 && d < 9e15)
			return put(x, "a:", key, V_INT, (int64_t)d, 0, NULL, 0);
		return put(x, "a:", key, V_REAL, 0, d, NULL, 0);
	}
	return ERR_OK;
}

/* Metadata or tags sent as JSON text: an object's scalar members as
 * KEY.member, an array's scalar elements as KEY. */
static enum err put_json_text(struct attrindex *x, const char *key, const char *text)
{
	size_t len = strlen(text);
	if (len > ATTRINDEX_JSON_MAX || (text[0] != '{' && text[0] != '['))
		return ERR_OK;
	cJSON *j = cJSON_ParseWithLength(text, len);
	enum err rc = ERR_OK;
	int n = 0;
	char name[ATTRINDEX_KEY_MAX + 2];
	for (const cJSON *e = j ? j->child : NULL; e && !rc && n < ATTRINDEX_ELEMS_MAX; e = e->next, n++) {
		if (cJSON_IsObject(j)) {
			if ((size_t)snprintf(name, sizeof name, "%s.%s", key, e->string) < sizeof name)
				rc = put_json_scalar(x, name, e);
		} else {
			rc = put_json_scalar(x, key, e);
		}
	}
	cJSON_Delete(j);
	return rc;
}

static enum err put_attrs(struct attrindex *x, const char *prefix, Tl__KeyValue *const *kv, size_t n)
{
	enum err rc = ERR_OK;
	char name[ATTRINDEX_KEY_MAX + 2];
	for (size_t i = 0; i < n && !rc; i++) {
		if (!kv[i] || !kv[i]->key || !kv[i]->value)
			continue;
		const char *key = kv[i]->key;
		const Tl__AnyValue *v = kv[i]->value;
		if (v->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE && v->array_value) {
			for (size_t k = 0; k < v->array_value->n_values && k < ATTRINDEX_ELEMS_MAX && !rc; k++)
				rc = put_scalar(x, prefix, key, v->array_value->values[k]);
		} else if (v->value_case == TL__ANY_VALUE__VALUE_KVLIST_VALUE && v->kvlist_value) {
			for (size_t k = 0; k < v->kvlist_value->n_values && k < ATTRINDEX_ELEMS_MAX && !rc; k++) {
				const Tl__KeyValue *m = v->kvlist_value->values[k];
				if (m && m->key && (size_t)snprintf(name, sizeof name, "%s.%s", key, m->key) < sizeof name)
					rc = put_scalar(x, prefix, name, m->value);
			}
		} else {
			rc = put_scalar(x, prefix, key, v);
			if (!rc && v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE && v->string_value && *prefix == 'a')
				for (size_t k = 0; k < sizeof json_keys / sizeof *json_keys && !rc; k++)
					if (!strcmp(key, json_keys[k]))
						rc = put_json_text(x, key, v->string_value);
		}
	}
	return rc;
}

enum err attrindex_span(struct attrindex *x, int64_t trace, const struct span *s, attrindex_intern_fn intern,
                        void *ctx)
{
	if (trace != x->trace) {
		/* a new run: the set only ever holds one trace's pairs */
		intern_clear(x->seen);
		x->trace = trace;
		x->resource = NULL;
	}
	x->intern = intern;
	x->ctx = ctx;
	enum err rc = ERR_OK;
	if (s->otlp)
		rc = put_attrs(x, "a:", s->otlp->attributes, s->otlp->n_attributes);
	if (!rc && s->resource && s->resource != x->resource) {
		rc = put_attrs(x, "r:", s->resource->attributes, s->resource->n_attributes);
		x->resource = s->resource;
	}
	return rc;
}
