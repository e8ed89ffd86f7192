/* test_err.c: the one mapping from error codes to HTTP statuses; a store
 * that cannot be read or written answers 503 (retried, with Retry-After),
 * on the ingest routes and the GET endpoints alike. */
#include "base/err.h"
#include "test.h"

int main(void)
{
	static const struct {
		int code, status;
	} cases[] = {
		{ERR_OK, 200},          {ERR_BAD_INPUT, 400}, {ERR_TOO_LARGE, 413}, {ERR_MEDIA_TYPE, 415},
		{ERR_NOT_FOUND, 404},   {ERR_BUSY, 503},      {ERR_STORE, 503},     {ERR_NOMETHOD, 405},
		{ERR_TIMEOUT, 408},     {ERR_FULL, 503},  {-99, 500},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		CHECK(err_http_status(cases[i].code) == cases[i].status, "code %d: %d, want %d", cases[i].code,
		      err_http_status(cases[i].code), cases[i].status);
	char buf[16];
	CHECK(err_set(buf, sizeof buf, ERR_BAD_INPUT, "span %d: %s", 3, "too long a message") == ERR_BAD_INPUT &&
	          !strcmp(buf, "span 3: too lon"),
	      "err_set truncates and returns the code: %s", buf);
	return test_done();
}
