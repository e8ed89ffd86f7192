/* sha256.h: mbedtls's SHA-256 under the 2.28 names (Debian 12) on 3.x too
 * (Debian 13), where the int-returning *_ret functions took the plain names.
 * Include this instead of <mbedtls/sha256.h>. */
#ifndef TL_SHA256_H
#define TL_SHA256_H
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define mbedtls_sha256_ret mbedtls_sha256
#define mbedtls_sha256_starts_ret mbedtls_sha256_starts
#define mbedtls_sha256_update_ret mbedtls_sha256_update
#define mbedtls_sha256_finish_ret mbedtls_sha256_finish
#endif

#endif
