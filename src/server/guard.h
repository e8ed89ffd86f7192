/* guard.h: what a request must pass before it is routed: one unambiguous
 * body framing (no request smuggling), a Host header naming this server
 * (no DNS rebinding), and CORS answers only for the configured origins.
 * Pure checks; http.c sends the answers. */
#ifndef TL_GUARD_H
#define TL_GUARD_H
#include <civetweb.h>
#include <stddef.h>
#include "server/config.h"

/* Checks the framing headers and the Host of c's request. Returns 0 if it
 * may be routed, else the status to answer with err naming the problem:
 * 400 (the connection must then be closed: where the body ends is unknown)
 * or 403 (a Host that is not a loopback name, the --listen host or an
 * --allow-host name; a request without Host passes). */
int guard_check(const struct mg_connection *c, const struct config *cfg, char *err, size_t errlen);

/* Returns 1 if host (a Host header value, with or without port) may be
 * answered under cfg. */
int guard_host_allowed(const struct config *cfg, const char *host);

/* Fills headers (CRLF-terminated lines) with the CORS headers for c's Origin
 * and returns 1 if that origin is one of --cors-origin; preflight adds the
 * allowed methods, request headers and max age. Returns 0 with headers ""
 * for no or any other origin. */
int guard_cors(const struct mg_connection *c, const struct config *cfg, int preflight, char *headers, size_t len);

#endif
