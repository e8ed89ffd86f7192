/* backup.c: `tracelite backup DEST [--data DIR]`: a consistent copy of the
 * data directory into the new directory DEST while a server may run on DIR
 * (store/backup.h per database); the search index is left out, as a server
 * rebuilds it. Restoring is serving DEST (or moving it to DIR) while stopped. */
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include "base/datadir.h"
#include "store/backup.h"

static void usage(FILE *f)
{
	fputs("usage: tracelite backup DEST [--data DIR]\n"
	      "  copies the store into DEST (a new or empty directory), consistent even while a server\n"
	      "  runs on DIR: tracelite.db and replication.db (search.db is rebuilt by the server that\n"
	      "  next starts on the copy). To restore, stop the server and serve --data DEST (or move\n"
	      "  DEST to DIR).\n"
	      "  --data DIR  data directory (env TRACELITE_DATA; default ./data)\n",
	      f);
}

/* 1 if path is a directory with no entries but . and .. */
static int empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = d != NULL;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	if (d)
		closedir(d);
	return empty;
}

/* DEST, once; any flag but the shared ones is unknown. */
static int backup_arg(void *ctx, int argc, char **argv, int *i)
{
	const char **dest = ctx;
	(void)argc;
	if (argv[*i][0] != '-' && !*dest && *argv[*i]) {
		*dest = argv[*i];
		return 0;
	}
	fprintf(stderr, "tracelite backup: %s: unknown flag, missing value or second DEST\n", argv[*i]);
	usage(stderr);
	return 2;
}

int cmd_backup(int argc, char **argv)
{
	static const char *const files[] = {"tracelite.db", "replication.db"};
	char data[DATADIR_MAX], err[512], src[DATADIR_MAX + 32], dst[DATADIR_MAX + 32];
	const char *dest = NULL;
	int64_t sizes[2] = {0, -1};   /* -1: no replication.db in DIR */
	int status = cmd_parse("backup", argc, argv, data, usage, backup_arg, &dest);
	if (status >= 0)
		return status;
	if (!dest || strlen(dest) >= DATADIR_MAX) {
		fprintf(stderr, "tracelite backup: %s\n", dest ? "DEST: path too long" : "DEST: the backup directory is missing");
		usage(stderr);
		return 2;
	}
	snprintf(src, sizeof src, "%s/tracelite.db", data);
	struct stat sb;
	if (stat(src, &sb) != 0) {
		fprintf(stderr, "tracelite backup: no store at %s (no %s)\n", data, src);
		return 2;
	}
	if (mkdir(dest, 0750) != 0 && !(errno == EEXIST && empty_dir(dest))) {
		fprintf(stderr, "tracelite backup: DEST %s: %s\n", dest,
		        errno == EEXIST ? "exists and is not an empty directory" : strerror(errno));
		return 2;
	}
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(src, sizeof src, "%s/%s", data, files[i]);
		snprintf(dst, sizeof dst, "%s/%s", dest, files[i]);
		int64_t n;
		enum err rc = store_backup_file(src, dst, &n, err, sizeof err);
		if (rc == ERR_NOT_FOUND && i > 0)
			continue;   /* no replication target was ever set up */
		sizes[i] = n;
		if (rc) {
			fprintf(stderr, "tracelite backup: %s\n", err);
			return 1;
		}
	}
	printf("backup: %s: tracelite.db %lld bytes", dest, (long long)sizes[0]);
	if (sizes[1] >= 0)
		printf(", replication.db %lld bytes", (long long)sizes[1]);
	printf(" (search.db is rebuilt on start)\n");
	return 0;
}
