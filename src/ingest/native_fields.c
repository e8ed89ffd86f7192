/* native_fields.c: the helpers the native JSON decoders share (contracts in
 * native_fields.h): typed field reads with their error texts, JSON values
 * as OTLP attributes (objects flattened into dotted keys), model parameters,
 * and the resource/scope/span skeleton. Times: ISO-8601 (no zone = UTC) or
 * epoch numbers whose size says their unit (text_parse_time, text_epoch_ns). */
#include "ingest/native_fields.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/json.h"
#include "base/text.h"
#include "ingest/native.h"

void nf_init(struct nctx *c, struct span_batch *b, char *err, size_t errlen, const char *scope)
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
enum err nf_fail(struct nctx *c, const char *field, const char *fmt, ...)
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

void nf_random_id(struct nctx *c, uint8_t *out, size_t n)
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


/* The first of names present in o with a non-null value; when none is, the
 * first name with a NULL value. */
struct fld nf_field(const cJSON *o, const char *const *names)
{
	for (const char *const *n = names; *n; n++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, *n);
		if (v && !cJSON_IsNull(v))
			return (struct fld){v, *n};
	}
	return (struct fld){NULL, names[0]};
}

enum err nf_opt_str(struct nctx *c, struct fld f, size_t max, const char **out)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return nf_fail(c, name, "must be a string");
	if (strlen(v->valuestring) > max)
		return nf_fail(c, name, "longer than %zu bytes", max);
	*out = v->valuestring;
	return 0;
}

enum err nf_req_str(struct nctx *c, struct fld f, size_t max, const char **out)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	if (!v)
		return nf_fail(c, name, "required");
	return nf_opt_str(c, f, max, out);
}

static int opt_num(struct nctx *c, struct fld f, double *out, int *has)
{
	const cJSON *v = f.v;
	const char *name = f.name;
	*has = 0;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return nf_fail(c, name, "must be a number");
	if (v->valuedouble < 0)
		return nf_fail(c, name, "must not be negative");
	*out = v->valuedouble;
	*has = 1;
	return 0;
}

/* Longer than a year is a unit mistake (seconds sent as ms) or hostile; it
 * would also overflow the end time. */
#define NATIVE_MAX_DURATION_MS (366.0 * 86400e3)

/* duration_ms as nanoseconds. */
enum err nf_opt_duration(struct nctx *c, struct fld f, uint64_t *out_ns, int *has)
{
	double ms = 0;
	int rc = opt_num(c, f, &ms, has);
	if (rc || !*has)
		return rc;
	if (ms > NATIVE_MAX_DURATION_MS)
		return nf_fail(c, f.name, "must be at most %.0f (366 days in milliseconds)", NATIVE_MAX_DURATION_MS);
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
		return nf_fail(c, name, "must be a non-negative integer");
	*out = (int64_t)d;
	*has = 1;
	return 0;
}

/* f's value when it is what is() accepts; else "must be <what>". */
static int opt_typed(struct nctx *c, struct fld f, cJSON_bool (*is)(const cJSON *), const char *what,
                     const cJSON **out)
{
	*out = NULL;
	if (!f.v)
		return 0;
	if (!is(f.v))
		return nf_fail(c, f.name, "must be %s", what);
	*out = f.v;
	return 0;
}

enum err nf_opt_obj(struct nctx *c, struct fld f, const cJSON **out)
{
	return opt_typed(c, f, cJSON_IsObject, "an object", out);
}

enum err nf_opt_array(struct nctx *c, struct fld f, const cJSON **out)
{
	return opt_typed(c, f, cJSON_IsArray, "an array", out);
}

/* An ISO-8601 string, an epoch number or an epoch digit string; the unit
 * of an epoch number is told by its size (text.h). */
enum err nf_opt_time(struct nctx *c, struct fld f, uint64_t *out, int *has)
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
		return nf_fail(c, name, "not an ISO-8601 time or a unix epoch number (s, ms, us or ns)");
	*has = 1;
	return 0;
}

/* An id string mapped with id_from_any; "" counts as absent. */
enum err nf_opt_id(struct nctx *c, struct fld f, uint8_t *out, size_t n, int *has)
{
	const char *s;
	*has = 0;
	int rc = nf_opt_str(c, f, SPAN_MAX_NAME, &s);
	if (rc || !s || !*s)
		return rc;
	id_from_any(s, out, n);
	*has = 1;
	return 0;
}

enum err nf_score_target(struct nctx *c, struct fld tf, struct fld sf, struct score *s, const char **session)
{
	int has;
	enum err rc = nf_opt_id(c, tf, s->trace_id, 16, &has);
	if (!rc)
		rc = nf_opt_str(c, sf, NF_SCORE_SESSION_MAX, session);
	if (rc)
		return rc;
	if (*session && !**session)
		*session = NULL;
	if (!has && !*session)
		return nf_fail(c, tf.name, "required (or %s for a score of a session)", sf.name);
	*session = arena_strdup(c->a, *session);
	s->no_trace = !has;
	return ERR_OK;
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
enum err nf_json_text(struct nctx *c, const cJSON *v, const char *name, char **out)
{
	if (cJSON_IsString(v)) {
		size_t len = strlen(v->valuestring);
		if (len > SPAN_MAX_STRING)
			return nf_fail(c, name, "longer than %u bytes", SPAN_MAX_STRING);
		*out = arena_strndup(c->a, v->valuestring, len);
		return 0;
	}
	if (json_too_deep(v, 0))
		return nf_fail(c, name, "nested deeper than %d levels", SPAN_MAX_DEPTH);
	size_t len;
	char *p = json_print(v, &len);
	if (len > SPAN_MAX_STRING) {
		cJSON_free(p);
		return nf_fail(c, name, "longer than %u bytes as JSON", SPAN_MAX_STRING);
	}
	*out = arena_strndup(c->a, p, len);
	cJSON_free(p);
	return 0;
}

/* ---- attributes ---- */


struct attrs nf_span_attrs(Tl__Span *sp)
{
	return (struct attrs){&sp->attributes, &sp->n_attributes};
}

/* Adds an arena-owned string without copying it again. */
void nf_put_owned(struct nctx *c, struct attrs at, const char *key, char *val)
{
	Tl__AnyValue *v = otlp_any_new(c->a);
	v->value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
	v->string_value = val;
	otlp_push(c->a, at.kv, at.n, otlp_kv_new(c->a, key, v));
}

/* Converts any JSON value to an AnyValue (objects inside arrays become
 * kvlists); strings are copied and length-checked, null stays unset. */
enum err nf_json_any(struct nctx *c, const cJSON *v, int depth, const char *name, Tl__AnyValue **out)
{
	if (depth > SPAN_MAX_DEPTH)
		return nf_fail(c, name, "nested deeper than %d levels", SPAN_MAX_DEPTH);
	Tl__AnyValue *av = otlp_any_new(c->a);
	*out = av;
	if (cJSON_IsString(v)) {
		size_t len = strlen(v->valuestring);
		if (len > SPAN_MAX_STRING)
			return nf_fail(c, name, "longer than %u bytes", SPAN_MAX_STRING);
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
			int rc = nf_json_any(c, ch, depth + 1, name, &e);
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
				return nf_fail(c, name, "attribute key longer than %d bytes", SPAN_MAX_NAME);
			int rc = nf_json_any(c, ch, depth + 1, name, &e);
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
		return nf_fail(c, name, "nested deeper than %d levels", SPAN_MAX_DEPTH);
	if (cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v)) {
		if (*at.n >= SPAN_MAX_ATTRS)
			return nf_fail(c, name, "more than %d attributes", SPAN_MAX_ATTRS);
		Tl__AnyValue *av;
		int rc = nf_json_any(c, v, depth, name, &av);
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
			return nf_fail(c, name, "attribute key longer than %d bytes", SPAN_MAX_NAME);
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

/* Flattens f's object under prefix ("" = keys as given). */
enum err nf_put_object(struct nctx *c, struct attrs at, const char *prefix, struct fld f, const cJSON **out)
{
	const cJSON *obj;
	int rc = nf_opt_obj(c, f, &obj);
	if (out)
		*out = obj;
	if (rc || !obj)
		return rc;
	size_t pl = strlen(prefix);
	memcpy(c->key, prefix, pl + 1);
	c->keylen = pl;
	rc = flatten(c, at, obj, 0, f.name);
	c->keylen = 0;
	c->key[0] = 0;
	return rc;
}

enum err nf_put_str(struct nctx *c, Tl__Span *sp, struct fld f, size_t max, const char *attr)
{
	const char *s;
	int rc = nf_opt_str(c, f, max, &s);
	if (!rc && s && *s)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, attr, s);
	return rc;
}

enum err nf_put_strs(struct nctx *c, Tl__Span *sp, const cJSON *o, const struct field_attr *f, size_t n, size_t max)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = nf_put_str(c, sp, NF(o, f[i].json), max, f[i].attr);
	return rc;
}

enum err nf_put_count(struct nctx *c, Tl__Span *sp, struct fld f, const char *attr)
{
	int64_t n;
	int has;
	int rc = opt_count(c, f, &n, &has);
	if (!rc && has)
		otlp_attr_int(c->a, &sp->attributes, &sp->n_attributes, attr, n);
	return rc;
}

enum err nf_put_num(struct nctx *c, Tl__Span *sp, struct fld f, const char *attr)
{
	double d;
	int has;
	int rc = opt_num(c, f, &d, &has);
	if (!rc && has)
		otlp_attr_double(c->a, &sp->attributes, &sp->n_attributes, attr, d);
	return rc;
}

enum err nf_put_input_output(struct nctx *c, Tl__Span *sp, const cJSON *o)
{
	static const char *const io[][3] = {
		{"input", "input.value", "input.mime_type"},
		{"output", "output.value", "output.mime_type"},
	};
	for (size_t i = 0; i < sizeof io / sizeof io[0]; i++) {
		const cJSON *v = NF(o, io[i][0]).v;
		char *text;
		if (!v)
			continue;
		int rc = nf_json_text(c, v, io[i][0], &text);
		if (rc)
			return rc;
		nf_put_owned(c, nf_span_attrs(sp), io[i][1], text);
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, io[i][2],
		              cJSON_IsString(v) ? "text/plain" : "application/json");
	}
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
		return nf_json_any(c, v, 1, name, out);
	}
	if (!cJSON_IsString(v))
		return 0;
	Tl__AnyValue *one;
	int rc = nf_json_any(c, v, 2, name, &one);
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
enum err nf_put_params(struct nctx *c, Tl__Span *sp, struct fld f)
{
	const cJSON *obj;
	const char *name = f.name;
	int rc = nf_opt_obj(c, f, &obj);
	if (rc || !obj)
		return rc;
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
			if ((rc = stop_sequences(c, v, name, &av)))
				return rc;
			if (av)
				otlp_push(c->a, &sp->attributes, &sp->n_attributes, otlp_kv_new(c->a, p->attr, av));
		}
	}
	char *text;
	if ((rc = nf_json_text(c, obj, name, &text)))
		return rc;
	nf_put_owned(c, nf_span_attrs(sp), "llm.invocation_parameters", text);
	return 0;
}

/* ---- OTLP structure ---- */

/* Starts a new ResourceSpans/ScopeSpans pair that following spans go to. */
Tl__Resource *nf_resource_begin(struct nctx *c)
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

Tl__Span *nf_span_new(struct nctx *c, const uint8_t *trace_id, const uint8_t *span_id)
{
	Tl__Span *sp = arena_alloc(c->a, sizeof *sp);
	tl__span__init(sp);
	sp->trace_id.data = arena_alloc(c->a, 16);
	sp->trace_id.len = 16;
	memcpy(sp->trace_id.data, trace_id, 16);
	sp->span_id.data = arena_alloc(c->a, 8);
	sp->span_id.len = 8;
	memcpy(sp->span_id.data, span_id, 8);
	sp->kind = NATIVE_KIND_INTERNAL;
	sp->name = (char *)"";
	otlp_push(c->a, &c->ss->spans, &c->ss->n_spans, sp);
	return sp;
}

void nf_span_parent(struct nctx *c, Tl__Span *sp, const uint8_t *parent)
{
	sp->parent_span_id.data = arena_alloc(c->a, 8);
	sp->parent_span_id.len = 8;
	memcpy(sp->parent_span_id.data, parent, 8);
}

void nf_span_status(struct nctx *c, Tl__Span *sp, int code, const char *msg)
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
void nf_root_span_id(const uint8_t *trace_id, const char *tag, uint8_t *out)
{
	char buf[64];
	id_to_hex(trace_id, 16, buf);
	snprintf(buf + 32, sizeof buf - 32, ":%s-root", tag);
	id_from_any(buf, out, 8);
}

enum err nf_span_done(struct nctx *c, const Tl__Span *sp)
{
	if (sp->n_attributes > SPAN_MAX_ATTRS)
		return nf_fail(c, "", "more than %d attributes", SPAN_MAX_ATTRS);
	return 0;
}

/* Each element of an array (or the object itself), as item [i]. */
enum err nf_each_item(struct nctx *c, const cJSON *root, enum err (*fn)(struct nctx *, const cJSON *))
{
	if (cJSON_IsObject(root)) {
		c->where[0] = 0;
		return fn(c, root);
	}
	if (!cJSON_IsArray(root))
		return nf_fail(c, "", "must be a JSON object or array");
	if (!root->child)
		return nf_fail(c, "", "empty array");
	int i = 0;
	for (const cJSON *it = root->child; it; it = it->next, i++) {
		if (i >= NATIVE_MAX_ITEMS) {
			c->where[0] = 0;
			return nf_fail(c, "", "more than %d items", NATIVE_MAX_ITEMS);
		}
		snprintf(c->where, sizeof c->where, "[%d]", i);
		if (!cJSON_IsObject(it))
			return nf_fail(c, "", "must be an object");
		int rc = fn(c, it);
		if (rc)
			return rc;
	}
	return 0;
}

enum err nf_each_span(struct nctx *c, const cJSON *spans, enum err (*fn)(struct nctx *, const cJSON *, void *),
                      void *arg, int *count)
{
	char item[sizeof c->where];
	int i = 0, rc = 0;
	*count = 0;
	if (!spans)
		return 0;
	if (cJSON_GetArraySize(spans) > NATIVE_MAX_ITEMS)
		return nf_fail(c, "spans", "more than %d items", NATIVE_MAX_ITEMS);
	memcpy(item, c->where, sizeof item);
	for (const cJSON *it = spans->child; it && !rc; it = it->next, i++) {
		snprintf(c->where, sizeof c->where, "%.16s%sspans[%d]", item, *item ? "." : "", i);
		rc = cJSON_IsObject(it) ? fn(c, it, arg) : nf_fail(c, "", "must be an object");
	}
	memcpy(c->where, item, sizeof item);
	*count = i;
	return rc;
}

void nf_range_add(struct nf_range *r, const Tl__Span *sp)
{
	if (sp->start_time_unix_nano < r->min_start)
		r->min_start = sp->start_time_unix_nano;
	if (sp->end_time_unix_nano > r->max_end)
		r->max_end = sp->end_time_unix_nano;
}
