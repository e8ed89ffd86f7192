/* grpc_tls.c: mbedtls sessions for the OTLP/gRPC port (see grpc_tls.h):
 * TLS 1.2 or later, the one certificate, ALPN h2 required, the socket
 * driven non-blocking by grpc.c's event loop. */
#include "server/grpc_tls.h"
#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include "base/mbed.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct grpc_tls {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt cert;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

struct grpc_tls_conn {
	mbedtls_ssl_context ssl;
	int fd, handshake_done;
};

static const char *alpn[] = {"h2", NULL};

static void tls_error(char *err, size_t errlen, const char *what, const char *path, int rc)
{
	char why[160];
	mbedtls_strerror(rc, why, sizeof why);
	err_set(err, errlen, ERR_BAD_INPUT, "gRPC TLS %s%s%s: %s", what, *path ? " " : "", path, why);
}

struct grpc_tls *grpc_tls_new(const char *cert, const char *key, char *err, size_t errlen)
{
	struct grpc_tls *t = calloc(1, sizeof *t);
	int rc;
	if (!t)
		abort();
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->cert);
	mbedtls_pk_init(&t->key);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	if ((rc = mbedtls_x509_crt_parse_file(&t->cert, cert))) {
		tls_error(err, errlen, "certificate", cert, rc);
		goto out;
	}
	if ((rc = mbed_pk_parse_keyfile(&t->key, key))) {
		tls_error(err, errlen, "key", key, rc);
		goto out;
	}
	if ((rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, (const unsigned char *)"tl-grpc", 7)) ||
	    (rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                      MBEDTLS_SSL_PRESET_DEFAULT))) {
		tls_error(err, errlen, "setup", "", rc);
		goto out;
	}
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbed_ssl_conf_min_tls12(&t->conf);
	if ((rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key))) {
		tls_error(err, errlen, "key does not match certificate", cert, rc);
		goto out;
	}
	if ((rc = mbedtls_ssl_conf_alpn_protocols(&t->conf, alpn))) {
		tls_error(err, errlen, "ALPN", "h2", rc);
		goto out;
	}
	return t;
out:
	grpc_tls_free(t);
	return NULL;
}

void grpc_tls_free(struct grpc_tls *t)
{
	if (!t)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->cert);
	mbedtls_pk_free(&t->key);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	free(t);
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);
	if (n >= 0)
		return (int)n; /* 0: the peer closed */
	return errno == EAGAIN || errno == EWOULDBLOCK ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
}

struct grpc_tls_conn *grpc_tls_conn_new(struct grpc_tls *t, int fd)
{
	struct grpc_tls_conn *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->fd = fd;
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &t->conf))
		abort(); /* out of memory */
	mbedtls_ssl_set_bio(&c->ssl, &c->fd, bio_send, bio_recv, NULL);
	return c;
}

ssize_t grpc_tls_read(struct grpc_tls_conn *c, void *buf, size_t len, int *want_write)
{
	*want_write = 0;
	if (!c->handshake_done) {
		int rc = mbedtls_ssl_handshake(&c->ssl);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			*want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
			return GRPC_TLS_AGAIN;
		}
		const char *proto = rc ? NULL : mbedtls_ssl_get_alpn_protocol(&c->ssl);
		if (!proto || strcmp(proto, "h2"))
			return GRPC_TLS_CLOSED;
		c->handshake_done = 1;
	}
	int n = mbedtls_ssl_read(&c->ssl, buf, len);
	if (n > 0)
		return n;
	if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) {
		*want_write = n == MBEDTLS_ERR_SSL_WANT_WRITE;
		return GRPC_TLS_AGAIN;
	}
	return GRPC_TLS_CLOSED;
}

ssize_t grpc_tls_write(struct grpc_tls_conn *c, const void *data, size_t len)
{
	if (!c->handshake_done)
		return GRPC_TLS_AGAIN;
	int n = mbedtls_ssl_write(&c->ssl, data, len);
	if (n >= 0)
		return n;
	return n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE ? GRPC_TLS_AGAIN : GRPC_TLS_CLOSED;
}

int grpc_tls_pending(const struct grpc_tls_conn *c)
{
	return mbedtls_ssl_get_bytes_avail(&c->ssl) > 0;
}

void grpc_tls_conn_free(struct grpc_tls_conn *c)
{
	if (!c)
		return;
	if (c->handshake_done)
		mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_ssl_free(&c->ssl);
	free(c);
}
