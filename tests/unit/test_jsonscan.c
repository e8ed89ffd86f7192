/* test_jsonscan.c: the pre-parse scan finds the root, bounds the values,
 * refuses deep nesting wherever it hides (not inside strings), and the
 * ingest path that uses it survives 700 '[' on a worker-sized stack. */
#include <stdlib.h>
#include "base/err.h"
#include "ingest/ingest.h"
#include "base/jsonscan.h"
#include "test.h"
#include "ingest/batch.h"

static int scan(const char *text, size_t max_values, struct json_shape *shape, char *err)
{
	return json_scan(text, strlen(text), max_values, shape, err, 256);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memset(s, c, n);
	s[n] = 0;
	return s;
}

static void test_scan(void)
{
	struct json_shape sh;
	char err[256] = "";
	CHECK(scan("  {\"a\":[1,2,3]}", 100, &sh, err) == ERR_OK && sh.root == '{' && sh.values == 5, "values %zu",
	      sh.values);
	CHECK(scan("", 100, &sh, err) == ERR_OK && sh.root == 0, "empty");
	CHECK(scan("\"[[[[{{{{\\\"[[[\"", 100, &sh, err) == ERR_OK && sh.root == '"' && sh.values == 1,
	      "brackets and escaped quotes inside a string do not count");
	CHECK(scan("[\"a\\\\\",[1]]", 100, &sh, err) == ERR_OK && sh.values == 4, "an escaped backslash ends a string");
	char *deep = repeat('[', JSONSCAN_MAX_DEPTH);
	CHECK(scan(deep, 1000, &sh, err) == ERR_OK, "%d levels pass: %s", JSONSCAN_MAX_DEPTH, err);
	free(deep);
	deep = repeat('[', 700);
	CHECK(scan(deep, 1000, &sh, err) == ERR_BAD_INPUT && strstr(err, "nested deeper than 160 levels at byte 160"), "%s",
	      err);
	free(deep);
	deep = repeat(']', 700);
	memset(deep + 350, '[', 350);
	CHECK(scan(deep, 1000, &sh, err) == ERR_BAD_INPUT, "closing brackets first do not buy depth");
	free(deep);
	CHECK(scan("[0,0,0,0,0]", 4, &sh, err) == ERR_TOO_LARGE && strstr(err, "more than 4 values"), "%s", err);
}

struct decode {
	const char *body;
	size_t len;
	enum ingest_route route;
	int rc;
	char err[512];
};

static void decode_on_stack(void *arg)
{
	struct decode *d = arg;
	struct span_batch *b = span_batch_new(NULL);
	struct reqmem m = {0};
	d->rc = ingest_decode(d->route, INGEST_JSON, NULL, d->body, d->len, b, &m, d->err, sizeof d->err);
	span_batch_free(b);
	reqmem_release(&m);
}

/* Every JSON route, the crasher of the issue: 700 '[' killed the server. */
/* json_string_end against the plain definition (left to right, a backslash
 * takes the next byte) on every string over {a, ", \\} up to 9 bytes, placed
 * behind 0-40 filler bytes so both the 16-byte steps and the tail run. */
static const char *string_end_ref(const char *p, const char *end, int *escaped)
{
	for (; p < end; p++) {
		if (*p == '"')
			return p;
		if (*p == '\\') {
			*escaped = 1;
			if (++p == end)
				return NULL;
		}
	}
	return NULL;
}

static void test_string_end(void)
{
	static const char alphabet[] = "a\"\\";
	char buf[64];
	int bad = 0, cases = 0;
	for (size_t fill = 0; fill <= 40; fill += 7)
		for (size_t len = 0; len <= 9; len++) {
			size_t combos = 1;
			for (size_t i = 0; i < len; i++)
				combos *= 3;
			for (size_t c = 0; c < combos; c++) {
				size_t x = c;
				memset(buf, 'x', fill);
				for (size_t i = 0; i < len; i++, x /= 3)
					buf[fill + i] = alphabet[x % 3];
				const char *end = buf + fill + len;
				int e1 = 0, e2 = 0;
				const char *got = json_string_end(buf, end, &e1), *want = string_end_ref(buf, end, &e2);
				cases++;
				if ((got != want || (want && e1 != e2)) && bad++ == 0)
					printf("first: fill %zu \"%.*s\": got %td/%d, want %td/%d\n", fill, (int)len, buf + fill,
					       got ? got - buf : -1, e1, want ? want - buf : -1, e2);
			}
		}
	CHECK(bad == 0, "%d of %d strings end elsewhere than the definition says", bad, cases);
}

static void test_routes(void)
{
	char *body = repeat('[', 700);
	enum ingest_route routes[] = {INGEST_OTLP, INGEST_NEON_TRACES, INGEST_NEON_SPANS, INGEST_SCORES};
	for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
		struct decode d = {.body = body, .len = 700, .route = routes[i]};
		test_on_worker_stack(decode_on_stack, &d);
		CHECK(d.rc == ERR_BAD_INPUT && strstr(d.err, "nested deeper"), "route %zu: rc %d %s", i, d.rc, d.err);
	}
	free(body);
	/* as deep as the scan lets through, in an attribute: the decoder names it */
	char attr[2048] = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":\"d\",\"value\":";
	size_t at = strlen(attr);
	int levels = (JSONSCAN_MAX_DEPTH - 11) / 3;
	for (int i = 0; i < levels; i++, at += strlen(attr + at))
		strcpy(attr + at, "{\"arrayValue\":{\"values\":[");
	strcpy(attr + at, "{\"intValue\":1}");
	for (int i = 0; i < levels; i++)
		strcat(attr, "]}}");
	strcat(attr, "}]}]}]}]}");
	struct decode named = {.body = attr, .len = strlen(attr), .route = INGEST_OTLP};
	test_on_worker_stack(decode_on_stack, &named);
	CHECK(named.rc == ERR_BAD_INPUT &&
	          strstr(named.err, "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: nesting deeper than 12"),
	      "%d levels: %s", levels, named.err);
	struct decode arr = {.body = "[{\"a\":1}]", .len = 9, .route = INGEST_OTLP};
	test_on_worker_stack(decode_on_stack, &arr);
	CHECK(arr.rc == ERR_BAD_INPUT && strstr(arr.err, "top level: expected a JSON object"), "array root: %s", arr.err);
	struct decode num = {.body = "42", .len = 2, .route = INGEST_SCORES};
	test_on_worker_stack(decode_on_stack, &num);
	CHECK(num.rc == ERR_BAD_INPUT && strstr(num.err, "top level: expected a JSON object or an array"), "number root: %s",
	      num.err);
	/* 2M+ values of "[0,0,...": refused before a tree is built */
	size_t n = 4200000;
	char *zeros = malloc(2 * n + 2), *p = zeros;
	if (!zeros)
		abort();
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		*p++ = '0';
		*p++ = ',';
	}
	p[-1] = ']';
	struct decode many = {.body = zeros, .len = (size_t)(p - zeros), .route = INGEST_NEON_SPANS};
	test_on_worker_stack(decode_on_stack, &many);
	CHECK(many.rc == ERR_TOO_LARGE && strstr(many.err, "values"), "many values: rc %d %s", many.rc, many.err);
	free(zeros);
}

int main(void)
{
	test_string_end();
	test_scan();
	test_routes();
	return test_done();
}
