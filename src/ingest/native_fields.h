/* native_fields.h: what the native JSON decoders (native_cognobserve.c,
 * native_neon.c, native_scores.c) share: the decoding context, typed reads of
 * optional and required fields with their error texts, JSON values turned
 * into OTLP attributes, and the OTLP resource/scope/span skeleton they fill.
 * Only those decoders include it; the public entry points are in native.h.
 *
 * Every nf_ function that can fail returns ERR_OK or ERR_BAD_INPUT, with c->err
 * set by nf_fail to "<where>.<field>: <message>". Strings and values put
 * into spans are copied into the batch arena: nothing refers to the cJSON
 * document after the decoder returns. */
#ifndef TL_NATIVE_FIELDS_H
#define TL_NATIVE_FIELDS_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "base/rng.h"
#include "otlp/otlp_build.h"
#include "ingest/span.h"

#define NATIVE_KIND_INTERNAL 1   /* OTLP SPAN_KIND_INTERNAL */

/* One decoder call. The request (req) holds resource spans in the order
 * the items came; ss is the scope new spans go to (NULL until
 * nf_resource_begin). where names the item being decoded for error texts;
 * key/keylen are scratch for flattening objects into dotted keys. */
struct nctx {
	struct span_batch *b;
	struct arena *a;
	char *err;
	size_t errlen;
	char where[64];                  /* "", "[3]", "spans[2]", "[1].spans[4]" */
	uint64_t now_ns;
	struct rng rng;                  /* seeded on first use */
	int seeded;
	Tl__ExportTraceServiceRequest *req;
	Tl__ScopeSpans *ss;              /* new spans go here */
	const char *scope_name;
	const char *res_project;         /* project_id of the current resource */
	int have_res;
	char key[SPAN_MAX_NAME + 1];     /* attribute key being flattened */
	size_t keylen;
};

/* Starts a decoder call: an empty request in b's arena, errors to err,
 * spans under the instrumentation scope named scope (a static string). */
void nf_init(struct nctx *c, struct span_batch *b, char *err, size_t errlen, const char *scope);

/* Formats "<where>.<field>: <msg>" into c->err and returns ERR_BAD_INPUT.
 * An empty field gives "<where>: <msg>"; with both empty, "body: <msg>". */
enum err nf_fail(struct nctx *c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fills out[0..n) with random bytes, not all zero (an id OTLP accepts). */
void nf_random_id(struct nctx *c, uint8_t *out, size_t n);

/* A field of an object: its value (NULL when absent or JSON null) and the
 * name it was found under, for error messages. */
struct fld {
	const cJSON *v;
	const char *name;
};

/* The first of names (NULL-terminated) present in o with a non-null value;
 * when none is, a NULL value under the first name. NF(o, "a", "b") spells
 * the list inline. */
struct fld nf_field(const cJSON *o, const char *const *names);
#define NF(o, ...) nf_field((o), (const char *const[]){__VA_ARGS__, NULL})

/* The typed reads. Absent (or null) leaves *has = 0 (*out = NULL for
 * pointers) and returns ERR_OK; a present value of the wrong kind fails with
 * the message given, naming f.name:
 * nf_opt_str: a string of at most max bytes ("must be a string", "longer
 *   than N bytes"); nf_req_str also fails on absent ("required"), but
 *   accepts "".
 * nf_opt_duration: a finite number >= 0 ("must be a number", "must not be
 *   negative") of milliseconds, at most 366 days ("must be at most ...");
 *   *out_ns in nanoseconds.
 * nf_opt_obj: an object ("must be an object"); nf_opt_array: an array
 *   ("must be an array").
 * nf_opt_time: an ISO-8601 string, an epoch number or an epoch digit
 *   string, the unit told by its size as text.h reads it ("not an ISO-8601
 *   time or a unix epoch number (s, ms, us or ns)").
 * nf_opt_id: a string as nf_opt_str (SPAN_MAX_NAME) mapped to n bytes with
 *   id_from_any (hex kept, anything else hashed); "" counts as absent. */
enum err nf_opt_str(struct nctx *c, struct fld f, size_t max, const char **out);
enum err nf_req_str(struct nctx *c, struct fld f, size_t max, const char **out);
enum err nf_opt_duration(struct nctx *c, struct fld f, uint64_t *out_ns, int *has);
enum err nf_opt_obj(struct nctx *c, struct fld f, const cJSON **out);
enum err nf_opt_array(struct nctx *c, struct fld f, const cJSON **out);
enum err nf_opt_time(struct nctx *c, struct fld f, uint64_t *out, int *has);
enum err nf_opt_id(struct nctx *c, struct fld f, uint8_t *out, size_t n, int *has);
#define NF_SCORE_SESSION_MAX 255   /* bytes of a score's session id (as PEOPLE_MAX_ID) */
/* What score s judges: a trace (field tf, into s->trace_id) or, without
 * one, a session (field sf, at most NF_SCORE_SESSION_MAX bytes; "" counts
 * as absent), *session set (arena-owned) or NULL and s->no_trace set. One
 * of the two is required ("required (or SESSION for a score of a
 * session)" on tf). */
enum err nf_score_target(struct nctx *c, struct fld tf, struct fld sf, struct score *s, const char **session);

/* v as text copied into the arena: a string as is, anything else as
 * compact JSON. Fails, naming name, when longer than SPAN_MAX_STRING
 * ("longer than N bytes [as JSON]") or nested deeper than SPAN_MAX_DEPTH. */
enum err nf_json_text(struct nctx *c, const cJSON *v, const char *name, char **out);

/* Any JSON value as an AnyValue (integral numbers as ints, objects as
 * kvlists, null left unset), strings copied. depth is v's nesting level so
 * far. Fails, naming name, on strings over SPAN_MAX_STRING, keys over
 * SPAN_MAX_NAME or nesting over SPAN_MAX_DEPTH. */
enum err nf_json_any(struct nctx *c, const cJSON *v, int depth, const char *name, Tl__AnyValue **out);

/* An attribute list to append to: a span's or a resource's. */
struct attrs {
	Tl__KeyValue ***kv;
	size_t *n;
};

/* sp's attribute list. */
struct attrs nf_span_attrs(Tl__Span *sp);

/* Appends key = val where val is already arena-owned (not copied again). */
void nf_put_owned(struct nctx *c, struct attrs at, const char *key, char *val);

/* Appends f's value, read as nf_opt_obj (absent: nothing), flattened into
 * dotted keys under prefix ("" = its keys as given, "metadata" ->
 * metadata.a.b); arrays are kept as array values, nulls skipped. *out (when
 * out is not NULL) gets the object or NULL. Fails, naming f.name, as
 * nf_opt_obj, on a key path over SPAN_MAX_NAME, more than SPAN_MAX_ATTRS
 * attributes, or as nf_json_any. */
enum err nf_put_object(struct nctx *c, struct attrs at, const char *prefix, struct fld f, const cJSON **out);

/* A JSON field and the attribute it goes to, for tables of optional fields. */
struct field_attr {
	const char *json, *attr;
};

/* Each of the n fields f of o as nf_put_str with max; stops at the first
 * error. */
enum err nf_put_strs(struct nctx *c, Tl__Span *sp, const cJSON *o, const struct field_attr *f, size_t n, size_t max);

/* One field to one attribute of sp (absent: nothing), failing naming
 * f.name. nf_put_str: read as nf_opt_str with max, "" adds nothing.
 * nf_put_count: an integer in [0, 2^53] ("must be a non-negative
 * integer"), an int attribute. nf_put_num: a finite number >= 0 ("must be
 * a number", "must not be negative"), a double attribute. */
enum err nf_put_str(struct nctx *c, Tl__Span *sp, struct fld f, size_t max, const char *attr);
enum err nf_put_count(struct nctx *c, Tl__Span *sp, struct fld f, const char *attr);
enum err nf_put_num(struct nctx *c, Tl__Span *sp, struct fld f, const char *attr);

/* o's "input" and "output" (each absent: nothing) as text, as nf_json_text,
 * under input.value / output.value, with the OpenInference mime type
 * (text/plain for a string, else application/json) under input.mime_type /
 * output.mime_type. */
enum err nf_put_input_output(struct nctx *c, Tl__Span *sp, const cJSON *o);

/* Model parameters, f's value read as nf_opt_obj (absent: nothing): the
 * standard ones (also camelCase) become gen_ai.request.* unless sp has
 * them already, values of other types skipped; the whole object is kept as
 * JSON text in llm.invocation_parameters. Fails, naming f.name, as
 * nf_opt_obj or nf_json_text. */
enum err nf_put_params(struct nctx *c, Tl__Span *sp, struct fld f);

/* Starts a new ResourceSpans/ScopeSpans pair that following spans go to,
 * and returns its resource for the caller's attributes. */
Tl__Resource *nf_resource_begin(struct nctx *c);

/* A new INTERNAL span with these ids (16 and 8 bytes, copied), named "",
 * appended to the current scope (nf_resource_begin must have run). */
Tl__Span *nf_span_new(struct nctx *c, const uint8_t *trace_id, const uint8_t *span_id);
/* Sets sp's parent span id (8 bytes, copied). */
void nf_span_parent(struct nctx *c, Tl__Span *sp, const uint8_t *parent);
/* Sets sp's status when code or msg is given (msg copied). */
void nf_span_status(struct nctx *c, Tl__Span *sp, int code, const char *msg);

/* The root span of a native trace gets a stable id derived from the trace
 * id and tag, so posting the same trace twice updates one root. */
void nf_root_span_id(const uint8_t *trace_id, const char *tag, uint8_t *out);

/* Checks a finished span: fails with "more than N attributes" (naming the
 * item) when it has over SPAN_MAX_ATTRS. */
enum err nf_span_done(struct nctx *c, const Tl__Span *sp);

/* Runs fn on root if it is an object (where ""), or on each element of an
 * array as item "[i]". Fails on anything else ("must be a JSON object or
 * array"), an empty array, more than NATIVE_MAX_ITEMS elements or an
 * element that is not an object; stops at fn's first error. */
enum err nf_each_item(struct nctx *c, const cJSON *root, enum err (*fn)(struct nctx *, const cJSON *));

/* The time range a trace's spans cover, for a root span posted without
 * times of its own. Starts as NF_RANGE_EMPTY (min_start > max_end). */
struct nf_range {
	uint64_t min_start, max_end;
};
#define NF_RANGE_EMPTY ((struct nf_range){UINT64_MAX, 0})

/* Widens r to take in sp's start and end times. */
void nf_range_add(struct nf_range *r, const Tl__Span *sp);

/* Runs fn(c, span, arg) on each element of spans (an array already checked
 * with nf_opt_array; NULL: none), the nested spans of the item in c->where,
 * as item "<where>.spans[i]", and restores c->where. *count gets how many
 * elements were visited. Fails with "<where>.spans: more than
 * NATIVE_MAX_ITEMS items" (before calling fn), "<where>.spans[i]: must be an
 * object", or fn's error, at the first. */
enum err nf_each_span(struct nctx *c, const cJSON *spans, enum err (*fn)(struct nctx *, const cJSON *, void *),
                      void *arg, int *count);

#endif
