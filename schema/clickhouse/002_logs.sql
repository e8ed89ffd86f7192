-- OTLP log records (tracelite schema/010): one row per record. record_id is
-- 32 hex digits of the SHA-256 of the record as stored (with its stored
-- time for a record without a time of its own), so a replayed batch merges
-- away; version is tracelite's log chunk. attributes, resource and scope
-- hold JSON text, as GET /api/logs shows them. Partitioned by month,
-- sorted by day, project and record.
CREATE TABLE IF NOT EXISTS logs (
  record_id String,
  project_id String,
  time_ns UInt64,
  time DateTime MATERIALIZED toDateTime(intDiv(time_ns, 1000000000)),
  observed_time_ns UInt64,
  severity_number UInt8,
  severity_text String,
  severity String,
  body String,
  attributes String,
  resource String,
  scope String,
  service String,
  trace_id Nullable(String),
  span_id Nullable(String),
  flags UInt32,
  event_name String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(time)
ORDER BY (toDate(time), project_id, record_id);
