/* test_reprice.c: reprice_run on a real store: batches smaller than a
 * trace (each trace counted once), the hook sees every change with old and
 * new costs inside the transaction, client costs are never touched, a
 * second run changes nothing, and a failing hook rolls its batch back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "otlp/otlp_build.h"
#include "store/reprice.h"
#include "store/store.h"
#include "test.h"
#include "store/writer.h"
#include "ingest/batch.h"

/* One span of trace t (1-based byte), model and tokens; cost < 0: none. */
static void add_span(struct span_batch *b, Tl__ScopeSpans *ss, int t, int n, const char *model, int64_t in,
                     int64_t out, double cost)
{
	Tl__Span *sp = arena_alloc(b->arena, sizeof *sp);
	tl__span__init(sp);
	uint8_t *tid = arena_alloc(b->arena, 16), *sid = arena_alloc(b->arena, 8);
	memset(tid, 0, 16);
	memset(sid, 0, 8);
	tid[15] = (uint8_t)t;
	sid[7] = (uint8_t)n;
	sp->trace_id = (ProtobufCBinaryData){16, tid};
	sp->span_id = (ProtobufCBinaryData){8, sid};
	sp->name = "chat";
	sp->start_time_unix_nano = 1700000000000000000ull + (uint64_t)n;
	sp->end_time_unix_nano = sp->start_time_unix_nano + 1000;
	otlp_attr_str(b->arena, &sp->attributes, &sp->n_attributes, "gen_ai.request.model", model);
	otlp_attr_int(b->arena, &sp->attributes, &sp->n_attributes, "gen_ai.usage.input_tokens", in);
	otlp_attr_int(b->arena, &sp->attributes, &sp->n_attributes, "gen_ai.usage.output_tokens", out);
	if (cost >= 0)
		otlp_attr_double(b->arena, &sp->attributes, &sp->n_attributes, "gen_ai.usage.cost", cost);
	otlp_push(b->arena, &ss->spans, &ss->n_spans, sp);
}

struct seen {
	int calls, fail_at;
	double old_sum, new_sum;
};

static int hook(void *ctx, sqlite3 *db, const struct reprice_span *s)
{
	struct seen *h = ctx;
	sqlite3_stmt *st;
	double stored = -1;
	/* the span row is already updated, in the same transaction */
	if (sqlite3_prepare_v2(db, "SELECT cost_usd FROM spans WHERE trace = ? AND start_ns = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, s->trace);
		sqlite3_bind_int64(st, 2, (int64_t)s->start_ns);
		if (sqlite3_step(st) == SQLITE_ROW)
			stored = sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
	}
	CHECK(fabs(stored - s->new_cost) < 1e-15, "hook sees the updated row: %g vs %g", stored, s->new_cost);
	CHECK(s->model > 0 && s->project == 1 && s->old_source == SPAN_COST_TABLE, "hook keys");
	h->calls++;
	h->old_sum += s->old_cost;
	h->new_sum += s->new_cost;
	return h->fail_at && h->calls == h->fail_at;
}

static double scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	double v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

int main(void)
{
	char dir[] = "/tmp/tracelite-reprice-XXXXXX", err[512] = "";
	if (!mkdtemp(dir))
		return 1;
	struct prices *shipped = prices_load(NULL, err, sizeof err);
	struct writer *w = writer_start(dir, 1 << 20, err, sizeof err);
	CHECK(w && shipped, "setup: %s", err);
	struct span_batch *b = span_batch_new(NULL);
	Tl__ExportTraceServiceRequest *req = arena_alloc(b->arena, sizeof *req);
	Tl__ResourceSpans *rs = arena_alloc(b->arena, sizeof *rs);
	Tl__ScopeSpans *ss = arena_alloc(b->arena, sizeof *ss);
	tl__export_trace_service_request__init(req);
	tl__resource_spans__init(rs);
	tl__scope_spans__init(ss);
	otlp_push(b->arena, &req->resource_spans, &req->n_resource_spans, rs);
	otlp_push(b->arena, &rs->scope_spans, &rs->n_scope_spans, ss);
	add_span(b, ss, 1, 1, "gpt-4o", 1000, 100, -1);
	add_span(b, ss, 1, 2, "gpt-4o-mini", 1000, 100, -1);
	add_span(b, ss, 1, 3, "gpt-4o", 1000, 100, 0.5);   /* client cost */
	add_span(b, ss, 2, 4, "gpt-4o", 2000, 0, -1);
	add_span(b, ss, 3, 5, "no-such-model", 10, 10, -1);
	CHECK(span_batch_add_request(b, req, err, sizeof err) == ERR_OK, "batch: %s", err);
	prices_apply(shipped, b);
	CHECK(writer_submit(w, b, err, sizeof err) == ERR_OK, "submit: %s", err);
	span_batch_free(b);
	writer_stop(w);

	sqlite3 *db = NULL;
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "open: %s", err);
	struct reprice_stats st;
	struct seen h = {0};
	struct reprice_hooks hooks = {hook, &h};
	/* unchanged prices: nothing to do */
	CHECK(reprice_run(db, shipped, &hooks, 1, &st, err, sizeof err) == ERR_OK, "run: %s", err);
	CHECK(st.spans_checked == 4 && st.spans_changed == 0 && st.traces_changed == 0 && h.calls == 0,
	      "no-op run: %lld checked, %lld changed", (long long)st.spans_checked, (long long)st.spans_changed);

	/* gpt-4o doubled: spans 1 and 4 change, in traces 1 and 2 */
	struct prices *dear = prices_load(NULL, err, sizeof err);
	const char *over = "pattern,provider,input,output,cache_read,cache_write\ngpt-4o,openai,0.000005,0.00002,,\n";
	CHECK(prices_parse(dear, "t.csv", over, strlen(over), err, sizeof err) == ERR_OK, "%s", err);
	h.fail_at = 2; /* the second change fails: its batch, the chunk of both (schema/033), rolls back */
	CHECK(reprice_run(db, dear, &hooks, 1, &st, err, sizeof err) == ERR_STORE, "a failing hook stops the run");
	CHECK(st.spans_changed == 0, "nothing counted of the batch rolled back: %lld", (long long)st.spans_changed);
	CHECK(fabs(scalar(db, "SELECT cost_usd FROM spans WHERE start_ns % 10 = 4") - 2000 * 2.5e-6) < 1e-15,
	      "rolled-back batch left span 4 as it was");
	CHECK(fabs(scalar(db, "SELECT cost_usd FROM spans WHERE start_ns % 10 = 1") - (1000 * 2.5e-6 + 100 * 1e-5)) < 1e-15,
	      "and span 1");
	memset(&h, 0, sizeof h);
	CHECK(reprice_run(db, dear, &hooks, 1, &st, err, sizeof err) == ERR_OK, "run: %s", err);
	CHECK(st.spans_changed == 2 && st.traces_changed == 2 && h.calls == 2, "after the failed run: %lld spans",
	      (long long)st.spans_changed);
	CHECK(fabs(h.old_sum - (1000 * 2.5e-6 + 100 * 1e-5 + 2000 * 2.5e-6)) < 1e-15 &&
	          fabs(h.new_sum - (1000 * 5e-6 + 100 * 2e-5 + 2000 * 5e-6)) < 1e-15,
	      "hook costs");
	CHECK(fabs(scalar(db, "SELECT cost_usd FROM traces WHERE key = (SELECT trace FROM spans WHERE start_ns % 10 = 1)") -
	           (1000 * 5e-6 + 100 * 2e-5 + 1000 * 0.15e-6 + 100 * 0.6e-6 + 0.5)) < 1e-12,
	      "trace 1 sum");
	CHECK(scalar(db, "SELECT cost_usd FROM spans WHERE cost_source = 1") == 0.5, "client cost kept");
	/* back to the shipped prices, batches of 2: 2 spans in 2 traces */
	memset(&h, 0, sizeof h);
	CHECK(reprice_run(db, shipped, &hooks, 2, &st, err, sizeof err) == ERR_OK, "run: %s", err);
	CHECK(st.spans_changed == 2 && st.traces_changed == 2 && h.calls == 2, "back: %lld spans, %lld traces",
	      (long long)st.spans_changed, (long long)st.traces_changed);
	CHECK(fabs(scalar(db, "SELECT sum(cost_usd) FROM traces") - scalar(db, "SELECT sum(cost_usd) FROM spans")) < 1e-12,
	      "trace sums match spans");
	sqlite3_close_v2(db);
	prices_free(shipped);
	prices_free(dear);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_done();
}
