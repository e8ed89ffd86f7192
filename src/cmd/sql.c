/* sql.c: `tracelite sql [--data DIR] [--write] [SQL]`: runs SQL on the
 * store (read only unless --write) with the connection setup the server
 * uses, so that `spans`, the virtual table over the per-chunk span rows
 * (store/spanstab.h, schema/033), reads as the table it replaced, which
 * the sqlite3 tool cannot. Rows print as sqlite3's list mode does: values
 * joined by '|', NULL empty, one row a line. */
#include "cmd/cmd.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/flags.h"
#include "store/store.h"

#define SQL_MAX (1u << 20)   /* bytes of SQL read from stdin */

static void usage(FILE *f)
{
	fputs("usage: tracelite sql [--data DIR] [--write] [SQL]\n"
	      "  runs SQL (the argument, else stdin) on the store in DIR, where the table spans (the\n"
	      "  span rows, stored per chunk since schema 033) reads as any table; prints each row's\n"
	      "  values joined by '|'. Read only unless --write (which first migrates an older store).\n"
	      "  --data DIR  data directory (env TRACELITE_DATA; default ./data)\n",
	      f);
}

struct args {
	const char *sql;
	int write;
};

static int sql_arg(void *ctx, int argc, char **argv, int *i)
{
	struct args *a = ctx;
	(void)argc;
	if (!strcmp(argv[*i], "--write")) {
		a->write = 1;
		return 0;
	}
	if (argv[*i][0] != '-' && !a->sql) {
		a->sql = argv[*i];
		return 0;
	}
	fprintf(stderr, "tracelite sql: %s: unknown flag or second SQL argument\n", argv[*i]);
	usage(stderr);
	return 2;
}

/* Runs every statement of sql, printing rows; returns 0 or 1 (named on stderr). */
static int run(sqlite3 *db, const char *sql)
{
	while (sql && *sql) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
			fprintf(stderr, "tracelite sql: %s\n", sqlite3_errmsg(db));
			return 1;
		}
		int rc;
		while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				if (c)
					putchar('|');
				const void *v = sqlite3_column_type(st, c) == SQLITE_BLOB ? sqlite3_column_blob(st, c)
				                                                        : (const void *)sqlite3_column_text(st, c);
				fwrite(v ? v : "", 1, v ? (size_t)sqlite3_column_bytes(st, c) : 0, stdout);
			}
			putchar('\n');
		}
		if (st && rc != SQLITE_DONE) {
			fprintf(stderr, "tracelite sql: %s\n", sqlite3_errmsg(db));
			sqlite3_finalize(st);
			return 1;
		}
		sqlite3_finalize(st);
		sql = tail;
	}
	return 0;
}

int cmd_sql(int argc, char **argv)
{
	char data[DATADIR_MAX], err[512], *input = NULL;
	struct args a = {0};
	sqlite3 *db = NULL;
	int status = cmd_parse("sql", argc, argv, data, usage, sql_arg, &a);
	if (status >= 0)
		return status;
	if (!a.sql) {
		size_t n = 0;
		if (!(input = malloc(SQL_MAX + 1)))
			abort();
		n = fread(input, 1, SQL_MAX + 1, stdin);
		if (n > SQL_MAX) {
			fprintf(stderr, "tracelite sql: over %u bytes of SQL on stdin\n", SQL_MAX);
			free(input);
			return 2;
		}
		input[n] = 0;
		a.sql = input;
	}
	if ((a.write ? store_open_writer : store_open_reader)(data, &db, err, sizeof err)) {
		fprintf(stderr, "tracelite sql: %s\n", err);
		free(input);
		return 1;
	}
	status = run(db, a.sql);
	sqlite3_close_v2(db);
	free(input);
	return status;
}
