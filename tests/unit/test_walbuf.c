/* test_walbuf.c: the WAL-gathering VFS (src/store/walbuf.h). A
 * transaction's frames stay out of the WAL file until it commits, and are
 * there, readable by another connection, once it has; a transaction bigger
 * than the buffer is whole; a rolled-back transaction's frames never land
 * over the frames another writer committed after the rollback; the store
 * checkpoints, closes and reopens intact. */
#include "store/walbuf.h"
#include <sys/stat.h>
#include <unistd.h>
#include "test.h"

static char wal[300];

static long long wal_size(void)
{
	struct stat sb;
	return stat(wal, &sb) ? -1 : (long long)sb.st_size;
}

static int run(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		printf("  %s: %s\n", sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

static int integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	         sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	return ok;
}

int main(void)
{
	char dir[] = "/tmp/tracelite-walbuf-XXXXXX", path[256];
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof path, "%s/t.db", dir);
	snprintf(wal, sizeof wal, "%s-wal", path);

	sqlite3 *a = NULL, *reader = NULL, *other = NULL;
	CHECK(walbuf_open(path, &a, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) == SQLITE_OK, "open");
	/* a page cache of 8 pages: a transaction's pages spill into the WAL
	 * before its commit */
	CHECK(run(a, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=8;"
	             " PRAGMA wal_autocheckpoint=0; CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);") ==
	          SQLITE_OK,
	      "setup");
	CHECK(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "reader");

	/* gathered: the spilled frames are not in the file before the commit */
	long long before = wal_size();
	CHECK(run(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
	             " INSERT INTO t SELECT i, randomblob(2000) FROM n;") == SQLITE_OK,
	      "insert 100");
	CHECK(wal_size() == before, "the WAL grew before the commit: %lld -> %lld bytes", before, wal_size());
	CHECK(run(a, "COMMIT") == SQLITE_OK, "commit");
	CHECK(wal_size() >= before + 100 * 2000, "the WAL after the commit: %lld bytes", wal_size());
	CHECK(test_sql_int(reader, "SELECT count(*) FROM t") == 100, "another connection reads the commit");

	/* a transaction over the buffer's size, in several writes */
	CHECK(run(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 101 UNION ALL SELECT i + 1 FROM n WHERE i < 1600)"
	             " INSERT INTO t SELECT i, randomblob(2000) FROM n; COMMIT;") == SQLITE_OK,
	      "insert 1500");
	CHECK(wal_size() > WALBUF_MAX_BYTES, "WAL %lld bytes", wal_size());
	CHECK(test_sql_int(reader, "SELECT count(*) FROM t") == 1600 &&
	          test_sql_int(reader, "SELECT sum(length(b)) FROM t") == 1600 * 2000,
	      "the big transaction whole");
	CHECK(integrity_ok(reader), "integrity after the big transaction");

	/* a rollback's frames dropped: another writer commits in their place,
	 * then this connection commits after it. From an empty WAL, so the
	 * rollback reads nothing back from it (a read would write them out
	 * before the other writer's frames, where they do no harm) */
	CHECK(run(a, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK && wal_size() == 0, "WAL emptied");
	CHECK(run(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 5001 UNION ALL SELECT i + 1 FROM n WHERE i < 5200)"
	             " INSERT INTO t SELECT i, randomblob(2000) FROM n; ROLLBACK;") == SQLITE_OK,
	      "rolled back");
	CHECK(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "other writer");
	CHECK(run(other, "PRAGMA wal_autocheckpoint=0; BEGIN; WITH RECURSIVE n(i) AS (SELECT 9001 UNION ALL SELECT i + 1"
	                 " FROM n WHERE i < 9050) INSERT INTO t SELECT i, zeroblob(3000) FROM n; COMMIT;") == SQLITE_OK,
	      "the other writer's commit");
	CHECK(run(a, "INSERT INTO t VALUES (20000, x'01')") == SQLITE_OK, "a commit after it");
	sqlite3 *fresh = NULL;
	CHECK(sqlite3_open_v2(path, &fresh, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "fresh reader");
	CHECK(integrity_ok(fresh), "integrity after the rollback and the other writer");
	CHECK(test_sql_int(fresh, "SELECT count(*) FROM t") == 1651 &&
	          test_sql_int(fresh, "SELECT count(*) FROM t WHERE id BETWEEN 9001 AND 9050 AND b = zeroblob(3000)") ==
	              50 &&
	          test_sql_int(fresh, "SELECT count(*) FROM t WHERE id BETWEEN 5001 AND 5200") == 0,
	      "rows: %lld", (long long)test_sql_int(fresh, "SELECT count(*) FROM t"));
	sqlite3_close(fresh);

	/* checkpointed, truncated, closed and opened again */
	CHECK(run(a, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK, "checkpoint");
	sqlite3_close(other);
	sqlite3_close(reader);
	CHECK(sqlite3_close(a) == SQLITE_OK, "close");
	CHECK(sqlite3_open_v2(path, &fresh, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "reopen");
	CHECK(integrity_ok(fresh) && test_sql_int(fresh, "SELECT count(*) FROM t") == 1651, "reopened whole");
	sqlite3_close(fresh);

	char sql[300];
	snprintf(sql, sizeof sql, "rm -rf '%s'", dir);
	CHECK(system(sql) == 0, "cleanup");
	return test_done();
}
