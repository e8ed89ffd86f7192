/* fuzz_grpc_frame.c: libFuzzer harness for the gRPC message framing
 * (grpc_frame.c) as the server meets it. Byte 0 picks the DATA frame size
 * (1..256) the rest is cut into, byte 1 bit 0 the method (traces or
 * metrics); the rest is the call's DATA. Each cut is checked as it
 * arrives, as on_data_chunk does, then the end; a complete message goes
 * through the ingest path with its compressed flag as gzip (fuzz_ingest).
 * Invariants: a verdict never changes once given, a complete message lies
 * exactly inside the input, and grpc-message encoding only emits
 * 0x20..0x7e and decodes back to a prefix of its input. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "server/grpc_frame.h"

#define FUZZ_MSG_MAX (1u << 20)

static void check_percent(const uint8_t *data, size_t size)
{
	char in[512], out[256], back[512];
	size_t n = size < sizeof in - 1 ? size : sizeof in - 1;
	memcpy(in, data, n);
	in[n] = 0;
	size_t len = grpc_percent_encode(in, out, sizeof out), b = 0;
	assert(len == strlen(out));
	for (size_t i = 0; i < len; i++) {
		assert(out[i] >= 0x20 && out[i] <= 0x7e);
		if (out[i] == '%') {
			assert(i + 2 < len);
			back[b++] = (char)strtol((char[]){out[i + 1], out[i + 2], 0}, NULL, 16);
			i += 2;
		} else {
			back[b++] = out[i];
		}
	}
	assert(b <= strlen(in) && !memcmp(back, in, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t step = (size_t)data[0] + 1;
	int metrics = data[1] & 1;
	const uint8_t *body = data + 2;
	size_t len = size - 2;
	char err[256];
	struct grpc_msg m;
	check_percent(body, len);
	for (size_t cut = step < len ? step : len;; cut = cut + step < len ? cut + step : len) {
		enum err rc = grpc_frame_check(body, cut, 0, FUZZ_MSG_MAX, &m, err, sizeof err);
		assert(!m.data);
		if (rc) {
			/* refused early: the whole stream is refused too */
			assert(grpc_frame_check(body, len, 1, FUZZ_MSG_MAX, &m, err, sizeof err) != ERR_OK);
			return 0;
		}
		if (cut == len)
			break;
	}
	if (grpc_frame_check(body, len, 1, FUZZ_MSG_MAX, &m, err, sizeof err))
		return 0;
	assert(m.data == body + GRPC_PREFIX && GRPC_PREFIX + (size_t)m.len == len);
	fuzz_ingest(metrics ? INGEST_METRICS : INGEST_OTLP, INGEST_PROTOBUF, m.compressed ? "gzip" : NULL, m.data, m.len);
	return 0;
}
