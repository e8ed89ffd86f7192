/* test_walsync.c: the writer's deferred WAL sync (src/store/writer.c,
 * walbuf_defer_commit_syncs in src/store/walbuf.h). This program defines
 * fdatasync itself, so SQLite's calls and the writer's come here first: it
 * counts the syncs of the store's WAL by thread, and fails them on demand.
 * Checked: a commit's WAL sync runs on the sync thread, not the writer's;
 * a submitter hears of a failed sync (so it is answered only after its
 * commit's sync succeeded); after a failed sync the writer takes nothing
 * more and says why; a checkpoint still syncs the WAL itself. */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "store/walbuf.h"
#include "store/writer.h"
#include "test.h"

static atomic_int writer_syncs, sync_thread_syncs, other_syncs, fail_syncs;

/* Whether fd is a file whose name ends in "-wal". */
static int is_wal(int fd)
{
	char link[64], path[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	return n > 4 && !memcmp(path + n - 4, "-wal", 4);
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	if (is_wal(fd)) {
		char name[16] = "";
		pthread_getname_np(pthread_self(), name, sizeof name);
		atomic_fetch_add(!strcmp(name, "tl-writer")     ? &writer_syncs
		                 : !strcmp(name, "tl-wal-sync") ? &sync_thread_syncs
		                                                : &other_syncs,
		                 1);
		if (atomic_load(&fail_syncs)) {
			errno = EIO;
			return -1;
		}
	}
	return real(fd);
}

static int submit(struct writer *w, int n, char *err, size_t errlen)
{
	char body[1024];
	snprintf(body, sizeof body,
	         "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
	         "\"spanId\":\"%016x\",\"name\":\"s\",\"startTimeUnixNano\":\"1700000000000000000\","
	         "\"endTimeUnixNano\":\"1700000001000000000\"}]}]}]}",
	         n + 1);
	struct span_batch *b = span_batch_new(NULL);
	int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, body, strlen(body), b, NULL, err, errlen);
	if (!rc)
		rc = writer_submit(w, b, err, errlen);
	span_batch_free(b);
	return rc;
}

static enum err checkpoint(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return ERR_OK;
}

int main(void)
{
	char dir[] = "/tmp/tl-test-walsync-XXXXXX", err[512];
	if (!mkdtemp(dir))
		abort();
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);

	/* commits: synced by the sync thread, each submitter answered after */
	int before = atomic_load(&writer_syncs), ok = 0;
	for (int i = 0; i < 20; i++)
		ok += submit(w, i, err, sizeof err) == ERR_OK;
	CHECK(ok == 20, "20 commits: %d ok (%s)", ok, err);
	CHECK(writer_submitted(w) == 20, "span batches submitted: %llu", (unsigned long long)writer_submitted(w));
	CHECK(atomic_load(&sync_thread_syncs) >= 1 && atomic_load(&sync_thread_syncs) <= 20,
	      "the sync thread synced the WAL %d times", atomic_load(&sync_thread_syncs));
	/* at most one header sync when a commit starts the WAL over */
	CHECK(atomic_load(&writer_syncs) - before <= 1, "the writer thread synced the WAL %d times in 20 commits",
	      atomic_load(&writer_syncs) - before);

	/* a checkpoint syncs the WAL before copying it, on the writer thread */
	before = atomic_load(&writer_syncs);
	CHECK(writer_exec(w, checkpoint, NULL, WRITER_TASK_NO_TXN, err, sizeof err) == ERR_OK, "checkpoint: %s",
	      err);
	CHECK(atomic_load(&writer_syncs) > before, "the checkpoint did not sync the WAL");

	sqlite3 *r = NULL;
	CHECK(store_open_reader(dir, &r, err, sizeof err) == ERR_OK, "reader: %s", err);
	CHECK(test_sql_int(r, "SELECT count(*) FROM spans") == 20, "spans stored: %lld",
	      (long long)test_sql_int(r, "SELECT count(*) FROM spans"));

	/* a failed sync: the submitter hears it, and every later one too. (A
	 * commit first after the checkpoint starts the WAL over and syncs its
	 * new header itself; one goes before, so the failure meets the commit
	 * sync, the sync thread's) */
	CHECK(submit(w, 99, err, sizeof err) == ERR_OK, "a commit after the checkpoint: %s", err);
	CHECK(writer_healthy(w), "healthy before");
	CHECK(!writer_sync_failed(w, NULL, 0), "no failed sync before");
	atomic_store(&fail_syncs, 1);
	int rc = submit(w, 100, err, sizeof err);
	CHECK(rc == ERR_STORE && strstr(err, "could not be synced to disk (Input/output error)"),
	      "a failed sync: rc %d: %s", rc, err);
	atomic_store(&fail_syncs, 0);
	rc = submit(w, 101, err, sizeof err);
	CHECK(rc == ERR_STORE && strstr(err, "could not be synced") && strstr(err, "restart tracelite"),
	      "after it: rc %d: %s", rc, err);
	CHECK(!writer_healthy(w), "unhealthy after a failed sync");
	char why[240] = "";
	CHECK(writer_sync_failed(w, why, sizeof why) && strstr(why, "could not be synced to disk"), "why: %s", why);
	rc = writer_exec(w, checkpoint, NULL, 0, err, sizeof err);
	CHECK(rc == ERR_STORE && strstr(err, "could not be synced"), "a task after it: rc %d: %s", rc, err);
	/* tasks are not span batches; refused batches count (retention's paced_exec sees ingest going on) */
	CHECK(writer_submitted(w) == 23, "span batches submitted: %llu", (unsigned long long)writer_submitted(w));
	writer_stop(w);
	sqlite3_close(r);

	/* a connection that cannot defer its syncs keeps them */
	sqlite3 *db = NULL;
	char path[300];
	snprintf(path, sizeof path, "%s/plain.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
	          sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (x)", NULL, NULL,
	                       NULL) == SQLITE_OK,
	      "plain db");
	CHECK(walbuf_defer_commit_syncs(db) == -1, "deferred on a connection not opened through walbuf");
	sqlite3_close(db);
	snprintf(path, sizeof path, "%s/normal.db", dir);
	CHECK(walbuf_open(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) == SQLITE_OK &&
	          sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (x)", NULL, NULL,
	                       NULL) == SQLITE_OK,
	      "synchronous=NORMAL db");
	CHECK(walbuf_defer_commit_syncs(db) == -1, "deferred with synchronous=NORMAL");
	sqlite3_close(db);

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		return 2;
	return test_done();
}
