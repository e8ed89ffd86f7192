/* side.c: real prose for the demo traces and ClickHouse rows for the
 * side-by-side benchmark (see side.h). The prose is the corpus's sentences
 * in file order, so a rewritten prompt reads like a stretch of a real
 * document; the rows go through tracelite's own batch building, LLM field
 * normalization and pricing, so both sides hold the same figures. */
#include "side.h"
#include <assert.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/ids.h"
#include "base/json.h"
#include "ingest/batch.h"
#include "ingest/prices.h"
#include "ingest/span.h"

struct prose {
	char *text;            /* the whole file, lines NUL-terminated in place */
	const char **line;
	size_t *len;
	size_t n;
};

struct prose *prose_load(const char *path, char *err, size_t errlen)
{
	struct prose *p = calloc(1, sizeof *p);
	FILE *f = fopen(path, "rb");
	long size = -1;
	if (!p || !f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "cannot read the corpus %s", path);
		goto fail;
	}
	p->text = malloc((size_t)size + 1);
	if (!p->text || fread(p->text, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "cannot read the corpus %s", path);
		goto fail;
	}
	p->text[size] = '\n';
	size_t cap = 0;
	for (long i = 0; i <= size; i++)
		cap += p->text[i] == '\n';
	p->line = malloc(cap * sizeof *p->line);
	p->len = malloc(cap * sizeof *p->len);
	if (!p->line || !p->len)
		abort();
	for (char *s = p->text, *end = p->text + size + 1; s < end;) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		assert(nl);
		*nl = 0;
		if (nl > s) {
			p->line[p->n] = s;
			p->len[p->n++] = (size_t)(nl - s);
		}
		s = nl + 1;
	}
	if (p->n < 100) {
		snprintf(err, errlen, "the corpus %s has %zu sentences; at least 100 needed", path, p->n);
		goto fail;
	}
	fclose(f);
	return p;
fail:
	if (f)
		fclose(f);
	prose_free(p);
	return NULL;
}

void prose_free(struct prose *p)
{
	if (!p)
		return;
	free(p->text);
	free(p->line);
	free(p->len);
	free(p);
}

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
	h ^= 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* Consecutive sentences from a line picked by hashing orig, about
 * scale * its length (at least 200 bytes), a paragraph break every four. */
static char *passage(const struct prose *p, uint64_t seed, double scale, const char *orig, size_t olen,
                     struct arena *a)
{
	size_t want = (size_t)((double)olen * scale);
	if (want < 200)
		want = 200;
	uint64_t h = fnv1a(orig, olen, seed);
	size_t at = (size_t)(h % p->n), n = 0, len = 0;
	while (len < want) {
		len += p->len[(at + n) % p->n] + 2;
		n++;
	}
	char *out = arena_alloc(a, len + 1), *w = out;
	for (size_t k = 0; k < n; k++) {
		size_t i = (at + k) % p->n;
		if (k)
			*w++ = k % 4 ? ' ' : '\n';
		memcpy(w, p->line[i], p->len[i]);
		w += p->len[i];
	}
	*w = 0;
	return out;
}

/* Text worth replacing: long enough and several words. */
static int is_text(const char *s, size_t n, size_t min)
{
	if (n < min)
		return 0;
	size_t spaces = 0;
	for (size_t i = 0; i < n; i++)
		spaces += s[i] == ' ';
	return spaces >= 5;
}

static void rewrite_json(const struct prose *p, uint64_t seed, double scale, struct arena *a, cJSON *v)
{
	for (cJSON *c = v->child; c; c = c->next) {
		if (cJSON_IsString(c) && c->valuestring && is_text(c->valuestring, strlen(c->valuestring), 40)) {
			const char *s = passage(p, seed, scale, c->valuestring, strlen(c->valuestring), a);
			cJSON_SetValuestring(c, s);
		} else if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
			rewrite_json(p, seed, scale, a, c);
		}
	}
}

static void rewrite_value(const struct prose *p, uint64_t seed, double scale, struct arena *a, const char *key,
                          Tl__AnyValue *v)
{
	if (!v || v->value_case != TL__ANY_VALUE__VALUE_STRING_VALUE || strstr(key, "stacktrace"))
		return;
	const char *s = v->string_value;
	size_t n = strlen(s);
	if ((s[0] == '[' || s[0] == '{') && n >= 40) {
		cJSON *j = cJSON_ParseWithLength(s, n);
		if (j) {
			rewrite_json(p, seed, scale, a, j);
			char *out = cJSON_PrintUnformatted(j);
			if (!out)
				abort();
			v->string_value = arena_strdup(a, out);
			cJSON_free(out);
			cJSON_Delete(j);
			return;
		}
	}
	if (is_text(s, n, 60))
		v->string_value = passage(p, seed, scale, s, n, a);
}

void prose_rewrite(const struct prose *p, uint64_t seed, double scale, struct arena *a,
                   Tl__ExportTraceServiceRequest *req)
{
	for (size_t r = 0; r < req->n_resource_spans; r++)
		for (size_t k = 0; k < req->resource_spans[r]->n_scope_spans; k++) {
			Tl__ScopeSpans *ss = req->resource_spans[r]->scope_spans[k];
			for (size_t i = 0; i < ss->n_spans; i++) {
				Tl__Span *sp = ss->spans[i];
				for (size_t j = 0; j < sp->n_attributes; j++)
					rewrite_value(p, seed, scale, a, sp->attributes[j]->key, sp->attributes[j]->value);
			}
		}
}

/* ---------- ClickHouse rows ---------- */

static struct prices *side_prices;
static pthread_once_t side_prices_once = PTHREAD_ONCE_INIT;

static void load_prices(void)
{
	char err[256];
	side_prices = prices_load(NULL, err, sizeof err);
	if (!side_prices) {
		fprintf(stderr, "loadgen: prices: %s\n", err);
		exit(2);
	}
}

static void any_json(struct jbuf *b, const Tl__AnyValue *v)
{
	if (!v) {
		jbuf_put(b, "null", 4);
		return;
	}
	switch (v->value_case) {
	case TL__ANY_VALUE__VALUE_STRING_VALUE:
		json_strz(b, v->string_value);
		break;
	case TL__ANY_VALUE__VALUE_BOOL_VALUE:
		jbuf_put(b, v->bool_value ? "true" : "false", v->bool_value ? 4 : 5);
		break;
	case TL__ANY_VALUE__VALUE_INT_VALUE:
		json_i64(b, v->int_value);
		break;
	case TL__ANY_VALUE__VALUE_DOUBLE_VALUE:
		json_double(b, v->double_value);
		break;
	case TL__ANY_VALUE__VALUE_ARRAY_VALUE:
		jbuf_putc(b, '[');
		for (size_t i = 0; v->array_value && i < v->array_value->n_values; i++) {
			if (i)
				jbuf_putc(b, ',');
			any_json(b, v->array_value->values[i]);
		}
		jbuf_putc(b, ']');
		break;
	case TL__ANY_VALUE__VALUE_KVLIST_VALUE:
		jbuf_putc(b, '{');
		for (size_t i = 0; v->kvlist_value && i < v->kvlist_value->n_values; i++) {
			if (i)
				jbuf_putc(b, ',');
			json_strz(b, v->kvlist_value->values[i]->key);
			jbuf_putc(b, ':');
			any_json(b, v->kvlist_value->values[i]->value);
		}
		jbuf_putc(b, '}');
		break;
	case TL__ANY_VALUE__VALUE_BYTES_VALUE:
		json_base64(b, v->bytes_value.data, v->bytes_value.len);
		break;
	default:
		jbuf_put(b, "null", 4);
	}
}

/* attrs as one JSON object's text, leaving out the values skip_a and
 * skip_b point to (the input and output texts, columns of their own). */
static void attrs_text(struct jbuf *t, Tl__KeyValue **kv, size_t n, const char *skip_a, const char *skip_b)
{
	t->len = 0;
	jbuf_putc(t, '{');
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		const Tl__AnyValue *v = kv[i]->value;
		if (v && v->value_case == TL__ANY_VALUE__VALUE_STRING_VALUE &&
		    (v->string_value == skip_a || v->string_value == skip_b))
			continue;
		if (!first)
			jbuf_putc(t, ',');
		first = 0;
		json_strz(t, kv[i]->key);
		jbuf_putc(t, ':');
		any_json(t, v);
	}
	jbuf_putc(t, '}');
}

static void field_str(struct jbuf *b, const char *name, const char *s)
{
	jbuf_putc(b, ',');
	json_strz(b, name);
	jbuf_putc(b, ':');
	json_strz(b, s ? s : "");
}

static void field_u64(struct jbuf *b, const char *name, uint64_t v)
{
	jbuf_putc(b, ',');
	json_strz(b, name);
	jbuf_putc(b, ':');
	json_u64(b, v);
}

char *side_rows(const Tl__ExportTraceServiceRequest *req, size_t *len, size_t *spans, char *err,
                size_t errlen)
{
	pthread_once(&side_prices_once, load_prices);
	struct span_batch *sb = span_batch_new(NULL);
	char *out = NULL;
	struct jbuf b, t;
	jbuf_init(&b, JBUF_NO_CAP);
	jbuf_init(&t, JBUF_NO_CAP);
	if (span_batch_add_request(sb, req, err, errlen) != ERR_OK)
		goto out;
	prices_apply(side_prices, sb);
	for (size_t i = 0; i < sb->nspans; i++) {
		const struct span *s = &sb->spans[i];
		char hex[33];
		id_to_hex(s->trace_id, 16, hex);
		jbuf_put(&b, "{\"trace_id\":", 12);
		json_strz(&b, hex);
		id_to_hex(s->span_id, 8, hex);
		field_str(&b, "span_id", hex);
		if (s->has_parent)
			id_to_hex(s->parent_span_id, 8, hex);
		field_str(&b, "parent_span_id", s->has_parent ? hex : "");
		field_str(&b, "name", s->name);
		field_str(&b, "service", s->service);
		field_u64(&b, "kind", (uint64_t)s->kind);
		field_str(&b, "type", span_type_name(s->type));
		field_u64(&b, "start_ns", s->start_ns);
		field_u64(&b, "end_ns", s->end_ns);
		field_u64(&b, "duration_ns", s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0);
		field_u64(&b, "status_code", (uint64_t)s->status_code);
		field_str(&b, "status_message", s->status_message);
		field_str(&b, "model", s->model);
		field_str(&b, "provider", s->provider);
		field_u64(&b, "input_tokens", (uint64_t)(s->input_tokens > 0 ? s->input_tokens : 0));
		field_u64(&b, "output_tokens", (uint64_t)(s->output_tokens > 0 ? s->output_tokens : 0));
		jbuf_put(&b, ",\"cost_usd\":", 12);
		json_double(&b, s->has_cost ? s->cost_usd : 0.0);
		field_str(&b, "session_id", s->session_id);
		field_str(&b, "user_id", s->user_id);
		field_str(&b, "input", s->input_text);
		field_str(&b, "output", s->output_text);
		attrs_text(&t, s->otlp->attributes, s->otlp->n_attributes, s->input_text, s->output_text);
		jbuf_put(&b, ",\"attributes\":", 14);
		json_str(&b, t.p, t.len);
		/* events as [{"name","time_ns","attributes":{...}}] */
		struct jbuf e;
		jbuf_init(&e, JBUF_NO_CAP);
		jbuf_putc(&e, '[');
		for (size_t k = 0; k < s->otlp->n_events; k++) {
			const Tl__Span__Event *ev = s->otlp->events[k];
			if (k)
				jbuf_putc(&e, ',');
			jbuf_put(&e, "{\"name\":", 8);
			json_strz(&e, ev->name);
			field_u64(&e, "time_ns", ev->time_unix_nano);
			attrs_text(&t, ev->attributes, ev->n_attributes, NULL, NULL);
			jbuf_put(&e, ",\"attributes\":", 14);
			jbuf_put(&e, t.p, t.len);
			jbuf_putc(&e, '}');
		}
		jbuf_putc(&e, ']');
		jbuf_put(&b, ",\"events\":", 10);
		json_str(&b, e.p, e.len);
		free(jbuf_finish(&e, NULL));
		jbuf_put(&b, "}\n", 2);
	}
	*spans = sb->nspans;
	out = jbuf_finish(&b, len);
	b.p = NULL;
out:
	free(b.p);
	free(t.p);
	span_batch_free(sb);
	return out;
}
