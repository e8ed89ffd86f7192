-- 018_span_totals.sql: the span rollups summed over every dimension but the
-- project (issue 13): one narrow row per level, bucket and project, with no
-- latency sketch, so a span count, token or cost series without a filter or
-- group_by reads a row per bucket instead of every wide span_rollups row
-- (about 50 per hour on the benchmark's data, each with its sketch). The
-- writer folds the same deltas into both tables in the same transaction
-- (src/store/rollup.c), minute rows included (swept with those of
-- span_rollups), so every row equals the sum of its span_rollups rows.
-- Filled from span_rollups when this migration runs (after_migration in
-- src/store/store.c: rollup_totals_rebuild).
CREATE TABLE span_totals (
  level          INTEGER NOT NULL,
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
