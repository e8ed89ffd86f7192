/* test_datadir.c: the one data-directory rule: ./data, TRACELITE_DATA over
 * it (empty counts as unset), a flag over both; empty or too long values
 * are refused naming where they came from, and leave the choice as it was. */
#include "base/datadir.h"
#include "base/err.h"
#include <sys/stat.h>
#include "test.h"

int main(void)
{
	char dir[DATADIR_MAX], err[128];
	unsetenv(DATADIR_ENV);
	CHECK(datadir_default(dir, err, sizeof err) == ERR_OK && !strcmp(dir, "./data"), "default: %s", dir);
	setenv(DATADIR_ENV, "", 1);
	CHECK(datadir_default(dir, err, sizeof err) == ERR_OK && !strcmp(dir, "./data"), "empty env: %s", dir);
	setenv(DATADIR_ENV, "/var/lib/tl", 1);
	CHECK(datadir_default(dir, err, sizeof err) == ERR_OK && !strcmp(dir, "/var/lib/tl"), "env: %s", dir);
	CHECK(datadir_set(dir, "flagdir", "--data", err, sizeof err) == ERR_OK && !strcmp(dir, "flagdir"),
	      "flag over env: %s", dir);
	CHECK(datadir_set(dir, "", "--data", err, sizeof err) == ERR_BAD_INPUT && !strncmp(err, "--data: ", 8) &&
	          !strcmp(dir, "flagdir"),
	      "empty flag refused: %s", err);
	static char longv[DATADIR_MAX + 1];
	memset(longv, 'x', DATADIR_MAX);   /* DATADIR_MAX bytes: one too many with the NUL */
	CHECK(datadir_set(dir, longv, "--data", err, sizeof err) == ERR_BAD_INPUT && !strcmp(dir, "flagdir"),
	      "too long refused: %s", err);
	setenv(DATADIR_ENV, longv, 1);
	CHECK(datadir_default(dir, err, sizeof err) == ERR_BAD_INPUT && !strncmp(err, "TRACELITE_DATA: ", 16) &&
	          !strcmp(dir, "./data"),
	      "too long env refused naming it: %s", err);
	longv[DATADIR_MAX - 1] = 0;
	CHECK(datadir_set(dir, longv, "--data", err, sizeof err) == ERR_OK && strlen(dir) == DATADIR_MAX - 1,
	      "the longest path taken");
	/* datadir_create: parents made as mkdir -p does; a file in the way named */
	char base[] = "/tmp/tracelite-datadir-XXXXXX", deep[256], file[256], under[300];
	CHECK(mkdtemp(base) != NULL, "mkdtemp");
	snprintf(deep, sizeof deep, "%s/a/b/c", base);
	CHECK(datadir_create(deep, err, sizeof err) == ERR_OK, "nested: %s", err);
	struct stat sb;
	CHECK(stat(deep, &sb) == 0 && S_ISDIR(sb.st_mode), "made %s", deep);
	CHECK(datadir_create(deep, err, sizeof err) == ERR_OK, "again: fine");
	snprintf(file, sizeof file, "%s/f", base);
	FILE *fp = fopen(file, "w");
	CHECK(fp != NULL, "file");
	if (fp)
		fclose(fp);
	snprintf(under, sizeof under, "%s/x", file);
	CHECK(datadir_create(under, err, sizeof err) == ERR_STORE && strstr(err, "not a directory") && strstr(err, file),
	      "a file in the way: %s", err);
	CHECK(datadir_create(file, err, sizeof err) == ERR_STORE, "a file as the directory: %s", err);
	CHECK(datadir_create("", err, sizeof err) == ERR_BAD_INPUT, "empty");
	return test_done();
}
