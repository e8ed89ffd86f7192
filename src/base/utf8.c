/* utf8.c: UTF-8 validation and repair (utf8.h). */
#include "base/utf8.h"
#include <string.h>

size_t utf8_char_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;          /* no overlong 3-byte forms */
		else if (c == 0xED)
			hi = 0x9F;          /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;          /* no overlong 4-byte forms */
		else if (c == 0xF4)
			hi = 0x8F;          /* nothing past U+10FFFF */
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

size_t utf8_valid_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_char_len(s + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

size_t utf8_repair(const char *str, size_t n, char *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0, i = 0;
	while (i < n) {
		size_t k = utf8_char_len(s + i, n - i);
		const void *from = k ? (const void *)(s + i) : UTF8_REPLACEMENT;
		size_t len = k ? k : 3;
		if (out)
			memcpy(out + o, from, len);
		o += len;
		i += k ? k : 1;
	}
	return o;
}
