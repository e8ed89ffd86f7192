/* worker.h: a background thread that works in steps, pauses between them and
 * stops on request: the one start, pause and stop of the attribute backfill
 * and the chunk recompression. */
#ifndef TL_WORKER_H
#define TL_WORKER_H
#include <pthread.h>

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;   /* under lock */
};

/* Starts fn(arg) on a new thread named NAME (at most 15 bytes, as top and
 * perf show it). Returns 0, or -1 when no thread could start (w needs no
 * worker_stop then). */
int worker_start(struct worker *w, const char *name, void *(*fn)(void *), void *arg);
/* Pauses the calling worker thread for MS milliseconds, or less when
 * worker_stop is called. Returns 1 when it should stop, else 0. */
int worker_pause(struct worker *w, long ms);
/* Asks the thread to stop, wakes it from worker_pause and waits for it to
 * return. Call once, after a successful worker_start. */
void worker_stop(struct worker *w);

#endif
