/* varint.h: base-128 varints (the protobuf wire encoding) and zigzag, the
 * one reader and writer behind stored chunks, sketches, span columns and
 * the protobuf check, and the one reader of a protobuf field's tag and
 * value on the wire. */
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

/* Zigzag: a signed value as an unsigned one whose varint is short when the
 * value is near 0 (0, -1, 1, -2 ... become 0, 1, 2, 3 ...); every int64_t
 * maps to a distinct uint64_t and back. */
static inline uint64_t varint_zigzag(int64_t v)
{
	uint64_t u = (uint64_t)v;
	return u << 1 ^ (0 - (u >> 63));
}

static inline int64_t varint_unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1 ^ (0 - (u & 1)));
}

/* One field of a protobuf message on the wire: its number, its wire type
 * and, for wire type 2 (length-delimited), its payload p[0..len). */
struct pb_field {
	uint32_t num;
	unsigned wt;
	const uint8_t *p;
	size_t len;
};
#define PB_FIELD_NUM_MAX 536870911u   /* 2^29 - 1 */
enum pb_field_err {
	PB_FIELD_OK,
	PB_FIELD_BAD_TAG,        /* not a varint, or over 32 bits */
	PB_FIELD_BAD_NUMBER,     /* 0 or over PB_FIELD_NUM_MAX (f->num set) */
	PB_FIELD_BAD_WIRETYPE,   /* not 0, 1, 2 or 5 (f->num, f->wt set) */
	PB_FIELD_TRUNCATED,      /* the value runs past end (f->num, f->wt set) */
};
/* Reads the field at *p (not past end) into *f and advances *p past its
 * value (f->p and f->len are NULL and 0 unless wire type 2). Returns
 * PB_FIELD_OK or what is wrong; allocates nothing. */
enum pb_field_err pb_field_next(const uint8_t **p, const uint8_t *end, struct pb_field *f);

#endif
