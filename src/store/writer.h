/* writer.h: the one writer thread. Requests hand it span batches through a
 * bounded queue; it commits many per transaction (group commit) and wakes
 * each submitter only after the transaction holding its spans committed. */
#ifndef TL_WRITER_H
#define TL_WRITER_H
#include <stddef.h>
#include "ingest/span.h"
#include "base/err.h"

struct writer;

/* Starts the writer on the store in dir. queue_bytes caps the bytes of
 * submitted, uncommitted work. Returns NULL with err filled on failure. */
struct writer *writer_start(const char *dir, size_t queue_bytes, char *err, size_t errlen);
/* Compresses b's spans (in the caller's thread), queues them and waits for
 * the commit. Returns ERR_OK once durable; ERR_BUSY at once when the queue is
 * full (answer 503 + Retry-After); ERR_STORE if the transaction failed.
 * b stays owned by the caller. Thread-safe. */
enum err writer_submit(struct writer *w, struct span_batch *b, char *err, size_t errlen);
/* Stops taking work, commits everything queued, checkpoints the WAL,
 * joins the thread and frees w. */
void writer_stop(struct writer *w);
/* Fills the requests and bytes submitted and not yet answered (waiting or
 * being committed), for GET /metrics. Thread-safe. */
void writer_queue(struct writer *w, size_t *requests, size_t *bytes);
/* Returns 1 if the last transaction succeeded (for /api/health). */
int writer_healthy(struct writer *w);

#endif
