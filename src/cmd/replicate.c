/* replicate.c: `tracelite replicate --once TARGET [--data DIR]`: checks its
 * flags and the target, runs one repl_once pass and prints the counts. */
#include "cmd/cmd.h"
#include "cmd/flags.h"
#include <stdio.h>
#include <string.h>
#include "base/datadir.h"
#include "base/err.h"
#include "repl/repl.h"
#include "repl/repl_target.h"

static void usage(FILE *f)
{
	fputs("usage: tracelite replicate --once TARGET [--data DIR]\n"
	      "  sends everything in the store to TARGET and exits (idempotent: safe to repeat)\n"
	      "  TARGET: clickhouse://[user:pass@]host:8123/db (clickhouses:// = HTTPS; ?cafile=PATH or ?insecure=1)\n"
	      "          postgres://user:pass@host/db?sslmode=require (any libpq connection URI)\n"
	      "  --data DIR  data directory (env TRACELITE_DATA; default ./data)\n",
	      f);
}

struct replicate_args {
	const char *url;
	int once;
};

/* --once and TARGET. */
static int replicate_arg(void *ctx, int argc, char **argv, int *i)
{
	struct replicate_args *ra = ctx;
	(void)argc;
	if (!strcmp(argv[*i], "--once"))
		ra->once = 1;
	else if (argv[*i][0] != '-' && !ra->url)
		ra->url = argv[*i];
	else {
		fprintf(stderr, "tracelite replicate: unexpected argument '%s'\n", argv[*i][0] == '-' ? argv[*i] : "TARGET");
		usage(stderr);
		return 2;
	}
	return 0;
}

int cmd_replicate(int argc, char **argv)
{
	char data[DATADIR_MAX], err[512];
	struct replicate_args ra = {0};
	int status = cmd_parse("replicate", argc, argv, data, usage, replicate_arg, &ra);
	if (status >= 0)
		return status;
	const char *url = ra.url;
	int once = ra.once;
	if (!once || !url) {
		fprintf(stderr, "tracelite replicate: %s\n",
		        !once ? "only --once is supported (serve --replicate replicates continuously)" : "missing TARGET");
		usage(stderr);
		return 2;
	}
	struct repl_target target;
	if (repl_target_parse(url, &target, err, sizeof err)) {
		fprintf(stderr, "tracelite replicate: %s\n", err);
		return 2;
	}
	struct repl_once_stats st;
	int rc = repl_once(data, url, &st, err, sizeof err);
	if (rc)
		fprintf(stderr, "tracelite replicate: %s\n", err);
	if (rc && rc != ERR_BUSY)
		return 1;
	printf("replicated %lld spans, %lld traces, %lld scores, %lld projects, %lld log records to %s in %.2f s"
	       " (%.0f spans/s); %lld rows refused\n",
	       (long long)st.spans, (long long)st.traces, (long long)st.scores, (long long)st.projects, (long long)st.logs,
	       target.display, st.seconds, st.seconds > 0 ? (double)st.spans / st.seconds : 0, (long long)st.refused);
	return rc ? 1 : 0;
}
