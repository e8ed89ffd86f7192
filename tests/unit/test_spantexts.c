/* test_spantexts.c: the search indexer's partial reader (record_span_texts,
 * spanview_chunk_texts) against the full one (the record unpacked whole,
 * then record_texts_of_span) on every span of stores of chunk format 1 and
 * 2 built from the tests/data fixtures and LLM-shaped spans (indexed
 * messages, kvlist input, events, status, repeated fields), then on every
 * entry damaged: prefixes, byte flips, doubled entries (protobuf merges). */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "base/arena.h"
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "store/record.h"
#include "store/spanview.h"
#include "store/store.h"
#include "store/writer.h"
#include "test.h"

#define TA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char *const llm =
	"{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}},"
	"{\"key\":\"input.value\",\"value\":{\"stringValue\":\"resource text is not the span's\"}}]},"
	"\"scopeSpans\":[{\"spans\":["
	"{\"traceId\":\"" TA "\",\"spanId\":\"00000000000000a1\",\"name\":\"chat \\\"quoted\\\"\","
	"\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000003000000000\","
	"\"status\":{\"code\":2,\"message\":\"rate limited\"},\"attributes\":["
	"{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-4o\"}},"
	"{\"key\":\"llm.input_messages.1.message.content\",\"value\":{\"stringValue\":\"second message\"}},"
	"{\"key\":\"llm.input_messages.0.message.role\",\"value\":{\"stringValue\":\"user\"}},"
	"{\"key\":\"llm.input_messages.0.message.content\",\"value\":{\"stringValue\":\"first message\"}},"
	"{\"key\":\"gen_ai.prompt\",\"value\":{\"stringValue\":\"lower rank prompt\"}},"
	"{\"key\":\"output.value\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"answer\",\"value\":"
	"{\"arrayValue\":{\"values\":[{\"stringValue\":\"forty\"},{\"intValue\":\"2\"}]}}}]}}},"
	"{\"key\":\"output.value\",\"value\":{\"stringValue\":\"same rank, later: loses\"}}],"
	"\"events\":[{\"name\":\"exception\",\"attributes\":["
	"{\"key\":\"exception.type\",\"value\":{\"stringValue\":\"RateLimit\"}},"
	"{\"key\":\"exception.message\",\"value\":{\"stringValue\":\"too many requests\"}}]},"
	"{\"name\":\"log\",\"attributes\":[{\"key\":\"exception.message\",\"value\":{\"intValue\":\"7\"}}]},"
	"{\"name\":\"exception\",\"attributes\":[{\"key\":\"exception.message\",\"value\":{\"stringValue\":\"again\"}}]}]},"
	"{\"traceId\":\"" TA "\",\"spanId\":\"00000000000000a2\",\"parentSpanId\":\"00000000000000a1\",\"name\":\"tool\","
	"\"startTimeUnixNano\":\"1700000001000000000\",\"endTimeUnixNano\":\"1700000002000000000\",\"attributes\":["
	"{\"key\":\"gen_ai.prompt.0.role\",\"value\":{\"stringValue\":\"system\"}},"
	"{\"key\":\"gen_ai.prompt.0.content\",\"value\":{\"stringValue\":\"be brief\"}},"
	"{\"key\":\"gen_ai.completion.0.content\",\"value\":{\"stringValue\":\"ok\"}},"
	"{\"key\":\"langfuse.observation.level\",\"value\":{\"stringValue\":\"ERROR\"}},"
	"{\"key\":\"langfuse.observation.status_message\",\"value\":{\"stringValue\":\"not the status field\"}}]},"
	"{\"traceId\":\"" TB "\",\"spanId\":\"00000000000000b1\",\"name\":\"plain\","
	"\"startTimeUnixNano\":\"1600000000000000000\",\"endTimeUnixNano\":\"1600000001000000000\"}]}]}]}";

/* A retry of a2 (its copy has no row in format 2) beside a new span. */
static const char *const retry =
	"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
	"{\"traceId\":\"" TA "\",\"spanId\":\"00000000000000a2\",\"parentSpanId\":\"00000000000000a1\",\"name\":\"tool\","
	"\"startTimeUnixNano\":\"1700000001000000000\",\"endTimeUnixNano\":\"1700000002000000000\",\"attributes\":["
	"{\"key\":\"input.value\",\"value\":{\"stringValue\":\"retried\"}}]},"
	"{\"traceId\":\"" TB "\",\"spanId\":\"00000000000000b2\",\"name\":\"new\","
	"\"startTimeUnixNano\":\"1600000000000000000\",\"endTimeUnixNano\":\"1600000001000000000\"}]}]}]}";

static long compared, whole_refused, damaged_compared, llm_seen;

static int is(const struct record_text *t, const char *want)
{
	return t->len == strlen(want) && !memcmp(t->s, want, t->len);
}

/* The LLM span of the first request, read right (not only alike). */
static void check_llm(const struct record_texts *t)
{
	if (!is(&t->name, "chat \"quoted\""))
		return;
	llm_seen++;
	CHECK(is(&t->input, "user: first message\nsecond message"), "indexed input: %.*s", (int)t->input.len,
	      t->input.s);
	CHECK(is(&t->output, "{\"answer\":[\"forty\",2]}"), "kvlist output: %.*s", (int)t->output.len, t->output.s);
	CHECK(is(&t->status, "rate limited"), "status");
	CHECK(t->nexceptions == 2 && is(&t->exceptions[0], "too many requests") && is(&t->exceptions[1], "again"),
	      "exceptions: %zu", t->nexceptions);
}

static int text_eq(const struct record_text *x, const struct record_text *y)
{
	size_t lx = x->s ? x->len : 0, ly = y->s ? y->len : 0;
	return lx == ly && (!lx || !memcmp(x->s, y->s, lx));
}

/* Whether two readers' texts agree; names the first field that does not. */
static const char *texts_diff(const struct record_texts *x, const struct record_texts *y)
{
	if (!x->trace_id != !y->trace_id || (x->trace_id && memcmp(x->trace_id, y->trace_id, 16)))
		return "trace_id";
	if (!text_eq(&x->name, &y->name))
		return "name";
	if (!text_eq(&x->input, &y->input))
		return "input";
	if (!text_eq(&x->output, &y->output))
		return "output";
	if (!text_eq(&x->status, &y->status))
		return "status";
	if (x->nexceptions != y->nexceptions)
		return "exception count";
	for (size_t i = 0; i < x->nexceptions; i++)
		if (!text_eq(&x->exceptions[i], &y->exceptions[i]))
			return "exception";
	return NULL;
}

/* One entry, both ways: where the whole record reads, the texts agree;
 * where the partial reader refuses, the whole record does not read. */
static void entry_check(const uint8_t *data, size_t len, unsigned fields, const struct record_row *row,
                        struct arena *a, int damaged)
{
	struct record_texts part, whole;
	int prc = record_span_texts(data, len, fields, row, a, &part);
	const Tl__Span *sp = record_span_unpack_row(data, len, fields, row, a);
	if (!sp) {
		whole_refused++;
		return;
	}
	CHECK(prc == ERR_OK, "partial reader refused an entry that reads whole (%zu bytes)", len);
	if (prc)
		return;
	record_texts_of_span(sp, a, &whole);
	const char *diff = texts_diff(&part, &whole);
	CHECK(!diff, "%s differs (%zu-byte entry%s)", diff, len, damaged ? ", damaged" : "");
	if (damaged)
		damaged_compared++;
}

/* Every entry of every chunk of the store in dir: spanview_chunk_texts
 * against spanview_chunk_records; then every entry damaged. */
static void check_store(const char *dir)
{
	sqlite3 *db;
	struct spanview *v;
	char err[512];
	CHECK(store_open_reader(dir, &db, err, sizeof err) == ERR_OK, "reader: %s", err);
	CHECK(spanview_open(db, &v) == ERR_OK, "open");
	int64_t max = 0;
	store_int_query(db, "SELECT coalesce(max(id), 0) FROM chunks", 0, &max);
	CHECK(max > 0, "chunks stored");
	for (int64_t id = 1; id <= max; id++) {
		const Tl__Span *const *recs;
		const struct record_texts *const *texts;
		size_t n, nt;
		int rc = spanview_chunk_records(v, id, &recs, &n), rt = spanview_chunk_texts(v, id, &texts, &nt);
		CHECK(rc == rt && n == nt, "chunk %lld: %d/%d, %zu/%zu entries", (long long)id, rc, rt, n, nt);
		for (size_t i = 0; !rc && !rt && i < n && i < nt; i++) {
			CHECK(!recs[i] == !texts[i], "chunk %lld entry %zu: readable either way", (long long)id, i);
			if (!recs[i] || !texts[i])
				continue;
			struct record_texts whole;
			record_texts_of_span(recs[i], spanview_arena(v), &whole);
			const char *diff = texts_diff(texts[i], &whole);
			CHECK(!diff, "chunk %lld entry %zu: %s differs", (long long)id, i, diff);
			compared++;
			check_llm(texts[i]);
		}
		spanview_reset(v);
	}
	spanview_close(v);

	/* the raw entries, damaged */
	sqlite3_stmt *st;
	static const uint8_t tid[16] = {9}, sid[8] = {8};
	const struct record_row row = {tid, sid, NULL, 0, "row name", 1, 1, 2};
	CHECK(sqlite3_prepare_v2(db, "SELECT data FROM chunks ORDER BY id", -1, &st, NULL) == SQLITE_OK, "chunks");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct arena *a = arena_new();
		size_t count, *lens;
		const uint8_t **spans, *fields;
		if (record_chunk_entries(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), a, &count, &spans,
		                         &lens, &fields)) {
			arena_free(a);
			continue;
		}
		for (size_t i = 0; i < count; i++) {
			size_t len = lens[i];
			entry_check(spans[i], len, fields[i], &row, a, 0);
			entry_check(spans[i], len, fields[i], NULL, a, 0);
			uint8_t *buf = arena_alloc(a, 2 * len + 1);
			for (size_t cut = 0; cut < len; cut += 1 + len / 64)
				entry_check(spans[i], cut, fields[i], &row, a, 1);
			memcpy(buf, spans[i], len);
			memcpy(buf + len, spans[i], len);
			entry_check(buf, 2 * len, fields[i], &row, a, 1);   /* every field twice: merged */
			for (size_t k = 0; k < len; k += 1 + len / 97) {
				memcpy(buf, spans[i], len);
				buf[k] ^= (uint8_t)(0x01 << (k % 8)) | 0x80;
				entry_check(buf, len, fields[i], &row, a, 1);
			}
		}
		arena_free(a);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void ingest(struct writer *w, enum ingest_route route, int enc, const char *body, size_t len)
{
	char err[512] = "";
	struct span_batch *b = span_batch_new(NULL);
	if (ingest_decode(route, enc, NULL, body, len, b, NULL, err, sizeof err) == ERR_OK && b->nspans)
		writer_submit(w, b, err, sizeof err);   /* a fixture the store refuses is no test of reading */
	span_batch_free(b);
}

/* Ingests every fixture file of tests/data/sub (bad ones refused). */
static void ingest_dir(struct writer *w, const char *sub, enum ingest_route route, int enc)
{
	char path[512];
	snprintf(path, sizeof path, "tests/data/%s", sub);
	DIR *d = opendir(path);
	CHECK(d != NULL, "fixtures %s", path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "tests/data/%s/%s", sub, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		char *buf = malloc(1 << 20);
		size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
		fclose(f);
		if (buf)
			ingest(w, route, enc, buf, n);
		free(buf);
	}
	closedir(d);
}

int main(void)
{
	for (int format = 1; format <= 2; format++) {
		char dir[] = "/tmp/tl-test-spantexts-XXXXXX", err[512];
		if (!mkdtemp(dir))
			abort();
		setenv("TRACELITE_CHUNK_FORMAT", format == 1 ? "1" : "2", 1);
		struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
		CHECK(w != NULL, "writer: %s", err);
		ingest(w, INGEST_OTLP, INGEST_JSON, llm, strlen(llm));
		ingest(w, INGEST_OTLP, INGEST_JSON, retry, strlen(retry));
		ingest_dir(w, "otlp_json", INGEST_OTLP, INGEST_JSON);
		ingest_dir(w, "otlp_pb", INGEST_OTLP, INGEST_PROTOBUF);
		ingest_dir(w, "native", INGEST_NEON_TRACES, INGEST_JSON);
		writer_stop(w);
		long before = compared;
		check_store(dir);
		CHECK(llm_seen == format, "the LLM span read (format %d)", format);
		CHECK(compared - before >= 8, "format %d: %ld spans compared", format, compared - before);
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd))
			return 2;
	}
	CHECK(damaged_compared > 100 && whole_refused > 100, "damaged entries: %ld compared, %ld refused whole",
	      damaged_compared, whole_refused);
	printf("spantexts: %ld spans compared, %ld damaged entries compared, %ld refused whole\n", compared,
	       damaged_compared, whole_refused);
	return test_done();
}
