/* varint.h: base-128 varints (the protobuf wire encoding), the one
 * reader and writer behind stored chunks, sketches and the protobuf check. */
#ifndef TL_VARINT_H
#define TL_VARINT_H
#include <stddef.h>
#include <stdint.h>

/* The most bytes a varint of a uint64_t takes. */
#define VARINT_MAX 10

/* Writes v to p (room for VARINT_MAX bytes) and returns its length. */
size_t varint_put(uint8_t *p, uint64_t v);
/* Reads a varint of at most VARINT_MAX bytes from *p (not past end) into
 * *v and advances *p past it. Returns 0, or -1 if it is truncated or
 * longer (*p is then somewhere inside it). */
int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif
