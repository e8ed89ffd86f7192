/* pbcheck.h: a walk over protobuf wire format, before protobuf-c unpacks it,
 * that refuses what would crash or not round-trip: protobuf-c recurses about
 * 1.2 KB of stack per nested message, and civetweb workers have 100 KB. */
#ifndef TL_PBCHECK_H
#define TL_PBCHECK_H
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "otlp/input_limits.h"
#include "base/err.h"

/* Messages nested deeper than this are refused whatever their type. In OTLP
 * the only recursive message is AnyValue, whose own limit (SPAN_MAX_DEPTH)
 * trips first: the deepest valid request (an AnyValue SPAN_MAX_DEPTH deep
 * in a kvlist in an event) is 4 + 3 * SPAN_MAX_DEPTH messages deep. This
 * bounds the walk for any other descriptor. */
#define PBCHECK_MAX_DEPTH (8 + 3 * SPAN_MAX_DEPTH)

/* Checks that data[0..len) is well-formed wire format for a message of type
 * d that protobuf-c unpacks safely on a civetweb worker's stack and packs
 * back to bytes it unpacks again: every tag a field number 1..2^29-1 with
 * wire type 0, 1, 2 or 5; every varint at most 10 bytes; every length inside
 * its parent; messages at most PBCHECK_MAX_DEPTH deep and AnyValues at most
 * SPAN_MAX_DEPTH deep. Allocates nothing; recursion is bounded by the depth
 * limit. Returns ERR_OK, or ERR_BAD_INPUT with err as "PATH: reason", the
 * path in field names (resource_spans[0].scope_spans[0].spans[3]...). */
enum err pbcheck(const ProtobufCMessageDescriptor *d, const void *data, size_t len, char *err, size_t errlen);

#endif
