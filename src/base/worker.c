/* worker.c: background threads that pause between steps and stop on
 * request (see worker.h). */
#include "base/worker.h"
#include <time.h>

int worker_start(struct worker *w, const char *name, void *(*fn)(void *), void *arg)
{
	w->stop = 0;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, fn, arg)) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		return -1;
	}
	pthread_setname_np(w->thread, name);
	return 0;
}

int worker_pause(struct worker *w, long ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	if (!w->stop)
		pthread_cond_timedwait(&w->wake, &w->lock, &until);
	int stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

void worker_stop(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
}
