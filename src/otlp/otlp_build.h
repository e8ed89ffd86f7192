/* otlp_build.h: helpers to build OTLP protobuf-c messages inside an arena,
 * for decoders that do not get them from protobuf-c itself (OTLP JSON, the
 * native JSON shapes, the demo generator). */
#ifndef TL_OTLP_BUILD_H
#define TL_OTLP_BUILD_H
#include <stdint.h>
#include "base/arena.h"
#include "otlp.pb-c.h"

/* Appends item to the arena-owned pointer array *arr of length *n, growing
 * it by doubling (old copies stay in the arena until it is freed). */
void otlp_push(struct arena *a, void *arr_ptr, size_t *n, void *item);

/* Each returns a new initialized message owned by a. */
Tl__AnyValue *otlp_any_new(struct arena *a);
Tl__KeyValue *otlp_kv_new(struct arena *a, const char *key, Tl__AnyValue *v);

/* Append one attribute to (*attrs, *n); strings are copied into a. */
void otlp_attr_str(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, const char *val);
void otlp_attr_int(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, int64_t val);
void otlp_attr_double(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, double val);
void otlp_attr_bool(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, int val);

/* Returns the value of the attribute named key in attrs[0..n), or NULL. */
const Tl__AnyValue *otlp_attr_find(Tl__KeyValue *const *attrs, size_t n, const char *key);
/* Returns the string value of key, or NULL if absent or not a string. */
const char *otlp_attr_find_str(Tl__KeyValue *const *attrs, size_t n, const char *key);

#endif
