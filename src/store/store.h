/* store.h: the data directory: opens SQLite in WAL mode, applies the
 * numbered migrations of schema/ (embedded at build time), and hands out
 * connections: one read-write for the writer, read-only ones for queries. */
#ifndef TL_STORE_H
#define TL_STORE_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

#define STORE_DEFAULT_PROJECT_ID "00000000-0000-0000-0000-000000000001"
#define STORE_DEFAULT_PROJECT_NAME "default"
#define STORE_BUSY_MS 5000   /* every connection's busy timeout */

/* Creates dir if needed, opens dir/tracelite.db read-write, applies pending
 * migrations. Returns ERR_OK and *out (close with sqlite3_close_v2), or
 * ERR_BAD_INPUT (dir too long) or ERR_STORE (cannot create, open or
 * migrate) with err filled. */
enum err store_open_writer(const char *dir, sqlite3 **out, char *err, size_t errlen);
/* Opens a read-only connection to an existing store; same contract. Both
 * register the pair-set SQL functions (pairset.h) on the connection. */
enum err store_open_reader(const char *dir, sqlite3 **out, char *err, size_t errlen);
/* Returns the schema version the binary knows (last migration number). */
int store_schema_version(void);
/* Runs sql, a one-value query with at most one parameter ?1 (bound to arg
 * when present), and sets *out to the first column of its first row.
 * Returns ERR_OK, ERR_NOT_FOUND (no row, or NULL), or ERR_STORE (the query
 * failed); *out is untouched unless ERR_OK. */
enum err store_int_query(sqlite3 *db, const char *sql, int64_t arg, int64_t *out);

#endif
