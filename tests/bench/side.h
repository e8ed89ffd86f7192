/* side.h: what the side-by-side benchmark against ClickHouse adds to the
 * load generator (tests/bench/side.sh): demo traces whose prompts and
 * completions are rewritten into real English prose from a corpus file
 * (tests/bench/corpus.sh), and the same spans as ClickHouse JSONEachRow rows. */
#ifndef TL_BENCH_SIDE_H
#define TL_BENCH_SIDE_H
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "otlp.pb-c.h"

struct prose;

/* Loads a corpus (one sentence per line) from path; NULL with err filled
 * when it cannot be read or has fewer than 100 sentences. Read-only after
 * loading: threads may share it. */
struct prose *prose_load(const char *path, char *err, size_t errlen);
void prose_free(struct prose *p);

/* Replaces the text in req's span attributes by prose: string values that
 * read as text (60 bytes or more, several words) and the text inside JSON
 * string values (message lists, tool arguments and results). Each text
 * becomes consecutive corpus sentences of about `scale` times its length
 * (at least 200 bytes), chosen by a hash of the original and seed, so equal
 * texts (a repeated system prompt or conversation history) stay equal and
 * the result is the same for the same inputs. New strings live in a. */
void prose_rewrite(const struct prose *p, uint64_t seed, double scale, struct arena *a,
                   Tl__ExportTraceServiceRequest *req);

/* The spans of req as ClickHouse JSONEachRow lines for the table made by
 * side.sh (trace_id, span_id, parent_span_id, name, service, kind, type,
 * start_ns, end_ns, duration_ns, status_code, status_message, model,
 * provider, input_tokens, output_tokens, cost_usd, session_id, user_id,
 * input, output, attributes, events), fields as tracelite's ingest
 * normalizes and prices them. Returns a malloc'd text (*len bytes) and
 * the span count in *spans, or NULL with err filled. */
char *side_rows(const Tl__ExportTraceServiceRequest *req, size_t *len, size_t *spans, char *err,
                size_t errlen);

#endif
