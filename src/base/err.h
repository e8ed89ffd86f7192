/* err.h: the error codes every fallible function returns (0 = success),
 * and how the HTTP layer maps them to a status. The human-readable detail
 * (which field, which span) travels separately in a caller-supplied buffer. */
#ifndef TL_ERR_H
#define TL_ERR_H
#include <stddef.h>

enum err {
	ERR_OK = 0,
	ERR_BAD_INPUT = -1,     /* 400: undecodable or invalid data */
	ERR_TOO_LARGE = -2,     /* 413: over a size limit */
	ERR_MEDIA_TYPE = -3,    /* 415: content type we do not take */
	ERR_NOT_FOUND = -4,     /* 404 */
	ERR_BUSY = -5,          /* 503 with Retry-After: queue full */
	ERR_STORE = -6,         /* 503 with Retry-After: the store cannot be read or written */
	ERR_NOMETHOD = -7,      /* 405 */
	ERR_TIMEOUT = -8,       /* 408: the request body came too slowly */
	ERR_UNAUTHENTICATED = -9, /* 401 with WWW-Authenticate: no, a malformed or an unknown key */
	ERR_FORBIDDEN = -10,    /* 403: a valid key whose scope does not allow this */
	ERR_SLOW_DOWN = -11,    /* 429 with Retry-After: too many failed logins */
	ERR_FULL = -12,         /* 503 with Retry-After: disk full, or free space under --min-free */
};

/* Returns the HTTP status for e (200 for ERR_OK; 500 for an unknown code). */
int err_http_status(enum err e);
/* Returns the gRPC status code for e, from the same table as
 * err_http_status (0 OK for ERR_OK; 13 INTERNAL for an unknown code):
 * 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE (retried by
 * clients), 16 UNAUTHENTICATED, 7 PERMISSION_DENIED, 12 UNIMPLEMENTED. */
int err_grpc_status(enum err e);
/* Formats into buf (always NUL-terminated) and returns code, so decoders
 * can write `return err_set(buf, n, ERR_BAD_INPUT, "span %d: ...", i);`. */
enum err err_set(char *buf, size_t n, enum err code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
