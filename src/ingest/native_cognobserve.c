/* native_cognobserve.c: CognObserve's trace shape (POST /v1/traces with a
 * JSON body that is not OTLP) -> OTLP structs -> span_batch_add_request.
 * The trace becomes a root span whose id is derived from the trace id;
 * session and user become resource attributes, metadata metadata.*, usage
 * the gen_ai.usage.* token counts (field helpers in native_fields.h). */
#include "ingest/native.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ingest/batch.h"
#include "ingest/native_fields.h"

struct cog_trace {
	uint8_t trace_id[16], root_id[8];
	struct nf_range spans;
};

static int cog_usage(struct nctx *c, Tl__Span *sp, const cJSON *u, const char *uname)
{
	static const struct {
		const char *attr;
		const char *const names[6];
	} map[] = {
		{"gen_ai.usage.input_tokens", {"prompt_tokens", "promptTokens", "prompt", "input_tokens", "inputTokens", NULL}},
		{"gen_ai.usage.output_tokens",
		 {"completion_tokens", "completionTokens", "completion", "output_tokens", "outputTokens", NULL}},
		{"llm.token_count.total", {"total_tokens", "totalTokens", "total", NULL}},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		char name[64];
		struct fld f = nf_field(u, map[i].names);
		snprintf(name, sizeof name, "%s.%s", uname, f.name);
		f.name = name;
		int rc = nf_put_count(c, sp, f, map[i].attr);
		if (rc)
			return rc;
	}
	return 0;
}

/* One element of the trace's spans; arg is the struct cog_trace. */
static enum err cog_span(struct nctx *c, const cJSON *o, void *arg)
{
	struct cog_trace *t = arg;
	const char *name;
	const cJSON *v;
	uint8_t span_id[8], parent[8];
	int has, has_parent, rc;
	struct fld params = NF(o, "model_parameters", "modelParameters"), usage = NF(o, "usage", "tokenUsage");

	if ((rc = nf_opt_id(c, NF(o, "span_id", "id"), span_id, 8, &has)))
		return rc;
	if (!has)
		nf_random_id(c, span_id, 8);
	if ((rc = nf_opt_id(c, NF(o, "parent_span_id", "parentSpanId"), parent, 8, &has_parent)))
		return rc;
	if ((rc = nf_req_str(c, NF(o, "name"), SPAN_MAX_NAME, &name)))
		return rc;
	uint64_t start, end;
	int has_end;
	if ((rc = nf_opt_time(c, NF(o, "start_time", "startTime", "timestamp"), &start, &has)))
		return rc;
	if (!has)
		start = c->now_ns;
	if ((rc = nf_opt_time(c, NF(o, "end_time", "endTime"), &end, &has_end)))
		return rc;
	if (!has_end || end < start)
		end = start;

	Tl__Span *sp = nf_span_new(c, t->trace_id, span_id);
	sp->name = arena_strdup(c->a, name);
	sp->start_time_unix_nano = start;
	sp->end_time_unix_nano = end;
	nf_span_parent(c, sp, has_parent ? parent : t->root_id);
	nf_range_add(&t->spans, sp);

	if ((rc = nf_put_input_output(c, sp, o)) ||
	    (rc = nf_put_str(c, sp, NF(o, "model"), SPAN_MAX_NAME, "gen_ai.request.model")) ||
	    (rc = nf_put_params(c, sp, params)) || (rc = nf_opt_obj(c, usage, &v)))
		return rc;
	if (v && (rc = cog_usage(c, sp, v, usage.name)))
		return rc;

	const char *level, *msg;
	if ((rc = nf_opt_str(c, NF(o, "level"), SPAN_MAX_NAME, &level)) ||
	    (rc = nf_opt_str(c, NF(o, "status_message", "statusMessage"), SPAN_MAX_STRING, &msg)))
		return rc;
	if (level && *level)
		otlp_attr_str(c->a, &sp->attributes, &sp->n_attributes, "cognobserve.level", level);
	nf_span_status(c, sp, level && strcasecmp(level, "ERROR") == 0 ? 2 : 0, msg);

	if ((rc = nf_put_object(c, nf_span_attrs(sp), "metadata", NF(o, "metadata"), NULL)))
		return rc;
	return nf_span_done(c, sp);
}

enum err native_cognobserve_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	struct nctx ctx, *c = &ctx;
	struct cog_trace t;
	const char *name, *session, *user, *service = NULL;
	const cJSON *meta, *userobj, *spans;
	int has, rc, nspans;

	nf_init(c, b, err, errlen, "tracelite.native.cognobserve");
	if (!cJSON_IsObject(root))
		return nf_fail(c, "", "must be a JSON object");
	if ((rc = nf_req_str(c, NF(root, "name"), SPAN_MAX_NAME, &name)))
		return rc;
	if (!*name)
		return nf_fail(c, "name", "required");
	if ((rc = nf_opt_id(c, NF(root, "trace_id", "traceId", "id"), t.trace_id, 16, &has)))
		return rc;
	if (!has)
		nf_random_id(c, t.trace_id, 16);
	nf_root_span_id(t.trace_id, "cognobserve", t.root_id);
	if ((rc = nf_opt_str(c, NF(root, "session_id", "sessionId"), SPAN_MAX_NAME, &session)) ||
	    (rc = nf_opt_str(c, NF(root, "user_id", "userId"), SPAN_MAX_NAME, &user)) ||
	    (rc = nf_opt_obj(c, NF(root, "metadata"), &meta)) ||
	    (rc = nf_opt_obj(c, NF(root, "user"), &userobj)))
		return rc;
	if (meta) {
		struct fld f = NF(meta, "service.name", "service_name", "serviceName");
		f.name = "metadata.service.name";
		if ((rc = nf_opt_str(c, f, SPAN_MAX_NAME, &service)))
			return rc;
	}
	uint64_t ts;
	int has_ts;
	if ((rc = nf_opt_time(c, NF(root, "timestamp", "start_time", "startTime"), &ts, &has_ts)))
		return rc;
	if ((rc = nf_opt_array(c, NF(root, "spans"), &spans)))
		return rc;

	/* session and user hold for every span of the trace: resource attributes */
	Tl__Resource *res = nf_resource_begin(c);
	struct attrs ra = {&res->attributes, &res->n_attributes};
	otlp_attr_str(c->a, ra.kv, ra.n, "service.name", service && *service ? service : "cognobserve");
	if (session && *session)
		otlp_attr_str(c->a, ra.kv, ra.n, "session.id", session);
	if (user && *user)
		otlp_attr_str(c->a, ra.kv, ra.n, "user.id", user);
	if ((rc = nf_put_object(c, ra, "user", (struct fld){userobj, "user"}, NULL)))
		return rc;

	Tl__Span *top = nf_span_new(c, t.trace_id, t.root_id);
	top->name = arena_strdup(c->a, name);
	if ((rc = nf_put_object(c, nf_span_attrs(top), "metadata", (struct fld){meta, "metadata"}, NULL)) ||
	    (rc = nf_put_input_output(c, top, root)) || (rc = nf_span_done(c, top)))
		return rc;

	t.spans = NF_RANGE_EMPTY;
	if ((rc = nf_each_span(c, spans, cog_span, &t, &nspans)))
		return rc;
	top->start_time_unix_nano = has_ts ? ts : nspans ? t.spans.min_start : c->now_ns;
	top->end_time_unix_nano = t.spans.max_end > top->start_time_unix_nano ? t.spans.max_end
	                                                                        : top->start_time_unix_nano;
	return span_batch_add_request(b, c->req, err, errlen);
}
