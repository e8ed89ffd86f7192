/* grpc_tls.h: TLS for the OTLP/gRPC port with mbedtls: the certificate and
 * key loaded once, then per connection a non-blocking session whose
 * handshake must pick ALPN "h2" (gRPC over TLS requires it). grpc.c reads
 * and writes through it instead of the socket. */
#ifndef TL_GRPC_TLS_H
#define TL_GRPC_TLS_H
#include <stddef.h>
#include <sys/types.h>
#include "base/err.h"

struct grpc_tls;
struct grpc_tls_conn;

/* What grpc_tls_read and grpc_tls_write return besides a byte count. */
#define GRPC_TLS_AGAIN (-1)   /* would block: wait for the socket */
#define GRPC_TLS_CLOSED (-2)  /* the peer closed, the handshake failed or ALPN is not h2 */

/* Loads a PEM certificate (chain) and an unencrypted PEM key. Returns NULL
 * with err naming the file and the problem. */
struct grpc_tls *grpc_tls_new(const char *cert, const char *key, char *err, size_t errlen);
/* Frees t (NULL: no-op); every connection must be closed first. */
void grpc_tls_free(struct grpc_tls *t);

/* Starts a server session on the non-blocking socket fd (not owned). */
struct grpc_tls_conn *grpc_tls_conn_new(struct grpc_tls *t, int fd);
/* Reads decrypted bytes into buf, running the handshake first. Returns the
 * count (> 0), GRPC_TLS_AGAIN or GRPC_TLS_CLOSED; *want_write is set when
 * the session waits for the socket to take more. */
ssize_t grpc_tls_read(struct grpc_tls_conn *c, void *buf, size_t len, int *want_write);
/* Encrypts and sends up to len bytes; returns the count taken, or
 * GRPC_TLS_AGAIN (call again with the same bytes) or GRPC_TLS_CLOSED. */
ssize_t grpc_tls_write(struct grpc_tls_conn *c, const void *data, size_t len);
/* Returns 1 when decrypted bytes wait inside the session (no socket event
 * will announce them). */
int grpc_tls_pending(const struct grpc_tls_conn *c);
/* Sends close_notify (best effort) and frees c. NULL: no-op. */
void grpc_tls_conn_free(struct grpc_tls_conn *c);

#endif
