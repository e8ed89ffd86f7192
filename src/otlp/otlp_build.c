/* otlp_build.c: arena-backed construction of OTLP protobuf-c messages. */
#include "otlp/otlp_build.h"
#include <string.h>

void otlp_push(struct arena *a, void *arr_ptr, size_t *n, void *item)
{
	void ***arr = arr_ptr;
	size_t len = *n;
	/* capacity is implicit: 4, 8, 16, ... so grow when len hits one of them */
	if (len == 0 || (len >= 4 && (len & (len - 1)) == 0)) {
		size_t cap = len < 4 ? 4 : len * 2;
		void **fresh = arena_alloc(a, cap * sizeof *fresh);
		if (len)
			memcpy(fresh, *arr, len * sizeof *fresh);
		*arr = fresh;
	}
	(*arr)[len] = item;
	*n = len + 1;
}

Tl__AnyValue *otlp_any_new(struct arena *a)
{
	Tl__AnyValue *v = arena_alloc(a, sizeof *v);
	tl__any_value__init(v);
	return v;
}

Tl__KeyValue *otlp_kv_new(struct arena *a, const char *key, Tl__AnyValue *v)
{
	Tl__KeyValue *kv = arena_alloc(a, sizeof *kv);
	tl__key_value__init(kv);
	kv->key = arena_strdup(a, key);
	kv->value = v;
	return kv;
}

void otlp_attr_str(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, const char *val)
{
	Tl__AnyValue *v = otlp_any_new(a);
	v->value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
	v->string_value = arena_strdup(a, val);
	otlp_push(a, attrs, n, otlp_kv_new(a, key, v));
}

void otlp_attr_int(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, int64_t val)
{
	Tl__AnyValue *v = otlp_any_new(a);
	v->value_case = TL__ANY_VALUE__VALUE_INT_VALUE;
	v->int_value = val;
	otlp_push(a, attrs, n, otlp_kv_new(a, key, v));
}

void otlp_attr_double(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, double val)
{
	Tl__AnyValue *v = otlp_any_new(a);
	v->value_case = TL__ANY_VALUE__VALUE_DOUBLE_VALUE;
	v->double_value = val;
	otlp_push(a, attrs, n, otlp_kv_new(a, key, v));
}

void otlp_attr_bool(struct arena *a, Tl__KeyValue ***attrs, size_t *n, const char *key, int val)
{
	Tl__AnyValue *v = otlp_any_new(a);
	v->value_case = TL__ANY_VALUE__VALUE_BOOL_VALUE;
	v->bool_value = val ? 1 : 0;
	otlp_push(a, attrs, n, otlp_kv_new(a, key, v));
}

const Tl__AnyValue *otlp_attr_find(Tl__KeyValue *const *attrs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (attrs[i] && attrs[i]->key && strcmp(attrs[i]->key, key) == 0)
			return attrs[i]->value;
	return NULL;
}

const char *otlp_attr_find_str(Tl__KeyValue *const *attrs, size_t n, const char *key)
{
	const Tl__AnyValue *v = otlp_attr_find(attrs, n, key);
	if (v && v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE)
		return v->string_value;
	return NULL;
}
