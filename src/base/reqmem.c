/* reqmem.c: the request memory budget (reqmem.h), one atomic counter. */
#include "base/reqmem.h"
#include <assert.h>
#include <stdatomic.h>
#include "base/err.h"

static atomic_size_t in_use;

enum err reqmem_take(struct reqmem *m, size_t n, char *err, size_t errlen)
{
	if (!m)
		return ERR_OK;
	if (n > REQMEM_BUDGET - m->held)
		return err_set(err, errlen, ERR_TOO_LARGE,
		               "decoding this request needs more than %zu MiB; send fewer spans per request",
		               REQMEM_BUDGET >> 20);
	size_t cur = atomic_load(&in_use);
	do {
		if (n > REQMEM_BUDGET - cur)
			return err_set(err, errlen, ERR_BUSY, "too many large requests in flight, retry later");
	} while (!atomic_compare_exchange_weak(&in_use, &cur, cur + n));
	m->held += n;
	assert(m->held <= REQMEM_BUDGET);
	return ERR_OK;
}

void reqmem_release(struct reqmem *m)
{
	if (!m)
		return;
	size_t before = atomic_fetch_sub(&in_use, m->held);
	assert(before >= m->held);   /* in_use is the sum of what every request holds */
	(void)before;
	m->held = 0;
}

size_t reqmem_in_use(void)
{
	return atomic_load(&in_use);
}
