/* test_genai.c: genai_normalize against every convention of the DESIGN.md
 * table: each key alone, precedence between conventions, value types
 * (int, integral double, numeric string, negatives) and message flattening. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest/genai.h"
#include "otlp/otlp_build.h"
#include "test.h"

struct fx {
	struct arena *a;
	Tl__Span sp;
	Tl__Resource res;
	struct span s;
};

static void fx_init(struct fx *f)
{
	f->a = arena_new();
	tl__span__init(&f->sp);
	tl__resource__init(&f->res);
	memset(&f->s, 0, sizeof f->s);
}

static void fx_free(struct fx *f)
{
	arena_free(f->a);
}

static void str(struct fx *f, const char *k, const char *v)
{
	otlp_attr_str(f->a, &f->sp.attributes, &f->sp.n_attributes, k, v);
}
static void num(struct fx *f, const char *k, int64_t v)
{
	otlp_attr_int(f->a, &f->sp.attributes, &f->sp.n_attributes, k, v);
}
static void dbl(struct fx *f, const char *k, double v)
{
	otlp_attr_double(f->a, &f->sp.attributes, &f->sp.n_attributes, k, v);
}
static void res_str(struct fx *f, const char *k, const char *v)
{
	otlp_attr_str(f->a, &f->res.attributes, &f->res.n_attributes, k, v);
}

static struct span *norm(struct fx *f)
{
	/* dirty the fields first: genai_normalize must set every one */
	memset(&f->s, 0x5a, sizeof f->s);
	f->s.status_code = 0;        /* inputs, set before by batch.c */
	f->s.status_message = "";
	f->s.otlp = &f->sp;
	f->s.resource = f->res.n_attributes ? &f->res : NULL;
	genai_normalize(&f->s, f->a);
	return &f->s;
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* One attribute under key with value val: returns the resulting type. */
static int type_of(const char *key, const char *val)
{
	struct fx f;
	fx_init(&f);
	str(&f, key, val);
	int t = norm(&f)->type;
	fx_free(&f);
	return t;
}

static void test_types(void)
{
	static const struct { const char *key, *val; int type; } cases[] = {
		{"gen_ai.operation.name", "chat", SPAN_TYPE_LLM},
		{"gen_ai.operation.name", "text_completion", SPAN_TYPE_LLM},
		{"gen_ai.operation.name", "generate_content", SPAN_TYPE_LLM},
		{"gen_ai.operation.name", "embeddings", SPAN_TYPE_EMBEDDING},
		{"gen_ai.operation.name", "execute_tool", SPAN_TYPE_TOOL},
		{"gen_ai.operation.name", "invoke_agent", SPAN_TYPE_AGENT},
		{"gen_ai.operation.name", "create_agent", SPAN_TYPE_AGENT},
		{"gen_ai.operation.name", "retrieval", SPAN_TYPE_RETRIEVAL},
		{"gen_ai.operation.name", "teleport", SPAN_TYPE_SPAN},
		{"openinference.span.kind", "LLM", SPAN_TYPE_LLM},
		{"openinference.span.kind", "TOOL", SPAN_TYPE_TOOL},
		{"openinference.span.kind", "AGENT", SPAN_TYPE_AGENT},
		{"openinference.span.kind", "RETRIEVER", SPAN_TYPE_RETRIEVAL},
		{"openinference.span.kind", "RERANKER", SPAN_TYPE_RETRIEVAL},
		{"openinference.span.kind", "EMBEDDING", SPAN_TYPE_EMBEDDING},
		{"openinference.span.kind", "CHAIN", SPAN_TYPE_SPAN},
		{"openinference.span.kind", "llm", SPAN_TYPE_LLM},
		{"traceloop.span.kind", "workflow", SPAN_TYPE_SPAN},
		{"traceloop.span.kind", "task", SPAN_TYPE_SPAN},
		{"traceloop.span.kind", "agent", SPAN_TYPE_AGENT},
		{"traceloop.span.kind", "tool", SPAN_TYPE_TOOL},
		{"traceloop.span.kind", "llm", SPAN_TYPE_LLM},
		{"tracelite.span.type", "llm", SPAN_TYPE_LLM},
		{"tracelite.span.type", "tool", SPAN_TYPE_TOOL},
		{"tracelite.span.type", "retrieval", SPAN_TYPE_RETRIEVAL},
		{"tracelite.span.type", "agent", SPAN_TYPE_AGENT},
		{"tracelite.span.type", "embedding", SPAN_TYPE_EMBEDDING},
		{"tracelite.span.type", "span", SPAN_TYPE_SPAN},
		{"span_type", "generation", SPAN_TYPE_LLM},
		{"span_type", "tool", SPAN_TYPE_TOOL},
		{"span_type", "event", SPAN_TYPE_SPAN},
		{"span_type", "reasoning", SPAN_TYPE_SPAN},
		{"http.method", "GET", SPAN_TYPE_SPAN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int t = type_of(cases[i].key, cases[i].val);
		CHECK(t == cases[i].type, "%s=%s gave %s", cases[i].key, cases[i].val, span_type_name(t));
	}

	struct fx f;
	/* precedence: OTel over OpenInference over traceloop over tracelite, in any order */
	fx_init(&f);
	str(&f, "tracelite.span.type", "embedding");
	str(&f, "traceloop.span.kind", "tool");
	str(&f, "openinference.span.kind", "AGENT");
	str(&f, "gen_ai.operation.name", "chat");
	CHECK(norm(&f)->type == SPAN_TYPE_LLM, "otel first");
	fx_free(&f);
	fx_init(&f);
	str(&f, "tracelite.span.type", "embedding");
	str(&f, "openinference.span.kind", "AGENT");
	str(&f, "traceloop.span.kind", "tool");
	CHECK(norm(&f)->type == SPAN_TYPE_AGENT, "openinference second");
	fx_free(&f);
	fx_init(&f);
	str(&f, "span_type", "retrieval");
	str(&f, "tracelite.span.type", "embedding");
	CHECK(norm(&f)->type == SPAN_TYPE_EMBEDDING, "tracelite.span.type over span_type");
	fx_free(&f);
	/* an unknown value falls through to the next convention */
	fx_init(&f);
	str(&f, "gen_ai.operation.name", "teleport");
	str(&f, "openinference.span.kind", "TOOL");
	CHECK(norm(&f)->type == SPAN_TYPE_TOOL, "unknown otel op falls through");
	fx_free(&f);
	/* an explicit CHAIN stays a span even with a model */
	fx_init(&f);
	str(&f, "openinference.span.kind", "CHAIN");
	str(&f, "llm.model_name", "gpt-4o");
	CHECK(norm(&f)->type == SPAN_TYPE_SPAN, "explicit chain");
	fx_free(&f);
	/* fallbacks: model, token count, nothing */
	fx_init(&f);
	str(&f, "gen_ai.request.model", "gpt-4o");
	CHECK(norm(&f)->type == SPAN_TYPE_LLM, "model implies llm");
	fx_free(&f);
	fx_init(&f);
	num(&f, "llm.token_count.prompt", 0);
	CHECK(norm(&f)->type == SPAN_TYPE_LLM, "token count implies llm");
	fx_free(&f);
	fx_init(&f);
	num(&f, "gen_ai.operation.name", 3);
	CHECK(norm(&f)->type == SPAN_TYPE_SPAN, "non-string kind ignored");
	fx_free(&f);
	/* no attributes at all, and a NULL otlp */
	fx_init(&f);
	struct span *s = norm(&f);
	CHECK(s->type == SPAN_TYPE_SPAN && !s->model && !s->provider && !s->input_text &&
	      !s->output_text && !s->session_id && !s->user_id && s->input_tokens == 0 &&
	      s->output_tokens == 0 && s->cache_read_tokens == 0 && s->cache_write_tokens == 0 &&
	      s->has_cost == 0 && s->cost_usd == 0, "empty span fully reset");
	memset(&f.s, 0x5a, sizeof f.s);
	f.s.otlp = NULL;
	f.s.resource = NULL;
	genai_normalize(&f.s, f.a);
	CHECK(f.s.type == SPAN_TYPE_SPAN && !f.s.model, "NULL otlp");
	fx_free(&f);
}

/* Each of keys[] is given alone, so each later key proves precedence. */
static void check_chain(const char *what, const char *const *keys, size_t n,
                        const char *(*get)(struct span *))
{
	for (size_t first = 0; first < n; first++) {
		struct fx f;
		fx_init(&f);
		/* add in reverse so attribute order never decides */
		for (size_t j = n; j-- > first;)
			str(&f, keys[j], keys[j]);
		const char *got = get(norm(&f));
		CHECK(streq(got, keys[first]), "%s: want %s got %s", what, keys[first], got ? got : "(null)");
		fx_free(&f);
	}
}

static const char *get_provider(struct span *s) { return s->provider; }
static const char *get_model(struct span *s) { return s->model; }
static const char *get_session(struct span *s) { return s->session_id; }
static const char *get_user(struct span *s) { return s->user_id; }
static const char *get_input(struct span *s) { return s->input_text; }
static const char *get_output(struct span *s) { return s->output_text; }

static void test_strings(void)
{
	static const char *const prov[] = {"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"};
	static const char *const model[] = {"gen_ai.response.model", "gen_ai.request.model", "llm.model_name"};
	static const char *const sess[] = {"gen_ai.conversation.id", "session.id"};
	static const char *const user[] = {"user.id", "enduser.id"};
	static const char *const in[] = {"gen_ai.input.messages", "input.value", "gen_ai.prompt",
	                                  "gen_ai.tool.call.arguments"};
	static const char *const out[] = {"gen_ai.output.messages", "output.value", "gen_ai.completion",
	                                   "gen_ai.tool.call.result"};
	check_chain("provider", prov, 4, get_provider);
	check_chain("model", model, 3, get_model);
	check_chain("session", sess, 2, get_session);
	check_chain("user", user, 2, get_user);
	check_chain("input", in, 4, get_input);
	check_chain("output", out, 4, get_output);

	struct fx f;
	/* strings point into the attributes; empty strings do not count */
	fx_init(&f);
	str(&f, "gen_ai.response.model", "");
	str(&f, "gen_ai.request.model", "claude-sonnet-4");
	struct span *s = norm(&f);
	CHECK(s->model == f.sp.attributes[1]->value->string_value, "model points into attrs");
	fx_free(&f);
	/* resource session/user only when the span has none */
	fx_init(&f);
	res_str(&f, "session.id", "res-sess");
	res_str(&f, "enduser.id", "res-user");
	str(&f, "user.id", "span-user");
	s = norm(&f);
	CHECK(streq(s->session_id, "res-sess"), "session from resource");
	CHECK(streq(s->user_id, "span-user"), "span user beats resource");
	fx_free(&f);
	fx_init(&f);
	res_str(&f, "user.id", "res-user");
	res_str(&f, "gen_ai.request.model", "not-read-from-resource");
	str(&f, "enduser.id", "span-enduser");
	s = norm(&f);
	CHECK(streq(s->user_id, "span-enduser"), "any span convention beats the resource");
	CHECK(s->model == NULL, "resource model ignored");
	fx_free(&f);
	/* integer ids are formatted */
	fx_init(&f);
	num(&f, "user.id", 42);
	num(&f, "session.id", -7);
	s = norm(&f);
	CHECK(streq(s->user_id, "42") && streq(s->session_id, "-7"), "int ids %s %s", s->user_id, s->session_id);
	fx_free(&f);
	/* non-string model ignored, next convention used */
	fx_init(&f);
	num(&f, "gen_ai.response.model", 4);
	str(&f, "llm.model_name", "m");
	CHECK(streq(norm(&f)->model, "m"), "int model ignored");
	fx_free(&f);
}

static void test_tokens(void)
{
	struct fx f;
	static const struct { const char *key; int which; } keys[] = {
		{"gen_ai.usage.input_tokens", 0}, {"gen_ai.usage.prompt_tokens", 0},
		{"llm.token_count.prompt", 0}, {"gen_ai.usage.output_tokens", 1},
		{"gen_ai.usage.completion_tokens", 1}, {"llm.token_count.completion", 1},
		{"gen_ai.usage.cache_read.input_tokens", 2},
		{"llm.token_count.prompt_details.cache_read", 2},
		{"gen_ai.usage.cache_creation.input_tokens", 3},
		{"llm.token_count.prompt_details.cache_write", 3},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		fx_init(&f);
		num(&f, keys[i].key, 100 + (int64_t)i);
		struct span *s = norm(&f);
		int64_t got[4] = {s->input_tokens, s->output_tokens, s->cache_read_tokens, s->cache_write_tokens};
		for (int w = 0; w < 4; w++)
			CHECK(got[w] == (w == keys[i].which ? 100 + (int64_t)i : 0), "%s slot %d = %lld", keys[i].key,
			      w, (long long)got[w]);
		CHECK(s->type == SPAN_TYPE_LLM, "%s implies llm", keys[i].key);
		fx_free(&f);
	}
	/* precedence within one concept, attribute order reversed */
	fx_init(&f);
	num(&f, "llm.token_count.prompt", 3);
	num(&f, "gen_ai.usage.prompt_tokens", 2);
	num(&f, "gen_ai.usage.input_tokens", 1);
	num(&f, "llm.token_count.completion", 30);
	num(&f, "gen_ai.usage.completion_tokens", 20);
	num(&f, "llm.token_count.prompt_details.cache_write", 9);
	num(&f, "gen_ai.usage.cache_creation.input_tokens", 8);
	struct span *s = norm(&f);
	CHECK(s->input_tokens == 1 && s->output_tokens == 20 && s->cache_write_tokens == 8, "token precedence");
	fx_free(&f);
	/* value types: double integral yes, fractional no, strings, negatives */
	fx_init(&f);
	dbl(&f, "gen_ai.usage.input_tokens", 12.5);   /* ignored */
	dbl(&f, "gen_ai.usage.prompt_tokens", 12.0);  /* used */
	str(&f, "gen_ai.usage.output_tokens", "-5");  /* ignored */
	str(&f, "gen_ai.usage.completion_tokens", "77");
	str(&f, "gen_ai.usage.cache_read.input_tokens", "1e3");
	num(&f, "gen_ai.usage.cache_creation.input_tokens", -1);  /* ignored */
	str(&f, "llm.token_count.prompt_details.cache_write", "abc"); /* ignored */
	s = norm(&f);
	CHECK(s->input_tokens == 12, "double 12.0 -> %lld", (long long)s->input_tokens);
	CHECK(s->output_tokens == 77, "string 77 -> %lld", (long long)s->output_tokens);
	CHECK(s->cache_read_tokens == 1000, "string 1e3 -> %lld", (long long)s->cache_read_tokens);
	CHECK(s->cache_write_tokens == 0, "negatives and junk ignored");
	fx_free(&f);
	fx_init(&f);
	str(&f, "gen_ai.usage.input_tokens", "123456789012345678");
	dbl(&f, "gen_ai.usage.output_tokens", NAN);
	dbl(&f, "llm.token_count.completion", 1e300);
	otlp_attr_bool(f.a, &f.sp.attributes, &f.sp.n_attributes, "gen_ai.usage.cache_read.input_tokens", 1);
	s = norm(&f);
	CHECK(s->input_tokens == 123456789012345678LL, "long digit string exact");
	CHECK(s->output_tokens == 0 && s->cache_read_tokens == 0, "nan, huge and bool ignored");
	fx_free(&f);
}

static void test_cost(void)
{
	static const char *const keys[] = {"llm.cost.total", "gen_ai.usage.cost", "tracelite.cost_usd"};
	struct fx f;
	for (size_t first = 0; first < 3; first++) {
		fx_init(&f);
		for (size_t j = 3; j-- > first;)
			dbl(&f, keys[j], 0.5 + (double)j);
		struct span *s = norm(&f);
		CHECK(s->has_cost == 1 && s->cost_usd == 0.5 + (double)first, "cost %s -> %g", keys[first], s->cost_usd);
		fx_free(&f);
	}
	fx_init(&f);
	dbl(&f, "llm.cost.total", -1);
	str(&f, "gen_ai.usage.cost", "0.0025");
	struct span *s = norm(&f);
	CHECK(s->has_cost && fabs(s->cost_usd - 0.0025) < 1e-12, "string cost, negative skipped");
	fx_free(&f);
	fx_init(&f);
	num(&f, "tracelite.cost_usd", 0);
	s = norm(&f);
	CHECK(s->has_cost == 1 && s->cost_usd == 0, "zero cost is a cost");
	fx_free(&f);
	fx_init(&f);
	str(&f, "llm.cost.total", "free");
	CHECK(norm(&f)->has_cost == 0, "junk cost ignored");
	fx_free(&f);
}

static void test_messages(void)
{
	struct fx f;
	/* OpenInference flattened, attributes out of order, index 10 after 2 */
	fx_init(&f);
	str(&f, "llm.input_messages.10.message.content", "ten");
	str(&f, "llm.input_messages.1.message.content", "Hi there");
	str(&f, "llm.input_messages.0.message.role", "system");
	str(&f, "llm.input_messages.1.message.role", "user");
	str(&f, "llm.input_messages.0.message.content", "Be brief.");
	str(&f, "llm.input_messages.2.message.role", "assistant");
	str(&f, "llm.input_messages.10.message.role", "user");
	str(&f, "llm.output_messages.0.message.role", "assistant");
	str(&f, "llm.output_messages.0.message.content", "Hello!");
	str(&f, "llm.input_messages.x.message.role", "bogus");
	str(&f, "llm.input_messages.3.message.name", "ignored");
	struct span *s = norm(&f);
	CHECK(streq(s->input_text, "system: Be brief.\nuser: Hi there\nassistant: \nuser: ten"), "oi input [%s]",
	      s->input_text);
	CHECK(streq(s->output_text, "assistant: Hello!"), "oi output [%s]", s->output_text);
	fx_free(&f);
	/* OpenLLMetry */
	fx_init(&f);
	str(&f, "gen_ai.prompt.1.content", "What is 2+2?");
	str(&f, "gen_ai.prompt.0.role", "system");
	str(&f, "gen_ai.prompt.0.content", "You add.");
	str(&f, "gen_ai.prompt.1.role", "user");
	str(&f, "gen_ai.completion.0.role", "assistant");
	str(&f, "gen_ai.completion.0.content", "4");
	s = norm(&f);
	CHECK(streq(s->input_text, "system: You add.\nuser: What is 2+2?"), "llmetry input [%s]", s->input_text);
	CHECK(streq(s->output_text, "assistant: 4"), "llmetry output [%s]", s->output_text);
	fx_free(&f);
	/* content without role */
	fx_init(&f);
	str(&f, "gen_ai.completion.0.content", "bare");
	CHECK(streq(norm(&f)->output_text, "bare"), "content only");
	fx_free(&f);
	/* precedence: gen_ai.input.messages > input.value > llm.input_messages > gen_ai.prompt.N > gen_ai.prompt */
	fx_init(&f);
	str(&f, "gen_ai.prompt", "plain prompt");
	str(&f, "gen_ai.prompt.0.content", "llmetry");
	s = norm(&f);
	CHECK(streq(s->input_text, "llmetry"), "prompt.N over prompt [%s]", s->input_text);
	str(&f, "llm.input_messages.0.message.content", "oi");
	s = norm(&f);
	CHECK(streq(s->input_text, "oi"), "oi over llmetry [%s]", s->input_text);
	str(&f, "input.value", "{\"q\":1}");
	s = norm(&f);
	CHECK(streq(s->input_text, "{\"q\":1}"), "input.value over oi [%s]", s->input_text);
	str(&f, "gen_ai.input.messages", "[{\"role\":\"user\"}]");
	s = norm(&f);
	CHECK(s->input_text == f.sp.attributes[f.sp.n_attributes - 1]->value->string_value,
	      "gen_ai.input.messages kept as is");
	fx_free(&f);
	/* output precedence mirrors input */
	fx_init(&f);
	str(&f, "gen_ai.completion", "c");
	str(&f, "gen_ai.completion.0.content", "lm");
	str(&f, "llm.output_messages.0.message.content", "oi");
	s = norm(&f);
	CHECK(streq(s->output_text, "oi"), "oi output first [%s]", s->output_text);
	str(&f, "output.value", "ov");
	str(&f, "gen_ai.output.messages", "gm");
	CHECK(streq(norm(&f)->output_text, "gm"), "gen_ai.output.messages first");
	fx_free(&f);
	/* many messages exercise the arena growth of the part list */
	fx_init(&f);
	char key[64], val[16];
	for (int i = 99; i >= 0; i--) {
		snprintf(key, sizeof key, "llm.input_messages.%d.message.content", i);
		snprintf(val, sizeof val, "m%d", i);
		str(&f, key, val);
	}
	s = norm(&f);
	CHECK(s->input_text && strncmp(s->input_text, "m0\nm1\nm2\n", 9) == 0, "100 messages sorted");
	CHECK(s->input_text && strlen(s->input_text) == 10 * 2 + 90 * 3 + 99, "100 messages length");
	fx_free(&f);
}

/* An empty kvlist AnyValue (a structured message) in a. */
static Tl__AnyValue *kvlist_new(struct arena *a)
{
	Tl__AnyValue *v = otlp_any_new(a);
	v->value_case = TL__ANY_VALUE__VALUE_KVLIST_VALUE;
	v->kvlist_value = arena_alloc(a, sizeof *v->kvlist_value);
	tl__key_value_list__init(v->kvlist_value);
	return v;
}

/* Structured message attributes become compact JSON. */
static void test_structured(void)
{
	struct fx f;
	fx_init(&f);
	Tl__AnyValue *arr = otlp_any_new(f.a);
	arr->value_case = TL__ANY_VALUE__VALUE_ARRAY_VALUE;
	arr->array_value = arena_alloc(f.a, sizeof *arr->array_value);
	tl__array_value__init(arr->array_value);
	Tl__AnyValue *msg = kvlist_new(f.a);
	otlp_attr_str(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "role", "user");
	otlp_attr_str(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "content", "a \"q\"\n\x01");
	otlp_attr_int(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "n", -3);
	otlp_attr_double(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "x", 0.5);
	otlp_attr_bool(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "ok", 1);
	Tl__AnyValue *bytes = otlp_any_new(f.a);
	bytes->value_case = TL__ANY_VALUE__VALUE_BYTES_VALUE;
	bytes->bytes_value.data = (uint8_t *)"hi!?";
	bytes->bytes_value.len = 4;
	otlp_push(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, otlp_kv_new(f.a, "b", bytes));
	otlp_push(f.a, &arr->array_value->values, &arr->array_value->n_values, msg);
	otlp_push(f.a, &f.sp.attributes, &f.sp.n_attributes, otlp_kv_new(f.a, "gen_ai.input.messages", arr));
	struct span *s = norm(&f);
	const char *want = "[{\"role\":\"user\",\"content\":\"a \\\"q\\\"\\n\\u0001\",\"n\":-3,\"x\":0.5,"
	                   "\"ok\":true,\"b\":\"aGkhPw==\"}]";
	CHECK(streq(s->input_text, want), "json [%s]", s->input_text);
	fx_free(&f);
}

/* Structured messages go through base/json: invalid UTF-8 is repaired (it
 * used to pass through, making the stored text invalid JSON), doubles are
 * the shortest round-trip text, non-finite ones null, and JSON that would
 * pass SPAN_MAX_STRING is dropped rather than built. */
static void test_structured_json_rules(void)
{
	struct fx f;
	fx_init(&f);
	Tl__AnyValue *msg = kvlist_new(f.a);
	otlp_attr_str(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "bad\xff", "a\xc3(\xed\xa0\x80\b");
	otlp_attr_double(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "tenth", 0.1);
	otlp_attr_double(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "nan", NAN);
	otlp_push(f.a, &f.sp.attributes, &f.sp.n_attributes, otlp_kv_new(f.a, "gen_ai.output.messages", msg));
	struct span *s = norm(&f);
	const char *want = "{\"bad\\ufffd\":\"a\\ufffd(\\ufffd\\ufffd\\ufffd\\b\",\"tenth\":0.1,\"nan\":null}";
	CHECK(streq(s->output_text, want), "json [%s]", s->output_text);
	fx_free(&f);

	fx_init(&f);
	msg = kvlist_new(f.a);
	size_t n = SPAN_MAX_STRING / 4; /* each \x01 is 6 bytes of JSON */
	char *ctl = malloc(n + 1);
	if (!ctl)
		abort();
	memset(ctl, 1, n);
	ctl[n] = 0;
	otlp_attr_str(f.a, &msg->kvlist_value->values, &msg->kvlist_value->n_values, "content", ctl);
	free(ctl);
	otlp_push(f.a, &f.sp.attributes, &f.sp.n_attributes, otlp_kv_new(f.a, "gen_ai.output.messages", msg));
	s = norm(&f);
	CHECK(s->output_text == NULL, "JSON over SPAN_MAX_STRING is not built");
	fx_free(&f);
}

/* Langfuse's OTLP attributes: type, level as the error status, usage and
 * cost objects in the shapes the SDKs send, the trace name. */
static void test_langfuse(void)
{
	struct fx f;
	struct span *s;

	fx_init(&f);
	str(&f, "langfuse.observation.type", "generation");
	str(&f, "langfuse.observation.model.name", "gpt-4o");
	str(&f, "langfuse.observation.usage_details", "{\"input\":100,\"output\":20,\"input_cached_tokens\":30,\"total\":150}");
	str(&f, "langfuse.observation.cost_details", "{\"input\":0.25,\"output\":0.5}");
	str(&f, "langfuse.observation.input", "in");
	str(&f, "langfuse.observation.output", "out");
	str(&f, "langfuse.observation.level", "ERROR");
	str(&f, "langfuse.observation.status_message", "declined");
	str(&f, "langfuse.trace.name", "my trace");
	s = norm(&f);
	CHECK(s->type == SPAN_TYPE_LLM, "type %d", s->type);
	CHECK(streq(s->model, "gpt-4o"), "model");
	CHECK(s->input_tokens == 130 && s->output_tokens == 20 && s->cache_read_tokens == 30,
	      "langfuse input excludes cached tokens: %lld %lld %lld", (long long)s->input_tokens,
	      (long long)s->output_tokens, (long long)s->cache_read_tokens);
	CHECK(s->has_cost && fabs(s->cost_usd - 0.75) < 1e-12 && s->cost_source == SPAN_COST_CLIENT, "cost sum %g", s->cost_usd);
	CHECK(streq(s->input_text, "in") && streq(s->output_text, "out"), "text");
	CHECK(s->status_code == 2 && streq(s->status_message, "declined"), "level ERROR is an error");
	CHECK(streq(s->trace_name, "my trace"), "trace name");
	fx_free(&f);

	/* OpenAI usage (prompt includes cached), total cost wins, WARNING is no error */
	fx_init(&f);
	str(&f, "langfuse.observation.usage_details",
	    "{\"prompt_tokens\":50,\"completion_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":10}}");
	str(&f, "langfuse.observation.cost_details", "{\"input\":1,\"total\":3}");
	str(&f, "langfuse.observation.level", "WARNING");
	s = norm(&f);
	CHECK(s->input_tokens == 50 && s->output_tokens == 5 && s->cache_read_tokens == 10, "openai usage %lld",
	      (long long)s->input_tokens);
	CHECK(s->cost_usd == 3, "total wins: %g", s->cost_usd);
	CHECK(s->status_code == 0, "WARNING is not an error");
	CHECK(s->type == SPAN_TYPE_LLM, "tokens make it an llm span");
	fx_free(&f);

	/* Anthropic usage (input excludes cache reads and writes); gen_ai wins over it */
	fx_init(&f);
	str(&f, "langfuse.observation.usage_details",
	    "{\"input_tokens\":10,\"output_tokens\":2,\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":3}");
	s = norm(&f);
	CHECK(s->input_tokens == 18 && s->cache_read_tokens == 5 && s->cache_write_tokens == 3, "anthropic %lld",
	      (long long)s->input_tokens);
	num(&f, "gen_ai.usage.output_tokens", 9);
	s = norm(&f);
	CHECK(s->output_tokens == 2, "equal rank: the first seen stays (%lld)", (long long)s->output_tokens);
	fx_free(&f);

	/* hostile usage text: not JSON, too deep, too long, negative */
	const char *bad[] = {"not json", "[1,2]", "{\"input\":-5}", "{\"input\":1.5}", "{\"a\":{\"b\":{\"c\":{}}}}", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fx_init(&f);
		str(&f, "langfuse.observation.usage_details", bad[i]);
		s = norm(&f);
		CHECK(s->input_tokens == 0 && s->type == SPAN_TYPE_SPAN, "bad usage %s", bad[i]);
		fx_free(&f);
	}
	fx_init(&f);
	char *big = malloc(5000);
	memset(big, ' ', 4999);
	memcpy(big, "{\"input\":1", 10);
	big[4998] = '}';
	big[4999] = 0;
	str(&f, "langfuse.observation.usage_details", big);
	s = norm(&f);
	CHECK(s->input_tokens == 0, "usage text over 4 KiB is not read");
	free(big);
	fx_free(&f);
}

/* The Vercel AI SDK: ai.operationId types the span; the outer call's
 * ai.usage repeats its provider calls' and is not counted. */
static void test_vercel_ai(void)
{
	struct fx f;
	struct span *s;

	fx_init(&f);
	str(&f, "ai.operationId", "ai.generateText.doGenerate");
	str(&f, "ai.model.id", "gpt-x");
	str(&f, "ai.model.provider", "openai.chat");
	num(&f, "ai.usage.promptTokens", 12);
	num(&f, "ai.usage.completionTokens", 3);
	str(&f, "ai.prompt.messages", "[{\"role\":\"user\"}]");
	str(&f, "ai.response.text", "hello");
	str(&f, "ai.telemetry.metadata.userId", "u");
	str(&f, "ai.telemetry.metadata.sessionId", "s");
	s = norm(&f);
	CHECK(s->type == SPAN_TYPE_LLM, "doGenerate is llm");
	CHECK(streq(s->model, "gpt-x") && streq(s->provider, "openai.chat"), "model/provider");
	CHECK(s->input_tokens == 12 && s->output_tokens == 3, "tokens");
	CHECK(streq(s->input_text, "[{\"role\":\"user\"}]") && streq(s->output_text, "hello"), "text");
	CHECK(streq(s->user_id, "u") && streq(s->session_id, "s"), "user/session");
	fx_free(&f);

	fx_init(&f);
	str(&f, "ai.operationId", "ai.streamText");
	str(&f, "ai.model.id", "gpt-x");
	num(&f, "ai.usage.inputTokens", 12);
	num(&f, "ai.usage.outputTokens", 3);
	num(&f, "ai.usage.cachedInputTokens", 2);
	str(&f, "ai.prompt", "{\"prompt\":\"hi\"}");
	s = norm(&f);
	CHECK(s->type == SPAN_TYPE_SPAN, "outer call is a span (%d)", s->type);
	CHECK(s->input_tokens == 0 && s->output_tokens == 0 && s->cache_read_tokens == 0, "outer usage dropped");
	CHECK(streq(s->input_text, "{\"prompt\":\"hi\"}"), "outer prompt");
	fx_free(&f);

	fx_init(&f);
	str(&f, "ai.operationId", "ai.toolCall");
	str(&f, "ai.toolCall.args", "{\"city\":\"Paris\"}");
	str(&f, "ai.toolCall.result", "21");
	s = norm(&f);
	CHECK(s->type == SPAN_TYPE_TOOL, "tool");
	CHECK(streq(s->input_text, "{\"city\":\"Paris\"}") && streq(s->output_text, "21"), "tool io");
	fx_free(&f);

	/* another convention's type wins over ai.operationId */
	fx_init(&f);
	str(&f, "ai.operationId", "ai.embed.doEmbed");
	str(&f, "openinference.span.kind", "LLM");
	s = norm(&f);
	CHECK(s->type == SPAN_TYPE_LLM, "explicit type wins");
	fx_free(&f);
}

int main(void)
{
	test_types();
	test_strings();
	test_tokens();
	test_cost();
	test_messages();
	test_structured();
	test_structured_json_rules();
	test_langfuse();
	test_vercel_ai();
	return test_done();
}
