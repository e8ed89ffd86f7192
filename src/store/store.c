/* store.c: opening the data directory's SQLite database, its PRAGMAs and
 * the numbered migrations (schema/NNN_*.sql, embedded) keyed on
 * PRAGMA user_version. */
#include "store/store.h"
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/embed.h"
#include "base/datadir.h"
#include "base/err.h"
#include "store/pairset.h"
#include "store/logstore.h"
#include "store/preview.h"
#include "store/rollup.h"
#include "store/spanstab.h"
#include "store/walbuf.h"
#include "store/zdict.h"

int store_schema_version(void)
{
	int n = 0;
	while (embedded_schema[n].name)
		n++;
	return n;
}

static int store_path(const char *dir, char *path, size_t n, char *err, size_t errlen)
{
	if ((size_t)snprintf(path, n, "%s/tracelite.db", dir) >= n)
		return err_set(err, errlen, ERR_BAD_INPUT, "data directory path too long");
	return ERR_OK;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, errlen, ERR_STORE, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return ERR_STORE;
	}
	return ERR_OK;
}

static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Work a migration needs beyond its SQL, run in the same transaction:
 * by the migration's number (NNN of schema/NNN_*.sql). */
static int after_migration(sqlite3 *db, int number, char *err, size_t errlen)
{
	if (number == 2)   /* 002_rollups: backfill from the spans already stored */
		return rollup_rebuild(db, err, errlen);
	if (number == 17)   /* 017_trace_previews: move the texts out of traces */
		return preview_migrate(db, err, errlen);
	if (number == 18)   /* 018_span_totals: summed from the span rollups */
		return rollup_totals_rebuild(db, err, errlen);
	if (number == 24)   /* 024_preview_refs: text previews become references to their span */
		return preview_migrate_refs(db, err, errlen);
	if (number == 20)   /* 020_log_digests: digests of the log records already stored */
		return logstore_digest_stored(db, err, errlen);
	if (number == 33)   /* 033_span_columns: the rows into their chunks' blobs */
		return spanstab_migrate(db, err, errlen);
	return ERR_OK;
}

/* The number of schema/NNN_name.sql; 0 if the name has no number. */
static int migration_number(const char *name)
{
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		n = n * 10 + (name[i] - '0');
	}
	return name[3] == '_' ? n : 0;
}

/* Before schema_migrations, user_version counted the migrations applied in
 * the order the binaries then shipped them: 013 was released before 011 and
 * 012 existed, so a store at version 11 has 001..010 and 013. */
static const int legacy_order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13};
#define LEGACY_N ((int)(sizeof legacy_order / sizeof *legacy_order))
#define MIGRATIONS_MAX 1000

/* Ends the transaction begun for a migration step: COMMIT if rc is ERR_OK,
 * else ROLLBACK. Returns the outcome. */
static int finish_tx(sqlite3 *db, int rc, char *err, size_t errlen)
{
	if (!rc)
		rc = exec(db, "COMMIT", err, errlen);
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Applies each embedded migration whose number schema_migrations does not
 * list (in number order, each in its own transaction, so a crash
 * mid-migration leaves the previous state intact); user_version is the
 * count applied, so an older binary refuses a newer store. Numbers, not
 * positions: a migration numbered below one already released (011 after
 * 013) still runs on stores that have the later one. */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	int have = user_version(db), want = store_schema_version(), rc = ERR_OK;
	unsigned char applied[MIGRATIONS_MAX];
	sqlite3_stmt *st = NULL;
	char sql[128];
	memset(applied, 0, sizeof applied);
	if (have < 0)
		return err_set(err, errlen, ERR_STORE, "cannot read schema version: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT number FROM schema_migrations", -1, &st, NULL) != SQLITE_OK) {
		/* a store written before the table: user_version counts legacy_order */
		sqlite3_finalize(st);
		st = NULL;
		if (have > LEGACY_N)
			return err_set(err, errlen, ERR_STORE,
			               "data directory has schema version %d, newer than this binary's %d", have, want);
		rc = exec(db, "BEGIN IMMEDIATE; CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY);", err, errlen);
		for (int i = 0; i < have && !rc; i++) {
			snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d)", legacy_order[i]);
			rc = exec(db, sql, err, errlen);
		}
		if ((rc = finish_tx(db, rc, err, errlen)))
			return rc;
		if (sqlite3_prepare_v2(db, "SELECT number FROM schema_migrations", -1, &st, NULL) != SQLITE_OK)
			return err_set(err, errlen, ERR_STORE, "schema_migrations: %s", sqlite3_errmsg(db));
	}
	int count = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 0);
		int known = 0;
		for (int v = 0; v < want && !known; v++)
			known = migration_number(embedded_schema[v].name) == n;
		if (!known) {
			sqlite3_finalize(st);
			return err_set(err, errlen, ERR_STORE,
			               "data directory has schema migration %lld, which this binary does not know (newer)",
			               (long long)n);
		}
		applied[n] = 1;
		count++;
	}
	sqlite3_finalize(st);
	for (int v = 0; v < want; v++) {
		int n = migration_number(embedded_schema[v].name);
		assert(n > 0 && n < MIGRATIONS_MAX); /* the build embeds schema/NNN_*.sql only */
		if (applied[n])
			continue;
		rc = exec(db, "BEGIN IMMEDIATE", err, errlen);
		if (!rc)
			rc = exec(db, (const char *)embedded_schema[v].data, err, errlen);
		if (!rc)
			rc = after_migration(db, n, err, errlen);
		snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d); PRAGMA user_version = %d;", n,
		         count + 1);
		if (!rc)
			rc = exec(db, sql, err, errlen);
		if ((rc = finish_tx(db, rc, err, errlen)))
			return rc;
		applied[n] = 1;
		count++;
	}
	return ERR_OK;
}

/* Opens dir's database with flags, runs pragmas and registers the pair-set
 * and preview SQL functions (pairset.h, preview.h); the caller adds the rest. Returns ERR_OK and
 * *out, or ERR_BAD_INPUT or ERR_STORE with err filled. */
static enum err open_db(const char *dir, int flags, const char *pragmas, sqlite3 **out, char *err, size_t errlen)
{
	char path[4096];
	sqlite3 *db = NULL;
	int rc;
	*out = NULL;
	if ((rc = store_path(dir, path, sizeof path, err, errlen)))
		return rc;
	/* the writers' WAL frames reach the file in a few large writes a commit
	 * (walbuf.h: their pragmas set WAL and synchronous=FULL) */
	if ((flags & SQLITE_OPEN_READWRITE) ? walbuf_open(path, &db, flags | SQLITE_OPEN_NOMUTEX)
	                                    : sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "cannot open %s: %s", path, sqlite3_errmsg(db));
	} else {
		sqlite3_busy_timeout(db, STORE_BUSY_MS);
		rc = exec(db, pragmas, err, errlen);
		/* before the migrations: 015 builds pair sets with them */
		if (!rc && (pairset_register(db) || preview_register(db) || spanstab_register(db)))
			rc = err_set(err, errlen, ERR_STORE, "registering the pair-set and preview functions and spans: %s",
			             sqlite3_errmsg(db));
	}
	if (rc) {
		sqlite3_close_v2(db);
		return rc;
	}
	zdict_add_source(dir);   /* where a chunk's unknown dictionary id is looked up */
	*out = db;
	return ERR_OK;
}

enum err store_open_writer(const char *dir, sqlite3 **out, char *err, size_t errlen)
{
	int rc;
	*out = NULL;
	if ((rc = datadir_create(dir, err, errlen)))
		return rc;
	/* WAL lets readers run beside the writer; synchronous=FULL makes each
	 * commit durable before we answer (group commit amortizes the fsync). */
	rc = open_db(dir, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	             /* auto_vacuum only takes on a new file (before its first
	              * table); older stores switch by a VACUUM (retention.c) */
	             /* secure_delete=FAST: Debian's SQLite zeroes every freed page,
	              * which doubles what a deletion writes; freed pages are
	              * overwritten or cut off by the incremental vacuum after it */
	             "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA secure_delete=FAST; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
	             /* wal_autocheckpoint 16000 pages (62.5 MiB, under the
	              * journal_size_limit): a page dirtied by several commits is
	              * copied back once per checkpoint, so rarer checkpoints write
	              * less (-8% of the writer's bytes at 100k and 1M spans than
	              * with 4000, docs/performance.md) */
	             "PRAGMA cache_size=-2000; PRAGMA wal_autocheckpoint=16000; PRAGMA temp_store=MEMORY;"
	             /* a WAL that grew (a long reader, a deletion) is cut back to
	              * 64 MiB when it restarts */
	             "PRAGMA journal_size_limit=67108864;",
	             out, err, errlen);
	if (!rc && (rc = migrate(*out, err, errlen))) {
		sqlite3_close_v2(*out);
		*out = NULL;
	}
	return rc;
}

enum err store_open_reader(const char *dir, sqlite3 **out, char *err, size_t errlen)
{
	enum err rc = open_db(dir, SQLITE_OPEN_READONLY, "PRAGMA cache_size=-4000; PRAGMA temp_store=MEMORY;", out, err,
	                      errlen);
	if (!rc && (rc = rollup_reader_functions(*out))) {
		err_set(err, errlen, rc, "reader functions: %s", sqlite3_errmsg(*out));
		sqlite3_close_v2(*out);
		*out = NULL;
	}
	return rc;
}

enum err store_int_query(sqlite3 *db, const char *sql, int64_t arg, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_STORE;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out = sqlite3_column_int64(st, 0);
		rc = ERR_OK;
	} else if (step == SQLITE_ROW || step == SQLITE_DONE) {
		rc = ERR_NOT_FOUND;
	}
out:
	sqlite3_finalize(st);
	return rc;
}
