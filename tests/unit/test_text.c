/* test_text.c: src/base/text.c. One table of times drives text_parse_time
 * (what the API's from/to read) and the native decoder's timestamp field,
 * as a JSON string and, where the text is a plain number, as a JSON number,
 * so the two readers cannot drift apart again. Then ISO formatting, UUIDs,
 * bounded integers and src/base/env.c's numeric settings. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/env.h"
#include "base/err.h"
#include "base/text.h"
#include "ingest/batch.h"
#include "ingest/native.h"
#include "test.h"

#define T0 1705579200000000000ull   /* 2024-01-18T12:00:00Z */
#define MS 1000000ull
#define BAD UINT64_MAX              /* expected: refused */

static const struct {
	const char *text;
	uint64_t ns;
	int number;                     /* also valid as a JSON number, same result */
} times[] = {
	/* ISO-8601 */
	{"2024-01-18T12:00:00Z", T0, 0},
	{"2024-01-18T12:00:00.123Z", T0 + 123 * MS, 0},
	{"2024-01-18t12:00:00.1234567891234z", T0 + 123456789, 0},
	{"2024-01-18 12:00:00,5-01:30", 1705584600500000000ull, 0},
	{"2024-01-18T12:00:00+01:00", T0 - 3600 * 1000000000ull, 0},
	{"2024-01-18T12:00+0100", 1705575600000000000ull, 0},
	{"2024-01-18T12:00:00.25", T0 + 250 * MS, 0},
	{"2024-01-18", 1705536000000000000ull, 0},
	{"2000-02-29T00:00:00Z", 951782400000000000ull, 0},
	{"1970-01-01T00:00:00Z", 0, 0},
	{"2262-04-11T23:47:16.854775807Z", 9223372036854775807ull, 0},
	{"2262-04-11T23:47:16.854775808Z", BAD, 0},
	{"2300-01-01T00:00:00Z", BAD, 0},
	{"1969-12-31T23:59:59Z", BAD, 0},
	{"1970-01-01T00:30:00+01:00", BAD, 0},
	{"2024-13-01T00:00:00Z", BAD, 0},
	{"2024-01-32", BAD, 0},
	{"2023-02-29", BAD, 0},
	{"2025-02-30", BAD, 0},
	{"2024-01-18T24:00:00Z", BAD, 0},
	{"2024-01-18T12:60", BAD, 0},
	{"2024-01-18T12:00:00.Z", BAD, 0},
	{"2024-01-18T12:00:00+24:00", BAD, 0},
	{"2024-1-18", BAD, 0},
	{"2024-01-18T12:00:00Z ", BAD, 0},
	/* epoch numbers: seconds < 1e11 <= ms < 1e14 <= us < 1e17 <= ns */
	{"1705579200", T0, 1},
	{"1705579200.5", T0 + 500 * MS, 1},
	{"99999999999", BAD, 1},                               /* seconds, past 2262 */
	{"1705579200123", T0 + 123 * MS, 1},
	{"100000000000", 100000000000ull * MS, 1},
	{"1705579200123.5", T0 + 123 * MS + 500000, 1},
	{"1700000000000000", 1700000000000000000ull, 1},      /* microseconds, 2023 */
	{"1705579200123456", T0 + 123456000, 1},
	{"100000000000000", 100000000000000ull * 1000, 1},
	{"1705579200123456789", T0 + 123456789, 0},
	{"100000000000000000", 100000000000000000ull, 1},
	{"9223372036854775807", 9223372036854775807ull, 0},
	{"9223372036854775808", BAD, 0},
	{"99999999999999999999", BAD, 0},
	{"0", 0, 1},
	{"", BAD, 0},
	{"-5", BAD, 0},
	{"+5", BAD, 0},
	{" 5", BAD, 0},
	{"5 ", BAD, 0},
	{"1.", BAD, 0},
	{".5", BAD, 0},
	{"1e12", BAD, 0},
	{"0x10", BAD, 0},
	{"yesterday", BAD, 0},
};

/* Decodes {"timestamp": value} as a Neon span; its start or BAD. */
static uint64_t native_time(const char *value)
{
	char json[256], err[256];
	snprintf(json, sizeof json, "{\"trace_id\":\"t\",\"span_id\":\"s\",\"name\":\"n\",\"timestamp\":%s}", value);
	cJSON *j = cJSON_Parse(json);
	struct span_batch *b = span_batch_new(NULL);
	uint64_t ns = BAD;
	int rc = j ? native_neon_spans_decode(j, b, err, sizeof err) : ERR_BAD_INPUT;
	if (rc == ERR_OK && b->nspans == 1)
		ns = b->spans[0].start_ns;
	else
		CHECK(rc != ERR_BAD_INPUT || strstr(err, "timestamp: not an ISO-8601 time"), "%s: %s", value, err);
	span_batch_free(b);
	cJSON_Delete(j);
	return ns;
}

static void test_times(void)
{
	char quoted[128];
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		uint64_t ns = BAD;
		int rc = text_parse_time(times[i].text, &ns);
		CHECK(times[i].ns == BAD ? rc == ERR_BAD_INPUT && ns == BAD : rc == ERR_OK && ns == times[i].ns,
		      "text_parse_time(\"%s\") -> rc %d, %llu", times[i].text, rc, (unsigned long long)ns);
		snprintf(quoted, sizeof quoted, "\"%s\"", times[i].text);
		ns = native_time(quoted);
		CHECK(ns == times[i].ns, "native \"%s\" -> %llu", times[i].text, (unsigned long long)ns);
		if (times[i].number) {
			ns = native_time(times[i].text);
			CHECK(ns == times[i].ns, "native %s -> %llu", times[i].text, (unsigned long long)ns);
		}
	}
	/* numbers that only JSON numbers give */
	uint64_t ns = BAD;
	CHECK(text_epoch_ns(-1, &ns) == ERR_BAD_INPUT && ns == BAD, "negative");
	CHECK(text_epoch_ns(1e300, &ns) == ERR_BAD_INPUT && ns == BAD, "huge");
	CHECK(text_epoch_ns(NAN, &ns) == ERR_BAD_INPUT && ns == BAD, "NaN");
	CHECK(text_epoch_ns(1705579200.25, &ns) == ERR_OK && ns == T0 + 250 * MS, "fraction");
	CHECK(native_time("1e300") == BAD && native_time("true") == BAD, "not times");
}

static void test_iso_format(void)
{
	static const struct {
		uint64_t ns;
		const char *iso;
	} cases[] = {
		{0, "1970-01-01T00:00:00.000Z"},
		{T0 + 123456789, "2024-01-18T12:00:00.123Z"},
		{951782400000000000ull + 86399999000000ull, "2000-02-29T23:59:59.999Z"},
		{9223372036854775807ull, "2262-04-11T23:47:16.854Z"},
		{UINT64_MAX, "2554-07-21T23:34:33.709Z"},
	};
	char out[TEXT_ISO_MS_SIZE];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		text_format_iso_ms(cases[i].ns, out);
		CHECK(strcmp(out, cases[i].iso) == 0, "%llu -> %s", (unsigned long long)cases[i].ns, out);
	}
	/* every formatted time reads back to its millisecond */
	for (uint64_t ns = 0; ns < 9000000000000000000ull; ns += 123456789012345677ull) {
		uint64_t back = 0;
		text_format_iso_ms(ns, out);
		CHECK(text_parse_time(out, &back) == ERR_OK && back == ns / MS * MS, "%s", out);
	}
	uint64_t now = text_now_ns();
	CHECK(now > 1700000000000000000ull && now < 4000000000000000000ull, "now %llu", (unsigned long long)now);
}

static void test_uuid(void)
{
	const uint8_t b[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
	char s[TEXT_UUID_SIZE];
	text_uuid_format(b, s);
	CHECK(strcmp(s, "01234567-89ab-cdef-fedc-ba9876543210") == 0, "%s", s);
	uint8_t back[16] = {0};
	CHECK(text_uuid_parse("01234567-89AB-cdef-FEDC-ba9876543210", back) == ERR_OK && memcmp(back, b, 16) == 0,
	      "parse");
	static const char *const bad[] = {
		"0123456789abcdeffedcba9876543210", "01234567-89ab-cdef-fedc-ba987654321", "01234567-89ab-cdef-fedc-ba98765432100",
		"0123456-789ab-cdef-fedc-ba9876543210", "01234567-89ab-cdef-fedc-ba987654321g", "", "project-a",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t out[16] = {0};
		CHECK(text_uuid_parse(bad[i], out) == ERR_BAD_INPUT && out[0] == 0, "%s", bad[i]);
	}
}

static void test_integers(void)
{
	static const struct {
		const char *s;
		int64_t min, max;
		int ok;
		int64_t v;
	} ints[] = {
		{"0", 0, 10, 1, 0},
		{"10", 0, 10, 1, 10},
		{"11", 0, 10, 0, 0},
		{"-1", 0, 10, 0, 0},
		{"-1", -5, 10, 1, -1},
		{"007", 0, 10, 1, 7},
		{"9223372036854775807", 0, INT64_MAX, 1, INT64_MAX},
		{"9223372036854775808", 0, INT64_MAX, 0, 0},
		{"-9223372036854775808", INT64_MIN, 0, 1, INT64_MIN},
		{"-9223372036854775809", INT64_MIN, 0, 0, 0},
		{"18446744073709551616", INT64_MIN, INT64_MAX, 0, 0},
		{"", 0, 10, 0, 0},
		{"-", -10, 10, 0, 0},
		{"+1", 0, 10, 0, 0},
		{" 1", 0, 10, 0, 0},
		{"1 ", 0, 10, 0, 0},
		{"1.5", 0, 10, 0, 0},
		{"1e1", 0, 100, 0, 0},
		{"0x1", 0, 100, 0, 0},
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		int64_t v = 42;
		int rc = text_parse_i64(ints[i].s, ints[i].min, ints[i].max, &v);
		CHECK(ints[i].ok ? rc == ERR_OK && v == ints[i].v : rc == ERR_BAD_INPUT && v == 42, "i64 \"%s\" -> %d %lld",
		      ints[i].s, rc, (long long)v);
	}
	uint64_t u = 42;
	CHECK(text_parse_u64("18446744073709551615", 0, UINT64_MAX, &u) == ERR_OK && u == UINT64_MAX, "u64 max");
	CHECK(text_parse_u64("18446744073709551616", 0, UINT64_MAX, &u) == ERR_BAD_INPUT && u == UINT64_MAX, "u64 over");
	CHECK(text_parse_u64("-1", 0, UINT64_MAX, &u) == ERR_BAD_INPUT, "u64 negative");
	CHECK(text_parse_u64("0", 1, 5, &u) == ERR_BAD_INPUT && text_parse_u64("5", 1, 5, &u) == ERR_OK && u == 5, "u64 range");
}

/* text_parse_size: the one reader of --max-disk and --min-free. */
static void test_sizes(void)
{
	static const struct { const char *text; uint64_t bytes; int ok; } sizes[] = {
		{"0", 0, 1}, {"512", 512, 1}, {"512B", 512, 1}, {"2GB", 2000000000ull, 1}, {"2gb", 2000000000ull, 1},
		{"2G", 2000000000ull, 1}, {"500MB", 500000000ull, 1}, {"1KiB", 1024, 1}, {"1.5GiB", 1610612736ull, 1},
		{"0.5KB", 500, 1}, {"1.0001KB", 1000, 1}, {"3TiB", 3ull << 40, 1}, {"18446744073709551615", UINT64_MAX, 1},
		{"18446744073709551616", 0, 0}, {"16777216TiB", 0, 0}, {"20000000TB", 0, 0}, {"", 0, 0}, {"GB", 0, 0},
		{"-1GB", 0, 0}, {"+1GB", 0, 0}, {" 1GB", 0, 0}, {"1 GB", 0, 0}, {"1GB ", 0, 0}, {"1.GB", 0, 0},
		{".5GB", 0, 0}, {"1.5.5GB", 0, 0}, {"1XB", 0, 0}, {"1GBB", 0, 0}, {"1e9", 0, 0}, {"0x10", 0, 0},
		{"1.0000000001GB", 0, 0}, {"lots", 0, 0},
	};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		uint64_t v = 12345;
		int rc = text_parse_size(sizes[i].text, &v);
		CHECK((rc == ERR_OK) == sizes[i].ok, "'%s': rc %d", sizes[i].text, rc);
		if (sizes[i].ok)
			CHECK(v == sizes[i].bytes, "'%s': %llu", sizes[i].text, (unsigned long long)v);
		else
			CHECK(v == 12345, "'%s': output changed on error", sizes[i].text);
	}
}

/* text_host_port: the one splitter of HOST:PORT for health, demo and gRPC. */
static void test_host_port(void)
{
	static const struct { const char *s; int def; const char *host; int port; } cases[] = {
		{"127.0.0.1:4318", 0, "127.0.0.1", 4318}, {"[::1]:4317", 0, "::1", 4317}, {"localhost", 80, "localhost", 80},
		{"[fe80::1]", 80, "fe80::1", 80}, {"example.org:1", 0, "example.org", 1}, {"h:65535", 0, "h", 65535},
		{"localhost", 0, NULL, 0}, {"h:0", 0, NULL, 0}, {"h:65536", 0, NULL, 0}, {"h:", 80, NULL, 0}, {":80", 0, NULL, 0},
		{"[::1", 0, NULL, 0}, {"[::1]x", 80, NULL, 0}, {"[]:80", 0, NULL, 0}, {"h:80x", 0, NULL, 0}, {"h:-1", 0, NULL, 0},
		{"h:+80", 0, NULL, 0}, {"h:000000080", 0, NULL, 0}, {"", 80, NULL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char host[16] = "";
		int port = -1, rc = text_host_port(cases[i].s, strlen(cases[i].s), cases[i].def, host, sizeof host, &port);
		if (cases[i].host)
			CHECK(rc == ERR_OK && !strcmp(host, cases[i].host) && port == cases[i].port, "'%s': rc %d host '%s' port %d",
			      cases[i].s, rc, host, port);
		else
			CHECK(rc == ERR_BAD_INPUT, "'%s' accepted: host '%s' port %d", cases[i].s, host, port);
	}
	char small[4];
	int port;
	CHECK(text_host_port("abcd:1", 6, 0, small, sizeof small, &port) == ERR_BAD_INPUT, "host longer than its buffer");
	CHECK(text_host_port("abc:12345", 5, 0, small, sizeof small, &port) == ERR_OK && port == 1, "LEN bounds the input");
}

/* env_i64: unset and empty give the default; a value in range is taken;
 * a bad one gives the default and one log line naming the variable and its
 * range (stderr caught in a file). */
static void test_env(void)
{
	unsetenv("TL_TEST_KNOB");
	CHECK(env_i64("TL_TEST_KNOB", 10, 600000, 250) == 250, "unset");
	setenv("TL_TEST_KNOB", "", 1);
	CHECK(env_i64("TL_TEST_KNOB", 10, 600000, 250) == 250, "empty");
	setenv("TL_TEST_KNOB", "10", 1);
	CHECK(env_i64("TL_TEST_KNOB", 10, 600000, 250) == 10, "the minimum");
	setenv("TL_TEST_KNOB", "600000", 1);
	CHECK(env_i64("TL_TEST_KNOB", 10, 600000, 250) == 600000, "the maximum");
	const char *bad[] = {"9", "600001", "-5", "1e3", " 50", "50ms", "+50", "99999999999999999999"};
	char path[] = "/tmp/test_text_env_XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	CHECK(fd >= 0 && saved >= 0 && dup2(fd, 2) == 2, "stderr to a file");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		setenv("TL_TEST_KNOB", bad[i], 1);
		CHECK(env_i64("TL_TEST_KNOB", 10, 600000, 250) == 250, "'%s' taken", bad[i]);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char log[4096] = "";
	ssize_t n = pread(fd, log, sizeof log - 1, 0);
	log[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	int lines = 0;
	for (const char *l = log; (l = strstr(l, "TL_TEST_KNOB: expected 10..600000, got '")); l++)
		lines++;
	CHECK(lines == (int)(sizeof bad / sizeof *bad), "%d of %zu bad values logged: %s", lines, sizeof bad / sizeof *bad,
	      log);
	CHECK(strstr(log, "got '50ms' (250 used)") != NULL, "the line names the value and the default: %s", log);
	unsetenv("TL_TEST_KNOB");
}

int main(void)
{
	test_host_port();
	test_sizes();
	test_times();
	test_iso_format();
	test_uuid();
	test_integers();
	test_env();
	return test_done();
}
