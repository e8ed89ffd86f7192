/* datadir.h: the one rule for choosing the data directory, shared by every
 * sub-command: ./data by default, TRACELITE_DATA over that, --data over
 * both; an empty or too long path is refused naming where it came from. */
#ifndef TL_DATADIR_H
#define TL_DATADIR_H
#include <stddef.h>
#include "base/err.h"

/* Bytes of a data directory path, NUL included: file names such as
 * "/replication.db" are joined to it in 4,200-byte buffers. */
#define DATADIR_MAX 4064
#define DATADIR_ENV "TRACELITE_DATA"

/* Sets dir to ./data, or to TRACELITE_DATA when that is set and not empty
 * (an empty variable counts as unset, as every TRACELITE_* variable does).
 * Returns ERR_OK, or ERR_BAD_INPUT with err naming TRACELITE_DATA when its
 * value is too long (dir then keeps ./data). */
enum err datadir_default(char dir[DATADIR_MAX], char *err, size_t errlen);
/* Sets dir to value, the value given by what (a flag such as "--data", or
 * the variable's name). Returns ERR_OK, or ERR_BAD_INPUT with err naming
 * what when value is empty or DATADIR_MAX bytes or longer (dir unchanged). */
enum err datadir_set(char dir[DATADIR_MAX], const char *value, const char *what, char *err, size_t errlen);
/* Creates dir and any missing parent (mode 0755), as `mkdir -p` does; an
 * existing directory is fine. Returns ERR_OK, or ERR_STORE with err naming
 * the part that could not be made and why (ERR_BAD_INPUT for a path of
 * DATADIR_MAX bytes or more). */
enum err datadir_create(const char *dir, char *err, size_t errlen);

#endif
