/* fuzz_inflate.c: libFuzzer harness for compressed bodies on /v1/traces.
 * The first byte picks the Content-Encoding (bit 0: gzip or deflate) and
 * the Content-Type (bit 1: JSON or protobuf), so '0' to '3' in the corpus;
 * the rest is inflated under the size cap, decoded, stored and read back
 * (fuzz_ingest). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_ingest(INGEST_OTLP, data[0] & 2 ? INGEST_PROTOBUF : INGEST_JSON, data[0] & 1 ? "deflate" : "gzip",
	            data + 1, size - 1);
	return 0;
}
