/* rollup.c: accumulates span and trace-summary deltas during a writer
 * transaction and folds them into span_rollups / trace_rollups (see
 * schema/002_rollups.sql). Deltas are keyed by the full row key at each of
 * the three levels, so a group commit of a thousand spans in the same
 * minute touches a handful of rows. Durations are kept as observations
 * until the flush, which decodes the row's sketch once, adds them and
 * encodes it back. Minute rows are written for a recent horizon only
 * (rollup.h), and swept once they pass it. The hour and day span deltas
 * are also summed per bucket and project into span_totals (schema/018). */
#include "store/rollup.h"
#include "store/spanstab.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/sketch.h"
#include "base/text.h"

enum { KIND_SPAN, KIND_TRACE };
#define KEY_LEN 9   /* kind, level, bucket, project, service, name|error, type, model, provider */

struct obs {
	double v;
	int64_t n;
};

struct entry {
	int64_t key[KEY_LEN];
	int64_t count, errors, dur_sum;
	int64_t input_tokens, output_tokens, cache_read, cache_write;
	double cost;
	struct obs *obs;
	size_t nobs, obs_cap;
};

enum { ST_SPAN_PUT, ST_SPAN_DEL, ST_TOTAL_PUT, ST_TOTAL_DEL, ST_TRACE_PUT, ST_TRACE_DEL, ST_LONG, ST_FORGET_TRACE,
       ST_FORGET_SPANS, ST_COUNT };

/* A cost sum taken down to within this fraction of what it was is 0: the
 * rounding left by subtracting the doubles a row was summed from (a row
 * whose costed spans were all deleted reads 0, as a fresh store's would). */
#define COST_SUM " cost_usd = CASE WHEN abs(cost_usd + excluded.cost_usd) <= 1e-12 * abs(cost_usd) THEN 0" \
	" ELSE cost_usd + excluded.cost_usd END"

/* Each accumulated delta is one upsert: new rows are inserted, existing
 * ones updated in place; tl_sketch_merge adds the delta sketch. A delta
 * that took spans or traces out is followed by the *_DEL statement of its
 * row: a row whose count reached 0 goes. */
static const char *const stmt_sql[ST_COUNT] = {
	[ST_SPAN_PUT] = "INSERT INTO span_rollups VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"
	                " ON CONFLICT (level, bucket, project, service, name, type, model, provider) DO UPDATE SET"
	                " count = count + excluded.count, errors = errors + excluded.errors,"
	                " duration_sum = duration_sum + excluded.duration_sum,"
	                " input_tokens = input_tokens + excluded.input_tokens,"
	                " output_tokens = output_tokens + excluded.output_tokens,"
	                " cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,"
	                " cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,"
	                COST_SUM ", sketch = tl_sketch_merge(sketch, excluded.sketch)",
	[ST_SPAN_DEL] = "DELETE FROM span_rollups WHERE level = ?1 AND bucket = ?2 AND project = ?3 AND service = ?4"
	                " AND name = ?5 AND type = ?6 AND model = ?7 AND provider = ?8 AND count <= 0",
	[ST_TOTAL_PUT] = "INSERT INTO span_totals VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
	                 " ON CONFLICT (level, bucket, project) DO UPDATE SET"
	                 " count = count + excluded.count, errors = errors + excluded.errors,"
	                 " duration_sum = duration_sum + excluded.duration_sum,"
	                 " input_tokens = input_tokens + excluded.input_tokens,"
	                 " output_tokens = output_tokens + excluded.output_tokens,"
	                 " cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,"
	                 " cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,"
	                 COST_SUM,
	[ST_TOTAL_DEL] = "DELETE FROM span_totals WHERE level = ?1 AND bucket = ?2 AND project = ?3 AND count <= 0",
	[ST_TRACE_PUT] = "INSERT INTO trace_rollups VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
	                 " ON CONFLICT (level, bucket, project, service, error) DO UPDATE SET"
	                 " count = count + excluded.count, duration_sum = duration_sum + excluded.duration_sum,"
	                 " sketch = tl_sketch_merge(sketch, excluded.sketch)",
	[ST_TRACE_DEL] = "DELETE FROM trace_rollups"
	                 " WHERE level = ?1 AND bucket = ?2 AND project = ?3 AND service = ?4"
	                 " AND error = ?5 AND count <= 0",
	[ST_LONG] = "INSERT OR IGNORE INTO long_traces (key) VALUES (?1)",
	/* a stored trace as rollup_add_trace last added it (its service a
	 * strings id, schema/030) */
	[ST_FORGET_TRACE] = "SELECT t.project, t.start_ns, t.end_ns, t.span_count, t.error_count, t.service_sid"
	                    " FROM traces t WHERE t.key = ?1",
	/* its stored spans as rollup_add_span added them */
	[ST_FORGET_SPANS] = "SELECT " SPANSTAB_COLUMNS " FROM spans WHERE trace = ?1",
};

struct rollup {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct entry *entries;
	size_t nentries, cap;
	uint32_t *slots;     /* open addressing: entry index + 1, 0 = empty */
	size_t nslots;
	int64_t minute_floor;  /* minute rows are written for buckets >= this (seconds); only grows */
	int64_t next_sweep;    /* wall seconds of the next sweep of old minute rows */
	int64_t *longs;        /* trace keys to list in long_traces at the flush */
	size_t nlongs, longs_cap;
	struct sketch scratch;
	uint8_t encoded[SKETCH_ENCODED_MAX];
};

int64_t rollup_level_seconds(int level)
{
	static const int64_t width[ROLLUP_LEVELS] = {60, 3600, 86400};
	return width[level];
}

int64_t rollup_minute_floor(int64_t now_s)
{
	return now_s / 3600 * 3600 - ROLLUP_MINUTE_HOURS * 3600;
}

int64_t rollup_sweep_before(int64_t now_s)
{
	return rollup_minute_floor(now_s) - 2 * 3600;   /* as the writer's: floor_update's less an hour */
}

enum err rollup_sweep(sqlite3 *db, int64_t before_s, int64_t *deleted, char *err, size_t errlen)
{
	/* an hour of minute rows at a time, so a store upgraded with days of
	 * them catches up in short steps */
	static const char *const sql[] = {
		"DELETE FROM span_rollups WHERE level = 0 AND bucket < min(?1,"
		" (SELECT coalesce(min(bucket), 0) FROM span_rollups WHERE level = 0) + 3600)",
		"DELETE FROM trace_rollups WHERE level = 0 AND bucket < min(?1,"
		" (SELECT coalesce(min(bucket), 0) FROM trace_rollups WHERE level = 0) + 3600)",
	};
	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, before_s);
			rc = sqlite3_step(st);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return err_set(err, errlen, ERR_STORE, "sweeping minute rollups: %s", sqlite3_errmsg(db));
		*deleted += sqlite3_changes(db);
	}
	return ERR_OK;
}

/* Moves the writer's minute floor up to an hour before the readers' one. */
static void floor_update(struct rollup *r)
{
	int64_t f = rollup_minute_floor((int64_t)(text_now_ns() / 1000000000u)) - 3600;   /* as tl_minute_floor */
	if (f > r->minute_floor)
		r->minute_floor = f;
}

int64_t rollup_span_duration(uint64_t start_ns, uint64_t end_ns)
{
	if (end_ns <= start_ns)
		return 0;
	return end_ns - start_ns > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(end_ns - start_ns);
}

/* *acc += sign * v (sign +1, or -1 with v >= 0), held at INT64_MAX / INT64_MIN
 * instead of overflowing: a client may send any uint64 times and int64
 * token counts, and their sums stay defined (if not meaningful). */
static void add_signed(int64_t *acc, int sign, int64_t v)
{
	int64_t d = sign < 0 ? -v : v;
	if (__builtin_add_overflow(*acc, d, acc))
		*acc = d > 0 ? INT64_MAX : INT64_MIN;
}

static int64_t bucket_of(uint64_t ns, int level)
{
	int64_t secs = (int64_t)(ns / 1000000000u), w = rollup_level_seconds(level);
	return secs / w * w;
}

/* SQL tl_sketch_merge(a, b): the encoded sum of two encoded sketches
 * (b may hold negative counts: a delta). Uses the accumulator's scratch
 * sketch: the writer connection is single-threaded. */
static void sql_sketch_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct rollup *r = sqlite3_user_data(ctx);
	size_t len;
	/* one pass over both encodings; through a struct sketch only for a
	 * pair whose buckets are out of order (no encoder writes that) */
	enum err rc = sketch_merge_encoded(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]),
	                                   sqlite3_value_blob(argv[1]), (size_t)sqlite3_value_bytes(argv[1]), r->encoded,
	                                   &len);
	if (rc == ERR_OK) {
		sqlite3_result_blob(ctx, r->encoded, (int)len, SQLITE_TRANSIENT);
		return;
	}
	if (rc == ERR_BAD_INPUT) {
		sqlite3_result_error(ctx, "rollups: corrupt latency sketch", -1);
		return;
	}
	sketch_clear(&r->scratch);
	for (int i = 0; i < 2; i++) {
		if (sketch_decode_add(&r->scratch, sqlite3_value_blob(argv[i]), (size_t)sqlite3_value_bytes(argv[i]))) {
			sqlite3_result_error(ctx, "rollups: corrupt latency sketch", -1);
			return;
		}
	}
	size_t n = sketch_encode(&r->scratch, r->encoded);
	sqlite3_result_blob(ctx, r->encoded, (int)n, SQLITE_TRANSIENT);
}

struct rollup *rollup_new(sqlite3 *db, char *err, size_t errlen)
{
	struct rollup *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->db = db;
	if (sqlite3_create_function(db, "tl_sketch_merge", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, r, sql_sketch_merge,
	                            NULL, NULL)) {
		err_set(err, errlen, ERR_STORE, "rollups: %s", sqlite3_errmsg(db));
		goto fail;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->st[i], NULL)) {
			err_set(err, errlen, ERR_STORE, "prepare rollups: %s", sqlite3_errmsg(db));
			goto fail;
		}
	}
	sketch_clear(&r->scratch);
	floor_update(r);
	return r;
fail:
	rollup_free(r);   /* statements not prepared are NULL */
	return NULL;
}

void rollup_free(struct rollup *r)
{
	if (!r)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(r->st[i]);
	for (size_t i = 0; i < r->cap; i++)
		free(r->entries[i].obs);
	free(r->entries);
	free(r->slots);
	free(r->longs);
	free(r);
}

static uint64_t key_hash(const int64_t *key)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < KEY_LEN; i++) {
		h ^= (uint64_t)key[i];
		h *= 1099511628211ull;
		h ^= h >> 29;
	}
	return h;
}

static void slots_rebuild(struct rollup *r, size_t nslots)
{
	free(r->slots);
	r->nslots = nslots;
	r->slots = calloc(nslots, sizeof *r->slots);
	if (!r->slots)
		abort();
	for (size_t i = 0; i < r->nentries; i++) {
		size_t s = key_hash(r->entries[i].key) & (nslots - 1);
		while (r->slots[s])
			s = (s + 1) & (nslots - 1);
		r->slots[s] = (uint32_t)i + 1;
	}
}

/* Finds or creates the entry for key. */
static struct entry *entry_for(struct rollup *r, const int64_t *key)
{
	if ((r->nentries + 1) * 2 > r->nslots)
		slots_rebuild(r, r->nslots ? r->nslots * 2 : 256);
	size_t s = key_hash(key) & (r->nslots - 1);
	for (; r->slots[s]; s = (s + 1) & (r->nslots - 1)) {
		struct entry *e = &r->entries[r->slots[s] - 1];
		if (memcmp(e->key, key, sizeof e->key) == 0)
			return e;
	}
	if (r->nentries == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		r->entries = realloc(r->entries, cap * sizeof *r->entries);
		if (!r->entries)
			abort();
		memset(r->entries + r->cap, 0, (cap - r->cap) * sizeof *r->entries);
		r->cap = cap;
	}
	struct entry *e = &r->entries[r->nentries];
	struct obs *obs = e->obs;          /* keep the buffer of a reused slot */
	size_t obs_cap = e->obs_cap;
	memset(e, 0, sizeof *e);
	e->obs = obs;
	e->obs_cap = obs_cap;
	memcpy(e->key, key, sizeof e->key);
	r->slots[s] = (uint32_t)++r->nentries;
	return e;
}

static void observe(struct entry *e, double v, int64_t n)
{
	if (e->nobs && e->obs[e->nobs - 1].v == v) {
		e->obs[e->nobs - 1].n += n;
		return;
	}
	if (e->nobs == e->obs_cap) {
		e->obs_cap = e->obs_cap ? e->obs_cap * 2 : 8;
		e->obs = realloc(e->obs, e->obs_cap * sizeof *e->obs);
		if (!e->obs)
			abort();
	}
	e->obs[e->nobs++] = (struct obs){v, n};
}

/* The first level to write for a start time: 1 (no minute row) when its
 * minute is older than the floor. A span or trace taken back from a minute
 * that fell below the floor since it was added leaves a stale minute row
 * that no reader uses and the sweep deletes. */
static int minute_skip(const struct rollup *r, uint64_t start_ns)
{
	return bucket_of(start_ns, 0) < r->minute_floor;
}

static void note_long(struct rollup *r, int64_t key)
{
	if (r->nlongs && r->longs[r->nlongs - 1] == key)
		return;
	if (r->nlongs == r->longs_cap) {
		r->longs_cap = r->longs_cap ? r->longs_cap * 2 : 16;
		r->longs = realloc(r->longs, r->longs_cap * sizeof *r->longs);
		if (!r->longs)
			abort();
	}
	r->longs[r->nlongs++] = key;
}

/* Adds (sign +1) or takes back (sign -1) a span's contribution. */
static void span_delta(struct rollup *r, const struct rollup_span_dims *d, const struct span *s, int sign)
{
	int64_t dur = rollup_span_duration(s->start_ns, s->end_ns);
	for (int level = minute_skip(r, s->start_ns); level < ROLLUP_LEVELS; level++) {
		int64_t key[KEY_LEN] = {KIND_SPAN, level, bucket_of(s->start_ns, level), d->project, d->service,
		                        d->name, s->type, d->model, d->provider};
		struct entry *e = entry_for(r, key);
		e->count += sign;
		e->errors += sign * (s->status_code == 2);
		add_signed(&e->dur_sum, sign, dur);
		add_signed(&e->input_tokens, sign, s->input_tokens);
		add_signed(&e->output_tokens, sign, s->output_tokens);
		add_signed(&e->cache_read, sign, s->cache_read_tokens);
		add_signed(&e->cache_write, sign, s->cache_write_tokens);
		if (s->has_cost)
			e->cost += sign * s->cost_usd;
		observe(e, (double)dur, sign);
	}
}

void rollup_add_span(struct rollup *r, const struct rollup_span_dims *d, const struct span *s)
{
	if (s->end_ns < s->start_ns)   /* its start may lie past its trace's end */
		note_long(r, d->trace);
	span_delta(r, d, s, 1);
}

void rollup_remove_span(struct rollup *r, const struct rollup_span_dims *d, const struct span *s)
{
	span_delta(r, d, s, -1);
}

void rollup_add_trace(struct rollup *r, const struct tracesum *t, int64_t service_id, int sign)
{
	if (!t->exists || t->span_count <= 0)
		return;
	int64_t dur = rollup_span_duration(t->start_ns, t->end_ns);
	for (int level = minute_skip(r, t->start_ns); level < ROLLUP_LEVELS; level++) {
		int64_t key[KEY_LEN] = {KIND_TRACE, level, bucket_of(t->start_ns, level), t->project, service_id,
		                        t->error_count > 0, 0, 0, 0};
		struct entry *e = entry_for(r, key);
		e->count += sign;
		add_signed(&e->dur_sum, sign, dur);
		observe(e, (double)dur, sign);
	}
}

void rollup_span_of_row(const struct spancols_row *r, struct rollup_span_dims *d, struct span *s)
{
	*d = (struct rollup_span_dims){r->project, r->service, r->name, r->has_model ? r->model : 0,
	                               r->has_provider ? r->provider : 0, r->trace};
	memset(s, 0, sizeof *s);
	s->type = (int)(r->flags & 7);
	s->has_parent = r->has_parent;
	s->start_ns = (uint64_t)r->start_ns;
	s->end_ns = r->dur < 0 ? (uint64_t)r->dur : (uint64_t)r->start_ns + (uint64_t)r->dur;   /* spanrow.h */
	s->status_code = (int)r->status;
	s->input_tokens = r->input_tokens;
	s->output_tokens = r->output_tokens;
	s->cache_read_tokens = r->cache_read_tokens;
	s->cache_write_tokens = r->cache_write_tokens;
	s->has_cost = r->has_cost;
	s->cost_usd = r->cost_usd;
}

enum err rollup_forget_trace(struct rollup *r, int64_t key, char *err, size_t errlen)
{
	sqlite3_stmt *st = r->st[ST_FORGET_TRACE];
	struct tracesum t;
	int64_t service = 0;
	int step;
	memset(&t, 0, sizeof t);
	sqlite3_bind_int64(st, 1, key);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		t.exists = 1;
		t.project = sqlite3_column_int64(st, 0);
		t.start_ns = (uint64_t)sqlite3_column_int64(st, 1);
		t.end_ns = (uint64_t)sqlite3_column_int64(st, 2);
		t.span_count = sqlite3_column_int64(st, 3);
		t.error_count = sqlite3_column_int64(st, 4);
		service = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return err_set(err, errlen, ERR_STORE, "rollups: %s", sqlite3_errmsg(r->db));
	rollup_add_trace(r, &t, service, -1);
	st = r->st[ST_FORGET_SPANS];
	sqlite3_bind_int64(st, 1, key);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct rollup_span_dims d;
		struct spancols_row row;
		struct span s;
		spanstab_column_row(st, NULL, &row);
		rollup_span_of_row(&row, &d, &s);
		span_delta(r, &d, &s, -1);
	}
	sqlite3_reset(st);
	return step == SQLITE_DONE ? ERR_OK : err_set(err, errlen, ERR_STORE, "rollups: %s", sqlite3_errmsg(r->db));
}

void rollup_note_trace(struct rollup *r, int64_t key, const struct tracesum *t)
{
	if (t->exists && t->end_ns > t->start_ns && t->end_ns - t->start_ns > (uint64_t)ROLLUP_LONG_TRACE_NS)
		note_long(r, key);
}

static void bind_key(sqlite3_stmt *st, const int64_t *key, int n)
{
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, key[i + 1]);
}

static int finish(struct rollup *r, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return err_set(err, errlen, ERR_STORE, "rollups: %s", sqlite3_errmsg(r->db));
	return ERR_OK;
}

/* Binds the entry's duration observations as an encoded delta sketch. */
static void bind_sketch(struct rollup *r, sqlite3_stmt *st, int col, const struct entry *e)
{
	sketch_clear(&r->scratch);
	for (size_t i = 0; i < e->nobs; i++)
		sketch_add(&r->scratch, e->obs[i].v, e->obs[i].n);
	size_t n = sketch_encode(&r->scratch, r->encoded);
	sqlite3_bind_blob(st, col, r->encoded, (int)n, SQLITE_TRANSIENT);
}

static int flush_span(struct rollup *r, struct entry *e, char *err, size_t errlen)
{
	sqlite3_stmt *put = r->st[ST_SPAN_PUT];
	bind_key(put, e->key, 8);
	const int64_t v[] = {e->count, e->errors, e->dur_sum, e->input_tokens, e->output_tokens, e->cache_read,
	                     e->cache_write};
	for (int i = 0; i < 7; i++)
		sqlite3_bind_int64(put, 9 + i, v[i]);
	sqlite3_bind_double(put, 16, e->cost);
	bind_sketch(r, put, 17, e);
	int rc = finish(r, put, err, errlen);
	if (!rc && e->count < 0) {   /* spans taken out: the row may be empty now */
		bind_key(r->st[ST_SPAN_DEL], e->key, 8);
		rc = finish(r, r->st[ST_SPAN_DEL], err, errlen);
	}
	return rc;
}

/* Upserts the span_totals delta t (its key: level, bucket, project). */
static int flush_total(struct rollup *r, const struct entry *t, char *err, size_t errlen)
{
	sqlite3_stmt *put = r->st[ST_TOTAL_PUT];
	bind_key(put, t->key, 3);
	const int64_t v[] = {t->count, t->errors, t->dur_sum, t->input_tokens, t->output_tokens, t->cache_read,
	                     t->cache_write};
	for (int i = 0; i < 7; i++)
		sqlite3_bind_int64(put, 4 + i, v[i]);
	sqlite3_bind_double(put, 11, t->cost);
	int rc = finish(r, put, err, errlen);
	if (!rc && t->count < 0) {
		bind_key(r->st[ST_TOTAL_DEL], t->key, 3);
		rc = finish(r, r->st[ST_TOTAL_DEL], err, errlen);
	}
	return rc;
}

/* Folds the hour and day span entries, sorted by key, into one span_totals
 * delta per level, bucket and project (a run of neighbours in that order):
 * what span_rollups gained, summed over its other dimensions. Minute rows
 * have no totals: on data spread over days they would cost an upsert per
 * span (a minute row holds about one), and minute series keep reading
 * span_rollups. */
static int flush_totals(struct rollup *r, struct entry *const *order, size_t n, char *err, size_t errlen)
{
	struct entry t;
	int open = 0, rc = ERR_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct entry *e = order[i];
		if (e->key[0] != KIND_SPAN)
			break;   /* spans sort first */
		if (e->key[1] == 0)
			continue;   /* minutes: no totals */
		if (open && memcmp(t.key + 1, e->key + 1, 3 * sizeof *t.key)) {
			rc = flush_total(r, &t, err, errlen);
			open = 0;
		}
		if (!open) {
			memset(&t, 0, sizeof t);
			memcpy(t.key, e->key, sizeof t.key);
			open = 1;
		}
		t.count += e->count;
		t.errors += e->errors;
		add_signed(&t.dur_sum, 1, e->dur_sum);
		add_signed(&t.input_tokens, 1, e->input_tokens);
		add_signed(&t.output_tokens, 1, e->output_tokens);
		add_signed(&t.cache_read, 1, e->cache_read);
		add_signed(&t.cache_write, 1, e->cache_write);
		t.cost += e->cost;
	}
	if (open && !rc)
		rc = flush_total(r, &t, err, errlen);
	return rc;
}

static int flush_trace(struct rollup *r, struct entry *e, char *err, size_t errlen)
{
	sqlite3_stmt *put = r->st[ST_TRACE_PUT];
	if (e->count == 0 && e->nobs == 0)
		return ERR_OK;
	bind_key(put, e->key, 5);
	sqlite3_bind_int64(put, 6, e->count);
	sqlite3_bind_int64(put, 7, e->dur_sum);
	bind_sketch(r, put, 8, e);
	int rc = finish(r, put, err, errlen);
	if (!rc && e->count < 0) {   /* traces moved out: the row may be empty now */
		bind_key(r->st[ST_TRACE_DEL], e->key, 5);
		rc = finish(r, r->st[ST_TRACE_DEL], err, errlen);
	}
	return rc;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct entry *a = *(struct entry *const *)x, *b = *(struct entry *const *)y;
	for (int i = 0; i < KEY_LEN; i++)
		if (a->key[i] != b->key[i])
			return a->key[i] < b->key[i] ? -1 : 1;
	return 0;
}

enum err rollup_flush(struct rollup *r, char *err, size_t errlen)
{
	int rc = ERR_OK;
	/* in primary-key order, so the b-tree is walked once, not at random */
	struct entry **order = malloc((r->nentries ? r->nentries : 1) * sizeof *order);
	if (!order)
		abort();
	for (size_t i = 0; i < r->nentries; i++)
		order[i] = &r->entries[i];
	qsort(order, r->nentries, sizeof *order, entry_cmp);
	for (size_t i = 0; i < r->nentries && !rc; i++) {
		struct entry *e = order[i];
		rc = e->key[0] == KIND_SPAN ? flush_span(r, e, err, errlen) : flush_trace(r, e, err, errlen);
	}
	if (!rc)
		rc = flush_totals(r, order, r->nentries, err, errlen);
	free(order);
	for (size_t i = 0; i < r->nlongs && !rc; i++) {
		sqlite3_bind_int64(r->st[ST_LONG], 1, r->longs[i]);
		rc = finish(r, r->st[ST_LONG], err, errlen);
	}
	int64_t now_s = (int64_t)(text_now_ns() / 1000000000u), swept = 0;
	if (!rc && now_s >= r->next_sweep) {
		r->next_sweep = now_s + 1;
		rc = rollup_sweep(r->db, r->minute_floor - 3600, &swept, err, errlen);
	}
	rollup_discard(r);
	return rc;
}

void rollup_discard(struct rollup *r)
{
	for (size_t i = 0; i < r->nentries; i++)
		r->entries[i].nobs = 0;
	r->nentries = 0;
	r->nlongs = 0;
	if (r->slots)
		memset(r->slots, 0, r->nslots * sizeof *r->slots);
	floor_update(r);
}

struct rollup_coster {
	sqlite3 *db;
	sqlite3_stmt *span, *total;
};

struct rollup_coster *rollup_coster_new(sqlite3 *db, char *err, size_t errlen)
{
	struct rollup_coster *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->db = db;
	if (sqlite3_prepare_v2(db, "UPDATE span_rollups SET cost_usd = cost_usd + ?1 WHERE level = ?2 AND bucket = ?3"
	                           " AND project = ?4 AND service = ?5 AND name = ?6 AND type = ?7 AND model = ?8"
	                           " AND provider = ?9", -1, &c->span, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE span_totals SET cost_usd = cost_usd + ?1 WHERE level = ?2 AND bucket = ?3"
	                           " AND project = ?4", -1, &c->total, NULL)) {
		err_set(err, errlen, ERR_STORE, "rollups: %s", sqlite3_errmsg(db));
		rollup_coster_free(c);
		return NULL;
	}
	return c;
}

void rollup_coster_free(struct rollup_coster *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->span);
	sqlite3_finalize(c->total);
	free(c);
}

enum err rollup_cost_move(struct rollup_coster *c, const struct rollup_span_dims *d, int type, uint64_t start_ns,
                          double delta)
{
	for (int level = 0; level < ROLLUP_LEVELS; level++) {
		const int64_t key[] = {level, bucket_of(start_ns, level), d->project, d->service, d->name, type,
		                       d->model, d->provider};
		sqlite3_bind_double(c->span, 1, delta);
		for (int i = 0; i < 8; i++)
			sqlite3_bind_int64(c->span, i + 2, key[i]);
		int rc = sqlite3_step(c->span);
		sqlite3_reset(c->span);
		if (rc != SQLITE_DONE)
			return ERR_STORE;
		if (level == 0 || !sqlite3_changes(c->db))
			continue;   /* no totals for minutes; no hour or day row: no total of it either */
		sqlite3_bind_double(c->total, 1, delta);
		for (int i = 0; i < 3; i++)
			sqlite3_bind_int64(c->total, i + 2, key[i]);
		rc = sqlite3_step(c->total);
		sqlite3_reset(c->total);
		if (rc != SQLITE_DONE)
			return ERR_STORE;
	}
	return ERR_OK;
}

/* SQL tl_bucket(ns, level): the bucket start of a time at a level. */
static void sql_bucket(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	int level = sqlite3_value_int(argv[1]);
	int64_t ns = sqlite3_value_int64(argv[0]);
	if (level < 0 || level >= ROLLUP_LEVELS) {
		sqlite3_result_error(ctx, "tl_bucket: bad level", -1);
		return;
	}
	sqlite3_result_int64(ctx, bucket_of(ns > 0 ? (uint64_t)ns : 0, level));
}

/* SQL aggregate tl_sketch(duration_ns): the encoded sketch of a group. */
static void sql_sketch_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct sketch *s = sqlite3_aggregate_context(ctx, sizeof *s);
	if (!s) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sketch_add(s, sqlite3_value_double(argv[0]), 1);
}

static void sql_sketch_final(sqlite3_context *ctx)
{
	struct sketch *s = sqlite3_aggregate_context(ctx, sizeof *s);
	uint8_t *buf = sqlite3_malloc(SKETCH_ENCODED_MAX);
	if (!s || !buf) {
		sqlite3_free(buf);
		sqlite3_result_error_nomem(ctx);
		return;
	}
	size_t n = sketch_encode(s, buf);
	sqlite3_result_blob(ctx, buf, (int)n, sqlite3_free);
}

/* SQL tl_minute_floor(): the writer's minute floor now (floor_update). */
static void sql_minute_floor(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_int64(ctx, rollup_minute_floor((int64_t)(text_now_ns() / 1000000000u)) - 3600);
}

/* The rebuild mirrors rollup_add_span / rollup_add_trace exactly (minute
 * rows from the writer's floor on). It runs after migration 002, so it
 * fills 002's duration_min and duration_max too, with 0: 028 drops them;
 * the trace's service (%s) is its text's strings id, interned first, or
 * after 030 the id traces hold (tests run it on a later schema). */
static const char rebuild_sql[] =
	"DELETE FROM span_rollups;"
	"DELETE FROM trace_rollups;"
	"INSERT INTO span_rollups SELECT l.level, tl_bucket(s.start_ns, l.level), s.project, s.service, s.name,"
	" s.type, coalesce(s.model, 0), coalesce(s.provider, 0), count(*), sum(s.status = 2),"
	" sum(max(s.end_ns - s.start_ns, 0)), 0, 0,"
	" sum(s.input_tokens), sum(s.output_tokens), sum(s.cache_read_tokens), sum(s.cache_write_tokens),"
	" total(s.cost_usd), tl_sketch(max(s.end_ns - s.start_ns, 0))"
	" FROM spans s, (SELECT 0 AS level UNION ALL SELECT 1 UNION ALL SELECT 2) l"
	" WHERE l.level > 0 OR s.start_ns >= tl_minute_floor() * 1000000000 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;"
	"%sINSERT INTO trace_rollups SELECT l.level, tl_bucket(t.start_ns, l.level), t.project,"
	" %s, t.error_count > 0, count(*),"
	" sum(max(t.end_ns - t.start_ns, 0)), tl_sketch(max(t.end_ns - t.start_ns, 0))"
	" FROM traces t, (SELECT 0 AS level UNION ALL SELECT 1 UNION ALL SELECT 2) l WHERE t.span_count > 0"
	" AND (l.level > 0 OR t.start_ns >= tl_minute_floor() * 1000000000)"
	" GROUP BY 1, 2, 3, 4, 5;";

enum err rollup_reader_functions(sqlite3 *db)
{
	return sqlite3_create_function(db, "tl_sketch", 1, SQLITE_UTF8, NULL, NULL, sql_sketch_step, sql_sketch_final)
	               ? ERR_STORE
	               : ERR_OK;
}

/* span_totals from span_rollups (schema/018): the sums flush_totals keeps. */
static const char totals_sql[] =
	"DELETE FROM span_totals;"
	"INSERT INTO span_totals SELECT level, bucket, project, sum(count), sum(errors), sum(duration_sum),"
	" sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), total(cost_usd)"
	" FROM span_rollups WHERE level > 0 GROUP BY level, bucket, project;";

enum err rollup_totals_rebuild(sqlite3 *db, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db, totals_sql, NULL, NULL, &msg)) {
		err_set(err, errlen, ERR_STORE, "rebuilding span totals: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return ERR_STORE;
	}
	return ERR_OK;
}

/* Whether sql (binding ?1 to a, and ?2 to b unless NULL) finds a row:
 * the schema checks of the rebuild, which a migration before the one
 * changing the schema may run. */
static int schema_has(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int found;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}
#define HAS_TABLE "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1"
#define HAS_COLUMN "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2"

enum err rollup_rebuild(sqlite3 *db, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_create_function(db, "tl_bucket", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_bucket, NULL,
	                            NULL) ||
	    sqlite3_create_function(db, "tl_sketch", 1, SQLITE_UTF8, NULL, NULL, sql_sketch_step, sql_sketch_final) ||
	    sqlite3_create_function(db, "tl_minute_floor", 0, SQLITE_UTF8, NULL, sql_minute_floor, NULL, NULL))
		return err_set(err, errlen, ERR_STORE, "rollups: %s", sqlite3_errmsg(db));
	int sids = schema_has(db, HAS_COLUMN, "traces", "service_sid");
	char *sql = sqlite3_mprintf(rebuild_sql, sids ? "" : "INSERT OR IGNORE INTO strings (value) SELECT DISTINCT service FROM traces;",
	                            sids ? "t.service_sid" : "(SELECT id FROM strings WHERE value = t.service)");
	if (!sql)
		abort();
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	sqlite3_free(sql);
	if (rc) {
		err_set(err, errlen, ERR_STORE, "rebuilding rollups: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return ERR_STORE;
	}
	return schema_has(db, HAS_TABLE, "span_totals", NULL) ? rollup_totals_rebuild(db, err, errlen) : ERR_OK;
}
