/* fuzz_otlp_pb.c: libFuzzer harness for OTLP protobuf bodies on /v1/traces:
 * protobuf-c unpacking of an ExportTraceServiceRequest, span validation,
 * then storing and reading back every span (fuzz_ingest). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ingest(INGEST_OTLP, INGEST_PROTOBUF, NULL, data, size);
	return 0;
}
