/* tracesum.c: merging spans into a trace summary. */
#include "store/tracesum.h"
#include <assert.h>
#include <string.h>

char *tracesum_clip(char *dst, const char *src, size_t max)
{
	size_t n = strlen(src);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--; /* src[n] continues a sequence: cut before its lead byte */
	}
	memcpy(dst, src, n);
	dst[n] = 0;
	return dst;
}

static void models_add(char *models, const char *model)
{
	size_t mlen = strlen(model), have = strlen(models);
	if (!mlen || strchr(model, ','))
		return;
	for (const char *p = models; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == mlen && memcmp(p, model, len) == 0)
			return;
		p += len + (comma ? 1 : 0);
	}
	if (have + mlen + 1 > TRACESUM_MODELS)
		return;
	if (have)
		models[have++] = ',';
	memcpy(models + have, model, mlen + 1);
}

void tracesum_unmerge(struct tracesum *t, const struct tracesum_old *o)
{
	assert(t->exists);
	t->span_count--;
	t->error_count -= o->status_code == 2;
	t->llm_calls -= o->type == SPAN_TYPE_LLM;
	t->input_tokens -= o->input_tokens;
	t->output_tokens -= o->output_tokens;
	t->cost_usd -= o->cost_usd;
	if (o->is_root) {
		/* the new version names the trace and gives its preview again */
		if (t->root_known == 1)
			t->root_known = 0;
		if (t->has_preview && t->preview_key == 0) {
			t->has_preview = 0;
			t->preview_changed = 1;
		}
	}
}

void tracesum_merge(struct tracesum *t, const struct span *s, int64_t project)
{
	int is_root = !s->has_parent;
	if (!t->exists) {
		memset(t, 0, sizeof *t);
		t->exists = 1;
		t->project = project;
		t->start_ns = s->start_ns;
		t->end_ns = s->end_ns;
		tracesum_clip(t->name, s->name, SPAN_MAX_NAME);
		tracesum_clip(t->service, s->service, sizeof t->service - 1);
		t->root_known = is_root;
	} else if (is_root && !t->root_known) {
		tracesum_clip(t->name, s->name, SPAN_MAX_NAME);
		tracesum_clip(t->service, s->service, sizeof t->service - 1);
		t->root_known = 1;
	} else if (!t->root_known && s->start_ns < t->start_ns) {
		/* provisional name: the earliest span until the root arrives */
		tracesum_clip(t->name, s->name, SPAN_MAX_NAME);
		tracesum_clip(t->service, s->service, sizeof t->service - 1);
	}
	if (s->trace_name && *s->trace_name) {
		/* an explicit trace name wins over the root span's, for good */
		tracesum_clip(t->name, s->trace_name, SPAN_MAX_NAME);
		if (is_root || !t->root_known)
			tracesum_clip(t->service, s->service, sizeof t->service - 1);
		t->root_known = 2;
	}
	if (s->start_ns < t->start_ns)
		t->start_ns = s->start_ns;
	if (s->end_ns > t->end_ns)
		t->end_ns = s->end_ns;
	t->span_count++;
	if (s->status_code == 2)
		t->error_count++;
	if (s->type == SPAN_TYPE_LLM)
		t->llm_calls++;
	t->input_tokens += s->input_tokens;
	t->output_tokens += s->output_tokens;
	if (s->has_cost)
		t->cost_usd += s->cost_usd;
	if (s->model)
		models_add(t->models, s->model);
	if (!t->has_session && s->session_id && *s->session_id) {
		tracesum_clip(t->session_id, s->session_id, sizeof t->session_id - 1);
		t->has_session = 1;
	}
	if (!t->has_user && s->user_id && *s->user_id) {
		tracesum_clip(t->user_id, s->user_id, sizeof t->user_id - 1);
		t->has_user = 1;
	}
	int has_text = (s->input_text && *s->input_text) || (s->output_text && *s->output_text);
	int64_t key = is_root ? 0 : (int64_t)(s->start_ns | 1);
	if (has_text && (!t->has_preview || key < t->preview_key)) {
		/* the texts are read back from this span's record (preview.h) */
		memcpy(t->preview_span, s->span_id, 8);
		t->preview_span_known = 1;
		t->preview_text = 0;
		t->preview_key = key;
		t->has_preview = 1;
		t->preview_changed = 1;
	}
}
