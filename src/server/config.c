/* config.c: defaults -> environment -> flags for `tracelite serve`; the data
 * directory by the rule every sub-command shares (base/datadir.h). */
#include "server/config.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/datadir.h"
#include "base/err.h"
#include "base/text.h"
#include "store/record.h"
#include "store/zconvert.h"
#include "server/auth.h"

/* Parses len bytes at host as an IPv4 literal or a bracketed IPv6 literal.
 * Returns AF_INET or AF_INET6 with the address filled, or 0. */
static int parse_ip(const char *host, size_t len, struct in_addr *v4, struct in6_addr *v6)
{
	char buf[INET6_ADDRSTRLEN + 2];
	if (len >= sizeof buf)
		return 0;
	if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
		snprintf(buf, sizeof buf, "%.*s", (int)len - 2, host + 1);
		return inet_pton(AF_INET6, buf, v6) == 1 ? AF_INET6 : 0;
	}
	snprintf(buf, sizeof buf, "%.*s", (int)len, host);
	return inet_pton(AF_INET, buf, v4) == 1 ? AF_INET : 0;
}

/* civetweb reads more into listening_ports than one address (lists,
 * suffixes such as 4318s or 4318r, a leading +), so anything else is refused
 * here and the loopback check sees the one address that will be bound. */
static int set_address(char dst[256], const char *v, const char *what, char *err, size_t errlen)
{
	const char *colon = strrchr(v, ':'), *port = colon ? colon + 1 : "", *bad = NULL;
	size_t hostlen = colon ? (size_t)(colon - v) : 0;
	struct in_addr v4;
	struct in6_addr v6;
	int64_t n;
	if (strchr(v, ','))
		bad = "exactly one HOST:PORT (no comma-separated list)";
	else if (strchr(v, '+'))
		bad = "no '+' (one address, IPv4 or IPv6)";
	else if (!hostlen || v[strlen(v) - 1] == ']')
		bad = "expected HOST:PORT";
	else if (text_parse_i64(port, 1, 65535, &n))
		bad = "PORT must be a number 1..65535 with nothing after it (no s or r suffix)";
	else if (strlen(v) >= 256)
		bad = "too long";
	else if (!(hostlen == 9 && !strncasecmp(v, "localhost", 9)) && !parse_ip(v, hostlen, &v4, &v6))
		bad = memchr(v, ':', hostlen) && v[0] != '[' ? "an IPv6 HOST needs brackets, e.g. [::1]:4318"
		                                             : "HOST must be an IPv4 address, a bracketed IPv6 address or localhost";
	if (bad)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: %s, got '%s' (e.g. 127.0.0.1:4318)", what, bad, v);
	snprintf(dst, 256, "%s", v);
	return ERR_OK;
}

static int set_listen(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	return set_address(c->listen, v, what, err, errlen);
}

/* As --listen, or "off" for no gRPC listener. */
static int set_grpc_listen(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	if (!strcasecmp(v, "off")) {
		c->grpc_listen[0] = 0;
		return ERR_OK;
	}
	return set_address(c->grpc_listen, v, what, err, errlen);
}

/* *out = v MiB, v in min..4096 (--queue-mb, --ingest-mb). */
static int set_megabytes(size_t *out, int64_t min, const char *v, const char *what, char *err, size_t errlen)
{
	int64_t mb;
	if (text_parse_i64(v, min, 4096, &mb))
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected megabytes %lld..4096, got '%s'", what,
		               (long long)min, v);
	*out = (size_t)mb << 20;
	return ERR_OK;
}

/* A repeatable flag's first use (from_flags, NULL for the environment)
 * empties the list *n counts, so flags replace the environment's values. */
static void reset_on_first_flag(int *from_flags, int *n)
{
	if (from_flags && !*from_flags) {
		*n = 0;
		*from_flags = 1;
	}
}

static int add_name(struct config_names *l, const char *v, const char *what, int *from_flags, char *err, size_t errlen)
{
	reset_on_first_flag(from_flags, &l->n);
	if (l->n == CONFIG_MAX_NAMES)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: at most %d values", what, CONFIG_MAX_NAMES);
	snprintf(l->item[l->n++], CONFIG_NAME_MAX, "%s", v);
	return ERR_OK;
}

static int add_replicate(struct config *c, const char *v, const char *what, int *from_flags, char *err, size_t errlen)
{
	struct repl_target t;
	reset_on_first_flag(from_flags, &c->nreplicate);
	if (c->nreplicate == CONFIG_MAX_REPLICATE)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: at most %d replication targets", what, CONFIG_MAX_REPLICATE);
	int rc = repl_target_parse(v, &t, err, errlen);
	if (rc) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", err);
		return err_set(err, errlen, rc, "%s: %s", what, msg);
	}
	snprintf(c->replicate[c->nreplicate++], REPL_URL_MAX, "%s", v);
	return ERR_OK;
}

/* An origin as browsers send it: scheme://host[:port], nothing after. */
static int add_cors_origin(struct config *c, const char *v, const char *what, int *from_flags, char *err,
                           size_t errlen)
{
	const char *rest = !strncmp(v, "http://", 7) ? v + 7 : !strncmp(v, "https://", 8) ? v + 8 : NULL;
	if (!rest || !*rest || rest[strcspn(rest, "/*, \t")] || strlen(v) >= CONFIG_NAME_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "%s: expected an exact origin such as http://localhost:3000 (scheme, host, optional port; "
		               "no path or wildcard), got '%s'", what, v);
	return add_name(&c->cors_origins, v, what, from_flags, err, errlen);
}

/* A Host header name without port: a DNS name, an IP literal, or "*". */
static int add_allow_host(struct config *c, const char *v, const char *what, int *from_flags, char *err,
                          size_t errlen)
{
	size_t len = strlen(v);
	struct in_addr v4;
	struct in6_addr v6;
	int ok = !strcmp(v, "*") || parse_ip(v, len, &v4, &v6) ||
	         (len && len < CONFIG_NAME_MAX &&
	          strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == len);
	if (!ok)
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "%s: expected a host name without port (e.g. tracelite.internal), an IP address "
		               "([::1] for IPv6) or '*', got '%s'", what, v);
	return add_name(&c->allow_hosts, v, what, from_flags, err, errlen);
}

typedef int (*add_fn)(struct config *c, const char *v, const char *what, int *from_flags, char *err, size_t errlen);

/* Adds each space-separated word of the environment variable name. */
static int add_env_words(struct config *c, const char *name, add_fn add, char *err, size_t errlen)
{
	const char *v = getenv(name);
	char word[REPL_URL_MAX];
	while (v && *v) {
		size_t n = strcspn(v, " \t\n");
		if (n >= sizeof word)
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: value longer than %d bytes", name, REPL_URL_MAX - 1);
		if (n) {
			snprintf(word, sizeof word, "%.*s", (int)n, v);
			int rc = add(c, word, name, NULL, err, errlen);
			if (rc)
				return rc;
		}
		v += n + (v[n] != 0);
	}
	return ERR_OK;
}

/* A file path setting: not empty, shorter than CONFIG_PATH_MAX. */
static int set_path(char dst[CONFIG_PATH_MAX], const char *v, const char *what, char *err, size_t errlen)
{
	if (!*v || strlen(v) >= CONFIG_PATH_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected a file path (1..%d bytes)", what, CONFIG_PATH_MAX - 1);
	snprintf(dst, CONFIG_PATH_MAX, "%s", v);
	return ERR_OK;
}

static int set_log_format(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	if (strcmp(v, "text") && strcmp(v, "json"))
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected text or json, got '%s'", what, v);
	c->log_json = !strcmp(v, "json");
	return ERR_OK;
}

/* TLS settings that only make sense together. */
static int check_tls(struct config *c, char *err, size_t errlen)
{
	if (c->tls_self_signed && (c->tls_cert[0] || c->tls_key[0]))
		return err_set(err, errlen, ERR_BAD_INPUT, "--tls-self-signed: not with --tls-cert/--tls-key (pick one)");
	if (!c->tls_cert[0] != !c->tls_key[0])
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: needs %s too", c->tls_cert[0] ? "--tls-cert" : "--tls-key",
		               c->tls_cert[0] ? "--tls-key FILE" : "--tls-cert FILE");
	c->tls_on = c->tls_self_signed || c->tls_cert[0];
	return ERR_OK;
}

static int set_prices(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	if (strlen(v) >= sizeof c->prices)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: path too long", what);
	snprintf(c->prices, sizeof c->prices, "%s", v);
	return ERR_OK;
}

/* --max-disk and --min-free: a size text_parse_size reads, at least min. */
static int set_size(uint64_t *dst, const char *v, uint64_t min, const char *what, char *err, size_t errlen)
{
	uint64_t n;
	if (text_parse_size(v, &n) || n < min)
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "%s: expected a size such as 500MB, 2GB or 1.5GiB%s, got '%s'", what,
		               min ? " (at least 1MB)" : " (0 = off)", v);
	*dst = n;
	return ERR_OK;
}

static int set_days(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	if (text_parse_i64(v, 0, 36500, &c->retention_days))
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected whole days 0..36500 (0 = keep), got '%s'", what, v);
	return ERR_OK;
}

static int set_compact(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	int64_t n;
	if (text_parse_i64(v, 0, RECORD_LEVEL_MAX, &n))
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected a zstd level 0..%d (0 = off), got '%s'", what,
		               RECORD_LEVEL_MAX, v);
	c->compact_level = (int)n;
	return ERR_OK;
}

static int set_auth(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	enum auth_mode m;
	if (auth_mode_parse(v, &m))
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected auto, required or off, got '%s'", what, v);
	c->auth_mode = (int)m;
	return ERR_OK;
}

void config_usage(void *fp)
{
	fputs("usage: tracelite serve [flags]\n"
	      "  --listen HOST:PORT   address to serve on (env TRACELITE_LISTEN; default 127.0.0.1:4318)\n"
	      "  --grpc-listen HOST:PORT  OTLP/gRPC address (env TRACELITE_GRPC_LISTEN; default 127.0.0.1:4317;\n"
	      "                       'off' for none)\n"
	      "  --data DIR           data directory (env TRACELITE_DATA; default ./data)\n"
	      "  --auth MODE          auto: API keys needed once one exists (tracelite keys create); required:\n"
	      "                       always; off: never (loopback --listen only) (env TRACELITE_AUTH; default auto)\n"
	      "                       a non-loopback --listen needs a key first (--allow-remote is no longer needed)\n"
	      "  --queue-mb N         write queue size in MiB (env TRACELITE_QUEUE_MB; default 32)\n"
	      "  --ingest-mb N        memory of the ingest requests being decoded or committed, in MiB; more\n"
	      "                       wait their turn (env TRACELITE_INGEST_MB; default 24; 0: no limit)\n"
	      "  --threads N          HTTP worker threads, one per open connection (default 256, 2..4096)\n"
	      "  --cors-origin ORIGIN let web pages of this exact origin call the API (repeatable; env\n"
	      "                       TRACELITE_CORS_ORIGINS, space-separated), e.g. http://localhost:3000\n"
	      "  --allow-host NAME    also answer requests whose Host is NAME ('*' for any; repeatable; env\n"
	      "                       TRACELITE_ALLOW_HOSTS); loopback names and the --listen host always work\n"
	      "  --replicate URL      stream everything stored to ClickHouse or Postgres (repeatable; env\n"
	      "                       TRACELITE_REPLICATE, space-separated): clickhouse://[user:pass@]host:8123/db,\n"
	      "                       clickhouses://... (HTTPS; ?cafile=PATH or ?insecure=1), postgres://user:pass@host/db\n"
	      "  --prices FILE        price file over the built-in table (env TRACELITE_PRICES; see README)\n"
	      "  --tls-cert FILE      serve HTTPS with this PEM certificate (chain) (env TRACELITE_TLS_CERT)\n"
	      "  --tls-key FILE       ... and this unencrypted PEM private key (env TRACELITE_TLS_KEY)\n"
	      "  --tls-self-signed    serve HTTPS with a certificate made in the data directory on first start\n"
	      "  --log-format FORMAT  text (default) or json: one JSON object per log line (env TRACELITE_LOG_FORMAT)\n"
	      "  --retention-days N   delete traces whose last span is older than N days (env\n"
	      "                       TRACELITE_RETENTION_DAYS; default 0 = keep)\n"
	      "  --compact-level N    recompress span chunks at zstd level N when ingest is idle (env\n"
	      "                       TRACELITE_COMPACT_LEVEL; default 12; 0 = off: chunks stay at level 1)\n"
	      "  --max-disk SIZE      keep the data directory under SIZE (e.g. 2GB; env TRACELITE_MAX_DISK),\n"
	      "                       deleting the oldest traces first\n"
	      "  --min-free SIZE      refuse ingest (503) while the disk has less free (env TRACELITE_MIN_FREE;\n"
	      "                       default: 1GB or 5% of the filesystem, whichever is smaller; 0 = off)\n",
	      (FILE *)fp);
}

enum err config_load(struct config *c, int argc, char **argv, int *help, char *err, size_t errlen)
{
	const char *env;
	int rc;
	*help = 0;
	memset(c, 0, sizeof *c);
	snprintf(c->listen, sizeof c->listen, "127.0.0.1:4318");
	snprintf(c->grpc_listen, sizeof c->grpc_listen, "127.0.0.1:4317");
	c->queue_bytes = 32u << 20;
	c->ingest_bytes = 24u << 20;
	c->threads = 256;
	if ((env = getenv("TRACELITE_LISTEN")) && *env && (rc = set_listen(c, env, "TRACELITE_LISTEN", err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_GRPC_LISTEN")) && *env &&
	    (rc = set_grpc_listen(c, env, "TRACELITE_GRPC_LISTEN", err, errlen)))
		return rc;
	if ((rc = datadir_default(c->data, err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_QUEUE_MB")) && *env &&
	    (rc = set_megabytes(&c->queue_bytes, 1, env, "TRACELITE_QUEUE_MB", err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_INGEST_MB")) && *env &&
	    (rc = set_megabytes(&c->ingest_bytes, 0, env, "TRACELITE_INGEST_MB", err, errlen)))
		return rc;
	if ((rc = add_env_words(c, "TRACELITE_REPLICATE", add_replicate, err, errlen)) ||
	    (rc = add_env_words(c, "TRACELITE_CORS_ORIGINS", add_cors_origin, err, errlen)) ||
	    (rc = add_env_words(c, "TRACELITE_ALLOW_HOSTS", add_allow_host, err, errlen)))
		return rc;
	int replicate_flags = 0, cors_flags = 0, host_flags = 0;
	if ((env = getenv("TRACELITE_PRICES")) && *env && (rc = set_prices(c, env, "TRACELITE_PRICES", err, errlen)))
		return rc;
	if (((env = getenv("TRACELITE_TLS_CERT")) && *env && (rc = set_path(c->tls_cert, env, "TRACELITE_TLS_CERT", err, errlen))) ||
	    ((env = getenv("TRACELITE_TLS_KEY")) && *env && (rc = set_path(c->tls_key, env, "TRACELITE_TLS_KEY", err, errlen))) ||
	    ((env = getenv("TRACELITE_LOG_FORMAT")) && *env && (rc = set_log_format(c, env, "TRACELITE_LOG_FORMAT", err, errlen))) ||
	    ((env = getenv("TRACELITE_AUTH")) && *env && (rc = set_auth(c, env, "TRACELITE_AUTH", err, errlen))))
		return rc;
	if ((env = getenv("TRACELITE_RETENTION_DAYS")) && *env && (rc = set_days(c, env, "TRACELITE_RETENTION_DAYS", err, errlen)))
		return rc;
	c->compact_level = ZCONVERT_LEVEL;
	if ((env = getenv("TRACELITE_COMPACT_LEVEL")) && *env && (rc = set_compact(c, env, "TRACELITE_COMPACT_LEVEL", err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_MAX_DISK")) && *env &&
	    (rc = set_size(&c->max_disk, env, 1000000, "TRACELITE_MAX_DISK", err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_MIN_FREE")) && *env) {
		if ((rc = set_size(&c->min_free, env, 0, "TRACELITE_MIN_FREE", err, errlen)))
			return rc;
		c->min_free_set = 1;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n = 0;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			config_usage(stdout);
			*help = 1;
			return ERR_OK;
		} else if (!strcmp(a, "--allow-remote")) {
			c->allow_remote = 1;
			continue;
		} else if (!strcmp(a, "--tls-self-signed")) {
			c->tls_self_signed = 1;
			continue;
		}
		if (!v)
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: unknown flag or missing value", a);
		if (!strcmp(a, "--listen"))
			rc = set_listen(c, v, a, err, errlen);
		else if (!strcmp(a, "--grpc-listen"))
			rc = set_grpc_listen(c, v, a, err, errlen);
		else if (!strcmp(a, "--data"))
			rc = datadir_set(c->data, v, a, err, errlen);
		else if (!strcmp(a, "--queue-mb"))
			rc = set_megabytes(&c->queue_bytes, 1, v, a, err, errlen);
		else if (!strcmp(a, "--ingest-mb"))
			rc = set_megabytes(&c->ingest_bytes, 0, v, a, err, errlen);
		else if (!strcmp(a, "--replicate"))
			rc = add_replicate(c, v, a, &replicate_flags, err, errlen);
		else if (!strcmp(a, "--auth"))
			rc = set_auth(c, v, a, err, errlen);
		else if (!strcmp(a, "--prices"))
			rc = set_prices(c, v, a, err, errlen);
		else if (!strcmp(a, "--cors-origin"))
			rc = add_cors_origin(c, v, a, &cors_flags, err, errlen);
		else if (!strcmp(a, "--allow-host"))
			rc = add_allow_host(c, v, a, &host_flags, err, errlen);
		else if (!strcmp(a, "--tls-cert"))
			rc = set_path(c->tls_cert, v, a, err, errlen);
		else if (!strcmp(a, "--tls-key"))
			rc = set_path(c->tls_key, v, a, err, errlen);
		else if (!strcmp(a, "--log-format"))
			rc = set_log_format(c, v, a, err, errlen);
		else if (!strcmp(a, "--retention-days"))
			rc = set_days(c, v, a, err, errlen);
		else if (!strcmp(a, "--compact-level"))
			rc = set_compact(c, v, a, err, errlen);
		else if (!strcmp(a, "--max-disk"))
			rc = set_size(&c->max_disk, v, 1000000, a, err, errlen);
		else if (!strcmp(a, "--min-free")) {
			rc = set_size(&c->min_free, v, 0, a, err, errlen);
			c->min_free_set = 1;
		} else if (!strcmp(a, "--threads")) {
			rc = text_parse_i64(v, 2, 4096, &n)
			         ? err_set(err, errlen, ERR_BAD_INPUT, "--threads: expected 2..4096, got '%s'", v)
			         : 0;
			c->threads = (int)n;
		} else
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: unknown flag", a);
		if (rc)
			return rc;
		i++;
	}
	if ((rc = check_tls(c, err, errlen)))
		return rc;
	/* without keys a non-loopback address is refused by serve (it reads them) */
	int grpc_remote = c->grpc_listen[0] && !config_is_loopback(c->grpc_listen);
	if (c->auth_mode == AUTH_OFF && (!config_is_loopback(c->listen) || grpc_remote))
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "refusing to listen on %s with --auth off: not a loopback address; create a key "
		               "(tracelite keys create) and use --auth auto or required",
		               grpc_remote ? c->grpc_listen : c->listen);
	return ERR_OK;
}

int config_host_is_loopback(const char *host, size_t len)
{
	struct in_addr v4;
	struct in6_addr v6;
	switch (parse_ip(host, len, &v4, &v6)) {
	case AF_INET: return (ntohl(v4.s_addr) >> 24) == 127;
	case AF_INET6: return IN6_IS_ADDR_LOOPBACK(&v6);
	default: return len == 9 && !strncasecmp(host, "localhost", 9);
	}
}

int config_is_loopback(const char *listen)
{
	return config_host_is_loopback(listen, (size_t)(strrchr(listen, ':') - listen));
}

int config_is_any_address(const char *listen)
{
	struct in_addr v4;
	struct in6_addr v6;
	switch (parse_ip(listen, (size_t)(strrchr(listen, ':') - listen), &v4, &v6)) {
	case AF_INET: return v4.s_addr == INADDR_ANY;
	case AF_INET6: return IN6_IS_ADDR_UNSPECIFIED(&v6);
	default: return 0;
	}
}
