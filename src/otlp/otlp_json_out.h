/* otlp_json_out.h: OTLP protobuf-c messages -> OTLP/JSON text, following
 * the OTLP JSON mapping (lowerCamelCase keys, hex ids, decimal-string
 * 64-bit integers, integer enums, base64 bytes). Used by the demo generator,
 * the load generator and anything that re-exports spans as OTLP/JSON. */
#ifndef TL_OTLP_JSON_OUT_H
#define TL_OTLP_JSON_OUT_H
#include <stddef.h>
#include "otlp.pb-c.h"
#include "base/json.h"

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

/* The pieces of otlp_json_encode's text, for writers that stream a request
 * without building it: a ResourceSpans object is rs_open, its ScopeSpans
 * (comma-separated) and put_close with its schema URL; a ScopeSpans object
 * is ss_open, its spans (put_span, comma-separated) and put_close with its
 * schema URL (NULL or "": none). rs_open and ss_open read the resource and
 * the scope, not the children. */
void otlp_json_put_span(struct jbuf *b, const Tl__Span *s);
void otlp_json_put_rs_open(struct jbuf *b, const Tl__ResourceSpans *rs);
void otlp_json_put_ss_open(struct jbuf *b, const Tl__ScopeSpans *ss);
void otlp_json_put_close(struct jbuf *b, const char *schema_url);

#endif
