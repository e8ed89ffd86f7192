/* walbuf.c: the WAL-gathering VFS (walbuf.h).
 *
 * The VFS wraps the default one. Its files are the default VFS's files,
 * in the same memory, followed by a struct walbuf: a file that is not a WAL
 * keeps the default methods and is untouched; a WAL gets the methods below,
 * which hold contiguous writes in the buffer and call the default methods
 * for everything else, writing the buffer out first wherever the file's
 * contents could be looked at (read, sync, size, truncate, file control,
 * close). The buffer mirrors exactly what SQLite wrote, in order: a write
 * inside it (SQLite rewriting a frame of the same transaction) is copied in
 * place, and any other write sends the buffer first. A rolled-back
 * transaction's frames are dropped by the rollback hook, so they can never
 * land over frames another connection wrote after the rollback. A WAL
 * whose commit syncs are deferred (walbuf_defer_commit_syncs) writes its
 * buffer out at a commit's sync and leaves the fsync to its owner.
 */
#include "store/walbuf.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WALBUF_VFS_NAME "tracelite-walbuf"
#define WALBUF_MIN_BYTES (64 * 1024)
/* The unix VFS writes at most 128 KiB - 1 bytes in one call (a shorter
 * write reads as a full disk), so the buffer goes out in pieces this big. */
#define WALBUF_WRITE_BYTES (64 * 1024)

struct walbuf {
	const sqlite3_io_methods *real;   /* the default VFS's methods for this file */
	unsigned char *data;
	size_t len, cap;
	sqlite3_int64 at;                 /* file offset of data[0] */
	int defer;                        /* commit syncs left to the owner (walbuf_defer_commit_syncs) */
};

static sqlite3_vfs *parent;           /* the default VFS */
static size_t real_size;              /* parent->szOsFile, rounded up to 16 */
static sqlite3_vfs walbuf_vfs;
static sqlite3_io_methods wal_methods;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered = SQLITE_ERROR;

static struct walbuf *state(sqlite3_file *f)
{
	return (struct walbuf *)((char *)f + real_size);
}

/* Writes the buffer out and empties it; a failed write's frames are dropped
 * (their transaction fails with the returned code). */
static int flush(sqlite3_file *f)
{
	struct walbuf *b = state(f);
	int rc = SQLITE_OK;
	for (size_t done = 0; rc == SQLITE_OK && done < b->len; done += WALBUF_WRITE_BYTES) {
		size_t n = b->len - done < WALBUF_WRITE_BYTES ? b->len - done : WALBUF_WRITE_BYTES;
		rc = b->real->xWrite(f, b->data + done, (int)n, b->at + (sqlite3_int64)done);
	}
	b->len = 0;
	return rc;
}

/* Room for need bytes in b, within WALBUF_MAX_BYTES; 0 if there is none. */
static int reserve(struct walbuf *b, size_t need)
{
	if (need <= b->cap)
		return 1;
	if (need > WALBUF_MAX_BYTES)
		return 0;
	size_t cap = b->cap ? b->cap : WALBUF_MIN_BYTES;
	while (cap < need)
		cap *= 2;
	if (cap > WALBUF_MAX_BYTES)
		cap = WALBUF_MAX_BYTES;
	unsigned char *p = realloc(b->data, cap);
	if (!p)
		return 0;
	b->data = p;
	b->cap = cap;
	return 1;
}

static int wal_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct walbuf *b = state(f);
	size_t len = (size_t)n;
	if (n <= 0 || off < 0)
		return b->real->xWrite(f, buf, n, off);
	if (b->len && off >= b->at && (size_t)(off - b->at) + len <= b->len) {
		memcpy(b->data + (off - b->at), buf, len);   /* a frame of this transaction rewritten */
		return SQLITE_OK;
	}
	if (b->len && off == b->at + (sqlite3_int64)b->len && reserve(b, b->len + len)) {
		memcpy(b->data + b->len, buf, len);
		b->len += len;
		return SQLITE_OK;
	}
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (!reserve(b, len))
		return b->real->xWrite(f, buf, n, off);
	memcpy(b->data, buf, len);
	b->len = len;
	b->at = off;
	return SQLITE_OK;
}

static int wal_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : state(f)->real->xRead(f, buf, n, off);
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : state(f)->real->xTruncate(f, size);
}

/* With checkpoint_fullfsync on (walbuf_defer_commit_syncs sets it), SQLite
 * syncs the WAL with SQLITE_SYNC_FULL before a checkpoint copies it and
 * after writing a new WAL header, and with SQLITE_SYNC_NORMAL at a commit:
 * only that last one is deferred. */
static int wal_sync(sqlite3_file *f, int flags)
{
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (state(f)->defer && (flags & 0x0f) != SQLITE_SYNC_FULL)
		return SQLITE_OK;
	return state(f)->real->xSync(f, flags);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : state(f)->real->xFileSize(f, size);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : state(f)->real->xFileControl(f, op, arg);
}

static int wal_close(sqlite3_file *f)
{
	struct walbuf *b = state(f);
	int rc = flush(f);
	free(b->data);
	b->data = NULL;
	b->cap = 0;
	int crc = b->real->xClose(f);
	return rc != SQLITE_OK ? rc : crc;
}

/* The rest go to the default methods as they are. */
static int wal_lock(sqlite3_file *f, int lock)
{
	return state(f)->real->xLock(f, lock);
}

static int wal_unlock(sqlite3_file *f, int lock)
{
	return state(f)->real->xUnlock(f, lock);
}

static int wal_check_reserved(sqlite3_file *f, int *out)
{
	return state(f)->real->xCheckReservedLock(f, out);
}

static int wal_sector_size(sqlite3_file *f)
{
	return state(f)->real->xSectorSize(f);
}

static int wal_device(sqlite3_file *f)
{
	return state(f)->real->xDeviceCharacteristics(f);
}

static int vfs_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	(void)vfs;
	int rc = parent->xOpen(parent, name, f, flags, out_flags);
	if (rc != SQLITE_OK || !f->pMethods || !(flags & SQLITE_OPEN_WAL))
		return rc;
	struct walbuf *b = state(f);
	memset(b, 0, sizeof *b);
	b->real = f->pMethods;
	f->pMethods = &wal_methods;
	return SQLITE_OK;
}

/* The VFS calls that do not open a file go to the default VFS. */
static int vfs_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return parent->xDelete(parent, name, sync);
}

static int vfs_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return parent->xAccess(parent, name, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return parent->xFullPathname(parent, name, n, out);
}

static void *vfs_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return parent->xDlOpen(parent, name);
}

static void vfs_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	parent->xDlError(parent, n, out);
}

static void (*vfs_dlsym(sqlite3_vfs *v, void *lib, const char *sym))(void)
{
	(void)v;
	return parent->xDlSym(parent, lib, sym);
}

static void vfs_dlclose(sqlite3_vfs *v, void *lib)
{
	(void)v;
	parent->xDlClose(parent, lib);
}

static int vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return parent->xRandomness(parent, n, out);
}

static int vfs_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return parent->xSleep(parent, us);
}

static int vfs_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return parent->xCurrentTime(parent, out);
}

static int vfs_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return parent->xGetLastError(parent, n, out);
}

static int vfs_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return parent->xCurrentTimeInt64(parent, out);
}

static void register_vfs(void)
{
	parent = sqlite3_vfs_find(NULL);
	if (!parent || parent->iVersion < 2)
		return;
	real_size = ((size_t)parent->szOsFile + 15) & ~(size_t)15;
	/* version 1: shared memory and memory maps are the database file's,
	 * never the WAL's */
	wal_methods = (sqlite3_io_methods){
		.iVersion = 1,
		.xClose = wal_close,
		.xRead = wal_read,
		.xWrite = wal_write,
		.xTruncate = wal_truncate,
		.xSync = wal_sync,
		.xFileSize = wal_file_size,
		.xLock = wal_lock,
		.xUnlock = wal_unlock,
		.xCheckReservedLock = wal_check_reserved,
		.xFileControl = wal_file_control,
		.xSectorSize = wal_sector_size,
		.xDeviceCharacteristics = wal_device,
	};
	walbuf_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)(real_size + sizeof(struct walbuf)),
		.mxPathname = parent->mxPathname,
		.zName = WALBUF_VFS_NAME,
		.xOpen = vfs_open,
		.xDelete = vfs_delete,
		.xAccess = vfs_access,
		.xFullPathname = vfs_full_pathname,
		.xDlOpen = vfs_dlopen,
		.xDlError = vfs_dlerror,
		.xDlSym = vfs_dlsym,
		.xDlClose = vfs_dlclose,
		.xRandomness = vfs_randomness,
		.xSleep = vfs_sleep,
		.xCurrentTime = vfs_current_time,
		.xGetLastError = vfs_last_error,
		.xCurrentTimeInt64 = vfs_current_time64,
	};
	registered = sqlite3_vfs_register(&walbuf_vfs, 0);
}

/* sqlite3_rollback_hook: the rolled-back transaction's buffered frames are
 * not the WAL's any more; another connection may write over their place. */
static void drop_frames(void *arg)
{
	sqlite3_file *f = NULL;
	if (sqlite3_file_control(arg, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK && f &&
	    f->pMethods == &wal_methods)
		state(f)->len = 0;
}

int walbuf_open(const char *path, sqlite3 **out, int flags)
{
	*out = NULL;
	pthread_once(&once, register_vfs);
	/* a default VFS this one cannot wrap (older than version 2) only
	 * costs the gathering, not the store */
	if (registered != SQLITE_OK)
		return sqlite3_open_v2(path, out, flags, NULL);
	int rc = sqlite3_open_v2(path, out, flags, WALBUF_VFS_NAME);
	if (rc == SQLITE_OK)
		sqlite3_rollback_hook(*out, drop_frames, *out);
	return rc;
}

/* The integer the one-row statement sql answers on db, or -1. */
static int pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int walbuf_defer_commit_syncs(sqlite3 *db)
{
	sqlite3_file *f = NULL;
	if (sqlite3_exec(db, "PRAGMA checkpoint_fullfsync=ON", NULL, NULL, NULL) != SQLITE_OK ||
	    pragma_int(db, "PRAGMA checkpoint_fullfsync") != 1 || pragma_int(db, "PRAGMA fullfsync") != 0 ||
	    pragma_int(db, "PRAGMA synchronous") != 2 ||
	    sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) != SQLITE_OK || !f ||
	    f->pMethods != &wal_methods)
		return -1;
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db, "main"));
	int fd = wal ? open(wal, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0)
		state(f)->defer = 1;
	return fd;
}
