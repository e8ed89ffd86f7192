/* genai.c: maps the LLM attribute conventions (OTel GenAI, OpenInference,
 * OpenLLMetry, Neon and tracelite's own keys; DESIGN.md section 4) onto the
 * hot fields of a span. One pass over the attributes with a hashed key table;
 * the only allocations are flattened message text and JSON (written by
 * base/json, then copied), in the arena. */
#include "ingest/genai.h"
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "base/json.h"
#include "base/jsonscan.h"

enum field {
	F_TYPE, F_PROVIDER, F_MODEL, F_IN_TOK, F_OUT_TOK, F_CACHE_R, F_CACHE_W,
	F_COST, F_SESSION, F_USER, F_INPUT, F_OUTPUT, F_LEVEL, F_STATUS_MSG, F_TRACE_NAME,
	F_AI_OP, F_COUNT
};

/* How a value is read: a span kind vocabulary, or a plain value shape. */
enum vkind {
	V_KIND_OTEL, V_KIND_OI, V_KIND_TRACELOOP, V_KIND_TRACELITE, V_KIND_LANGFUSE, V_KIND_AI,
	V_STR, V_COUNT, V_COST, V_ID, V_TEXT,
	V_USAGE,       /* a usage object (JSON text or kvlist): every token field */
	V_COST_JSON,   /* a cost object: total, else the sum of its parts */
	V_LEVEL,       /* Langfuse level: ERROR makes the span an error */
	V_STATUS_MSG,  /* Langfuse status message: the error's message */
	V_TRACE_NAME,  /* names the span's trace */
};

struct key {
	const char *name;
	unsigned char field, rank, kind;
};

/* Looked up by hash (lookup); kept sorted by name for the reader. rank: lower wins; equal ranks keep the first
 * attribute seen. Indexed message keys (llm.input_messages.N...) are matched
 * by prefix in match_indexed, with the ranks RANK_OI_MSGS / RANK_LLMETRY_MSGS. */
static const struct key keys[] = {
	{"ai.model.id", F_MODEL, 2, V_STR},
	{"ai.model.provider", F_PROVIDER, 4, V_STR},
	{"ai.operationId", F_AI_OP, 0, V_KIND_AI},
	{"ai.prompt", F_INPUT, 6, V_TEXT},
	{"ai.prompt.messages", F_INPUT, 2, V_TEXT},
	{"ai.response.object", F_OUTPUT, 3, V_TEXT},
	{"ai.response.text", F_OUTPUT, 2, V_TEXT},
	{"ai.response.toolCalls", F_OUTPUT, 4, V_TEXT},
	{"ai.result.object", F_OUTPUT, 6, V_TEXT},
	{"ai.result.text", F_OUTPUT, 6, V_TEXT},
	{"ai.result.toolCalls", F_OUTPUT, 7, V_TEXT},
	{"ai.telemetry.metadata.sessionId", F_SESSION, 2, V_ID},
	{"ai.telemetry.metadata.userId", F_USER, 2, V_ID},
	{"ai.toolCall.args", F_INPUT, 5, V_TEXT},
	{"ai.toolCall.input", F_INPUT, 5, V_TEXT},
	{"ai.toolCall.output", F_OUTPUT, 5, V_TEXT},
	{"ai.toolCall.result", F_OUTPUT, 5, V_TEXT},
	{"ai.usage.cachedInputTokens", F_CACHE_R, 3, V_COUNT},
	{"ai.usage.completionTokens", F_OUT_TOK, 3, V_COUNT},
	{"ai.usage.inputTokens", F_IN_TOK, 3, V_COUNT},
	{"ai.usage.outputTokens", F_OUT_TOK, 3, V_COUNT},
	{"ai.usage.promptTokens", F_IN_TOK, 3, V_COUNT},
	{"enduser.id", F_USER, 1, V_ID},
	{"gen_ai.completion", F_OUTPUT, 4, V_TEXT},
	{"gen_ai.conversation.id", F_SESSION, 0, V_ID},
	{"gen_ai.input.messages", F_INPUT, 0, V_TEXT},
	{"gen_ai.operation.name", F_TYPE, 0, V_KIND_OTEL},
	{"gen_ai.output.messages", F_OUTPUT, 0, V_TEXT},
	{"gen_ai.prompt", F_INPUT, 4, V_TEXT},
	{"gen_ai.provider.name", F_PROVIDER, 0, V_STR},
	{"gen_ai.request.model", F_MODEL, 1, V_STR},
	{"gen_ai.response.model", F_MODEL, 0, V_STR},
	{"gen_ai.system", F_PROVIDER, 1, V_STR},
	{"gen_ai.tool.call.arguments", F_INPUT, 5, V_TEXT},
	{"gen_ai.tool.call.result", F_OUTPUT, 5, V_TEXT},
	{"gen_ai.usage.cache_creation.input_tokens", F_CACHE_W, 0, V_COUNT},
	{"gen_ai.usage.cache_read.input_tokens", F_CACHE_R, 0, V_COUNT},
	{"gen_ai.usage.completion_tokens", F_OUT_TOK, 1, V_COUNT},
	{"gen_ai.usage.cost", F_COST, 1, V_COST},
	{"gen_ai.usage.input_tokens", F_IN_TOK, 0, V_COUNT},
	{"gen_ai.usage.output_tokens", F_OUT_TOK, 0, V_COUNT},
	{"gen_ai.usage.prompt_tokens", F_IN_TOK, 1, V_COUNT},
	{"input.value", F_INPUT, 1, V_TEXT},
	{"langfuse.observation.cost_details", F_COST, 0, V_COST_JSON},
	{"langfuse.observation.input", F_INPUT, 0, V_TEXT},
	{"langfuse.observation.level", F_LEVEL, 0, V_LEVEL},
	{"langfuse.observation.model.name", F_MODEL, 1, V_STR},
	{"langfuse.observation.output", F_OUTPUT, 0, V_TEXT},
	{"langfuse.observation.status_message", F_STATUS_MSG, 0, V_STATUS_MSG},
	{"langfuse.observation.type", F_TYPE, 0, V_KIND_LANGFUSE},
	{"langfuse.observation.usage_details", F_IN_TOK, 0, V_USAGE},
	{"langfuse.session.id", F_SESSION, 1, V_ID},
	{"langfuse.trace.input", F_INPUT, 3, V_TEXT},
	{"langfuse.trace.name", F_TRACE_NAME, 0, V_TRACE_NAME},
	{"langfuse.trace.output", F_OUTPUT, 3, V_TEXT},
	{"langfuse.user.id", F_USER, 1, V_ID},
	{"llm.cost.total", F_COST, 0, V_COST},
	{"llm.model_name", F_MODEL, 2, V_STR},
	{"llm.provider", F_PROVIDER, 2, V_STR},
	{"llm.system", F_PROVIDER, 3, V_STR},
	{"llm.token_count.completion", F_OUT_TOK, 2, V_COUNT},
	{"llm.token_count.prompt", F_IN_TOK, 2, V_COUNT},
	{"llm.token_count.prompt_details.cache_read", F_CACHE_R, 1, V_COUNT},
	{"llm.token_count.prompt_details.cache_write", F_CACHE_W, 1, V_COUNT},
	{"openinference.span.kind", F_TYPE, 1, V_KIND_OI},
	{"output.value", F_OUTPUT, 1, V_TEXT},
	{"session.id", F_SESSION, 1, V_ID},
	{"span_type", F_TYPE, 4, V_KIND_TRACELITE},
	{"tracelite.cost_usd", F_COST, 2, V_COST},
	{"tracelite.span.type", F_TYPE, 3, V_KIND_TRACELITE},
	{"traceloop.span.kind", F_TYPE, 2, V_KIND_TRACELOOP},
	{"user.id", F_USER, 0, V_ID},
};

/* The rank of the Vercel AI SDK's ai.usage.* keys: the outer calls
 * (ai.generateText) repeat the usage of their ai.*.do* children, so
 * counted on both the trace would hold it twice; finish_ai drops it there. */
#define RANK_AI_USAGE 3

#define RANK_OI_MSGS 2       /* llm.input_messages.N.message.* */
#define RANK_LLMETRY_MSGS 3  /* gen_ai.prompt.N.* / gen_ai.completion.N.* */
#define RANK_NONE 255

/* Span kind vocabularies, compared case-insensitively. */
struct kind_name {
	const char *name;
	int type;
};
static const struct kind_name kinds_otel[] = {
	{"chat", SPAN_TYPE_LLM}, {"text_completion", SPAN_TYPE_LLM},
	{"generate_content", SPAN_TYPE_LLM}, {"embeddings", SPAN_TYPE_EMBEDDING},
	{"execute_tool", SPAN_TYPE_TOOL}, {"invoke_agent", SPAN_TYPE_AGENT},
	{"create_agent", SPAN_TYPE_AGENT}, {"retrieval", SPAN_TYPE_RETRIEVAL},
	{NULL, 0},
};
static const struct kind_name kinds_oi[] = {
	{"LLM", SPAN_TYPE_LLM}, {"TOOL", SPAN_TYPE_TOOL}, {"AGENT", SPAN_TYPE_AGENT},
	{"RETRIEVER", SPAN_TYPE_RETRIEVAL}, {"RERANKER", SPAN_TYPE_RETRIEVAL},
	{"EMBEDDING", SPAN_TYPE_EMBEDDING}, {"CHAIN", SPAN_TYPE_SPAN},
	{"GUARDRAIL", SPAN_TYPE_SPAN}, {"EVALUATOR", SPAN_TYPE_SPAN},
	{"PROMPT", SPAN_TYPE_SPAN}, {"UNKNOWN", SPAN_TYPE_SPAN},
	{NULL, 0},
};
static const struct kind_name kinds_traceloop[] = {
	{"llm", SPAN_TYPE_LLM}, {"workflow", SPAN_TYPE_SPAN}, {"task", SPAN_TYPE_SPAN},
	{"agent", SPAN_TYPE_AGENT}, {"tool", SPAN_TYPE_TOOL},
	{NULL, 0},
};
/* tracelite.span.type and Neon's span_type (Neon calls LLM calls
 * "generation" and has a few planning-style kinds that are plain spans). */
static const struct kind_name kinds_tracelite[] = {
	{"llm", SPAN_TYPE_LLM}, {"generation", SPAN_TYPE_LLM}, {"tool", SPAN_TYPE_TOOL},
	{"retrieval", SPAN_TYPE_RETRIEVAL}, {"agent", SPAN_TYPE_AGENT},
	{"embedding", SPAN_TYPE_EMBEDDING}, {"span", SPAN_TYPE_SPAN},
	{"event", SPAN_TYPE_SPAN}, {"reasoning", SPAN_TYPE_SPAN},
	{"planning", SPAN_TYPE_SPAN}, {"routing", SPAN_TYPE_SPAN},
	{"memory", SPAN_TYPE_SPAN}, {"prompt", SPAN_TYPE_SPAN},
	{NULL, 0},
};
/* langfuse.observation.type (lowercase in OTLP, uppercase in batches). */
static const struct kind_name kinds_langfuse[] = {
	{"generation", SPAN_TYPE_LLM}, {"span", SPAN_TYPE_SPAN}, {"event", SPAN_TYPE_SPAN},
	{"agent", SPAN_TYPE_AGENT}, {"tool", SPAN_TYPE_TOOL}, {"chain", SPAN_TYPE_SPAN},
	{"retriever", SPAN_TYPE_RETRIEVAL}, {"embedding", SPAN_TYPE_EMBEDDING},
	{"evaluator", SPAN_TYPE_SPAN}, {"guardrail", SPAN_TYPE_SPAN},
	{NULL, 0},
};
/* ai.operationId of the Vercel AI SDK: the provider calls (ai.*.do*) are
 * the LLM spans, the calls around them plain spans. */
static const struct kind_name kinds_ai[] = {
	{"ai.generateText.doGenerate", SPAN_TYPE_LLM}, {"ai.streamText.doStream", SPAN_TYPE_LLM},
	{"ai.generateObject.doGenerate", SPAN_TYPE_LLM}, {"ai.streamObject.doStream", SPAN_TYPE_LLM},
	{"ai.embed.doEmbed", SPAN_TYPE_EMBEDDING}, {"ai.embedMany.doEmbed", SPAN_TYPE_EMBEDDING},
	{"ai.toolCall", SPAN_TYPE_TOOL}, {"ai.generateText", SPAN_TYPE_SPAN},
	{"ai.streamText", SPAN_TYPE_SPAN}, {"ai.generateObject", SPAN_TYPE_SPAN},
	{"ai.streamObject", SPAN_TYPE_SPAN}, {"ai.embed", SPAN_TYPE_SPAN},
	{"ai.embedMany", SPAN_TYPE_SPAN},
	{NULL, 0},
};
static const struct kind_name *const kind_tables[] = {
	[V_KIND_OTEL] = kinds_otel, [V_KIND_OI] = kinds_oi,
	[V_KIND_TRACELOOP] = kinds_traceloop, [V_KIND_TRACELITE] = kinds_tracelite,
	[V_KIND_LANGFUSE] = kinds_langfuse, [V_KIND_AI] = kinds_ai,
};

/* Indexed message families, in prefix order of match_indexed. */
enum family { FAM_OI_IN, FAM_OI_OUT, FAM_LM_IN, FAM_LM_OUT };

struct part {
	const char *val;
	uint32_t idx;
	unsigned char fam, is_content;
};

#define PARTS_STACK 32

/* Everything one normalize call accumulates; lives on the stack. */
struct acc {
	unsigned char rank[F_COUNT];
	const Tl__AnyValue *text[2];          /* F_INPUT, F_OUTPUT winners */
	struct part stack[PARTS_STACK];
	struct part *parts;
	size_t nparts, cap;
	unsigned fam_seen;                    /* bit per family */
	int has_count;                        /* some token count was read */
	int ai_op;                            /* ai.operationId's type, -1 none */
	int ai_outer;                         /* ai.operationId is a call around ai.*.do* */
	int error_level;                      /* langfuse.observation.level = ERROR */
	const char *status_msg;               /* langfuse.observation.status_message */
};

static int kind_lookup(int vkind, const Tl__AnyValue *v)
{
	if (v->value_case != TL__ANY_VALUE__VALUE_STRING_VALUE)
		return -1;
	for (const struct kind_name *k = kind_tables[vkind]; k->name; k++)
		if (strcasecmp(k->name, v->string_value) == 0)
			return k->type;
	return -1;
}

/* A token count: an int, an integral double, or a numeric string; >= 0. */
static int read_count(const Tl__AnyValue *v, int64_t *out)
{
	double d;
	switch (v->value_case) {
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		if (v->int_value < 0)
			return 0;
		*out = v->int_value;
		return 1;
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		d = v->double_value;
		break;
	case TL__ANY_VALUE__VALUE_STRING_VALUE: {
		const char *s = v->string_value;
		size_t i = 0;
		int64_t n = 0;
		while (s[i] >= '0' && s[i] <= '9' && i < 18)
			n = n * 10 + (s[i++] - '0');
		if (i > 0 && s[i] == 0) {
			*out = n;
			return 1;
		}
		char *end;
		d = strtod(s, &end);
		if (end == s || *end)
			return 0;
		break;
	}
	default:
		return 0;
	}
	if (!isfinite(d) || d < 0 || d >= 9.2e18 || d != floor(d))
		return 0;
	*out = (int64_t)d;
	return 1;
}

static int read_cost(const Tl__AnyValue *v, double *out)
{
	double d;
	char *end;
	switch (v->value_case) {
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		d = (double)v->int_value;
		break;
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		d = v->double_value;
		break;
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		d = strtod(v->string_value, &end);
		if (end == v->string_value || *end)
			return 0;
		break;
	default:
		return 0;
	}
	if (!isfinite(d) || d < 0)
		return 0;
	*out = d;
	return 1;
}

static const char *read_str(const Tl__AnyValue *v)
{
	if (v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE && v->string_value && *v->string_value)
		return v->string_value;
	return NULL;
}

/* Ids may come as strings or integers (user.id = 42). */
static const char *read_id(const Tl__AnyValue *v, struct arena *a)
{
	if (v->value_case == TL__ANY_VALUE__VALUE_INT_VALUE) {
		char *buf = arena_alloc(a, 24);
		snprintf(buf, 24, "%" PRId64, v->int_value);
		return buf;
	}
	return read_str(v);
}

static int text_ok(const Tl__AnyValue *v)
{
	return read_str(v) || v->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE ||
	       v->value_case == TL__ANY_VALUE__VALUE_KVLIST_VALUE;
}

/* ---- usage and cost objects (Langfuse usage_details / cost_details) ---- */

/* Longest usage or cost JSON text read: they are a few numbers. */
#define DETAILS_MAX 4096

/* Calls fn(key, number, arg) for each numeric member of v: a JSON object
 * as text, or a kvlist; one level of nested objects is walked too
 * (prompt_tokens_details.cached_tokens), their keys as "outer.inner". */
static void details_each(const Tl__AnyValue *v, void (*fn)(const char *, double, void *), void *arg)
{
	if (v->value_case == TL__ANY_VALUE__VALUE_KVLIST_VALUE && v->kvlist_value) {
		for (size_t i = 0; i < v->kvlist_value->n_values; i++) {
			const Tl__KeyValue *kv = v->kvlist_value->values[i];
			int64_t n;
			double d;
			if (!kv || !kv->key || !kv->value)
				continue;
			if (read_count(kv->value, &n))
				fn(kv->key, (double)n, arg);
			else if (read_cost(kv->value, &d))
				fn(kv->key, d, arg);
		}
		return;
	}
	const char *text = read_str(v);
	struct json_shape shape;
	char err[128];
	if (!text || strlen(text) > DETAILS_MAX || json_scan(text, strlen(text), 512, &shape, err, sizeof err) ||
	    shape.root != '{')
		return;
	cJSON *root = cJSON_Parse(text);
	for (const cJSON *m = root ? root->child : NULL; m; m = m->next) {
		if (cJSON_IsNumber(m) && isfinite(m->valuedouble) && m->valuedouble >= 0) {
			fn(m->string, m->valuedouble, arg);
		} else if (cJSON_IsObject(m) && strlen(m->string) < 64) {
			for (const cJSON *in = m->child; in; in = in->next) {
				char key[160];
				if (!cJSON_IsNumber(in) || !isfinite(in->valuedouble) || in->valuedouble < 0)
					continue;
				snprintf(key, sizeof key, "%s.%.64s", m->string, in->string);
				fn(key, in->valuedouble, arg);
			}
		}
	}
	cJSON_Delete(root);
}

/* Token counts found in a usage object; -1 = absent. */
struct usage {
	int64_t in, out, cache_r, cache_w;
	int in_has_cache;     /* the input count already includes cached tokens */
};

/* Usage keys of the shapes the SDKs send: Langfuse (input, output,
 * input_cached_tokens), OpenAI (prompt_tokens, prompt_tokens_details),
 * Anthropic (input_tokens, cache_read_input_tokens), the JS SDK 3.x
 * (promptTokens) and the Vercel AI SDK (inputTokens). */
static const struct usage_key {
	const char *name;
	unsigned char field;       /* F_IN_TOK, F_OUT_TOK, F_CACHE_R, F_CACHE_W */
	unsigned char has_cache;   /* an input count that includes cached tokens */
} usage_keys[] = {
	{"input", F_IN_TOK, 0}, {"input_tokens", F_IN_TOK, 0}, {"prompt_tokens", F_IN_TOK, 1},
	{"promptTokens", F_IN_TOK, 1}, {"inputTokens", F_IN_TOK, 1},
	{"output", F_OUT_TOK, 0}, {"output_tokens", F_OUT_TOK, 0}, {"completion_tokens", F_OUT_TOK, 0},
	{"completionTokens", F_OUT_TOK, 0}, {"outputTokens", F_OUT_TOK, 0},
	{"input_cached_tokens", F_CACHE_R, 0}, {"input_cache_read", F_CACHE_R, 0},
	{"cache_read_input_tokens", F_CACHE_R, 0}, {"cachedInputTokens", F_CACHE_R, 0},
	{"prompt_tokens_details.cached_tokens", F_CACHE_R, 0}, {"input_tokens_details.cached_tokens", F_CACHE_R, 0},
	{"input_cache_creation", F_CACHE_W, 0}, {"cache_creation_input_tokens", F_CACHE_W, 0},
};

static void usage_member(const char *key, double d, void *arg)
{
	struct usage *u = arg;
	if (d != floor(d) || d > 9007199254740992.0)
		return;
	for (size_t i = 0; i < sizeof usage_keys / sizeof usage_keys[0]; i++) {
		const struct usage_key *k = &usage_keys[i];
		if (strcmp(key, k->name) != 0)
			continue;
		int64_t *dst = k->field == F_IN_TOK ? &u->in : k->field == F_OUT_TOK ? &u->out
		               : k->field == F_CACHE_R ? &u->cache_r : &u->cache_w;
		if (*dst < 0) {
			*dst = (int64_t)d;
			if (k->field == F_IN_TOK)
				u->in_has_cache = k->has_cache;
		}
		return;
	}
}

/* Sets every token field the usage object v holds, where rank outranks
 * what is there. GenAI input tokens include cached ones: Langfuse's and
 * Anthropic's input count excludes them, so they are added back. */
static void apply_usage(struct span *s, struct acc *acc, unsigned char rank, const Tl__AnyValue *v)
{
	struct usage u = {-1, -1, -1, -1, 0};
	details_each(v, usage_member, &u);
	if (u.in >= 0 && !u.in_has_cache)
		u.in += (u.cache_r > 0 ? u.cache_r : 0) + (u.cache_w > 0 ? u.cache_w : 0);
	const struct {
		int64_t n;
		int field;
		int64_t *dst;
	} set[] = {
		{u.in, F_IN_TOK, &s->input_tokens}, {u.out, F_OUT_TOK, &s->output_tokens},
		{u.cache_r, F_CACHE_R, &s->cache_read_tokens}, {u.cache_w, F_CACHE_W, &s->cache_write_tokens},
	};
	for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
		if (set[i].n < 0 || rank >= acc->rank[set[i].field])
			continue;
		*set[i].dst = set[i].n;
		acc->rank[set[i].field] = rank;
		acc->has_count = 1;
	}
}

/* Sums a cost object: "total" when present, else every other member. */
struct cost_sum {
	double total, parts;
	int has_total, has_parts;
};

static void cost_member(const char *key, double d, void *arg)
{
	struct cost_sum *c = arg;
	if (strcmp(key, "total") == 0) {
		c->total = d;
		c->has_total = 1;
	} else if (!strchr(key, '.')) {
		c->parts += d;
		c->has_parts = 1;
	}
}

static int read_cost_details(const Tl__AnyValue *v, double *out)
{
	struct cost_sum c = {0, 0, 0, 0};
	details_each(v, cost_member, &c);
	if (!c.has_total && !c.has_parts)
		return 0;
	*out = c.has_total ? c.total : c.parts;
	return 1;
}

/* Applies one matched key to the span if it outranks what is there. */
static void apply(struct span *s, struct arena *a, struct acc *acc, const struct key *k,
                  const Tl__AnyValue *v)
{
	if (v && k->kind == V_USAGE) {
		apply_usage(s, acc, k->rank, v);
		return;
	}
	if (!v || k->rank >= acc->rank[k->field])
		return;
	int t;
	int64_t n;
	double d;
	const char *str;
	switch (k->kind) {
	case V_KIND_OTEL:
	case V_KIND_OI:
	case V_KIND_TRACELOOP:
	case V_KIND_TRACELITE:
	case V_KIND_LANGFUSE:
		if ((t = kind_lookup(k->kind, v)) < 0)
			return;
		s->type = t;
		break;
	case V_KIND_AI:
		if ((t = kind_lookup(k->kind, v)) < 0)
			return;
		acc->ai_op = t;
		acc->ai_outer = !strstr(v->string_value, ".do") && strcmp(v->string_value, "ai.toolCall") != 0;
		break;
	case V_LEVEL:
		if (!(str = read_str(v)))
			return;
		acc->error_level = strcasecmp(str, "ERROR") == 0;
		break;
	case V_STATUS_MSG:
		if (!(str = read_str(v)))
			return;
		acc->status_msg = str;
		break;
	case V_TRACE_NAME:
		if (!(str = read_str(v)))
			return;
		s->trace_name = str;
		break;
	case V_STR:
		if (!(str = read_str(v)))
			return;
		if (k->field == F_PROVIDER)
			s->provider = str;
		else
			s->model = str;
		break;
	case V_ID:
		if (!(str = read_id(v, a)))
			return;
		if (k->field == F_SESSION)
			s->session_id = str;
		else
			s->user_id = str;
		break;
	case V_COUNT:
		if (!read_count(v, &n))
			return;
		acc->has_count = 1;
		if (k->field == F_IN_TOK)
			s->input_tokens = n;
		else if (k->field == F_OUT_TOK)
			s->output_tokens = n;
		else if (k->field == F_CACHE_R)
			s->cache_read_tokens = n;
		else
			s->cache_write_tokens = n;
		break;
	case V_COST:
	case V_COST_JSON:
		if (!(k->kind == V_COST ? read_cost(v, &d) : read_cost_details(v, &d)))
			return;
		s->cost_usd = d;
		s->has_cost = 1;
		s->cost_source = SPAN_COST_CLIENT;
		break;
	case V_TEXT:
		if (!text_ok(v))
			return;
		acc->text[k->field == F_OUTPUT] = v;
		break;
	}
	acc->rank[k->field] = k->rank;
}

static void part_push(struct acc *acc, struct arena *a, struct part p)
{
	if (acc->nparts == acc->cap) {
		size_t cap = acc->cap * 2;
		struct part *fresh = arena_alloc(a, cap * sizeof *fresh);
		memcpy(fresh, acc->parts, acc->nparts * sizeof *fresh);
		acc->parts = fresh;
		acc->cap = cap;
	}
	acc->parts[acc->nparts++] = p;
	acc->fam_seen |= 1u << p.fam;
}

struct prefix {
	const char *pre, *role, *content;
	size_t len;
	unsigned char fam;
};
static const struct prefix prefixes[] = {
	{"llm.input_messages.", ".message.role", ".message.content", 19, FAM_OI_IN},
	{"llm.output_messages.", ".message.role", ".message.content", 20, FAM_OI_OUT},
	{"gen_ai.prompt.", ".role", ".content", 14, FAM_LM_IN},
	{"gen_ai.completion.", ".role", ".content", 18, FAM_LM_OUT},
};

/* llm.input_messages.3.message.content and friends: records the part. */
static void match_indexed(struct acc *acc, struct arena *a, const char *key, const Tl__AnyValue *v)
{
	if (!v || v->value_case != TL__ANY_VALUE__VALUE_STRING_VALUE)
		return;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		const struct prefix *p = &prefixes[i];
		if (strncmp(key, p->pre, p->len) != 0)
			continue;
		const char *q = key + p->len;
		uint32_t idx = 0;
		int digits = 0;
		while (*q >= '0' && *q <= '9' && digits < 9) {
			idx = idx * 10 + (uint32_t)(*q++ - '0');
			digits++;
		}
		if (!digits)
			return;
		int is_content;
		if (strcmp(q, p->role) == 0)
			is_content = 0;
		else if (strcmp(q, p->content) == 0)
			is_content = 1;
		else
			return;
		part_push(acc, a, (struct part){v->string_value, idx, p->fam, (unsigned char)is_content});
		return;
	}
}

static int part_before(const struct part *p, const struct part *q)
{
	if (p->fam != q->fam)
		return p->fam < q->fam;
	if (p->idx != q->idx)
		return p->idx < q->idx;
	return p->is_content < q->is_content;
}

/* Insertion sort: exporters emit messages in order, so this is linear in
 * practice, and unlike qsort it never mallocs. */
static void parts_sort(struct part *p, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct part x = p[i];
		size_t j = i;
		while (j > 0 && part_before(&x, &p[j - 1])) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = x;
	}
}

/* Flattens one family into "role: content" lines joined by '\n'. Parts are
 * sorted by family, index, role-before-content. */
static const char *flatten(struct acc *acc, struct arena *a, int fam)
{
	size_t lo = 0, hi;
	while (lo < acc->nparts && acc->parts[lo].fam != fam)
		lo++;
	for (hi = lo; hi < acc->nparts && acc->parts[hi].fam == fam; hi++)
		;
	/* two passes over the same walk: measure, then write */
	char *out = NULL;
	size_t len = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t w = 0;
		for (size_t i = lo; i < hi;) {
			uint32_t idx = acc->parts[i].idx;
			const char *role = NULL, *content = NULL;
			for (; i < hi && acc->parts[i].idx == idx; i++) {
				if (acc->parts[i].is_content)
					content = content ? content : acc->parts[i].val;
				else
					role = role ? role : acc->parts[i].val;
			}
			size_t rl = role ? strlen(role) : 0, cl = content ? strlen(content) : 0;
			if (w) {
				if (pass)
					out[w] = '\n';
				w++;
			}
			if (role) {
				if (pass) {
					memcpy(out + w, role, rl);
					memcpy(out + w + rl, ": ", 2);
				}
				w += rl + 2;
			}
			if (pass && cl)
				memcpy(out + w, content, cl);
			w += cl;
		}
		if (!pass) {
			len = w;
			out = arena_alloc(a, len + 1);
		}
	}
	out[len] = 0;
	return out;
}

/* ---- AnyValue -> JSON text, for structured message attributes ---- */

static void jw_value(struct jbuf *w, const Tl__AnyValue *v, int depth)
{
	if (!v || depth > SPAN_MAX_DEPTH) {
		jbuf_lit(w, "null");
		return;
	}
	switch (v->value_case) {
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		json_strz(w, v->string_value);
		break;
	case TL__ANY_VALUE__VALUE_BOOL_VALUE:
		if (v->bool_value)
			jbuf_lit(w, "true");
		else
			jbuf_lit(w, "false");
		break;
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		json_i64(w, v->int_value);
		break;
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		json_double(w, v->double_value);
		break;
	case TL__ANY_VALUE__VALUE_BYTES_VALUE:
		json_base64(w, v->bytes_value.data, v->bytes_value.len);
		break;
	case TL__ANY_VALUE__VALUE_ARRAY_VALUE:
		jbuf_putc(w, '[');
		for (size_t i = 0; v->array_value && i < v->array_value->n_values; i++) {
			if (i)
				jbuf_putc(w, ',');
			jw_value(w, v->array_value->values[i], depth + 1);
		}
		jbuf_putc(w, ']');
		break;
	case TL__ANY_VALUE__VALUE_KVLIST_VALUE:
		jbuf_putc(w, '{');
		for (size_t i = 0; v->kvlist_value && i < v->kvlist_value->n_values; i++) {
			const Tl__KeyValue *kv = v->kvlist_value->values[i];
			if (i)
				jbuf_putc(w, ',');
			json_strz(w, kv ? kv->key : NULL);
			jbuf_putc(w, ':');
			jw_value(w, kv ? kv->value : NULL, depth + 1);
		}
		jbuf_putc(w, '}');
		break;
	default:
		jbuf_lit(w, "null");
	}
}

/* A string value as is; an array or kvlist as compact JSON in the arena,
 * or NULL (no text) if that JSON would pass SPAN_MAX_STRING: escaping can
 * make it several times the size of the request. */
static const char *text_of(const Tl__AnyValue *v, struct arena *a)
{
	if (v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE)
		return v->string_value;
	struct jbuf w;
	jbuf_init(&w, SPAN_MAX_STRING);
	jw_value(&w, v, 0);
	size_t n = 0;
	char *json = jbuf_finish(&w, &n);
	if (!json)
		return NULL;
	const char *out = arena_strndup(a, json, n);
	free(json);
	return out;
}

/* The key table by hash (open addressing), built once: a lookup runs for
 * every attribute of every span, in the request threads and again in the
 * search indexer, and bsearch's strcmps over names sharing long prefixes
 * ("gen_ai.usage.") cost more than one hash and one comparison. */
#define KEY_SLOTS 1024u
static struct key_slot {
	uint64_t hash;
	size_t len;
	const struct key *key;   /* NULL: empty */
} key_slots[KEY_SLOTS];
static pthread_once_t key_slots_once = PTHREAD_ONCE_INIT;
static atomic_int key_slots_ready;

/* A hash of s[0..n) from its length and three 8-byte loads (its first,
 * middle and last bytes), not a pass over every byte (FNV-1a, byte by
 * byte, was 2% of the request threads' time): names differ toward their
 * ends, and a hit compares the whole name. */
static uint64_t key_hash(const char *s, size_t n)
{
	uint64_t a = 0, b = 0, c = 0;
	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + (n - 8) / 2, 8);
		memcpy(&c, s + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			a |= (uint64_t)(unsigned char)s[i] << (8 * i);
	}
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full) ^ (c * 0x165667b19e3779f9ull) ^ n;
	return h ^ (h >> 31);
}

static void key_slots_init(void)
{
	_Static_assert(sizeof keys / sizeof keys[0] < KEY_SLOTS / 2, "key table too full");
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		size_t n = strlen(keys[i].name);
		uint64_t h = key_hash(keys[i].name, n);
		uint32_t j = (uint32_t)h & (KEY_SLOTS - 1);
		while (key_slots[j].key)
			j = (j + 1) & (KEY_SLOTS - 1);
		key_slots[j] = (struct key_slot){h, n, &keys[i]};
	}
	atomic_store_explicit(&key_slots_ready, 1, memory_order_release);
}

static const struct key *lookup(const char *name)
{
	if (!atomic_load_explicit(&key_slots_ready, memory_order_acquire))
		pthread_once(&key_slots_once, key_slots_init);
	size_t n = strlen(name);
	uint64_t h = key_hash(name, n);
	for (uint32_t j = (uint32_t)h & (KEY_SLOTS - 1); key_slots[j].key; j = (j + 1) & (KEY_SLOTS - 1))
		if (key_slots[j].hash == h && key_slots[j].len == n && memcmp(key_slots[j].key->name, name, n) == 0)
			return key_slots[j].key;
	return NULL;
}

int genai_text_key(const char *key)
{
	const struct key *k = lookup(key);
	if (k)
		return k->kind == V_TEXT;
	if (key[0] != 'l' && key[0] != 'g')
		return 0;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(key, prefixes[i].pre, prefixes[i].len) == 0)
			return 1;
	return 0;
}

/* Picks between the best plain text attribute and the indexed families. */
static const char *resolve_text(struct acc *acc, struct arena *a, int field, int fam_oi, int fam_lm)
{
	int rank = acc->rank[field];
	if (rank > RANK_OI_MSGS && (acc->fam_seen & 1u << fam_oi))
		return flatten(acc, a, fam_oi);
	if (rank > RANK_LLMETRY_MSGS && (acc->fam_seen & 1u << fam_lm))
		return flatten(acc, a, fam_lm);
	return acc->text[field == F_OUTPUT] ? text_of(acc->text[field == F_OUTPUT], a) : NULL;
}

/* The Vercel AI SDK's ai.operationId types the span when no other
 * convention did; on the calls around the provider call (ai.generateText)
 * the ai.usage.* counts repeat their child's and are dropped. */
static void finish_ai(struct span *s, struct acc *acc)
{
	if (acc->ai_op < 0)
		return;
	if (acc->rank[F_TYPE] == RANK_NONE) {
		s->type = acc->ai_op;
		acc->rank[F_TYPE] = 6;
	}
	if (!acc->ai_outer)
		return;
	int64_t *const tok[] = {&s->input_tokens, &s->output_tokens, &s->cache_read_tokens};
	const int field[] = {F_IN_TOK, F_OUT_TOK, F_CACHE_R};
	for (int i = 0; i < 3; i++)
		if (acc->rank[field[i]] == RANK_AI_USAGE) {
			*tok[i] = 0;
			acc->rank[field[i]] = RANK_NONE;
		}
}

void genai_normalize(struct span *s, struct arena *a)
{
	struct acc acc;
	memset(acc.rank, RANK_NONE, sizeof acc.rank);
	acc.text[0] = acc.text[1] = NULL;
	acc.parts = acc.stack;
	acc.nparts = 0;
	acc.cap = PARTS_STACK;
	acc.fam_seen = 0;
	acc.has_count = 0;
	acc.ai_op = -1;
	acc.ai_outer = 0;
	acc.error_level = 0;
	acc.status_msg = NULL;

	s->type = SPAN_TYPE_SPAN;
	s->provider = s->model = s->session_id = s->user_id = NULL;
	s->input_text = s->output_text = NULL;
	s->input_tokens = s->output_tokens = s->cache_read_tokens = s->cache_write_tokens = 0;
	s->cost_usd = 0;
	s->has_cost = 0;
	s->cost_source = SPAN_COST_NONE;
	s->trace_name = NULL;

	const Tl__Span *sp = s->otlp;
	for (size_t i = 0; sp && i < sp->n_attributes; i++) {
		const Tl__KeyValue *kv = sp->attributes[i];
		if (!kv || !kv->key || !kv->value)
			continue;
		const struct key *k = lookup(kv->key);
		if (k)
			apply(s, a, &acc, k, kv->value);
		else if (kv->key[0] == 'l' || kv->key[0] == 'g')
			match_indexed(&acc, a, kv->key, kv->value);
	}

	/* session and user may be set once for a whole process */
	const Tl__Resource *res = s->resource;
	if (res && (acc.rank[F_SESSION] == RANK_NONE || acc.rank[F_USER] == RANK_NONE)) {
		unsigned char had_session = acc.rank[F_SESSION], had_user = acc.rank[F_USER];
		for (size_t i = 0; i < res->n_attributes; i++) {
			const Tl__KeyValue *kv = res->attributes[i];
			if (!kv || !kv->key)
				continue;
			const struct key *k = lookup(kv->key);
			if (k && ((k->field == F_SESSION && had_session == RANK_NONE) ||
			          (k->field == F_USER && had_user == RANK_NONE)))
				apply(s, a, &acc, k, kv->value);
		}
	}

	finish_ai(s, &acc);
	if (acc.error_level) {
		/* Langfuse marks errors with the level only (OTel status unset) */
		s->status_code = 2;
		if (acc.status_msg && (!s->status_message || !*s->status_message))
			s->status_message = acc.status_msg;
	}
	if (acc.rank[F_TYPE] == RANK_NONE && (s->model || acc.has_count))
		s->type = SPAN_TYPE_LLM;
	parts_sort(acc.parts, acc.nparts);
	s->input_text = resolve_text(&acc, a, F_INPUT, FAM_OI_IN, FAM_LM_IN);
	s->output_text = resolve_text(&acc, a, F_OUTPUT, FAM_OI_OUT, FAM_LM_OUT);
}
