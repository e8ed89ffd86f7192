/* test_otlp_json_fast.c: the OTLP/JSON fast path against the cJSON path.
 * Whatever otlp_json_fast_decode takes, cJSON + otlp_json_decode must take
 * too and build the same request (compared packed); every file of
 * tests/data/otlp_json/, mutations of them and hand-written edge cases run
 * through both. Common shapes must take the fast path, odd ones leave it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "../fuzz/json_fast_diff.h"

#define DATA "tests/data/otlp_json/"

/* Runs text through both decoders; returns whether the fast path took it.
 * When it did, the slow path must agree byte for byte. */
static int differ(const char *what, const char *text, size_t len)
{
	char why[640] = "";
	int rc = json_fast_diff(text, len, why, sizeof why);
	CHECK(rc >= 0, "%s: %s", what, why);
	return rc > 0;
}

#define SPAN_OK "\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\""
#define WRAP(span) "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" span "}]}]}]}"

static void check_taken(const char *text, int want)
{
	int took = differ(text, text, strlen(text));
	CHECK(took == want, "fast path %s: %s", want ? "should take" : "should leave", text);
}

static void hand_cases(void)
{
	/* taken */
	check_taken(WRAP(SPAN_OK), 1);
	check_taken("{\"resourceSpans\":[]}", 1);
	check_taken("{\"resource_spans\":[{\"scope_spans\":[]}]} trailing bytes cJSON ignores", 1);
	check_taken(" \n{ \"resourceSpans\" : [ { \"resource\" : { \"attributes\" : [ { \"key\" : \"service.name\" , "
	            "\"value\" : { \"stringValue\" : \"svc\" } } ] } } ] }",
	            1);
	check_taken(WRAP(SPAN_OK ",\"name\":\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\\u00e9\\u20ac\\ud83d\\ude00\""), 1);
	check_taken(WRAP(SPAN_OK ",\"kind\":\"SPAN_KIND_CLIENT\",\"status\":{\"code\":2,\"message\":\"boom\"}"), 1);
	check_taken(WRAP(SPAN_OK ",\"kind\":3,\"status\":{\"code\":\"STATUS_CODE_OK\"},\"flags\":257"), 1);
	check_taken(WRAP(SPAN_OK ",\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":1.7e18"), 1);
	check_taken(WRAP(SPAN_OK ",\"start_time_unix_nano\":\"-0\",\"end_time_unix_nano\":0"), 1);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":\"i\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
	                          "{\"key\":\"j\",\"value\":{\"intValue\":-12}},{\"key\":\"d\",\"value\":{\"doubleValue\":-1.5e-3}},"
	                          "{\"key\":\"b\",\"value\":{\"boolValue\":false}},{\"key\":\"t\",\"value\":{\"bool_value\":true}},"
	                          "{\"key\":\"n\",\"value\":null},{\"key\":\"e\",\"value\":{}},{\"value\":{\"stringValue\":\"nokey\"}},"
	                          "{\"key\":\"a\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":1},{\"arrayValue\":{}}]}}},"
	                          "{\"key\":\"k\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"x\",\"value\":{\"stringValue\":\"y\"}}]}}},"
	                          "{\"key\":\"z\",\"value\":{\"stringValue\":null,\"intValue\":5,\"other\":[1,{\"a\":[true,null]}]}}]"),
	            1);
	check_taken(WRAP(SPAN_OK ",\"events\":[{\"timeUnixNano\":\"5\",\"name\":\"ev\",\"attributes\":[],"
	                          "\"droppedAttributesCount\":1}],\"links\":[{\"traceId\":\"0102030405060708090A0B0C0D0E0F10\","
	                          "\"spanId\":\"\",\"traceState\":\"x=1\",\"flags\":1}],\"droppedEventsCount\":2,"
	                          "\"droppedLinksCount\":3,\"droppedAttributesCount\":4,\"traceState\":\"s\",\"parentSpanId\":\"\""),
	            1);
	check_taken("{\"resourceSpans\":[{\"resource\":null,\"schemaUrl\":\"u\",\"scopeSpans\":[{\"scope\":{\"name\":\"n\","
	            "\"version\":\"1\",\"attributes\":[],\"droppedAttributesCount\":0},\"schema_url\":\"v\",\"spans\":null}]}],"
	            "\"unknown\":{\"deep\":[[[\"\\u0041\"]]],\"num\":-0.5e+7}}",
	            1);
	/* left to the slow path (valid or not) */
	check_taken("", 0);
	check_taken("[]", 0);
	check_taken("{}", 0);
	check_taken("{\"resourceSpans\":null}", 0);
	check_taken("{\"resourceSpans\":[],\"resource_spans\":[]}", 0);
	check_taken("{\"resourceLogs\":[]}", 0);
	check_taken("\xef\xbb\xbf{\"resourceSpans\":[]}", 0);
	check_taken("{\"resourceSpans\":[],}", 0);
	check_taken("{\"resourceSpans\":[1]}", 0);
	check_taken("{\"resourceSpans\":[{},]}", 0);
	check_taken("{\"resourceSpans\":[{\"scopeSpans\":{}}]}", 0);
	check_taken("{\"resourceSpans\":[]", 0);
	check_taken("{\"resource\\u0053pans\":[]}", 0);
	check_taken(WRAP(SPAN_OK ",\"name\":\"a\\u0000b\""), 0);
	check_taken(WRAP(SPAN_OK ",\"name\":\"a\\x\""), 0);
	check_taken(WRAP(SPAN_OK ",\"name\":\"\\ud83d\""), 0);
	check_taken(WRAP(SPAN_OK ",\"name\":\"\\ude00\""), 0);
	check_taken(WRAP(SPAN_OK ",\"name\":\"\\u12\""), 0);
	check_taken(WRAP(SPAN_OK ",\"name\":1"), 0);
	check_taken(WRAP(SPAN_OK ",\"name\":\"a\",\"name\":\"b\""), 0);
	check_taken(WRAP(SPAN_OK ",\"parentSpanId\":\"01\",\"parent_span_id\":\"02\""), 0);
	check_taken(WRAP(SPAN_OK ",\"kind\":\"SPAN_KIND_NOPE\""), 0);
	check_taken(WRAP(SPAN_OK ",\"kind\":2147483648"), 0);
	check_taken(WRAP(SPAN_OK ",\"kind\":1.5"), 0);
	check_taken(WRAP(SPAN_OK ",\"flags\":4294967296"), 0);
	check_taken(WRAP(SPAN_OK ",\"flags\":-1"), 0);
	check_taken(WRAP(SPAN_OK ",\"startTimeUnixNano\":\"18446744073709551616\""), 0);
	check_taken(WRAP(SPAN_OK ",\"startTimeUnixNano\":\"1e9\""), 0);
	check_taken(WRAP(SPAN_OK ",\"startTimeUnixNano\":\"\""), 0);
	check_taken(WRAP(SPAN_OK ",\"startTimeUnixNano\":true"), 0);
	check_taken(WRAP(SPAN_OK ",\"startTimeUnixNano\":1e"), 0);
	check_taken(WRAP(SPAN_OK ",\"startTimeUnixNano\":-"), 0);
	check_taken(WRAP(SPAN_OK ",\"spanId\":\"0102\""), 0);
	check_taken(WRAP("\"traceId\":\"0g\""), 0);
	check_taken(WRAP("\"traceId\":\"012\""), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":{}"), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":1}]"), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":\"a\",\"value\":{\"stringValue\":\"x\",\"intValue\":1}}]"), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":\"a\",\"value\":{\"bytesValue\":\"AA==\"}}]"), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":\"a\",\"value\":{\"doubleValue\":\"NaN\"}}]"), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":\"a\",\"value\":{\"boolValue\":1}}]"), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":9223372036854775808}}]"), 0);
	check_taken(WRAP(SPAN_OK ",\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":\"9223372036854775808\"}}]"), 0);
	check_taken(WRAP(SPAN_OK ",\"status\":\"x\""), 0);
	check_taken(WRAP(SPAN_OK ",\"x\":tru"), 0);
	check_taken(WRAP(SPAN_OK ",\"x\":nul"), 0);
	check_taken(WRAP(SPAN_OK ",\"x\":[1,]"), 0);
	check_taken(WRAP(SPAN_OK ",\"x\":01x"), 0);
	check_taken(WRAP(SPAN_OK ",\"x\":\"\\q\""), 0);
	check_taken(WRAP(SPAN_OK ",\"x\":\x01" "1"), 0);
	/* a raw NUL byte in a string: cJSON would cut the string there */
	static const char nul[] = WRAP(SPAN_OK ",\"name\":\"a\0b\"");
	CHECK(differ("raw NUL", nul, sizeof nul - 1) == 0, "a raw NUL in a string leaves the fast path");
}

/* AnyValue nesting: depth 12 taken, 13 left (SPAN_MAX_DEPTH). */
static void depth_cases(void)
{
	for (int depth = 11; depth <= 13; depth++) {
		char buf[2048], *p = buf;
		p += sprintf(p, "%s", "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"k\",\"value\":");
		for (int i = 1; i < depth; i++)
			p += sprintf(p, "%s", "{\"arrayValue\":{\"values\":[");
		p += sprintf(p, "%s", "{\"intValue\":1}");
		for (int i = 1; i < depth; i++)
			p += sprintf(p, "%s", "]}}");
		p += sprintf(p, "%s", "}]}}]}");
		int took = differ("depth", buf, (size_t)(p - buf));
		CHECK(took == (depth <= 12), "depth %d: took %d", depth, took);
	}
}

/* An unknown member nested to JSONSCAN_MAX_DEPTH is skipped without
 * recursion; one level more leaves the fast path (json_scan refuses it in
 * the server before either path runs). */
static void nesting_cases(void)
{
	for (int levels = 150; levels <= 170; levels += 20) {
		char buf[1024], *p = buf;
		p += sprintf(p, "%s", "{\"resourceSpans\":[],\"x\":");
		for (int i = 0; i < levels; i++)
			*p++ = i % 2 ? '[' : '{', p += i % 2 ? 0 : sprintf(p, "%s", "\"k\\n\":");
		*p++ = '1';
		for (int i = levels - 1; i >= 0; i--)
			*p++ = i % 2 ? ']' : '}';
		p += sprintf(p, "%s", "}");
		int took = differ("nesting", buf, (size_t)(p - buf));
		CHECK(took == (levels <= 160), "%d levels of an unknown member: took %d", levels, took);
	}
}

/* Every data file, and every prefix cut and one-byte change of the valid
 * ones, through both decoders. */
static void data_cases(void)
{
	DIR *d = opendir(DATA);
	struct dirent *e;
	int files = 0, taken = 0;
	CHECK(d != NULL, "cannot open %s", DATA);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), len;
		if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, DATA "%s", e->d_name);
		char *text = test_read_file(path, &len);
		CHECK(text != NULL, "cannot read %s", path);
		if (!text)
			continue;
		files++;
		taken += differ(e->d_name, text, len);
		if (strncmp(e->d_name, "bad_", 4) != 0) {
			/* every prefix and one-byte change: one check per file */
			static const char subst[] = "\"\\{}[],:0a-u \x01\xff";
			char why[640] = "", first[700] = "";
			int bad = 0, runs = 0;
			for (size_t cut = 0; cut < len; cut++, runs++)
				if (json_fast_diff(text, cut, why, sizeof why) < 0 && bad++ == 0)
					snprintf(first, sizeof first, "prefix %zu: %s", cut, why);
			char *m = malloc(len);
			for (size_t i = 0; i < len; i++)
				for (size_t s = 0; s < sizeof subst - 1; s++, runs++) {
					memcpy(m, text, len);
					m[i] = subst[s];
					if (json_fast_diff(m, len, why, sizeof why) < 0 && bad++ == 0)
						snprintf(first, sizeof first, "byte %zu = 0x%02x: %s", i, (unsigned char)subst[s], why);
				}
			free(m);
			CHECK(bad == 0, "%s: %d of %d prefixes and mutations disagree; first: %s", e->d_name, bad, runs, first);
		}
		free(text);
	}
	closedir(d);
	CHECK(files > 40 && taken >= 4, "%d files, %d taken by the fast path", files, taken);
}

/* What real clients send takes the fast path: the OTel JS SDK's JSON
 * exporter (escapes, UTF-8, an event, an array; captured from
 * @opentelemetry/exporter-trace-otlp-http) and two spans of the loadgen's
 * prose traces. */
static void client_cases(void)
{
	static const char *const files[] = {
		DATA "otel_js_sdk.json",
		"tests/fuzz/corpus/fuzz_otlp_json_fast/loadgen_two_spans.json",
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		size_t len;
		char *text = test_read_file(files[i], &len);
		CHECK(text && differ(files[i], text, len), "%s: not taken by the fast path", files[i]);
		free(text);
	}
}

int main(void)
{
	hand_cases();
	depth_cases();
	nesting_cases();
	data_cases();
	client_cases();
	return test_done();
}
