/* repl.h: continuous replication to ClickHouse and Postgres. One thread
 * per target reads the store's change sequence after its checkpoint, sends
 * batches, and records the checkpoint (data/replication.db) only once the
 * target confirmed: at-least-once delivery into idempotent tables. */
#ifndef TL_REPL_H
#define TL_REPL_H
#include <cjson/cJSON.h>

struct repl;

/* Starts one replication thread per URL (already checked with
 * repl_target_parse) on the store in data_dir, which must be migrated.
 * Returns NULL when n is 0. Local ingest never waits for a target. */
struct repl *repl_start(const char *data_dir, const char (*urls)[2048], int n);
/* Stops every thread (a transfer in progress is abandoned; its batch is
 * sent again next time) and frees r. NULL is a no-op. */
void repl_stop(struct repl *r);
/* {"targets":[{target, type, state, last_sent:{chunk, trace_seq, score_seq,
 * project_key}, sent:{projects, spans, traces, scores}, refused_rows,
 * lag_spans, lag_seconds, retries, last_error, last_error_time,
 * last_success_time}]} with passwords masked; r may be NULL. Caller
 * deletes. */
cJSON *repl_status_json(struct repl *r);
/* `tracelite replicate --once TARGET [--data DIR]`: sends everything in
 * the store (from the start, ignoring checkpoints) and exits; prints the
 * counts. Returns the process exit status. */
int repl_main(int argc, char **argv);

#endif
