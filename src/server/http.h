/* http.h: the bottom of the server: the reply helpers every handler uses
 * (JSON, errors, raw bytes), the request body reader with its limits, and
 * query parameters. The route table on top is routes.h. */
#ifndef TL_HTTP_H
#define TL_HTTP_H
#include <civetweb.h>
#include <cjson/cJSON.h>
#include <stddef.h>
#include "server/app.h"
#include "base/reqmem.h"
#include "base/err.h"

/* A client pausing longer than this while sending a request is cut off
 * (civetweb's request_timeout_ms; routes.c sets it). */
#define HTTP_REQUEST_TIMEOUT_S 10

/* Starts a request on this worker thread: forgets the previous request's
 * http_close_after_reply and reply status. */
void http_request_begin(void);
/* Returns the status http_send sent for this worker's current request, or
 * 0 when none was sent through it (GET /metrics counts replies by it). */
int http_reply_status(void);
/* Closes c's connection after this reply, and stops reading its body. */
void http_close_after_reply(struct mg_connection *c);

/* Sends a complete response; extra_headers is "" or CRLF-terminated lines. */
void http_send(struct mg_connection *c, int status, const char *content_type, const void *body, size_t len,
               const char *extra_headers);
/* Starts a 200 answer whose body follows in chunks (Transfer-Encoding:
 * chunked): send it with mg_send_chunk and end it with mg_send_chunk(c,
 * "", 0). For answers too big to hold in memory (exports). */
void http_stream_begin(struct mg_connection *c, const char *content_type, const char *extra_headers);
/* Sends obj as JSON and deletes it. */
void http_send_json(struct mg_connection *c, int status, cJSON *obj);
/* Same, with extra_headers ("" or CRLF-terminated lines, e.g. Set-Cookie). */
void http_send_json_headers(struct mg_connection *c, int status, cJSON *obj, const char *extra_headers);
/* Sends {"error": "<message>"} with the given status. */
void http_send_error(struct mg_connection *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same with extra_headers (CRLF-terminated lines, e.g. WWW-Authenticate)
 * instead of the default Retry-After of a 503. */
void http_send_error_headers(struct mg_connection *c, int status, const char *extra_headers, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Answers a handler's outcome rc, the one rule of every query endpoint:
 * ERR_OK sends o as JSON (200); otherwise o is deleted and {"error"} goes
 * with err_http_status(rc): "<what> not found" for ERR_NOT_FOUND (404),
 * "query failed" else; a store that cannot be read or written (ERR_STORE)
 * answers 503 with Retry-After, like a full queue (ERR_BUSY). */
void http_reply(struct mg_connection *c, int rc, cJSON *o, const char *what);

/* Reads the whole request body (sized or chunked) into a malloc'd buffer
 * (*body, caller frees; NUL-terminated past *len), taking its memory from
 * m first (reqmem.h; NULL: unbounded). Returns ERR_OK, or ERR_TOO_LARGE
 * past max bytes, ERR_BUSY / ERR_TOO_LARGE from the budget (the connection
 * then closes after the reply), ERR_BAD_INPUT if the client went away or
 * sent less than its Content-Length, ERR_TIMEOUT (408) if the body came
 * too slowly (see BODY_MIN_RATE in http.c; the connection is then closed). */
enum err http_read_body(struct mg_connection *c, size_t max, struct reqmem *m, char **body, size_t *len, char *err,
                        size_t errlen);

/* Reads and drops up to max bytes of the request body, at the pace
 * http_read_body demands, so an early error reply reaches the client; past
 * max, or from a too slow client, the connection is closed after it. */
void http_discard_body(struct mg_connection *c, size_t max);

/* The longest user or password http_basic_credentials takes. */
#define HTTP_BASIC_MAX 256
/* Reads c's `Authorization: Basic base64(user:pass)` into user and pass
 * (each max <= HTTP_BASIC_MAX bytes plus a NUL). Returns 1 when filled, 0
 * without Basic authorization, -1 when it is malformed or too long. */
int http_basic_credentials(const struct mg_connection *c, char *user, char *pass, size_t max);

/* Copies query parameter name (URL-decoded) into buf; *present is 0 when
 * it is absent (buf untouched), else 1. Returns ERR_OK, or ERR_TOO_LARGE
 * (with *present 1) when it is longer than buf. */
enum err http_query_param(const struct mg_connection *c, const char *name, char *buf, size_t buflen, int *present);

#endif
