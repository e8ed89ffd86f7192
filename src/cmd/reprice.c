/* reprice.c: `tracelite reprice [--data DIR] [--prices FILE]`: checks its
 * flags, loads the prices, runs reprice_data_dir (store/reprice.h) and
 * prints the counts. */
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/datadir.h"
#include "ingest/prices.h"
#include "store/reprice.h"

static void usage(FILE *f)
{
	fputs("usage: tracelite reprice [--data DIR] [--prices FILE]\n"
	      "  recomputes the costs computed from the price table (never client-sent costs) and the\n"
	      "  traces' cost_usd, e.g. after changing --prices; safe while a server runs on DIR\n"
	      "  --data DIR     data directory (env TRACELITE_DATA; default ./data)\n"
	      "  --prices FILE  price file over the built-in table (env TRACELITE_PRICES)\n",
	      f);
}

/* --prices FILE. */
static int reprice_arg(void *ctx, int argc, char **argv, int *i)
{
	const char **user = ctx;
	if (*i + 1 >= argc || strcmp(argv[*i], "--prices")) {
		fprintf(stderr, "tracelite reprice: %s: unknown flag or missing value\n", argv[*i]);
		usage(stderr);
		return 2;
	}
	*user = argv[++*i];
	return 0;
}

int cmd_reprice(int argc, char **argv)
{
	const char *user = getenv("TRACELITE_PRICES");
	char data[DATADIR_MAX], err[512];
	int status = cmd_parse("reprice", argc, argv, data, usage, reprice_arg, &user);
	if (status >= 0)
		return status;
	struct stat sb;
	if (stat(data, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "tracelite reprice: no data directory %s\n", data);
		return 2;
	}
	struct prices *p = prices_load(user, err, sizeof err);
	if (!p) {
		fprintf(stderr, "tracelite reprice: %s\n", err);
		return 2;
	}
	struct reprice_stats st;
	int rc = reprice_data_dir(data, p, &st, err, sizeof err);
	prices_free(p);
	if (rc) {
		fprintf(stderr, "tracelite reprice: %s\n", err);
		return 1;
	}
	printf("reprice: %lld spans changed, %lld traces changed (%lld spans with a model and no client cost "
	       "checked)\n",
	       (long long)st.spans_changed, (long long)st.traces_changed, (long long)st.spans_checked);
	return 0;
}
