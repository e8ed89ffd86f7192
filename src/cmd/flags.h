/* flags.h: the command lines of the sub-commands that open a store: the
 * flags they share (-h, --help, --data DIR) parsed one way, with one way
 * of naming what is wrong, and their own flags through a callback. */
#ifndef TL_CMD_FLAGS_H
#define TL_CMD_FLAGS_H
#include <stdio.h>
#include "base/datadir.h"

/* A sub-command's own arguments: takes argv[*i] (moving *i past a value
 * it reads) and returns 0, or names what is wrong on stderr and returns 2. */
typedef int cmd_arg_fn(void *ctx, int argc, char **argv, int *i);

/* Sets data to the default data directory (./data, or TRACELITE_DATA),
 * then reads argv: -h/--help prints usage on stdout (returns 0), --data DIR
 * sets data, every other argument goes to own(ctx, ...). Returns -1 when
 * the command goes on, else its exit status: 0 after --help, 2 after a
 * problem named on stderr as "tracelite NAME: ...". */
int cmd_parse(const char *name, int argc, char **argv, char data[DATADIR_MAX], void (*usage)(FILE *),
              cmd_arg_fn *own, void *ctx);

#endif
