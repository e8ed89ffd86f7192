-- 002_rollups.sql: pre-aggregated metrics, maintained by the writer in the
-- same transaction as the spans (src/rollup.c) and backfilled from the
-- stored spans when this migration runs. Each row exists at three levels:
-- 0 = 1 minute, 1 = 1 hour, 2 = 1 day buckets (UTC), so a 7-day range reads
-- 7 day rows or 168 hour rows per group instead of 10,080 minute rows.

-- Spans by the minute/hour/day their span starts in. Spans are never
-- updated (retries are ignored), so every column only grows.
CREATE TABLE span_rollups (
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
  duration_min   INTEGER NOT NULL,
  duration_max   INTEGER NOT NULL,
  input_tokens   INTEGER NOT NULL,
  output_tokens  INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_usd       REAL NOT NULL,
  sketch         BLOB NOT NULL,      -- durations, src/sketch.h encoding
  PRIMARY KEY (level, bucket, project, service, name, type, model, provider)
) WITHOUT ROWID;

-- Traces by the bucket their summary starts in, keyed by the trace's
-- service and whether it has an error span. A late span that changes a
-- trace's start, duration, service or error state moves its contribution:
-- the writer subtracts the old summary and adds the new one. Tokens and
-- cost come from span_rollups, so only counts and latencies are kept here.
CREATE TABLE trace_rollups (
  level          INTEGER NOT NULL,
  bucket         INTEGER NOT NULL,
  project        INTEGER NOT NULL,
  service        INTEGER NOT NULL,   -- strings.id of traces.service
  error          INTEGER NOT NULL,   -- 1 if error_count > 0
  count          INTEGER NOT NULL,
  duration_sum   INTEGER NOT NULL,   -- ns
  sketch         BLOB NOT NULL,
  PRIMARY KEY (level, bucket, project, service, error)
) WITHOUT ROWID;
