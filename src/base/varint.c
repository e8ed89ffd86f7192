/* varint.c: base-128 varints and protobuf fields on the wire (varint.h). */
#include "base/varint.h"

size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int i = 0; i < VARINT_MAX && *p < end; i++) {
		uint8_t b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* varint_get with the one-byte case (tags, most lengths) inline. */
static inline int get_short(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		return 0;
	}
	return varint_get(p, end, v);
}

enum pb_field_err pb_field_next(const uint8_t **p, const uint8_t *end, struct pb_field *f)
{
	uint64_t tag, v;
	*f = (struct pb_field){0};
	if (get_short(p, end, &tag) || tag > UINT32_MAX)
		return PB_FIELD_BAD_TAG;
	f->num = (uint32_t)(tag >> 3);
	f->wt = (unsigned)(tag & 7);
	if (f->num == 0 || f->num > PB_FIELD_NUM_MAX)
		return PB_FIELD_BAD_NUMBER;
	switch (f->wt) {
	case 0:
		return get_short(p, end, &v) ? PB_FIELD_TRUNCATED : PB_FIELD_OK;
	case 1:
	case 5: {
		size_t n = f->wt == 1 ? 8 : 4;
		if ((size_t)(end - *p) < n)
			return PB_FIELD_TRUNCATED;
		*p += n;
		return PB_FIELD_OK;
	}
	case 2:
		if (get_short(p, end, &v) || v > (uint64_t)(end - *p))
			return PB_FIELD_TRUNCATED;
		f->p = *p;
		f->len = (size_t)v;
		*p += v;
		return PB_FIELD_OK;
	default:
		return PB_FIELD_BAD_WIRETYPE;
	}
}
