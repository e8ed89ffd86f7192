/* grpc_frame.c: the 5-byte message prefix of gRPC over HTTP/2 and the
 * percent-encoding of grpc-message (see grpc_frame.h); the frames that
 * carry them are nghttp2's business in grpc.c. */
#include "server/grpc_frame.h"
#include <assert.h>

enum err grpc_frame_check(const uint8_t *buf, size_t len, int ended, size_t max, struct grpc_msg *m, char *err,
                          size_t errlen)
{
	m->have_prefix = 0;
	m->compressed = 0;
	m->len = 0;
	m->data = NULL;
	if (len < GRPC_PREFIX) {
		if (len && buf[0] > 1)
			return err_set(err, errlen, ERR_BAD_INPUT, "message prefix: compressed flag %u (must be 0 or 1)", buf[0]);
		if (!ended)
			return ERR_OK;
		return err_set(err, errlen, ERR_BAD_INPUT,
		               len ? "stream ended inside the 5-byte message prefix" : "no message: the request is empty");
	}
	if (buf[0] > 1)
		return err_set(err, errlen, ERR_BAD_INPUT, "message prefix: compressed flag %u (must be 0 or 1)", buf[0]);
	m->have_prefix = 1;
	m->compressed = buf[0];
	m->len = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
	if (m->len > max)
		return err_set(err, errlen, ERR_TOO_LARGE, "message of %u bytes exceeds the limit of %zu bytes", m->len, max);
	size_t want = GRPC_PREFIX + (size_t)m->len;
	if (len > want)
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "%zu bytes after the %u-byte message: a unary call carries exactly one message",
		               len - want, m->len);
	if (len < want) {
		if (!ended)
			return ERR_OK;
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "stream ended after %zu of the %u message bytes its prefix declares", len - GRPC_PREFIX, m->len);
	}
	if (ended)
		m->data = buf + GRPC_PREFIX;
	return ERR_OK;
}

void grpc_frame_prefix(uint8_t out[GRPC_PREFIX], int compressed, uint32_t len)
{
	assert(compressed == 0 || compressed == 1);
	out[0] = (uint8_t)compressed;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
}

size_t grpc_percent_encode(const char *msg, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	if (!outlen)
		return 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		int plain = *p >= 0x20 && *p <= 0x7e && *p != '%';
		if (n + (plain ? 1 : 3) >= outlen)
			break;
		if (plain) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = 0;
	return n;
}
