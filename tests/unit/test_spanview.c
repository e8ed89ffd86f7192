/* test_spanview.c: the stored-span view on a real store: a trace's spans
 * in start and in resource order with their hot columns, record, resource
 * and scope; one span by id; spans by chunk range in commit order; a
 * chunk's records including a retried span that has no row; the derived
 * text; and a corrupt chunk read as spans without a record, never a crash;
 * all on a store of chunk format 1 and one of format 2 (record.h). */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "store/spanview.h"
#include "store/store.h"
#include "store/writer.h"
#include "test.h"

#define TA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void ingest(struct writer *w, const char *body)
{
	char err[512] = "";
	struct span_batch *b = span_batch_new(NULL);
	int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, body, strlen(body), b, NULL, err, sizeof err);
	if (!rc)
		rc = writer_submit(w, b, err, sizeof err);
	CHECK(rc == ERR_OK, "ingest: %s", err);
	span_batch_free(b);
}

static const char *const first =
	"{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}},"
	"{\"key\":\"session.id\",\"value\":{\"stringValue\":\"sess-1\"}}]},"
	"\"scopeSpans\":[{\"scope\":{\"name\":\"sc\",\"version\":\"1\"},\"spans\":["
	"{\"traceId\":\"" TA "\",\"spanId\":\"00000000000000a1\",\"name\":\"agent\","
	"\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000003000000000\"},"
	"{\"traceId\":\"" TA "\",\"spanId\":\"00000000000000a2\",\"parentSpanId\":\"00000000000000a1\",\"name\":\"chat\","
	"\"kind\":3,\"startTimeUnixNano\":\"1700000001000000000\",\"endTimeUnixNano\":\"1700000002000000000\","
	"\"status\":{\"code\":2,\"message\":\"boom\"},\"attributes\":["
	"{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-4o\"}},"
	"{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":10}},"
	"{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{\"intValue\":5}},"
	"{\"key\":\"llm.cost.total\",\"value\":{\"doubleValue\":0.5}},"
	"{\"key\":\"input.value\",\"value\":{\"stringValue\":\"hello\"}}]}]}]},"
	"{\"scopeSpans\":[{\"spans\":["
	"{\"traceId\":\"" TA "\",\"spanId\":\"00000000000000a3\",\"parentSpanId\":\"00000000000000a1\",\"name\":\"tool\","
	"\"startTimeUnixNano\":\"1700000000500000000\",\"endTimeUnixNano\":\"1700000000600000000\"},"
	"{\"traceId\":\"" TB "\",\"spanId\":\"00000000000000b1\",\"name\":\"other\","
	"\"startTimeUnixNano\":\"1600000000000000000\",\"endTimeUnixNano\":\"1600000001000000000\"}]}]}]}";

/* A retry of span a3 beside a new span: the chunk keeps both records, the
 * retry gets no second row. Then a span whose chunk the test corrupts. */
static const char *const second =
	"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
	"{\"traceId\":\"" TA "\",\"spanId\":\"00000000000000a3\",\"parentSpanId\":\"00000000000000a1\",\"name\":\"tool\","
	"\"startTimeUnixNano\":\"1700000000500000000\",\"endTimeUnixNano\":\"1700000000600000000\"},"
	"{\"traceId\":\"" TB "\",\"spanId\":\"00000000000000b2\",\"name\":\"new\","
	"\"startTimeUnixNano\":\"1600000000000000000\",\"endTimeUnixNano\":\"1600000001000000000\"}]}]}]}";
static const char *const third =
	"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
	"{\"traceId\":\"" TB "\",\"spanId\":\"00000000000000b3\",\"name\":\"lost\","
	"\"startTimeUnixNano\":\"1600000000000000000\",\"endTimeUnixNano\":\"1600000001000000000\"}]}]}]}";

static void corrupt_chunk(const char *dir, int64_t chunk)
{
	sqlite3 *db;
	char err[512];
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "open: %s", err);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "UPDATE chunks SET data = x'0102030405' WHERE id = ?", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, chunk);
	CHECK(sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1, "corrupt: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The span names a selection yields, comma separated, into out. */
static int names(struct spanview *v, char *out, size_t len)
{
	struct stored_span s;
	int rc, n = 0;
	out[0] = 0;
	while ((rc = spanview_next(v, &s)) == 1) {
		snprintf(out + strlen(out), len - strlen(out), "%s%s", n++ ? "," : "", s.name);
	}
	return rc;
}

static void check_view(const char *dir, int format)
{
	sqlite3 *db;
	struct spanview *v;
	struct stored_span s;
	char err[512], got[256];
	uint8_t ta[16], a2[8];
	id_from_hex(TA, ta, 16);
	id_from_hex("00000000000000a2", a2, 8);
	CHECK(store_open_reader(dir, &db, err, sizeof err) == ERR_OK, "reader: %s", err);
	CHECK(spanview_open(db, &v) == ERR_OK, "open");

	CHECK(spanview_trace(v, ta, SPANVIEW_BY_START, 0, -1) == ERR_OK, "by start");
	CHECK(names(v, got, sizeof got) == 0 && !strcmp(got, "agent,tool,chat"), "start order: %s", got);
	CHECK(spanview_trace(v, ta, SPANVIEW_BY_RESOURCE, 0, -1) == ERR_OK, "by resource");
	CHECK(names(v, got, sizeof got) == 0 && !strcmp(got, "agent,chat,tool"), "resource order: %s", got);
	CHECK(spanview_trace(v, ta, SPANVIEW_BY_START, 1, 1) == ERR_OK, "page");
	CHECK(names(v, got, sizeof got) == 0 && !strcmp(got, "tool"), "offset 1 limit 1: %s", got);

	CHECK(spanview_span(v, a2) == ERR_OK, "by id");
	CHECK(spanview_next(v, &s) == 1, "span a2");
	CHECK(!memcmp(s.trace_id, ta, 16) && !memcmp(s.span_id, a2, 8) && s.parent_len == 8 &&
	          !strcmp(s.name, "chat") && !strcmp(s.service, "svc") && s.kind == 3 && s.status_code == 2 &&
	          !strcmp(s.status_message, "boom") && s.start_ns == 1700000001000000000ull &&
	          s.end_ns == 1700000002000000000ull,
	      "identity, times, status");
	CHECK(s.model && !strcmp(s.model, "gpt-4o") && !s.provider && s.input_tokens == 10 && s.output_tokens == 5 &&
	          s.has_cost && s.cost_usd == 0.5 && s.cost_source == SPAN_COST_CLIENT && s.type == SPAN_TYPE_LLM,
	      "LLM columns");
	CHECK(!strcmp(s.project_id, "00000000-0000-0000-0000-000000000001"), "project %s", s.project_id);
	CHECK(s.otlp && s.otlp->n_attributes == 5 && s.resource && s.resource->resource &&
	          s.resource->resource->n_attributes == 2 && s.scope && s.scope->scope &&
	          !strcmp(s.scope->scope->name, "sc"),
	      "record, resource and scope");
	struct stored_text text;
	spanview_text(s.otlp, s.resource, spanview_arena(v), &text);
	CHECK(text.input && !strcmp(text.input, "hello") && text.session_id && !strcmp(text.session_id, "sess-1") &&
	          !text.output && !text.user_id,
	      "derived text");
	CHECK(spanview_next(v, &s) == 0, "one span");

	/* chunk 1: the first request; 2: the retry (no row) and b2; 3: corrupt */
	CHECK(spanview_chunks(v, 0, 3) == ERR_OK, "chunks");
	int rows = 0, unreadable = 0, rc;
	int64_t last = 0;
	while ((rc = spanview_next(v, &s)) == 1) {
		rows++;
		unreadable += !s.otlp;
		CHECK(s.chunk >= last, "commit order");
		last = s.chunk;
	}
	CHECK(rc == 0 && rows == 6 && unreadable == 1, "rows %d, unreadable %d", rows, unreadable);
	const Tl__Span *const *recs;
	size_t n;
	uint8_t tb[16];
	id_from_hex(TB, tb, 16);
	CHECK(spanview_chunk_records(v, 2, &recs, &n) == ERR_OK && n == 2 && recs[0] && recs[1] &&
	          !strcmp(recs[1]->name, "new") && recs[1]->trace_id.len == 16 && !memcmp(recs[1]->trace_id.data, tb, 16) &&
	          recs[1]->span_id.len == 8 && recs[1]->start_time_unix_nano == 1600000000000000000ull,
	      "a chunk's records with their row fields");
	/* the retry's copy has no row: in format 2 its record lacks the row's
	 * fields (the search indexer skips it: no trace id) */
	CHECK(format == 1 ? !strcmp(recs[0]->name, "tool") && recs[0]->trace_id.len == 16
	                  : !strcmp(recs[0]->name, "") && recs[0]->trace_id.len == 0 && recs[0]->span_id.len == 0,
	      "the retried record is in its chunk (format %d)", format);
	CHECK(spanview_chunk_records(v, 3, &recs, &n) == ERR_BAD_INPUT && n == 0, "corrupt chunk");
	CHECK(spanview_chunk_records(v, 99, &recs, &n) == ERR_NOT_FOUND, "missing chunk");
	spanview_reset(v);
	CHECK(spanview_chunk_records(v, 1, &recs, &n) == ERR_OK && n == 4, "after reset: %zu", n);
	spanview_close(v);
	sqlite3_close(db);
}

int main(void)
{
	for (int format = 1; format <= 2; format++) {
		char dir[] = "/tmp/tl-test-spanview-XXXXXX", err[512];
		if (!mkdtemp(dir))
			abort();
		setenv("TRACELITE_CHUNK_FORMAT", format == 1 ? "1" : "2", 1);
		struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
		CHECK(w != NULL, "writer: %s", err);
		ingest(w, first);
		ingest(w, second);
		ingest(w, third);
		writer_stop(w);
		corrupt_chunk(dir, 3);
		check_view(dir, format);
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd))
			return 2;
	}
	return test_done();
}
