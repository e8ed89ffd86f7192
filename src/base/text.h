/* text.h: scalar values as text, one parser or writer each: times (ISO-8601
 * and epoch numbers), the current time, UUIDs and bounded decimal integers.
 * Every function that parses takes the whole string (no leading or trailing
 * blanks, no sign where none is allowed) and returns ERR_OK or
 * ERR_BAD_INPUT, leaving *out untouched on failure. */
#ifndef TL_TEXT_H
#define TL_TEXT_H
#include <stdint.h>
#include "base/err.h"

/* Times are unix nanoseconds from 0 to INT64_MAX (1970-01-01 to
 * 2262-04-11T23:47:16.854775807Z), what a signed 64-bit column holds.
 *
 * An epoch number's magnitude says its unit; the rule, applied to the
 * integer part v:
 *     v < 1e11   seconds       (up to 5138-11-16 in seconds)
 *     v < 1e14   milliseconds  (1973-03-03 .. 5138 in ms)
 *     v < 1e17   microseconds  (1973-03-03 .. 5138 in us)
 *     otherwise  nanoseconds   (from 1973-03-03 in ns)
 * so any time after 1973 is read right in any of the four units. */

/* Parses s into *ns: either ISO-8601
 *     YYYY-MM-DD[(T|t| )hh:mm[:ss[(.|,)f+]]][Z|z|(+|-)hh[[:]mm]]
 * (no zone = UTC; fraction digits past the ninth are dropped; day checked
 * against its month and leap years), or an epoch number: decimal digits
 * with an optional ".digits" fraction, its unit told by the rule above
 * (fraction digits finer than a nanosecond are dropped). Returns ERR_OK, or
 * ERR_BAD_INPUT for anything else (*ns then unspecified). */
enum err text_parse_time(const char *s, uint64_t *ns);
/* Converts an epoch number that came as a double (a JSON number) to *ns by
 * the same rule, rounding the fraction to the nearest nanosecond. Negative,
 * non-finite and out-of-range values are ERR_BAD_INPUT; else ERR_OK. */
enum err text_epoch_ns(double v, uint64_t *ns);

/* Size of text_format_iso_ms's output, NUL included. */
#define TEXT_ISO_MS_SIZE 25
/* Writes ns as "YYYY-MM-DDThh:mm:ss.mmmZ" (UTC, milliseconds truncated)
 * and a NUL to out. Any uint64_t is a year below 10000, so the length is
 * always TEXT_ISO_MS_SIZE - 1. */
void text_format_iso_ms(uint64_t ns, char out[TEXT_ISO_MS_SIZE]);

/* The wall clock (CLOCK_REALTIME) in unix nanoseconds. */
uint64_t text_now_ns(void);
/* A clock for durations (CLOCK_MONOTONIC) in nanoseconds: never steps back. */
uint64_t text_monotonic_ns(void);

/* Size of a UUID's text, NUL included. */
#define TEXT_UUID_SIZE 37
/* Writes the 16 bytes as a lowercase 8-4-4-4-12 UUID and a NUL to out. */
void text_uuid_format(const uint8_t b[16], char out[TEXT_UUID_SIZE]);
/* Parses exactly a 36-character 8-4-4-4-12 UUID (hex digits of either
 * case) into 16 bytes. Returns ERR_OK or ERR_BAD_INPUT. */
enum err text_uuid_parse(const char *s, uint8_t out[16]);

/* Parses s as a whole decimal integer in [min, max]: an optional '-', then
 * at least one digit; no '+', blanks, or other bases. Returns ERR_OK, or
 * ERR_BAD_INPUT (*out unchanged). */
enum err text_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Parses s as a whole unsigned decimal integer in [min, max]: at least one
 * digit and nothing else. Returns ERR_OK, or ERR_BAD_INPUT (*out unchanged). */
enum err text_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parses a byte size: digits, an optional fraction (".5", up to 9 digits)
 * and an optional unit, case-insensitive, nothing else: B; K, KB, M, MB, G,
 * GB, T, TB (powers of 1000, as disks are sold and df -H shows); KiB, MiB,
 * GiB, TiB (powers of 1024). "2GB" = 2,000,000,000; "1.5GiB" = 1,610,612,736.
 * Fractions of a byte round down. Returns ERR_OK, or ERR_BAD_INPUT (junk,
 * a sign, blanks, or more than UINT64_MAX bytes; *out unchanged). */
enum err text_parse_size(const char *s, uint64_t *out);

/* Splits the authority of an address or URL, LEN bytes at S: "HOST:PORT",
 * "[IPV6]:PORT", or, when DEFAULT_PORT is 1..65535, "HOST" or "[IPV6]" alone.
 * Unbracketed, the port follows the last ':'. Writes HOST without brackets,
 * NUL-terminated, and *PORT (1..65535). Returns ERR_OK, or ERR_BAD_INPUT for
 * an empty host, a host of HOSTLEN bytes or more, a bad or missing port, or
 * anything after the port (host and *port then unspecified). */
enum err text_host_port(const char *s, size_t len, int default_port, char *host, size_t hostlen, int *port);

#endif
