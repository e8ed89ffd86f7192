-- ClickHouse tables tracelite replicates into (created if missing, one
-- statement per block ending in ";" at the end of a line). Runs on 18.16 and current ClickHouse:
-- no DateTime64, Map, LowCardinality or codecs. Times are unix nanoseconds
-- (UInt64) plus a DateTime computed from them for partitions and ranges.
-- Rows may arrive more than once (at-least-once delivery): ReplacingMergeTree
-- keeps the highest version per sorting key; read with FINAL (or after
-- merges) to see each row once. JSON columns hold JSON text
-- (JSONExtract*/visitParam* read them).

-- Spans: sorted by day, then trace: time ranges prune by partition and
-- day, one trace is one index lookup per day. version = tracelite's chunk.
CREATE TABLE IF NOT EXISTS spans (
  trace_id String,
  span_id String,
  parent_span_id Nullable(String),
  project_id String,
  name String,
  kind UInt8,
  type String,
  service String,
  start_ns UInt64,
  end_ns UInt64,
  start_time DateTime MATERIALIZED toDateTime(intDiv(start_ns, 1000000000)),
  duration_ms Float64,
  status_code UInt8,
  status_message String,
  model Nullable(String),
  provider Nullable(String),
  input_tokens Int64,
  output_tokens Int64,
  cache_read_tokens Int64,
  cache_write_tokens Int64,
  cost_usd Nullable(Float64),
  input Nullable(String),
  output Nullable(String),
  session_id Nullable(String),
  user_id Nullable(String),
  trace_state String,
  flags UInt32,
  attributes String,
  events String,
  links String,
  resource String,
  scope String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_time)
ORDER BY (toDate(start_time), trace_id, span_id);

-- Trace summaries change as late spans and merges arrive: the latest
-- version (tracelite's change sequence) wins. Sorted by trace id only,
-- because a trace's start can still move.
CREATE TABLE IF NOT EXISTS traces (
  trace_id String,
  project_id String,
  name String,
  service String,
  start_ns UInt64,
  end_ns UInt64,
  start_time DateTime MATERIALIZED toDateTime(intDiv(start_ns, 1000000000)),
  duration_ms Float64,
  status String,
  span_count Int64,
  error_count Int64,
  llm_calls Int64,
  input_tokens Int64,
  output_tokens Int64,
  cost_usd Float64,
  models String,
  session_id Nullable(String),
  user_id Nullable(String),
  input_preview Nullable(String),
  output_preview Nullable(String),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY trace_id;

CREATE TABLE IF NOT EXISTS scores (
  id String,
  project_id String,
  trace_id String,
  span_id Nullable(String),
  name String,
  value Nullable(Float64),
  string_value Nullable(String),
  score_type String,
  comment Nullable(String),
  source Nullable(String),
  time_ns UInt64,
  time DateTime MATERIALIZED toDateTime(intDiv(time_ns, 1000000000)),
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (trace_id, id);

CREATE TABLE IF NOT EXISTS projects (
  id String,
  name String,
  created_ns UInt64,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- Scores of a session (tracelite schema/013): trace_id '' and a session_id.
-- (No IF NOT EXISTS on 18.16: tracelite takes "already exists" as done.)
ALTER TABLE scores ADD COLUMN session_id Nullable(String);
