/* text.c: scalar values as text: ISO-8601 and epoch times in and out, the
 * wall clock in nanoseconds, UUID text, bounded decimal integers. The one
 * place the unit rule for bare epoch numbers lives (text.h). */
#include "base/text.h"
#include <math.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "base/err.h"
#include "base/ids.h"

#define NS_PER_S 1000000000ull
#define TIME_MAX_NS ((uint64_t)INT64_MAX)

/* ---- times ---- */

/* Nanoseconds per unit of an epoch number whose integer part is v. */
static uint64_t epoch_unit(uint64_t v)
{
	if (v < 100000000000ull)
		return NS_PER_S;                 /* seconds */
	if (v < 100000000000000ull)
		return 1000000ull;               /* milliseconds */
	if (v < 100000000000000000ull)
		return 1000ull;                  /* microseconds */
	return 1;                            /* nanoseconds */
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of a day since 1970-01-01 (days >= 0). */
static void civil_from_days(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

/* Reads exactly n digits at *p into *out and moves *p past them. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];
		if (ch < '0' || ch > '9')
			return 0;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

/* The ISO-8601 form of text_parse_time; returns 1 with *out set, or 0. */
static int parse_iso(const char *s, uint64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	uint64_t frac = 0;
	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' || !digits(&s, 2, &d))
		return 0;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
			return 0;
		if (*s == ':') {
			s++;
			if (!digits(&s, 2, &sec))
				return 0;
			if (*s == '.' || *s == ',') {
				s++;
				int nd = 0;
				if (*s < '0' || *s > '9')
					return 0;
				for (; *s >= '0' && *s <= '9'; s++, nd++)
					if (nd < 9)
						frac = frac * 10 + (uint64_t)(*s - '0');
				for (; nd < 9; nd++)
					frac *= 10;
			}
		}
	}
	int64_t off = 0;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om = 0;
		if (!digits(&s, 2, &oh))
			return 0;
		if (*s == ':')
			s++;
		if (*s >= '0' && *s <= '9' && !digits(&s, 2, &om))
			return 0;
		if (oh > 23 || om > 59)
			return 0;
		off = sign * (oh * 3600 + om * 60);
	}
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (*s || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return 0;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (secs < 0 || (uint64_t)secs > (TIME_MAX_NS - frac) / NS_PER_S)
		return 0;
	*out = (uint64_t)secs * NS_PER_S + frac;
	return 1;
}

/* The epoch-number form of text_parse_time; returns 1 with *out set, or 0. */
static int parse_epoch(const char *s, uint64_t *out)
{
	uint64_t whole = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (whole > TIME_MAX_NS / 10)
			return 0;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return 0;
	uint64_t unit = epoch_unit(whole), frac = 0;
	if (s[i] == '.') {
		const char *f = s + i + 1;
		if (*f < '0' || *f > '9')
			return 0;
		/* the fraction's digits down to one nanosecond: unit / 10 per digit */
		for (uint64_t scale = unit / 10; *f >= '0' && *f <= '9'; f++, scale /= 10)
			frac += (uint64_t)(*f - '0') * scale;
		i = (size_t)(f - s);
	}
	if (s[i] || whole > TIME_MAX_NS / unit || whole * unit > TIME_MAX_NS - frac)
		return 0;
	*out = whole * unit + frac;
	return 1;
}

enum err text_parse_time(const char *s, uint64_t *ns)
{
	return parse_iso(s, ns) || parse_epoch(s, ns) ? ERR_OK : ERR_BAD_INPUT;
}

enum err text_epoch_ns(double v, uint64_t *ns)
{
	/* below 2^63, so the integer part converts exactly */
	if (!isfinite(v) || v < 0 || v >= 9.2e18)
		return ERR_BAD_INPUT;
	double ip = floor(v);
	uint64_t whole = (uint64_t)ip, unit = epoch_unit(whole);
	uint64_t frac = (uint64_t)llround((v - ip) * (double)unit);
	if (whole > TIME_MAX_NS / unit || whole * unit > TIME_MAX_NS - frac)
		return ERR_BAD_INPUT;
	*ns = whole * unit + frac;
	return ERR_OK;
}

/* Writes v as n decimal digits, zero-padded, at p; returns p + n. */
static char *put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

void text_format_iso_ms(uint64_t ns, char out[TEXT_ISO_MS_SIZE])
{
	uint64_t secs = ns / NS_PER_S, sod = secs % 86400;
	unsigned y, m, d;
	civil_from_days(secs / 86400, &y, &m, &d);
	char *p = put_digits(out, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)(sod / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod % 60), 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)(ns / 1000000ull % 1000), 3);
	*p++ = 'Z';
	*p = 0;
}

uint64_t text_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t text_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ---- UUIDs ---- */

void text_uuid_format(const uint8_t b[16], char out[TEXT_UUID_SIZE])
{
	char hex[33];
	id_to_hex(b, 16, hex);
	static const int groups[] = {8, 4, 4, 4, 12};
	const char *h = hex;
	char *p = out;
	for (int g = 0; g < 5; g++) {
		if (g)
			*p++ = '-';
		memcpy(p, h, (size_t)groups[g]);
		p += groups[g];
		h += groups[g];
	}
	*p = 0;
}

enum err text_uuid_parse(const char *s, uint8_t out[16])
{
	uint8_t b[16];
	/* id_from_hex takes 36 characters only as 8-4-4-4-12 */
	if (strlen(s) != 36 || id_from_hex(s, b, 16) != ERR_OK)
		return ERR_BAD_INPUT;
	memcpy(out, b, 16);
	return ERR_OK;
}

/* ---- integers ---- */

/* Reads 1 to 20 digits making up all of s into *mag; 0 on overflow. */
static int magnitude(const char *s, uint64_t *mag)
{
	uint64_t v = 0;
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		unsigned dgt = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - dgt) / 10)
			return 0;
		v = v * 10 + dgt;
	}
	*mag = v;
	return 1;
}

enum err text_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int neg = *s == '-';
	uint64_t mag;
	if (!magnitude(s + neg, &mag) || mag > (uint64_t)INT64_MAX + neg)
		return ERR_BAD_INPUT;
	int64_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
	if (v < min || v > max)
		return ERR_BAD_INPUT;
	*out = v;
	return ERR_OK;
}

enum err text_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	if (!magnitude(s, &v) || v < min || v > max)
		return ERR_BAD_INPUT;
	*out = v;
	return ERR_OK;
}

enum err text_host_port(const char *s, size_t len, int default_port, char *host, size_t hostlen, int *port)
{
	const char *end = s + len, *h = s, *hend = end, *p;
	if (len && s[0] == '[') {
		h = s + 1;
		if (!(hend = memchr(h, ']', len - 1)))
			return ERR_BAD_INPUT;
		p = hend + 1;
	} else {
		for (const char *q = end; q > s; q--)
			if (q[-1] == ':') {
				hend = q - 1;
				break;
			}
		p = hend;
	}
	size_t n = (size_t)(hend - h);
	if (!n || n >= hostlen)
		return ERR_BAD_INPUT;
	if (p == end) {
		if (default_port < 1 || default_port > 65535)
			return ERR_BAD_INPUT;
		*port = default_port;
	} else {
		char digits[8];
		int64_t v;
		size_t dn = (size_t)(end - p - 1);
		if (*p != ':' || dn >= sizeof digits)
			return ERR_BAD_INPUT;
		memcpy(digits, p + 1, dn);
		digits[dn] = 0;
		if (text_parse_i64(digits, 1, 65535, &v))
			return ERR_BAD_INPUT;
		*port = (int)v;
	}
	memcpy(host, h, n);
	host[n] = 0;
	return ERR_OK;
}

/* ---- sizes ---- */

enum err text_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *unit; uint64_t mult; } units[] = {
		{"", 1}, {"b", 1},
		{"k", 1000ull}, {"kb", 1000ull}, {"kib", 1ull << 10},
		{"m", 1000000ull}, {"mb", 1000000ull}, {"mib", 1ull << 20},
		{"g", 1000000000ull}, {"gb", 1000000000ull}, {"gib", 1ull << 30},
		{"t", 1000000000000ull}, {"tb", 1000000000000ull}, {"tib", 1ull << 40},
	};
	uint64_t whole = 0, frac = 0, scale = 1, mult = 0;
	size_t nd = 0, nf = 0;
	for (; s[nd] >= '0' && s[nd] <= '9'; nd++) {
		unsigned dgt = (unsigned)(s[nd] - '0');
		if (whole > (UINT64_MAX - dgt) / 10)
			return ERR_BAD_INPUT;
		whole = whole * 10 + dgt;
	}
	if (!nd)
		return ERR_BAD_INPUT;
	const char *p = s + nd;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nf++) {
			if (nf == 9)
				return ERR_BAD_INPUT;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (!nf)
			return ERR_BAD_INPUT;
	}
	for (size_t i = 0; i < sizeof units / sizeof *units && !mult; i++)
		if (!strcasecmp(p, units[i].unit))
			mult = units[i].mult;
	if (!mult || whole > UINT64_MAX / mult)
		return ERR_BAD_INPUT;
	/* frac / scale < 1, so frac * mult / scale < mult; computed without
	 * overflow as whole units of mult / scale plus the remainder's share */
	uint64_t part = frac * (mult / scale) + frac * (mult % scale) / scale;
	if (whole * mult > UINT64_MAX - part)
		return ERR_BAD_INPUT;
	*out = whole * mult + part;
	return ERR_OK;
}
