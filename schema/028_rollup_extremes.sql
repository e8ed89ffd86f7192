-- 028_rollup_extremes.sql: span_rollups without duration_min and
-- duration_max. Nothing read them (latency figures come from the
-- sketches), and neither a deletion (rollup_forget_trace) nor a superseded
-- span could take a span out of them, so they were only bounds. The table
-- is copied in key order rather than altered: ALTER TABLE ... DROP COLUMN
-- rewrites each row in place and leaves its pages partly empty.
CREATE TABLE span_rollups_028 (
  level          INTEGER NOT NULL,
  bucket         INTEGER NOT NULL,   -- bucket start, unix seconds
  project        INTEGER NOT NULL,
  service        INTEGER NOT NULL,   -- strings.id
  name           INTEGER NOT NULL,   -- strings.id
  type           INTEGER NOT NULL,   -- enum span_type
  model          INTEGER NOT NULL,   -- strings.id, 0 = none
  provider       INTEGER NOT NULL,   -- strings.id, 0 = none
  count          INTEGER NOT NULL,
  errors         INTEGER NOT NULL,   -- status = error
  duration_sum   INTEGER NOT NULL,   -- ns; a span ending before it starts counts 0
  input_tokens   INTEGER NOT NULL,
  output_tokens  INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_usd       REAL NOT NULL,
  sketch         BLOB NOT NULL,      -- durations, src/base/sketch.h encoding
  PRIMARY KEY (level, bucket, project, service, name, type, model, provider)
) WITHOUT ROWID;
INSERT INTO span_rollups_028
  SELECT level, bucket, project, service, name, type, model, provider, count, errors, duration_sum,
         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, sketch
  FROM span_rollups ORDER BY level, bucket, project, service, name, type, model, provider;
DROP TABLE span_rollups;
ALTER TABLE span_rollups_028 RENAME TO span_rollups;
PRAGMA incremental_vacuum;
