/* store.c: opening the data directory's SQLite database, its PRAGMAs and
 * the numbered migrations (schema/NNN_*.sql, embedded) keyed on
 * PRAGMA user_version. */
#include "store/store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/embed.h"
#include "base/datadir.h"
#include "base/err.h"
#include "store/rollup.h"

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
 * by the version the migration brings the store to. */
static int after_migration(sqlite3 *db, int version, char *err, size_t errlen)
{
	if (version == 2)   /* 002_rollups: backfill from the spans already stored */
		return rollup_rebuild(db, err, errlen);
	return ERR_OK;
}

/* Applies each embedded migration past user_version in its own transaction,
 * so a crash mid-migration leaves the previous version intact. */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	int have = user_version(db), want = store_schema_version();
	if (have < 0)
		return err_set(err, errlen, ERR_STORE, "cannot read schema version: %s", sqlite3_errmsg(db));
	if (have > want)
		return err_set(err, errlen, ERR_STORE,
		               "data directory has schema version %d, newer than this binary's %d", have, want);
	for (int v = have; v < want; v++) {
		char sql[64];
		int rc = exec(db, "BEGIN IMMEDIATE", err, errlen);
		if (!rc)
			rc = exec(db, (const char *)embedded_schema[v].data, err, errlen);
		if (!rc)
			rc = after_migration(db, v + 1, err, errlen);
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (!rc)
			rc = exec(db, sql, err, errlen);
		if (!rc)
			rc = exec(db, "COMMIT", err, errlen);
		if (rc) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return ERR_OK;
}

/* Opens dir's database with flags and runs pragmas; the caller adds the
 * rest. Returns ERR_OK and *out, or ERR_BAD_INPUT or ERR_STORE with err filled. */
static enum err open_db(const char *dir, int flags, const char *pragmas, sqlite3 **out, char *err, size_t errlen)
{
	char path[4096];
	sqlite3 *db = NULL;
	int rc;
	*out = NULL;
	if ((rc = store_path(dir, path, sizeof path, err, errlen)))
		return rc;
	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "cannot open %s: %s", path, sqlite3_errmsg(db));
	} else {
		sqlite3_busy_timeout(db, STORE_BUSY_MS);
		rc = exec(db, pragmas, err, errlen);
	}
	if (rc) {
		sqlite3_close_v2(db);
		return rc;
	}
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
	             "PRAGMA cache_size=-8000; PRAGMA wal_autocheckpoint=4000; PRAGMA temp_store=MEMORY;"
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
	return open_db(dir, SQLITE_OPEN_READONLY, "PRAGMA cache_size=-4000; PRAGMA temp_store=MEMORY;", out, err,
	               errlen);
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
