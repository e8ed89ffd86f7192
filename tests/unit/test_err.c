/* test_err.c: the one mapping from error codes to HTTP and gRPC statuses; a store
 * that cannot be read or written answers 503 (retried, with Retry-After),
 * on the ingest routes and the GET endpoints alike. */
#include "base/err.h"
#include "test.h"

int main(void)
{
	static const struct {
		int code, status, grpc;
	} cases[] = {
		{ERR_OK, 200, 0},         {ERR_BAD_INPUT, 400, 3}, {ERR_TOO_LARGE, 413, 8},
		{ERR_MEDIA_TYPE, 415, 12}, {ERR_NOT_FOUND, 404, 5}, {ERR_BUSY, 503, 14},
		{ERR_STORE, 503, 14},     {ERR_NOMETHOD, 405, 12}, {ERR_TIMEOUT, 408, 4},
		{ERR_UNAUTHENTICATED, 401, 16}, {ERR_FORBIDDEN, 403, 7}, {ERR_FULL, 503, 14},
		{ERR_SLOW_DOWN, 429, 8},  {-99, 500, 13},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		CHECK(err_http_status(cases[i].code) == cases[i].status, "code %d: %d, want %d", cases[i].code,
		      err_http_status(cases[i].code), cases[i].status);
		/* a full write queue must be UNAVAILABLE: the one code gRPC exporters retry */
		CHECK(err_grpc_status(cases[i].code) == cases[i].grpc, "code %d: gRPC %d, want %d", cases[i].code,
		      err_grpc_status(cases[i].code), cases[i].grpc);
	}
	char buf[16];
	CHECK(err_set(buf, sizeof buf, ERR_BAD_INPUT, "span %d: %s", 3, "too long a message") == ERR_BAD_INPUT &&
	          !strcmp(buf, "span 3: too lon"),
	      "err_set truncates and returns the code: %s", buf);
	return test_done();
}
