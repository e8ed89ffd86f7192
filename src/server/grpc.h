/* grpc.h: OTLP/gRPC on its own port (default 127.0.0.1:4317): HTTP/2 over
 * cleartext with prior knowledge (nghttp2), TraceService/Export and
 * MetricsService/Export through the ingest path OTLP/HTTP uses, answered
 * after the commit. Methods are one table in grpc.c; authorization is one
 * hook. TLS (grpc_tls.h) when a certificate is configured. */
#ifndef TL_GRPC_H
#define TL_GRPC_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "base/reqmem.h"
#include "server/app.h"

struct grpc_server;

/* Authorization of a call: authorization is the lowercase `authorization`
 * metadata value (NULL when absent), scope what the method needs (e.g.
 * "ingest"). Returns ERR_OK to go on, ERR_UNAUTHENTICATED (gRPC 16) or
 * ERR_FORBIDDEN (gRPC 7) with err saying why. A key bound to a project
 * writes its name into project[0..projectlen) (it then wins over the
 * x-project-id metadata); otherwise project is left "". Runs on the event
 * loop: it must not block. */
typedef enum err (*grpc_auth_fn)(const char *authorization, const char *scope, char *project, size_t projectlen,
                                 char *err, size_t errlen);

/* One complete request message, as a method handler gets it. */
struct grpc_request {
	const void *msg;              /* the message bytes, without the 5-byte prefix */
	size_t len;
	const char *content_encoding; /* "gzip"/"deflate" when the message is compressed, else NULL */
	const char *project;          /* x-project-id metadata, or NULL */
	struct reqmem *mem;           /* holds msg; take more from it before allocating */
	void *owned;                  /* the allocation holding msg: the method frees it (receive_commit) */
};

/* A method: decodes req, does the work (returning only once it is durable)
 * and packs its response message into resp[0..respcap) with its length in
 * *resplen. Runs on a gRPC worker thread. Returns ERR_OK or an enum err
 * (sent as err_grpc_status with err as grpc-message). */
typedef enum err (*grpc_handler_fn)(struct app *app, const struct grpc_request *req, uint8_t *resp,
                                    size_t respcap, size_t *resplen, char *err, size_t errlen);

/* The largest response message a handler may write. */
#define GRPC_RESP_MAX 1024

/* Listens on app->cfg->grpc_listen (which must not be "") and serves until
 * grpc_stop: TLS with ALPN h2 when tls_cert and tls_key (PEM files) are
 * given, else cleartext HTTP/2 with prior knowledge. auth NULL allows
 * every call. Returns NULL with err filled (a certificate or key that does
 * not load, address in use, bad address). */
struct grpc_server *grpc_start(struct app *app, grpc_auth_fn auth, const char *tls_cert, const char *tls_key, char *err,
                               size_t errlen);
/* Stops accepting, lets requests already received commit and be answered
 * (at most GRPC_STOP_WAIT_S), closes every connection, frees s. NULL: no-op. */
void grpc_stop(struct grpc_server *s);

#endif
