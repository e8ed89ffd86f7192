/* datadir.c: default -> TRACELITE_DATA -> --data, one rule for serve, demo,
 * replicate and reprice. */
#include "base/datadir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"

enum err datadir_set(char dir[DATADIR_MAX], const char *value, const char *what, char *err, size_t errlen)
{
	if (!*value || strlen(value) >= DATADIR_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected a directory path (1..%d bytes)", what,
		               DATADIR_MAX - 1);
	snprintf(dir, DATADIR_MAX, "%s", value);
	return ERR_OK;
}

enum err datadir_default(char dir[DATADIR_MAX], char *err, size_t errlen)
{
	const char *env = getenv(DATADIR_ENV);
	snprintf(dir, DATADIR_MAX, "./data");
	return env && *env ? datadir_set(dir, env, DATADIR_ENV, err, errlen) : ERR_OK;
}
