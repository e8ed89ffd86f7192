/* otlp_json_fast.h: the fast path of OTLP/JSON trace decoding: straight from
 * the text into protobuf-c structs, for the well-formed common case. It never
 * reports an error itself: whatever it does not take, the cJSON path
 * (otlp_json.h) decodes or refuses with its precise message. */
#ifndef TL_OTLP_JSON_FAST_H
#define TL_OTLP_JSON_FAST_H
#include <stddef.h>
#include "base/arena.h"
#include "otlp.pb-c.h"

/* Decodes text[0..len), an OTLP/JSON ExportTraceServiceRequest, into *out
 * (every part in a) and returns 1 when cJSON_ParseWithLengthOpts followed by
 * otlp_json_decode would succeed on it and build the same structs. Returns 0
 * with *out NULL otherwise, and also for inputs it leaves to that path although
 * they are valid: escapes in keys, ids and integer strings, a \u0000, a NUL
 * byte in a string, duplicate or camel-and-snake keys, a null resourceSpans,
 * bytesValue, doubleValue as a string, whitespace other than space, tab, CR
 * and LF, a byte-order mark. Whatever it allocated before giving up stays in
 * a. The nesting depth is bounded by the caller's json_scan. */
int otlp_json_fast_decode(const char *text, size_t len, struct arena *a, Tl__ExportTraceServiceRequest **out);

#endif
