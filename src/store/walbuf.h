/* walbuf.h: a SQLite VFS that gathers a transaction's WAL writes.
 *
 * SQLite writes its write-ahead log one page frame at a time, one pwrite
 * each (about two a span on the writer's commits). Through this VFS the
 * frames of a transaction collect in memory while they are contiguous and
 * reach the file in a few large writes, before the WAL is synced, read,
 * truncated, sized or closed. Every other file, and every other call, goes
 * to the default VFS unchanged.
 *
 * Contract: only for connections in WAL mode with synchronous=FULL (every
 * commit calls the WAL's sync, where its frames are written out before
 * another connection can see them), opened with walbuf_open; the rollback hook that
 * drops a rolled-back transaction's frames is walbuf's own.
 */
#ifndef TRACELITE_WALBUF_H
#define TRACELITE_WALBUF_H

#include <sqlite3.h>

/* The most a WAL buffer holds before it is written out. */
#define WALBUF_MAX_BYTES (1024 * 1024)

/* Opens path like sqlite3_open_v2(path, out, flags, NULL), through the
 * buffering VFS (registered on first use; with the default VFS alone if it
 * cannot be registered), and installs the rollback hook
 * that drops buffered frames of a rolled-back transaction. The caller must
 * set journal_mode=WAL and synchronous=FULL before its first write, and must
 * not install its own rollback hook. Returns a SQLite result code; *out is
 * set as sqlite3_open_v2 sets it (close it on failure too). */
int walbuf_open(const char *path, sqlite3 **out, int flags);

/* Leaves the WAL sync of each of db's commits to the caller, who must
 * fdatasync the returned descriptor after a commit (from any thread) before
 * telling anyone the commit is durable. The commit's frames are in the file
 * when COMMIT returns, and other connections see them. The WAL syncs that
 * order the store's files (before a checkpoint copies the WAL, after a new
 * WAL header) stay in SQLite's hands: this sets checkpoint_fullfsync, which
 * tells them apart. db must come from walbuf_open, be in WAL mode with its
 * WAL open (after its first transaction) and synchronous=FULL, fullfsync
 * off, and keep its WAL until it closes; the caller closes the descriptor
 * after db. Returns the descriptor, or -1 with commits syncing as before. */
int walbuf_defer_commit_syncs(sqlite3 *db);

#endif
