/* repl_target.h: a replication target URL, parsed once: its kind, the
 * pieces each sink needs, and a display form with every password masked
 * (the only form that may reach logs, the API or the checkpoint file). */
#ifndef TL_REPL_TARGET_H
#define TL_REPL_TARGET_H
#include <stddef.h>
#include "base/err.h"

#define REPL_URL_MAX 2048

enum repl_kind { REPL_CLICKHOUSE, REPL_POSTGRES };

struct repl_target {
	enum repl_kind kind;
	char display[REPL_URL_MAX];    /* the URL with passwords replaced by *** */
	/* postgres: the libpq connection URI exactly as given */
	char conninfo[REPL_URL_MAX];
	/* clickhouse: http(s)://host:port/, credentials, database, TLS trust */
	char base_url[REPL_URL_MAX];
	char user[256], password[256], database[256];
	char cafile[1024];             /* ?cafile=PATH: trust this CA bundle */
	int insecure;                  /* ?insecure=1: do not verify the certificate */
};

/* Parses url: clickhouse://[user[:pass]@]host[:port][/db][?insecure=1|cafile=PATH]
 * (clickhouses:// = HTTPS; default port 8123, 8443 for HTTPS; db default
 * "default"), or postgres:// / postgresql:// (any libpq connection URI).
 * Returns ERR_OK, or ERR_BAD_INPUT with err saying what is wrong (never quoting
 * the password). */
enum err repl_target_parse(const char *url, struct repl_target *t, char *err, size_t errlen);
/* Writes url to out (size n) with the password of its user-info and any
 * password= query parameter replaced by "***". */
void repl_target_mask(const char *url, char *out, size_t n);

#endif
