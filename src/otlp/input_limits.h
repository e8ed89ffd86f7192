/* input_limits.h: the limits on anything input controls, checked before
 * allocating, shared by every decoder and the checks in front of them. */
#ifndef TL_INPUT_LIMITS_H
#define TL_INPUT_LIMITS_H

/* Limits on anything input controls, checked before allocating. */
#define SPAN_MAX_BODY (64u << 20)        /* bytes, after decompression */
#define SPAN_MAX_STRING (16u << 20)      /* one string value */
/* AnyValues nested in arrays and kvlists, counting the outermost as 1: deep
 * enough for any real attribute, shallow enough that the deepest record
 * unpacks and prints on a civetweb worker's 100 KB stack (pbcheck.h). */
#define SPAN_MAX_DEPTH 12
#define SPAN_MAX_ATTRS 4096              /* attributes on one span/resource/event */
#define SPAN_MAX_NAME 4096               /* span, project, score names */

#endif
