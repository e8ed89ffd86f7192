/* err.c: error code -> HTTP status, and the message formatter. */
#include "base/err.h"
#include <stdarg.h>
#include <stdio.h>

int err_http_status(enum err e)
{
	switch (e) {
	case ERR_OK: return 200;
	case ERR_BAD_INPUT: return 400;
	case ERR_TOO_LARGE: return 413;
	case ERR_MEDIA_TYPE: return 415;
	case ERR_NOT_FOUND: return 404;
	case ERR_BUSY: return 503;
	case ERR_STORE: return 503;   /* retried by clients, like a full queue */
	case ERR_NOMETHOD: return 405;
	case ERR_TIMEOUT: return 408;
	case ERR_AUTH: return 401;
	case ERR_FORBIDDEN: return 403;
	case ERR_SLOW_DOWN: return 429;
	default: return 500;
	}
}

enum err err_set(char *buf, size_t n, enum err code, const char *fmt, ...)
{
	if (buf && n) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, n, fmt, ap);
		va_end(ap);
	}
	return code;
}
