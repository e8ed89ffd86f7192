/* reqmem.c: the request memory budget (reqmem.h): one atomic counter for
 * the hard budget; a lock, a condition and arrival tickets for the soft
 * limit on the requests admitted to decode. */
#include "base/reqmem.h"
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include "base/err.h"

static atomic_size_t in_use;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t turn;
	size_t limit, decoding, admitted, waiting;
	uint64_t next_ticket, serving, waits;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, 0};

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
	if (m->admitted) {
		pthread_mutex_lock(&gate.lock);
		gate.decoding += n;
		pthread_mutex_unlock(&gate.lock);
	}
	return ERR_OK;
}

void reqmem_release(struct reqmem *m)
{
	if (!m)
		return;
	size_t before = atomic_fetch_sub(&in_use, m->held);
	assert(before >= m->held);   /* in_use is the sum of what every request holds */
	(void)before;
	if (m->admitted) {
		pthread_mutex_lock(&gate.lock);
		assert(gate.decoding >= m->held && gate.admitted > 0);
		gate.decoding -= m->held;
		gate.admitted--;
		if (gate.waiting)
			pthread_cond_broadcast(&gate.turn);
		pthread_mutex_unlock(&gate.lock);
		m->admitted = 0;
	}
	m->held = 0;
}

size_t reqmem_in_use(void)
{
	return atomic_load(&in_use);
}

void reqmem_set_decode_limit(size_t bytes)
{
	pthread_mutex_lock(&gate.lock);
	gate.limit = bytes;
	pthread_mutex_unlock(&gate.lock);
}

/* Whether a request expecting to hold expect bytes fits beside the admitted
 * ones (under gate.lock). */
static int fits(size_t expect)
{
	return !gate.limit || !gate.admitted || (gate.decoding <= gate.limit && expect <= gate.limit - gate.decoding);
}

void reqmem_admit(struct reqmem *m)
{
	if (!m || m->admitted)
		return;
	size_t expect = m->held > REQMEM_BUDGET / REQMEM_DECODE_FACTOR ? REQMEM_BUDGET : REQMEM_DECODE_FACTOR * m->held;
	pthread_mutex_lock(&gate.lock);
	uint64_t ticket = gate.next_ticket++;
	if (ticket != gate.serving || !fits(expect)) {
		gate.waiting++;
		gate.waits++;
		while (ticket != gate.serving || !fits(expect))
			pthread_cond_wait(&gate.turn, &gate.lock);
		gate.waiting--;
	}
	gate.serving++;
	gate.admitted++;
	gate.decoding += m->held;
	m->admitted = 1;
	if (gate.waiting)
		pthread_cond_broadcast(&gate.turn);   /* the next in line may fit too */
	pthread_mutex_unlock(&gate.lock);
}

void reqmem_status(struct reqmem_status *s)
{
	pthread_mutex_lock(&gate.lock);
	*s = (struct reqmem_status){gate.limit, gate.decoding, gate.admitted, gate.waiting, gate.waits};
	pthread_mutex_unlock(&gate.lock);
}
