/* test_chunkfmt.c: span chunk format 2 (record.h: entries without the
 * fields the spans rows hold) against format 1 (whole records): the same
 * requests written to a store of each read back through spanview as
 * byte-identical records, row by row and chunk by chunk, including spans
 * whose fields differ from their row (an end before the start, an all-zero
 * parent, no name, an unknown kind) and a chunk rewritten by
 * record_chunk_keep; format 2's chunks are smaller; a corrupt flags byte is
 * refused. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "store/record.h"
#include "store/spanstab.h"
#include "store/spanview.h"
#include "store/store.h"
#include "store/writer.h"
#include "test.h"
#include "spandump.h"

#define TA "0af7651916cd43dd8448eb211c80319c"
#define TB "4bf92f3577b34da6a3ce929d0e0e4736"

static const char *const bodies[] = {
	"{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}}]},"
	"\"scopeSpans\":[{\"scope\":{\"name\":\"sc\",\"version\":\"1\"},\"spans\":["
	"{\"traceId\":\"" TA "\",\"spanId\":\"00f067aa0ba902b7\",\"name\":\"agent run\",\"kind\":2,"
	"\"traceState\":\"k=v\",\"flags\":257,"
	"\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000003000000000\","
	"\"attributes\":[{\"key\":\"input.value\",\"value\":{\"stringValue\":\"hello there\"}}],"
	"\"events\":[{\"name\":\"ev\",\"timeUnixNano\":\"1700000000500000000\"}],"
	"\"links\":[{\"traceId\":\"" TB "\",\"spanId\":\"1111111111111111\"}],"
	"\"status\":{\"code\":2,\"message\":\"boom\"}},"
	"{\"traceId\":\"" TA "\",\"spanId\":\"00f067aa0ba902b8\",\"parentSpanId\":\"00f067aa0ba902b7\","
	"\"name\":\"chat \\u00e9\\u4e2d\",\"kind\":3,"
	"\"startTimeUnixNano\":\"1700000001000000000\",\"endTimeUnixNano\":\"1700000002000000000\","
	"\"attributes\":[{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"gpt-4o\"}},"
	"{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":10}}]},"
	/* end before start: the row's end is the start, the record keeps its own */
	"{\"traceId\":\"" TA "\",\"spanId\":\"00f067aa0ba902b9\",\"parentSpanId\":\"00f067aa0ba902b7\","
	"\"name\":\"backwards\",\"startTimeUnixNano\":\"1700000002000000000\","
	"\"endTimeUnixNano\":\"1700000001000000000\"},"
	/* an all-zero parent: the row has none, the record keeps its bytes */
	"{\"traceId\":\"" TA "\",\"spanId\":\"00f067aa0ba902ba\",\"parentSpanId\":\"0000000000000000\","
	"\"name\":\"zero parent\",\"kind\":9,\"startTimeUnixNano\":\"18446744073709551615\","
	"\"endTimeUnixNano\":\"18446744073709551615\"},"
	/* no name, no times */
	"{\"traceId\":\"" TB "\",\"spanId\":\"00f067aa0ba902bb\"}]}]}]}",
	/* a retry of one span (no second row) beside a new one */
	"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
	"{\"traceId\":\"" TA "\",\"spanId\":\"00f067aa0ba902b9\",\"parentSpanId\":\"00f067aa0ba902b7\","
	"\"name\":\"backwards\",\"startTimeUnixNano\":\"1700000002000000000\","
	"\"endTimeUnixNano\":\"1700000001000000000\"},"
	"{\"traceId\":\"" TB "\",\"spanId\":\"00f067aa0ba902bc\",\"parentSpanId\":\"00f067aa0ba902bb\","
	"\"name\":\"child\",\"kind\":1,\"startTimeUnixNano\":\"1600000000000000000\","
	"\"endTimeUnixNano\":\"1600000001000000000\"}]}]}]}",
};

static void make_store(const char *dir, const char *format)
{
	char err[512] = "";
	setenv("TRACELITE_CHUNK_FORMAT", format, 1);
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	for (size_t i = 0; w && i < sizeof bodies / sizeof *bodies; i++) {
		struct span_batch *b = span_batch_new(NULL);
		int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, bodies[i], strlen(bodies[i]), b, NULL, err, sizeof err);
		if (!rc)
			rc = writer_submit(w, b, err, sizeof err);
		CHECK(rc == ERR_OK, "ingest %zu: %s", i, err);
		span_batch_free(b);
	}
	if (w)
		writer_stop(w);
	unsetenv("TRACELITE_CHUNK_FORMAT");
}

/* Every span row's record in commit order, then every chunk's records. */
static void read_all(const char *dir, char *out, size_t cap, int64_t *chunk_bytes)
{
	sqlite3 *db;
	char err[512];
	CHECK(store_open_reader(dir, &db, err, sizeof err) == ERR_OK, "reader: %s", err);
	int rows;
	struct spanview *v = dump_rows(db, out, cap, &rows);   /* chunk_records without rows read before */
	CHECK(rows == 6, "rows %d", rows);
	for (int64_t id = 1; id <= 2; id++) {
		const Tl__Span *const *recs;
		size_t n;
		CHECK(spanview_chunk_records(v, id, &recs, &n) == ERR_OK, "chunk %lld", (long long)id);
		for (size_t i = 0; i < n; i++)   /* the retry's copy (chunk 2, entry 0) has no row */
			dump(id == 2 && i == 0 ? NULL : recs[i], out, cap);
	}
	spanview_close(v);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "SELECT sum(length(data)) FROM chunks", -1, &st, NULL);
	sqlite3_step(st);
	*chunk_bytes = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Rewrites chunk 1 of the store in dir with record_chunk_keep keeping
 * entries keep (a bit mask) and deletes the rows of the others. */
static void keep_entries(const char *dir, unsigned mask)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[512];
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "open: %s", err);
	sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE id = 1", -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW, "chunk 1");
	uint8_t keep[256] = {0};
	for (int i = 0; i < 8; i++)
		keep[i] = (mask >> i) & 1;
	void *out;
	size_t outlen;
	CHECK(record_chunk_keep(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), keep, sizeof keep, &out,
	                        &outlen) == ERR_OK,
	      "keep");
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "UPDATE chunks SET data = ? WHERE id = 1", -1, &st, NULL);
	sqlite3_bind_blob(st, 1, out, (int)outlen, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE, "update");
	sqlite3_finalize(st);
	free(out);
	/* and the rows of the entries not kept go (schema/033: the chunk's blob) */
	struct arena *a = arena_new();
	struct spancols_row *rows, left[256];
	size_t n, nleft = 0;
	struct spanstab_stmts ss = {.db = db};
	CHECK(spanstab_chunk_rows(&ss, 1, a, &rows, &n, NULL, err, sizeof err) == ERR_OK, "rows: %s", err);
	for (size_t i = 0; i < n && nleft < 256; i++)
		if (rows[i].chunk_index >= 8 || keep[rows[i].chunk_index])
			left[nleft++] = rows[i];
	CHECK(spanstab_rewrite_chunk(&ss, 1, rows, n, left, nleft, err, sizeof err) == ERR_OK, "rewrite: %s", err);
	spanstab_stmts_free(&ss);
	arena_free(a);
	sqlite3_close(db);
}

int main(void)
{
	char d1[] = "/tmp/tl-test-chunkfmt1-XXXXXX", d2[] = "/tmp/tl-test-chunkfmt2-XXXXXX";
	static char got1[1 << 16], got2[1 << 16];
	int64_t bytes1, bytes2;
	if (!mkdtemp(d1) || !mkdtemp(d2))
		abort();
	make_store(d1, "1");
	make_store(d2, "2");
	read_all(d1, got1, sizeof got1, &bytes1);
	read_all(d2, got2, sizeof got2, &bytes2);
	CHECK(strlen(got1) > 1000 && !strcmp(got1, got2), "the same records from both formats:\n%s---\n%s", got1, got2);
	CHECK(bytes2 < bytes1, "format 2 chunks smaller: %lld < %lld", (long long)bytes2, (long long)bytes1);

	/* record_chunk_keep keeps each format and its entries' row fields */
	keep_entries(d1, 0x16);
	keep_entries(d2, 0x16);
	sqlite3 *db;
	char err[512];
	for (int k = 0; k < 2; k++) {
		char *got = k ? got2 : got1;
		CHECK(store_open_reader(k ? d2 : d1, &db, err, sizeof err) == ERR_OK, "reader: %s", err);
		struct spanview *v;
		struct stored_span s;
		CHECK(spanview_open(db, &v) == ERR_OK, "open");
		CHECK(spanview_chunks(v, 0, 1) == ERR_OK, "chunks");
		got[0] = 0;
		int rc, rows = 0;
		while ((rc = spanview_next(v, &s)) == 1) {
			rows++;
			dump(s.otlp, got, sizeof got1);
		}
		CHECK(rc == 0 && rows == 3, "rows kept %d", rows);
		spanview_close(v);
		sqlite3_close(db);
	}
	CHECK(!strcmp(got1, got2), "kept records the same:\n%s---\n%s", got1, got2);

	/* a flags byte naming a field no format has: a corrupt chunk */
	struct arena *a = arena_new();
	uint8_t raw[] = {3, 0x80, 0x0a, 0x00}, frame[256];
	frame[0] = RECORD_CHUNK_V2;
	size_t flen = record_frame_compress(NULL, frame + 1, sizeof frame - 1, raw, sizeof raw) + 1;
	size_t count, *lens;
	const uint8_t **spans, *fields;
	CHECK(record_chunk_entries(frame, flen, a, &count, &spans, &lens, &fields) == ERR_STORE, "unknown flag refused");
	raw[1] = RECORD_ROW_ALL;
	flen = record_frame_compress(NULL, frame + 1, sizeof frame - 1, raw, sizeof raw) + 1;
	CHECK(record_chunk_entries(frame, flen, a, &count, &spans, &lens, &fields) == ERR_OK && count == 1 &&
	          fields[0] == RECORD_ROW_ALL && lens[0] == 2,
	      "flags and record");
	CHECK(record_chunk_entries(frame, 1, a, &count, &spans, &lens, &fields) == ERR_STORE, "the byte alone");
	arena_free(a);

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", d1, d2);
	if (system(cmd))
		return 2;
	return test_done();
}
