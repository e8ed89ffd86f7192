/* json_fast_diff.h: the OTLP/JSON fast path held to the cJSON path, shared
 * by fuzz_otlp_json_fast and tests/unit/test_otlp_json_fast.c. */
#ifndef TL_JSON_FAST_DIFF_H
#define TL_JSON_FAST_DIFF_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "otlp/otlp_json.h"
#include "otlp/otlp_json_fast.h"

static inline uint8_t *json_fast_pack(const Tl__ExportTraceServiceRequest *req, size_t *n)
{
	*n = tl__export_trace_service_request__get_packed_size(req);
	uint8_t *buf = malloc(*n + 1);
	if (!buf)
		abort();
	tl__export_trace_service_request__pack(req, buf);
	return buf;
}

/* Decodes text[0..len) with otlp_json_fast_decode and, when it takes it,
 * with cJSON_ParseWithLengthOpts + otlp_json_decode. Returns 0 when the fast
 * path left it, 1 when both decoded it to the same packed request, -1 with
 * why filled when they disagree. */
static inline int json_fast_diff(const char *text, size_t len, char *why, size_t whylen)
{
	struct arena *fa = arena_new(), *sa = arena_new();
	Tl__ExportTraceServiceRequest *fast = NULL, *slow = NULL;
	int rc = otlp_json_fast_decode(text, len, fa, &fast);
	if (rc && !fast) {
		snprintf(why, whylen, "took the body but left *out NULL");
		rc = -1;
	} else if (!rc && fast) {
		snprintf(why, whylen, "left the body but set *out");
		rc = -1;
	} else if (rc) {
		char err[512] = "";
		cJSON *root = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
		int src = root ? otlp_json_decode(root, sa, &slow, err, sizeof err) : -1;
		if (src) {
			snprintf(why, whylen, "the fast path took a body the cJSON path refuses (%d: %s)", src, err);
			rc = -1;
		} else {
			size_t fn, sn;
			uint8_t *fb = json_fast_pack(fast, &fn), *sb = json_fast_pack(slow, &sn);
			if (fn != sn || memcmp(fb, sb, fn) != 0) {
				snprintf(why, whylen, "decoded differently (%zu vs %zu packed bytes)", fn, sn);
				rc = -1;
			}
			free(fb);
			free(sb);
		}
		cJSON_Delete(root);
	}
	arena_free(fa);
	arena_free(sa);
	return rc;
}

#endif
