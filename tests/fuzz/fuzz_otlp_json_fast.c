/* fuzz_otlp_json_fast.c: libFuzzer harness holding the OTLP/JSON fast path
 * to the cJSON path on a civetweb worker's stack: whatever
 * otlp_json_fast_decode takes, cJSON_ParseWithLengthOpts + otlp_json_decode
 * must take too and decode to the same packed request; otherwise it prints
 * what differed and aborts. (fuzz_otlp_json runs the server's whole path,
 * fast path first, and stores and reads back.) */
#include "fuzz.h"
#include "json_fast_diff.h"

struct step {
	const uint8_t *data;
	size_t size;
};

static void compare(void *arg)
{
	const struct step *s = arg;
	char why[640];
	if (json_fast_diff((const char *)s->data, s->size, why, sizeof why) < 0) {
		fprintf(stderr, "fuzz_otlp_json_fast: %s\n", why);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct step s = {data, size};
	fuzz_on_worker_stack(compare, &s);
	return 0;
}
