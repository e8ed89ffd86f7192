/* ids.h: trace and span ids as text (hex, UUIDs) and as bytes. */
#ifndef TL_IDS_H
#define TL_IDS_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

/* Returns 1 if all n bytes of p are zero (an unset OTLP id). */
int id_is_zero(const uint8_t *p, size_t n);
/* Converts an id string to bytes: exactly 2*n hex digits, or (n == 16) a
 * UUID with dashes. Returns ERR_OK or ERR_BAD_INPUT. */
enum err id_from_hex(const char *s, uint8_t *out, size_t n);
/* Like id_from_hex, but any other non-empty string is hashed (SHA-256,
 * first n bytes), so foreign ids ("run-42") map to stable OTLP ids; the API
 * uses the same mapping to look them up. Returns ERR_OK, or ERR_BAD_INPUT for "". */
enum err id_from_any(const char *s, uint8_t *out, size_t n);
/* Returns the value of hex digit c (either case), or -1. */
int hex_digit(int c);
/* Writes 2*n lowercase hex digits and a NUL to out. */
void id_to_hex(const uint8_t *id, size_t n, char *out);

#endif
