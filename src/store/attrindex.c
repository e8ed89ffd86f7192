/* attrindex.c: fills attr_pairs and pair_blocks (schema/011),
 * trace_pairsets (schema/015), resource_attrs and trace_resources
 * (schema/007) from the spans the writer stores: each distinct (key, value)
 * of span attributes once (its id cached), one row per trace holding its
 * pair ids as one encoded set (pairset.h; collected per run of one trace's
 * spans, merged into a stored set by one upsert) (and a (pair, block of
 * 256 traces) row once per block), and each
 * resource's attributes
 * once per resource with one (resource, trace) row per trace. The span
 * attributes are walked, filtered and de-duplicated per run of spans of one
 * trace in the submitting request's thread (attrindex_prepare: agent traces
 * repeat the same attributes on every span), so the writer thread only
 * interns keys and pairs and inserts the distinct rows. Text, per-span ids and token
 * counts are left out (skipped()): q= searches the text, the hot columns
 * hold the counts. */
#include "store/attrindex.h"
#include <assert.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "base/intern.h"
#include "store/pairset.h"

struct attrindex {
	sqlite3_stmt *put, *put_res, *put_trace_res, *pair_get, *pair_put, *put_block;
	struct intern *pairs;         /* "KEY\0" type value -> attr_pairs.id */
	struct intern *blocks;        /* (pair, block) rows of pair_blocks known stored */
	struct intern *seen;          /* attrindex_span: pairs of the trace run seen_trace */
	int64_t seen_trace;
	struct intern *resources;     /* resource ids whose attributes are indexed */
	int64_t trace;
	int64_t resource;             /* the resource already linked to the trace run */
	/* The pair ids of trace run `trace` not yet in trace_pairsets (npend
	 * of cap; unsorted, maybe repeated): attrindex_flush writes them. */
	int64_t *pend;
	size_t npend, cap;
	unsigned char *enc;           /* pairset_encode's buffer, enc_cap bytes */
	size_t enc_cap;
	attrindex_intern_fn intern;
	void *ctx;
};

/* attrindex_prepare's state: the entries of the span being walked (v, n,
 * cap; malloc'd, reused) and the pairs already taken in the trace run
 * (seen, keyed by key, type and value). */
struct collect {
	struct arena *a;
	struct intern *seen;
	struct attrindex_entry *v;
	size_t n, cap;
};

/* Where a walk puts what it finds: span attributes into c (request
 * thread), resource attributes into the store through x (writer thread). */
struct sink {
	struct collect *c;
	struct attrindex *x;
};

/* A key name with its length, so a lookup compares bytes only where the
 * lengths allow a match (skipped() runs for every span attribute). */
struct name {
	const char *s;
	size_t n;
};
#define NAME(lit) {lit, sizeof lit - 1}

/* Attribute keys whose string value may be JSON text of metadata or tags. */
static const struct name json_keys[] = {
	NAME("metadata"), NAME("langfuse.trace.metadata"), NAME("langfuse.observation.metadata"), NAME("tag.tags"),
	NAME("langfuse.trace.tags"), NAME("langfuse.tags"),
};

/* Keys left out: text (searched with q=), ids unique per span, token
 * counts (hot columns); exact keys, then prefixes. */
static const struct name skip_keys[] = {
	NAME("input.value"), NAME("output.value"), NAME("gen_ai.input.messages"), NAME("gen_ai.output.messages"),
	NAME("gen_ai.system_instructions"), NAME("gen_ai.response.id"), NAME("gen_ai.tool.call.id"),
	NAME("gen_ai.tool.call.arguments"), NAME("gen_ai.tool.call.result"), NAME("llm.input_messages"),
	NAME("llm.output_messages"), NAME("llm.prompts"), NAME("tool.description"), NAME("retrieval.documents"),
	NAME("session.id"), NAME("user.id"), NAME("gen_ai.conversation.id"),
};
/* (each ends in '.': skipped() checks that byte before comparing) */
static const struct name skip_prefixes[] = {
	NAME("gen_ai.usage."), NAME("llm.token_count."), NAME("llm.usage."), NAME("gen_ai.prompt."),
	NAME("gen_ai.completion."), NAME("llm.input_messages."), NAME("llm.output_messages."),
	NAME("retrieval.documents."), NAME("exception."), NAME("embedding.embeddings."),
};

/* Whether key (klen bytes) is one of the n names of set. */
static int name_in(const struct name *set, size_t n, const char *key, size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].n == klen && key[0] == set[i].s[0] && !memcmp(key, set[i].s, klen))
			return 1;
	return 0;
}

static int skipped(const char *key)
{
	size_t klen = strlen(key);
	if (name_in(skip_keys, sizeof skip_keys / sizeof *skip_keys, key, klen))
		return 1;
	for (size_t i = 0; i < sizeof skip_prefixes / sizeof *skip_prefixes; i++)
		if (klen >= skip_prefixes[i].n && key[skip_prefixes[i].n - 1] == '.' && key[0] == skip_prefixes[i].s[0] &&
		    !memcmp(key, skip_prefixes[i].s, skip_prefixes[i].n))
			return 1;
	return 0;
}

enum err attrindex_open(sqlite3 *db, struct attrindex **out)
{
	struct attrindex *x = calloc(1, sizeof *x);
	if (!x)
		abort();
	if (sqlite3_prepare_v3(db, "INSERT INTO trace_pairsets (trace, pairs) VALUES (?1, ?2) ON CONFLICT (trace)"
	                       " DO UPDATE SET pairs = tl_pairset_union(pairs, excluded.pairs)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &x->put, NULL) ||
	    sqlite3_prepare_v3(db, "SELECT id FROM attr_pairs WHERE key = ?1 AND value = ?2", -1,
	                       SQLITE_PREPARE_PERSISTENT, &x->pair_get, NULL) ||
	    sqlite3_prepare_v3(db, "INSERT INTO attr_pairs (key, value) VALUES (?1, ?2)", -1, SQLITE_PREPARE_PERSISTENT,
	                       &x->pair_put, NULL) ||
	    sqlite3_prepare_v3(db, "INSERT OR IGNORE INTO pair_blocks (pair, block) VALUES (?1, ?2)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &x->put_block, NULL) ||
	    sqlite3_prepare_v3(db, "INSERT OR IGNORE INTO resource_attrs (key, value, resource) VALUES (?1, ?2, ?3)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &x->put_res, NULL) ||
	    sqlite3_prepare_v3(db, "INSERT OR IGNORE INTO trace_resources (resource, trace) VALUES (?1, ?2)", -1,
	                       SQLITE_PREPARE_PERSISTENT, &x->put_trace_res, NULL)) {
		sqlite3_finalize(x->put);
		sqlite3_finalize(x->pair_get);
		sqlite3_finalize(x->pair_put);
		sqlite3_finalize(x->put_block);
		sqlite3_finalize(x->put_res);
		free(x);
		return ERR_STORE;
	}
	x->pairs = intern_new_capped(ATTRINDEX_CACHE_BYTES);
	x->blocks = intern_new_capped(ATTRINDEX_CACHE_BYTES);
	x->seen = intern_new_capped(ATTRINDEX_CACHE_BYTES);
	x->resources = intern_new_capped(ATTRINDEX_CACHE_BYTES);
	*out = x;
	return ERR_OK;
}

void attrindex_close(struct attrindex *x)
{
	if (!x)
		return;
	sqlite3_finalize(x->put);
	sqlite3_finalize(x->put_res);
	sqlite3_finalize(x->put_trace_res);
	sqlite3_finalize(x->pair_get);
	sqlite3_finalize(x->pair_put);
	sqlite3_finalize(x->put_block);
	intern_free(x->pairs);
	intern_free(x->blocks);
	intern_free(x->seen);
	intern_free(x->resources);
	free(x->pend);
	free(x->enc);
	free(x);
}

size_t attrindex_cache_bytes(const struct attrindex *x)
{
	return intern_bytes(x->pairs) + intern_bytes(x->blocks) + intern_bytes(x->seen) + intern_bytes(x->resources);
}

void attrindex_reset(struct attrindex *x)
{
	intern_clear(x->seen);
	x->seen_trace = 0;
	intern_clear(x->resources); /* their rows were rolled back too */
	intern_clear(x->pairs);     /* so were new pairs */
	intern_clear(x->blocks);
	x->trace = 0;
	x->resource = 0;
	x->npend = 0;
}

enum err attrindex_flush(struct attrindex *x)
{
	if (!x->npend)
		return ERR_OK;
	size_t n = pairset_normalize(x->pend, x->npend);
	x->npend = 0;
	if (n * PAIRSET_VARINT_MAX > x->enc_cap) {
		x->enc_cap = n * PAIRSET_VARINT_MAX;
		free(x->enc);
		if (!(x->enc = malloc(x->enc_cap)))
			abort();
	}
	size_t len = pairset_encode(x->pend, n, x->enc);
	sqlite3_bind_int64(x->put, 1, x->trace);
	sqlite3_bind_blob(x->put, 2, x->enc, (int)len, SQLITE_STATIC);
	int step = sqlite3_step(x->put);
	sqlite3_reset(x->put);
	return step == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

enum vtype { V_INT = ATTRINDEX_INT, V_REAL = ATTRINDEX_REAL, V_TEXT = ATTRINDEX_TEXT };

/* Binds (key id, value) to st as parameters 1 and 2. */
static void bind_pair(sqlite3_stmt *st, int64_t key, enum vtype t, int64_t i, double d, const char *s, size_t slen)
{
	sqlite3_bind_int64(st, 1, key);
	if (t == V_TEXT)
		sqlite3_bind_text(st, 2, s, (int)slen, SQLITE_STATIC);
	else if (t == V_INT)
		sqlite3_bind_int64(st, 2, i);
	else
		sqlite3_bind_double(st, 2, d);
}

/* Binds (key id, value, owner) to st and runs it. */
static enum err insert(sqlite3_stmt *st, int64_t key, enum vtype t, int64_t i, double d, const char *s, size_t slen,
                       int64_t owner)
{
	bind_pair(st, key, t, i, d, s, slen);
	sqlite3_bind_int64(st, 3, owner);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

/* The attr_pairs.id of entry e, made if new: from the cache, else one
 * lookup (and an insert) by its unique (key, value). */
static enum err pair_id(struct attrindex *x, const struct attrindex_entry *e, int64_t *id)
{
	unsigned char buf[ATTRINDEX_KEY_MAX + 8 + 1 + ATTRINDEX_VALUE_MAX];
	size_t klen = strlen(e->key), n = klen + 1;
	assert(klen <= ATTRINDEX_KEY_MAX + 8 && e->slen <= ATTRINDEX_VALUE_MAX);
	memcpy(buf, e->key, n);
	buf[n++] = (unsigned char)e->type;
	if (e->type == V_TEXT) {
		memcpy(buf + n, e->s, e->slen);
		n += e->slen;
	} else {
		memcpy(buf + n, e->type == V_INT ? (const void *)&e->i : (const void *)&e->d, 8);
		n += 8;
	}
	if (intern_get(x->pairs, buf, n, id))
		return ERR_OK;
	int64_t key;
	if (x->intern(x->ctx, e->key, &key))
		return ERR_STORE;
	bind_pair(x->pair_get, key, (enum vtype)e->type, e->i, e->d, e->s, e->slen);
	int step = sqlite3_step(x->pair_get);
	if (step == SQLITE_ROW)
		*id = sqlite3_column_int64(x->pair_get, 0);
	sqlite3_reset(x->pair_get);
	if (step != SQLITE_ROW) {
		if (step != SQLITE_DONE)
			return ERR_STORE;
		bind_pair(x->pair_put, key, (enum vtype)e->type, e->i, e->d, e->s, e->slen);
		step = sqlite3_step(x->pair_put);
		sqlite3_reset(x->pair_put);
		if (step != SQLITE_DONE)
			return ERR_STORE;
		*id = sqlite3_last_insert_rowid(sqlite3_db_handle(x->pair_put));
	}
	intern_put(x->pairs, buf, n, *id); /* capped: a miss costs one lookup */
	return ERR_OK;
}

/* Runs st with (pair, trace or block) bound as ?1, ?2. */
static enum err put_ids(sqlite3_stmt *st, int64_t pair, int64_t other)
{
	sqlite3_bind_int64(st, 1, pair);
	sqlite3_bind_int64(st, 2, other);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

/* Adds pair to the pending set of trace run x->trace (written by
 * attrindex_flush: at the next trace, at ATTRINDEX_PENDING_MAX ids, or by
 * the caller before commit) and, the first time in the trace's block, to
 * pair_blocks. */
static enum err add_pair(struct attrindex *x, int64_t pair, int64_t trace)
{
	int64_t kb[2] = {pair, trace >> ATTRINDEX_BLOCK_BITS}, one;
	assert(trace == x->trace);
	if (x->npend == ATTRINDEX_PENDING_MAX && attrindex_flush(x))
		return ERR_STORE; /* a huge trace: merged into its stored set in parts */
	if (x->npend == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		if (!(x->pend = realloc(x->pend, x->cap * sizeof *x->pend)))
			abort();
	}
	x->pend[x->npend++] = pair;
	if (intern_get(x->blocks, kb, sizeof kb, &one))
		return ERR_OK;
	if (put_ids(x->put_block, pair, kb[1]))
		return ERR_STORE;
	intern_put(x->blocks, kb, sizeof kb, 1); /* capped: a miss costs an ignored insert */
	return ERR_OK;
}

/* Takes (prefix key, value): a resource's row goes to the store at once
 * (k->x, the resource being indexed); a span attribute's becomes an entry
 * of the span being prepared (k->c) unless the trace run has it already. */
static enum err put(const struct sink *k, const char *prefix, const char *key, enum vtype t, int64_t i, double d,
                    const char *s, size_t slen)
{
	size_t klen = strlen(key), plen = strlen(prefix);
	if (klen > ATTRINDEX_KEY_MAX || (t == V_TEXT && slen > ATTRINDEX_VALUE_MAX) || !*key)
		return ERR_OK;
	if (t == V_REAL && d != d)
		return ERR_OK; /* NaN binds as NULL: no value to index (trace_attrs ignored it too) */
	if (k->x) {
		char name[ATTRINDEX_KEY_MAX + 8];
		int64_t id;
		snprintf(name, sizeof name, "%s%s", prefix, key);
		if (k->x->intern(k->x->ctx, name, &id))
			return ERR_STORE;
		return insert(k->x->put_res, id, t, i, d, s, slen, k->x->resource);
	}
	struct collect *c = k->c;
	unsigned char buf[ATTRINDEX_KEY_MAX + 8 + 1 + ATTRINDEX_VALUE_MAX];
	size_t n = klen + 1;
	memcpy(buf, key, n); /* with its NUL: the key ends there */
	buf[n++] = (unsigned char)t;
	if (t == V_TEXT) {
		memcpy(buf + n, s, slen);
		n += slen;
	} else if (t == V_INT) {
		memcpy(buf + n, &i, 8);
		n += 8;
	} else {
		memcpy(buf + n, &d, 8);
		n += 8;
	}
	int64_t dummy;
	if (intern_get(c->seen, buf, n, &dummy))
		return ERR_OK;
	intern_put(c->seen, buf, n, 1); /* capped: in a huge trace INSERT OR IGNORE still de-duplicates */
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		if (!(c->v = realloc(c->v, c->cap * sizeof *c->v)))
			abort();
	}
	struct attrindex_entry *e = &c->v[c->n++];
	char *name = arena_alloc(c->a, plen + klen + 1); /* built only for a new pair: most are repeats */
	memcpy(name, prefix, plen);
	memcpy(name + plen, key, klen + 1);
	e->key = name;
	e->type = (int)t;
	e->i = i;
	e->d = d;
	e->s = t == V_TEXT ? arena_strndup(c->a, s, slen) : NULL; /* JSON members die with their cJSON tree */
	e->slen = t == V_TEXT ? slen : 0;
	return ERR_OK;
}

/* A scalar AnyValue; other kinds are left out. */
static enum err put_scalar(const struct sink *x, const char *prefix, const char *key, const Tl__AnyValue *v)
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
static enum err put_json_scalar(const struct sink *x, const char *key, const cJSON *j)
{
	if (cJSON_IsString(j))
		return put(x, "a:", key, V_TEXT, 0, 0, j->valuestring, strlen(j->valuestring));
	if (cJSON_IsBool(j))
		return put(x, "a:", key, V_TEXT, 0, 0, cJSON_IsTrue(j) ? "true" : "false", cJSON_IsTrue(j) ? 4 : 5);
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (d > -9e15 && d < 9e15 && d == (double)(int64_t)d)
			return put(x, "a:", key, V_INT, (int64_t)d, 0, NULL, 0);
		return put(x, "a:", key, V_REAL, 0, d, NULL, 0);
	}
	return ERR_OK;
}

/* Metadata or tags sent as JSON text: an object's scalar members as
 * KEY.member, an array's scalar elements as KEY. Sets *parsed when the
 * text was such JSON (it is then not indexed as a value itself). */
static enum err put_json_text(const struct sink *x, const char *key, const char *text, int *parsed)
{
	size_t len = strlen(text);
	*parsed = 0;
	if (len > ATTRINDEX_JSON_MAX || (text[0] != '{' && text[0] != '['))
		return ERR_OK;
	cJSON *j = cJSON_ParseWithLength(text, len);
	*parsed = j && (cJSON_IsObject(j) || cJSON_IsArray(j));
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

static enum err put_attrs(const struct sink *x, const char *prefix, Tl__KeyValue *const *kv, size_t n)
{
	enum err rc = ERR_OK;
	char name[ATTRINDEX_KEY_MAX + 2];
	for (size_t i = 0; i < n && !rc; i++) {
		if (!kv[i] || !kv[i]->key || !kv[i]->value)
			continue;
		const char *key = kv[i]->key;
		const Tl__AnyValue *v = kv[i]->value;
		if (skipped(key))
			continue;
		if (v->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE && v->array_value) {
			/* strings and booleans (tags, finish reasons); number arrays
			 * (scores, embeddings) are measurements, not labels */
			for (size_t k = 0; k < v->array_value->n_values && k < ATTRINDEX_ELEMS_MAX && !rc; k++) {
				const Tl__AnyValue *e = v->array_value->values[k];
				if (e && (e->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE ||
				          e->value_case == TL__ANY_VALUE__VALUE_BOOL_VALUE))
					rc = put_scalar(x, prefix, key, e);
			}
		} else if (v->value_case == TL__ANY_VALUE__VALUE_KVLIST_VALUE && v->kvlist_value) {
			for (size_t k = 0; k < v->kvlist_value->n_values && k < ATTRINDEX_ELEMS_MAX && !rc; k++) {
				const Tl__KeyValue *m = v->kvlist_value->values[k];
				if (m && m->key && (size_t)snprintf(name, sizeof name, "%s.%s", key, m->key) < sizeof name)
					rc = put_scalar(x, prefix, name, m->value);
			}
		} else {
			int parsed = 0;
			if (v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE && v->string_value && *prefix == 'a' &&
			    name_in(json_keys, sizeof json_keys / sizeof *json_keys, key, strlen(key)))
				rc = put_json_text(x, key, v->string_value, &parsed);
			if (!rc && !parsed)
				rc = put_scalar(x, prefix, key, v);
		}
	}
	return rc;
}

void attrindex_prepare(const struct span_batch *b, const size_t *order, struct attrindex_prep *out)
{
	struct collect c = {.a = b->arena, .seen = intern_new_capped(ATTRINDEX_CACHE_BYTES)};
	struct sink k = {.c = &c};
	const uint8_t *trace = NULL;
	for (size_t n = 0; n < b->nspans; n++) {
		const struct span *s = &b->spans[order[n]];
		if (!trace || memcmp(trace, s->trace_id, 16) != 0) {
			intern_clear(c.seen); /* a new run: the set only ever holds one trace's pairs */
			trace = s->trace_id;
		}
		c.n = 0;
		if (s->otlp)
			put_attrs(&k, "a:", s->otlp->attributes, s->otlp->n_attributes); /* cannot fail: no store */
		struct attrindex_prep *p = &out[order[n]];
		p->n = c.n;
		p->v = NULL;
		if (c.n) {
			p->v = arena_alloc(b->arena, c.n * sizeof *p->v);
			memcpy(p->v, c.v, c.n * sizeof *p->v);
		}
	}
	free(c.v);
	intern_free(c.seen);
}

enum err attrindex_span_prepared(struct attrindex *x, int64_t trace, const struct span *s,
                                 const struct attrindex_prep *p, int64_t resource, attrindex_intern_fn intern, void *ctx)
{
	if (trace != x->trace) {
		if (attrindex_flush(x))
			return ERR_STORE;
		x->trace = trace;
		x->resource = 0;
	}
	x->intern = intern;
	x->ctx = ctx;
	enum err rc = ERR_OK;
	for (size_t k = 0; k < p->n && !rc; k++) {
		int64_t pair;
		if (pair_id(x, &p->v[k], &pair))
			return ERR_STORE;
		rc = add_pair(x, pair, trace);
	}
	if (!rc && resource && resource != x->resource) {
		int64_t done;
		x->resource = resource;
		sqlite3_bind_int64(x->put_trace_res, 1, resource);
		sqlite3_bind_int64(x->put_trace_res, 2, trace);
		rc = sqlite3_step(x->put_trace_res) == SQLITE_DONE ? ERR_OK : ERR_STORE;
		sqlite3_reset(x->put_trace_res);
		if (!rc && s->resource && !intern_get(x->resources, &resource, sizeof resource, &done)) {
			struct sink k = {.x = x};
			rc = put_attrs(&k, "r:", s->resource->attributes, s->resource->n_attributes);
			if (!rc) /* capped: re-indexing one costs ignored inserts */
				intern_put(x->resources, &resource, sizeof resource, 1);
		}
	}
	return rc;
}

enum err attrindex_span(struct attrindex *x, int64_t trace, const struct span *s, int64_t resource,
                        attrindex_intern_fn intern, void *ctx)
{
	if (trace != x->seen_trace) {
		intern_clear(x->seen); /* a new run: the set only ever holds one trace's pairs */
		x->seen_trace = trace;
	}
	struct arena *a = arena_new();
	struct collect c = {.a = a, .seen = x->seen};
	struct sink k = {.c = &c};
	if (s->otlp)
		put_attrs(&k, "a:", s->otlp->attributes, s->otlp->n_attributes); /* cannot fail: no store */
	struct attrindex_prep p = {.v = c.v, .n = c.n};
	enum err rc = attrindex_span_prepared(x, trace, s, &p, resource, intern, ctx);
	free(c.v);
	arena_free(a);
	return rc;
}
