/* config.h: settings, from defaults, then TRACELITE_* environment, then
 * command-line flags; read-only once the server starts. */
#ifndef TL_CONFIG_H
#define TL_CONFIG_H
#include <stddef.h>
#include "repl_target.h"

#define CONFIG_MAX_REPLICATE 8

struct config {
	char listen[256];       /* host:port; default 127.0.0.1:4318 */
	char data[4096];        /* data directory; default ./data */
	int allow_remote;       /* --allow-remote: permit a non-loopback listen address */
	size_t queue_bytes;     /* write queue cap; TRACELITE_QUEUE_MB / --queue-mb */
	int threads;            /* HTTP worker threads; --threads */
	char replicate[CONFIG_MAX_REPLICATE][REPL_URL_MAX];  /* --replicate URL (repeatable), TRACELITE_REPLICATE */
	int nreplicate;
	char prices[4096];      /* user price file; TRACELITE_PRICES / --prices; "" = none */
};

/* Fills c from defaults and the environment, then argv (the arguments after
 * the sub-command). Returns 0, or ERR_BAD_INPUT with err naming the flag or
 * variable; returns 1 if --help was asked for (usage already printed). */
int config_load(struct config *c, int argc, char **argv, char *err, size_t errlen);
/* Returns 1 if host (of "host:port") is a loopback address. */
int config_is_loopback(const char *listen);
/* Prints the serve flags to f. */
void config_usage(void *f);

#endif
