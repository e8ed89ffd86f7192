/* otlp_json.h: OTLP/JSON trace exports -> the protobuf-c structs the
 * protobuf path produces, so both encodings share span_batch_add_request.
 * Follows the protobuf JSON mapping as OTLP profiles it (hex ids, integer
 * enums, int64 as number or string, base64 bytes). */
#ifndef TL_OTLP_JSON_H
#define TL_OTLP_JSON_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "base/arena.h"
#include "otlp.pb-c.h"
#include "base/err.h"

/* Decodes root, a parsed ExportTraceServiceRequest in OTLP/JSON, into *out.
 * Every message, string and byte buffer of *out lives in a; nothing points
 * into root, so the caller may cJSON_Delete it at once.
 *
 * Accepts lowerCamelCase keys and the snake_case proto names, ignores unknown
 * keys, reads null as absent. Ids are hex (even length, any case) and are
 * kept whatever their length: span_batch_add_request refuses bad lengths per
 * span. Absent messages (resource, scope, status, a KeyValue's value) stay
 * NULL, as protobuf-c leaves them; absent strings are "".
 *
 * Returns ERR_OK with *out set, or *out = NULL and
 *   ERR_TOO_LARGE  a string over SPAN_MAX_STRING or a key/value list over
 *                  SPAN_MAX_ATTRS (checked before copying anything);
 *   ERR_BAD_INPUT  anything else: wrong JSON type, bad id, negative or
 *                  fractional time, AnyValue nesting over SPAN_MAX_DEPTH, no
 *                  resourceSpans (a logs or metrics export says so);
 * with err holding "<JSON path>: <reason>", e.g.
 * "resourceSpans[0].scopeSpans[1].spans[3].traceId: invalid hex digit 'x' at
 * offset 4". On failure what was allocated stays in a until it is freed.
 *
 * Integers sent as JSON numbers have passed through a double in cJSON, so
 * beyond 2^53 they arrive rounded; exporters send times as strings for that
 * reason, and strings are read exactly. */
enum err otlp_json_decode(const cJSON *root, struct arena *a, Tl__ExportTraceServiceRequest **out,
                          char *err, size_t errlen);

/* The same for an ExportLogsServiceRequest (resourceLogs, scopeLogs,
 * logRecords; severityNumber as an integer or SEVERITY_NUMBER_* name, the
 * body an AnyValue): same keys, limits, errors and ownership as above;
 * logs_in_add_request refuses bad id lengths and severities per record. */
enum err otlp_json_decode_logs(const cJSON *root, struct arena *a, Tl__ExportLogsServiceRequest **out, char *err,
                               size_t errlen);

#endif
