/* http.c: the reply helpers every handler uses and the request body reader.
 * Every response is complete (Content-Length) and errors are JSON naming
 * what was wrong. Slow clients are cut off (each open connection holds a
 * worker thread in civetweb 1.15). */
#include "server/http.h"
#include <strings.h>
#include <mbedtls/base64.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/err.h"
#include "base/json.h"
#include "server/guard.h"


/* A body must arrive at BODY_MIN_RATE bytes/s on average once it has had
 * BODY_GRACE_S seconds, and be complete after BODY_DEADLINE_S; otherwise
 * it is refused with 408 and the connection closed. */
#define BODY_MIN_RATE 4096
#define BODY_GRACE_S 5
#define BODY_DEADLINE_S 120
#define BODY_READ_MAX 65536

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* The status http_send sent in this worker's current request (0: none). */
static _Thread_local int reply_status;

void http_send(struct mg_connection *c, int status, const char *content_type, const void *body, size_t len,
               const char *extra_headers)
{
	const struct app *app = mg_get_user_data(mg_get_context(c));
	char cors[512];
	reply_status = status;
	guard_cors(c, app->cfg, 0, cors, sizeof cors);
	mg_printf(c,
	          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	          "Cache-Control: no-store\r\n%s%s\r\n",
	          status, status_text(status), content_type, len, cors, extra_headers ? extra_headers : "");
	if (len)
		mg_write(c, body, len);
}

void http_stream_begin(struct mg_connection *c, const char *content_type, const char *extra_headers)
{
	const struct app *app = mg_get_user_data(mg_get_context(c));
	char cors[512];
	guard_cors(c, app->cfg, 0, cors, sizeof cors);
	mg_printf(c,
	          "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
	          "Cache-Control: no-store\r\n%s%s\r\n",
	          content_type, cors, extra_headers ? extra_headers : "");
}

void http_send_json_headers(struct mg_connection *c, int status, cJSON *obj, const char *extra_headers)
{
	size_t len;
	char *text = json_print(obj, &len);
	cJSON_Delete(obj);
	http_send(c, status, "application/json", text, len, extra_headers);
	cJSON_free(text);
}

void http_send_json(struct mg_connection *c, int status, cJSON *obj)
{
	http_send_json_headers(c, status, obj, "");
}

static void send_error_v(struct mg_connection *c, int status, const char *extra_headers, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	size_t len;
	char *text = json_print(o, &len);
	cJSON_Delete(o);
	if (!extra_headers)
		extra_headers = status == 503 ? "Retry-After: 1\r\n" : "";
	http_send(c, status, "application/json", text, len, extra_headers);
	cJSON_free(text);
}

void http_send_error(struct mg_connection *c, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_error_v(c, status, NULL, fmt, ap);
	va_end(ap);
}

void http_send_error_headers(struct mg_connection *c, int status, const char *extra_headers, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_error_v(c, status, extra_headers, fmt, ap);
	va_end(ap);
}

void http_reply(struct mg_connection *c, int rc, cJSON *o, const char *what)
{
	if (rc == ERR_OK) {
		http_send_json(c, 200, o);
		return;
	}
	cJSON_Delete(o);
	if (rc == ERR_NOT_FOUND)
		http_send_error(c, 404, "%s not found", what);
	else if (rc == ERR_FULL)
		http_send_error(c, 503, "disk full: the data directory's filesystem has no space left");
	else
		http_send_error(c, err_http_status(rc), "query failed");
}

/* Set when this worker's request will close its connection (civetweb has
 * no getter for that): nothing more of the body is read, since a client cut
 * off for trickling would otherwise hold the worker for another round. */
static _Thread_local int closing;

void http_request_begin(void)
{
	closing = 0;
	reply_status = 0;
}

int http_reply_status(void)
{
	return reply_status;
}

void http_close_after_reply(struct mg_connection *c)
{
	mg_disable_keep_alive(c);
	closing = 1;
}

/* One request body being read. mg_read returns only once it has all it
 * asked for, or after the client paused for HTTP_REQUEST_TIMEOUT_S, so a client
 * is asked for little until it shows it sends fast: the read size doubles
 * after a read that took under 100 ms and halves after a slower one. A
 * trickling client is then checked several times a second; a fast one pays
 * a few small reads at the start. A read cannot be interrupted, though: a
 * client that sends fast and then a byte every few seconds keeps one read
 * (up to BODY_READ_MAX bytes) going; only the worker count bounds that. */
struct body_pace {
	struct timespec start;
	size_t got, want;
};

static void pace_start(struct body_pace *p)
{
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->got = 0;
	p->want = 1;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Reads the next piece of the body, at most cap bytes, into buf. Returns
 * the byte count (0 at the end of the body), or ERR_TIMEOUT (too slow, see
 * BODY_MIN_RATE) or ERR_BAD_INPUT (client gone or paused) with err filled
 * and the connection marked to close. */
static int read_paced(struct mg_connection *c, struct body_pace *p, char *buf, size_t cap, char *err, size_t errlen)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = mg_read(c, buf, cap < p->want ? cap : p->want), rc = ERR_OK;
	double took = seconds_since(&t0), elapsed = seconds_since(&p->start);
	if (n > 0)
		p->got += (size_t)n;
	if (n < 0)
		rc = err_set(err, errlen, ERR_BAD_INPUT,
		             "error reading the request body (client gone, or paused over %d s)", HTTP_REQUEST_TIMEOUT_S);
	else if (n > 0 && elapsed > BODY_DEADLINE_S)
		rc = err_set(err, errlen, ERR_TIMEOUT, "request body not complete after %d s (%zu bytes); nothing stored",
		             BODY_DEADLINE_S, p->got);
	else if (n > 0 && elapsed > BODY_GRACE_S && (double)p->got < BODY_MIN_RATE * elapsed)
		rc = err_set(err, errlen, ERR_TIMEOUT,
		             "request body too slow: %zu bytes in %.1f s, at least %d bytes/s needed; nothing stored",
		             p->got, elapsed, BODY_MIN_RATE);
	if (rc) {
		http_close_after_reply(c);
		return rc;
	}
	if (took < 0.1)
		p->want = p->want * 2 > BODY_READ_MAX ? BODY_READ_MAX : p->want * 2;
	else if (p->want > 1)
		p->want /= 2;
	return n;
}

void http_discard_body(struct mg_connection *c, size_t max)
{
	char buf[16384], err[200];
	struct body_pace pace;
	size_t total = 0;
	int n;
	pace_start(&pace);
	while (!closing && total <= max && (n = read_paced(c, &pace, buf, sizeof buf, err, sizeof err)) > 0)
		total += (size_t)n;
	if (total > max)
		http_close_after_reply(c);
}

/* limit as "64 MiB", "64 KiB" or "1000 bytes" (the largest exact unit) in out. */
static const char *size_text(size_t limit, char *out, size_t n)
{
	if (limit && limit % (1u << 20) == 0)
		snprintf(out, n, "%zu MiB", limit >> 20);
	else if (limit && limit % 1024 == 0)
		snprintf(out, n, "%zu KiB", limit >> 10);
	else
		snprintf(out, n, "%zu bytes", limit);
	return out;
}

enum err http_read_body(struct mg_connection *c, size_t max, struct reqmem *m, char **body, size_t *len, char *err,
                        size_t errlen)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	size_t cap = ri->content_length > 0 ? (size_t)ri->content_length : 64 * 1024, used = 0;
	struct body_pace pace;
	char limit[32];
	if (ri->content_length > 0 && (unsigned long long)ri->content_length > max) {
		http_discard_body(c, 2 * max);
		return err_set(err, errlen, ERR_TOO_LARGE, "body of %lld bytes exceeds %s", ri->content_length,
		               size_text(max, limit, sizeof limit));
	}
	enum err rc = reqmem_take(m, cap, err, errlen);
	if (rc) {
		mg_disable_keep_alive(c); /* the body stays unread */
		return rc;
	}
	char *buf = malloc(cap + 1);
	if (!buf)
		abort();
	pace_start(&pace);
	for (;;) {
		/* a sized body is complete at its Content-Length: growing the
		 * buffer to look for more doubled the memory of every request
		 * (and refused a body of exactly max bytes) */
		if (ri->content_length > 0 && used == cap)
			break;
		if (used == cap) {
			if (cap >= max) {
				http_discard_body(c, max);
				rc = err_set(err, errlen, ERR_TOO_LARGE, "body exceeds %s", size_text(max, limit, sizeof limit));
				goto out;
			}
			size_t grown_cap = cap * 2 > max ? max : cap * 2;
			if ((rc = reqmem_take(m, grown_cap - cap, err, errlen))) {
				mg_disable_keep_alive(c);
				goto out;
			}
			cap = grown_cap;
			char *grown = realloc(buf, cap + 1);
			if (!grown)
				abort();
			buf = grown;
		}
		int n = read_paced(c, &pace, buf + used, cap - used, err, errlen);
		if (n < 0) {
			rc = n;
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (ri->content_length > 0 && used != (size_t)ri->content_length) {
		rc = err_set(err, errlen, ERR_BAD_INPUT, "body truncated: got %zu of %lld bytes", used,
		             ri->content_length);
		goto out;
	}
	buf[used] = 0;
	*body = buf;
	*len = used;
out:
	if (rc)
		free(buf);
	return rc;
}

enum err http_query_param(const struct mg_connection *c, const char *name, char *buf, size_t buflen, int *present)
{
	const char *qs = mg_get_request_info(c)->query_string;
	*present = 0;
	if (!qs)
		return ERR_OK;
	int n = mg_get_var(qs, strlen(qs), name, buf, buflen);
	if (n == -1)
		return ERR_OK;
	*present = 1;
	return n < 0 ? ERR_TOO_LARGE : ERR_OK;
}

int http_basic_credentials(const struct mg_connection *c, char *user, char *pass, size_t max)
{
	const char *h = mg_get_header(c, "Authorization");
	unsigned char raw[2 * HTTP_BASIC_MAX + 2];
	size_t n = 0;
	assert(max <= HTTP_BASIC_MAX);
	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return 0;
	h += 6;
	while (*h == ' ')
		h++;
	if (mbedtls_base64_decode(raw, sizeof raw - 1, &n, (const unsigned char *)h, strlen(h)))
		return -1;
	raw[n] = 0;
	char *colon = memchr(raw, ':', n);
	if (!colon || strlen((char *)raw) != n)
		return -1;
	size_t ul = (size_t)(colon - (char *)raw), pl = n - ul - 1;
	if (ul > max || pl > max)
		return -1;
	memcpy(user, raw, ul);
	user[ul] = 0;
	memcpy(pass, colon + 1, pl);
	pass[pl] = 0;
	return 1;
}
