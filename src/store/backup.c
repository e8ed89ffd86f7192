/* backup.c: store_backup_file: VACUUM INTO a temporary file next to the
 * destination from a read-only connection, then fsync and rename, so a
 * destination that exists is always a whole, consistent database. */
#include "store/backup.h"
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BACKUP_PATH_MAX 4200

/* fsyncs the file or directory at path. */
static int sync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

enum err store_backup_file(const char *src, const char *dest, int64_t *bytes, char *err, size_t errlen)
{
	char tmp[BACKUP_PATH_MAX], dir[BACKUP_PATH_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	enum err rc = ERR_OK;
	int made_tmp = 0;
	assert(src && dest && bytes);
	*bytes = 0;
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", dest) >= sizeof tmp ||
	    (size_t)snprintf(dir, sizeof dir, "%s", dest) >= sizeof dir) {
		rc = err_set(err, errlen, ERR_BAD_INPUT, "backup path too long: %s", dest);
		goto out;
	}
	if (stat(src, &sb) != 0) {
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no database at %s", src);
		goto out;
	}
	if (lstat(dest, &sb) == 0) {
		rc = err_set(err, errlen, ERR_BAD_INPUT, "%s already exists", dest);
		goto out;
	}
	if (unlink(tmp) != 0 && errno != ENOENT) {
		rc = err_set(err, errlen, ERR_STORE, "cannot remove %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "cannot open %s: %s", src, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "sqlite: %s", sqlite3_errmsg(db));
		goto out;
	}
	made_tmp = 1;
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = err_set(err, errlen, ERR_STORE, "copying %s: %s", src, sqlite3_errmsg(db));
		goto out;
	}
	if (sync_path(tmp, O_RDONLY) != 0 || stat(tmp, &sb) != 0) {
		rc = err_set(err, errlen, ERR_STORE, "cannot sync %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, dest) != 0) {
		rc = err_set(err, errlen, ERR_STORE, "cannot rename %s to %s: %s", tmp, dest, strerror(errno));
		goto out;
	}
	made_tmp = 0;
	*bytes = (int64_t)sb.st_size;
	/* the rename is durable once the directory is synced */
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	else
		snprintf(dir, sizeof dir, ".");
	if (sync_path(dir, O_RDONLY | O_DIRECTORY) != 0)
		rc = err_set(err, errlen, ERR_STORE, "cannot sync directory %s: %s", dir, strerror(errno));
out:
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	if (made_tmp)
		unlink(tmp);
	return rc;
}
