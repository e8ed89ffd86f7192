-- 018_span_totals.sql: the hour and day rows of span_rollups summed over
-- every dimension but the project (issue 13): one narrow row per level,
-- bucket and project, with no latency sketch, so a span count, token or
-- cost series without a filter or group_by reads a row per hour instead of
-- every wide span_rollups row of it (about 50 on the benchmark's data, each
-- with its sketch). The writer folds the same deltas into both tables in
-- the same transaction (src/store/rollup.c), so every row equals the sum of
-- its span_rollups rows. No minute rows: on data spread over days they
-- would cost an upsert per span; minute series and the part-hours at a
-- range's edges read span_rollups as before. Filled from span_rollups when
-- this migration runs (after_migration in src/store/store.c).
CREATE TABLE span_totals (
  level          INTEGER NOT NULL,   -- 1 = hour, 2 = day
  bucket         INTEGER NOT NULL,   -- bucket start, unix seconds
  project        INTEGER NOT NULL,
  count          INTEGER NOT NULL,
  errors         INTEGER NOT NULL,
  duration_sum   INTEGER NOT NULL,   -- ns
  input_tokens   INTEGER NOT NULL,
  output_tokens  INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_usd       REAL NOT NULL,
  PRIMARY KEY (level, bucket, project)
) WITHOUT ROWID;
