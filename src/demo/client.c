/* client.c: the demo's OTLP/HTTP client over civetweb: one kept-alive
 * connection per client, reconnecting when the server closed it, retrying
 * 429/502/503/504 with exponential backoff that honours Retry-After. */
#include "demo/client.h"
#include <civetweb.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "base/err.h"
#include "base/secret.h"
#include "base/text.h"

struct demo_client {
	char host[256];
	int port;
	char path[1024];
	char auth[256];              /* "Authorization: Bearer KEY\r\n" from TRACELITE_API_KEY, or "" */
	struct mg_connection *conn;
};

struct demo_client *demo_client_new(const char *url, char *err, size_t errlen)
{
	if (strncmp(url, "http://", 7) != 0) {
		err_set(err, errlen, ERR_BAD_INPUT, "%s: only http:// URLs are supported", url);
		return NULL;
	}
	const char *h = url + 7, *p = h + strcspn(h, "/");
	struct demo_client *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	const char *key = getenv("TRACELITE_API_KEY");
	if (key && *key) {
		char why[128];
		if (secret_check_text(key, strlen(key), why, sizeof why)) {
			err_set(err, errlen, ERR_BAD_INPUT, "TRACELITE_API_KEY: %s", why);
			free(c);
			return NULL;
		}
		snprintf(c->auth, sizeof c->auth, "Authorization: Bearer %s\r\n", key);
	}
	if (text_host_port(h, (size_t)(p - h), 80, c->host, sizeof c->host, &c->port))
		goto bad;
	if (strlen(p) >= sizeof c->path)
		goto bad;
	strncpy(c->path, *p ? p : "/v1/traces", sizeof c->path - 1);
	return c;
bad:
	err_set(err, errlen, ERR_BAD_INPUT, "%s: not a URL of the form http://host[:port][/path]", url);
	free(c);
	return NULL;
}

static void client_close(struct demo_client *c)
{
	if (c->conn)
		mg_close_connection(c->conn);
	c->conn = NULL;
}

void demo_client_free(struct demo_client *c)
{
	if (!c)
		return;
	client_close(c);
	free(c);
}

static const char *response_header(const struct mg_response_info *ri, const char *name)
{
	for (int i = 0; i < ri->num_headers; i++)
		if (strcasecmp(ri->http_headers[i].name, name) == 0)
			return ri->http_headers[i].value;
	return NULL;
}

/* One request/response exchange; a kept-alive connection the server has
 * closed meanwhile is replaced once. Returns the status or -1. */
static int post_once(struct demo_client *c, const char *ctype, const void *body, size_t len,
                     long *retry_after_s, char *err, size_t errlen)
{
	char ebuf[256] = "";
	for (int attempt = 0; attempt < 2; attempt++) {
		int reused = c->conn != NULL;
		if (!c->conn) {
			c->conn = mg_connect_client(c->host, c->port, 0, ebuf, sizeof ebuf);
			if (!c->conn)
				return err_set(err, errlen, -1, "connect %s:%d: %s", c->host, c->port, ebuf);
		}
		if (mg_printf(c->conn, "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: %s\r\n"
		                       "Content-Length: %zu\r\nUser-Agent: tracelite-demo\r\n%s\r\n",
		              c->path, c->host, c->port, ctype, len, c->auth) <= 0 ||
		    (len && mg_write(c->conn, body, len) != (int)len) ||
		    mg_get_response(c->conn, ebuf, sizeof ebuf, 300000) < 0) {
			client_close(c);
			if (reused)
				continue;
			return err_set(err, errlen, -1, "POST %s:%d%s: %s", c->host, c->port, c->path,
			               *ebuf ? ebuf : "no response");
		}
		const struct mg_response_info *ri = mg_get_response_info(c->conn);
		int status = ri ? ri->status_code : 0;
		const char *ra = ri ? response_header(ri, "Retry-After") : NULL;
		int64_t ra_s = -1;
		if (ra && text_parse_i64(ra, 0, 86400, &ra_s))
			ra_s = -1;  /* an HTTP-date or junk: retry on our own schedule */
		*retry_after_s = (long)ra_s;
		const char *conn_hdr = ri ? response_header(ri, "Connection") : NULL;
		int keep = ri && ri->content_length >= 0 && !(conn_hdr && strcasecmp(conn_hdr, "close") == 0);
		/* read the whole body (the connection is reused), keep its start */
		char text[512], sink[4096];
		size_t got = 0;
		for (int n; (n = mg_read(c->conn, sink, sizeof sink)) > 0;) {
			size_t take = sizeof text - 1 - got < (size_t)n ? sizeof text - 1 - got : (size_t)n;
			memcpy(text + got, sink, take);
			got += take;
		}
		text[got] = 0;
		if (!keep)
			client_close(c);
		if (status != 200)
			err_set(err, errlen, -1, "POST %s: HTTP %d: %.300s", c->path, status, text);
		return status;
	}
	return err_set(err, errlen, -1, "POST %s: connection closed", c->path);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int demo_client_post(struct demo_client *c, const char *content_type, const void *body,
                     size_t len, unsigned *retries, char *err, size_t errlen)
{
	unsigned delay = 50, waited = 0;
	for (;;) {
		long retry_after = -1;
		int status = post_once(c, content_type, body, len, &retry_after, err, errlen);
		if (status != 429 && status != 502 && status != 503 && status != 504)
			return status;
		unsigned wait = delay;
		if (retry_after > 0 && (unsigned long)retry_after * 1000 > wait)
			wait = retry_after > 5 ? 5000 : (unsigned)retry_after * 1000;
		if (waited + wait > 30000)
			return status;
		sleep_ms(wait);
		waited += wait;
		delay = delay < 1600 ? delay * 2 : 2000;
		if (retries)
			(*retries)++;
	}
}
