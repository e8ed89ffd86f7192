/* fuzz_prices.c: libFuzzer harness for price files (--prices): prices_parse
 * into an empty table. A table that parses must price every model name it
 * is asked for (a few fixed ones, and the first field of each input line)
 * with a finite, non-negative cost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "fuzz.h"
#include "ingest/prices.h"

#define MAX_NAMES 32

static const char *const fixed[] = {"gpt-4o", "gpt-4o-2024-08-06", "openai/gpt-4o-mini",
                                    "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "mistral-large-latest", ""};

struct prices_job {
	const char *text;
	size_t len;
};

static void price(const struct prices *p, const char *model)
{
	const struct price *pr = prices_match(p, model);
	double cost = pr ? prices_cost(pr, 1000, 500, 300, 100) : 0;
	if (!isfinite(cost) || cost < 0) {
		fprintf(stderr, "fuzz_prices: model '%s' costs %g\n", model, cost);
		abort();
	}
}

static void parse(void *arg)
{
	const struct prices_job *j = arg;
	struct prices *p = prices_new();
	char err[512];
	if (prices_parse(p, "fuzz.csv", j->text, j->len, err, sizeof err) == ERR_OK) {
		for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
			price(p, fixed[i]);
		const char *s = j->text, *end = s + j->len;
		for (int n = 0; s < end && n < MAX_NAMES; n++) {
			size_t line = strcspn(s, "\n");
			char *name = strndup(s, strcspn(s, ",\n"));
			if (!name)
				abort();
			price(p, name);
			free(name);
			s += line + 1;
		}
	}
	prices_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* text NUL-terminated past its end, so the line scan stops there */
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	struct prices_job j = {text, size};
	fuzz_on_worker_stack(parse, &j);
	free(text);
	return 0;
}
