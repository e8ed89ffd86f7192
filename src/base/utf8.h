/* utf8.h: the one UTF-8 rule (RFC 3629: no overlongs, no surrogates,
 * nothing past U+10FFFF) that the JSON writer, the API's printed answers
 * and the search snippets share, and the repair that turns each byte not
 * starting a well-formed sequence into U+FFFD. */
#ifndef TL_UTF8_H
#define TL_UTF8_H
#include <stddef.h>

/* The UTF-8 encoding of U+FFFD, what a repair writes for a bad byte. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Returns the length (1-4) of the well-formed character at s[0..n), or 0
 * if s[0] does not start one that fits in n. Required: n >= 1. */
size_t utf8_char_len(const unsigned char *s, size_t n);

/* Returns the length of the longest well-formed prefix of s[0..n); n when
 * all of it is well formed. */
size_t utf8_valid_len(const char *s, size_t n);

/* Writes s[0..n) into out with each byte that does not start a
 * well-formed character replaced by U+FFFD, and returns the length
 * written (no NUL added). With out NULL only returns the length, at most
 * 3n, so a caller sizes its buffer with a first call. */
size_t utf8_repair(const char *s, size_t n, char *out);

#endif
