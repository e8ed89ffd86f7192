/* err.c: error code -> HTTP status and gRPC status (one table), and the
 * message formatter. */
#include "base/err.h"
#include <stdarg.h>
#include <stdio.h>

/* One row per code: the HTTP status and the gRPC status it answers with.
 * The gRPC codes follow grpc's PROTOCOL-HTTP2 mapping where one exists:
 * a full queue or an unwritable store is UNAVAILABLE (the one clients
 * retry), a bad content coding UNIMPLEMENTED, a too slow client
 * DEADLINE_EXCEEDED. */
static const struct {
	enum err code;
	int http, grpc;
} statuses[] = {
	{ERR_OK, 200, 0},
	{ERR_BAD_INPUT, 400, 3},        /* INVALID_ARGUMENT */
	{ERR_TOO_LARGE, 413, 8},        /* RESOURCE_EXHAUSTED */
	{ERR_MEDIA_TYPE, 415, 12},      /* UNIMPLEMENTED */
	{ERR_NOT_FOUND, 404, 5},        /* NOT_FOUND */
	{ERR_BUSY, 503, 14},            /* UNAVAILABLE */
	{ERR_STORE, 503, 14},           /* retried by clients, like a full queue */
	{ERR_NOMETHOD, 405, 12},        /* UNIMPLEMENTED */
	{ERR_TIMEOUT, 408, 4},          /* DEADLINE_EXCEEDED */
	{ERR_UNAUTHENTICATED, 401, 16}, /* UNAUTHENTICATED */
	{ERR_FORBIDDEN, 403, 7},        /* PERMISSION_DENIED */
	{ERR_FULL, 503, 14},            /* retried; resumes once space returns */
	{ERR_SLOW_DOWN, 429, 8},        /* RESOURCE_EXHAUSTED */
};

int err_http_status(enum err e)
{
	for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
		if (statuses[i].code == e)
			return statuses[i].http;
	return 500;
}

int err_grpc_status(enum err e)
{
	for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
		if (statuses[i].code == e)
			return statuses[i].grpc;
	return 13; /* INTERNAL */
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
