/* datadir.c: default -> TRACELITE_DATA -> --data, one rule for serve, demo,
 * replicate and reprice. */
#include "base/datadir.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

enum err datadir_create(const char *dir, char *err, size_t errlen)
{
	char path[DATADIR_MAX];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof path)
		return err_set(err, errlen, ERR_BAD_INPUT, "data directory: expected a path of 1..%d bytes", DATADIR_MAX - 1);
	memcpy(path, dir, n + 1);
	/* each parent in turn, then dir itself (p == n) */
	for (size_t p = 1; p <= n; p++) {
		if (p < n && path[p] != '/')
			continue;
		char saved = path[p];
		path[p] = 0;
		struct stat sb;
		int made = mkdir(path, 0755) == 0 || (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
		int why = errno;
		path[p] = saved;
		if (!made)
			return err_set(err, errlen, ERR_STORE, "cannot create data directory %s: %.*s: %s", dir, (int)p, path,
			               why == EEXIST ? "not a directory" : strerror(why));
	}
	return ERR_OK;
}
