/* tracesum.h: the per-trace summary row and how one span merges into it.
 * Spans arrive in any order and any number of requests; merging is
 * order-independent for counts, sums and times, and the name, service and
 * previews come from the root span once it is known (before that from the
 * earliest span). The writer keeps the previews in trace_previews
 * (store/preview.h) as a reference to the span they come from (or, where
 * that span is superseded, as text), rewritten only when preview_changed. */
#ifndef TL_TRACESUM_H
#define TL_TRACESUM_H
#include <stdint.h>
#include "ingest/span.h"

#define TRACESUM_PREVIEW 240   /* bytes of input/output kept in the list */
#define TRACESUM_MODELS 512    /* bytes of the distinct-models list */

struct tracesum {
	int exists;
	int64_t project;
	uint64_t start_ns, end_ns;
	int root_known;            /* 0 no, 1 the root span named it, 2 langfuse.trace.name did */
	int64_t span_count, error_count, llm_calls, input_tokens, output_tokens;
	double cost_usd;
	int64_t preview_key;       /* 0 = root span, else the source span's start; lower wins */
	char name[SPAN_MAX_NAME + 1], service[256];
	char models[TRACESUM_MODELS + 1];
	char session_id[256], user_id[256];
	/* a stored trace's session and user as people.id (schema/025), its
	 * texts then left empty; 0 = the text above names it (merged here) */
	int64_t session_sid, user_sid;
	int has_session, has_user, has_preview;
	int preview_changed;       /* the previews differ from the stored ones (trace_previews) */
	int preview_span_known;    /* preview_span was set by a merge (else see the stored body) */
	int preview_text;          /* kept as the texts below, not as preview_span (writer.c) */
	uint8_t preview_span[8];   /* the span the previews come from */
	char input_preview[TRACESUM_PREVIEW + 1], output_preview[TRACESUM_PREVIEW + 1];
};

/* What a stored span added to its trace, to take back when a newer
 * version of it replaces it (span.replace). */
struct tracesum_old {
	int is_root, status_code, type;
	int64_t input_tokens, output_tokens;
	double cost_usd;
};

/* Takes the counts and sums of a replaced span out of t (t->exists);
 * times only ever widen, so they stay. A replaced root gives up the
 * trace's name and preview to its new version. */
void tracesum_unmerge(struct tracesum *t, const struct tracesum_old *o);
/* Merges span s (of project) into t; t->exists is set. */
void tracesum_merge(struct tracesum *t, const struct span *s, int64_t project);
/* Copies at most max bytes of src into dst (size max+1), never splitting a
 * UTF-8 sequence; returns dst. */
char *tracesum_clip(char *dst, const char *src, size_t max);

#endif
