/* secret.c: random bytes (one CTR-DRBG behind a mutex, seeded once from
 * the platform entropy source), SHA-256 and a constant-time comparison,
 * all from mbedtls. */
#include "base/secret.h"
#include <mbedtls/constant_time.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "base/ids.h"
#include "base/mbed.h"   /* SHA-256 under one name on mbedtls 2.28 and 3.x */

static pthread_mutex_t drbg_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static int seeded;

void secret_random(void *buf, size_t n)
{
	static const unsigned char personal[] = "tracelite secret";
	pthread_mutex_lock(&drbg_lock);
	if (!seeded) {
		mbedtls_entropy_init(&entropy);
		mbedtls_ctr_drbg_init(&drbg);
		if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, personal, sizeof personal - 1)) {
			fprintf(stderr, "tracelite: cannot seed the random generator from the entropy source\n");
			abort();
		}
		seeded = 1;
	}
	/* one call gives at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes */
	for (size_t off = 0; off < n;) {
		size_t k = n - off < MBEDTLS_CTR_DRBG_MAX_REQUEST ? n - off : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		if (mbedtls_ctr_drbg_random(&drbg, (unsigned char *)buf + off, k)) {
			fprintf(stderr, "tracelite: the random generator failed\n");
			abort();
		}
		off += k;
	}
	pthread_mutex_unlock(&drbg_lock);
}

void secret_token(char out[SECRET_TOKEN_HEX])
{
	unsigned char b[SECRET_TOKEN_BYTES];
	secret_random(b, sizeof b);
	id_to_hex(b, sizeof b, out);
	out[SECRET_TOKEN_HEX - 1] = 0;
}

void secret_hash(const void *data, size_t n, unsigned char out[SECRET_HASH_SIZE])
{
	if (mbedtls_sha256_ret(data, n, out, 0))
		abort();
}

int secret_equal(const void *a, const void *b, size_t n)
{
	return mbedtls_ct_memcmp(a, b, n) == 0;
}

enum err secret_check_text(const char *s, size_t len, char *err, size_t errlen)
{
	if (!len)
		return err_set(err, errlen, ERR_BAD_INPUT, "empty key");
	if (len > SECRET_TEXT_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "malformed key: longer than %d bytes", SECRET_TEXT_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return err_set(err, errlen, ERR_BAD_INPUT,
			               "malformed key: byte %zu is not a letter, digit, '_' or '-'", i + 1);
	}
	return ERR_OK;
}
