/* repl_rows.h: what replication sends, read from the store's change
 * sequence (schema/004_changes.sql) as rows of the target tables: flat
 * cJSON objects whose keys are the target's column names (the same for
 * ClickHouse and Postgres), JSON columns as JSON text. */
#ifndef TL_REPL_ROWS_H
#define TL_REPL_ROWS_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"

enum repl_table { REPL_PROJECTS, REPL_SPANS, REPL_TRACES, REPL_SCORES, REPL_LOGS, REPL_NTABLES };

/* How far a target has been sent: the last chunk (spans), trace summary
 * seq, score seq, project key, deletion seq (schema/006_deletions.sql) and
 * log chunk (schema/010_logs.sql) confirmed. All 0 = nothing yet. */
struct repl_cursor {
	int64_t chunk, trace_seq, score_seq, project_key, deletion_seq, log_chunk;
};

struct repl_batch {
	cJSON *rows[REPL_NTABLES];   /* one array per table, in send order */
	struct repl_cursor next;     /* the cursor once all of these are confirmed */
	int64_t chunk_max;           /* newest chunk in the store when read */
	int64_t log_chunk_max;       /* newest log chunk in the store when read */
};

/* Reads, in one read transaction on db, the changes after from: new
 * projects, the spans of whole chunks up to about max_spans spans, at
 * most max_spans changed traces and scores, and the log records of whole
 * log chunks up to about max_spans records. Returns ERR_OK (b filled; free
 * with repl_batch_free) or ERR_STORE. */
enum err repl_rows_read(sqlite3 *db, const struct repl_cursor *from, int max_spans, struct repl_batch *b);
/* The longest score id whose deletion is replicated (ids are clipped to
 * 36 bytes when stored). */
#define REPL_SCORE_ID_MAX 64
/* Reads the deletions after seq `after` (at most max): *ids = a JSON array
 * of lowercase hex trace ids, and of "s" + the hex of a deleted score's id
 * (schema/009) (caller frees; empty when none, also on a store without the
 * deletions table), *last = the last seq read (after when none). Returns
 * ERR_OK or ERR_STORE. */
enum err repl_rows_deletions(sqlite3 *db, int64_t after, int max, cJSON **ids, int64_t *last);
/* "DELETE ... WHERE trace_id IN ('..', ...)" statements, or ClickHouse's
 * ALTER TABLE ... DELETE mutations, for every table holding rows of the
 * trace ids, plus one deleting the scores of the "s" ids (ids as
 * repl_rows_deletions gives them), into out (malloc'd, caller frees each);
 * returns the statement count (at most REPL_NTABLES). */
int repl_rows_delete_sql(const cJSON *ids, int clickhouse, char *out[REPL_NTABLES]);
/* Frees the rows of b (b itself is the caller's). */
void repl_batch_free(struct repl_batch *b);
/* Returns the number of rows in b. */
int repl_batch_rows(const struct repl_batch *b);
/* Sets *n to the number of spans stored in chunks after chunk (past 256
 * chunks, the first 256 chunks' count scaled by the number of chunks). Returns
 * ERR_OK, or ERR_STORE (*n then -1). */
enum err repl_rows_spans_after(sqlite3 *db, int64_t chunk, int64_t *n);
/* The target table's name ("spans", ...). */
const char *repl_table_name(enum repl_table t);
/* The target table's primary key columns, comma separated. */
const char *repl_table_key(enum repl_table t);

#endif
