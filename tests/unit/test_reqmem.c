/* test_reqmem.c: the request memory budget: a request over the whole
 * budget is too large, one that fits waits its turn (busy), and giving
 * back makes room again. */
#include "base/err.h"
#include "base/reqmem.h"
#include "test.h"

int main(void)
{
	char err[256];
	struct reqmem a = {0}, b = {0};
	CHECK(reqmem_take(NULL, REQMEM_BUDGET * 2, err, sizeof err) == ERR_OK, "no accounting without a request");
	CHECK(reqmem_take(&a, REQMEM_BUDGET + 1, err, sizeof err) == ERR_TOO_LARGE && strstr(err, "MiB"), "%s", err);
	CHECK(reqmem_take(&a, REQMEM_BUDGET / 2, err, sizeof err) == ERR_OK && reqmem_in_use() == REQMEM_BUDGET / 2,
	      "half");
	CHECK(reqmem_take(&a, REQMEM_BUDGET / 2 + 1, err, sizeof err) == ERR_TOO_LARGE, "one request past the budget");
	CHECK(reqmem_take(&b, REQMEM_BUDGET / 2 + 1, err, sizeof err) == ERR_BUSY && strstr(err, "retry"), "%s", err);
	CHECK(b.held == 0, "a refused take holds nothing");
	reqmem_release(&a);
	CHECK(reqmem_in_use() == 0 && a.held == 0, "released");
	CHECK(reqmem_take(&b, REQMEM_BUDGET / 2 + 1, err, sizeof err) == ERR_OK, "room again");
	reqmem_release(&b);
	reqmem_release(NULL);
	return test_done();
}
