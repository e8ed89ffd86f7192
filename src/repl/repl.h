/* repl.h: continuous replication to ClickHouse and Postgres. One thread
 * per target reads the store's change sequence after its checkpoint, sends
 * batches, and records the checkpoint (data/replication.db) only once the
 * target confirmed: at-least-once delivery into idempotent tables. */
#ifndef TL_REPL_H
#define TL_REPL_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

struct repl;

/* Starts one replication thread per URL (already checked with
 * repl_target_parse) on the store in data_dir, which must be migrated.
 * Returns NULL when n is 0. Local ingest never waits for a target. */
struct repl *repl_start(const char *data_dir, const char (*urls)[2048], int n);
/* Stops every thread (a transfer in progress is abandoned; its batch is
 * sent again next time) and frees r. NULL is a no-op. */
void repl_stop(struct repl *r);
/* {"targets":[{target, type, state, last_sent:{chunk, trace_seq, score_seq,
 * project_key, log_chunk}, sent:{projects, spans, traces, scores, logs}, refused_rows,
 * lag_spans, lag_seconds, retries, last_error, last_error_time,
 * last_success_time}]} with passwords masked; r may be NULL. Caller
 * deletes. */
cJSON *repl_status_json(struct repl *r);
/* What one repl_once pass sent. */
struct repl_once_stats {
	int64_t spans, traces, scores, projects, logs;   /* rows the target confirmed */
	int64_t refused;                           /* rows it refused (logged) */
	double seconds;                            /* time spent sending */
};

/* Sends everything in the store in data_dir to url (already checked with
 * repl_target_parse) from the start, ignoring and not recording
 * checkpoints, retrying failures with backoff. Returns ERR_OK; ERR_NOT_FOUND
 * when data_dir holds no store; ERR_STORE when it cannot be opened or
 * migrated (nothing sent, *st zero); ERR_BUSY when the target failed 6
 * times in a row (*st counts what was sent before). err says which. */
enum err repl_once(const char *data_dir, const char *url, struct repl_once_stats *st, char *err, size_t errlen);

#endif
