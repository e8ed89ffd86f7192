/* grpc_frame.h: gRPC's message framing on its own, pure and allocation-free
 * so it can be fuzzed: the 5-byte prefix (compressed flag, big-endian
 * length) of the one message a unary call's DATA carries, however the
 * frames split it, and the percent-encoding of grpc-message. */
#ifndef TL_GRPC_FRAME_H
#define TL_GRPC_FRAME_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

#define GRPC_PREFIX 5

/* What grpc_frame_check found. */
struct grpc_msg {
	int have_prefix;      /* the 5 prefix bytes have arrived: compressed and len are set */
	int compressed;       /* the prefix's flag: 1 = compressed with the call's grpc-encoding */
	uint32_t len;         /* the message length the prefix declares */
	const uint8_t *data;  /* the message (len bytes inside buf) once complete, else NULL */
};

/* Checks the request bytes buf[0..len) received so far on a unary call
 * (ended: the client has ended the stream) against max, the largest
 * message taken. Returns ERR_OK with m->data set once exactly one complete
 * message has arrived and the stream ended; ERR_OK with m->data NULL while
 * more is to come (m->have_prefix tells whether m->len is known, so a
 * caller can refuse early and size its buffer); ERR_TOO_LARGE when the
 * prefix declares more than max; ERR_BAD_INPUT for a flag other than 0 or
 * 1, bytes after the message (a unary call carries one), or a stream that
 * ended before its message did (a length prefix that lies). err names the
 * problem. */
enum err grpc_frame_check(const uint8_t *buf, size_t len, int ended, size_t max, struct grpc_msg *m, char *err,
                          size_t errlen);

/* Writes the prefix of a len-byte message (compressed 0 or 1) to out. */
void grpc_frame_prefix(uint8_t out[GRPC_PREFIX], int compressed, uint32_t len);

/* Percent-encodes msg for grpc-message (every byte outside 0x20..0x7e, and
 * '%', as %XX) into out, always NUL-terminated, cutting at a whole escape
 * when out is too small. Returns the length written. */
size_t grpc_percent_encode(const char *msg, char *out, size_t outlen);

#endif
