/* fuzz_otlp_json_fast.c: libFuzzer harness holding the OTLP/JSON fast path
 * to the cJSON path on a civetweb worker's stack: whatever
 * otlp_json_fast_decode takes, cJSON_ParseWithLengthOpts + otlp_json_decode
 * must take too and decode to the same packed request; otherwise it prints
 * what differed and aborts. (fuzz_otlp_json runs the server's whole path,
 * fast path first, and stores and reads back.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "fuzz.h"
#include "otlp/otlp_json.h"
#include "otlp/otlp_json_fast.h"

struct step {
	const uint8_t *data;
	size_t size;
};

static uint8_t *pack(const Tl__ExportTraceServiceRequest *req, size_t *n)
{
	*n = tl__export_trace_service_request__get_packed_size(req);
	uint8_t *buf = malloc(*n + 1);
	if (!buf)
		abort();
	tl__export_trace_service_request__pack(req, buf);
	return buf;
}

static void compare(void *arg)
{
	const struct step *s = arg;
	struct arena *fa = arena_new(), *sa = arena_new();
	Tl__ExportTraceServiceRequest *fast = NULL, *slow = NULL;
	if (otlp_json_fast_decode((const char *)s->data, s->size, fa, &fast)) {
		char err[512] = "";
		cJSON *root = cJSON_ParseWithLengthOpts((const char *)s->data, s->size, NULL, 0);
		int rc = root ? otlp_json_decode(root, sa, &slow, err, sizeof err) : -1;
		if (rc) {
			fprintf(stderr, "fuzz_otlp_json_fast: the fast path took a body the cJSON path refuses (%d: %s)\n", rc,
			        err);
			abort();
		}
		size_t fn, sn;
		uint8_t *fb = pack(fast, &fn), *sb = pack(slow, &sn);
		if (fn != sn || memcmp(fb, sb, fn) != 0) {
			fprintf(stderr, "fuzz_otlp_json_fast: decoded differently (%zu vs %zu packed bytes)\n", fn, sn);
			abort();
		}
		free(fb);
		free(sb);
		cJSON_Delete(root);
	}
	arena_free(fa);
	arena_free(sa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct step s = {data, size};
	fuzz_on_worker_stack(compare, &s);
	return 0;
}
