/* test_langfuse.c: the Langfuse batch decoder (native_langfuse.c): events
 * of one entity applied in time order whatever their batch order,
 * attributes merged key by key with the last winning, a stored version
 * built on (and left unchanged), per-event answers, and bodies that are not
 * a batch. */
#include <string.h>
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/native.h"
#include "otlp/otlp_build.h"
#include "test.h"

static const Tl__Span *find(const struct span_batch *b, const char *name)
{
	for (size_t i = 0; i < b->nspans; i++)
		if (strcmp(b->spans[i].name, name) == 0)
			return b->spans[i].otlp;
	return NULL;
}

static const char *attr(const Tl__Span *sp, const char *key)
{
	return sp ? otlp_attr_find_str(sp->attributes, sp->n_attributes, key) : NULL;
}

static int decode(const char *text, struct span_batch *b, char *err, size_t errlen)
{
	cJSON *j = cJSON_Parse(text);
	int rc = native_langfuse_decode(j, b, err, errlen);
	cJSON_Delete(j);
	return rc;
}

static void test_order(void)
{
	char err[256] = "";
	struct span_batch *b = span_batch_new("pk-1");
	int rc = decode("{\"batch\":["
	                "{\"id\":\"u\",\"type\":\"span-update\",\"timestamp\":\"2026-01-01T00:00:05Z\",\"body\":{\"id\":\"s\","
	                "\"traceId\":\"t\",\"metadata\":{\"a\":\"new\"},\"endTime\":\"2026-01-01T00:00:05Z\"}},"
	                "{\"id\":\"c\",\"type\":\"span-create\",\"timestamp\":\"2026-01-01T00:00:01Z\",\"body\":{\"id\":\"s\","
	                "\"traceId\":\"t\",\"name\":\"step\",\"metadata\":{\"a\":\"old\",\"b\":\"kept\"},"
	                "\"startTime\":\"2026-01-01T00:00:01Z\"}},"
	                "{\"id\":\"c\",\"type\":\"span-create\",\"body\":{\"id\":\"other\",\"name\":\"dup event id\"}},"
	                "{\"id\":\"x\",\"type\":\"span-create\",\"body\":{\"id\":\"bad\",\"name\":7}}"
	                "]}", b, err, sizeof err);
	CHECK(rc == ERR_OK, "rc %d %s", rc, err);
	CHECK(b->nspans == 1, "one entity, the duplicate event and the bad one not stored: %zu", b->nspans);
	const Tl__Span *sp = find(b, "step");
	CHECK(sp != NULL, "the create's name");
	CHECK(attr(sp, "metadata.a") && strcmp(attr(sp, "metadata.a"), "new") == 0, "the later update wins");
	CHECK(attr(sp, "metadata.b") && strcmp(attr(sp, "metadata.b"), "kept") == 0, "keys merge");
	CHECK(sp && sp->end_time_unix_nano - sp->start_time_unix_nano == 4000000000ull, "times from both");
	CHECK(b->spans[0].replace == 1 && b->spans[0].has_parent, "replaces, child of the trace's root");
	struct langfuse_io *io = b->langfuse;
	CHECK(io && io->nanswers == 4, "answers");
	CHECK(io->answers[2].status == 201 && io->answers[2].duplicate, "repeated event id ignored");
	CHECK(io->answers[3].status == 400 && strstr(io->answers[3].message, "batch[3].body.name: must be a string"),
	      "bad event: %s", io->answers[3].message);
	span_batch_free(b);
}

static Tl__Span stored;

static const Tl__Span *stored_span(void *ctx, const uint8_t span_id[8], uint8_t trace_id[16])
{
	(void)ctx;
	(void)span_id;
	memset(trace_id, 0x11, 16);
	return &stored;
}

static void test_stored(void)
{
	char err[256] = "";
	struct arena *a = arena_new();
	Tl__Status st = TL__STATUS__INIT;
	tl__span__init(&stored);
	stored.name = (char *)"stored-gen";
	stored.start_time_unix_nano = 1000;
	stored.end_time_unix_nano = 2000;
	st.code = 0;
	st.message = (char *)"";
	stored.status = &st;
	otlp_attr_str(a, &stored.attributes, &stored.n_attributes, "output.value", "first answer");
	otlp_attr_str(a, &stored.attributes, &stored.n_attributes, "langfuse.observation.model.name", "m");
	struct span_batch *b = span_batch_new(NULL);
	struct langfuse_io io = {stored_span, NULL, NULL, NULL, NULL, 0};
	b->langfuse = &io;
	int rc = decode("{\"batch\":[{\"id\":\"e\",\"type\":\"generation-update\",\"body\":{\"id\":\"g\",\"level\":\"ERROR\","
	                "\"statusMessage\":\"late failure\",\"usage\":{\"input\":4,\"output\":2}}}]}", b, err, sizeof err);
	CHECK(rc == ERR_OK && b->nspans == 1, "rc %d %s", rc, err);
	const struct span *s = &b->spans[0];
	CHECK(strcmp(s->name, "stored-gen") == 0, "stored name");
	CHECK(s->start_ns == 1000 && s->end_ns == 2000, "stored times");
	CHECK(s->trace_id[0] == 0x11, "stored trace id");
	CHECK(s->status_code == 2 && strcmp(s->status_message, "late failure") == 0, "new status");
	CHECK(s->output_text && strcmp(s->output_text, "first answer") == 0, "stored output");
	CHECK(s->model && strcmp(s->model, "m") == 0 && s->input_tokens == 4, "stored model, new usage");
	CHECK(st.code == 0 && stored.n_attributes == 2, "the stored record is not changed");
	span_batch_free(b);
	arena_free(a);
}

static void test_not_a_batch(void)
{
	const char *bodies[] = {"{}", "{\"batch\":{}}", "[]", "{\"batch\":\"x\"}"};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		char err[256] = "";
		struct span_batch *b = span_batch_new(NULL);
		int rc = decode(bodies[i], b, err, sizeof err);
		CHECK(rc == ERR_BAD_INPUT && strstr(err, "batch"), "%s: rc %d %s", bodies[i], rc, err);
		span_batch_free(b);
	}
}

int main(void)
{
	test_order();
	test_stored();
	test_not_a_batch();
	return test_done();
}
