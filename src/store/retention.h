/* retention.h: deleting whole traces: by age (--retention-days), to keep the
 * data directory under a size (--max-disk), and on request (DELETE
 * /api/traces); the free-space watch (--min-free) that stops ingest before
 * the disk fills; giving freed pages back to the filesystem. One background
 * thread; every deletion runs through the writer in small batches. */
#ifndef TL_RETENTION_H
#define TL_RETENTION_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "store/writer.h"

#define RETENTION_BATCH 200          /* traces deleted per writer transaction */
#define RETENTION_MIN_FREE_CAP (1000ull * 1000 * 1000)  /* default --min-free: 1 GB ... */
#define RETENTION_MIN_FREE_PCT 5     /* ... or 5% of the filesystem if that is less */

struct retention_opts {
	int64_t days;          /* delete traces whose last span ended this many days ago; 0 = never */
	uint64_t max_disk;     /* bytes the data directory's files may use; 0 = no cap */
	uint64_t min_free;     /* refuse ingest below this much free space; see min_free_set */
	int min_free_set;      /* 0: the default rule (RETENTION_MIN_FREE_*) */
};

/* One stored trace group about to be deleted: a chunk holding spans of
 * the trace (the search index keeps one document per pair). */
struct retention_victim {
	int64_t chunk;
	uint8_t trace_id[16];
};

/* What retention tells the search index, which keeps its own files in
 * the data directory (each callback may be NULL; ctx is passed to both). */
struct retention_hooks {
	/* before victims' rows are deleted, while their chunks can still be
	 * read: the index removes their documents */
	void (*forget)(void *ctx, const struct retention_victim *v, size_t n);
	/* at every reclaim: the index gives its free pages and its WAL back,
	 * since the size cap counts every file in the directory */
	void (*reclaim)(void *ctx);
	void *ctx;
};

/* Which traces DELETE /api/traces removes: every set field must match. */
struct retention_filter {
	const uint8_t *trace_id;   /* 16 bytes, or NULL */
	const char *user_id, *session_id;   /* NULL = any */
	int64_t project;           /* projects.key, 0 = any */
};

struct retention_status {
	uint64_t dir_bytes;        /* files in the data directory, last measured */
	uint64_t free_bytes;       /* free space on its filesystem (statvfs f_bavail) */
	uint64_t min_free;         /* the effective --min-free */
	int disk_low;              /* free_bytes < min_free: ingest refused */
	int64_t deleted_traces;    /* since start, by retention, cap and requests */
	int64_t reclaimed_bytes;   /* file bytes given back since start */
};

struct retention;

/* Starts the retention thread for the store in dir, deleting through w.
 * hooks (may be NULL) are told of every trace group before it goes and of
 * every reclaim. On a
 * store without auto_vacuum=INCREMENTAL, switches it with a one-time VACUUM
 * when o asks for deletion (logged with its duration). Returns NULL with
 * err filled on failure. */
struct retention *retention_start(const char *dir, struct writer *w, const struct retention_opts *o,
                                  const struct retention_hooks *hooks, char *err, size_t errlen);
/* Stops the thread after its current batch and frees r (NULL is fine). */
void retention_stop(struct retention *r);
/* Deletes every trace matching f (at least one field set) with its spans,
 * scores and search documents, in batches of RETENTION_BATCH; *deleted =
 * how many (also on failure: those deleted before it). Thread-safe.
 * Returns ERR_OK, ERR_BAD_INPUT (no filter), or the writer's error. */
enum err retention_delete(struct retention *r, const struct retention_filter *f, int64_t *deleted, char *err,
                          size_t errlen);
/* Fills *st (a snapshot; thread-safe). */
void retention_status(struct retention *r, struct retention_status *st);
/* The bytes of the regular files directly in dir (databases, WAL, search
 * index): what --max-disk caps. */
uint64_t retention_dir_bytes(const char *dir);
/* The effective min-free for a filesystem of total bytes under o. */
uint64_t retention_min_free(const struct retention_opts *o, uint64_t total);

#endif
