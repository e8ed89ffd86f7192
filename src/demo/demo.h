/* demo.h: deterministic LLM-agent traffic (for `tracelite demo` and the
 * load generator): agent traces with LLM, tool, retrieval and embedding
 * spans in three attribute conventions, sessions spanning several traces,
 * errors with exception events. The client that posts them is client.h. */
#ifndef TL_DEMO_H
#define TL_DEMO_H
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "otlp.pb-c.h"

/* Appends trace number trace_index of the demo stream `seed` to req as one
 * ResourceSpans (its resource, scope and spans allocated in a) and returns
 * its span count. The same (seed, trace_index, now_ns, days) always yields
 * the same trace, whatever else was generated before, so callers may
 * generate traces in any order or in parallel (one arena per thread). Trace
 * ids are distinct per (seed, trace_index); consecutive indexes form
 * sessions of a few traces sharing session, conversation and user ids. All
 * span times lie within the `days` days before now_ns (0 counts as 1),
 * children inside their parents. */
size_t demo_generate(uint64_t seed, size_t trace_index, uint64_t now_ns, unsigned days,
                     struct arena *a, Tl__ExportTraceServiceRequest *req);

#endif
