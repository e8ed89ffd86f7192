/* native_scores.c: Neon-style scores (POST /api/scores) -> one struct score
 * per item appended to the batch with span_batch_add_score (field helpers
 * in native_fields.h). */
#include "ingest/native.h"
#include <math.h>
#include <string.h>
#include <strings.h>
#include "ingest/batch.h"
#include "ingest/native_fields.h"

static enum err score_item(struct nctx *c, const cJSON *o)
{
	const char *name, *sval, *type, *comment, *source, *id, *project, *session;
	struct fld tf = NF(o, "score_type", "data_type");
	const cJSON *v;
	int has, rc;
	struct score tmp;
	memset(&tmp, 0, sizeof tmp);

	if ((rc = nf_score_target(c, NF(o, "trace_id"), NF(o, "session_id", "sessionId"), &tmp, &session)) ||
	    (rc = nf_opt_id(c, NF(o, "span_id"), tmp.span_id, 8, &tmp.has_span)) ||
	    (rc = nf_req_str(c, NF(o, "name"), SPAN_MAX_NAME, &name)))
		return rc;
	if (!*name)
		return nf_fail(c, "name", "required");
	v = NF(o, "value").v;
	if (v) {
		if (cJSON_IsBool(v))
			tmp.value = cJSON_IsTrue(v) ? 1 : 0;
		else if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
			tmp.value = v->valuedouble;
		else
			return nf_fail(c, "value", "must be a number or a boolean");
		tmp.has_value = 1;
	}
	if ((rc = nf_opt_str(c, NF(o, "string_value"), SPAN_MAX_STRING, &sval)) ||
	    (rc = nf_opt_str(c, tf, 32, &type)) ||
	    (rc = nf_opt_str(c, NF(o, "comment", "reason"), SPAN_MAX_STRING, &comment)) ||
	    (rc = nf_opt_str(c, NF(o, "source"), SPAN_MAX_NAME, &source)) ||
	    (rc = nf_opt_str(c, NF(o, "score_id", "id"), SPAN_MAX_NAME, &id)) ||
	    (rc = nf_opt_str(c, NF(o, "project_id"), SPAN_MAX_NAME, &project)) ||
	    (rc = nf_opt_time(c, NF(o, "timestamp"), &tmp.time_ns, &has)))
		return rc;
	if (!tmp.has_value && !sval)
		return nf_fail(c, "value", "required (a number, or string_value)");
	static const char *const types[] = {"numeric", "categorical", "boolean"};
	const char *stype = NULL;
	if (type) {
		for (int i = 0; i < 3; i++)
			if (strcasecmp(type, types[i]) == 0)
				stype = types[i];
		if (!stype)
			return nf_fail(c, tf.name, "must be one of numeric, categorical, boolean");
	} else {
		stype = cJSON_IsBool(v) ? "boolean" : tmp.has_value ? "numeric" : "categorical";
	}

	struct score *sc = span_batch_add_score(c->b);
	*sc = tmp;
	sc->name = arena_strdup(c->a, name);
	sc->string_value = arena_strdup(c->a, sval);
	sc->score_type = stype;
	sc->comment = arena_strdup(c->a, comment);
	sc->source = arena_strdup(c->a, source && *source ? source : "api");
	sc->session_id = session;
	sc->id = id && *id ? arena_strdup(c->a, id) : NULL;
	sc->project = c->b->project_header ? c->b->project_header
	              : project && *project ? arena_strdup(c->a, project) : NULL;
	return 0;
}

enum err native_scores_decode(const cJSON *root, struct span_batch *b, char *err, size_t errlen)
{
	struct nctx ctx;
	nf_init(&ctx, b, err, errlen, "tracelite.native.scores");
	return nf_each_item(&ctx, root, score_item);
}
