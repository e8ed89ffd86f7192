/* repl_target.c: parsing and masking replication target URLs. */
#include "repl/repl_target.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "ingest/span.h"

void repl_target_mask(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://"), *auth = p ? p + 3 : url;
	size_t authlen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *q = auth; q < auth + authlen; q++)
		if (*q == '@')
			at = q;
	size_t o = 0;
#define PUT(s, len) o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%.*s", (int)(len), (s))
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon) {
		PUT(url, colon + 1 - url);
		PUT("***", 3);
		auth = at;
	} else {
		PUT(url, auth - url);
	}
	/* the rest, with the value of every password= parameter masked */
	const char *rest = auth, *q = strchr(rest, '?');
	if (!q) {
		PUT(rest, strlen(rest));
		return;
	}
	PUT(rest, q - rest);
	for (const char *s = q; *s;) {
		size_t plen = 1 + strcspn(s + 1, "&");
		if (!strncmp(s + 1, "password=", 9)) {
			PUT(s, 10);
			PUT("***", 3);
		} else {
			PUT(s, plen);
		}
		s += plen;
	}
#undef PUT
}

/* Percent-decodes src[0..len) into dst (size n); returns -1 if bad or too long. */
static int pct_decode(const char *src, size_t len, char *dst, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)src[i];
		if (c == '%') {
			int hi = i + 2 < len ? hex_digit(src[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit(src[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= n)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = 0;
	return 0;
}

static int parse_clickhouse(const char *url, int https, struct repl_target *t, char *err, size_t errlen)
{
	const char *auth = strstr(url, "://") + 3;
	size_t authlen = strcspn(auth, "/?#");
	const char *at = NULL, *host = auth;
	for (const char *q = auth; q < auth + authlen; q++)
		if (*q == '@')
			at = q;
	snprintf(t->user, sizeof t->user, "default");
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		const char *uend = colon ? colon : at;
		if (pct_decode(auth, (size_t)(uend - auth), t->user, sizeof t->user) ||
		    (colon && pct_decode(colon + 1, (size_t)(at - colon - 1), t->password, sizeof t->password)))
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: bad user or password encoding", t->display);
		host = at + 1;
	}
	size_t hostlen = (size_t)(auth + authlen - host);
	if (!hostlen || hostlen > 300)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected a host", t->display);
	int has_port = memchr(host, ':', hostlen) && host[hostlen - 1] != ']';
	snprintf(t->base_url, sizeof t->base_url, "%s://%.*s%s/", https ? "https" : "http", (int)hostlen, host,
	         has_port ? "" : https ? ":8443" : ":8123");
	const char *path = auth + authlen;
	snprintf(t->database, sizeof t->database, "default");
	if (*path == '/' && path[1] && path[1] != '?') {
		size_t dblen = strcspn(path + 1, "?#");
		if (pct_decode(path + 1, dblen, t->database, sizeof t->database))
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: bad database name", t->display);
		path += 1 + dblen;
	} else if (*path == '/') {
		path++;
	}
	for (const char *c = t->database; *c; c++)
		if (!(*c == '_' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: database name must be letters, digits and _",
			                t->display);
	if (*path == '?') {
		for (const char *s = path + 1; *s;) {
			size_t plen = strcspn(s, "&");
			if (plen == 10 && !strncmp(s, "insecure=1", 10))
				t->insecure = 1;
			else if (!strncmp(s, "cafile=", 7) && plen > 7) {
				if (pct_decode(s + 7, plen - 7, t->cafile, sizeof t->cafile))
					return err_set(err, errlen, ERR_BAD_INPUT, "%s: bad cafile", t->display);
			} else
				return err_set(err, errlen, ERR_BAD_INPUT,
				               "%s: unknown parameter '%.*s' (expected insecure=1 or cafile=PATH)", t->display,
				               (int)(plen > 40 ? 40 : plen), s);
			s += plen + (s[plen] == '&');
		}
	} else if (*path) {
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: unexpected '%s'", t->display, path);
	}
	return ERR_OK;
}

enum err repl_target_parse(const char *url, struct repl_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (strlen(url) >= REPL_URL_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "replication target URL longer than %d bytes", REPL_URL_MAX - 1);
	repl_target_mask(url, t->display, sizeof t->display);
	if (!strncmp(url, "clickhouse://", 13) || !strncmp(url, "clickhouses://", 14)) {
		t->kind = REPL_CLICKHOUSE;
		return parse_clickhouse(url, url[10] == 's', t, err, errlen);
	}
	if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13)) {
		t->kind = REPL_POSTGRES;
		snprintf(t->conninfo, sizeof t->conninfo, "%s", url);
		return ERR_OK;
	}
	return err_set(err, errlen, ERR_BAD_INPUT,
	               "replication target '%s': expected clickhouse://, clickhouses://, postgres:// or postgresql://",
	               t->display);
}
