/* backup.h: a consistent copy of one SQLite file of the data directory while
 * a server writes to it (VACUUM INTO from a read-only connection: one read
 * transaction, so the copy is one committed state; writers go on). */
#ifndef TL_BACKUP_H
#define TL_BACKUP_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

/* Copies the SQLite database at src to dest, which must not exist: written
 * as dest.tmp, fsynced, then renamed. *bytes gets dest's size. Returns
 * ERR_OK; ERR_NOT_FOUND if src does not exist; ERR_BAD_INPUT if dest exists
 * or a path is too long; ERR_STORE if SQLite or the file system fails (err
 * filled, dest.tmp removed). */
enum err store_backup_file(const char *src, const char *dest, int64_t *bytes, char *err, size_t errlen);

#endif
