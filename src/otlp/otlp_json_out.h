/* otlp_json_out.h: OTLP protobuf-c messages -> OTLP/JSON text, following
 * the OTLP JSON mapping (lowerCamelCase keys, hex ids, decimal-string
 * 64-bit integers, integer enums, base64 bytes). Used by the demo generator,
 * the load generator and anything that re-exports spans as OTLP/JSON. */
#ifndef TL_OTLP_JSON_OUT_H
#define TL_OTLP_JSON_OUT_H
#include <stddef.h>
#include "otlp.pb-c.h"

/* Returns the request as a NUL-terminated OTLP/JSON document
 * ({"resourceSpans":[...]}) in a malloc'd buffer the caller frees, and its
 * length without the NUL in *len (len may be NULL). Every field is written:
 * counts and enums always, strings, bytes and sub-messages when non-empty.
 * Strings are escaped; invalid UTF-8 bytes become U+FFFD. Doubles round-trip
 * exactly; NaN and infinities are the strings "NaN", "Infinity",
 * "-Infinity". Never returns NULL (out of memory aborts). */
char *otlp_json_encode(const Tl__ExportTraceServiceRequest *req, size_t *len);

/* Same contract for one span object ({"traceId":...}). */
char *otlp_json_encode_span(const Tl__Span *s, size_t *len);

#endif
