-- Postgres tables tracelite replicates into (created if missing; runs on
-- Postgres 13 and newer). Rows arrive at least once and are upserted by
-- primary key: spans, traces and scores carry a version (a span's chunk,
-- tracelite's change sequence for the others) and an older one never
-- overwrites a newer (spans change only when a Langfuse update supersedes
-- one). Times are unix nanoseconds plus a timestamptz generated from
-- them. JSON columns are jsonb.
CREATE TABLE IF NOT EXISTS projects (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_ns bigint NOT NULL,
  version bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS spans (
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text,
  project_id text NOT NULL,
  name text NOT NULL,
  kind smallint NOT NULL,
  type text NOT NULL,
  service text NOT NULL,
  start_ns bigint NOT NULL,
  end_ns bigint NOT NULL,
  start_time timestamptz GENERATED ALWAYS AS (to_timestamp(start_ns / 1e9::double precision)) STORED,
  duration_ms double precision NOT NULL,
  status_code smallint NOT NULL,
  status_message text NOT NULL,
  model text,
  provider text,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_read_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  cost_usd double precision,
  input text,
  output text,
  session_id text,
  user_id text,
  trace_state text NOT NULL,
  flags bigint NOT NULL,
  attributes jsonb,
  events jsonb,
  links jsonb,
  resource jsonb,
  scope jsonb,
  version bigint NOT NULL,
  PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_start_time ON spans (start_time);
CREATE INDEX IF NOT EXISTS spans_service_time ON spans (service, start_time);

CREATE TABLE IF NOT EXISTS traces (
  trace_id text PRIMARY KEY,
  project_id text NOT NULL,
  name text NOT NULL,
  service text NOT NULL,
  start_ns bigint NOT NULL,
  end_ns bigint NOT NULL,
  start_time timestamptz GENERATED ALWAYS AS (to_timestamp(start_ns / 1e9::double precision)) STORED,
  duration_ms double precision NOT NULL,
  status text NOT NULL,
  span_count bigint NOT NULL,
  error_count bigint NOT NULL,
  llm_calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd double precision NOT NULL,
  models text NOT NULL,
  session_id text,
  user_id text,
  input_preview text,
  output_preview text,
  version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_start_time ON traces (start_time);

CREATE TABLE IF NOT EXISTS scores (
  id text PRIMARY KEY,
  project_id text NOT NULL,
  trace_id text NOT NULL,
  span_id text,
  name text NOT NULL,
  value double precision,
  string_value text,
  score_type text NOT NULL,
  comment text,
  source text,
  time_ns bigint NOT NULL,
  time timestamptz GENERATED ALWAYS AS (to_timestamp(time_ns / 1e9::double precision)) STORED,
  version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_trace ON scores (trace_id);
-- Scores of a session (tracelite schema/013): trace_id '' and a session_id.
ALTER TABLE scores ADD COLUMN IF NOT EXISTS session_id text;
