/* native_neon.c: Neon's trace ingest (POST /api/traces/ingest) and span
 * (POST /api/spans) shapes -> OTLP structs -> span_batch_add_request. Both
 * in one file: a trace's nested spans are decoded by the same neon_span as
 * /api/spans items, and both share status, kind, aliases and resources.
 * Neon trace totals (total_tokens, total_cost, ...) are kept as neon.* only,
 * so they are not added to the sums of the trace's spans; Neon's
 * attributes{} are kept verbatim (field helpers in native_fields.h). */
#include "ingest/native.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ingest/batch.h"
#include "ingest/native_fields.h"

/* Neon resources: service "neon", one per run of items with the same
 * project_id (which span.c reads as openinference.project.name). */
static void neon_resource(struct nctx *c, const char *project)
{
	if (c->have_res && (project == c->res_project ||
	                    (project && c->res_project && strcmp(project, c->res_project) == 0)))
		return;
	Tl__Resource *r = nf_resource_begin(c);
	otlp_attr_str(c->a, &r->attributes, &r->n_attributes, "service.name", "neon");
	if (project)
		otlp_attr_str(c->a, &r->attributes, &r->n_attributes, "openinference.project.name", project);
	c->res_project = project;
}

static int neon_status(struct nctx *c, const cJSON *o, int *code)
{
	const char *s;
	int rc = nf_opt_str(c, NF(o, "status"), 32, &s);
	*code = 0;
	if (rc || !s || !*s || strcasecmp(s, "unset") == 0)
		return rc;
	if (strcasecmp(s, "ok") == 0 || strcasecmp(s, "success") == 0)
		*code = 1;
	else if (strcasecmp(s, "error") == 0)
		*code = 2;
	else
		return nf_fail(c, "status", "must be one of unset, ok, error");
	return 0;
}

static int neon_kind(struct nctx *c, const cJSON *o, int *kind)
{
	static const char *const kinds[] = {"internal", "server", "client", "producer", "consumer"};
	const char *s;
	int rc = nf_opt_str(c, NF(o, "kind"), 32, &s);
	*kind = NATIVE_KIND_INTERNAL;
	if (rc || !s)
		return rc;
	for (int i = 0; i < 5; i++)
		if (strcasecmp(s, kinds[i]) == 0) {
			*kind = i + 1;
			return 0;
		}
	return nf_fail(c, "kind", "must be one of internal, server, client, producer, consumer");
}

/* Neon's flat fields inside attributes{} (as in its trace ingest example)
 * also feed the conventions, unless a top-level field already did. */
static int neon_aliases(struct nctx *c, Tl__Span *sp, const cJSON *attrs)
{
	static const struct field_attr alias[] = {
		{"model", "gen_ai.request.model"},
		{"input_tokens", "gen_ai.usage.input_tokens"},
		{"output_tokens", "gen_ai.usage.output_tokens"},
		{"total_tokens", "llm.token_count.total"},
		{"cost_usd", "tracelite.cost_usd"},
		{"user_id", "user.id"},
		{"session_id", "session.id"},
		{"agent_id", "gen_ai.agent.id"},
	};
	for (size_t i = 0; attrs && i < sizeof alias / sizeof alias[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, alias[i].json);
		Tl__AnyValue *av;
		if (!v || cJSON_IsNull(v) || cJSON_IsObject(v) || cJSON_IsArray(v) ||
		    otlp_attr_find(sp->attributes, sp->n_attributes, alias[i].attr))
			continue;
		int rc = nf_json_any(c, v, 0, alias[i].json, &av);
		if (rc)
			return rc;
		otlp_push(c->a, &sp->attributes, &sp->n_attributes, otlp_kv_new(c->a, alias[i].attr, av));
	}
	return 0;
}

/* Counts as nf_put_count. */
static int put_counts(struct nctx *c, Tl__Span *sp, const cJSON *o, const struct field_attr *f, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = nf_put_count(c, sp, NF(o, f[i].json), f[i].attr);
	return rc;
}

/* JSON-valued fields kept as JSON text attributes. */
static int put_jsons(struct nctx *c, Tl__Span *sp, const cJSON *o, const struct field_attr *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = NF(o, f[i].json).v;
		char *text;
		if (!v)
			continue;
		int rc = nf_json_text(c, v, f[i].json, &text);
		if (rc)
			return rc;
		nf_put_owned(c, nf_span_attrs(sp), f[i].attr, text);
	}
	return 0;
}

static const struct field_attr neon_span_counts[] = {
	{"input_tokens", "gen_ai.usage.input_tokens"},
	{"output_tokens", "gen_ai.usage.output_tokens"},
	{"total_tokens", "llm.token_count.total"},
};
static const struct field_attr neon_span_strs[] = {
	{"tool_name", "gen_ai.tool.name"},
};
static const struct field_attr neon_span_jsons[] = {
	{"tool_input", "gen_ai.tool.call.arguments"},
	{"tool_output", "gen_ai.tool.call.result"},
	{"input_messages", "gen_ai.input.messages"},
	{"output_messages", "gen_ai.output.messages"},
	{"handoff", "neon.handoff"},
	{"state_snapshots", "neon.state_snapshots"},
	{"artifacts", "neon.artifacts"},
	{"eval_annotations", "neon.eval.annotations"},
	{"skill_selection", "neon.skill_selection"},
	{"mcp_context", "neon.mcp_context"},
	{"decision_metadata", "neon.decision_metadata"},
};
static const struct field_attr neon_session_strs[] = {
	{"sessionId", "session.id"},
	{"session_id", "session.id"},
	{"conversationId", "gen_ai.conversation.id"},
	{"userId", "enduser.id"},
	{"user_id", "enduser.id"},
	{"threadId", "neon.thread.id"},
};
static const struct field_attr neon_trace_strs[] = {
	{"agent_id", "gen_ai.agent.id"},
	{"agent_version", "neon.agent_version"},
	{"workflow_id", "neon.workflow_id"},
	{"run_id", "neon.run_id"},
	{"user_id", "user.id"},
	{"session_id", "session.id"},
};
/* neon.* only, see neon_trace */
static const struct field_attr neon_trace_counts[] = {
	{"total_tokens", "neon.total_tokens"},
	{"llm_calls", "neon.llm_calls"},
	{"tool_calls", "neon.tool_calls"},
};
#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

/* The parts of a Neon span that a nested span inherits from its trace. */
struct neon_parent {
	const uint8_t *trace_id, *root_id;
	uint64_t start;
	struct nf_range spans;
};

/* One Neon span record; arg is its trace's struct neon_parent, NULL for
 * /api/spans items. */
static enum err neon_span(struct nctx *c, const cJSON *o, void *arg)
{
	struct neon_parent *parent = arg;
	const char *name, *msg, *project;
	const cJSON *v;
	uint8_t trace_id[16], span_id[8], parent_id[8];
	int has, has_parent, rc, code, kind;

	if ((rc = nf_opt_id(c, NF(o, "trace_id"), trace_id, 16, &has)))
		return rc;
	if (!has && !parent)
		return nf_fail(c, "trace_id", "required");
	if (!has)
		memcpy(trace_id, parent->trace_id, 16);
	if ((rc = nf_opt_id(c, NF(o, "span_id"), span_id, 8, &has)))
		return rc;
	if (!has && !parent)
		return nf_fail(c, "span_id", "required");
	if (!has)
		nf_random_id(c, span_id, 8);
	if ((rc = nf_opt_id(c, NF(o, "parent_span_id"), parent_id, 8, &has_parent)) ||
	    (rc = nf_req_str(c, NF(o, "name"), SPAN_MAX_NAME, &name)) ||
	    (rc = neon_kind(c, o, &kind)) || (rc = neon_status(c, o, &code)) ||
	    (rc = nf_opt_str(c, NF(o, "status_message"), SPAN_MAX_STRING, &msg)))
		return rc;
	if (!parent) {
		if ((rc = nf_opt_str(c, NF(o, "project_id"), SPAN_MAX_NAME, &project)))
			return rc;
		neon_resource(c, project);
	}

	uint64_t start, end, dur_ns = 0;
	int has_end, has_dur;
	if ((rc = nf_opt_time(c, NF(o, "timestamp", "start_time"), &start, &has)))
		return rc;
	if (!has && !parent)
		return nf_fail(c, "timestamp", "required");
	if (!has)
		start = parent->start;
	if ((rc = nf_opt_time(c, NF(o, "end_time"), &end, &has_end)) ||
	    (rc = nf_opt_duration(c, NF(o, "duration_ms"), &dur_ns, &has_dur)))
		return rc;
	if (!has_end)
		end = has_dur ? start + dur_ns : start;

	Tl__Span *sp = nf_span_new(c, trace_id, span_id);
	sp->name = arena_strdup(c->a, name);
	sp->kind = kind;
	sp->start_time_unix_nano = start;
	sp->end_time_unix_nano = end < start ? start : end;
	if (has_parent)
		nf_span_parent(c, sp, parent_id);
	else if (parent)
		nf_span_parent(c, sp, parent->root_id);
	nf_span_status(c, sp, code, msg && *msg ? msg : NULL);
	if (parent)
		nf_range_add(&parent->spans, sp);

	if ((rc = nf_put_str(c, sp, NF(o, "span_type", "type"), 64, "span_type")) ||
	    (rc = nf_put_str(c, sp, NF(o, "model"), SPAN_MAX_NAME, "gen_ai.request.model")) ||
	    (rc = nf_put_params(c, sp, NF(o, "model_parameters"))) ||
	    (rc = put_counts(c, sp, o, neon_span_counts, NELEM(neon_span_counts))) ||
	    (rc = nf_put_num(c, sp, NF(o, "cost_usd"), "tracelite.cost_usd")) ||
	    (rc = nf_put_input_output(c, sp, o)) ||
	    (rc = nf_put_strs(c, sp, o, neon_span_strs, NELEM(neon_span_strs), SPAN_MAX_STRING)) ||
	    (rc = put_jsons(c, sp, o, neon_span_jsons, NELEM(neon_span_jsons))))
		return rc;
	if ((rc = nf_opt_obj(c, NF(o, "session"), &v)))
		return rc;
	if (v) {
		char saved[sizeof c->where];
		memcpy(saved, c->where, sizeof saved);
		snprintf(c->where, sizeof c->where, "%.40s%ssession", saved, *saved ? "." : "");
		rc = nf_put_strs(c, sp, v, neon_session_strs, NELEM(neon_session_strs), SPAN_MAX_STRING);
		memcpy(c->where, saved, sizeof saved);
		if (rc || (rc = put_jsons(c, sp, o, &(struct field_attr){"session", "neon.session"}, 1)))
			return rc;
	}
	if ((rc = nf_put_object(c, nf_span_attrs(sp), "", NF(o, "attributes"), &v)) ||
	    (rc = neon_aliases(c, sp, v)))
		return rc;
	return nf_span_done(c, sp);
}

static enum err neon_span_item(struct nctx *c, const cJSON *o)
{
	return neon_span(c, o, NULL);
}

/* Both Neon routes: each item through fn, then the request into b. */
static enum err neon_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen,
                            enum err (*fn)(struct nctx *, const cJSON *))
{
	struct nctx ctx;
	nf_init(&ctx, b, err, errlen, "tracelite.native.neon");
	int rc = nf_each_item(&ctx, root, fn);
	return rc ? rc : span_batch_add_request(b, ctx.req, err, errlen);
}

enum err native_neon_spans_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	return neon_decode(root, b, err, errlen, neon_span_item);
}

static enum err neon_trace(struct nctx *c, const cJSON *o)
{
	const char *name, *project;
	const cJSON *attrs, *spans;
	uint8_t trace_id[16], root_id[8];
	int has, rc, code;

	if ((rc = nf_opt_id(c, NF(o, "trace_id"), trace_id, 16, &has)))
		return rc;
	if (!has)
		return nf_fail(c, "trace_id", "required");
	nf_root_span_id(trace_id, "neon", root_id);
	if ((rc = nf_req_str(c, NF(o, "name"), SPAN_MAX_NAME, &name)) ||
	    (rc = neon_status(c, o, &code)) ||
	    (rc = nf_opt_str(c, NF(o, "project_id"), SPAN_MAX_NAME, &project)))
		return rc;
	uint64_t start, end, dur_ns = 0;
	int has_start, has_end, has_dur;
	if ((rc = nf_opt_time(c, NF(o, "start_time", "timestamp"), &start, &has_start)) ||
	    (rc = nf_opt_time(c, NF(o, "end_time"), &end, &has_end)) ||
	    (rc = nf_opt_duration(c, NF(o, "duration_ms"), &dur_ns, &has_dur)))
		return rc;
	if ((rc = nf_opt_array(c, NF(o, "spans"), &spans)))
		return rc;

	neon_resource(c, project);
	Tl__Span *top = nf_span_new(c, trace_id, root_id);
	top->name = arena_strdup(c->a, name);
	nf_span_status(c, top, code, NULL);
	/* trace totals (counts and total_cost) stay informational: counting
	 * them as the root's own tokens or cost would double the sums of its
	 * spans */
	if ((rc = nf_put_object(c, nf_span_attrs(top), "", NF(o, "attributes"), &attrs)) ||
	    (rc = nf_put_object(c, nf_span_attrs(top), "metadata", NF(o, "metadata"), NULL)) ||
	    (rc = nf_put_strs(c, top, o, neon_trace_strs, NELEM(neon_trace_strs), SPAN_MAX_STRING)) ||
	    (rc = nf_put_input_output(c, top, o)) ||
	    (rc = put_counts(c, top, o, neon_trace_counts, NELEM(neon_trace_counts))) ||
	    (rc = nf_put_num(c, top, NF(o, "total_cost"), "neon.total_cost")) ||
	    (rc = neon_aliases(c, top, attrs)) || (rc = nf_span_done(c, top)))
		return rc;

	/* a trace posted when it finished: without a start, it ended now */
	if (!has_start)
		start = has_end ? (end > dur_ns ? end - dur_ns : 0) : c->now_ns - (dur_ns < c->now_ns ? dur_ns : 0);
	struct neon_parent p = {trace_id, root_id, start, NF_RANGE_EMPTY};
	int nspans;
	if ((rc = nf_each_span(c, spans, neon_span, &p, &nspans)))
		return rc;
	if (!has_start && !has_end && !has_dur && nspans > 0)
		start = p.spans.min_start;
	if (!has_end)
		end = has_dur ? start + dur_ns : (p.spans.max_end > start ? p.spans.max_end : start);
	top->start_time_unix_nano = start;
	top->end_time_unix_nano = end < start ? start : end;
	return 0;
}

enum err native_neon_traces_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	return neon_decode(root, b, err, errlen, neon_trace);
}
