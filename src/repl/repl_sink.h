/* repl_sink.h: one replication target's connection: create the tables if
 * missing and send rows of one table idempotently. Implemented by
 * repl_ch.c (ClickHouse over HTTP) and repl_pg.c (Postgres over libpq).
 * A sink is used by one thread at a time. */
#ifndef TL_REPL_SINK_H
#define TL_REPL_SINK_H
#include <cjson/cJSON.h>
#include <stddef.h>
#include "repl/repl_rows.h"
#include "repl/repl_target.h"

/* Outcome of a sink call. */
enum repl_result {
	REPL_SENT = 0,        /* the target confirmed */
	REPL_DOWN,            /* unreachable, overloaded, auth...: retry later */
	REPL_REFUSED,         /* the target refused the data itself */
	REPL_NO_SCHEMA,       /* a table or database is missing */
};

struct repl_sink {
	void *ctx;
	/* Connects if needed and creates the database and tables if missing. */
	enum repl_result (*ensure_schema)(void *ctx, char *err, size_t errlen);
	/* Sends rows (a non-empty array of repl_rows objects of table t), all
	 * or nothing; rows already there are replaced or kept, never doubled. */
	enum repl_result (*send)(void *ctx, enum repl_table t, const cJSON *rows, char *err, size_t errlen);
	/* Deletes the traces of ids (a non-empty array of hex trace ids) from
	 * every table; deleting what is not there is no error. */
	enum repl_result (*delete_traces)(void *ctx, const cJSON *ids, char *err, size_t errlen);
	void (*close)(void *ctx);
};

/* Open a sink for t (no I/O yet). *stop, when set by another thread, makes
 * a transfer in progress give up soon (REPL_DOWN). Never NULL. */
struct repl_sink *repl_ch_open(const struct repl_target *t, const volatile int *stop);
struct repl_sink *repl_pg_open(const struct repl_target *t, const volatile int *stop);
/* Closes and frees s (NULL is a no-op). */
void repl_sink_close(struct repl_sink *s);
#endif
