-- OTLP log records (tracelite schema/010): one row per record, keyed by its
-- project and record_id (32 hex digits of the SHA-256 of the record as
-- stored; with its stored time for a record without a time of its own), so
-- a replayed batch changes nothing. version is tracelite's log chunk.
-- attributes, resource and scope are jsonb, as GET /api/logs shows them.
CREATE TABLE IF NOT EXISTS logs (
  record_id text NOT NULL,
  project_id text NOT NULL,
  time_ns bigint NOT NULL,
  time timestamptz GENERATED ALWAYS AS (to_timestamp(time_ns / 1e9::double precision)) STORED,
  observed_time_ns bigint NOT NULL,
  severity_number integer NOT NULL,
  severity_text text NOT NULL,
  severity text NOT NULL,
  body text NOT NULL,
  attributes jsonb NOT NULL,
  resource jsonb NOT NULL,
  scope jsonb NOT NULL,
  service text NOT NULL,
  trace_id text,
  span_id text,
  flags bigint NOT NULL,
  event_name text NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (project_id, record_id)
);
CREATE INDEX IF NOT EXISTS logs_time ON logs (time);
CREATE INDEX IF NOT EXISTS logs_trace ON logs (trace_id) WHERE trace_id IS NOT NULL;
