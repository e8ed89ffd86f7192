/* test_reqmem.c: the request memory budget: a request over the whole
 * budget is too large, one that fits waits its turn (busy), and giving
 * back makes room again; the soft limit on decoding requests
 * (reqmem_admit) lets the first in at once, makes the next wait until the
 * admitted give back, in arrival order (a later request that would fit
 * waits behind an earlier one that does not), and counts the waits. */
#include <pthread.h>
#include <time.h>
#include "base/err.h"
#include "base/reqmem.h"
#include "test.h"

#define MB ((size_t)1 << 20)

static void budget(void)
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
}

/* A request on its own thread: takes its body, waits its turn, then
 * records when it was admitted (the how-manieth). */
struct client {
	pthread_t t;
	struct reqmem m;
	size_t body;
	int order;
};

static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static int admitted_so_far;

static void *client_main(void *arg)
{
	struct client *c = arg;
	char err[256];
	if (reqmem_take(&c->m, c->body, err, sizeof err) != ERR_OK)
		return NULL;
	reqmem_admit(&c->m);
	pthread_mutex_lock(&order_lock);
	c->order = ++admitted_so_far;
	pthread_mutex_unlock(&order_lock);
	return NULL;
}

static struct reqmem_status status(void)
{
	struct reqmem_status s;
	reqmem_status(&s);
	return s;
}

/* Waits (up to 5 s) until n requests wait for admission. */
static int until_waiting(size_t n)
{
	for (int i = 0; i < 5000; i++) {
		if (status().waiting == n)
			return 1;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	return 0;
}

static void start(struct client *c, size_t body)
{
	*c = (struct client){.body = body};
	if (pthread_create(&c->t, NULL, client_main, c))
		abort();
}

static void gate(void)
{
	char err[256];
	struct reqmem none = {0};
	reqmem_set_decode_limit(0);
	CHECK(reqmem_take(&none, 64 * MB, err, sizeof err) == ERR_OK, "take");
	reqmem_admit(&none);
	reqmem_admit(NULL);
	CHECK(status().admitted == 1 && status().decoding == 64 * MB && status().waits == 0, "no limit: in at once");
	reqmem_release(&none);
	CHECK(status().admitted == 0 && status().decoding == 0 && none.admitted == 0, "released");

	reqmem_set_decode_limit(16 * MB);
	/* the first is admitted however big: nothing else decodes */
	struct reqmem big = {0};
	CHECK(reqmem_take(&big, 10 * MB, err, sizeof err) == ERR_OK, "take");
	reqmem_admit(&big);
	CHECK(status().admitted == 1 && status().decoding == 10 * MB, "alone: admitted at once");
	CHECK(reqmem_take(&big, 2 * MB, err, sizeof err) == ERR_OK && status().decoding == 12 * MB,
	      "an admitted request's takes count as decoding");

	/* b expects 4 x 2 MB beside 12: over 16, it waits; c would fit (4 x
	 * 0.5 MB) but arrived later and waits behind b */
	struct client b, c;
	start(&b, 2 * MB);
	CHECK(until_waiting(1), "b waits for the admitted one");
	start(&c, MB / 2);
	CHECK(until_waiting(2), "c waits behind b, though it would fit");
	CHECK(status().waits == 2 && b.order == 0 && c.order == 0, "both wait");
	reqmem_release(&big);
	pthread_join(b.t, NULL);
	pthread_join(c.t, NULL);
	CHECK(b.order && c.order, "both admitted once the first gave back");
	CHECK(status().admitted == 2 && status().decoding == 2 * MB + MB / 2 && status().waiting == 0, "both in");

	/* d fits beside b and c (2.5 + 4 x 2 MB <= 16): in at once */
	struct client d;
	start(&d, 2 * MB);
	pthread_join(d.t, NULL);
	CHECK(d.order && status().waits == 2, "a request that fits does not wait");
	reqmem_release(&b.m);
	reqmem_release(&c.m);
	reqmem_release(&d.m);
	CHECK(status().admitted == 0 && status().decoding == 0 && reqmem_in_use() == 0, "all given back");
	CHECK(status().limit == 16 * MB, "the limit reads back");
	reqmem_set_decode_limit(0);
}

int main(void)
{
	budget();
	gate();
	return test_done();
}
