/* web.c: serves the files of web/ (and uPlot from npm), built into the
 * binary by gen-embed.sh. Each file's ETag and gzip encoding are computed
 * once, on first use; every response says `no-cache` so browsers revalidate
 * with If-None-Match and get a body-less 304 while nothing changed. */
#include "server/web.h"
#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "base/embed.h"
#include "server/http.h"

struct asset {
	const struct embedded_file *file;
	const char *type;
	char etag[20];           /* "<16 hex digits>" with the quotes */
	unsigned char *gz;       /* NULL when gzip would not pay */
	size_t gz_len;
};

static struct asset *assets;
static size_t asset_count;
static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

static const char *content_type(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".json", "application/json"},
		{".png", "image/png"},
		{".ico", "image/x-icon"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* gzip of data, or NULL if it does not save at least a tenth. */
static unsigned char *gzip(const unsigned char *data, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	size_t cap = deflateBound(&z, len);
	unsigned char *buf = malloc(cap);
	if (!buf)
		abort();
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || *out_len > len - len / 10) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void assets_init(void)
{
	while (embedded_web[asset_count].name)
		asset_count++;
	assets = calloc(asset_count ? asset_count : 1, sizeof *assets);
	if (!assets)
		abort();
	for (size_t i = 0; i < asset_count; i++) {
		struct asset *a = &assets[i];
		const struct embedded_file *f = &embedded_web[i];
		uint64_t h = 1469598103934665603ull;  /* FNV-1a */
		for (size_t k = 0; k < f->len; k++)
			h = (h ^ f->data[k]) * 1099511628211ull;
		a->file = f;
		a->type = content_type(f->name);
		snprintf(a->etag, sizeof a->etag, "\"%016llx\"", (unsigned long long)h);
		if (strncmp(a->type, "text/", 5) == 0 || strstr(a->type, "json") || strstr(a->type, "svg"))
			a->gz = gzip(f->data, f->len, &a->gz_len);
	}
}

static const struct asset *find_asset(const char *name)
{
	pthread_once(&assets_once, assets_init);
	for (size_t i = 0; i < asset_count; i++)
		if (strcmp(assets[i].file->name, name) == 0)
			return &assets[i];
	return NULL;
}

/* Whether an Accept-Encoding value allows gzip (absent, or "gzip;q=0", no). */
static int accepts_gzip(const char *accept)
{
	const char *p = accept ? strstr(accept, "gzip") : NULL;
	if (!p)
		return 0;
	p += 4;
	while (*p == ' ')
		p++;
	if (*p != ';')
		return 1;
	const char *q = strstr(p, "q=");
	return !q || strtod(q + 2, NULL) > 0;
}

/* Sends asset a with status 200 (or 404: then never a 304) and the extra
 * header lines. */
static void send_asset(struct mg_connection *c, const struct asset *a, int status, const char *extra)
{
	assert(status == 200 || status == 404);
	const struct mg_request_info *ri = mg_get_request_info(c);
	const char *inm = mg_get_header(c, "If-None-Match");
	if (status == 200 && inm && strstr(inm, a->etag)) {
		mg_printf(c, "HTTP/1.1 304 Not Modified\r\nETag: %s\r\nCache-Control: no-cache\r\n"
		          "Vary: Accept-Encoding\r\nContent-Length: 0\r\n\r\n", a->etag);
		return;
	}
	int gz = a->gz && accepts_gzip(mg_get_header(c, "Accept-Encoding"));
	const void *body = gz ? (const void *)a->gz : (const void *)a->file->data;
	size_t len = gz ? a->gz_len : a->file->len;
	mg_printf(c,
	          "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nETag: %s\r\n"
	          "Cache-Control: no-cache\r\nVary: Accept-Encoding\r\nX-Content-Type-Options: nosniff\r\n%s%s\r\n",
	          status == 200 ? "200 OK" : "404 Not Found", a->type, len, a->etag, gz ? "Content-Encoding: gzip\r\n" : "", extra);
	if (strcmp(ri->request_method, "HEAD") != 0)
		mg_write(c, body, len);
}

void web_asset(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)app;
	const struct asset *a = strcmp(tail, "index.html") && strcmp(tail, "login.html") ? find_asset(tail) : NULL;
	if (!a) {
		http_send_error(c, 404, "no such asset: %s", tail);
		return;
	}
	send_asset(c, a, 200, "");
}

/* The page's headers. Inline styles only (uPlot sizes its canvas that
 * way); no inline script. */
#define PAGE_HEADERS                                                                                \
	"Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; "          \
	"img-src 'self' data:\r\nX-Frame-Options: DENY\r\n"

/* Sends the HTML page name with its security headers. */
static void send_page(struct mg_connection *c, const char *name)
{
	const struct asset *a = find_asset(name);
	if (!a) {
		http_send_error(c, 404, "this build has no web UI");
		return;
	}
	send_asset(c, a, 200, PAGE_HEADERS);
}

int web_not_found(struct mg_connection *c, const char *uri)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	const char *accept = mg_get_header(c, "Accept");
	if (strcmp(ri->request_method, "GET") != 0 && strcmp(ri->request_method, "HEAD") != 0)
		return 0;
	if (!accept || !strstr(accept, "text/html") || strncmp(uri, "/api/", 5) == 0 || strncmp(uri, "/v1/", 4) == 0 ||
	    strncmp(uri, "/assets/", 8) == 0)
		return 0;
	const struct asset *a = find_asset("index.html");
	if (!a)
		return 0;
	send_asset(c, a, 404, PAGE_HEADERS);
	return 1;
}

void web_page(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)app;
	(void)tail;
	send_page(c, "index.html");
}

void web_login(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)app;
	(void)tail;
	send_page(c, "login.html");
}
