/* test_attrindex.c: attrindex_prepare, the part of the attribute index
 * that runs in the request thread: which attributes become entries, that a
 * pair is taken once per run of spans of one trace (and again for the next
 * trace), and how metadata JSON text and skipped keys are handled. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "store/attrindex.h"
#include "store/pairset.h"
#include "base/intern.h"
#include "store/record.h"
#include "store/store.h"
#include "test.h"

#define T1 "0123456789abcdef0123456789abcdef"
#define T2 "fedcba9876543210fedcba9876543210"

/* One span of trace `trace` with id `span` and attributes `attrs` (JSON). */
static int span_json(char *out, size_t n, const char *trace, const char *span, const char *attrs)
{
	return snprintf(out, n,
	                "{\"traceId\":\"%s\",\"spanId\":\"%s\",\"name\":\"s\",\"startTimeUnixNano\":\"1700000000000000000\","
	                "\"endTimeUnixNano\":\"1700000001000000000\",\"attributes\":[%s]}",
	                trace, span, attrs);
}

static const struct attrindex_entry *find(const struct attrindex_prep *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].key, key))
			return &p->v[i];
	return NULL;
}

/* An intern callback over a map: ids 1, 2, ... (no strings table). */
static enum err intern_map(void *ctx, const char *s, int64_t *id)
{
	struct intern *m = ctx;
	if (!intern_get(m, s, strlen(s), id)) {
		*id = (int64_t)intern_count(m) + 1;
		intern_put(m, s, strlen(s), *id);
	}
	return ERR_OK;
}

/* (trace, pair) rows of the stored pair sets, as schema/011 held them. */
#define PAIR_ROWS "SELECT count(*) FROM trace_pairsets x, attr_pairs p WHERE tl_pairset_has(x.pairs, p.id)"

/* attrindex_span (one stored span at a time, as a backfill reads them) and
 * attrindex_span_prepared store the same rows. */
static void store_rows(const struct span_batch *b, const struct attrindex_prep *p)
{
	char dir[] = "/tmp/tl-attrindex-XXXXXX", err[512];
	sqlite3 *db;
	struct attrindex *x;
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "open: %s", err);
	CHECK(attrindex_open(db, &x) == ERR_OK, "attrindex_open");
	struct intern *m = intern_new();
	for (int pass = 0; pass < 2; pass++) {
		/* the spans in trace order: 0 and 2 are trace 1 (key 1), 1 and 3 trace 2 */
		static const size_t order[4] = {0, 2, 1, 3};
		for (size_t n = 0; n < 4; n++) {
			size_t i = order[n];
			int64_t trace = i % 2 ? 2 : 1;
			enum err rc = pass ? attrindex_span(x, trace, &b->spans[i], 0, intern_map, m)
			                   : attrindex_span_prepared(x, trace, &b->spans[i], &p[i], 0, intern_map, m);
			CHECK(rc == ERR_OK, "pass %d span %zu: %s", pass, i, sqlite3_errmsg(db));
		}
		CHECK(attrindex_flush(x) == ERR_OK, "pass %d: flush", pass);
		/* trace 1: model, turn 3, turn 4, plan, build; trace 2: model (the same pair) */
		CHECK(test_sql_int(db, "SELECT count(*) FROM trace_pairsets") == 2, "pass %d: one set per trace", pass);
		CHECK(test_sql_int(db, PAIR_ROWS) == 6, "pass %d: %lld pairs", pass, (long long)test_sql_int(db, PAIR_ROWS));
		CHECK(test_sql_int(db, "SELECT count(*) FROM attr_pairs") == 5, "pass %d: each pair once", pass);
		CHECK(test_sql_int(db, PAIR_ROWS " AND x.trace = 1 AND p.value = 4") == 1, "pass %d: turn 4 of trace 1", pass);
		/* each (pair, block of traces) once, for the set path */
		CHECK(test_sql_int(db, PAIR_ROWS " AND NOT EXISTS (SELECT 1 FROM pair_blocks b"
		                     " WHERE b.pair = p.id AND b.block = x.trace >> 8)") == 0 &&
		          test_sql_int(db, "SELECT count(*) FROM pair_blocks") == 5,
		      "pass %d: blocks", pass);
		/* a later run of trace 2 (model) with span 0's pairs merges into its
		 * stored set: model once, turn 3, plan, build added */
		CHECK(attrindex_span_prepared(x, 2, &b->spans[0], &p[0], 0, intern_map, m) == ERR_OK &&
		          attrindex_flush(x) == ERR_OK && test_sql_int(db, PAIR_ROWS) == 9 &&
		          test_sql_int(db, "SELECT count(*) FROM trace_pairsets") == 2,
		      "pass %d: merged: %lld", pass, (long long)test_sql_int(db, PAIR_ROWS));
		sqlite3_exec(db, "DELETE FROM trace_pairsets; DELETE FROM pair_blocks", NULL, NULL, NULL);
		attrindex_reset(x);
	}
	/* a trace run of more pairs than ATTRINDEX_PENDING_MAX is written in
	 * parts, merged into one set */
	enum { BIG = ATTRINDEX_PENDING_MAX + 1000 };
	struct attrindex_entry *v = calloc(BIG, sizeof *v);
	CHECK(v != NULL, "calloc");
	for (int k = 0; v && k < BIG; k++)
		v[k] = (struct attrindex_entry){.key = "a:n", .type = ATTRINDEX_INT, .i = k};
	struct attrindex_prep big = {.v = v, .n = v ? BIG : 0};
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	CHECK(attrindex_span_prepared(x, 7, &b->spans[0], &big, 0, intern_map, m) == ERR_OK && attrindex_flush(x) == ERR_OK,
	      "big run: %s", sqlite3_errmsg(db));
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_stmt *st = NULL;
	size_t ids = 0, pos = 0;
	int64_t id = 0;
	if (sqlite3_prepare_v2(db, "SELECT pairs FROM trace_pairsets WHERE trace = 7", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		while (pairset_next(p, len, &pos, &id) == 1)
			ids++;
	}
	sqlite3_finalize(st);
	CHECK(test_sql_int(db, "SELECT count(*) FROM trace_pairsets") == 1 && ids == BIG,
	      "big run: one set of %d pairs: %zu", BIG, ids);
	free(v);
	intern_free(m);
	attrindex_close(x);
	sqlite3_close(db);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "rm");
}

/* Every skipped key and prefix is left out; keys that only nearly match
 * one (longer, shorter, a prefix without its dot) are entries; each JSON
 * key's text is parsed. skipped() compares by length first: this pins its
 * answers to the lists'. */
static void skip_lists(void)
{
	static const char *const out[] = {
		"input.value", "output.value", "gen_ai.input.messages", "gen_ai.output.messages",
		"gen_ai.system_instructions", "gen_ai.response.id", "gen_ai.tool.call.id", "gen_ai.tool.call.arguments",
		"gen_ai.tool.call.result", "llm.input_messages", "llm.output_messages", "llm.prompts", "tool.description",
		"retrieval.documents", "session.id", "user.id", "gen_ai.conversation.id", "gen_ai.usage.input_tokens",
		"llm.token_count.total", "llm.usage.x", "gen_ai.prompt.0.content", "gen_ai.completion.0.content",
		"llm.input_messages.0.message.role", "llm.output_messages.1", "retrieval.documents.0.document.id",
		"exception.message", "embedding.embeddings.0.embedding.vector", "gen_ai.usage.",
	};
	static const char *const in[] = {
		"input.valuex", "input.valu", "session.i", "user.idx", "gen_ai.usage", "exception", "llm.prompts2",
		"xinput.value", "gen_ai.usagex.y", "tool.descriptions", "embedding.embeddings", "llm.usage",
	};
	static const char *const json[] = {"metadata", "langfuse.trace.metadata", "langfuse.observation.metadata",
	                                   "tag.tags", "langfuse.trace.tags", "langfuse.tags"};
	char attrs[8192], *p = attrs, body[10000], err[512];
	size_t left = sizeof attrs;
	for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
		int n = snprintf(p, left, "%s{\"key\":\"%s\",\"value\":{\"stringValue\":\"v\"}}", p == attrs ? "" : ",", out[i]);
		p += n;
		left -= (size_t)n;
	}
	for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
		int n = snprintf(p, left, ",{\"key\":\"%s\",\"value\":{\"intValue\":%zu}}", in[i], i);
		p += n;
		left -= (size_t)n;
	}
	for (size_t i = 0; i < sizeof json / sizeof *json; i++) {
		int n = snprintf(p, left, ",{\"key\":\"%s\",\"value\":{\"stringValue\":\"[\\\"t%zu\\\"]\"}}", json[i], i);
		p += n;
		left -= (size_t)n;
	}
	char span[9000];
	span_json(span, sizeof span, T1, "0000000000000009", attrs);
	snprintf(body, sizeof body, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[%s]}]}]}", span);
	struct span_batch *b = span_batch_new(NULL);
	int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, body, strlen(body), b, NULL, err, sizeof err);
	CHECK(rc == ERR_OK && b->nspans == 1, "skip lists: decode: %s", err);
	if (rc) {
		span_batch_free(b);
		return;
	}
	static const size_t order[1] = {0};
	struct attrindex_prep prep;
	attrindex_prepare(b, order, &prep);
	char key[128];
	for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
		snprintf(key, sizeof key, "a:%s", out[i]);
		CHECK(!find(&prep, key), "%s is left out", out[i]);
	}
	for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
		snprintf(key, sizeof key, "a:%s", in[i]);
		const struct attrindex_entry *e = find(&prep, key);
		CHECK(e && e->type == ATTRINDEX_INT && e->i == (int64_t)i, "%s is an entry", in[i]);
	}
	for (size_t i = 0; i < sizeof json / sizeof *json; i++) {
		char want[8];
		snprintf(key, sizeof key, "a:%s", json[i]);
		snprintf(want, sizeof want, "t%zu", i);
		const struct attrindex_entry *e = find(&prep, key);
		CHECK(e && e->type == ATTRINDEX_TEXT && e->slen == strlen(want) && !memcmp(e->s, want, e->slen),
		      "%s's JSON array element is its entry", json[i]);
	}
	CHECK(prep.n == sizeof in / sizeof *in + sizeof json / sizeof *json, "skip lists: %zu entries", prep.n);
	span_batch_free(b);
}

int main(void)
{
	static const char *const model = "{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-4o\"}}";
	char body[8192], s[4][1536], attrs[1024], err[512];
	snprintf(attrs, sizeof attrs,
	         "%s,{\"key\":\"input.value\",\"value\":{\"stringValue\":\"some prompt\"}},"
	         "{\"key\":\"embedding.embeddings.0.embedding.text\",\"value\":{\"stringValue\":\"embedded text\"}},"
	         "{\"key\":\"agent.turn\",\"value\":{\"intValue\":3}},"
	         "{\"key\":\"metadata\",\"value\":{\"stringValue\":\"{\\\"plan\\\":\\\"pro\\\",\\\"build\\\":7}\"}}",
	         model);
	span_json(s[0], sizeof s[0], T1, "0000000000000001", attrs);
	span_json(s[1], sizeof s[1], T2, "0000000000000002", model);
	span_json(s[2], sizeof s[2], T1, "0000000000000003",
	          "{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-4o\"}},"
	          "{\"key\":\"agent.turn\",\"value\":{\"intValue\":4}}");
	span_json(s[3], sizeof s[3], T2, "0000000000000004", model);
	snprintf(body, sizeof body, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[%s,%s,%s,%s]}]}]}", s[0], s[1], s[2],
	         s[3]);
	struct span_batch *b = span_batch_new(NULL);
	int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, body, strlen(body), b, NULL, err, sizeof err);
	CHECK(rc == ERR_OK && b->nspans == 4, "decode: %s", err);
	struct record_batch rec;
	rc = rc ? rc : record_pack(b, NULL, &rec, err, sizeof err);
	CHECK(rc == ERR_OK, "pack: %s", err);
	if (rc)
		return 1;
	struct attrindex_prep p[4];
	attrindex_prepare(b, rec.order, p);

	/* span 0: model, turn, metadata members; text and embedded text left out */
	const struct attrindex_entry *e = find(&p[0], "a:gen_ai.request.model");
	CHECK(e && e->type == ATTRINDEX_TEXT && e->slen == 6 && !memcmp(e->s, "gpt-4o", 6), "model entry");
	e = find(&p[0], "a:agent.turn");
	CHECK(e && e->type == ATTRINDEX_INT && e->i == 3, "turn entry");
	e = find(&p[0], "a:metadata.plan");
	CHECK(e && e->type == ATTRINDEX_TEXT && e->slen == 3 && !memcmp(e->s, "pro", 3), "metadata member as text");
	e = find(&p[0], "a:metadata.build");
	CHECK(e && e->type == ATTRINDEX_INT && e->i == 7, "metadata member as integer");
	CHECK(!find(&p[0], "a:metadata") && !find(&p[0], "a:input.value") &&
	          !find(&p[0], "a:embedding.embeddings.0.embedding.text"),
	      "JSON text, prompt text and embedded text are not entries (%zu entries)", p[0].n);
	CHECK(p[0].n == 4, "span 0 has 4 entries, not %zu", p[0].n);

	/* span 2, same trace as span 0: the model is taken already, turn 4 is new */
	CHECK(!find(&p[2], "a:gen_ai.request.model"), "a pair is taken once per trace run");
	e = find(&p[2], "a:agent.turn");
	CHECK(p[2].n == 1 && e && e->i == 4, "a new value of a key is an entry (%zu entries)", p[2].n);

	/* trace 2: the same pair again for another trace, once */
	size_t models = (find(&p[1], "a:gen_ai.request.model") != NULL) + (find(&p[3], "a:gen_ai.request.model") != NULL);
	CHECK(models == 1 && p[1].n + p[3].n == 1, "trace 2 gets its own model entry, once (%zu, %zu)", p[1].n, p[3].n);
	store_rows(b, p);
	span_batch_free(b);
	skip_lists();
	return test_done();
}
