/* config.h: settings, from defaults, then TRACELITE_* environment, then
 * command-line flags; read-only once the server starts. */
#ifndef TL_CONFIG_H
#define TL_CONFIG_H
#include <stddef.h>
#include <stdint.h>
#include "base/datadir.h"
#include "repl/repl_target.h"
#include "base/err.h"

#define CONFIG_MAX_REPLICATE 8
#define CONFIG_MAX_NAMES 16      /* --cors-origin, --allow-host entries */
#define CONFIG_NAME_MAX 256
#define CONFIG_PATH_MAX 4096    /* a file path setting, NUL included */

/* A repeatable flag's values (the first flag replaces the environment's). */
struct config_names {
	char item[CONFIG_MAX_NAMES][CONFIG_NAME_MAX];
	int n;
};

struct config {
	char listen[256];       /* HOST:PORT, HOST an IPv4 literal, [IPv6] or localhost; default 127.0.0.1:4318 */
	char grpc_listen[256];  /* OTLP/gRPC, as listen; default 127.0.0.1:4317; "" = off (--grpc-listen off) */
	char data[DATADIR_MAX]; /* data directory: ./data, TRACELITE_DATA, --data (base/datadir.h) */
	int allow_remote;       /* --allow-remote: accepted, no longer needed (a non-loopback address needs keys) */
	int auth_mode;          /* enum auth_mode (server/auth.h): --auth, TRACELITE_AUTH; default auto */
	size_t queue_bytes;     /* write queue cap; TRACELITE_QUEUE_MB / --queue-mb */
	size_t ingest_bytes;    /* reqmem_set_decode_limit; TRACELITE_INGEST_MB / --ingest-mb */
	int threads;            /* HTTP worker threads, one per open connection; --threads */
	char replicate[CONFIG_MAX_REPLICATE][REPL_URL_MAX];  /* --replicate URL (repeatable), TRACELITE_REPLICATE */
	int nreplicate;
	char prices[4096];      /* user price file; TRACELITE_PRICES / --prices; "" = none */
	struct config_names cors_origins;  /* --cors-origin, TRACELITE_CORS_ORIGINS: exact origins */
	struct config_names allow_hosts;   /* --allow-host, TRACELITE_ALLOW_HOSTS: extra Host names, "*" any */
	char tls_cert[CONFIG_PATH_MAX];    /* --tls-cert, TRACELITE_TLS_CERT: PEM certificate (chain); "" = none */
	char tls_key[CONFIG_PATH_MAX];     /* --tls-key, TRACELITE_TLS_KEY: PEM private key */
	int tls_self_signed;               /* --tls-self-signed: make/reuse a pair in the data directory */
	int tls_on;                        /* HTTPS is served (cert and key, or self-signed): cookies get Secure */
	int log_json;                      /* --log-format json, TRACELITE_LOG_FORMAT: one JSON object per log line */
	int64_t retention_days; /* --retention-days N: delete traces older; 0 = keep */
	int compact_level;      /* --compact-level N: zstd level chunks are recompressed at when idle; 0 = off */
	uint64_t max_disk;      /* --max-disk SIZE: cap on the data directory's files; 0 = none */
	uint64_t min_free;      /* --min-free SIZE: refuse ingest below; see min_free_set */
	int min_free_set;       /* 0: default, the smaller of 1 GB and 5% of the filesystem */
};

/* Fills c from defaults and the environment, then argv (the arguments after
 * the sub-command). Returns ERR_OK, or ERR_BAD_INPUT with err naming the
 * flag or variable. *help is set to 1 if --help was asked for (usage
 * already printed; c is then incomplete and ERR_OK returned), else 0. */
enum err config_load(struct config *c, int argc, char **argv, int *help, char *err, size_t errlen);
/* Returns 1 if the host of listen ("HOST:PORT" as set_listen accepts it)
 * is a loopback address: 127.0.0.0/8, [::1] or localhost. */
int config_is_loopback(const char *listen);
/* Returns 1 if the len bytes at host (no port) name a loopback address:
 * an IPv4 literal in 127.0.0.0/8, a bracketed IPv6 loopback literal, or
 * localhost (any case). */
int config_host_is_loopback(const char *host, size_t len);
/* Returns 1 if the host of listen is the any-address (0.0.0.0 or [::]). */
int config_is_any_address(const char *listen);
/* Prints the serve flags to f. */
void config_usage(void *f);

#endif
