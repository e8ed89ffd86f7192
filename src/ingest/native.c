/* native.c: CognObserve's and Neon's JSON ingest shapes -> OTLP structs in
 * the batch arena -> span_batch_add_request, plus Neon-style scores. Field
 * values land on the attribute conventions genai.c reads, so native spans
 * and OTLP spans are normalized by the same code.
 *
 * Mapping choices: input/output -> input.value/output.value (JSON text unless
 * a string) with input.mime_type; model -> gen_ai.request.model; token counts
 * -> gen_ai.usage.input_tokens/output_tokens, totals -> llm.token_count.total;
 * model parameters -> gen_ai.request.* plus llm.invocation_parameters;
 * metadata -> metadata.* (objects flattened, arrays kept); Neon attributes{}
 * verbatim. A trace object becomes a root span whose id is derived from the
 * trace id; Neon trace totals (total_tokens, total_cost, ...) are kept as
 * neon.* only, so they are not added to the sums of the trace's spans.
 * Times: ISO-8601 (no zone = UTC) or epoch numbers whose size says their
 * unit, as text_parse_time and text_epoch_ns read them (src/base/text.h). */
#include "ingest/native.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "base/err.h"
#include "otlp/otlp_build.h"
#include "base/rng.h"
#include "base/text.h"
#include "ingest/batch.h"

#define KIND_INTERNAL 1   /* OTLP SPAN_KIND_INTERNAL */

struct nctx {
	struct span_batch *b;
	struct arena *a;
	char *err;
	size_t errlen;
	char where[64];                  /* "", "[3]", "spans[2]", "[1].spans[4]" */
	uint64_t now_ns;
	struct rng rng;                  /* seeded on first use */
	int seeded;
	Tl__ExportTraceServiceRequest *req;
	Tl__ScopeSpans *ss;              /* new spans go here */
	const char *scope_name;
	const char *res_project;         /* project_id of the current resource */
	int have_res;
	char key[SPAN_MAX_NAME + 1];     /* attribute key being flattened */
	size_t keylen;
};

static void ctx_init(struct nctx *c, struct span_batch *b, char *err, size_t errlen, const char *scope)
{
	memset(c, 0, offsetof(struct nctx, key));
	c->key[0] = 0;
	c->keylen = 0;
	c->b = b;
	c->a = b->arena;
	c->err = err;
	c->errlen = errlen;
	c->scope_name = scope;
	c->now_ns = text_now_ns();
	c->req = arena_alloc(c->a, sizeof *c->req);
	tl__export_trace_service_request__init(c->req);
}

/* Formats "<where>.<field>: <msg>" into err and returns ERR_BAD_INPUT. */
static int fail(struct nctx *c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct nctx *c, const char *field, const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *sep = *c->where && *field ? "." : "";
	const char *name = *c->where || *field ? field : "body";
	return err_set(c->err, c->errlen, ERR_BAD_INPUT, "%s%s%s: %s", c->where, sep, name, msg);
}

/* ---- random ids ---- */

static void rng_id(struct nctx *c, uint8_t *out, size_t n)
{
	if (!c->seeded) {
		rng_seed_random(&c->rng);
		c->seeded = 1;
	}
	uint64_t any;
	do {
		any = 0;
		for (size_t i = 0; i < n; i += 8) {
			uint64_t x = rng_next(&c->rng);
			memcpy(out + i, &x, n - i < 8 ? n - i : 8);
			any |= x;
		}
	} while (!any);
}

/* ---- field access ---- */

/* A field of an object: its value (NULL when absent or JSON null) and the
 * name it was found under, for error messages. */
struct fld {
	const cJSON *v;
	const char *name;
};

/* The first of names present in o with a non-null value; when none is, the
 * first name with a NULL value. */
static struct fld field_of(const cJSON *o, const char *const *names)
{
	for (const char *const *n = names; *n; n++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, *n);
		if (v && !cJSON_IsNull(v))
			return (struct fld){v, *n};
	}
	return (struct fld){NULL, names[0]};
}
#define F(o, ...) field_of((o), (const char *const[]){__VA_ARGS__, NULL})

static int opt_str(struct nctx *c, struct fld f, size_t max, const char **out)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return fail(c, name, "must be a string");
	if (strlen(v->valuestring) > max)
		return fail(c, name, "longer than %zu bytes", max);
	*out = v->valuestring;
	return 0;
}

static int req_str(struct nctx *c, struct fld f, size_t max, const char **out)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	if (!v)
		return fail(c, name, "required");
	return opt_str(c, f, max, out);
}

static int opt_num(struct nctx *c, struct fld f, double *out, int *has)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	*has = 0;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return fail(c, name, "must be a number");
	if (v->valuedouble < 0)
		return fail(c, name, "must not be negative");
	*out = v->valuedouble;
	*has = 1;
	return 0;
}

/* Longer than a year is a unit mistake (seconds sent as ms) or hostile; it
 * would also overflow the end time. */
#define NATIVE_MAX_DURATION_MS (366.0 * 86400e3)

/* duration_ms as nanoseconds. */
static int opt_duration(struct nctx *c, struct fld f, uint64_t *out_ns, int *has)
{
	double ms = 0;
	int rc = opt_num(c, f, &ms, has);
	if (rc || !*has)
		return rc;
	if (ms > NATIVE_MAX_DURATION_MS)
		return fail(c, f.name, "must be at most %.0f (366 days in milliseconds)", NATIVE_MAX_DURATION_MS);
	*out_ns = (uint64_t)(ms * 1e6);
	return 0;
}

static int opt_count(struct nctx *c, struct fld f, int64_t *out, int *has)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	*has = 0;
	if (!v)
		return 0;
	double d = v->valuedouble;
	if (!cJSON_IsNumber(v) || !isfinite(d) || d < 0 || d != floor(d) || d > 9007199254740992.0)
		return fail(c, name, "must be a non-negative integer");
	*out = (int64_t)d;
	*has = 1;
	return 0;
}

static int opt_obj(struct nctx *c, struct fld f, const cJSON **out)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return fail(c, name, "must be an object");
	*out = v;
	return 0;
}

/* An ISO-8601 string, an epoch number or an epoch digit string; the unit
 * of an epoch number is told by its size (text.h). */
static int opt_time(struct nctx *c, struct fld f, uint64_t *out, int *has)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	*has = 0;
	if (!v)
		return 0;
	int rc = ERR_BAD_INPUT;
	if (cJSON_IsNumber(v))
		rc = text_epoch_ns(v->valuedouble, out);
	else if (cJSON_IsString(v))
		rc = text_parse_time(v->valuestring, out);
	if (rc)
		return fail(c, name, "not an ISO-8601 time or a unix epoch number (s, ms, us or ns)");
	*has = 1;
	return 0;
}

/* An id string mapped with id_from_any; "" counts as absent. */
static int opt_id(struct nctx *c, struct fld f, uint8_t *out, size_t n, int *has)
{
	const char *s;
	*has = 0;
	int rc = opt_str(c, f, SPAN_MAX_NAME, &s);
	if (rc || !s || !*s)
		return rc;
	id_from_any(s, out, n);
	*has = 1;
	return 0;
}

static int json_too_deep(const cJSON *v, int depth)
{
	if (depth > SPAN_MAX_DEPTH)
		return 1;
	for (const cJSON *ch = v->child; ch; ch = ch->next)
		if (json_too_deep(ch, depth + 1))
			return 1;
	return 0;
}

/* A string as is, anything else as compact JSON; copied into the arena. */
static int json_text(struct nctx *c, const cJSON *v, const char *name, char **out)
{
	if (cJSON_IsString(v)) {
		size_t len = strlen(v->valuestring);
		if (len > SPAN_MAX_STRING)
			return fail(c, name, "longer than %u bytes", SPAN_MAX_STRING);
		*out = arena_strndup(c->a, v->valuestring, len);
		return 0;
	}
	if (json_too_deep(v, 0))
		return fail(c, name, "nested deeper than %d levels", SPAN_MAX_DEPTH);
	char *p = cJSON_PrintUnformatted(v);
	if (!p) {
		fputs("tracelite: out of memory\n", stderr);
		abort();
	}
	size_t len = strlen(p);
	if (len > SPAN_MAX_STRING) {
		cJSON_free(p);
		return fail(c, name, "longer than %u bytes as JSON", SPAN_MAX_STRING);
	}
	*out = arena_strndup(c->a, p, len);
	cJSON_free(p);
	return 0;
}

/* ---- attributes ---- */

struct attrs {
	Tl__KeyValue ***kv;
	size_t *n;
};

static struct attrs span_attrs(Tl__Span *sp)
{
	return (struct attrs){&sp->attributes, &sp->n_attributes};
}

/* Adds an arena-owned string without copying it again. */
static void put_owned(struct nctx *c, struct attrs at, const char *key, char *val)
{
	Tl__AnyValue *v = otlp_any_new(c->a);
	v->value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
	v->string_value = val;
	otlp_push(c->a, at.kv, at.n, otlp_kv_new(c->a, key, v));
}

/* Converts any JSON value to an AnyValue (objects inside arrays become
 * kvlists); strings are copied and length-checked, null stays unset. */
static int json_any(struct nctx *c, const cJSON *v, int depth, const char *name, Tl__AnyValue **out)
{
	if (depth > SPAN_MAX_DEPTH)
		return fail(c, name, "nested deeper than %d levels", SPAN_MAX_DEPTH);
	Tl__AnyValue *av = otlp_any_new(c->a);
	*out = av;
	if (cJSON_IsString(v)) {
		size_t len = strlen(v->valuestring);
		if (len > SPAN_MAX_STRING)
			return fail(c, name, "longer than %u bytes", SPAN_MAX_STRING);
		av->value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
		av->string_value = arena_strndup(c->a, v->valuestring, len);
	} else if (cJSON_IsBool(v)) {
		av->value_case = TL__ANY_VALUE__VALUE_BOOL_VALUE;
		av->bool_value = cJSON_IsTrue(v);
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (isfinite(d) && d == floor(d) && fabs(d) < 9.2e18) {
			av->value_case = TL__ANY_VALUE__VALUE_INT_VALUE;
			av->int_value = (int64_t)d;
		} else {
			av->value_case = TL__ANY_VALUE__VALUE_DOUBLE_VALUE;
			av->double_value = d;
		}
	} else if (cJSON_IsArray(v)) {
		av->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
		av->array_value = arena_alloc(c->a, sizeof *av->array_value);
		tl__array_value__init(av->array_value);
		for (const cJSON *ch = v->child; ch; ch = ch->next) {
			Tl__AnyValue *e;
			int rc = json_any(c, ch, depth + 1, name, &e);
			if (rc)
				return rc;
			otlp_push(c->a, &av->array_value->values, &av->array_value->n_values, e);
		}
	} else if (cJSON_IsObject(v)) {
		av->value_case = TL__ANY_VALUE__VALUE_KVLIST_VALUE;
		av->kvlist_value = arena_alloc(c->a, sizeof *av->kvlist_value);
		tl__key_value_list__init(av->kvlist_value);
		for (const cJSON *ch = v->child; ch; ch = ch->next) {
			Tl__AnyValue *e;
			const char *k = ch->string ? ch->string : "";
			if (strlen(k) > SPAN_MAX_NAME)
				return fail(c, name, "attribute key longer than %d bytes", SPAN_MAX_NAME);
			int rc = json_any(c, ch, depth + 1, name, &e);
			if (rc)
				return rc;
			otlp_push(c->a, &av->kvlist_value->values, &av->kvlist_value->n_values, otlp_kv_new(c->a, k, e));
		}
	}
	return 0;
}

/* Adds v under the key in c->key; objects are flattened into dotted keys
 * (metadata.a.b), arrays kept as array values, nulls skipped. */
static int flatten(struct nctx *c, struct attrs at, const cJSON *v, int depth, const char *name)
{
	if (depth > SPAN_MAX_DEPTH)
		return fail(c, name, "nested deeper than %d levels", SPAN_MAX_DEPTH);
	if (cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v)) {
		if (*at.n >= SPAN_MAX_ATTRS)
			return fail(c, name, "more than %d attributes", SPAN_MAX_ATTRS);
		Tl__AnyValue *av;
		int rc = json_any(c, v, depth, name, &av);
		if (rc)
			return rc;
		otlp_push(c->a, at.kv, at.n, otlp_kv_new(c->a, c->key, av));
		return 0;
	}
	size_t save = c->keylen;
	for (const cJSON *ch = v->child; ch; ch = ch->next) {
		const char *k = ch->string ? ch->string : "";
		size_t kl = strlen(k), dot = save ? 1 : 0;
		if (save + dot + kl > SPAN_MAX_NAME)
			return fail(c, name, "attribute key longer than %d bytes", SPAN_MAX_NAME);
		if (dot)
			c->key[save] = '.';
		memcpy(c->key + save + dot, k, kl + 1);
		c->keylen = save + dot + kl;
		int rc = flatten(c, at, ch, depth + 1, name);
		c->keylen = save;
		c->key[save] = 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* Flattens object obj under prefix ("" = keys as given). */
static int put_object(struct nctx *c, struct attrs at, const char *prefix, const cJSON *obj, const char *name)
{
	if (!obj)
		return 0;
	size_t pl = strlen(prefix);
	memcpy(c->key, prefix, pl + 1);
	c->keylen = pl;
	int rc = flatten(c, at, obj, 0, name);
	c->keylen = 0;
	c->key[0] = 0;
	return rc;
}

/* input/output: the text under key, and its OpenInference mime type. */
static int put_io(struct nctx *c, Tl__Span *sp, struct fld f, const char *key, const char *mime_key)
{
	const cJSON *v = f.v;
	char *text;
	if (!v)
		return 0;
	int rc = json_text(c, v, f.name, &text);
	if (rc)
		return rc;
	put_owned(c, span_attrs(sp), key, text);
	if (mime_key)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, mime_key,
		              cJSON_IsString(v) ? "text/plain" : "application/json");
	return 0;
}

/* Model parameters that have a gen_ai.request.* name; camelCase too. */
static const struct param {
	const char *json, *attr;
	char kind;   /* d double, i integer, s stop sequences */
} params[] = {
	{"temperature", "gen_ai.request.temperature", 'd'},
	{"top_p", "gen_ai.request.top_p", 'd'},
	{"topP", "gen_ai.request.top_p", 'd'},
	{"top_k", "gen_ai.request.top_k", 'd'},
	{"topK", "gen_ai.request.top_k", 'd'},
	{"max_tokens", "gen_ai.request.max_tokens", 'i'},
	{"maxTokens", "gen_ai.request.max_tokens", 'i'},
	{"max_output_tokens", "gen_ai.request.max_tokens", 'i'},
	{"frequency_penalty", "gen_ai.request.frequency_penalty", 'd'},
	{"frequencyPenalty", "gen_ai.request.frequency_penalty", 'd'},
	{"presence_penalty", "gen_ai.request.presence_penalty", 'd'},
	{"presencePenalty", "gen_ai.request.presence_penalty", 'd'},
	{"seed", "gen_ai.request.seed", 'i'},
	{"stop", "gen_ai.request.stop_sequences", 's'},
	{"stop_sequences", "gen_ai.request.stop_sequences", 's'},
};

/* "stop": a string or an array of strings, as a string array; *out is NULL
 * for anything else. */
static int stop_sequences(struct nctx *c, const cJSON *v, const char *name, Tl__AnyValue **out)
{
	*out = NULL;
	if (cJSON_IsArray(v)) {
		for (const cJSON *e = v->child; e; e = e->next)
			if (!cJSON_IsString(e))
				return 0;
		return json_any(c, v, 1, name, out);
	}
	if (!cJSON_IsString(v))
		return 0;
	Tl__AnyValue *one;
	int rc = json_any(c, v, 2, name, &one);
	if (rc)
		return rc;
	Tl__AnyValue *av = otlp_any_new(c->a);
	av->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
	av->array_value = arena_alloc(c->a, sizeof *av->array_value);
	tl__array_value__init(av->array_value);
	otlp_push(c->a, &av->array_value->values, &av->array_value->n_values, one);
	*out = av;
	return 0;
}

/* Standard parameters become gen_ai.request.*; the whole object is also
 * kept as llm.invocation_parameters (OpenInference). Free-form parameters
 * of unexpected types are only kept in the JSON. */
static int put_params(struct nctx *c, Tl__Span *sp, const cJSON *obj, const char *name)
{
	if (!obj)
		return 0;
	for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
		const struct param *p = &params[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, p->json);
		if (!v || otlp_attr_find(sp->attributes, sp->n_attributes, p->attr))
			continue;
		if (p->kind == 'd' && cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
			otlp_attr_double(c->a, &sp->attributes, &sp->n_attributes, p->attr, v->valuedouble);
		} else if (p->kind == 'i' && cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
		           fabs(v->valuedouble) < 9.2e18) {
			otlp_attr_int(c->a, &sp->attributes, &sp->n_attributes, p->attr, (int64_t)v->valuedouble);
		} else if (p->kind == 's') {
			Tl__AnyValue *av;
			int rc = stop_sequences(c, v, name, &av);
			if (rc)
				return rc;
			if (av)
				otlp_push(c->a, &sp->attributes, &sp->n_attributes, otlp_kv_new(c->a, p->attr, av));
		}
	}
	char *text;
	int rc = json_text(c, obj, name, &text);
	if (rc)
		return rc;
	put_owned(c, span_attrs(sp), "llm.invocation_parameters", text);
	return 0;
}

/* ---- OTLP structure ---- */

/* Starts a new ResourceSpans/ScopeSpans pair that following spans go to. */
static Tl__Resource *resource_begin(struct nctx *c)
{
	Tl__ResourceSpans *rs = arena_alloc(c->a, sizeof *rs);
	tl__resource_spans__init(rs);
	rs->resource = arena_alloc(c->a, sizeof *rs->resource);
	tl__resource__init(rs->resource);
	Tl__ScopeSpans *ss = arena_alloc(c->a, sizeof *ss);
	tl__scope_spans__init(ss);
	ss->scope = arena_alloc(c->a, sizeof *ss->scope);
	tl__instrumentation_scope__init(ss->scope);
	ss->scope->name = (char *)c->scope_name;
	otlp_push(c->a, &rs->scope_spans, &rs->n_scope_spans, ss);
	otlp_push(c->a, &c->req->resource_spans, &c->req->n_resource_spans, rs);
	c->ss = ss;
	c->have_res = 1;
	return rs->resource;
}

/* Neon resources: service "neon", one per run of items with the same
 * project_id (which span.c reads as openinference.project.name). */
static void neon_resource(struct nctx *c, const char *project)
{
	if (c->have_res && (project == c->res_project ||
	                    (project && c->res_project && strcmp(project, c->res_project) == 0)))
		return;
	Tl__Resource *r = resource_begin(c);
	otlp_attr_str(c->a, &r->attributes, &r->n_attributes, "service.name", "neon");
	if (project)
		otlp_attr_str(c->a, &r->attributes, &r->n_attributes, "openinference.project.name", project);
	c->res_project = project;
}

static Tl__Span *span_new(struct nctx *c, const uint8_t *trace_id, const uint8_t *span_id)
{
	Tl__Span *sp = arena_alloc(c->a, sizeof *sp);
	tl__span__init(sp);
	sp->trace_id.data = arena_alloc(c->a, 16);
	sp->trace_id.len = 16;
	memcpy(sp->trace_id.data, trace_id, 16);
	sp->span_id.data = arena_alloc(c->a, 8);
	sp->span_id.len = 8;
	memcpy(sp->span_id.data, span_id, 8);
	sp->kind = KIND_INTERNAL;
	sp->name = (char *)"";
	otlp_push(c->a, &c->ss->spans, &c->ss->n_spans, sp);
	return sp;
}

static void span_parent(struct nctx *c, Tl__Span *sp, const uint8_t *parent)
{
	sp->parent_span_id.data = arena_alloc(c->a, 8);
	sp->parent_span_id.len = 8;
	memcpy(sp->parent_span_id.data, parent, 8);
}

static void span_status(struct nctx *c, Tl__Span *sp, int code, const char *msg)
{
	if (!code && !msg)
		return;
	sp->status = arena_alloc(c->a, sizeof *sp->status);
	tl__status__init(sp->status);
	sp->status->code = code;
	if (msg)
		sp->status->message = arena_strdup(c->a, msg);
}

/* The root span of a native trace gets a stable id derived from the trace
 * id, so posting the same trace twice updates one root instead of two. */
static void root_span_id(const uint8_t *trace_id, const char *tag, uint8_t *out)
{
	char buf[64];
	id_to_hex(trace_id, 16, buf);
	snprintf(buf + 32, sizeof buf - 32, ":%s-root", tag);
	id_from_any(buf, out, 8);
}

static int span_done(struct nctx *c, const Tl__Span *sp)
{
	if (sp->n_attributes > SPAN_MAX_ATTRS)
		return fail(c, "", "more than %d attributes", SPAN_MAX_ATTRS);
	return 0;
}

/* Each element of an array (or the object itself), as item [i]. */
static int each_item(struct nctx *c, const cJSON *root, int (*fn)(struct nctx *, const cJSON *))
{
	if (cJSON_IsObject(root)) {
		c->where[0] = 0;
		return fn(c, root);
	}
	if (!cJSON_IsArray(root))
		return fail(c, "", "must be a JSON object or array");
	if (!root->child)
		return fail(c, "", "empty array");
	int i = 0;
	for (const cJSON *it = root->child; it; it = it->next, i++) {
		if (i >= NATIVE_MAX_ITEMS) {
			c->where[0] = 0;
			return fail(c, "", "more than %d items", NATIVE_MAX_ITEMS);
		}
		snprintf(c->where, sizeof c->where, "[%d]", i);
		if (!cJSON_IsObject(it))
			return fail(c, "", "must be an object");
		int rc = fn(c, it);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- CognObserve ---- */

struct cog_trace {
	uint8_t trace_id[16], root_id[8];
	uint64_t min_start, max_end;
	int nspans;
};

static int cog_usage(struct nctx *c, Tl__Span *sp, const cJSON *u, const char *uname)
{
	static const struct {
		const char *attr;
		const char *const names[6];
	} map[] = {
		{"gen_ai.usage.input_tokens", {"prompt_tokens", "promptTokens", "prompt", "input_tokens", "inputTokens", NULL}},
		{"gen_ai.usage.output_tokens",
		 {"completion_tokens", "completionTokens", "completion", "output_tokens", "outputTokens", NULL}},
		{"llm.token_count.total", {"total_tokens", "totalTokens", "total", NULL}},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		char name[64];
		struct fld f = field_of(u, map[i].names);
		int64_t n;
		int has;
		snprintf(name, sizeof name, "%s.%s", uname, f.name);
		f.name = name;
		int rc = opt_count(c, f, &n, &has);
		if (rc)
			return rc;
		if (has)
			otlp_attr_int(c->a, &sp->attributes, &sp->n_attributes, map[i].attr, n);
	}
	return 0;
}

static int cog_span(struct nctx *c, const cJSON *o, struct cog_trace *t)
{
	const char *name, *s;
	const cJSON *v;
	uint8_t span_id[8], parent[8];
	int has, has_parent, rc;
	struct fld params = F(o, "model_parameters", "modelParameters"), usage = F(o, "usage", "tokenUsage");

	if ((rc = opt_id(c, F(o, "span_id", "id"), span_id, 8, &has)))
		return rc;
	if (!has)
		rng_id(c, span_id, 8);
	if ((rc = opt_id(c, F(o, "parent_span_id", "parentSpanId"), parent, 8, &has_parent)))
		return rc;
	if ((rc = req_str(c, F(o, "name"), SPAN_MAX_NAME, &name)))
		return rc;
	uint64_t start, end;
	int has_end;
	if ((rc = opt_time(c, F(o, "start_time", "startTime", "timestamp"), &start, &has)))
		return rc;
	if (!has)
		start = c->now_ns;
	if ((rc = opt_time(c, F(o, "end_time", "endTime"), &end, &has_end)))
		return rc;
	if (!has_end || end < start)
		end = start;

	Tl__Span *sp = span_new(c, t->trace_id, span_id);
	sp->name = arena_strdup(c->a, name);
	sp->start_time_unix_nano = start;
	sp->end_time_unix_nano = end;
	span_parent(c, sp, has_parent ? parent : t->root_id);
	if (start < t->min_start)
		t->min_start = start;
	if (end > t->max_end)
		t->max_end = end;

	if ((rc = put_io(c, sp, F(o, "input"), "input.value", "input.mime_type")) ||
	    (rc = put_io(c, sp, F(o, "output"), "output.value", "output.mime_type")))
		return rc;
	if ((rc = opt_str(c, F(o, "model"), SPAN_MAX_NAME, &s)))
		return rc;
	if (s && *s)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, "gen_ai.request.model", s);
	if ((rc = opt_obj(c, params, &v)) || (rc = put_params(c, sp, v, params.name)))
		return rc;
	if ((rc = opt_obj(c, usage, &v)))
		return rc;
	if (v && (rc = cog_usage(c, sp, v, usage.name)))
		return rc;

	const char *level, *msg;
	if ((rc = opt_str(c, F(o, "level"), SPAN_MAX_NAME, &level)) ||
	    (rc = opt_str(c, F(o, "status_message", "statusMessage"), SPAN_MAX_STRING, &msg)))
		return rc;
	if (level && *level)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, "cognobserve.level", level);
	span_status(c, sp, level && strcasecmp(level, "ERROR") == 0 ? 2 : 0, msg);

	if ((rc = opt_obj(c, F(o, "metadata"), &v)) ||
	    (rc = put_object(c, span_attrs(sp), "metadata", v, "metadata")))
		return rc;
	return span_done(c, sp);
}

int native_cognobserve_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	struct nctx ctx, *c = &ctx;
	struct cog_trace t;
	const char *name, *session, *user, *service = NULL;
	const cJSON *meta, *userobj;
	int has, rc;

	ctx_init(c, b, err, errlen, "tracelite.native.cognobserve");
	if (!cJSON_IsObject(root))
		return fail(c, "", "must be a JSON object");
	if ((rc = req_str(c, F(root, "name"), SPAN_MAX_NAME, &name)))
		return rc;
	if (!*name)
		return fail(c, "name", "required");
	if ((rc = opt_id(c, F(root, "trace_id", "traceId", "id"), t.trace_id, 16, &has)))
		return rc;
	if (!has)
		rng_id(c, t.trace_id, 16);
	root_span_id(t.trace_id, "cognobserve", t.root_id);
	if ((rc = opt_str(c, F(root, "session_id", "sessionId"), SPAN_MAX_NAME, &session)) ||
	    (rc = opt_str(c, F(root, "user_id", "userId"), SPAN_MAX_NAME, &user)) ||
	    (rc = opt_obj(c, F(root, "metadata"), &meta)) ||
	    (rc = opt_obj(c, F(root, "user"), &userobj)))
		return rc;
	if (meta) {
		struct fld f = F(meta, "service.name", "service_name", "serviceName");
		f.name = "metadata.service.name";
		if ((rc = opt_str(c, f, SPAN_MAX_NAME, &service)))
			return rc;
	}
	uint64_t ts;
	int has_ts;
	if ((rc = opt_time(c, F(root, "timestamp", "start_time", "startTime"), &ts, &has_ts)))
		return rc;
	const cJSON *spans = F(root, "spans").v;
	if (spans && !cJSON_IsArray(spans))
		return fail(c, "spans", "must be an array");

	/* session and user hold for every span of the trace: resource attributes */
	Tl__Resource *res = resource_begin(c);
	struct attrs ra = {&res->attributes, &res->n_attributes};
	otlp_attr_str(c->a, ra.kv, ra.n, "service.name", service && *service ? service : "cognobserve");
	if (session && *session)
		otlp_attr_str(c->a, ra.kv, ra.n, "session.id", session);
	if (user && *user)
		otlp_attr_str(c->a, ra.kv, ra.n, "user.id", user);
	if ((rc = put_object(c, ra, "user", userobj, "user")))
		return rc;

	Tl__Span *top = span_new(c, t.trace_id, t.root_id);
	top->name = arena_strdup(c->a, name);
	if ((rc = put_object(c, span_attrs(top), "metadata", meta, "metadata")) ||
	    (rc = put_io(c, top, F(root, "input"), "input.value", "input.mime_type")) ||
	    (rc = put_io(c, top, F(root, "output"), "output.value", "output.mime_type")) ||
	    (rc = span_done(c, top)))
		return rc;

	t.min_start = UINT64_MAX;
	t.max_end = 0;
	t.nspans = 0;
	if (spans && cJSON_GetArraySize(spans) > NATIVE_MAX_ITEMS)
		return fail(c, "spans", "more than %d items", NATIVE_MAX_ITEMS);
	for (const cJSON *it = spans ? spans->child : NULL; it; it = it->next, t.nspans++) {
		snprintf(c->where, sizeof c->where, "spans[%d]", t.nspans);
		if (!cJSON_IsObject(it))
			return fail(c, "", "must be an object");
		if ((rc = cog_span(c, it, &t)))
			return rc;
	}
	c->where[0] = 0;
	top->start_time_unix_nano = has_ts ? ts : t.nspans ? t.min_start : c->now_ns;
	top->end_time_unix_nano = t.max_end > top->start_time_unix_nano ? t.max_end : top->start_time_unix_nano;
	return span_batch_add_request(b, c->req, err, errlen);
}

/* ---- Neon ---- */

static int neon_status(struct nctx *c, const cJSON *o, int *code)
{
	const char *s;
	int rc = opt_str(c, F(o, "status"), 32, &s);
	*code = 0;
	if (rc || !s || !*s || strcasecmp(s, "unset") == 0)
		return rc;
	if (strcasecmp(s, "ok") == 0 || strcasecmp(s, "success") == 0)
		*code = 1;
	else if (strcasecmp(s, "error") == 0)
		*code = 2;
	else
		return fail(c, "status", "must be one of unset, ok, error");
	return 0;
}

static int neon_kind(struct nctx *c, const cJSON *o, int *kind)
{
	static const char *const kinds[] = {"internal", "server", "client", "producer", "consumer"};
	const char *s;
	int rc = opt_str(c, F(o, "kind"), 32, &s);
	*kind = KIND_INTERNAL;
	if (rc || !s)
		return rc;
	for (int i = 0; i < 5; i++)
		if (strcasecmp(s, kinds[i]) == 0) {
			*kind = i + 1;
			return 0;
		}
	return fail(c, "kind", "must be one of internal, server, client, producer, consumer");
}

/* Neon's flat fields inside attributes{} (as in its trace ingest example)
 * also feed the conventions, unless a top-level field already did. */
static int neon_aliases(struct nctx *c, Tl__Span *sp, const cJSON *attrs)
{
	static const struct {
		const char *json, *attr;
	} alias[] = {
		{"model", "gen_ai.request.model"},
		{"input_tokens", "gen_ai.usage.input_tokens"},
		{"output_tokens", "gen_ai.usage.output_tokens"},
		{"total_tokens", "llm.token_count.total"},
		{"cost_usd", "tracelite.cost_usd"},
		{"user_id", "user.id"},
		{"session_id", "session.id"},
		{"agent_id", "gen_ai.agent.id"},
	};
	for (size_t i = 0; attrs && i < sizeof alias / sizeof alias[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, alias[i].json);
		Tl__AnyValue *av;
		if (!v || cJSON_IsNull(v) || cJSON_IsObject(v) || cJSON_IsArray(v) ||
		    otlp_attr_find(sp->attributes, sp->n_attributes, alias[i].attr))
			continue;
		int rc = json_any(c, v, 0, alias[i].json, &av);
		if (rc)
			return rc;
		otlp_push(c->a, &sp->attributes, &sp->n_attributes, otlp_kv_new(c->a, alias[i].attr, av));
	}
	return 0;
}

/* Optional strings -> attributes, in a table. */
struct str_field {
	const char *json, *attr;
};

static int put_strs(struct nctx *c, Tl__Span *sp, const cJSON *o, const struct str_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s;
		int rc = opt_str(c, F(o, f[i].json), SPAN_MAX_STRING, &s);
		if (rc)
			return rc;
		if (s && *s)
			otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, f[i].attr, s);
	}
	return 0;
}

/* JSON-valued fields kept as JSON text attributes. */
static int put_jsons(struct nctx *c, Tl__Span *sp, const cJSON *o, const struct str_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = F(o, f[i].json).v;
		char *text;
		if (!v)
			continue;
		int rc = json_text(c, v, f[i].json, &text);
		if (rc)
			return rc;
		put_owned(c, span_attrs(sp), f[i].attr, text);
	}
	return 0;
}

static const struct str_field neon_span_strs[] = {
	{"tool_name", "gen_ai.tool.name"},
};
static const struct str_field neon_span_jsons[] = {
	{"tool_input", "gen_ai.tool.call.arguments"},
	{"tool_output", "gen_ai.tool.call.result"},
	{"input_messages", "gen_ai.input.messages"},
	{"output_messages", "gen_ai.output.messages"},
	{"handoff", "neon.handoff"},
	{"state_snapshots", "neon.state_snapshots"},
	{"artifacts", "neon.artifacts"},
	{"eval_annotations", "neon.eval.annotations"},
	{"skill_selection", "neon.skill_selection"},
	{"mcp_context", "neon.mcp_context"},
	{"decision_metadata", "neon.decision_metadata"},
};
static const struct str_field neon_session_strs[] = {
	{"sessionId", "session.id"},
	{"session_id", "session.id"},
	{"conversationId", "gen_ai.conversation.id"},
	{"userId", "enduser.id"},
	{"user_id", "enduser.id"},
	{"threadId", "neon.thread.id"},
};
static const struct str_field neon_trace_strs[] = {
	{"agent_id", "gen_ai.agent.id"},
	{"agent_version", "neon.agent_version"},
	{"workflow_id", "neon.workflow_id"},
	{"run_id", "neon.run_id"},
	{"user_id", "user.id"},
	{"session_id", "session.id"},
};
#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

/* The parts of a Neon span that a nested span inherits from its trace. */
struct neon_parent {
	const uint8_t *trace_id, *root_id;
	uint64_t start;
	uint64_t min_start, max_end;
};

/* One Neon span record; parent is NULL for /api/spans items. */
static int neon_span(struct nctx *c, const cJSON *o, struct neon_parent *parent)
{
	const char *name, *s, *msg, *project;
	const cJSON *v;
	uint8_t trace_id[16], span_id[8], parent_id[8];
	int has, has_parent, rc, code, kind;

	if ((rc = opt_id(c, F(o, "trace_id"), trace_id, 16, &has)))
		return rc;
	if (!has && !parent)
		return fail(c, "trace_id", "required");
	if (!has)
		memcpy(trace_id, parent->trace_id, 16);
	if ((rc = opt_id(c, F(o, "span_id"), span_id, 8, &has)))
		return rc;
	if (!has && !parent)
		return fail(c, "span_id", "required");
	if (!has)
		rng_id(c, span_id, 8);
	if ((rc = opt_id(c, F(o, "parent_span_id"), parent_id, 8, &has_parent)) ||
	    (rc = req_str(c, F(o, "name"), SPAN_MAX_NAME, &name)) ||
	    (rc = neon_kind(c, o, &kind)) || (rc = neon_status(c, o, &code)) ||
	    (rc = opt_str(c, F(o, "status_message"), SPAN_MAX_STRING, &msg)))
		return rc;
	if (!parent) {
		if ((rc = opt_str(c, F(o, "project_id"), SPAN_MAX_NAME, &project)))
			return rc;
		neon_resource(c, project);
	}

	uint64_t start, end, dur_ns = 0;
	int has_end, has_dur;
	if ((rc = opt_time(c, F(o, "timestamp", "start_time"), &start, &has)))
		return rc;
	if (!has && !parent)
		return fail(c, "timestamp", "required");
	if (!has)
		start = parent->start;
	if ((rc = opt_time(c, F(o, "end_time"), &end, &has_end)) ||
	    (rc = opt_duration(c, F(o, "duration_ms"), &dur_ns, &has_dur)))
		return rc;
	if (!has_end)
		end = has_dur ? start + dur_ns : start;

	Tl__Span *sp = span_new(c, trace_id, span_id);
	sp->name = arena_strdup(c->a, name);
	sp->kind = kind;
	sp->start_time_unix_nano = start;
	sp->end_time_unix_nano = end < start ? start : end;
	if (has_parent)
		span_parent(c, sp, parent_id);
	else if (parent)
		span_parent(c, sp, parent->root_id);
	span_status(c, sp, code, msg && *msg ? msg : NULL);
	if (parent) {
		if (start < parent->min_start)
			parent->min_start = start;
		if (sp->end_time_unix_nano > parent->max_end)
			parent->max_end = sp->end_time_unix_nano;
	}

	if ((rc = opt_str(c, F(o, "span_type", "type"), 64, &s)))
		return rc;
	if (s && *s)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, "span_type", s);
	if ((rc = opt_str(c, F(o, "model"), SPAN_MAX_NAME, &s)))
		return rc;
	if (s && *s)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, "gen_ai.request.model", s);
	if ((rc = opt_obj(c, F(o, "model_parameters"), &v)) ||
	    (rc = put_params(c, sp, v, "model_parameters")))
		return rc;
	static const struct {
		const char *json, *attr;
	} counts[] = {
		{"input_tokens", "gen_ai.usage.input_tokens"},
		{"output_tokens", "gen_ai.usage.output_tokens"},
		{"total_tokens", "llm.token_count.total"},
	};
	for (size_t i = 0; i < NELEM(counts); i++) {
		int64_t n;
		if ((rc = opt_count(c, F(o, counts[i].json), &n, &has)))
			return rc;
		if (has)
			otlp_attr_int(c->a, &sp->attributes, &sp->n_attributes, counts[i].attr, n);
	}
	double cost;
	if ((rc = opt_num(c, F(o, "cost_usd"), &cost, &has)))
		return rc;
	if (has)
		otlp_attr_double(c->a, &sp->attributes, &sp->n_attributes, "tracelite.cost_usd", cost);
	if ((rc = put_io(c, sp, F(o, "input"), "input.value", "input.mime_type")) ||
	    (rc = put_io(c, sp, F(o, "output"), "output.value", "output.mime_type")) ||
	    (rc = put_strs(c, sp, o, neon_span_strs, NELEM(neon_span_strs))) ||
	    (rc = put_jsons(c, sp, o, neon_span_jsons, NELEM(neon_span_jsons))))
		return rc;
	if ((rc = opt_obj(c, F(o, "session"), &v)))
		return rc;
	if (v) {
		char saved[sizeof c->where];
		memcpy(saved, c->where, sizeof saved);
		snprintf(c->where, sizeof c->where, "%.40s%ssession", saved, *saved ? "." : "");
		rc = put_strs(c, sp, v, neon_session_strs, NELEM(neon_session_strs));
		memcpy(c->where, saved, sizeof saved);
		if (rc || (rc = put_jsons(c, sp, o, &(struct str_field){"session", "neon.session"}, 1)))
			return rc;
	}
	if ((rc = opt_obj(c, F(o, "attributes"), &v)) ||
	    (rc = put_object(c, span_attrs(sp), "", v, "attributes")))
		return rc;
	if ((rc = neon_aliases(c, sp, v)))
		return rc;
	return span_done(c, sp);
}

static int neon_span_item(struct nctx *c, const cJSON *o)
{
	return neon_span(c, o, NULL);
}

int native_neon_spans_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	struct nctx ctx;
	ctx_init(&ctx, b, err, errlen, "tracelite.native.neon");
	int rc = each_item(&ctx, root, neon_span_item);
	return rc ? rc : span_batch_add_request(b, ctx.req, err, errlen);
}

static int neon_trace(struct nctx *c, const cJSON *o)
{
	const char *name, *project;
	const cJSON *v, *spans;
	uint8_t trace_id[16], root_id[8];
	int has, rc, code;

	if ((rc = opt_id(c, F(o, "trace_id"), trace_id, 16, &has)))
		return rc;
	if (!has)
		return fail(c, "trace_id", "required");
	root_span_id(trace_id, "neon", root_id);
	if ((rc = req_str(c, F(o, "name"), SPAN_MAX_NAME, &name)) ||
	    (rc = neon_status(c, o, &code)) ||
	    (rc = opt_str(c, F(o, "project_id"), SPAN_MAX_NAME, &project)))
		return rc;
	uint64_t start, end, dur_ns = 0;
	int has_start, has_end, has_dur;
	if ((rc = opt_time(c, F(o, "start_time", "timestamp"), &start, &has_start)) ||
	    (rc = opt_time(c, F(o, "end_time"), &end, &has_end)) ||
	    (rc = opt_duration(c, F(o, "duration_ms"), &dur_ns, &has_dur)))
		return rc;
	spans = F(o, "spans").v;
	if (spans && !cJSON_IsArray(spans))
		return fail(c, "spans", "must be an array");

	neon_resource(c, project);
	Tl__Span *top = span_new(c, trace_id, root_id);
	top->name = arena_strdup(c->a, name);
	span_status(c, top, code, NULL);
	if ((rc = opt_obj(c, F(o, "attributes"), &v)) ||
	    (rc = put_object(c, span_attrs(top), "", v, "attributes")))
		return rc;
	const cJSON *attrs = v;
	if ((rc = opt_obj(c, F(o, "metadata"), &v)) ||
	    (rc = put_object(c, span_attrs(top), "metadata", v, "metadata")) ||
	    (rc = put_strs(c, top, o, neon_trace_strs, NELEM(neon_trace_strs))) ||
	    (rc = put_io(c, top, F(o, "input"), "input.value", "input.mime_type")) ||
	    (rc = put_io(c, top, F(o, "output"), "output.value", "output.mime_type")))
		return rc;
	/* trace totals stay informational: counting them as the root's own
	 * tokens or cost would double the sums of its spans */
	static const char *const totals[][2] = {
		{"total_tokens", "neon.total_tokens"},
		{"llm_calls", "neon.llm_calls"},
		{"tool_calls", "neon.tool_calls"},
	};
	for (size_t i = 0; i < NELEM(totals); i++) {
		int64_t n;
		if ((rc = opt_count(c, F(o, totals[i][0]), &n, &has)))
			return rc;
		if (has)
			otlp_attr_int(c->a, &top->attributes, &top->n_attributes, totals[i][1], n);
	}
	double cost;
	if ((rc = opt_num(c, F(o, "total_cost"), &cost, &has)))
		return rc;
	if (has)
		otlp_attr_double(c->a, &top->attributes, &top->n_attributes, "neon.total_cost", cost);
	if ((rc = neon_aliases(c, top, attrs)) || (rc = span_done(c, top)))
		return rc;

	/* a trace posted when it finished: without a start, it ended now */
	if (!has_start)
		start = has_end ? (end > dur_ns ? end - dur_ns : 0) : c->now_ns - (dur_ns < c->now_ns ? dur_ns : 0);
	struct neon_parent p = {trace_id, root_id, start, UINT64_MAX, 0};
	char item[sizeof c->where];
	memcpy(item, c->where, sizeof item);
	int i = 0;
	if (spans && cJSON_GetArraySize(spans) > NATIVE_MAX_ITEMS)
		return fail(c, "spans", "more than %d items", NATIVE_MAX_ITEMS);
	for (const cJSON *it = spans ? spans->child : NULL; it; it = it->next, i++) {
		snprintf(c->where, sizeof c->where, "%.16s%sspans[%d]", item, *item ? "." : "", i);
		if (!cJSON_IsObject(it))
			return fail(c, "", "must be an object");
		if ((rc = neon_span(c, it, &p)))
			return rc;
	}
	memcpy(c->where, item, sizeof item);
	if (!has_start && !has_end && !has_dur && i > 0)
		start = p.min_start;
	if (!has_end)
		end = has_dur ? start + dur_ns : (p.max_end > start ? p.max_end : start);
	top->start_time_unix_nano = start;
	top->end_time_unix_nano = end < start ? start : end;
	return 0;
}

int native_neon_traces_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	struct nctx ctx;
	ctx_init(&ctx, b, err, errlen, "tracelite.native.neon");
	int rc = each_item(&ctx, root, neon_trace);
	return rc ? rc : span_batch_add_request(b, ctx.req, err, errlen);
}

/* ---- scores ---- */

static int score_item(struct nctx *c, const cJSON *o)
{
	const char *name, *sval, *type, *comment, *source, *id, *project;
	struct fld tf = F(o, "score_type", "data_type");
	const cJSON *v;
	int has, rc;
	struct score tmp;
	memset(&tmp, 0, sizeof tmp);

	if ((rc = opt_id(c, F(o, "trace_id"), tmp.trace_id, 16, &has)))
		return rc;
	if (!has)
		return fail(c, "trace_id", "required");
	if ((rc = opt_id(c, F(o, "span_id"), tmp.span_id, 8, &tmp.has_span)) ||
	    (rc = req_str(c, F(o, "name"), SPAN_MAX_NAME, &name)))
		return rc;
	if (!*name)
		return fail(c, "name", "required");
	v = F(o, "value").v;
	if (v) {
		if (cJSON_IsBool(v))
			tmp.value = cJSON_IsTrue(v) ? 1 : 0;
		else if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
			tmp.value = v->valuedouble;
		else
			return fail(c, "value", "must be a number or a boolean");
		tmp.has_value = 1;
	}
	if ((rc = opt_str(c, F(o, "string_value"), SPAN_MAX_STRING, &sval)) ||
	    (rc = opt_str(c, tf, 32, &type)) ||
	    (rc = opt_str(c, F(o, "comment", "reason"), SPAN_MAX_STRING, &comment)) ||
	    (rc = opt_str(c, F(o, "source"), SPAN_MAX_NAME, &source)) ||
	    (rc = opt_str(c, F(o, "score_id", "id"), SPAN_MAX_NAME, &id)) ||
	    (rc = opt_str(c, F(o, "project_id"), SPAN_MAX_NAME, &project)) ||
	    (rc = opt_time(c, F(o, "timestamp"), &tmp.time_ns, &has)))
		return rc;
	if (!tmp.has_value && !sval)
		return fail(c, "value", "required (a number, or string_value)");
	static const char *const types[] = {"numeric", "categorical", "boolean"};
	const char *stype = NULL;
	if (type) {
		for (int i = 0; i < 3; i++)
			if (strcasecmp(type, types[i]) == 0)
				stype = types[i];
		if (!stype)
			return fail(c, tf.name, "must be one of numeric, categorical, boolean");
	} else {
		stype = cJSON_IsBool(v) ? "boolean" : tmp.has_value ? "numeric" : "categorical";
	}

	struct score *sc = span_batch_add_score(c->b);
	*sc = tmp;
	sc->name = arena_strdup(c->a, name);
	sc->string_value = arena_strdup(c->a, sval);
	sc->score_type = stype;
	sc->comment = arena_strdup(c->a, comment);
	sc->source = arena_strdup(c->a, source && *source ? source : "api");
	sc->id = id && *id ? arena_strdup(c->a, id) : NULL;
	sc->project = c->b->project_header ? c->b->project_header
	              : project && *project ? arena_strdup(c->a, project) : NULL;
	return 0;
}

int native_scores_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	struct nctx ctx;
	ctx_init(&ctx, b, err, errlen, "tracelite.native.scores");
	return each_item(&ctx, root, score_item);
}
