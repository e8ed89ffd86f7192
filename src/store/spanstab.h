/* spanstab.h: the span rows (schema/033). Each chunk's rows are one
 * spancols blob (spancols.h) in chunk_spans, and trace_chunks lists the
 * chunks that hold a trace's rows. Readers keep their SQL: `spans` is an
 * eponymous virtual table over the two, with the columns the table of
 * schema/031 had (the generated ones included), registered on every
 * connection (spanstab_register). It is read only; the writer, deletions
 * and repricing change rows through the functions below, in the writer's
 * transaction. */
#ifndef TL_SPANSTAB_H
#define TL_SPANSTAB_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/err.h"
#include "store/spancols.h"

/* The stored columns of a span row (schema/031's, without chunk), in the
 * order spanstab_column_row reads them: a SELECT list. */
#define SPANSTAB_COLUMNS                                                                                   \
	"trace, span_id, parent_span_id, project, name, service, flags, start_ns, dur, status, status_message," \
	" model, provider, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd,"       \
	" resource, scope, chunk_index"

/* Reads st's row, selected as SPANSTAB_COLUMNS, into *r; its status
 * message copied into a (a NULL: left out). */
void spanstab_column_row(sqlite3_stmt *st, struct arena *a, struct spancols_row *r);

/* Registers the module `spans` on db (once per connection, before any
 * statement reads spans). Returns ERR_OK or ERR_STORE. A store whose
 * migrations stop before 033 keeps its table `spans`, which SQLite finds
 * before the module. */
enum err spanstab_register(sqlite3 *db);

/* The statements the functions below prepare on db at their first use,
 * kept for the calls after: the caller sets db (the rest NULL) before the
 * first call and frees them with spanstab_stmts_free. */
struct spanstab_stmts {
	sqlite3 *db;
	sqlite3_stmt *cols, *put, *set, *drop, *list, *unlist;
};
/* Finalizes s's statements (db kept). */
void spanstab_stmts_free(struct spanstab_stmts *s);

/* The rows of chunk in s->db (none if it has no row), allocated in a.
 * A blob that does not decode (a damaged store) reads as no rows, as a
 * damaged record costs only its span: it is logged (once until another
 * chunk is) and *unreadable set to 1 (unreadable may be NULL; else 0 when
 * the blob decoded). Returns ERR_OK with *rows and *n set, or ERR_STORE
 * (SQLite failed; err says why). */
enum err spanstab_chunk_rows(struct spanstab_stmts *s, int64_t chunk, struct arena *a, struct spancols_row **rows,
                             size_t *n, int *unreadable, char *err, size_t errlen);

/* Stores rows[0..n) as chunk's rows (n > 0, chunk holding none yet), and
 * lists chunk under each of their traces. Returns ERR_OK or ERR_STORE. */
enum err spanstab_put_chunk(struct spanstab_stmts *s, int64_t chunk, const struct spancols_row *rows, size_t n,
                            char *err, size_t errlen);

/* Replaces chunk's rows by rows[0..n) (n 0: deletes them) and drops chunk
 * from trace_chunks for every trace old[0..nold) (its rows before) listed
 * and rows no longer holds. Returns ERR_OK or ERR_STORE. */
enum err spanstab_rewrite_chunk(struct spanstab_stmts *s, int64_t chunk, const struct spancols_row *old, size_t nold,
                                const struct spancols_row *rows, size_t n, char *err, size_t errlen);

/* What deleting a trace did to one chunk it had rows in: the chunk's rows
 * before and after (after is 0 also when its rows were unreadable: they
 * are kept, unread, and read as none). */
struct spanstab_chunk_count {
	int64_t chunk;
	size_t before, after;
};

/* Deletes every row of trace (and its span ids, spanids.h), rewriting
 * the chunks that hold them; *deleted: how many. Calls counted(ctx, c) for
 * each chunk the trace had rows in (counted may be NULL), so the caller
 * can decide what to do with the chunk's records. Returns ERR_OK or
 * ERR_STORE. */
enum err spanstab_delete_trace(sqlite3 *db, int64_t trace, int64_t *deleted,
                               void (*counted)(void *ctx, const struct spanstab_chunk_count *c), void *ctx, char *err,
                               size_t errlen);

/* Migration 033's C step: every row of spans_032 (the table as 031 left
 * it) into its chunk's blob and trace_chunks, then the table dropped. In
 * the caller's transaction; returns ERR_OK or ERR_STORE. */
enum err spanstab_migrate(sqlite3 *db, char *err, size_t errlen);

#endif
