/* pbcheck.c: the protobuf wire-format guard (see pbcheck.h). The walk knows
 * which length-delimited fields are messages from protobuf-c's own
 * descriptors; the path of a failure is built while unwinding, so the
 * common (valid) case does no formatting at all. */
#include "otlp/pbcheck.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "base/err.h"
#include "base/varint.h"
#include "otlp.pb-c.h"
#include "otlp/input_limits.h"

struct walk {
	char reason[160];
	/* the failing field at each level, innermost first */
	struct seg {
		const char *name;
		size_t index;
		int repeated;
	} segs[PBCHECK_MAX_DEPTH + 1];
	int nsegs;
};

/* Reads one field's tag and skips its value (pb_field_next); *sub and
 * *sublen get a length-delimited payload. Returns 0, or -1 with w->reason set. */
static int next_field(struct walk *w, const uint8_t **p, const uint8_t *end, uint32_t *num,
                      const uint8_t **sub, size_t *sublen)
{
	struct pb_field f;
	enum pb_field_err e = pb_field_next(p, end, &f);
	*num = f.num;
	*sub = f.p;
	*sublen = f.len;
	switch (e) {
	case PB_FIELD_OK:
		return 0;
	case PB_FIELD_BAD_TAG:
		snprintf(w->reason, sizeof w->reason, "malformed tag");
		break;
	case PB_FIELD_BAD_NUMBER:
		snprintf(w->reason, sizeof w->reason, "invalid field number %u", f.num);
		break;
	case PB_FIELD_BAD_WIRETYPE:
		snprintf(w->reason, sizeof w->reason, "field %u: unsupported wire type %u", f.num, f.wt);
		break;
	case PB_FIELD_TRUNCATED:
		snprintf(w->reason, sizeof w->reason, "field %u: truncated", f.num);
		break;
	}
	return -1;
}

/* How many times field num occurs in [p, upto): the index of the failing
 * occurrence. The bytes were already walked, so they parse. */
static size_t occurrences(const uint8_t *p, const uint8_t *upto, uint32_t num)
{
	struct walk scratch;
	size_t n = 0;
	while (p < upto) {
		uint32_t f;
		const uint8_t *sub;
		size_t sublen;
		if (next_field(&scratch, &p, upto, &f, &sub, &sublen))
			break;
		n += f == num;
	}
	return n;
}

static int walk_message(struct walk *w, const ProtobufCMessageDescriptor *d, const uint8_t *start,
                        const uint8_t *end, int depth, int any_depth)
{
	for (const uint8_t *p = start; p < end;) {
		const uint8_t *field = p, *sub;
		size_t sublen;
		uint32_t num;
		if (next_field(w, &p, end, &num, &sub, &sublen))
			return -1;
		if (!sub)
			continue;
		const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(d, num);
		if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const ProtobufCMessageDescriptor *sd = fd->descriptor;
		int sub_any = any_depth + (sd == &tl__any_value__descriptor);
		int rc = 0;
		if (depth + 1 > PBCHECK_MAX_DEPTH) {
			snprintf(w->reason, sizeof w->reason, "messages nested deeper than %d levels", PBCHECK_MAX_DEPTH);
			rc = -1;
		} else if (sub_any > SPAN_MAX_DEPTH) {
			snprintf(w->reason, sizeof w->reason, "value nested deeper than %d levels", SPAN_MAX_DEPTH);
			rc = -1;
		} else {
			rc = walk_message(w, sd, sub, sub + sublen, depth + 1, sub_any);
		}
		/* the path ends at the outermost value, not a dozen levels in it */
		if (rc && any_depth == 0) {
			struct seg *s = &w->segs[w->nsegs++];
			s->name = fd->name;
			s->repeated = fd->label == PROTOBUF_C_LABEL_REPEATED;
			s->index = s->repeated ? occurrences(start, field, num) : 0;
		}
		if (rc)
			return rc;
	}
	return 0;
}

enum err pbcheck(const ProtobufCMessageDescriptor *d, const void *data, size_t len, char *err, size_t errlen)
{
	struct walk w;
	w.nsegs = 0;
	if (!walk_message(&w, d, data, (const uint8_t *)data + len, 1, d == &tl__any_value__descriptor))
		return ERR_OK;
	char path[1024];
	size_t used = 0;
	path[0] = 0;
	for (int i = w.nsegs - 1; i >= 0 && used < sizeof path; i--) {
		const struct seg *s = &w.segs[i];
		int n = s->repeated ? snprintf(path + used, sizeof path - used, "%s%s[%zu]", used ? "." : "", s->name, s->index)
		                    : snprintf(path + used, sizeof path - used, "%s%s", used ? "." : "", s->name);
		used += n > 0 ? (size_t)n : 0;
	}
	return err_set(err, errlen, ERR_BAD_INPUT, "%s%s%s", path, used ? ": " : "", w.reason);
}
