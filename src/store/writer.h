/* writer.h: the one writer thread. Requests hand it span batches through a
 * bounded queue; it commits many per transaction (group commit) and wakes
 * each submitter only after the transaction holding its spans committed. */
#ifndef TL_WRITER_H
#define TL_WRITER_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "ingest/span.h"
#include "base/err.h"

struct writer;

/* Starts the writer on the store in dir. queue_bytes caps the bytes of
 * submitted, uncommitted work. Returns NULL with err filled on failure. */
struct writer *writer_start(const char *dir, size_t queue_bytes, char *err, size_t errlen);
/* Compresses b's spans and log records (in the caller's thread), queues them and waits for
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
/* Returns how many span batches were submitted since w started (refused
 * ones included): background work compares two reads to tell whether
 * ingest is going on. Thread-safe. */
uint64_t writer_submitted(struct writer *w);
/* Returns the bytes the writer's id caches (interned strings, projects,
 * blobs, attribute-index pairs and blocks) held after its last commit;
 * each is capped, so this stays under WRITER_CACHE_BYTES_MAX. */
#define WRITER_CACHE_BYTES_MAX ((3u + 4u) << 20)
size_t writer_cache_bytes(struct writer *w);
/* Returns 1 if the last transaction succeeded (for /api/health). */
int writer_healthy(struct writer *w);
/* Returns 1, with why in buf (n bytes), if the writer takes nothing more
 * because a sync of its WAL failed (for /api/health); else 0. */
int writer_sync_failed(struct writer *w, char *buf, size_t n);

/* Work run on the writer's connection in the writer thread (retention,
 * deletion): fn returns ERR_OK to commit, anything else to roll back. */
typedef enum err (*writer_task_fn)(sqlite3 *db, void *arg, char *err, size_t errlen);
#define WRITER_TASK_NO_TXN 1   /* run fn outside a transaction (VACUUM, checkpoint) */
/* Queues fn(arg) behind the span batches already queued and waits for it:
 * in its own BEGIN IMMEDIATE ... COMMIT unless flags has WRITER_TASK_NO_TXN.
 * Keep it short (a few ms): ingest waits meanwhile. Returns fn's result, or
 * ERR_FULL (disk full), ERR_STORE (commit failed) or ERR_BUSY (stopping),
 * with err filled. Thread-safe. */
enum err writer_exec(struct writer *w, writer_task_fn fn, void *arg, int flags, char *err, size_t errlen);
/* Hands out the next change sequence number (schema/004) to a writer task
 * that changes a score or trace row, so replication sees the change. Call
 * only from inside writer_exec's fn (the writer thread). */
int64_t writer_task_seq(struct writer *w);
/* The writer's rollup accumulator (store/rollup.h), for a writer task that
 * takes what it deletes out of the rollups (rollup_forget_trace): what the
 * task adds to it is flushed in the task's transaction before the commit,
 * or dropped if the task fails. Call only from inside writer_exec's fn,
 * run without WRITER_TASK_NO_TXN. */
struct rollup;
struct rollup *writer_task_rollup(struct writer *w);
/* Sets (why != NULL, copied) or clears (NULL) the low-disk state: while
 * set, writer_submit refuses at once with ERR_FULL and why as the message.
 * Thread-safe. */
void writer_set_disk_low(struct writer *w, const char *why);
/* Copies the low-disk message into buf and returns 1 if set, else 0. */
int writer_disk_low(struct writer *w, char *buf, size_t n);

#endif
