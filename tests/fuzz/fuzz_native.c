/* fuzz_native.c: libFuzzer harness for the native JSON shapes. The first
 * byte picks the route, modulo 4 ('0' to '3' in the corpus): CognObserve's
 * trace on /v1/traces, Neon traces, Neon spans, scores; the rest is the
 * body, decoded, stored and read back (fuzz_ingest). */
#include "fuzz.h"

static const enum ingest_route routes[4] = {INGEST_OTLP, INGEST_NEON_TRACES, INGEST_NEON_SPANS, INGEST_SCORES};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_ingest(routes[data[0] % 4], INGEST_JSON, NULL, data + 1, size - 1);
	return 0;
}
