/* native.h: decoders for the JSON shapes of the platforms tracelite
 * replaces (CognObserve's POST /v1/traces, Neon's POST /api/traces/ingest,
 * /api/spans and /api/scores). Each converts an already parsed cJSON document
 * into OTLP structs in b->arena and adds them with span_batch_add_request, so
 * they take the same path as OTLP; scores go to span_batch_add_score.
 *
 * Every decoder returns ERR_OK, or ERR_BAD_INPUT with err naming the item and
 * field (`spans[2].start_time: not an ISO-8601 time`, `[3].name: required`).
 * On error the batch may hold part of the request: the caller discards it.
 * Nothing in root is referenced after return (all strings are copied).
 *
 * Field values land on the attribute conventions genai.c reads, so native
 * spans and OTLP spans are normalized by the same code: input/output ->
 * input.value/output.value (JSON text unless a string) with
 * input.mime_type; model -> gen_ai.request.model; token counts ->
 * gen_ai.usage.input_tokens/output_tokens, totals -> llm.token_count.total;
 * model parameters -> gen_ai.request.* plus llm.invocation_parameters;
 * metadata -> metadata.* (objects flattened, arrays kept). Times: ISO-8601
 * (no zone = UTC) or epoch numbers whose size says their unit (text.h).
 * One file per shape: native_cognobserve.c, native_neon.c, native_scores.c,
 * over the helpers of native_fields.h. */
#ifndef TL_NATIVE_H
#define TL_NATIVE_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "ingest/span.h"
#include "base/err.h"

/* Items (traces, spans, scores) accepted in one request. */
#define NATIVE_MAX_ITEMS 10000

/* CognObserve trace: {trace_id?, name, session_id?, user_id?, user?, metadata?,
 * spans: [{span_id?, parent_span_id?, name, start_time?, end_time?, input?,
 * output?, metadata?, model?, model_parameters?, usage?, level?,
 * status_message?}]}, plus the camelCase / `id` / `tokenUsage` variants.
 * The trace becomes a root span (id derived from the trace id, so a retried
 * post does not duplicate it) named after the trace and spanning its spans;
 * spans without parent_span_id become its children. Missing ids are random. */
enum err native_cognobserve_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen);

/* Neon trace ingest: one trace object or an array of them, each {trace_id,
 * name, status?, duration_ms?, start_time?|timestamp?, end_time?, project_id?,
 * metadata?, attributes?, agent_id?, agent_version?, workflow_id?, run_id?,
 * input?, output?, total_tokens?, total_cost?, llm_calls?, tool_calls?,
 * spans?: [span objects as for native_neon_spans_decode, trace_id optional]}.
 * Each trace becomes a root span ("error" status -> code 2). */
enum err native_neon_traces_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen);

/* Neon spans: one span object or an array: {trace_id, span_id, name,
 * timestamp|start_time, parent_span_id?, kind?, span_type?, end_time?,
 * duration_ms?, status?, status_message?, model?, model_parameters?, input?,
 * output?, input_tokens?, output_tokens?, total_tokens?, cost_usd?,
 * tool_name?, tool_input?, tool_output?, session?, input_messages?,
 * output_messages?, attributes?, project_id?}. */
enum err native_neon_spans_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen);

/* Scores: one object or an array: {trace_id, name, value, span_id?,
 * score_type?, string_value?, comment?, source?, score_id?|id?, project_id?,
 * timestamp?}. value is a number or a bool (1/0) and may be omitted when
 * string_value is given; score_type is numeric, categorical or boolean
 * (default: boolean for a bool value, categorical for a string-only score,
 * else numeric). Appends one struct score per item to b. */
enum err native_scores_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen);

/* What the Langfuse batch decoder asks the server and answers it. */
struct langfuse_answer {
	const char *id;              /* the event's id ("" when it had none) */
	int status;                  /* 201, or 400 with message */
	const char *message;
	int duplicate;               /* an event id handled before: ignored */
};
struct langfuse_io {
	/* The stored record of a span id (its trace id into trace_id), or
	 * NULL; it must stay valid until the batch is written. NULL: none. */
	const Tl__Span *(*stored)(void *ctx, const uint8_t span_id[8], uint8_t trace_id[16]);
	/* 1 if an event id was stored before (a resent batch). NULL: none. */
	int (*seen)(void *ctx, const char *event_id);
	/* Called once the batch is committed, while answers are valid (the
	 * server remembers the event ids). NULL: none. */
	void (*done)(void *ctx, const struct langfuse_io *io);
	void *ctx;
	struct langfuse_answer *answers;   /* out: one per batch item, in b's arena */
	size_t nanswers;
};

/* Langfuse ingestion: {"batch":[{id, timestamp?, type, body}], metadata?}
 * with b->langfuse set (NULL: one with no callbacks is made in b's arena). Types trace-create, span-/generation-create and
 * -update, event-create (and the other observation types' -create),
 * legacy observation-create/-update, score-create, sdk-log (ignored).
 * Events of one entity (body.id) are applied in timestamp order (a create
 * before an update at the same time) on top of its stored version (from
 * io->stored): scalar fields given replace, attributes merge key by key
 * (the last wins). Each entity becomes one span marked replace (a trace its
 * root span, id derived from the trace id; an observation without parent a
 * child of it). A bad event is answered 400 in io->answers and the rest
 * are kept; a repeated event id (in the batch or io->seen) is ignored.
 * Returns ERR_BAD_INPUT only when root is not a batch (or over
 * NATIVE_MAX_ITEMS events). */
enum err native_langfuse_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen);

#endif
