/* test_native.c: the native JSON decoders. Valid payloads from
 * tests/data/native/ are decoded into a batch and checked field by field;
 * bad payloads are table-driven from tests/data/native/bad/cases.txt
 * (decoder|file|expected error prefix); oversized input is built here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "ingest/native.h"
#include "otlp/otlp_build.h"
#include "test.h"
#include "ingest/batch.h"

#define DATA "tests/data/native/"
#define T0 1705579200000000000ull   /* 2024-01-18T12:00:00Z */
#define MS 1000000ull

typedef enum err (*decoder_fn)(const cJSON *, struct span_batch *, char *, size_t);

static const struct {
	const char *name;
	decoder_fn fn;
} decoders[] = {
	{"cognobserve", native_cognobserve_decode},
	{"neon_traces", native_neon_traces_decode},
	{"neon_spans", native_neon_spans_decode},
	{"scores", native_scores_decode},
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	size_t got = fread(buf, 1, (size_t)n, f);
	buf[got] = 0;
	fclose(f);
	return buf;
}

static cJSON *load(const char *path)
{
	char *text = slurp(path);
	if (!text) {
		printf("FAIL cannot read %s (run from the repo root)\n", path);
		test_failed++;
		return NULL;
	}
	cJSON *j = cJSON_Parse(text);
	free(text);
	return j;
}

/* Decodes a file into a new batch (project header NULL); NULL on failure. */
static struct span_batch *decode_file(decoder_fn fn, const char *file, const char *project)
{
	char err[256] = "";
	cJSON *j = load(file);
	if (!j) {
		CHECK(0, "%s does not parse", file);
		return NULL;
	}
	struct span_batch *b = span_batch_new(project);
	int rc = fn(j, b, err, sizeof err);
	cJSON_Delete(j);
	CHECK(rc == ERR_OK, "%s: rc %d: %s", file, rc, err);
	if (rc) {
		span_batch_free(b);
		return NULL;
	}
	return b;
}

static int decode_text(decoder_fn fn, const char *text, struct span_batch *b, char *err, size_t errlen)
{
	cJSON *j = cJSON_Parse(text);
	if (!j)
		return 99;
	int rc = fn(j, b, err, errlen);
	cJSON_Delete(j);
	return rc;
}

static struct span *by_name(struct span_batch *b, const char *name)
{
	for (size_t i = 0; i < b->nspans; i++)
		if (strcmp(b->spans[i].name, name) == 0)
			return &b->spans[i];
	return NULL;
}

static const Tl__AnyValue *attr(const struct span *s, const char *key)
{
	return otlp_attr_find(s->otlp->attributes, s->otlp->n_attributes, key);
}

static const char *attr_str(const struct span *s, const char *key)
{
	return otlp_attr_find_str(s->otlp->attributes, s->otlp->n_attributes, key);
}

static int64_t attr_int(const struct span *s, const char *key)
{
	const Tl__AnyValue *v = attr(s, key);
	return v && v->value_case == TL__ANY_VALUE__VALUE_INT_VALUE ? v->int_value : -999;
}

static double attr_double(const struct span *s, const char *key)
{
	const Tl__AnyValue *v = attr(s, key);
	return v && v->value_case == TL__ANY_VALUE__VALUE_DOUBLE_VALUE ? v->double_value : -999;
}

static const char *res_str(const struct span *s, const char *key)
{
	return s->resource ? otlp_attr_find_str(s->resource->attributes, s->resource->n_attributes, key) : NULL;
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int id_is(const uint8_t *got, const char *src, size_t n)
{
	uint8_t want[16];
	id_from_any(src, want, n);
	return memcmp(got, want, n) == 0;
}

static int zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_cognobserve_sdk(void)
{
	struct span_batch *b = decode_file(native_cognobserve_decode, DATA "cognobserve_sdk.json", NULL);
	if (!b)
		return;
	CHECK(b->nspans == 3, "spans %zu", b->nspans);
	struct span *root = by_name(b, "chat-request"), *ret = by_name(b, "retrieve-context"),
	            *llm = by_name(b, "openai.chat");
	if (!root || !ret || !llm) {
		CHECK(0, "missing spans");
		span_batch_free(b);
		return;
	}
	/* ids: the hex trace id as is, 32-hex span ids hashed to 8 bytes */
	CHECK(id_is(root->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", 16) && root->trace_id[0] == 0x4b, "trace id");
	CHECK(memcmp(ret->trace_id, root->trace_id, 16) == 0 && memcmp(llm->trace_id, root->trace_id, 16) == 0,
	      "one trace");
	CHECK(!root->has_parent, "root has no parent");
	CHECK(ret->has_parent && memcmp(ret->parent_span_id, root->span_id, 8) == 0, "orphan span under root");
	CHECK(id_is(ret->span_id, "d4f1c2b3a4958677d4f1c2b3a4958677", 8), "span id mapped");
	CHECK(llm->has_parent && memcmp(llm->parent_span_id, ret->span_id, 8) == 0, "explicit parent");
	/* times: fractional seconds to the nanosecond, offsets */
	CHECK(ret->start_ns == T0 && ret->end_ns == T0 + 250 * MS, "ret times %llu %llu",
	      (unsigned long long)ret->start_ns, (unsigned long long)ret->end_ns);
	CHECK(llm->start_ns == T0 + 300123456ull, "ns precision %llu", (unsigned long long)llm->start_ns);
	CHECK(llm->end_ns == T0 + 1500 * MS, "+02:00 offset %llu", (unsigned long long)llm->end_ns);
	CHECK(root->start_ns == T0 && root->end_ns == T0 + 1500 * MS, "root covers its spans");
	/* resource: service, session, user */
	CHECK(streq(root->service, "cognobserve") && streq(llm->service, "cognobserve"), "service");
	CHECK(streq(llm->session_id, "conv-77") && streq(ret->user_id, "user-123"), "session/user on every span");
	CHECK(streq(res_str(root, "user.name"), "Ada") && streq(res_str(root, "user.email"), "ada@example.com") &&
	      streq(res_str(root, "user.plan"), "pro"), "user object");
	/* trace metadata flattened on the root */
	CHECK(streq(attr_str(root, "metadata.environment"), "production"), "metadata.environment");
	CHECK(streq(attr_str(root, "metadata.release.version"), "1.4.2"), "nested metadata flattened");
	const Tl__AnyValue *tags = attr(root, "metadata.tags");
	CHECK(tags && tags->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE && tags->array_value->n_values == 2,
	      "array metadata kept as array");
	CHECK(root->type == SPAN_TYPE_SPAN, "root is a plain span");
	/* retrieve-context */
	CHECK(streq(ret->input_text, "{\"query\":\"weather in Paris\"}"), "input json [%s]", ret->input_text);
	CHECK(streq(ret->output_text, "{\"documents\":3}"), "output json");
	CHECK(streq(attr_str(ret, "input.mime_type"), "application/json"), "mime");
	CHECK(streq(attr_str(ret, "metadata.index"), "docs-v2"), "span metadata");
	CHECK(streq(attr_str(ret, "cognobserve.level"), "DEFAULT") && ret->status_code == 0, "default level");
	CHECK(ret->type == SPAN_TYPE_SPAN, "no model: span");
	/* openai.chat */
	CHECK(llm->type == SPAN_TYPE_LLM && streq(llm->model, "gpt-4o-mini"), "llm model");
	CHECK(llm->input_tokens == 120 && llm->output_tokens == 15, "tokens %lld %lld", (long long)llm->input_tokens,
	      (long long)llm->output_tokens);
	CHECK(attr_int(llm, "llm.token_count.total") == 135, "total tokens");
	CHECK(attr_double(llm, "gen_ai.request.temperature") == 0.2, "temperature");
	CHECK(attr_int(llm, "gen_ai.request.max_tokens") == 256, "max_tokens");
	const Tl__AnyValue *stop = attr(llm, "gen_ai.request.stop_sequences");
	CHECK(stop && stop->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE && stop->array_value->n_values == 1 &&
	      streq(stop->array_value->values[0]->string_value, "\n\n"), "stop string -> array");
	CHECK(streq(attr_str(llm, "llm.invocation_parameters"),
	            "{\"temperature\":0.2,\"max_tokens\":256,\"stop\":\"\\n\\n\",\"custom\":{\"x\":1}}"),
	      "params json [%s]", attr_str(llm, "llm.invocation_parameters"));
	CHECK(llm->status_code == 2 && streq(llm->status_message, "rate limited, retried"), "ERROR level");
	CHECK(streq(llm->output_text, "{\"role\":\"assistant\",\"content\":\"Sunny.\"}"), "output");

	/* a retried post keeps the root id; a trace without id gets a fresh one */
	struct span_batch *again = decode_file(native_cognobserve_decode, DATA "cognobserve_sdk.json", NULL);
	if (again) {
		CHECK(memcmp(by_name(again, "chat-request")->span_id, root->span_id, 8) == 0, "stable root id");
		span_batch_free(again);
	}
	span_batch_free(b);
}

static void test_cognobserve_variant(void)
{
	struct span_batch *b = decode_file(native_cognobserve_decode, DATA "cognobserve_variant.json", NULL);
	if (!b)
		return;
	struct span *root = by_name(b, "variant-trace"), *think = by_name(b, "think"), *fmt = by_name(b, "format");
	if (!root || !think || !fmt) {
		CHECK(0, "missing spans");
		span_batch_free(b);
		return;
	}
	CHECK(id_is(root->trace_id, "run-42", 16), "non-hex trace id hashed");
	CHECK(streq(root->service, "calculator-api"), "service from metadata: %s", root->service);
	CHECK(root->start_ns == T0, "trace timestamp in epoch ms");
	CHECK(root->end_ns == T0 + 400 * MS, "root end %llu", (unsigned long long)root->end_ns);
	CHECK(streq(root->input_text, "What is 2+2?") && streq(root->output_text, "4"), "trace input/output");
	CHECK(streq(attr_str(root, "input.mime_type"), "text/plain"), "string mime");
	CHECK(streq(root->session_id, "s-9") && streq(fmt->user_id, "u-9"), "camelCase session/user");
	CHECK(id_is(think->span_id, "step-1", 8), "id alias");
	CHECK(think->start_ns == T0 + 100 * MS && think->end_ns == T0 + 350 * MS, "startTime/endTime");
	CHECK(think->input_tokens == 10 && think->output_tokens == 2, "tokenUsage camelCase");
	CHECK(streq(think->model, "claude-3-5-haiku") && think->type == SPAN_TYPE_LLM, "model");
	CHECK(attr_double(think, "gen_ai.request.top_p") == 0.9, "topP");
	const Tl__AnyValue *stop = attr(think, "gen_ai.request.stop_sequences");
	CHECK(stop && stop->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE &&
	      streq(stop->array_value->values[0]->string_value, "END"), "stop_sequences array");
	CHECK(fmt->has_parent && memcmp(fmt->parent_span_id, think->span_id, 8) == 0, "parentSpanId");
	CHECK(fmt->start_ns == T0 + 400 * MS && fmt->end_ns == fmt->start_ns, "missing end -> start");
	CHECK(fmt->input_tokens == 3 && fmt->output_tokens == 1 && attr_int(fmt, "llm.token_count.total") == 4,
	      "short usage names");
	CHECK(fmt->status_code == 0 && streq(fmt->status_message, "slow") &&
	      streq(attr_str(fmt, "cognobserve.level"), "warning"), "warning is not an error");
	span_batch_free(b);
}

static void test_cognobserve_minimal(void)
{
	struct span_batch *b = decode_file(native_cognobserve_decode, DATA "cognobserve_minimal.json", NULL);
	struct span_batch *b2 = decode_file(native_cognobserve_decode, DATA "cognobserve_minimal.json", NULL);
	if (!b || !b2) {
		span_batch_free(b);
		span_batch_free(b2);
		return;
	}
	struct span *root = by_name(b, "test"), *call = by_name(b, "llm-call");
	CHECK(root && call, "spans");
	if (root && call) {
		CHECK(!zero(root->trace_id, 16) && !zero(call->span_id, 8), "generated ids");
		CHECK(memcmp(root->trace_id, b2->spans[0].trace_id, 16) != 0, "random trace ids differ");
		CHECK(memcmp(call->span_id, by_name(b2, "llm-call")->span_id, 8) != 0, "random span ids differ");
		CHECK(call->type == SPAN_TYPE_LLM && streq(call->model, "gpt-4o") && call->input_tokens == 100 &&
		      call->output_tokens == 50, "documented curl example");
		CHECK(call->end_ns - call->start_ns == 1000 * MS && root->start_ns == call->start_ns &&
		      root->end_ns == call->end_ns, "times");
		CHECK(!root->session_id && !root->user_id, "no session/user");
	}
	span_batch_free(b);
	span_batch_free(b2);
}

static void test_neon_trace(void)
{
	struct span_batch *b = decode_file(native_neon_traces_decode, DATA "neon_trace.json", NULL);
	if (!b)
		return;
	CHECK(b->nspans == 3, "spans %zu", b->nspans);
	struct span *root = by_name(b, "agent-run"), *llm = by_name(b, "llm-call"), *tool = by_name(b, "get_weather");
	if (!root || !llm || !tool) {
		CHECK(0, "missing spans");
		span_batch_free(b);
		return;
	}
	CHECK(id_is(root->trace_id, "trace-123", 16), "trace id");
	CHECK(!root->has_parent && root->status_code == 1, "root ok");
	CHECK(root->start_ns == T0 && root->end_ns == T0 + 1500 * MS, "duration_ms");
	CHECK(streq(root->project, "proj-a") && streq(root->service, "neon"), "project %s", root->project);
	CHECK(streq(attr_str(root, "gen_ai.agent.id"), "weather-agent") &&
	      streq(attr_str(root, "neon.agent_version"), "v1.2.3") && streq(attr_str(root, "neon.workflow_id"), "wf-1") &&
	      streq(attr_str(root, "neon.run_id"), "run-7"), "agent fields");
	CHECK(attr_int(root, "neon.total_tokens") == 350 && attr_int(root, "neon.llm_calls") == 1 &&
	      attr_int(root, "neon.tool_calls") == 1 && attr_double(root, "neon.total_cost") == 0.0042, "totals");
	CHECK(root->input_tokens == 0 && !root->has_cost, "totals are not the root's own usage");
	CHECK(streq(attr_str(root, "agent_version"), "v1.2.3"), "attributes kept verbatim");
	CHECK(streq(root->user_id, "user-456"), "attributes.user_id -> user.id");
	CHECK(streq(attr_str(root, "metadata.env"), "staging"), "metadata");
	CHECK(streq(root->input_text, "{\"query\":\"weather in NYC\"}") && streq(root->output_text, "It is sunny in NYC."),
	      "trace io");
	CHECK(llm->has_parent && memcmp(llm->parent_span_id, root->span_id, 8) == 0, "nested span under root");
	CHECK(memcmp(llm->trace_id, root->trace_id, 16) == 0, "nested span inherits trace id");
	CHECK(llm->type == SPAN_TYPE_LLM && streq(llm->model, "claude-3-5-sonnet"), "type generation, model alias");
	CHECK(llm->input_tokens == 150 && llm->output_tokens == 200, "token aliases");
	CHECK(llm->start_ns == T0 && llm->end_ns == T0 + 1500 * MS, "nested times");
	CHECK(tool->has_parent && id_is(tool->parent_span_id, "span-1", 8) && id_is(llm->span_id, "span-1", 8),
	      "explicit parent");
	CHECK(tool->type == SPAN_TYPE_TOOL && tool->status_code == 2 && streq(tool->status_message, "timeout"), "tool");
	CHECK(tool->start_ns == T0 && tool->end_ns == T0, "missing times inherit the trace start");
	CHECK(streq(attr_str(tool, "gen_ai.tool.name"), "get_weather"), "tool name");
	CHECK(streq(tool->input_text, "{\"city\":\"NYC\"}") && streq(tool->output_text, "sunny"), "tool io [%s] [%s]",
	      tool->input_text, tool->output_text);
	span_batch_free(b);

	/* the project header wins over project_id (span.c) */
	b = decode_file(native_neon_traces_decode, DATA "neon_trace.json", "hdr");
	if (b) {
		CHECK(streq(b->spans[0].project, "hdr"), "header project");
		span_batch_free(b);
	}
}

static void test_neon_traces_array(void)
{
	struct span_batch *b = decode_file(native_neon_traces_decode, DATA "neon_traces_array.json", NULL);
	if (!b)
		return;
	struct span *hello = by_name(b, "hello-world"), *fail = by_name(b, "failing-run");
	CHECK(b->nspans == 2 && hello && fail, "two roots");
	if (hello && fail) {
		CHECK(hello->status_code == 1 && hello->end_ns - hello->start_ns == 100 * MS, "duration only");
		CHECK(hello->end_ns > 1700000000000000000ull, "ended about now");
		CHECK(!hello->project && streq(fail->project, "proj-b"), "projects");
		CHECK(hello->resource != fail->resource, "one resource per project");
		CHECK(fail->trace_id[0] == 0x0a && fail->trace_id[15] == 0x9c, "hex trace id as is");
		CHECK(fail->status_code == 2, "error status");
		CHECK(fail->start_ns == 1709251199999999999ull && fail->end_ns == 1709251201000000000ull,
		      "leap day, 9 fraction digits %llu", (unsigned long long)fail->start_ns);
	}
	span_batch_free(b);
}

static void test_neon_span(void)
{
	struct span_batch *b = decode_file(native_neon_spans_decode, DATA "neon_span.json", NULL);
	if (!b)
		return;
	CHECK(b->nspans == 1, "one span");
	struct span *s = &b->spans[0];
	CHECK(id_is(s->trace_id, "trace-123", 16) && id_is(s->span_id, "span-9", 8), "ids");
	CHECK(s->has_parent && id_is(s->parent_span_id, "span-1", 8), "parent");
	CHECK(s->kind == 3 && s->type == SPAN_TYPE_LLM && s->status_code == 1, "kind/type/status");
	CHECK(s->start_ns == T0 + 2000 * MS && s->end_ns == T0 + 2812 * MS + 500000, "duration_ms fraction");
	CHECK(streq(s->model, "claude-3-5-sonnet") && streq(s->provider, "anthropic"), "model/provider");
	CHECK(attr_double(s, "gen_ai.request.temperature") == 0.7 && attr_int(s, "gen_ai.request.max_tokens") == 1024,
	      "params");
	CHECK(s->input_tokens == 42 && s->output_tokens == 7 && attr_int(s, "llm.token_count.total") == 49, "tokens");
	CHECK(s->has_cost && s->cost_usd == 0.00021, "cost");
	CHECK(streq(s->input_text, "[{\"role\":\"user\",\"content\":\"Summarize the forecast\"}]"),
	      "gen_ai.input.messages wins over input.value [%s]", s->input_text);
	CHECK(streq(attr_str(s, "input.value"), "Summarize the forecast"), "input.value kept");
	CHECK(streq(s->session_id, "conv-1") && streq(attr_str(s, "session.id"), "sess-1"), "conversation id first");
	CHECK(streq(s->user_id, "u-1") && streq(attr_str(s, "neon.thread.id"), "t-1"), "session user/thread");
	CHECK(attr_str(s, "neon.session") && attr_str(s, "neon.handoff"), "neon extras as JSON");
	CHECK(attr_int(s, "retry.count") == 2, "attributes flattened");
	const Tl__AnyValue *ok = attr(s, "retry.ok"), *tags = attr(s, "tags");
	CHECK(ok && ok->value_case == TL__ANY_VALUE__VALUE_BOOL_VALUE && ok->bool_value, "bool attribute");
	CHECK(tags && tags->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE && tags->array_value->n_values == 2 &&
	      tags->array_value->values[1]->value_case == TL__ANY_VALUE__VALUE_INT_VALUE, "mixed array");
	CHECK(streq(s->project, "proj-a"), "project");
	span_batch_free(b);

	b = decode_file(native_neon_spans_decode, DATA "neon_spans_array.json", NULL);
	if (!b)
		return;
	struct span *a = by_name(b, "plan"), *sb = by_name(b, "search"), *sc = by_name(b, "noop");
	CHECK(b->nspans == 3 && a && sb && sc, "three spans");
	if (a && sb && sc) {
		CHECK(a->end_ns == T0 + 500 * MS && !a->project && a->type == SPAN_TYPE_SPAN, "plan");
		CHECK(sb->start_ns == T0 + 600 * MS && sb->end_ns == sb->start_ns, "epoch ms timestamp");
		CHECK(sb->type == SPAN_TYPE_RETRIEVAL && !sb->input_text && !sb->output_text, "empty input, null output");
		CHECK(streq(sb->project, "proj-c") && sb->resource == sc->resource && a->resource != sb->resource,
		      "resources follow project_id runs");
		CHECK(sc->kind == 2 && sc->status_code == 0 && id_is(sc->trace_id, "trace-124", 16), "noop");
	}
	span_batch_free(b);
}

static void test_neon_times(void)
{
	static const struct {
		const char *ts;
		unsigned long long ns;
	} cases[] = {
		{"\"2024-01-18T12:00:00Z\"", T0},
		{"\"2024-01-18t12:00:00.1234567891234z\"", T0 + 123456789},
		{"\"2024-01-18 12:00:00,5-01:30\"", 1705584600500000000ull},
		{"\"2024-01-18T12:00+0100\"", 1705575600000000000ull},
		{"\"2024-01-18T12:00:00.25\"", T0 + 250 * MS},
		{"\"2024-01-18\"", 1705536000000000000ull},
		{"\"2000-02-29T00:00:00Z\"", 951782400000000000ull},
		{"1705579200", T0},
		{"1705579200.5", T0 + 500 * MS},
		{"1705579200123", T0 + 123 * MS},
		{"\"1705579200123456789\"", T0 + 123456789},
		{"1705579200123456", T0 + 123456000},
	};
	char json[256], err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(json, sizeof json, "{\"trace_id\":\"t\",\"span_id\":\"s\",\"name\":\"n\",\"timestamp\":%s}",
		         cases[i].ts);
		struct span_batch *b = span_batch_new(NULL);
		int rc = decode_text(native_neon_spans_decode, json, b, err, sizeof err);
		CHECK(rc == 0 && b->nspans == 1 && b->spans[0].start_ns == cases[i].ns, "%s -> rc %d %llu (%s)",
		      cases[i].ts, rc, b->nspans ? (unsigned long long)b->spans[0].start_ns : 0ull, rc ? err : "");
		span_batch_free(b);
	}
	static const char *const bad[] = {
		"\"2024-13-01T00:00:00Z\"", "\"2024-01-32\"", "\"2024-01-18T24:00:00Z\"", "\"2024-01-18T12:60\"",
		"\"2024-01-18T12:00:00.Z\"", "\"2024-1-18\"", "\"\"", "-5", "true", "\"2300-01-01T00:00:00Z\"",
		"\"99999999999999999999\"", "1e300",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(json, sizeof json, "{\"trace_id\":\"t\",\"span_id\":\"s\",\"name\":\"n\",\"timestamp\":%s}", bad[i]);
		struct span_batch *b = span_batch_new(NULL);
		int rc = decode_text(native_neon_spans_decode, json, b, err, sizeof err);
		CHECK(rc == ERR_BAD_INPUT && strstr(err, "timestamp: not an ISO-8601 time"), "%s accepted (%s)", bad[i],
		      err);
		span_batch_free(b);
	}
}

static void test_scores(void)
{
	struct span_batch *b = decode_file(native_scores_decode, DATA "scores.json", NULL);
	if (!b)
		return;
	CHECK(b->nscores == 4 && b->nspans == 0, "scores %zu", b->nscores);
	if (b->nscores == 4) {
		struct score *s = b->scores;
		CHECK(id_is(s[0].trace_id, "trace-123", 16) && !s[0].has_span, "trace id");
		CHECK(streq(s[0].name, "accuracy") && s[0].has_value && s[0].value == 0.95 &&
		      streq(s[0].score_type, "numeric"), "numeric");
		CHECK(streq(s[0].source, "eval") && streq(s[0].comment, "Response was accurate"), "reason -> comment");
		CHECK(!s[0].id && !s[0].project && !s[0].string_value && s[0].time_ns == 0, "defaults");
		CHECK(s[1].has_span && id_is(s[1].span_id, "span-1", 8), "span id");
		CHECK(s[1].value == 1 && streq(s[1].score_type, "boolean"), "bool value");
		CHECK(streq(s[1].id, "score-1") && streq(s[1].project, "proj-z") && streq(s[1].source, "api"), "id/project");
		CHECK(!s[2].has_value && streq(s[2].string_value, "friendly") && streq(s[2].score_type, "categorical"),
		      "string-only score");
		CHECK(s[2].trace_id[0] == 0x4b && s[2].time_ns == T0, "hex trace, timestamp");
		CHECK(s[3].has_value && s[3].value == 3 && streq(s[3].string_value, "high") &&
		      streq(s[3].score_type, "categorical"), "explicit type");
	}
	span_batch_free(b);
	b = decode_file(native_scores_decode, DATA "score_single.json", "hdr");
	if (b) {
		CHECK(b->nscores == 1 && b->scores[0].value == 0 && streq(b->scores[0].score_type, "boolean") &&
		      streq(b->scores[0].project, "hdr"), "single object, header project");
		span_batch_free(b);
	}
}

/* Table-driven: every line of cases.txt is decoder|file|expected error prefix. */
static void test_bad_files(void)
{
	char *list = slurp(DATA "bad/cases.txt");
	CHECK(list != NULL, "cases.txt");
	if (!list)
		return;
	int ncases = 0;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		if (*line == '#' || !*line)
			continue;
		char *file = strchr(line, '|'), *want = file ? strchr(file + 1, '|') : NULL;
		if (!want) {
			CHECK(0, "bad line %s", line);
			continue;
		}
		*file++ = 0;
		*want++ = 0;
		decoder_fn fn = NULL;
		for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++)
			if (strcmp(decoders[i].name, line) == 0)
				fn = decoders[i].fn;
		char path[256], err[256] = "";
		snprintf(path, sizeof path, DATA "bad/%s", file);
		cJSON *j = load(path);
		CHECK(fn && j, "%s: decoder %s, parse", file, line);
		if (fn && j) {
			struct span_batch *b = span_batch_new(NULL);
			int rc = fn(j, b, err, sizeof err);
			CHECK(rc == ERR_BAD_INPUT && strncmp(err, want, strlen(want)) == 0, "%s: rc %d err [%s] want [%s]",
			      file, rc, err, want);
			span_batch_free(b);
		}
		cJSON_Delete(j);
		ncases++;
	}
	CHECK(ncases >= 50, "only %d bad cases", ncases);
	free(list);
}

/* Limits are checked on input built here rather than megabyte files. */
static void test_limits(void)
{
	char err[256];
	struct span_batch *b;

	cJSON *trace = cJSON_CreateObject(), *spans = cJSON_AddArrayToObject(trace, "spans");
	cJSON_AddStringToObject(trace, "name", "big");
	for (int i = 0; i <= NATIVE_MAX_ITEMS; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "name", "x");
		cJSON_AddItemToArray(spans, s);
	}
	b = span_batch_new(NULL);
	int rc = native_cognobserve_decode(trace, b, err, sizeof err);
	CHECK(rc == ERR_BAD_INPUT && strcmp(err, "spans: more than 10000 items") == 0, "span cap: %s", err);
	span_batch_free(b);
	/* exactly the cap is fine */
	cJSON_DeleteItemFromArray(spans, 0);
	b = span_batch_new(NULL);
	rc = native_cognobserve_decode(trace, b, err, sizeof err);
	CHECK(rc == ERR_OK && b->nspans == NATIVE_MAX_ITEMS + 1, "10000 spans + root: rc %d %zu", rc, b->nspans);
	span_batch_free(b);
	cJSON_Delete(trace);

	cJSON *arr = cJSON_CreateArray();
	for (int i = 0; i <= NATIVE_MAX_ITEMS; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "trace_id", "t");
		cJSON_AddStringToObject(s, "name", "n");
		cJSON_AddNumberToObject(s, "value", 1);
		cJSON_AddItemToArray(arr, s);
	}
	b = span_batch_new(NULL);
	rc = native_scores_decode(arr, b, err, sizeof err);
	CHECK(rc == ERR_BAD_INPUT && strcmp(err, "body: more than 10000 items") == 0, "item cap: %s", err);
	span_batch_free(b);
	cJSON_Delete(arr);

	cJSON *t = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(t, "metadata");
	cJSON_AddStringToObject(t, "name", "wide");
	char key[32];
	for (int i = 0; i <= SPAN_MAX_ATTRS; i++) {
		snprintf(key, sizeof key, "k%d", i);
		cJSON_AddNumberToObject(meta, key, i);
	}
	b = span_batch_new(NULL);
	rc = native_cognobserve_decode(t, b, err, sizeof err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "metadata: more than 4096 attributes"), "attr cap: %s", err);
	span_batch_free(b);
	cJSON_Delete(t);

	/* a key path longer than SPAN_MAX_NAME */
	char *longkey = malloc(SPAN_MAX_NAME + 2);
	memset(longkey, 'k', SPAN_MAX_NAME + 1);
	longkey[SPAN_MAX_NAME + 1] = 0;
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "trace_id", "t");
	cJSON_AddStringToObject(t, "name", "n");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(t, "attributes"), longkey, 1);
	b = span_batch_new(NULL);
	rc = native_neon_traces_decode(t, b, err, sizeof err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "attributes: attribute key longer than 4096 bytes"), "key cap: %s", err);
	span_batch_free(b);
	cJSON_Delete(t);
	free(longkey);
}

int main(void)
{
	test_cognobserve_sdk();
	test_cognobserve_variant();
	test_cognobserve_minimal();
	test_neon_trace();
	test_neon_traces_array();
	test_neon_span();
	test_neon_times();
	test_scores();
	test_bad_files();
	test_limits();
	return test_done();
}
