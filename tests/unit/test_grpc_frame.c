/* test_grpc_frame.c: gRPC message framing however DATA frames split it,
 * the prefix that lies, oversized and trailing messages, the percent-
 * encoding of grpc-message, and the error -> gRPC status rule that makes
 * a full write queue UNAVAILABLE (the code exporters retry). */
#include "server/grpc_frame.h"
#include "base/err.h"
#include "test.h"

static size_t mk(uint8_t *out, int flag, uint32_t declared, const char *payload, size_t n)
{
	grpc_frame_prefix(out, flag, declared);
	memcpy(out + GRPC_PREFIX, payload, n);
	return GRPC_PREFIX + n;
}

int main(void)
{
	uint8_t buf[64];
	char err[256];
	struct grpc_msg m;
	size_t n = mk(buf, 0, 5, "hello", 5);

	/* every split point: incomplete until the end, then exactly the message */
	for (size_t cut = 0; cut < n; cut++) {
		int rc = grpc_frame_check(buf, cut, 0, 100, &m, err, sizeof err);
		CHECK(rc == ERR_OK && !m.data && m.have_prefix == (cut >= GRPC_PREFIX), "cut %zu: rc %d", cut, rc);
	}
	CHECK(grpc_frame_check(buf, n, 0, 100, &m, err, sizeof err) == ERR_OK && !m.data,
	      "complete but not ended: still waiting for END_STREAM");
	CHECK(grpc_frame_check(buf, n, 1, 100, &m, err, sizeof err) == ERR_OK && m.data == buf + 5 && m.len == 5 &&
	          !memcmp(m.data, "hello", 5) && !m.compressed,
	      "complete and ended");
	CHECK(grpc_frame_check(buf, 0, 1, 100, &m, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "empty"),
	      "empty request: %s", err);
	CHECK(grpc_frame_check(buf, 3, 1, 100, &m, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "prefix"),
	      "ended in the prefix: %s", err);

	/* a length prefix that lies either way */
	n = mk(buf, 0, 40, "short", 5);
	CHECK(grpc_frame_check(buf, n, 1, 100, &m, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "5 of the 40"),
	      "declares more than sent: %s", err);
	n = mk(buf, 1, 2, "toolong", 7);
	CHECK(grpc_frame_check(buf, n, 0, 100, &m, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "exactly one"),
	      "declares less than sent (refused before the end): %s", err);

	/* over the limit: refused as soon as the prefix is in */
	grpc_frame_prefix(buf, 0, 0xffffffffu);
	CHECK(grpc_frame_check(buf, 5, 0, 64u << 20, &m, err, sizeof err) == ERR_TOO_LARGE, "4 GiB declared: %s", err);
	grpc_frame_prefix(buf, 0, 101);
	CHECK(grpc_frame_check(buf, 5, 0, 100, &m, err, sizeof err) == ERR_TOO_LARGE, "limit + 1");
	grpc_frame_prefix(buf, 0, 100);
	CHECK(grpc_frame_check(buf, 5, 0, 100, &m, err, sizeof err) == ERR_OK, "exactly the limit");

	/* the flag */
	buf[0] = 2;
	CHECK(grpc_frame_check(buf, 1, 0, 100, &m, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "flag 2"),
	      "flag 2 refused from its first byte: %s", err);
	n = mk(buf, 1, 3, "abc", 3);
	CHECK(grpc_frame_check(buf, n, 1, 100, &m, err, sizeof err) == ERR_OK && m.compressed, "compressed flag");
	n = mk(buf, 0, 0, "", 0);
	CHECK(grpc_frame_check(buf, n, 1, 100, &m, err, sizeof err) == ERR_OK && m.data && m.len == 0,
	      "an empty message (an empty export) is a message");

	/* grpc-message */
	char out[32];
	CHECK(grpc_percent_encode("plain text", out, sizeof out) == 10 && !strcmp(out, "plain text"), "plain");
	grpc_percent_encode("100% \xc3\xa9\n", out, sizeof out);
	CHECK(!strcmp(out, "100%25 %C3%A9%0A"), "escaped: %s", out);
	char tiny[6];
	grpc_percent_encode("ab\xff\xff", tiny, sizeof tiny);
	CHECK(!strcmp(tiny, "ab%FF"), "cut at a whole escape: %s", tiny);

	/* the one mapping: a full queue is UNAVAILABLE, bad data INVALID_ARGUMENT */
	CHECK(err_grpc_status(ERR_BUSY) == 14 && err_grpc_status(ERR_STORE) == 14, "UNAVAILABLE");
	CHECK(err_grpc_status(ERR_BAD_INPUT) == 3 && err_grpc_status(ERR_TOO_LARGE) == 8, "3 and 8");
	CHECK(err_grpc_status(ERR_UNAUTHENTICATED) == 16 && err_grpc_status(ERR_FORBIDDEN) == 7, "16 and 7");
	return test_done();
}
