/* secret.h: what every secret (API key, session token, login link) needs:
 * random bytes from mbedtls' CTR-DRBG seeded by the kernel's entropy, a
 * SHA-256 digest to store instead of the secret, and a comparison whose
 * time does not depend on where two digests differ. */
#ifndef TL_SECRET_H
#define TL_SECRET_H
#include <stddef.h>
#include "base/err.h"

#define SECRET_HASH_SIZE 32       /* SHA-256 */
#define SECRET_TOKEN_BYTES 32     /* random bytes in a key or token */
/* A token as text: SECRET_TOKEN_BYTES as lowercase hex, with a NUL. */
#define SECRET_TOKEN_HEX (2 * SECRET_TOKEN_BYTES + 1)

/* Fills buf with n cryptographically strong random bytes (thread-safe).
 * Aborts if the entropy source fails: no secret is better than a weak one. */
void secret_random(void *buf, size_t n);
/* Writes a fresh random token (SECRET_TOKEN_BYTES, hex) to out. */
void secret_token(char out[SECRET_TOKEN_HEX]);
/* out = SHA-256 of the n bytes at data. */
void secret_hash(const void *data, size_t n, unsigned char out[SECRET_HASH_SIZE]);
/* Returns 1 if the n bytes at a and b are equal, taking the same time
 * wherever they differ, else 0. */
int secret_equal(const void *a, const void *b, size_t n);
/* Checks that s could be a key or token: 1..SECRET_TEXT_MAX bytes of
 * [A-Za-z0-9_-]. Returns ERR_OK, else ERR_BAD_INPUT with err saying why
 * (never quoting s: it may be a mistyped secret). */
#define SECRET_TEXT_MAX 200
enum err secret_check_text(const char *s, size_t len, char *err, size_t errlen);

#endif
