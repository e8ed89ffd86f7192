/* config.c: defaults -> environment -> flags for `tracelite serve`. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"

static int parse_count(const char *s, long min, long max, long *out)
{
	char *end;
	long v;
	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int set_listen(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	const char *colon = strrchr(v, ':');
	long port;
	if (!colon || colon == v || parse_count(colon + 1, 1, 65535, &port) ||
	    strlen(v) >= sizeof c->listen)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected host:port (e.g. 127.0.0.1:4318), got '%s'",
		               what, v);
	snprintf(c->listen, sizeof c->listen, "%s", v);
	return ERR_OK;
}

static int set_data(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	if (!*v || strlen(v) >= sizeof c->data - 32)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected a directory path", what);
	snprintf(c->data, sizeof c->data, "%s", v);
	return ERR_OK;
}

static int set_queue(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	long mb;
	if (parse_count(v, 1, 4096, &mb))
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected megabytes 1..4096, got '%s'", what, v);
	c->queue_bytes = (size_t)mb << 20;
	return ERR_OK;
}

/* Adds one replication target; the first --replicate flag replaces the
 * targets from the environment. */
static int add_replicate(struct config *c, const char *v, const char *what, int *from_flags, char *err, size_t errlen)
{
	struct repl_target t;
	if (from_flags && !*from_flags) {
		c->nreplicate = 0;
		*from_flags = 1;
	}
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

static int set_replicate_env(struct config *c, const char *v, char *err, size_t errlen)
{
	char url[REPL_URL_MAX];
	while (*v) {
		size_t n = strcspn(v, " \t\n");
		if (n >= sizeof url)
			return err_set(err, errlen, ERR_BAD_INPUT, "TRACELITE_REPLICATE: URL longer than %d bytes", REPL_URL_MAX - 1);
		if (n) {
			snprintf(url, sizeof url, "%.*s", (int)n, v);
			int rc = add_replicate(c, url, "TRACELITE_REPLICATE", NULL, err, errlen);
			if (rc)
				return rc;
		}
		v += n + (v[n] != 0);
	}
	return ERR_OK;
}

static int set_prices(struct config *c, const char *v, const char *what, char *err, size_t errlen)
{
	if (strlen(v) >= sizeof c->prices)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: path too long", what);
	snprintf(c->prices, sizeof c->prices, "%s", v);
	return ERR_OK;
}

void config_usage(void *fp)
{
	fputs("usage: tracelite serve [flags]\n"
	      "  --listen HOST:PORT   address to serve on (env TRACELITE_LISTEN; default 127.0.0.1:4318)\n"
	      "  --data DIR           data directory (env TRACELITE_DATA; default ./data)\n"
	      "  --allow-remote       allow a non-loopback --listen address (no authentication yet!)\n"
	      "  --queue-mb N         write queue size in MiB (env TRACELITE_QUEUE_MB; default 32)\n"
	      "  --threads N          HTTP worker threads (default 16)\n"
	      "  --replicate URL      stream everything stored to ClickHouse or Postgres (repeatable; env\n"
	      "                       TRACELITE_REPLICATE, space-separated): clickhouse://[user:pass@]host:8123/db,\n"
	      "                       clickhouses://... (HTTPS; ?cafile=PATH or ?insecure=1), postgres://user:pass@host/db\n"
	      "  --prices FILE        price file over the built-in table (env TRACELITE_PRICES; see README)\n",
	      (FILE *)fp);
}

int config_load(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
	const char *env;
	int rc;
	memset(c, 0, sizeof *c);
	snprintf(c->listen, sizeof c->listen, "127.0.0.1:4318");
	snprintf(c->data, sizeof c->data, "./data");
	c->queue_bytes = 32u << 20;
	c->threads = 16;
	if ((env = getenv("TRACELITE_LISTEN")) && *env && (rc = set_listen(c, env, "TRACELITE_LISTEN", err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_DATA")) && *env && (rc = set_data(c, env, "TRACELITE_DATA", err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_QUEUE_MB")) && *env && (rc = set_queue(c, env, "TRACELITE_QUEUE_MB", err, errlen)))
		return rc;
	if ((env = getenv("TRACELITE_REPLICATE")) && *env && (rc = set_replicate_env(c, env, err, errlen)))
		return rc;
	int replicate_flags = 0;
	if ((env = getenv("TRACELITE_PRICES")) && *env && (rc = set_prices(c, env, "TRACELITE_PRICES", err, errlen)))
		return rc;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n = 0;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			config_usage(stdout);
			return 1;
		} else if (!strcmp(a, "--allow-remote")) {
			c->allow_remote = 1;
			continue;
		}
		if (!v)
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: unknown flag or missing value", a);
		if (!strcmp(a, "--listen"))
			rc = set_listen(c, v, a, err, errlen);
		else if (!strcmp(a, "--data"))
			rc = set_data(c, v, a, err, errlen);
		else if (!strcmp(a, "--queue-mb"))
			rc = set_queue(c, v, a, err, errlen);
		else if (!strcmp(a, "--replicate"))
			rc = add_replicate(c, v, a, &replicate_flags, err, errlen);
		else if (!strcmp(a, "--prices"))
			rc = set_prices(c, v, a, err, errlen);
		else if (!strcmp(a, "--threads")) {
			rc = parse_count(v, 2, 256, &n) ? err_set(err, errlen, ERR_BAD_INPUT, "--threads: expected 2..256") : 0;
			c->threads = (int)n;
		} else
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: unknown flag", a);
		if (rc)
			return rc;
		i++;
	}
	if (!c->allow_remote && !config_is_loopback(c->listen))
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "refusing to listen on %s: not a loopback address and tracelite has no "
		               "authentication yet; pass --allow-remote to do it anyway",
		               c->listen);
	return ERR_OK;
}

int config_is_loopback(const char *listen)
{
	size_t hostlen = (size_t)(strrchr(listen, ':') - listen);
	char host[256];
	snprintf(host, sizeof host, "%.*s", (int)hostlen, listen);
	return !strncmp(host, "127.", 4) || !strcmp(host, "localhost") || !strcmp(host, "[::1]");
}
