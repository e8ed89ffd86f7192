/* test_json.c: the one JSON writer (base/json.h), table-driven: strings
 * (escapes, every control character, UTF-8 kept or repaired byte by byte),
 * exact int64, doubles (shortest round-trip, null for NaN and infinities),
 * base64 (RFC 4648 vectors) and the buffer's cap. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include "base/json.h"
#include "base/utf8.h"
#include "test.h"

/* Runs fn on a fresh uncapped buffer and compares the text with want. */
#define EXPECT(call, want, what)                                                          \
	do {                                                                                  \
		struct jbuf b_;                                                                   \
		jbuf_init(&b_, JBUF_NO_CAP);                                                      \
		struct jbuf *b = &b_;                                                             \
		call;                                                                             \
		size_t n_ = 0;                                                                    \
		char *got_ = jbuf_finish(b, &n_);                                                 \
		CHECK(got_ && n_ == strlen(want) && memcmp(got_, want, n_) == 0, "%s: [%s] want [%s]", \
		      what, got_ ? got_ : "(null)", want);                                        \
		free(got_);                                                                       \
	} while (0)

struct str_case {
	const char *what;
	const char *in;
	size_t len;
	const char *want;
};

#define S(what, lit, want) {what, lit, sizeof(lit) - 1, want}

static const struct str_case str_cases[] = {
	S("empty", "", "\"\""),
	S("ASCII", "hello, world", "\"hello, world\""),
	S("quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\""),
	S("named escapes", "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""),
	S("slash and DEL pass", "/\x7f", "\"/\x7f\""),
	S("NUL inside", "a\0b", "\"a\\u0000b\""),
	S("2-byte", "\xc3\xa9", "\"\xc3\xa9\""),
	S("3-byte", "\xe2\x82\xac", "\"\xe2\x82\xac\""),
	S("4-byte", "\xf0\x9f\x99\x82", "\"\xf0\x9f\x99\x82\""),
	S("U+FFFD itself", "\xef\xbf\xbd", "\"\xef\xbf\xbd\""),
	S("U+10FFFF", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""),
	S("lone continuation", "a\x80z", "\"a\\ufffdz\""),
	S("overlong 2-byte '/'", "\xc0\xaf", "\"\\ufffd\\ufffd\""),
	S("overlong 3-byte", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""),
	S("overlong 4-byte", "\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	S("surrogate D800", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""),
	S("surrogate DFFF", "\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\""),
	S("past U+10FFFF", "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	S("truncated 3-byte at end", "x\xe2\x82", "\"x\\ufffd\\ufffd\""),
	S("truncated 4-byte at end", "\xf0\x9f\x99", "\"\\ufffd\\ufffd\\ufffd\""),
	S("lead then ASCII", "\xc3(", "\"\\ufffd(\""),
	S("0xFF", "\xff", "\"\\ufffd\""),
	S("0xFE", "\xfe", "\"\\ufffd\""),
};

static void test_strings(void)
{
	for (size_t i = 0; i < sizeof str_cases / sizeof str_cases[0]; i++) {
		const struct str_case *c = &str_cases[i];
		EXPECT(json_str(b, c->in, c->len), c->want, c->what);
	}
	/* every control character: the named five by name, the rest \u00XX */
	for (unsigned c = 0; c < 0x20; c++) {
		char in = (char)c, want[16], what[32];
		const char *named = c == '\b' ? "b" : c == '\f' ? "f" : c == '\n' ? "n" : c == '\r' ? "r"
		                  : c == '\t' ? "t" : NULL;
		if (named)
			snprintf(want, sizeof want, "\"\\%s\"", named);
		else
			snprintf(want, sizeof want, "\"\\u%04x\"", c);
		snprintf(what, sizeof what, "control 0x%02x", c);
		EXPECT(json_str(b, &in, 1), want, what);
	}
	EXPECT(json_strz(b, NULL), "\"\"", "NULL is empty");
	EXPECT(json_strz(b, "a\tb"), "\"a\\tb\"", "NUL-terminated");
}

static void test_ints(void)
{
	static const struct {
		int64_t v;
		const char *want;
	} cases[] = {
		{0, "0"}, {-1, "-1"}, {42, "42"},
		{INT64_MAX, "9223372036854775807"}, {INT64_MIN, "-9223372036854775808"},
		{(int64_t)1 << 53 | 1, "9007199254740993"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		EXPECT(json_i64(b, cases[i].v), cases[i].want, cases[i].want);
		char out[JSON_INT_MAX];
		size_t n = json_i64_fmt(out, cases[i].v);
		CHECK(n == strlen(out) && strcmp(out, cases[i].want) == 0, "fmt %s", out);
	}
	EXPECT(json_u64(b, UINT64_MAX), "18446744073709551615", "UINT64_MAX");
	EXPECT(json_u64(b, 0), "0", "u64 0");
}

static void test_doubles(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{NAN, "null"}, {INFINITY, "null"}, {-INFINITY, "null"},
		{0.0, "0.0"}, {-0.0, "-0.0"}, {42.0, "42.0"}, {-3.0, "-3.0"},
		{0.1, "0.1"}, {0.5, "0.5"}, {1.0 / 3.0, "0.3333333333333333"},
		{0.1 + 0.2, "0.30000000000000004"}, {1e300, "1e+300"}, {1e21, "1e+21"},
		{123456789012345.0, "123456789012345.0"}, {-DBL_MAX, "-1.7976931348623157e+308"},
		{5e-324, "5e-324"}, {-1.5e-320, "-1.5e-320"}, {DBL_MIN, "2.2250738585072014e-308"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		EXPECT(json_double(b, cases[i].v), cases[i].want, cases[i].want);
		char out[JSON_DOUBLE_MAX];
		size_t n = json_double_fmt(out, cases[i].v);
		CHECK(n == strlen(out) && strcmp(out, cases[i].want) == 0, "fmt %s", out);
		if (isfinite(cases[i].v))
			CHECK(strtod(out, NULL) == cases[i].v && signbit(strtod(out, NULL)) == signbit(cases[i].v),
			      "%s reads back", out);
	}
}

static void test_base64(void)
{
	/* RFC 4648 section 10 */
	static const char *const vec[][2] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		char want[32];
		snprintf(want, sizeof want, "\"%s\"", vec[i][1]);
		EXPECT(json_base64(b, vec[i][0], strlen(vec[i][0])), want, vec[i][0]);
	}
	static const unsigned char bin[] = {0, 1, 0xff, 0xfe};
	EXPECT(json_base64(b, bin, sizeof bin), "\"AAH//g==\"", "binary, + and /");
	/* longer than one encoding block, padding only at the very end */
	unsigned char big[1000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 7);
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	json_base64(&b, big, sizeof big);
	size_t n = 0;
	char *got = jbuf_finish(&b, &n);
	CHECK(n == 2 + (sizeof big + 2) / 3 * 4, "length %zu", n);
	CHECK(!memcmp(got + n - 3, "==\"", 3) && !memchr(got + 1, '=', n - 4), "padding at the end only");
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int ok = 1;
	for (size_t i = 0; i + 3 <= sizeof big; i += 3) {
		uint32_t x = (uint32_t)big[i] << 16 | (uint32_t)big[i + 1] << 8 | big[i + 2];
		const char *o = got + 1 + i / 3 * 4;
		ok &= o[0] == tab[x >> 18 & 63] && o[1] == tab[x >> 12 & 63] && o[2] == tab[x >> 6 & 63] &&
		      o[3] == tab[x & 63];
	}
	CHECK(ok, "every group across block boundaries");
	free(got);
}

static void test_buffer(void)
{
	struct jbuf b;
	jbuf_init(&b, 8);
	jbuf_lit(&b, "12345678");
	size_t n = 0;
	char *got = jbuf_finish(&b, &n);
	CHECK(got && n == 8 && strcmp(got, "12345678") == 0, "exactly the cap fits (NUL not counted)");
	free(got);
	jbuf_lit(&b, "1234");
	json_str(&b, "abcdef", 6);
	jbuf_putc(&b, 'x');
	CHECK(b.over && b.len == 0, "over the cap: dropped, and stays dropped");
	CHECK(jbuf_finish(&b, &n) == NULL, "finish says over");
	jbuf_putc(&b, 'y');
	got = jbuf_finish(&b, NULL);
	CHECK(got && strcmp(got, "y") == 0, "usable again after finish, same cap");
	free(got);
	jbuf_init(&b, JBUF_NO_CAP);
	got = jbuf_finish(&b, &n);
	CHECK(got && n == 0 && got[0] == 0, "empty output is \"\", not NULL");
	free(got);
	jbuf_init(&b, JBUF_NO_CAP);
	for (int i = 0; i < 10000; i++)
		jbuf_lit(&b, "abcdefgh");
	got = jbuf_finish(&b, &n);
	CHECK(got && n == 80000 && memcmp(got + 79992, "abcdefgh", 8) == 0, "grows");
	free(got);
}

/* The UTF-8 rule, from one table: well-formed length and repaired text. */
static void test_utf8(void)
{
	static const struct {
		const char *in;
		size_t n, valid;
		const char *repaired;
	} cases[] = {
		{"plain", 5, 5, "plain"},
		{"caf\xc3\xa9", 5, 5, "caf\xc3\xa9"},
		{"\xf0\x9f\x98\x80!", 5, 5, "\xf0\x9f\x98\x80!"},           /* U+1F600 */
		{"a\xff" "b", 3, 1, "a\xef\xbf\xbd" "b"},                          /* never valid */
		{"\xc0\xaf", 2, 0, "\xef\xbf\xbd\xef\xbf\xbd"},             /* overlong '/' */
		{"\xed\xa0\x80", 3, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
		{"\xf4\x90\x80\x80", 4, 0,
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},     /* past U+10FFFF */
		{"ab\xe2\x82", 4, 2, "ab\xef\xbf\xbd\xef\xbf\xbd"},         /* truncated */
		{"nul\0x", 5, 5, "nul\0x"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t valid = utf8_valid_len(cases[i].in, cases[i].n);
		CHECK(valid == cases[i].valid, "case %zu: valid %zu want %zu", i, valid, cases[i].valid);
		char out[64];
		size_t want = strlen(cases[i].repaired) + (i == 8 ? 2 : 0);
		size_t m = utf8_repair(cases[i].in, cases[i].n, NULL);
		CHECK(m == want && m <= 3 * cases[i].n, "case %zu: repaired length %zu", i, m);
		CHECK(utf8_repair(cases[i].in, cases[i].n, out) == m && memcmp(out, cases[i].repaired, m) == 0,
		      "case %zu: repaired text", i);
		CHECK(utf8_valid_len(out, m) == m, "case %zu: repair is well formed", i);
	}
}

/* json_print and json_string_item never let invalid UTF-8 through, and
 * leave valid text (and the rest of the structure) as cJSON prints it. */
static void test_print(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "bad", "x\xff\xfe\"y");
	cJSON_AddStringToObject(o, "good", "caf\xc3\xa9");
	cJSON_AddNumberToObject(o, "n", 1.5);
	size_t n;
	char *text = json_print(o, &n);
	const char *want = "{\"bad\":\"x\xef\xbf\xbd\xef\xbf\xbd\\\"y\",\"good\":\"caf\xc3\xa9\",\"n\":1.5}";
	CHECK(n == strlen(want) && strcmp(text, want) == 0, "repaired print: %s", text);
	cJSON *back = cJSON_Parse(text);
	CHECK(back && strcmp(cJSON_GetObjectItem(back, "good")->valuestring, "caf\xc3\xa9") == 0, "reads back");
	cJSON_Delete(back);
	cJSON_free(text);
	cJSON_Delete(o);

	o = cJSON_CreateArray();
	cJSON_AddItemToArray(o, cJSON_CreateString("ok \xc3\xa9"));
	text = json_print(o, &n);
	CHECK(strcmp(text, "[\"ok \xc3\xa9\"]") == 0 && n == strlen(text), "valid text printed as is: %s", text);
	cJSON_free(text);
	cJSON_Delete(o);

	cJSON *v = json_string_item("a\x80z");
	CHECK(strcmp(v->valuestring, "a\xef\xbf\xbdz") == 0, "string item repaired");
	cJSON_Delete(v);
	v = json_string_item("");
	CHECK(cJSON_IsString(v) && v->valuestring[0] == 0, "empty string item");
	cJSON_Delete(v);
}

int main(void)
{
	test_utf8();
	test_print();
	test_strings();
	test_ints();
	test_doubles();
	test_base64();
	test_buffer();
	return test_done();
}
