/* native_langfuse.c: Langfuse's batch ingestion (POST /api/public/ingestion,
 * contract in native.h): events grouped by entity (body.id), each entity
 * built on top of its stored version and its events applied in time order,
 * so creates and updates merge in any order within and across batches.
 * Traces become root spans, observations their children, scores scores. */
#include "ingest/native.h"
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/intern.h"
#include "ingest/batch.h"
#include "ingest/native_fields.h"

enum lf_kind { LF_TRACE, LF_OBS, LF_SCORE, LF_LOG };

/* The event types taken; obs_type is the observation type a create or
 * update implies ("" = the body's own type, legacy observation-*). */
static const struct lf_type {
	const char *name;
	int kind, update;
	const char *obs_type;
} lf_types[] = {
	{"trace-create", LF_TRACE, 0, NULL},
	{"span-create", LF_OBS, 0, "span"},
	{"span-update", LF_OBS, 1, "span"},
	{"generation-create", LF_OBS, 0, "generation"},
	{"generation-update", LF_OBS, 1, "generation"},
	{"event-create", LF_OBS, 0, "event"},
	{"agent-create", LF_OBS, 0, "agent"},
	{"tool-create", LF_OBS, 0, "tool"},
	{"chain-create", LF_OBS, 0, "chain"},
	{"retriever-create", LF_OBS, 0, "retriever"},
	{"embedding-create", LF_OBS, 0, "embedding"},
	{"evaluator-create", LF_OBS, 0, "evaluator"},
	{"guardrail-create", LF_OBS, 0, "guardrail"},
	{"observation-create", LF_OBS, 0, ""},
	{"observation-update", LF_OBS, 1, ""},
	{"score-create", LF_SCORE, 0, NULL},
	{"sdk-log", LF_LOG, 0, NULL},
};

/* One accepted event. */
struct lf_event {
	size_t index;             /* in the batch: its answer */
	const struct lf_type *type;
	const cJSON *body;
	uint64_t time_ns;         /* the event's timestamp: orders an entity's events */
	size_t ent;               /* its entity */
};

/* One trace or observation being built. */
struct lf_ent {
	int kind;
	const char *id;           /* body.id */
	uint8_t trace_id[16], span_id[8];
	int has_trace, has_parent, has_start, has_end, stored, applied;
	Tl__Span *sp;
};

struct lf_ctx {
	struct nctx c;
	struct langfuse_io *io;
	struct lf_event *ev;
	size_t nev;
	struct lf_ent *ents;
	size_t nents, ents_cap;
	struct intern *ent_ids;   /* "<kind>:<body.id>" -> index in ents */
};

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

static void answer(struct lf_ctx *x, size_t i, int status, const char *msg)
{
	x->io->answers[i].status = status;
	x->io->answers[i].message = msg ? arena_strdup(x->c.a, msg) : NULL;
}

/* ---- events -> entities ---- */

static size_t entity_for(struct lf_ctx *x, int kind, const char *id)
{
	char key[SPAN_MAX_NAME + 4];
	int64_t at;
	int n = snprintf(key, sizeof key, "%d:%s", kind, id);
	if (intern_get(x->ent_ids, key, (size_t)n, &at))
		return (size_t)at;
	if (x->nents == x->ents_cap) {
		size_t cap = x->ents_cap ? x->ents_cap * 2 : 32;
		struct lf_ent *fresh = arena_alloc(x->c.a, cap * sizeof *fresh);
		if (x->nents)
			memcpy(fresh, x->ents, x->nents * sizeof *fresh);
		x->ents = fresh;
		x->ents_cap = cap;
	}
	struct lf_ent *e = &x->ents[x->nents];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->id = arena_strdup(x->c.a, id);
	intern_put(x->ent_ids, key, (size_t)n, (int64_t)x->nents);
	return x->nents++;
}

/* Checks one batch item's envelope; fills *ev. Returns ERR_OK, or
 * ERR_BAD_INPUT with c->err naming the field. */
static int event_check(struct lf_ctx *x, const cJSON *it, struct lf_event *ev, const char **event_id)
{
	struct nctx *c = &x->c;
	const char *type, *bid;
	int has, rc;
	*event_id = NULL;
	if (!cJSON_IsObject(it))
		return nf_fail(c, "", "must be an object");
	if ((rc = nf_opt_str(c, NF(it, "id"), SPAN_MAX_NAME, event_id)))
		return rc;
	if (!*event_id || !**event_id)
		return nf_fail(c, "id", "required");
	if ((rc = nf_req_str(c, NF(it, "type"), 64, &type)))
		return rc;
	ev->type = NULL;
	for (size_t i = 0; i < NELEM(lf_types); i++)
		if (strcmp(type, lf_types[i].name) == 0)
			ev->type = &lf_types[i];
	if (!ev->type)
		return nf_fail(c, "type", "unknown event type '%.64s'", type);
	if ((rc = nf_opt_time(c, NF(it, "timestamp"), &ev->time_ns, &has)))
		return rc;
	if (!has)
		ev->time_ns = c->now_ns;
	if ((rc = nf_opt_obj(c, NF(it, "body"), &ev->body)))
		return rc;
	if (!ev->body)
		return nf_fail(c, "body", "required");
	if (ev->type->kind == LF_TRACE || ev->type->kind == LF_OBS) {
		if ((rc = nf_opt_str(c, NF(ev->body, "id"), SPAN_MAX_NAME, &bid)))
			return nf_fail(c, "body.id", "must be a string");
		if (!bid || !*bid)
			return nf_fail(c, "body.id", "required");
		ev->ent = entity_for(x, ev->type->kind, bid);
	}
	return 0;
}

/* Orders an entity's events: by timestamp, a create before an update at
 * the same time, then batch order. */
static int event_cmp(const void *pa, const void *pb)
{
	const struct lf_event *a = pa, *b = pb;
	if (a->ent != b->ent)
		return a->ent < b->ent ? -1 : 1;
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns ? -1 : 1;
	if (a->type->update != b->type->update)
		return a->type->update - b->type->update;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* ---- applying one body to an entity's span ---- */

static const struct field_attr trace_strs[] = {
	{"userId", "user.id"},
	{"sessionId", "session.id"},
	{"release", "langfuse.release"},
	{"version", "langfuse.version"},
	{"environment", "langfuse.environment"},
};
static const struct field_attr obs_strs[] = {
	{"model", "langfuse.observation.model.name"},
	{"version", "langfuse.version"},
	{"environment", "langfuse.environment"},
	{"promptName", "langfuse.observation.prompt.name"},
};

/* A JSON value kept as JSON text under attr (absent: nothing). */
static int put_json(struct nctx *c, Tl__Span *sp, struct fld f, const char *attr)
{
	char *text;
	if (!f.v)
		return 0;
	int rc = nf_json_text(c, f.v, f.name, &text);
	if (!rc)
		nf_put_owned(c, nf_span_attrs(sp), attr, text);
	return rc;
}

/* tags: an array of strings. */
static int put_tags(struct nctx *c, Tl__Span *sp, const cJSON *o)
{
	const cJSON *tags;
	Tl__AnyValue *av;
	int rc = nf_opt_array(c, NF(o, "tags"), &tags);
	if (rc || !tags)
		return rc;
	for (const cJSON *t = tags->child; t; t = t->next)
		if (!cJSON_IsString(t))
			return nf_fail(c, "tags", "must be an array of strings");
	if ((rc = nf_json_any(c, tags, 1, "tags", &av)))
		return rc;
	otlp_push(c->a, &sp->attributes, &sp->n_attributes, otlp_kv_new(c->a, "langfuse.trace.tags", av));
	return 0;
}

/* usage (any of the SDKs' shapes) and usageDetails become the usage
 * object genai.c reads; usage's totalCost, costDetails the cost. */
static int put_usage(struct nctx *c, Tl__Span *sp, const cJSON *o)
{
	const cJSON *usage, *details, *cost;
	int rc;
	if ((rc = nf_opt_obj(c, NF(o, "usage"), &usage)) || (rc = nf_opt_obj(c, NF(o, "usageDetails"), &details)) ||
	    (rc = nf_opt_obj(c, NF(o, "costDetails"), &cost)))
		return rc;
	if (usage) {
		if ((rc = put_json(c, sp, NF(o, "usage"), "langfuse.observation.usage_details")) ||
		    (rc = nf_put_num(c, sp, NF(usage, "totalCost"), "tracelite.cost_usd")))
			return rc;
	}
	if ((rc = put_json(c, sp, NF(o, "usageDetails"), "langfuse.observation.usage_details")) ||
	    (rc = put_json(c, sp, NF(o, "costDetails"), "langfuse.observation.cost_details")))
		return rc;
	return 0;
}

/* level and statusMessage: ERROR is the span's error status. */
static int put_level(struct nctx *c, Tl__Span *sp, const cJSON *o)
{
	const char *level, *msg;
	int rc;
	if ((rc = nf_opt_str(c, NF(o, "level"), 16, &level)) ||
	    (rc = nf_opt_str(c, NF(o, "statusMessage"), SPAN_MAX_STRING, &msg)))
		return rc;
	if (level && strcmp(level, "DEBUG") && strcmp(level, "DEFAULT") && strcmp(level, "WARNING") &&
	    strcmp(level, "ERROR"))
		return nf_fail(c, "level", "must be one of DEBUG, DEFAULT, WARNING, ERROR");
	if (level)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, "langfuse.observation.level", level);
	if (msg)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, "langfuse.observation.status_message", msg);
	if (level) {
		int code = strcmp(level, "ERROR") == 0 ? 2 : 0;
		sp->status = NULL;
		nf_span_status(c, sp, code, code && msg ? msg : NULL);
	} else if (msg && sp->status) {
		sp->status->message = arena_strdup(c->a, msg);
	}
	return 0;
}

/* The times of an observation body. */
static int put_times(struct nctx *c, struct lf_ent *e, const cJSON *o, int is_event)
{
	uint64_t t;
	int has, rc;
	if ((rc = nf_opt_time(c, NF(o, "startTime", "timestamp"), &t, &has)))
		return rc;
	if (has) {
		e->sp->start_time_unix_nano = t;
		e->has_start = 1;
		if (is_event) {
			e->sp->end_time_unix_nano = t;
			e->has_end = 1;
		}
	}
	if ((rc = nf_opt_time(c, NF(o, "endTime"), &t, &has)))
		return rc;
	if (has) {
		e->sp->end_time_unix_nano = t;
		e->has_end = 1;
	}
	if ((rc = nf_opt_time(c, NF(o, "completionStartTime"), &t, &has)))
		return rc;
	if (has)
		otlp_attr_int(c->a, &e->sp->attributes, &e->sp->n_attributes,
		              "langfuse.observation.completion_start_time_ns", (int64_t)t);
	return 0;
}

static int apply_common(struct nctx *c, Tl__Span *sp, const cJSON *o)
{
	const char *name;
	int rc;
	if ((rc = nf_opt_str(c, NF(o, "name"), SPAN_MAX_NAME, &name)))
		return rc;
	if (name && *name)
		sp->name = arena_strdup(c->a, name);
	if ((rc = nf_put_input_output(c, sp, o)) ||
	    (rc = nf_put_object(c, nf_span_attrs(sp), "metadata", NF(o, "metadata"), NULL)))
		return rc;
	return 0;
}

static int apply_trace(struct nctx *c, struct lf_ent *e, const cJSON *o)
{
	uint64_t t;
	int has, rc;
	if ((rc = apply_common(c, e->sp, o)) || (rc = nf_put_strs(c, e->sp, o, trace_strs, NELEM(trace_strs), SPAN_MAX_NAME)) ||
	    (rc = put_tags(c, e->sp, o)) || (rc = nf_opt_time(c, NF(o, "timestamp"), &t, &has)))
		return rc;
	const cJSON *pub = NF(o, "public").v;
	if (pub && !cJSON_IsBool(pub))
		return nf_fail(c, "public", "must be a boolean");
	if (pub)
		otlp_attr_bool(c->a, &e->sp->attributes, &e->sp->n_attributes, "langfuse.trace.public", cJSON_IsTrue(pub));
	if (has) {
		e->sp->start_time_unix_nano = t;
		e->has_start = 1;
	}
	return 0;
}

/* An observation body; obs_type as in lf_types. An update's implied type
 * (span-update) does not retype an observation that has one. */
static int apply_obs(struct nctx *c, struct lf_ent *e, const cJSON *o, const char *obs_type, int update)
{
	const char *type = obs_type;
	uint8_t parent[8];
	int has, rc;
	if (!*obs_type) {
		if ((rc = nf_opt_str(c, NF(o, "type"), 32, &type)))
			return rc;
	}
	if ((rc = apply_common(c, e->sp, o)) || (rc = nf_put_strs(c, e->sp, o, obs_strs, NELEM(obs_strs), SPAN_MAX_NAME)) ||
	    (rc = put_times(c, e, o, type && strcasecmp(type, "event") == 0)) ||
	    (rc = nf_put_params(c, e->sp, NF(o, "modelParameters"))) || (rc = put_usage(c, e->sp, o)) ||
	    (rc = put_level(c, e->sp, o)) ||
	    (rc = nf_put_count(c, e->sp, NF(o, "promptVersion"), "langfuse.observation.prompt.version")) ||
	    (rc = nf_opt_id(c, NF(o, "parentObservationId"), parent, 8, &has)))
		return rc;
	if (type && *type && *obs_type && update &&
	    otlp_attr_find(e->sp->attributes, e->sp->n_attributes, "langfuse.observation.type"))
		type = NULL;
	if (type && *type) {
		char lower[33];
		size_t n = strlen(type);
		for (size_t i = 0; i <= n; i++)
			lower[i] = (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
		otlp_attr_str(c->a, &e->sp->attributes, &e->sp->n_attributes, "langfuse.observation.type", lower);
	}
	if (has) {
		nf_span_parent(c, e->sp, parent);
		e->has_parent = 1;
	}
	return 0;
}

/* ---- building each entity ---- */

/* Keeps the last attribute of each key: later events (and the new version
 * over the stored one) win key by key. */
static void attrs_keep_last(struct nctx *c, Tl__Span *sp)
{
	struct intern *seen = intern_new();
	size_t n = sp->n_attributes, w = n;
	Tl__KeyValue **out = arena_alloc(c->a, (n ? n : 1) * sizeof *out);
	for (size_t i = n; i-- > 0;) {
		const Tl__KeyValue *kv = sp->attributes[i];
		int64_t v;
		if (!kv || !kv->key || intern_get(seen, kv->key, strlen(kv->key), &v))
			continue;
		intern_put(seen, kv->key, strlen(kv->key), 1);
		out[--w] = sp->attributes[i];
	}
	intern_free(seen);
	sp->attributes = out + w;
	sp->n_attributes = n - w;
}

/* The entity's trace id: the stored span's, else the first traceId given,
 * else (a trace) its own id, else one derived from the observation id. */
static int ent_ids(struct lf_ctx *x, struct lf_ent *e, struct lf_event *first, size_t nev)
{
	struct nctx *c = &x->c;
	int rc, has;
	for (size_t i = 0; i < nev && !e->has_trace; i++) {
		const cJSON *o = first[i].body;
		snprintf(c->where, sizeof c->where, "batch[%zu].body", first[i].index);
		if ((rc = nf_opt_id(c, NF(o, e->kind == LF_TRACE ? "id" : "traceId"), e->trace_id, 16, &has)))
			return rc;
		e->has_trace = has;
	}
	if (!e->has_trace)
		id_from_any(e->id, e->trace_id, 16);
	if (e->kind == LF_TRACE)
		nf_root_span_id(e->trace_id, "langfuse", e->span_id);
	else
		id_from_any(e->id, e->span_id, 8);
	return 0;
}

/* Starts e's span from its stored version when there is one. */
static void ent_begin(struct lf_ctx *x, struct lf_ent *e)
{
	struct nctx *c = &x->c;
	uint8_t stored_trace[16];
	const Tl__Span *old = x->io->stored ? x->io->stored(x->io->ctx, e->span_id, stored_trace) : NULL;
	if (old)
		memcpy(e->trace_id, stored_trace, 16);
	e->sp = nf_span_new(c, e->trace_id, e->span_id);
	if (!old)
		return;
	Tl__Span *sp = e->sp;
	e->stored = 1;
	sp->name = old->name ? old->name : (char *)"";
	sp->kind = old->kind;
	sp->start_time_unix_nano = old->start_time_unix_nano;
	sp->end_time_unix_nano = old->end_time_unix_nano;
	e->has_start = e->has_end = 1;
	if (old->status)   /* a copy: put_level changes it */
		nf_span_status(c, sp, old->status->code, old->status->message && *old->status->message ? old->status->message : NULL);
	if (old->parent_span_id.len == 8) {
		nf_span_parent(c, sp, old->parent_span_id.data);
		e->has_parent = 1;
	}
	for (size_t i = 0; i < old->n_attributes; i++)
		otlp_push(c->a, &sp->attributes, &sp->n_attributes, old->attributes[i]);
	sp->events = old->events;
	sp->n_events = old->n_events;
}

/* Applies the events of one entity in order; a bad event is answered 400
 * and its changes dropped, the others stay. */
static void ent_apply(struct lf_ctx *x, struct lf_ent *e, struct lf_event *ev, size_t nev)
{
	struct nctx *c = &x->c;
	for (size_t i = 0; i < nev; i++) {
		Tl__Span *sp = e->sp, saved = *sp;
		struct lf_ent saved_ent = *e;
		snprintf(c->where, sizeof c->where, "batch[%zu].body", ev[i].index);
		int rc = e->kind == LF_TRACE ? apply_trace(c, e, ev[i].body) : apply_obs(c, e, ev[i].body, ev[i].type->obs_type, ev[i].type->update);
		if (!rc && sp->n_attributes > 2 * SPAN_MAX_ATTRS)
			rc = nf_fail(c, "", "more than %d attributes", SPAN_MAX_ATTRS);
		if (rc) {
			*sp = saved;
			*e = saved_ent;
			answer(x, ev[i].index, 400, c->err);
		} else {
			e->applied = 1;
		}
	}
}

/* Defaults for what no event (nor the stored version) gave, then the
 * span's final checks. */
static void ent_finish(struct lf_ctx *x, struct lf_ent *e, const struct lf_event *ev, size_t nev)
{
	struct nctx *c = &x->c;
	Tl__Span *sp = e->sp;
	if (!e->applied) {
		/* every event was refused: nothing new to store (it is the last
		 * span of the scope, added by ent_begin) */
		assert(c->ss->n_spans > 0 && c->ss->spans[c->ss->n_spans - 1] == sp);
		c->ss->n_spans--;
		return;
	}
	attrs_keep_last(c, sp);
	if (!e->has_start)
		sp->start_time_unix_nano = ev[0].time_ns;
	if (!e->has_end)
		sp->end_time_unix_nano = sp->start_time_unix_nano;
	if (sp->end_time_unix_nano < sp->start_time_unix_nano)
		sp->end_time_unix_nano = sp->start_time_unix_nano;
	if (!*sp->name)
		sp->name = (char *)(e->kind == LF_TRACE ? "trace" : "observation");
	if (e->kind == LF_OBS && !e->has_parent) {
		uint8_t root[8];
		nf_root_span_id(e->trace_id, "langfuse", root);
		nf_span_parent(c, sp, root);
	}
	if (sp->n_attributes > SPAN_MAX_ATTRS) {
		for (size_t i = 0; i < nev; i++)
			answer(x, ev[i].index, 400, "body: the entity has more than 4096 attributes");
		c->ss->n_spans--;
	}
}

/* A trace's root span has no end of its own: it ends at the latest end of
 * its observations in the batch (its stored end, if later, stays). */
static void roots_widen(struct lf_ctx *x)
{
	struct intern *roots = intern_new();
	for (size_t i = 0; i < x->nents; i++)
		if (x->ents[i].kind == LF_TRACE && x->ents[i].sp && x->ents[i].applied)
			intern_put(roots, x->ents[i].trace_id, 16, (int64_t)i);
	for (size_t i = 0; i < x->nents && intern_count(roots); i++) {
		const struct lf_ent *e = &x->ents[i];
		int64_t at;
		if (e->kind != LF_OBS || !e->sp || !e->applied || !intern_get(roots, e->trace_id, 16, &at))
			continue;
		Tl__Span *root = x->ents[at].sp;
		if (e->sp->end_time_unix_nano > root->end_time_unix_nano)
			root->end_time_unix_nano = e->sp->end_time_unix_nano;
	}
	intern_free(roots);
}

/* ---- scores ---- */

static int score_event(struct lf_ctx *x, const cJSON *o, uint64_t time_ns)
{
	struct nctx *c = &x->c;
	struct score tmp;
	const char *name, *sval = NULL, *dtype, *comment, *source, *id, *session;
	int rc;
	memset(&tmp, 0, sizeof tmp);
	if ((rc = nf_score_target(c, NF(o, "traceId"), NF(o, "sessionId"), &tmp, &session)) ||
	    (rc = nf_opt_id(c, NF(o, "observationId"), tmp.span_id, 8, &tmp.has_span)) ||
	    (rc = nf_req_str(c, NF(o, "name"), SPAN_MAX_NAME, &name)) ||
	    (rc = nf_opt_str(c, NF(o, "dataType"), 16, &dtype)) ||
	    (rc = nf_opt_str(c, NF(o, "comment"), SPAN_MAX_STRING, &comment)) ||
	    (rc = nf_opt_str(c, NF(o, "source"), 64, &source)) ||
	    (rc = nf_opt_str(c, NF(o, "id"), 36, &id)))
		return rc;
	if (!*name)
		return nf_fail(c, "name", "required");
	const cJSON *v = NF(o, "value").v;
	if (!v)
		return nf_fail(c, "value", "required");
	if (cJSON_IsString(v)) {
		if (strlen(v->valuestring) > SPAN_MAX_STRING)
			return nf_fail(c, "value", "longer than %u bytes", SPAN_MAX_STRING);
		sval = v->valuestring;
	} else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		tmp.value = v->valuedouble;
		tmp.has_value = 1;
	} else if (cJSON_IsBool(v)) {
		tmp.value = cJSON_IsTrue(v);
		tmp.has_value = 1;
	} else {
		return nf_fail(c, "value", "must be a number or a string");
	}
	const char *stype = sval ? "categorical" : cJSON_IsBool(v) ? "boolean" : "numeric";
	if (dtype && strcmp(dtype, "NUMERIC") == 0 && !sval)
		stype = "numeric";
	else if (dtype && strcmp(dtype, "BOOLEAN") == 0 && !sval)
		stype = "boolean";
	else if (dtype && strcmp(dtype, "CATEGORICAL") == 0)
		stype = "categorical";
	else if (dtype)
		return nf_fail(c, "dataType", "must be NUMERIC, CATEGORICAL or BOOLEAN (with a %s value)",
		               sval ? "string: CATEGORICAL" : "number");
	if (strcmp(stype, "boolean") == 0 && tmp.value != 0 && tmp.value != 1)
		return nf_fail(c, "value", "a BOOLEAN score is 0 or 1");
	struct score *sc = span_batch_add_score(c->b);
	*sc = tmp;
	sc->name = arena_strdup(c->a, name);
	sc->string_value = sval ? arena_strdup(c->a, sval) : NULL;
	sc->score_type = stype;
	sc->comment = comment ? arena_strdup(c->a, comment) : NULL;
	sc->source = arena_strdup(c->a, source && *source ? source : "API");
	sc->id = id && *id ? arena_strdup(c->a, id) : NULL;
	sc->session_id = session;
	sc->time_ns = time_ns;
	sc->project = c->b->project_header;
	return 0;
}

/* ---- the batch ---- */

enum err native_langfuse_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	struct lf_ctx x;
	struct langfuse_io *io = b->langfuse;
	const cJSON *batch = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "batch") : NULL;
	int rc = ERR_OK;
	if (!io)   /* nothing stored to build on, answers only in the batch */
		io = b->langfuse = arena_alloc(b->arena, sizeof *io);
	memset(&x, 0, sizeof x);
	nf_init(&x.c, b, err, errlen, "tracelite.native.langfuse");
	x.io = io;
	if (!cJSON_IsArray(batch))
		return nf_fail(&x.c, "", "must be an object with a \"batch\" array of events");
	int n = cJSON_GetArraySize(batch);
	if (n > NATIVE_MAX_ITEMS)
		return nf_fail(&x.c, "batch", "more than %d events", NATIVE_MAX_ITEMS);
	io->nanswers = (size_t)n;
	io->answers = arena_alloc(b->arena, (n ? (size_t)n : 1) * sizeof *io->answers);
	x.ev = arena_alloc(b->arena, (n ? (size_t)n : 1) * sizeof *x.ev);
	x.ent_ids = intern_new();
	struct intern *event_ids = intern_new();
	char item_err[400];
	x.c.err = item_err;
	x.c.errlen = sizeof item_err;

	/* envelopes: every event answered, accepted ones kept */
	size_t i = 0;
	for (const cJSON *it = batch->child; it; it = it->next, i++) {
		struct lf_event ev = {.index = i};
		const char *event_id;
		int64_t dup;
		snprintf(x.c.where, sizeof x.c.where, "batch[%zu]", i);
		int bad = event_check(&x, it, &ev, &event_id);
		io->answers[i].id = arena_strdup(b->arena, event_id ? event_id : "");
		if (bad) {
			answer(&x, i, 400, item_err);
			continue;
		}
		answer(&x, i, 201, NULL);
		/* a batch sent again (the 3.x SDK resends whole batches) */
		if (intern_get(event_ids, event_id, strlen(event_id), &dup) || (io->seen && io->seen(io->ctx, event_id))) {
			io->answers[i].duplicate = 1;
			continue;
		}
		intern_put(event_ids, event_id, strlen(event_id), 1);
		if (ev.type->kind == LF_SCORE) {
			snprintf(x.c.where, sizeof x.c.where, "batch[%zu].body", i);
			if (score_event(&x, ev.body, ev.time_ns))
				answer(&x, i, 400, item_err);
		} else if (ev.type->kind != LF_LOG) {
			x.ev[x.nev++] = ev;
		}
	}
	intern_free(event_ids);

	/* entities: their events in order, over their stored versions */
	qsort(x.ev, x.nev, sizeof *x.ev, event_cmp);
	if (x.nev) {
		Tl__Resource *r = nf_resource_begin(&x.c);
		otlp_attr_str(x.c.a, &r->attributes, &r->n_attributes, "service.name", "langfuse");
	}
	for (size_t lo = 0, hi; lo < x.nev; lo = hi) {
		for (hi = lo; hi < x.nev && x.ev[hi].ent == x.ev[lo].ent; hi++)
			;
		struct lf_ent *e = &x.ents[x.ev[lo].ent];
		if (ent_ids(&x, e, x.ev + lo, hi - lo)) {
			for (size_t k = lo; k < hi; k++)
				answer(&x, x.ev[k].index, 400, item_err);
			continue;
		}
		ent_begin(&x, e);
		ent_apply(&x, e, x.ev + lo, hi - lo);
		ent_finish(&x, e, x.ev + lo, hi - lo);
	}
	roots_widen(&x);
	intern_free(x.ent_ids);
	x.c.err = err;
	x.c.errlen = errlen;
	if (x.nev)
		rc = span_batch_add_request(b, x.c.req, err, errlen);
	for (size_t k = 0; k < b->nspans; k++)
		b->spans[k].replace = 1;
	return rc;
}
