/* main.c: `tracelite <command>`: dispatches to the sub-commands of cmd.h
 * (one file each), and answers version and help itself. */
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "ingest/ingest.h"

static void usage(FILE *f)
{
	fputs("tracelite " TRACELITE_VERSION ": a local-first trace store for LLM and agent applications\n\n"
	      "usage: tracelite <command> [flags]\n"
	      "  serve      receive OTLP/HTTP traces and serve the API (tracelite serve --help)\n"
	      "  demo       generate realistic agent traces (tracelite demo --help)\n"
	      "  replicate  send the store to ClickHouse or Postgres once (tracelite replicate --help)\n"
	      "  reprice    recompute stored costs after prices changed (tracelite reprice --help)\n"
	      "  keys       create, list and revoke API keys (tracelite keys --help)\n"
	      "  backup     copy the store while serving (tracelite backup --help)\n"
	      "  health     exit 0 when a running server is healthy (tracelite health --help)\n"
	      "  sql        run SQL on the store, spans included (tracelite sql --help)\n"
	      "  version    print the version\n"
	      "  help       this text\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";
	ingest_init();
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 2, argv + 2);
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argc - 2, argv + 2);
	if (!strcmp(cmd, "replicate"))
		return cmd_replicate(argc - 2, argv + 2);
	if (!strcmp(cmd, "reprice"))
		return cmd_reprice(argc - 2, argv + 2);
	if (!strcmp(cmd, "keys"))
		return cmd_keys(argc - 2, argv + 2);
	if (!strcmp(cmd, "backup"))
		return cmd_backup(argc - 2, argv + 2);
	if (!strcmp(cmd, "health"))
		return cmd_health(argc - 2, argv + 2);
	if (!strcmp(cmd, "sql"))
		return cmd_sql(argc - 2, argv + 2);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("tracelite %s\n", TRACELITE_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "tracelite: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
