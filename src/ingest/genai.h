/* genai.h: normalizes the LLM attribute conventions (OTel GenAI,
 * OpenInference, OpenLLMetry, Neon; table in docs/ingest.md) into the hot fields
 * of a span: type, provider, model, tokens, cost, session, user, input and
 * output text. */
#ifndef TL_GENAI_H
#define TL_GENAI_H
#include "ingest/span.h"

/* Reads s->otlp attributes (and s->resource's) and fills s->type, provider,
 * model, session_id, user_id, input_text, output_text, input/output/cache
 * tokens, cost_usd/has_cost. Prefers the first convention present, as in the
 * table. Returned strings point into the attributes or into a. Never fails. */
void genai_normalize(struct span *s, struct arena *a);

/* Whether an attribute with this key can make genai_normalize's input or
 * output text (a text key of the table, or a key matched as an indexed
 * message part): a reader that wants only the text hands genai_normalize
 * the attributes this accepts, in their order, and gets the same texts. */
int genai_text_key(const char *key);

#endif
