/* test_retention.c: the batch deleter on a real store through the writer:
 * deleting by trace id, user and in many batches; a chunk shared with a
 * surviving trace is rewritten with the deleted spans' entries emptied (the
 * others keep their index), a chunk nobody points at goes; the search hook
 * hears of every (chunk, trace) pair first; a request without filter is
 * refused; requested deletions are logged for replication; the default
 * min-free rule; age retention rewrites a chunk of mixed ages once half of
 * it is gone, not when a few spans are; the size cap's batch stops at the
 * traces it owes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/arena.h"
#include "base/err.h"
#include "base/text.h"
#include "ingest/batch.h"
#include "otlp/otlp_build.h"
#include "store/record.h"
#include "store/retention.h"
#include "store/store.h"
#include "store/writer.h"
#include "test.h"

static Tl__ScopeSpans *new_request(struct span_batch *b, Tl__ExportTraceServiceRequest **req)
{
	*req = arena_alloc(b->arena, sizeof **req);
	Tl__ResourceSpans *rs = arena_alloc(b->arena, sizeof *rs);
	Tl__ScopeSpans *ss = arena_alloc(b->arena, sizeof *ss);
	tl__export_trace_service_request__init(*req);
	tl__resource_spans__init(rs);
	tl__scope_spans__init(ss);
	otlp_push(b->arena, &(*req)->resource_spans, &(*req)->n_resource_spans, rs);
	rs->resource = arena_alloc(b->arena, sizeof *rs->resource);
	tl__resource__init(rs->resource);
	otlp_attr_str(b->arena, &rs->resource->attributes, &rs->resource->n_attributes, "service.name", "retention");
	otlp_push(b->arena, &rs->scope_spans, &rs->n_scope_spans, ss);
	return ss;
}

#define RECENT 4000   /* traces numbered from here start now, the others in 2023 */

/* Span n of trace t (t in the two last bytes), with user.id user, an
 * indexed attribute plan=pro and a resource attribute. */
static void add_span(struct span_batch *b, Tl__ScopeSpans *ss, int t, int n, const char *user)
{
	Tl__Span *sp = arena_alloc(b->arena, sizeof *sp);
	tl__span__init(sp);
	uint8_t *tid = arena_alloc(b->arena, 16), *sid = arena_alloc(b->arena, 8);
	memset(tid, 0, 16);
	memset(sid, 0, 8);
	tid[14] = (uint8_t)(t >> 8);
	tid[15] = (uint8_t)t;
	sid[6] = (uint8_t)(n >> 8);
	sid[7] = (uint8_t)n;
	sp->trace_id = (ProtobufCBinaryData){16, tid};
	sp->span_id = (ProtobufCBinaryData){8, sid};
	sp->name = "step";
	sp->start_time_unix_nano = (t >= RECENT ? text_now_ns() : 1700000000000000000ull) + (uint64_t)t * 1000 + (uint64_t)n;
	sp->end_time_unix_nano = sp->start_time_unix_nano + 10;
	otlp_attr_str(b->arena, &sp->attributes, &sp->n_attributes, "user.id", user);
	otlp_attr_str(b->arena, &sp->attributes, &sp->n_attributes, "plan", "pro");
	otlp_push(b->arena, &ss->spans, &ss->n_spans, sp);
}

static int first_column(void *p, int n, char **v, char **names)
{
	(void)names;
	*(int64_t *)p = n > 0 && v[0] ? strtoll(v[0], NULL, 10) : -1;
	return 0;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
	int64_t v = -1;
	sqlite3_exec(db, sql, first_column, &v, NULL);
	return v;
}

struct heard {
	size_t calls, pairs, reclaims;
	size_t first;                 /* pairs of the first call */
	int64_t chunk;
	uint8_t last[16];
};

static void forget(void *ctx, const struct retention_victim *v, size_t n)
{
	struct heard *h = ctx;
	if (!h->calls)
		h->first = n;
	__atomic_fetch_add(&h->calls, 1, __ATOMIC_RELEASE);   /* a background deletion's come from its thread */
	h->pairs += n;
	if (n) {
		h->chunk = v[n - 1].chunk;
		memcpy(h->last, v[n - 1].trace_id, 16);
	}
}

static void reclaimed(void *ctx)
{
	__atomic_fetch_add(&((struct heard *)ctx)->reclaims, 1, __ATOMIC_RELEASE);
}

/* Entry lengths of chunk id (-1 entries when missing). */
static long chunk_entries(sqlite3 *db, int64_t id, size_t *lens_out, size_t cap)
{
	sqlite3_stmt *st;
	long n = -1;
	if (sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		struct arena *a = arena_new();
		const uint8_t **spans, *fields;
		size_t *lens;
		size_t count;
		n = record_chunk_entries(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), a, &count, &spans,
		                         &lens, &fields)
		        ? -1
		        : (long)count;
		for (long i = 0; i < n && (size_t)i < cap; i++)
			lens_out[i] = lens[i] + (fields[i] != 0);   /* the entry's bytes: a format-2 one has its flags */
		arena_free(a);
	}
	sqlite3_finalize(st);
	return n;
}

/* One request (one chunk): traces first..first+count-1, then, when
 * recent, as many from RECENT + first; spans_each spans each. */
static void submit_mixed(struct writer *w, int first, int count, int recent, int spans_each, const char *(*user)(int))
{
	char err[512] = "";
	struct span_batch *b = span_batch_new(NULL);
	Tl__ExportTraceServiceRequest *req;
	Tl__ScopeSpans *ss = new_request(b, &req);
	for (int t = first; t < first + count; t++)
		for (int n = 0; n < spans_each; n++)
			add_span(b, ss, t, t * 10 + n, user(t));
	for (int t = RECENT + first; t < RECENT + first + recent; t++)
		for (int n = 0; n < spans_each; n++)
			add_span(b, ss, t, t * 10 + n, user(t));
	CHECK(span_batch_add_request(b, req, err, sizeof err) == ERR_OK, "batch: %s", err);
	CHECK(writer_submit(w, b, err, sizeof err) == ERR_OK, "submit: %s", err);
	span_batch_free(b);
}

static void submit(struct writer *w, int first, int count, int spans_each, const char *(*user)(int))
{
	submit_mixed(w, first, count, 0, spans_each, user);
}

static const char *odd_even(int t) { return t % 2 ? "u-odd" : "u-even"; }
static const char *many(int t) { (void)t; return "u-many"; }

/* Entries of chunk id emptied (a deleted span's) and kept. */
static void count_entries(sqlite3 *db, int64_t id, int *emptied, int *kept)
{
	size_t lens[256];
	long entries = chunk_entries(db, id, lens, 256);
	*emptied = *kept = 0;
	for (long i = 0; i < entries && i < 256; i++)
		lens[i] ? ++*kept : ++*emptied;
}

/* Closes the reader, stops r and w, removes dir. */
static void shut_down(sqlite3 *db, struct retention *r, struct writer *w, const char *dir)
{
	sqlite3_close_v2(db);
	retention_stop(r);
	writer_stop(w);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
}

/* Age retention on backfilled data, whose chunks mix old and recent
 * traces: a chunk that lost half its spans is rewritten without their
 * bytes; one that lost a few is left whole (a recompression per deleted
 * trace would cost more than the bytes it frees). */
static void age_trims_backfilled_chunks(void)
{
	char dir[] = "/tmp/tracelite-retention-age-XXXXXX", err[512] = "";
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	submit_mixed(w, 1, 10, 10, 3, odd_even);   /* 10 old traces, 10 recent: 60 spans in one chunk */
	submit_mixed(w, 11, 1, 19, 3, odd_even);   /* 1 old, 19 recent */
	sqlite3 *db = NULL;
	CHECK(store_open_reader(dir, &db, err, sizeof err) == ERR_OK, "reader: %s", err);
	int64_t halved = scalar(db, "SELECT min(id) FROM chunks"), nicked = scalar(db, "SELECT max(id) FROM chunks");
	CHECK(halved != nicked && scalar(db, "SELECT count(*) FROM traces") == 40, "stored");
	setenv("TRACELITE_RETENTION_POLL_MS", "20", 1);
	struct retention_opts o = {.days = 30, .min_free_set = 1};
	struct retention *r = retention_start(dir, w, &o, NULL, err, sizeof err);
	CHECK(r != NULL, "retention: %s", err);
	for (int i = 0; i < 1000 && scalar(db, "SELECT count(*) FROM traces") != 29; i++)
		usleep(10000);
	CHECK(scalar(db, "SELECT count(*) FROM traces") == 29 && scalar(db, "SELECT count(*) FROM spans") == 87,
	      "the 11 old traces went: %lld left", (long long)scalar(db, "SELECT count(*) FROM traces"));
	int emptied, kept;
	count_entries(db, halved, &emptied, &kept);
	CHECK(emptied == 30 && kept == 30, "half of a chunk gone: rewritten without it (emptied %d, kept %d)", emptied,
	      kept);
	count_entries(db, nicked, &emptied, &kept);
	CHECK(emptied == 0 && kept == 60, "3 of 60 spans gone: the chunk is left whole (emptied %d, kept %d)", emptied,
	      kept);
	unsetenv("TRACELITE_RETENTION_POLL_MS");
	shut_down(db, r, w, dir);
}

/* The size cap deletes about the traces the excess holds (by the mean
 * bytes per trace): a batch goes no further, so with a cap 1,000 bytes
 * under the files the first batch takes one trace or two, not a batch of
 * the oldest (16 to start with). */
static void cap_batch_stops_at_its_debt(void)
{
	char dir[] = "/tmp/tracelite-retention-cap-XXXXXX", err[512] = "";
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	submit(w, 1, 40, 1, many);
	writer_stop(w);   /* checkpointed: the database file holds it all */
	uint64_t bytes = retention_dir_bytes(dir);
	w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	sqlite3 *db = NULL;
	CHECK(store_open_reader(dir, &db, err, sizeof err) == ERR_OK, "reader: %s", err);
	CHECK(scalar(db, "SELECT count(*) FROM traces") == 40, "stored");
	struct heard h = {0};
	struct retention_hooks hooks = {forget, NULL, &h};
	setenv("TRACELITE_RETENTION_POLL_MS", "20", 1);
	struct retention_opts o = {.max_disk = bytes - 1000, .min_free_set = 1};
	struct retention *r = retention_start(dir, w, &o, &hooks, err, sizeof err);
	CHECK(r != NULL, "retention: %s", err);
	for (int i = 0; i < 1000 && !__atomic_load_n(&h.calls, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	CHECK(__atomic_load_n(&h.calls, __ATOMIC_ACQUIRE) > 0, "the cap deleted");
	CHECK(h.first >= 1 && h.first <= 4, "its first batch took %zu traces of 40 (%llu bytes, cap %llu)", h.first,
	      (unsigned long long)bytes, (unsigned long long)o.max_disk);
	unsetenv("TRACELITE_RETENTION_POLL_MS");
	shut_down(db, r, w, dir);
}

int main(void)
{
	char dir[] = "/tmp/tracelite-retention-XXXXXX", err[512] = "";
	if (!mkdtemp(dir))
		return 1;
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w != NULL, "writer: %s", err);
	submit(w, 1, 5, 3, odd_even);   /* traces 1..5, 3 spans each: one chunk */
	submit(w, 6, 1, 2, odd_even);   /* trace 6: a chunk of its own */
	struct heard h = {0};
	struct retention_opts o = {.min_free_set = 1};
	struct retention_hooks hooks = {forget, reclaimed, &h};
	struct retention *r = retention_start(dir, w, &o, &hooks, err, sizeof err);
	CHECK(r != NULL, "retention: %s", err);
	sqlite3 *db = NULL;
	CHECK(store_open_reader(dir, &db, err, sizeof err) == ERR_OK, "reader: %s", err);
	int64_t shared = scalar(db, "SELECT min(id) FROM chunks");
	CHECK(scalar(db, "SELECT count(*) FROM chunks") == 2 && scalar(db, "SELECT count(*) FROM spans") == 17, "stored");
	int64_t attr_rows = scalar(db, "SELECT count(*) FROM trace_pairsets");
	CHECK(attr_rows >= 6 && scalar(db, "SELECT count(*) FROM trace_resources") == 6, "attribute index filled: %lld",
	      (long long)attr_rows);

	/* no filter */
	struct retention_filter none = {0};
	int64_t n = -1;
	CHECK(retention_delete(r, &none, &n, err, sizeof err) == ERR_BAD_INPUT && n == 0, "no filter refused");
	CHECK(strstr(err, "no filter") != NULL, "message: %s", err);

	/* trace 2 by id: its entries of the shared chunk emptied, the rest kept */
	uint8_t t2[16] = {0};
	t2[15] = 2;
	struct retention_filter by_id = {.trace_id = t2};
	CHECK(retention_delete(r, &by_id, &n, err, sizeof err) == ERR_OK && n == 1, "by id: %lld %s", (long long)n, err);
	CHECK(h.calls == 1 && h.pairs == 1 && h.chunk == shared && !memcmp(h.last, t2, 16), "hook heard (chunk, trace)");
	CHECK(scalar(db, "SELECT count(*) FROM spans") == 14, "3 spans gone");
	CHECK(scalar(db, "SELECT count(*) FROM traces") == 5, "trace row gone");
	CHECK(scalar(db, "SELECT count(*) FROM trace_pairsets") == attr_rows / 6 * 5 &&
	          scalar(db, "SELECT count(*) FROM trace_pairsets WHERE trace NOT IN (SELECT key FROM traces)") == 0 &&
	          scalar(db, "SELECT count(*) FROM trace_resources") == 5,
	      "its attribute index rows gone: %lld of %lld", (long long)scalar(db, "SELECT count(*) FROM trace_pairsets"),
	      (long long)attr_rows);
	int emptied, kept;
	count_entries(db, shared, &emptied, &kept);
	CHECK(emptied == 3 && kept == 12, "entries keep their index: emptied %d kept %d", emptied, kept);
	CHECK(retention_delete(r, &by_id, &n, err, sizeof err) == ERR_OK && n == 0, "again: nothing");

	/* by user: traces 1, 3, 5 (odd) and the lone 6 stays */
	struct retention_filter by_user = {.user_id = "u-odd"};
	CHECK(retention_delete(r, &by_user, &n, err, sizeof err) == ERR_OK && n == 3, "by user: %lld", (long long)n);
	CHECK(scalar(db, "SELECT count(*) FROM spans") == 5, "spans left: %lld", (long long)scalar(db, "SELECT count(*) FROM spans"));
	struct retention_filter by_user2 = {.user_id = "u-even", .session_id = "nope"};
	CHECK(retention_delete(r, &by_user2, &n, err, sizeof err) == ERR_OK && n == 0, "filters combine");
	struct retention_filter by_even = {.user_id = "u-even"};
	CHECK(retention_delete(r, &by_even, &n, err, sizeof err) == ERR_OK && n == 2, "even: %lld", (long long)n);
	/* the newest chunk stays, emptied, so its id is never given out again */
	CHECK(scalar(db, "SELECT count(*) FROM chunks") == 1 && scalar(db, "SELECT count(*) FROM spans") == 0,
	      "chunks nobody points at are gone but the newest: %lld", (long long)scalar(db, "SELECT count(*) FROM chunks"));
	int64_t newest = scalar(db, "SELECT max(id) FROM chunks");
	count_entries(db, newest, &emptied, &kept);
	CHECK(emptied > 0 && kept == 0, "the newest chunk %lld holds no span's bytes: %d of %d", (long long)newest, kept,
	      emptied + kept);

	/* more traces than one batch holds */
	for (int k = 0; k < 5; k++)
		submit(w, 100 + k * 100, 100, 1, many);
	struct retention_filter by_many = {.user_id = "u-many"};
	size_t calls = h.calls;
	CHECK(retention_delete(r, &by_many, &n, err, sizeof err) == ERR_OK && n == 500, "many: %lld", (long long)n);
	CHECK(h.calls - calls >= 500 / RETENTION_BATCH, "in batches: %zu", h.calls - calls);
	CHECK(scalar(db, "SELECT count(*) FROM traces") == 0 && scalar(db, "SELECT count(*) FROM trace_pairsets") == 0 &&
	          scalar(db, "SELECT count(*) FROM trace_resources") == 0,
	      "all gone, attribute index too");
	CHECK(scalar(db, "SELECT count(*) FROM deletions") == 506, "each requested deletion logged for replication: %lld",
	      (long long)scalar(db, "SELECT count(*) FROM deletions"));

	struct retention_status st;
	retention_status(r, &st);
	CHECK(st.deleted_traces == 506 && !st.disk_low, "status: %lld deleted", (long long)st.deleted_traces);
	CHECK(retention_dir_bytes(dir) > 0, "dir bytes");
	/* the thread gives the space of requested deletions back, the index's too */
	for (int i = 0; i < 1000 && !__atomic_load_n(&h.reclaims, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	CHECK(__atomic_load_n(&h.reclaims, __ATOMIC_ACQUIRE) > 0, "the reclaim hook was called");
	struct retention_opts dflt = {0};
	CHECK(retention_min_free(&dflt, 10000000000ull) == 500000000ull, "5%% of 10 GB");
	CHECK(retention_min_free(&dflt, 100000000000ull) == RETENTION_MIN_FREE_CAP, "1 GB cap");
	CHECK(retention_min_free(&o, 100000000000ull) == 0, "set: 0 = off");
	uint8_t keep[1] = {1};
	void *out = NULL;
	size_t len = 0;
	CHECK(record_chunk_keep("junk", 4, keep, 1, &out, &len) == ERR_BAD_INPUT && !out, "corrupt chunk refused");

	shut_down(db, r, w, dir);
	age_trims_backfilled_chunks();
	cap_batch_stops_at_its_debt();
	return test_done();
}
