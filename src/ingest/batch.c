/* batch.c: building a span batch: OTLP request -> validated spans with
 * service, project and normalized LLM fields (genai.c); scores. */
#include "ingest/batch.h"
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "ingest/genai.h"
#include "otlp/otlp_build.h"

struct span_batch *span_batch_new(const char *project_header)
{
	struct arena *a = arena_new();
	struct span_batch *b = arena_alloc(a, sizeof *b);
	b->arena = a;
	b->project_header = project_header && *project_header ? arena_strdup(a, project_header) : NULL;
	return b;
}

void span_batch_free(struct span_batch *b)
{
	if (b)
		arena_free(b->arena);
}

static struct span *batch_add_span(struct span_batch *b)
{
	if (b->nspans == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct span *fresh = arena_alloc(b->arena, cap * sizeof *fresh);
		if (b->nspans)
			memcpy(fresh, b->spans, b->nspans * sizeof *fresh);
		b->spans = fresh;
		b->cap = cap;
	}
	struct span *s = &b->spans[b->nspans++];
	memset(s, 0, sizeof *s);
	return s;
}

struct score *span_batch_add_score(struct span_batch *b)
{
	if (b->nscores == b->score_cap) {
		size_t cap = b->score_cap ? b->score_cap * 2 : 16;
		struct score *fresh = arena_alloc(b->arena, cap * sizeof *fresh);
		if (b->nscores)
			memcpy(fresh, b->scores, b->nscores * sizeof *fresh);
		b->scores = fresh;
		b->score_cap = cap;
	}
	struct score *s = &b->scores[b->nscores++];
	memset(s, 0, sizeof *s);
	return s;
}

static void batch_reject(struct span_batch *b, const char *fmt_ctx, size_t ri, size_t si, size_t sj)
{
	if (b->rejected++ == 0)
		err_set(b->reject_msg, sizeof b->reject_msg, ERR_BAD_INPUT,
		        "resourceSpans[%zu].scopeSpans[%zu].spans[%zu]: %s", ri, si, sj, fmt_ctx);
}

/* Returns NULL if the span is acceptable, else why not. */
static const char *span_check_ids(const Tl__Span *sp)
{
	if (sp->trace_id.len != 16)
		return "traceId must be 16 bytes (32 hex digits)";
	if (id_is_zero(sp->trace_id.data, 16))
		return "traceId must not be all zero";
	if (sp->span_id.len != 8)
		return "spanId must be 8 bytes (16 hex digits)";
	if (id_is_zero(sp->span_id.data, 8))
		return "spanId must not be all zero";
	if (sp->parent_span_id.len != 0 && sp->parent_span_id.len != 8)
		return "parentSpanId must be empty or 8 bytes (16 hex digits)";
	if (!sp->name || strlen(sp->name) > SPAN_MAX_NAME)
		return "name is longer than 4096 bytes";
	return NULL;
}

enum err span_batch_add_request(struct span_batch *b, const Tl__ExportTraceServiceRequest *req,
                                char *err, size_t errlen)
{
	size_t seen = 0, added = 0;
	for (size_t ri = 0; ri < req->n_resource_spans; ri++) {
		const Tl__ResourceSpans *rs = req->resource_spans[ri];
		const Tl__Resource *res = rs->resource;
		const char *service = NULL, *project = b->project_header;
		if (res) {
			service = otlp_attr_find_str(res->attributes, res->n_attributes, "service.name");
			if (!project)
				project = otlp_attr_find_str(res->attributes, res->n_attributes,
				                             "openinference.project.name");
		}
		if (!service || !*service)
			service = "unknown_service";
		for (size_t si = 0; si < rs->n_scope_spans; si++) {
			const Tl__ScopeSpans *ss = rs->scope_spans[si];
			for (size_t sj = 0; sj < ss->n_spans; sj++) {
				const Tl__Span *sp = ss->spans[sj];
				seen++;
				const char *why = span_check_ids(sp);
				if (why) {
					batch_reject(b, why, ri, si, sj);
					continue;
				}
				struct span *s = batch_add_span(b);
				memcpy(s->trace_id, sp->trace_id.data, 16);
				memcpy(s->span_id, sp->span_id.data, 8);
				if (sp->parent_span_id.len == 8 && !id_is_zero(sp->parent_span_id.data, 8)) {
					memcpy(s->parent_span_id, sp->parent_span_id.data, 8);
					s->has_parent = 1;
				}
				s->name = sp->name;
				s->kind = sp->kind;
				s->start_ns = sp->start_time_unix_nano;
				s->end_ns = sp->end_time_unix_nano < sp->start_time_unix_nano
				                ? sp->start_time_unix_nano : sp->end_time_unix_nano;
				s->status_code = sp->status ? sp->status->code : 0;
				s->status_message = sp->status && sp->status->message ? sp->status->message : "";
				s->service = service;
				s->project = project;
				s->otlp = sp;
				s->resource = res;
				s->scope = ss->scope;
				s->resource_schema_url = rs->schema_url ? rs->schema_url : "";
				s->scope_schema_url = ss->schema_url ? ss->schema_url : "";
				genai_normalize(s, b->arena);
				added++;
			}
		}
	}
	if (seen > 0 && added == 0)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s", b->reject_msg);
	return ERR_OK;
}
