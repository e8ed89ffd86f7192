/* batch.h: building a span batch (the types are in span.h): validating
 * ids, resolving service and project, normalizing LLM fields (genai.h). */
#ifndef TL_BATCH_H
#define TL_BATCH_H
#include "ingest/span.h"
#include "base/err.h"

/* Returns a new empty batch with its own arena; free with span_batch_free. */
struct span_batch *span_batch_new(const char *project_header);
void span_batch_free(struct span_batch *b);

/* Adds every span of req (allocated in b->arena) to b. A span with a trace
 * id that is not 16 bytes, a span id that is not 8, or a parent id that is
 * neither empty nor 8 bytes is refused: counted in b->rejected with the first
 * reason in b->reject_msg. Returns ERR_OK, or ERR_BAD_INPUT with err filled
 * when the request had spans and every one was refused. */
enum err span_batch_add_request(struct span_batch *b, const Tl__ExportTraceServiceRequest *req,
                                char *err, size_t errlen);
/* Appends a zeroed score to b and returns it. */
struct score *span_batch_add_score(struct span_batch *b);

#endif
