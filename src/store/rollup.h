/* rollup.h: the writer side of the metric rollups (schema/002_rollups.sql).
 * During a transaction the writer adds each new span and each trace
 * summary change to an in-memory accumulator; rollup_flush folds the
 * accumulated deltas into the rollup rows, at all three bucket levels,
 * and the hour and day span rows' sums per project into span_totals
 * (schema/018), before the commit. */
#ifndef TL_ROLLUP_H
#define TL_ROLLUP_H
struct spancols_row;   /* store/spancols.h */
#include <sqlite3.h>
#include <stdint.h>
#include "ingest/span.h"
#include "store/tracesum.h"
#include "base/err.h"

#define ROLLUP_LEVELS 3

struct rollup;

/* The interned dimensions of a span (strings.id; 0 = none), and its
 * trace (traces.key; only read by rollup_add_span). */
struct rollup_span_dims {
	int64_t project, service, name, model, provider;
	int64_t trace;
};

/* Minute rows (level 0) are kept for a recent horizon only: a reader may
 * use them for the minutes from rollup_minute_floor(now) on; older minutes
 * are answered from the spans and traces tables (schema/016). The writer
 * writes minute rows an hour further back than readers use them (a clock
 * stepped back up to an hour keeps answers exact) and deletes them two
 * hours further back. */
/* Two days and an hour: the UI's 15-minute to 24-hour ranges and the
 * previous periods their summaries compare with have both edges in minute
 * rows; its 7- and 30-day ranges start on an hour (web/state.js), so only
 * their `to` (now) needs a minute row. Other ranges reaching further back
 * read their oldest part-hour from the raw tables (exact, slower). 7 days
 * cost 40 B/span more on the benchmark's data spread over a week
 * (docs/performance.md). */
#define ROLLUP_MINUTE_HOURS (2 * 24 + 1)
/* A trace whose spans may start more than this after the trace starts (its
 * duration is longer, or a span of it ends before it starts) is listed in
 * long_traces: the spans starting in [lo, hi) are those of the traces
 * starting in [lo - ROLLUP_LONG_TRACE_NS, hi) and of the long traces. */
#define ROLLUP_LONG_TRACE_NS 600000000000ll

/* Bucket width in seconds of a level (60, 3600, 86400). */
int64_t rollup_level_seconds(int level);
/* The first minute (unix seconds, hour-aligned) from which the minute
 * rows of both tables are complete at wall time now_s. */
int64_t rollup_minute_floor(int64_t now_s);
/* The bucket (unix seconds) before which minute rows are past the
 * horizon at wall time now_s and swept: an hour below the oldest minute the
 * writer writes (rollup_minute_floor(now_s) less an hour). */
int64_t rollup_sweep_before(int64_t now_s);
/* Deletes the minute rows of both rollup tables whose bucket is before
 * before_s, an hour of them at most (from the oldest, so a store upgraded
 * with days of them catches up in short steps), inside the caller's
 * transaction; adds the rows deleted to *deleted. The writer's flush runs
 * it while ingesting, retention when idle. Returns ERR_OK or ERR_STORE
 * with err filled. */
enum err rollup_sweep(sqlite3 *db, int64_t before_s, int64_t *deleted, char *err, size_t errlen);
/* Returns the span's duration in ns (0 if it ends before it starts, at
 * most INT64_MAX). */
int64_t rollup_span_duration(uint64_t start_ns, uint64_t end_ns);

/* A span row (spancols.h) as the rollups count it: its keys into d (model
 * and provider NULL as 0, none; the trace too) and into s (zeroed but for
 * what the rollups read of a span: type, parent, times, status, tokens,
 * cost). */
void rollup_span_of_row(const struct spancols_row *r, struct rollup_span_dims *d, struct span *s);

/* Prepares the accumulator's statements on the writer's connection; NULL
 * with err filled on failure. */
struct rollup *rollup_new(sqlite3 *db, char *err, size_t errlen);
void rollup_free(struct rollup *r);
/* Adds a newly stored span (of trace d->trace). */
void rollup_add_span(struct rollup *r, const struct rollup_span_dims *d, const struct span *s);
/* Takes back what rollup_add_span added for s (a stored span replaced by
 * a newer version: span.replace). */
void rollup_remove_span(struct rollup *r, const struct rollup_span_dims *d, const struct span *s);
/* Adds (sign +1) or removes (sign -1) the contribution of trace summary t,
 * whose service is interned as service_id. Summaries with no spans are
 * ignored. */
void rollup_add_trace(struct rollup *r, const struct tracesum *t, int64_t service_id, int sign);
/* Takes stored trace key's contribution out of the rollups: its summary
 * (traces row) and each of its spans (spans rows), as rollup_add_trace
 * and rollup_add_span added them, at every level where rows are kept
 * (minute rows only from the writer's floor on). Call it before the rows
 * are deleted, in the same transaction; rows whose count reaches 0 go at
 * the flush. A key that is not stored adds nothing. Returns ERR_OK or
 * ERR_STORE with err filled. */
enum err rollup_forget_trace(struct rollup *r, int64_t key, char *err, size_t errlen);
/* Lists trace key in long_traces at the flush if summary t lasts longer
 * than ROLLUP_LONG_TRACE_NS. */
void rollup_note_trace(struct rollup *r, int64_t key, const struct tracesum *t);
/* Writes every accumulated delta into the rollup tables (inside the
 * caller's transaction), deletes the rows whose count a delta took to 0,
 * lists the long traces noted, deletes minute rows
 * past the horizon (an hour of them at most, once a second) and empties
 * the accumulator. Returns ERR_OK or ERR_STORE with err filled. */
enum err rollup_flush(struct rollup *r, char *err, size_t errlen);
/* Drops the accumulated deltas (the transaction rolled back). */
void rollup_discard(struct rollup *r);

/* Moving a span's cost after it was repriced (tracelite reprice). */
struct rollup_coster;
/* Prepares its statements on a read-write connection; NULL with err
 * filled on failure. */
struct rollup_coster *rollup_coster_new(sqlite3 *db, char *err, size_t errlen);
void rollup_coster_free(struct rollup_coster *c);
/* Adds delta USD to the rollup rows that hold the span (dims d, type,
 * start_ns) at every level, and to the span_totals rows of the hour and
 * day rows it moved, inside the caller's transaction. (Trace rollups keep
 * no cost.) Returns ERR_OK or ERR_STORE. */
enum err rollup_cost_move(struct rollup_coster *c, const struct rollup_span_dims *d, int type, uint64_t start_ns,
                          double delta);

/* Registers on a reader connection what metrics read the raw tables with:
 * tl_sketch(duration_ns), the aggregate encoding a group's durations as a
 * rollup row's sketch. Returns ERR_OK or ERR_STORE. */
enum err rollup_reader_functions(sqlite3 *db);

/* Recomputes both rollup tables from the spans and traces tables, and
 * span_totals once schema/018 made it, inside the caller's transaction
 * (migration backfill). Returns ERR_OK or ERR_STORE with err filled. */
enum err rollup_rebuild(sqlite3 *db, char *err, size_t errlen);
/* Recomputes span_totals from span_rollups, inside the caller's
 * transaction (schema/018 on an existing store). Returns ERR_OK or
 * ERR_STORE with err filled. */
enum err rollup_totals_rebuild(sqlite3 *db, char *err, size_t errlen);

#endif
