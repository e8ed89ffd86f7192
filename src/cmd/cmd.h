/* cmd.h: the sub-commands main.c dispatches to, one file each. Each takes
 * the arguments after its own name, prints `usage` for --help on stdout
 * and returns the process exit status: 0 done, 1 the work failed, 2 bad
 * usage or settings (the message on stderr). */
#ifndef TL_CMD_H
#define TL_CMD_H

/* tracelite serve [flags] (server/config.c): runs until SIGINT/SIGTERM. */
int cmd_serve(int argc, char **argv);
/* tracelite demo --traces N [--days D] [--seed S] [--url URL | --data DIR]
 * [--format json|protobuf] [--batch N]; prints a one-line summary. */
int cmd_demo(int argc, char **argv);
/* tracelite replicate --once TARGET [--data DIR]; prints the counts. */
int cmd_replicate(int argc, char **argv);
/* tracelite reprice [--data DIR] [--prices FILE]; prints the counts. */
int cmd_reprice(int argc, char **argv);
/* tracelite keys create|list|revoke [flags] [--data DIR]; see keys.c. */
int cmd_keys(int argc, char **argv);
/* tracelite backup DEST [--data DIR]; prints the copied sizes. */
int cmd_backup(int argc, char **argv);
/* tracelite health [--url URL]: 0 when the server's /api/health is 200. */
int cmd_health(int argc, char **argv);
/* tracelite sql: SQL on the store, the spans virtual table included (sql.c). */
int cmd_sql(int argc, char **argv);

#endif
