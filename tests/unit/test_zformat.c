/* test_zformat.c: the conversion of format-1 chunks to format 2
 * (zformat.h). A store written in format 1 and converted step by step
 * reads back the same records as a format-1 store, row by row and chunk by
 * chunk (a retried span's copy, which no row points at, kept whole); a
 * step whose chunk loses a row before its writer task (as retention by
 * age deletes rows without rewriting the chunk) or whose chunk is
 * rewritten meanwhile swaps nothing from that chunk on and leaves the mark
 * before it; the next step converts it with the rows as they are then. A
 * chunk whose rows change under every step is skipped at the third, the
 * rest converted, the mark held before it; a new run (a restart) converts
 * it. */
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
#include "store/zformat.h"
#include "test.h"
#include "spandump.h"

#define NREQ 4

/* Request k: two traces of three spans (the third with an end before its
 * start, so its record keeps its end); request 3's first trace is request
 * 1's again (a retry: its spans get no second rows). */
static void body(int k, char *out, size_t cap)
{
	size_t at = (size_t)snprintf(out, cap, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
	                                       "\"service.name\",\"value\":{\"stringValue\":\"svc\"}}]},"
	                                       "\"scopeSpans\":[{\"spans\":[");
	for (int t = 0; t < 2; t++)
		for (int s = 0; s < 3; s++) {
			int r = k == 3 && !t ? 1 : k;
			char parent[64] = "";
			if (s)
				snprintf(parent, sizeof parent, "\"parentSpanId\":\"%014d01\",", r * 10 + t);
			at += (size_t)snprintf(out + at, cap - at,
			                       "%s{\"traceId\":\"%030d%02d\",\"spanId\":\"%014d%02d\",%s\"name\":\"op %d\","
			                       "\"kind\":%d,\"startTimeUnixNano\":\"17000000%02d000000000\","
			                       "\"endTimeUnixNano\":\"17000000%02d500000000\",\"attributes\":[{\"key\":"
			                       "\"input.value\",\"value\":{\"stringValue\":\"question %d %d %d\"}}]}",
			                       t || s ? "," : "", r, t + 1, r * 10 + t, s + 1, parent, s, s + 1, 10 + s,
			                       s == 2 ? 9 : 10 + s, r, t, s);
		}
	snprintf(out + at, cap - at, "]}]}]}");
}

static struct writer *make_store(const char *dir)
{
	char err[512] = "", b[8192];
	setenv("TRACELITE_CHUNK_FORMAT", "1", 1);
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	for (int k = 0; w && k < NREQ; k++) {
		body(k, b, sizeof b);
		struct span_batch *sb = span_batch_new(NULL);
		int rc = ingest_decode(INGEST_OTLP, INGEST_JSON, NULL, b, strlen(b), sb, NULL, err, sizeof err);
		if (!rc)
			rc = writer_submit(w, sb, err, sizeof err);
		CHECK(rc == ERR_OK, "ingest %d: %s\n%s", k, err, b);
		span_batch_free(sb);
	}
	unsetenv("TRACELITE_CHUNK_FORMAT");
	return w;
}

/* Every span row's record in commit order, then every chunk's records. */
static void read_all(sqlite3 *db, char *out, size_t cap)
{
	int rows;
	struct spanview *v = dump_rows(db, out, cap, &rows);
	CHECK(rows >= 17, "rows %d", rows);
	for (int64_t id = 1; id <= NREQ; id++) {
		const Tl__Span *const *recs;
		size_t n;
		CHECK(spanview_chunk_records(v, id, &recs, &n) == ERR_OK, "chunk %lld", (long long)id);
		for (size_t i = 0; i < n; i++)
			dump(recs[i], out, cap);
	}
	spanview_close(v);
}

/* A change to the row at chunk_index 0 of a chunk (schema/033: its blob
 * rewritten): deleted, or its end moved. */
struct row_change {
	int64_t chunk;
	int del;
};

static enum err change_row(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	const struct row_change *c = arg;
	struct arena *a = arena_new();
	struct spancols_row *rows, *now;
	struct spanstab_stmts ss = {.db = db};
	size_t n, k = 0;
	enum err rc = spanstab_chunk_rows(&ss, c->chunk, a, &rows, &n, NULL, err, errlen);
	if (!rc && !(now = arena_alloc(a, (n ? n : 1) * sizeof *now)))
		rc = err_set(err, errlen, ERR_STORE, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		if (rows[i].chunk_index == 0 && c->del)
			continue;
		now[k] = rows[i];
		if (rows[i].chunk_index == 0)
			now[k].dur++;
		k++;
	}
	if (!rc)
		rc = spanstab_rewrite_chunk(&ss, c->chunk, rows, n, now, k, err, errlen);
	spanstab_stmts_free(&ss);
	arena_free(a);
	return rc;
}

/* Chunk 2 recompressed at a level above the chunks': the same entries in
 * other bytes. */
static enum err rewrite_chunk2(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	void *out = NULL;
	size_t len = 0;
	(void)arg;
	sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE id = 2", -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		record_chunk_recompress(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), NULL,
		                        RECORD_CHUNK_LEVEL + 1, &out, &len);
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "UPDATE chunks SET data = ?1 WHERE id = 2", -1, &st, NULL);
	sqlite3_bind_blob(st, 1, out, (int)len, free);
	enum err rc = sqlite3_step(st) == SQLITE_DONE && out ? ERR_OK : err_set(err, errlen, ERR_STORE, "rewrite");
	sqlite3_finalize(st);
	return rc;
}

/* The row deleted behind the conversion's back: chunk 1's first span. */
static struct row_change DELETE_ROW = {1, 1};

/* A row of chunk 2 whose end moves, so its rows differ from the ones read. */
static struct row_change MOVE_ROW = {2, 0};

/* A busy callback that, at its first call (between the step's read and
 * its writer task), runs task on the writer; never says ingest is back. */
struct meddle {
	struct writer *w;
	writer_task_fn task;
	void *arg;
	int calls;
};

static int meddle(void *p)
{
	struct meddle *m = p;
	char err[256];
	if (m->task && !m->calls++)
		CHECK(writer_exec(m->w, m->task, m->arg, 0, err, sizeof err) == ERR_OK, "meddle: %s", err);
	return 0;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The flags of entry i of chunk id (-1: no such entry). */
static int entry_flags(sqlite3 *db, int64_t id, size_t i)
{
	sqlite3_stmt *st;
	struct arena *a = arena_new();
	const uint8_t **spans, *fields;
	size_t *lens, n;
	int f = -1;
	sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE id = ?1", -1, &st, NULL);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    !record_chunk_entries(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), a, &n, &spans, &lens,
	                          &fields) &&
	    i < n)
		f = fields[i];
	sqlite3_finalize(st);
	arena_free(a);
	return f;
}

static int never(void *p)
{
	(void)p;
	return 0;
}

int main(void)
{
	char dref[] = "/tmp/tl-test-zformat-ref-XXXXXX", dconv[] = "/tmp/tl-test-zformat-XXXXXX", err[512];
	static char want[1 << 17], got[1 << 17];
	if (!mkdtemp(dref) || !mkdtemp(dconv))
		abort();
	/* the reference: format 1, the same row deleted */
	struct writer *w = make_store(dref);
	CHECK(writer_exec(w, change_row, &DELETE_ROW, 0, err, sizeof err) == ERR_OK, "delete: %s", err);
	writer_stop(w);
	sqlite3 *rd;
	CHECK(store_open_reader(dref, &rd, err, sizeof err) == ERR_OK, "reader: %s", err);
	read_all(rd, want, sizeof want);
	sqlite3_close(rd);

	w = make_store(dconv);
	CHECK(store_open_reader(dconv, &rd, err, sizeof err) == ERR_OK, "reader: %s", err);
	struct zformat_tally t = {0};
	struct zformat_run run = {0};
	int state;

	/* a row deleted between the read and the swap: nothing swapped, the mark stays */
	struct meddle m = {w, change_row, &DELETE_ROW, 0};
	CHECK(zformat_step(w, rd, 0, INT64_MAX, meddle, &m, &state, &run, &t, err, sizeof err) == ERR_OK, "step 1: %s", err);
	CHECK(state == 0 && t.chunks == 0, "step 1: state %d, %lld converted", state, (long long)t.chunks);
	CHECK(one_int(rd, "SELECT upto FROM zformat") == 0, "mark before chunk 1");
	CHECK(entry_flags(rd, 1, 0) == 0 && one_int(rd, "SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'02'") == 0,
	      "nothing swapped");

	/* chunk 2 rewritten meanwhile: chunk 1 swapped, the mark stops before 2 */
	m = (struct meddle){w, rewrite_chunk2, NULL, 0};
	CHECK(zformat_step(w, rd, 0, INT64_MAX, meddle, &m, &state, &run, &t, err, sizeof err) == ERR_OK, "step 2: %s", err);
	CHECK(state == 0 && t.chunks == 1, "step 2: state %d, %lld converted", state, (long long)t.chunks);
	CHECK(one_int(rd, "SELECT upto FROM zformat") == 1, "mark after chunk 1");

	/* then the rest, and nothing left */
	CHECK(zformat_step(w, rd, 0, INT64_MAX, never, NULL, &state, &run, &t, err, sizeof err) == ERR_OK && state == 0, "step 3: %s", err);
	CHECK(zformat_step(w, rd, 0, INT64_MAX, never, NULL, &state, &run, &t, err, sizeof err) == ERR_OK && state == 2, "step 4: %d", state);
	CHECK(t.chunks == NREQ && t.unreadable == 0 && t.after < t.before, "%lld converted, %lld -> %lld bytes",
	      (long long)t.chunks, (long long)t.before, (long long)t.after);
	CHECK(one_int(rd, "SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'02'") == NREQ, "all format 2");
	CHECK(one_int(rd, "SELECT chunks FROM zformat") == NREQ && one_int(rd, "SELECT upto FROM zformat") == NREQ,
	      "the mark and count");
	/* the deleted row's entry and the retry's copies are whole; the
	 * others lost every row field but the end of a span ending before it
	 * started */
	CHECK(entry_flags(rd, 1, 0) == 0, "entry without a row kept whole");
	CHECK(entry_flags(rd, 1, 1) == RECORD_ROW_ALL, "entry 1: %d", entry_flags(rd, 1, 1));
	CHECK(entry_flags(rd, 1, 2) == (RECORD_ROW_ALL & ~RECORD_ROW_END), "entry 2: %d", entry_flags(rd, 1, 2));
	for (size_t i = 0; i < 6; i++)   /* chunk 4: the retried trace, then the new one */
		CHECK(entry_flags(rd, 4, i) == (i < 3 ? 0 : i == 5 ? RECORD_ROW_ALL & ~RECORD_ROW_END : RECORD_ROW_ALL),
		      "chunk 4 entry %zu: %d", i, entry_flags(rd, 4, i));
	read_all(rd, got, sizeof got);
	CHECK(strlen(want) > 1000 && !strcmp(want, got), "the same records as format 1:\n%s---\n%s", want, got);
	sqlite3_close(rd);
	writer_stop(w);

	/* chunk 2's rows changed under every step: skipped at the third, the
	 * others converted, the conversion done, the stored mark before it */
	char dskip[] = "/tmp/tl-test-zformat-skip-XXXXXX";
	if (!mkdtemp(dskip))
		abort();
	w = make_store(dskip);
	CHECK(store_open_reader(dskip, &rd, err, sizeof err) == ERR_OK, "reader: %s", err);
	run = (struct zformat_run){0};
	t = (struct zformat_tally){0};
	int steps = 0;
	state = 0;
	while (state != 2 && steps < 3 * ZFORMAT_RACES) {
		m = (struct meddle){w, change_row, &MOVE_ROW, 0};
		CHECK(zformat_step(w, rd, 0, INT64_MAX, meddle, &m, &state, &run, &t, err, sizeof err) == ERR_OK,
		      "skip step %d: %s", steps, err);
		steps++;
	}
	CHECK(state == 2 && steps == ZFORMAT_RACES + 2, "done in %d steps (state %d)", steps, state);
	CHECK(t.chunks == NREQ - 1 && run.hold == 2, "%lld converted, hold %lld", (long long)t.chunks, (long long)run.hold);
	CHECK(one_int(rd, "SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'02' AND id != 2") == NREQ - 1 &&
	          one_int(rd, "SELECT hex(substr(data, 1, 1)) = '28' FROM chunks WHERE id = 2") == 1,
	      "chunk 2 left in format 1, the others format 2");
	CHECK(one_int(rd, "SELECT upto FROM zformat") == 1 && one_int(rd, "SELECT chunks FROM zformat") == NREQ - 1,
	      "the mark held before chunk 2");
	cJSON *h = zformat_status_json(rd);
	CHECK(h && cJSON_GetObjectItem(h, "skipped")->valuedouble == 1 &&
	          cJSON_GetObjectItem(h, "pending_chunks")->valuedouble == NREQ - 1,
	      "health: skipped and pending_chunks");
	cJSON_Delete(h);
	/* the next start: chunk 2 converted, the mark to the end */
	run = (struct zformat_run){0};
	CHECK(zformat_step(w, rd, 0, INT64_MAX, never, NULL, &state, &run, &t, err, sizeof err) == ERR_OK && state == 0,
	      "restart step: %s", err);
	CHECK(zformat_step(w, rd, 0, INT64_MAX, never, NULL, &state, &run, &t, err, sizeof err) == ERR_OK && state == 2,
	      "restart done: %d", state);
	CHECK(t.chunks == NREQ && one_int(rd, "SELECT upto FROM zformat") == NREQ &&
	          one_int(rd, "SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = x'02'") == NREQ,
	      "converted after the restart");
	sqlite3_close(rd);
	writer_stop(w);
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed != 0;
}
