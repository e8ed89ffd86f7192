/* ingest.c: request body -> span batch. Inflates compressed bodies with a
 * hard cap (gzip bombs stop at SPAN_MAX_BODY), parses JSON once and routes
 * it to the OTLP or native decoder, unpacks protobuf into the arena. */
#include "ingest/ingest.h"
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include "base/err.h"
#include "base/jsonscan.h"
#include "ingest/native.h"
#include "otlp/otlp_json.h"
#include "otlp/otlp_json_fast.h"
#include "otlp/pbcheck.h"
#include "ingest/batch.h"
#include "ingest/metrics_in.h"
#include "ingest/logs_in.h"

/* While a request body is parsed, cJSON allocates from a per-request arena
 * (thousands of small nodes: malloc and free were a fifth of the JSON
 * ingest profile) and its frees are no-ops; otherwise it uses malloc. */
static _Thread_local struct arena *json_arena;

static void *json_alloc(size_t n)
{
	return json_arena ? arena_alloc(json_arena, n) : malloc(n);
}

static void json_free(void *p)
{
	if (!json_arena)
		free(p);
}

void ingest_init(void)
{
	cJSON_Hooks hooks = {.malloc_fn = json_alloc, .free_fn = json_free};
	cJSON_InitHooks(&hooks);
}

int ingest_content_type(const char *ct)
{
	if (!ct)
		return -1;
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, "; ");
	if ((n == 16 && strncasecmp(ct, "application/json", n) == 0))
		return INGEST_JSON;
	if ((n == 22 && strncasecmp(ct, "application/x-protobuf", n) == 0) ||
	    (n == 20 && strncasecmp(ct, "application/protobuf", n) == 0))
		return INGEST_PROTOBUF;
	return -1;
}

/* Inflates into a malloc'd buffer (*out, caller frees) of at most
 * SPAN_MAX_BODY bytes; the decoders copy what they keep, so it is freed
 * right after decoding. */
static int inflate_body(const void *in, size_t len, int gzip, struct reqmem *m, void **out, size_t *outlen,
                        char *err, size_t errlen)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
		abort();
	size_t cap = len * 4 < (1u << 16) ? (1u << 16) : len * 4, used = 0;
	if (cap > SPAN_MAX_BODY)
		cap = SPAN_MAX_BODY;
	int rc = reqmem_take(m, cap, err, errlen), zrc = Z_OK;
	if (rc)
		return rc;
	unsigned char *buf = malloc(cap);
	if (!buf)
		abort();
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)len;
	while (zrc != Z_STREAM_END) {
		if (used == cap) {
			if (cap == SPAN_MAX_BODY) {
				rc = err_set(err, errlen, ERR_TOO_LARGE, "body exceeds %u MiB once decompressed",
				             SPAN_MAX_BODY >> 20);
				goto out;
			}
			size_t grown_cap = cap * 2 > SPAN_MAX_BODY ? SPAN_MAX_BODY : cap * 2;
			if ((rc = reqmem_take(m, grown_cap - cap, err, errlen)))
				goto out;
			cap = grown_cap;
			unsigned char *grown = realloc(buf, cap);
			if (!grown)
				abort();
			buf = grown;
		}
		zs.next_out = buf + used;
		zs.avail_out = (uInt)(cap - used);
		zrc = inflate(&zs, Z_NO_FLUSH);
		used = cap - zs.avail_out;
		if (zrc == Z_STREAM_END)
			break;
		if (zrc != Z_OK && !(zrc == Z_BUF_ERROR && zs.avail_out == 0)) {
			rc = err_set(err, errlen, ERR_BAD_INPUT, "invalid %s body: %s", gzip ? "gzip" : "deflate",
			             zrc == Z_BUF_ERROR ? "truncated" : (zs.msg ? zs.msg : "corrupt data"));
			goto out;
		}
	}
	*out = buf;
	*outlen = used;
	buf = NULL;
out:
	inflateEnd(&zs);
	free(buf);
	return rc;
}

/* protobuf-c copies strings and builds a struct per message: about twice
 * the wire size. */
static int decode_protobuf(enum ingest_route route, const void *body, size_t len, struct span_batch *b,
                           struct reqmem *m, char *err, size_t errlen)
{
	char why[400];
	const ProtobufCMessageDescriptor *d = route == INGEST_METRICS ? &tl__export_metrics_service_request__descriptor
	                                      : route == INGEST_LOGS  ? &tl__export_logs_service_request__descriptor
	                                                              : &tl__export_trace_service_request__descriptor;
	int rc = reqmem_take(m, 2 * len, err, errlen);
	if (rc)
		return rc;
	if (pbcheck(d, body, len, why, sizeof why))
		return err_set(err, errlen, ERR_BAD_INPUT, "invalid protobuf: %s", why);
	ProtobufCAllocator pa;
	arena_protobuf_allocator(b->arena, &pa);
	ProtobufCMessage *msg = protobuf_c_message_unpack(d, &pa, len, body);
	if (!msg)
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "invalid protobuf: not an %s (truncated, wrong wire type or not a %s export)", d->short_name,
		               route == INGEST_METRICS ? "metrics" : route == INGEST_LOGS ? "logs" : "trace");
	if (route == INGEST_METRICS) {
		b->metric_points = metrics_in_points_pb((const Tl__ExportMetricsServiceRequest *)msg);
		return ERR_OK;
	}
	if (route == INGEST_LOGS)
		return logs_in_add_request(b, (const Tl__ExportLogsServiceRequest *)msg, err, errlen);
	return span_batch_add_request(b, (const Tl__ExportTraceServiceRequest *)msg, err, errlen);
}

/* A JSON body on /v1/traces without resourceSpans but with CognObserve's
 * spans or name is CognObserve's shape; anything else (a logs export, {})
 * goes to the OTLP decoder, which names what is missing. */
static int is_cognobserve(const cJSON *root)
{
	return cJSON_IsObject(root) && !cJSON_GetObjectItemCaseSensitive(root, "resourceSpans") &&
	       !cJSON_GetObjectItemCaseSensitive(root, "resource_spans") &&
	       (cJSON_GetObjectItemCaseSensitive(root, "spans") || cJSON_GetObjectItemCaseSensitive(root, "name"));
}

/* Decodes a parsed body (NULL: nothing to do); the decoders copy what they
 * keep into b->arena. */
static int decode_json_root(enum ingest_route route, const cJSON *root, struct span_batch *b, char *err,
                            size_t errlen)
{
	int rc;
	if (!root)
		return ERR_BAD_INPUT;
	if (route == INGEST_METRICS)
		return metrics_in_points_json(root, &b->metric_points, err, errlen);
	if (route == INGEST_LOGS) {
		Tl__ExportLogsServiceRequest *req = NULL;
		rc = otlp_json_decode_logs(root, b->arena, &req, err, errlen);
		return rc ? rc : logs_in_add_request(b, req, err, errlen);
	}
	if (route == INGEST_OTLP && !is_cognobserve(root)) {
		Tl__ExportTraceServiceRequest *req = NULL;
		rc = otlp_json_decode(root, b->arena, &req, err, errlen);
		if (!rc)
			rc = span_batch_add_request(b, req, err, errlen);
		return rc;
	}
	b->native = 1;
	switch (route) {
	case INGEST_OTLP:
		rc = native_cognobserve_decode(root, b, err, errlen);
		break;
	case INGEST_NEON_TRACES:
		rc = native_neon_traces_decode(root, b, err, errlen);
		break;
	case INGEST_NEON_SPANS:
		rc = native_neon_spans_decode(root, b, err, errlen);
		break;
	case INGEST_LANGFUSE:
		rc = native_langfuse_decode(root, b, err, errlen);
		break;
	default:
		rc = native_scores_decode(root, b, err, errlen);
		break;
	}
	return rc;
}

/* What the cJSON tree of a body costs: a node per value, a copy of its
 * strings, and the decoded spans' copy of them again. */
#define JSON_NODE_BYTES 64
#define JSON_MAX_VALUES ((REQMEM_BUDGET / 2) / JSON_NODE_BYTES)

static int decode_json(enum ingest_route route, const char *body, size_t len, struct span_batch *b,
                       struct reqmem *m, char *err, size_t errlen)
{
	struct json_shape shape;
	int rc = json_scan(body, len, JSON_MAX_VALUES, &shape, err, errlen);
	if (rc)
		return rc;
	/* a wrong root is refused before a tree is built for it */
	if (shape.root && strchr("[{\"-0123456789tfn", shape.root) &&
	    !(shape.root == '{' ||
	      (shape.root == '[' && route != INGEST_OTLP && route != INGEST_LANGFUSE && route != INGEST_METRICS &&
	       route != INGEST_LOGS)))
		return err_set(err, errlen, ERR_BAD_INPUT, "top level: expected a JSON object%s",
		               route == INGEST_OTLP       ? " (an ExportTraceServiceRequest)"
		               : route == INGEST_METRICS  ? " (an ExportMetricsServiceRequest)"
		               : route == INGEST_LOGS     ? " (an ExportLogsServiceRequest)"
		               : route == INGEST_LANGFUSE ? " with a \"batch\" array of events"
		                                          : " or an array of them");
	if ((rc = reqmem_take(m, shape.values * JSON_NODE_BYTES + 2 * len, err, errlen)))
		return rc;
	/* A well-formed trace export skips the cJSON tree; anything the fast
	 * path leaves is decoded (or refused, with its path) the slow way. */
	Tl__ExportTraceServiceRequest *req = NULL;
	if (route == INGEST_OTLP && otlp_json_fast_decode(body, len, b->arena, &req))
		return span_batch_add_request(b, req, err, errlen);
	const char *end = NULL;
	struct arena *parse = arena_new();
	json_arena = parse;
	cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	rc = decode_json_root(route, root, b, err, errlen);
	if (!root) {
		size_t at = end && end >= body ? (size_t)(end - body) : 0;
		rc = err_set(err, errlen, ERR_BAD_INPUT, "invalid JSON at byte %zu%s", at, at >= len ? " (truncated?)" : "");
	}
	/* a no-op walk once ingest_init routed cJSON into parse (freed whole);
	 * frees the tree in a caller that never called it */
	cJSON_Delete(root);
	json_arena = NULL;
	arena_free(parse);
	return rc;
}

enum err ingest_decode(enum ingest_route route, int encoding, const char *content_encoding, const void *body,
                       size_t len, struct span_batch *b, struct reqmem *m, char *err, size_t errlen)
{
	void *inflated = NULL;
	size_t inflated_len = 0;
	int rc;
	if (len > SPAN_MAX_BODY)
		return err_set(err, errlen, ERR_TOO_LARGE, "body exceeds %u MiB", SPAN_MAX_BODY >> 20);
	if (content_encoding && *content_encoding && strcasecmp(content_encoding, "identity") != 0) {
		int gzip = strcasecmp(content_encoding, "gzip") == 0 || strcasecmp(content_encoding, "x-gzip") == 0;
		if (!gzip && strcasecmp(content_encoding, "deflate") != 0)
			return err_set(err, errlen, ERR_MEDIA_TYPE,
			               "Content-Encoding '%.64s' not supported (use gzip, deflate or identity)",
			               content_encoding);
		if ((rc = inflate_body(body, len, gzip, m, &inflated, &inflated_len, err, errlen)))
			return rc;
		body = inflated;
		len = inflated_len;
	}
	if (encoding == INGEST_PROTOBUF && route != INGEST_OTLP && route != INGEST_METRICS && route != INGEST_LOGS)
		rc = err_set(err, errlen, ERR_MEDIA_TYPE, "this endpoint takes application/json");
	else if (encoding == INGEST_PROTOBUF)
		rc = decode_protobuf(route, body, len, b, m, err, errlen);
	else if (encoding == INGEST_JSON)
		rc = decode_json(route, body, len, b, m, err, errlen);
	else
		rc = err_set(err, errlen, ERR_MEDIA_TYPE, "Content-Type must be application/x-protobuf or application/json");
	free(inflated);
	return rc;
}
