/* test_prices.c: the price table: the shipped file parses, the matching
 * rule (prefixes, dates, case, token boundaries, '*', longest wins), the
 * cost formula and its cached-token convention, user overrides, and bad
 * files rejected with the file, line and problem named. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/err.h"
#include "ingest/prices.h"
#include "test.h"

static const char *matched(const struct prices *p, const char *model)
{
	const struct price *r = prices_match(p, model);
	return r ? r->pattern : "(none)";
}

#define MATCHES(p, model, want) \
	CHECK(!strcmp(matched(p, model), want), "%s -> %s, want %s", model, matched(p, model), want)

static void test_shipped(void)
{
	char err[512] = "";
	struct prices *p = prices_load(NULL, err, sizeof err);
	CHECK(p != NULL, "shipped table: %s", err);
	if (!p)
		return;
	CHECK(prices_count(p) > 60, "only %zu rows", prices_count(p));
	MATCHES(p, "gpt-4o", "gpt-4o");
	MATCHES(p, "gpt-4o-2024-08-06", "gpt-4o");
	MATCHES(p, "gpt-4o-2024-05-13", "gpt-4o-2024-05-13");
	MATCHES(p, "gpt-4o-mini", "gpt-4o-mini");
	MATCHES(p, "gpt-4o-mini-2024-07-18", "gpt-4o-mini");
	MATCHES(p, "openai/gpt-4o-mini", "gpt-4o-mini");
	MATCHES(p, "GPT-4O-Mini", "gpt-4o-mini");
	MATCHES(p, "gpt-4.1-2025-04-14", "gpt-4.1");
	MATCHES(p, "gpt-4.1-mini-2025-04-14", "gpt-4.1-mini");
	MATCHES(p, "gpt-4-0613", "gpt-4");
	MATCHES(p, "gpt-4-turbo-2024-04-09", "gpt-4-turbo");
	MATCHES(p, "chatgpt-4o-latest", "chatgpt-4o");
	MATCHES(p, "o1-mini", "o1-mini");
	MATCHES(p, "o3-mini-2025-01-31", "o3-mini");
	MATCHES(p, "claude-3-5-sonnet-20241022", "claude-3-5-sonnet");
	MATCHES(p, "claude-3-5-sonnet-latest", "claude-3-5-sonnet");
	MATCHES(p, "claude-3-5-sonnet@20240620", "claude-3-5-sonnet");
	MATCHES(p, "anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet");
	MATCHES(p, "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet");
	MATCHES(p, "claude-sonnet-4-20250514", "claude-sonnet-4");
	MATCHES(p, "claude-opus-4-1-20250805", "claude-opus-4-1");
	MATCHES(p, "claude-3-5-haiku-20241022", "claude-3-5-haiku");
	MATCHES(p, "models/gemini-1.5-pro-002", "gemini-1.5-pro");
	MATCHES(p, "gemini-2.5-flash-lite", "gemini-2.5-flash-lite");
	MATCHES(p, "gemini-2.5-flash", "gemini-2.5-flash");
	MATCHES(p, "gemini-2.5-pro-preview-05-06", "gemini-2.5-pro");
	MATCHES(p, "mistral-large-2411", "mistral-large");
	MATCHES(p, "mistral-large-latest", "mistral-large");
	MATCHES(p, "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "llama-4-maverick*");
	MATCHES(p, "deepseek/deepseek-chat", "deepseek-chat");
	/* token boundaries: a pattern is not a prefix of another model's name */
	MATCHES(p, "gpt-4o-minimal", "(none)");
	MATCHES(p, "gpt-4oo", "(none)");
	MATCHES(p, "gpt-4.5", "(none)");
	MATCHES(p, "o1x", "(none)");
	MATCHES(p, "my-gpt-4o", "(none)");
	MATCHES(p, "", "(none)");
	MATCHES(p, "openai/", "(none)");
	const struct price *a = prices_match(p, "gpt-4o"), *b = prices_match(p, "gpt-4o-mini");
	CHECK(a && b && a->input != b->input && a->output != b->output, "gpt-4o-mini priced like gpt-4o");
	CHECK(a && fabs(a->input - 2.5e-6) < 1e-15 && fabs(a->output - 1e-5) < 1e-15, "gpt-4o prices");
	/* an empty cache column means the input price */
	CHECK(a && a->cache_write == a->input, "gpt-4o cache_write %g", a ? a->cache_write : -1);
	prices_free(p);
}

static void test_cost(void)
{
	struct price pr = {"m", "", 1e-6, 4e-6, 1e-7, 1.25e-6};
	/* input includes cached tokens: 1000 - 300 - 100 uncached */
	double c = prices_cost(&pr, 1000, 200, 300, 100);
	CHECK(fabs(c - (600 * 1e-6 + 200 * 4e-6 + 300 * 1e-7 + 100 * 1.25e-6)) < 1e-15, "cost %.12g", c);
	/* input smaller than the cached tokens: taken as uncached only */
	c = prices_cost(&pr, 50, 0, 300, 0);
	CHECK(fabs(c - (50 * 1e-6 + 300 * 1e-7)) < 1e-15, "cost %.12g", c);
	CHECK(prices_cost(&pr, 0, 0, 0, 0) == 0, "zero");
}

static void test_apply(void)
{
	char err[256];
	struct prices *p = prices_load(NULL, err, sizeof err);
	struct span s;
	memset(&s, 0, sizeof s);
	s.model = "gpt-4o-mini-2024-07-18";
	s.input_tokens = 1000;
	s.output_tokens = 100;
	prices_apply_span(p, &s);
	CHECK(s.has_cost && s.cost_source == SPAN_COST_TABLE, "priced");
	CHECK(fabs(s.cost_usd - (1000 * 0.15e-6 + 100 * 0.6e-6)) < 1e-15, "cost %.12g", s.cost_usd);
	/* a client cost wins */
	memset(&s, 0, sizeof s);
	s.model = "gpt-4o";
	s.input_tokens = 1000;
	s.cost_usd = 42;
	s.has_cost = 1;
	prices_apply_span(p, &s);
	CHECK(s.cost_usd == 42 && s.cost_source == SPAN_COST_CLIENT, "client cost kept");
	/* no tokens, or an unknown model: no cost */
	memset(&s, 0, sizeof s);
	s.model = "gpt-4o";
	prices_apply_span(p, &s);
	CHECK(!s.has_cost && s.cost_source == SPAN_COST_NONE, "no tokens");
	s.model = "my-own-model";
	s.input_tokens = 10;
	prices_apply_span(p, &s);
	CHECK(!s.has_cost && s.cost_source == SPAN_COST_NONE, "unknown model");
	prices_free(p);
}

static void test_override(void)
{
	char err[256] = "";
	struct prices *p = prices_load(NULL, err, sizeof err);
	size_t n = prices_count(p);
	const char *user = "# mine\n\n pattern , provider,input,output,cache_read,cache_write\r\n"
	                   "gpt-4o,openai,0.001,0.002,,\n"
	                   "My-Model*,me,0.000001,0.000002,0.0000001,0\n"
	                   "*,,0.0000001,0.0000001,,\n";
	int rc = prices_parse(p, "user.csv", user, strlen(user), err, sizeof err);
	CHECK(rc == ERR_OK, "override: %s", err);
	CHECK(prices_count(p) == n + 2, "%zu rows, want %zu", prices_count(p), n + 2);
	const struct price *r = prices_match(p, "gpt-4o-2024-08-06");
	CHECK(r && r->input == 0.001 && r->cache_read == 0.001, "overridden gpt-4o");
	r = prices_match(p, "my-model-v2");
	CHECK(r && !strcmp(r->pattern, "my-model*") && !strcmp(r->provider, "me") && r->cache_write == 0,
	      "new row with '*'");
	/* "*" alone catches what nothing else prices, and loses to any other row */
	MATCHES(p, "some-unknown-model", "*");
	MATCHES(p, "gpt-4o-mini", "gpt-4o-mini");
	prices_free(p);
}

static void test_bad_files(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"", "t.csv: no header line"},
		{"# only comments\n", "t.csv: no header line"},
		{"model,input,output\n", "t.csv: line 1: expected the header line"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,openai,1e-6,2e-6\n",
		 "t.csv: line 2: expected 6 comma-separated fields"},
		{"pattern,provider,input,output,cache_read,cache_write\n#\ngpt-x,openai,1e-6,2e-6,,,\n",
		 "t.csv: line 3: expected 6 comma-separated fields"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,openai,abc,2e-6,,\n",
		 "t.csv: line 2: input: expected a non-negative number"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,openai,1e-6,-1,,\n",
		 "t.csv: line 2: output: expected a non-negative number"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,openai,1e-6,nan,,\n",
		 "t.csv: line 2: output: expected a non-negative number"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,openai,,1e-6,,\n",
		 "t.csv: line 2: input: expected a non-negative number"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,openai,2.5,10,,\n",
		 "t.csv: line 2: input: 2.5 USD per token is too high"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,openai,1e-6,1e-6,x,\n",
		 "t.csv: line 2: cache_read: expected"},
		{"pattern,provider,input,output,cache_read,cache_write\nopenai/gpt-x,openai,1e-6,1e-6,,\n",
		 "t.csv: line 2: pattern: must not contain '/'"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt*x,openai,1e-6,1e-6,,\n",
		 "t.csv: line 2: pattern: '*' may only end"},
		{"pattern,provider,input,output,cache_read,cache_write\n,openai,1e-6,1e-6,,\n",
		 "t.csv: line 2: pattern: empty"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt x,openai,1e-6,1e-6,,\n",
		 "t.csv: line 2: pattern: only letters"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,open ai,1e-6,1e-6,,\n",
		 "t.csv: line 2: provider: only letters"},
		{"pattern,provider,input,output,cache_read,cache_write\ngpt-x,a,1e-6,1e-6,,\n\nGPT-X,b,1e-6,1e-6,,\n",
		 "t.csv: line 4: pattern 'gpt-x' already on line 2"},
	};
	char err[512];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct prices *p = prices_new();
		err[0] = 0;
		int rc = prices_parse(p, "t.csv", cases[i].text, strlen(cases[i].text), err, sizeof err);
		CHECK(rc == ERR_BAD_INPUT, "case %zu accepted", i);
		CHECK(!strncmp(err, cases[i].want, strlen(cases[i].want)), "case %zu: '%s', want '%s...'", i, err,
		      cases[i].want);
		CHECK(prices_count(p) == 0, "case %zu: table changed", i);
		prices_free(p);
	}
	/* a file of only a header: no rows to sort (qsort(NULL, 0) is UB) */
	struct prices *empty = prices_new();
	const char *header = "pattern,provider,input,output,cache_read,cache_write\n";
	CHECK(prices_parse(empty, "t.csv", header, strlen(header), err, sizeof err) == ERR_OK && prices_count(empty) == 0,
	      "header only: %s", err);
	prices_free(empty);
	/* a long line, a NUL byte, a missing file */
	char longline[1200];
	memset(longline, 'a', sizeof longline);
	struct prices *p = prices_new();
	CHECK(prices_parse(p, "t.csv", longline, sizeof longline, err, sizeof err) == ERR_BAD_INPUT &&
	          strstr(err, "line 1: longer than 1024"),
	      "long line: %s", err);
	CHECK(prices_parse(p, "t.csv", "pattern\0", 8, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "NUL"),
	      "NUL: %s", err);
	CHECK(prices_parse_file(p, "/nonexistent/prices.csv", err, sizeof err) == ERR_BAD_INPUT &&
	          strstr(err, "/nonexistent/prices.csv: cannot open"),
	      "missing file: %s", err);
	CHECK(prices_load("/nonexistent/prices.csv", err, sizeof err) == NULL, "load with a missing file");
	/* a bad row after good ones leaves the table as it was */
	const char *half = "pattern,provider,input,output,cache_read,cache_write\nok-1,a,1e-6,1e-6,,\nbad,a,x,1,,\n";
	CHECK(prices_parse(p, "t.csv", half, strlen(half), err, sizeof err) == ERR_BAD_INPUT &&
	          prices_count(p) == 0,
	      "partial file applied");
	prices_free(p);
}

int main(void)
{
	test_shipped();
	test_cost();
	test_apply();
	test_override();
	test_bad_files();
	return test_done();
}
