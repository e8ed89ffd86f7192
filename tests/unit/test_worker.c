/* test_worker.c: a background worker pauses between steps, and worker_stop
 * ends a long pause at once. */
#include "test.h"
#include <stdatomic.h>
#include <time.h>
#include "base/worker.h"

struct job {
	struct worker w;
	atomic_int steps, stopped;
};

static void *run(void *arg)
{
	struct job *j = arg;
	for (;;) {
		j->steps++;
		if (worker_pause(&j->w, j->steps < 3 ? 1 : 600000)) {
			j->stopped = 1;
			return NULL;
		}
	}
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	struct job j = {0};
	CHECK(worker_start(&j.w, "tl-test-worker", run, &j) == 0, "started");
	char name[16] = "";
	pthread_getname_np(j.w.thread, name, sizeof name);
	CHECK(!strcmp(name, "tl-test-worker"), "thread named '%s'", name);
	double t0 = now_s();
	while (j.steps < 3 && now_s() - t0 < 30) {   /* two 1 ms pauses, then the 10-minute one */
		struct timespec nap = {0, 1000000L};
		nanosleep(&nap, NULL);
	}
	CHECK(j.steps == 3, "3 steps after the short pauses, got %d", j.steps);
	t0 = now_s();
	worker_stop(&j.w);
	CHECK(now_s() - t0 < 60, "stop ends a 10-minute pause (%.1f s)", now_s() - t0);
	CHECK(j.stopped && j.steps == 3, "stopped after %d steps", (int)j.steps);
	return test_done();
}
