/* mbed.h: the mbedtls calls tracelite makes, under one set of names on
 * mbedtls 2.28 (Debian 12) and 3.x (Debian 13): 3.x renamed the SHA-256
 * *_ret functions, wants an RNG when parsing and checking private keys,
 * and replaced the serial and TLS version setters. Include this instead of
 * the mbedtls headers it covers. */
#ifndef TL_MBED_H
#define TL_MBED_H
#include <stddef.h>
#include <sys/random.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define mbedtls_sha256_ret mbedtls_sha256
#define mbedtls_sha256_starts_ret mbedtls_sha256_starts
#define mbedtls_sha256_update_ret mbedtls_sha256_update
#define mbedtls_sha256_finish_ret mbedtls_sha256_finish
#endif

/* An mbedtls f_rng over the kernel's CSPRNG (getrandom), for the calls
 * that want one (key checks, blinding). Returns 0, or -1 if the kernel
 * gives fewer bytes than asked. */
static inline int mbed_random(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	while (len) {
		ssize_t n = getrandom(out, len, 0);
		if (n <= 0)
			return -1;
		out += n;
		len -= (size_t)n;
	}
	return 0;
}

/* mbedtls_pk_parse_key of an unencrypted key (PEM with its NUL counted in
 * len, or DER). */
static inline int mbed_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *key, size_t len)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	return mbedtls_pk_parse_key(pk, key, len, NULL, 0, mbed_random, NULL);
#else
	return mbedtls_pk_parse_key(pk, key, len, NULL, 0);
#endif
}

/* mbedtls_pk_parse_keyfile of an unencrypted key file. */
static inline int mbed_pk_parse_keyfile(mbedtls_pk_context *pk, const char *path)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	return mbedtls_pk_parse_keyfile(pk, path, NULL, mbed_random, NULL);
#else
	return mbedtls_pk_parse_keyfile(pk, path, NULL);
#endif
}

/* 0 when prv is the private key of pub. */
static inline int mbed_pk_check_pair(const mbedtls_pk_context *pub, const mbedtls_pk_context *prv)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	return mbedtls_pk_check_pair(pub, prv, mbed_random, NULL);
#else
	return mbedtls_pk_check_pair(pub, prv);
#endif
}

/* Sets the certificate's serial number to the big-endian bytes sn[0..len). */
static inline int mbed_x509write_crt_set_serial(mbedtls_x509write_cert *crt, const unsigned char *sn, size_t len)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03050000
	return mbedtls_x509write_crt_set_serial_raw(crt, (unsigned char *)sn, len);
#else
	mbedtls_mpi mpi;
	mbedtls_mpi_init(&mpi);
	int r = mbedtls_mpi_read_binary(&mpi, sn, len);
	if (!r)
		r = mbedtls_x509write_crt_set_serial(crt, &mpi);
	mbedtls_mpi_free(&mpi);
	return r;
#endif
}

/* TLS 1.2 at the least. */
static inline void mbed_ssl_conf_min_tls12(mbedtls_ssl_config *conf)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
	mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

#endif
