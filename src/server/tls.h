/* tls.h: the HTTPS certificate and key. Checked with mbedtls before
 * civetweb (which loads OpenSSL at run time) gets them, so a bad or missing
 * file stops start-up naming the file and the problem; --tls-self-signed
 * makes an ECDSA P-256 pair in the data directory on first start. */
#ifndef TL_TLS_H
#define TL_TLS_H
#include <stddef.h>
#include "base/err.h"
#include "server/config.h"

/* Longest certificate or key file read (a chain of a few certificates). */
#define TLS_FILE_MAX (1u << 20)
/* Size of a SHA-256 fingerprint as text ("AB:CD:..." and a NUL). */
#define TLS_FINGERPRINT_SIZE 96
#define TLS_SELF_CERT "tls-self-signed.crt"
#define TLS_SELF_KEY "tls-self-signed.key"

/* What serving HTTPS uses, from tls_prepare. */
struct tls_files {
	char cert[CONFIG_PATH_MAX];  /* PEM: the certificate, then any intermediates */
	char key[CONFIG_PATH_MAX];   /* PEM: its private key, not encrypted */
	char fingerprint[TLS_FINGERPRINT_SIZE]; /* SHA-256 of the certificate's DER, "AB:CD:..." */
	int created;                 /* the self-signed pair was made on this start */
};

/* For c->tls_on: resolves the files (--tls-cert/--tls-key, or the
 * self-signed pair in c->data, made there when either is missing, key
 * mode 0600), checks them with tls_check and that this civetweb can do
 * TLS (OpenSSL's libssl.so present). Returns ERR_OK with *out filled, or
 * ERR_BAD_INPUT with err naming the file and the problem. */
enum err tls_prepare(const struct config *c, struct tls_files *out, char *err, size_t errlen);
/* Checks that cert holds at least one PEM certificate, valid now, and key
 * an unencrypted PEM private key matching the first certificate; fills
 * fp with the first certificate's SHA-256 fingerprint. Returns ERR_OK, or
 * ERR_BAD_INPUT with err naming the file and the problem. */
enum err tls_check(const char *cert, const char *key, char fp[TLS_FINGERPRINT_SIZE], char *err, size_t errlen);
/* Writes a new ECDSA P-256 key (mode 0600) and a self-signed certificate,
 * valid for 10 years, for localhost, 127.0.0.1, ::1, this machine's host
 * name and host (a DNS name or an IP literal, brackets allowed; NULL or
 * an any-address adds nothing), each through a temporary file renamed
 * into place. Returns ERR_OK, or ERR_STORE with err naming the file. */
enum err tls_self_signed(const char *cert, const char *key, const char *host, char *err, size_t errlen);
/* Opens a memory file holding key then cert (civetweb's ssl_certificate
 * wants both in one file; the key is not copied to disk) and writes its
 * /proc/self/fd path to path. Returns the descriptor (close it once
 * civetweb started), or -1 with err filled. */
int tls_pem_for_civetweb(const struct tls_files *f, char *path, size_t pathlen, char *err, size_t errlen);

/* Debian's civetweb 1.15 loads OpenSSL at run time by names of the 1.1
 * API; OpenSSL 3 lacks one, SSL_get_peer_certificate (a macro for
 * SSL_get1_peer_certificate now), so its pointer stays NULL and the first
 * TLS connection crashed the server. Call after mg_init_library(TLS) and
 * again after mg_start2 (civetweb may load the table again): sets that
 * pointer in civetweb's table to SSL_get1_peer_certificate (same
 * contract), only when the table's layout is recognised. Returns ERR_OK
 * when the pointer is set (or libssl still has the old name), else
 * ERR_BAD_INPUT with err saying TLS cannot be served. */
enum err tls_civetweb_fix(char *err, size_t errlen);

#endif
