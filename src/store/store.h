/* store.h: the data directory: opens SQLite in WAL mode, applies the
 * numbered migrations of schema/ (embedded at build time), and hands out
 * connections: one read-write for the writer, read-only ones for queries. */
#ifndef TL_STORE_H
#define TL_STORE_H
#include <sqlite3.h>
#include <stddef.h>

#define STORE_DEFAULT_PROJECT_ID "00000000-0000-0000-0000-000000000001"
#define STORE_DEFAULT_PROJECT_NAME "default"

/* Creates dir if needed, opens dir/tracelite.db read-write, applies pending
 * migrations. Returns 0 and *out (close with sqlite3_close_v2), or an
 * ERR_* code with err filled. */
int store_open_writer(const char *dir, sqlite3 **out, char *err, size_t errlen);
/* Opens a read-only connection to an existing store; same contract. */
int store_open_reader(const char *dir, sqlite3 **out, char *err, size_t errlen);
/* Returns the schema version the binary knows (last migration number). */
int store_schema_version(void);

#endif
