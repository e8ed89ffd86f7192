/* ids.c: trace and span ids as text: hex (and UUID) to bytes and back,
 * and foreign ids hashed to stable bytes. */
#include "base/ids.h"
#include "base/mbed.h"
#include <string.h>
#include "base/err.h"

int id_is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum err id_from_hex(const char *s, uint8_t *out, size_t n)
{
	size_t len = strlen(s), j = 0;
	int uuid = n == 16 && len == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-';
	if (len != 2 * n && !uuid)
		return ERR_BAD_INPUT;
	for (size_t i = 0; i < len; i++) {
		if (uuid && (i == 8 || i == 13 || i == 18 || i == 23))
			continue;
		int hi = hex_digit((unsigned char)s[i]), lo = i + 1 < len ? hex_digit((unsigned char)s[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			return ERR_BAD_INPUT;
		out[j++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return j == n ? ERR_OK : ERR_BAD_INPUT;
}

enum err id_from_any(const char *s, uint8_t *out, size_t n)
{
	if (!s || !*s)
		return ERR_BAD_INPUT;
	if (id_from_hex(s, out, n) == ERR_OK && !id_is_zero(out, n))
		return ERR_OK;
	unsigned char digest[32];
	mbedtls_sha256_ret((const unsigned char *)s, strlen(s), digest, 0);
	memcpy(out, digest, n);
	return ERR_OK;
}

void id_to_hex(const uint8_t *id, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * n] = 0;
}
