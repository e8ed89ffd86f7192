/* flags.c: -h, --help and --data DIR for every sub-command (flags.h). */
#include "cmd/flags.h"
#include <string.h>

int cmd_parse(const char *name, int argc, char **argv, char data[DATADIR_MAX], void (*usage)(FILE *),
              cmd_arg_fn *own, void *ctx)
{
	char err[512];
	if (datadir_default(data, err, sizeof err)) {
		fprintf(stderr, "tracelite %s: %s\n", name, err);
		return 2;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--data")) {
			if (own(ctx, argc, argv, &i))
				return 2;
			continue;
		}
		if (i + 1 >= argc || datadir_set(data, argv[i + 1], "--data", err, sizeof err)) {
			fprintf(stderr, "tracelite %s: %s\n", name, i + 1 >= argc ? "--data: missing DIR" : err);
			return 2;
		}
		i++;
	}
	return -1;
}
