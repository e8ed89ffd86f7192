/* fuzz_otlp_json.c: libFuzzer harness for OTLP/JSON bodies on /v1/traces:
 * the fast path (otlp_json_fast_decode), or cJSON and otlp_json_decode (a
 * body without resourceSpans goes to the CognObserve decoder, as in the
 * server), span validation, then storing and reading back every span
 * (fuzz_ingest). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ingest(INGEST_OTLP, INGEST_JSON, NULL, data, size);
	return 0;
}
