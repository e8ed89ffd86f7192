/* health.c: `tracelite health [--url URL]`: GETs a running server's
 * /api/health (by default the one TRACELITE_LISTEN names, on loopback) and
 * exits 0 when it answers 200: the health check of the container image
 * (packaging/image/), where no curl is installed. */
#include "cmd/cmd.h"
#include <civetweb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/text.h"
#include "server/tls.h"

#define HEALTH_TIMEOUT_MS 5000

static void usage(FILE *f)
{
	fputs("usage: tracelite health [--url http://HOST:PORT]\n"
	      "  GETs HOST:PORT/api/health; exits 0 when it answers 200 (printing ok), else 1 (why\n"
	      "  on stderr). The default is TRACELITE_LISTEN's address (default 127.0.0.1:4318),\n"
	      "  0.0.0.0 or [::] asked on 127.0.0.1, over https (not verified: a local probe) when\n"
	      "  TRACELITE_TLS_CERT is set. --url takes http:// or https://HOST:PORT.\n",
	      f);
}

int cmd_health(int argc, char **argv)
{
	const char *url = NULL, *env;
	char addr[300], host[256], ebuf[256] = "", body[512];
	int port = 0, tls = 0, status = 0, rc = 1;
	struct mg_connection *c = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--url") && i + 1 < argc) {
			url = argv[++i];
			continue;
		}
		fprintf(stderr, "tracelite health: %s: unknown flag or missing value\n", argv[i]);
		usage(stderr);
		return 2;
	}
	if (url) {
		tls = !strncmp(url, "https://", 8);
		if (!tls && strncmp(url, "http://", 7)) {
			fprintf(stderr, "tracelite health: --url %s: not http:// or https://\n", url);
			return 2;
		}
		snprintf(addr, sizeof addr, "%s", url + (tls ? 8 : 7));
		addr[strcspn(addr, "/")] = 0;
	} else {
		env = getenv("TRACELITE_LISTEN");
		snprintf(addr, sizeof addr, "%s", env && *env ? env : "127.0.0.1:4318");
		tls = (env = getenv("TRACELITE_TLS_CERT")) && *env;
	}
	if (text_host_port(addr, strlen(addr), 0, host, sizeof host, &port)) {
		fprintf(stderr, "tracelite health: %s: not HOST:PORT\n", addr);
		return 2;
	}
	if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::"))   /* a wildcard listen: ask loopback */
		strcpy(host, "127.0.0.1");
	if (tls) {
		/* Debian's civetweb 1.15 answers 0 even when OpenSSL loaded (see
		 * server/routes.c); tls_civetweb_fix says whether TLS can work. */
		mg_init_library(MG_FEATURES_TLS);
		if (tls_civetweb_fix(ebuf, sizeof ebuf)) {
			fprintf(stderr, "tracelite health: %s\n", ebuf);
			return 1;
		}
	}
	c = mg_connect_client(host, port, tls, ebuf, sizeof ebuf);
	if (!c) {
		fprintf(stderr, "tracelite health: connect %s:%d: %s\n", host, port, ebuf);
		goto out;
	}
	if (mg_printf(c, "GET /api/health HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: tracelite-health\r\n"
	                 "Connection: close\r\n\r\n", host, port) <= 0 ||
	    mg_get_response(c, ebuf, sizeof ebuf, HEALTH_TIMEOUT_MS) < 0) {
		fprintf(stderr, "tracelite health: GET %s:%d/api/health: %s\n", host, port, *ebuf ? ebuf : "no response");
		goto out;
	}
	const struct mg_response_info *ri = mg_get_response_info(c);
	status = ri ? ri->status_code : 0;
	size_t got = 0;
	for (int n; got < sizeof body - 1 && (n = mg_read(c, body + got, sizeof body - 1 - got)) > 0;)
		got += (size_t)n;
	body[got] = 0;
	if (status == 200)
		printf("ok\n");
	else
		fprintf(stderr, "tracelite health: %s:%d/api/health: HTTP %d: %s\n", host, port, status, body);
	rc = status == 200 ? 0 : 1;
out:
	if (c)
		mg_close_connection(c);
	return rc;
}
