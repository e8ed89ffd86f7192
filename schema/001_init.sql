-- 001_init.sql: projects, interned strings, span chunks, spans, trace
-- summaries and scores. Applied once; recorded in PRAGMA user_version.

-- A project is addressed by UUID or name; key is the compact internal id.
CREATE TABLE projects (
  key        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL UNIQUE,
  created_ns INTEGER NOT NULL
);
INSERT INTO projects (key, id, name, created_ns)
VALUES (1, '00000000-0000-0000-0000-000000000001', 'default', 0);   -- the time: 008

-- Low-cardinality strings (service, span name, model, provider), interned
-- like ClickHouse's LowCardinality.
CREATE TABLE strings (
  id    INTEGER PRIMARY KEY,
  value TEXT NOT NULL UNIQUE
);

-- Resources and instrumentation scopes, packed OTLP protobuf, shared by
-- every span that carries the same one (keyed by SHA-256 of the bytes).
CREATE TABLE blobs (
  id   INTEGER PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE,
  data BLOB NOT NULL
);

-- The spans of one trace from one commit: zstd frame of varint-length-
-- prefixed packed OTLP Span messages, exactly as received.
CREATE TABLE chunks (
  id   INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);

-- Hot columns of every span; the whole span lives in its chunk. Clustered
-- by (trace, span_id): traces get increasing keys as they first arrive, so
-- new spans append to the b-tree instead of landing at random pages, and a
-- trace's spans sit together for the trace view.
CREATE TABLE spans (
  trace          INTEGER NOT NULL,   -- traces.key
  span_id        BLOB NOT NULL,
  parent_span_id BLOB,
  project        INTEGER NOT NULL,
  name           INTEGER NOT NULL,   -- strings.id
  service        INTEGER NOT NULL,   -- strings.id
  kind           INTEGER NOT NULL,
  type           INTEGER NOT NULL,   -- enum span_type
  start_ns       INTEGER NOT NULL,
  end_ns         INTEGER NOT NULL,
  status         INTEGER NOT NULL,   -- 0 unset, 1 ok, 2 error
  status_message TEXT,
  model          INTEGER,            -- strings.id
  provider       INTEGER,            -- strings.id
  input_tokens   INTEGER NOT NULL DEFAULT 0,
  output_tokens  INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd       REAL,
  resource       INTEGER,            -- blobs.id
  scope          INTEGER,            -- blobs.id
  chunk          INTEGER NOT NULL,   -- chunks.id
  chunk_index    INTEGER NOT NULL,
  PRIMARY KEY (trace, span_id)
) WITHOUT ROWID;
CREATE INDEX spans_span ON spans (span_id);

-- One row per trace, merged at ingest from spans arriving in any order.
CREATE TABLE traces (
  key            INTEGER PRIMARY KEY,
  trace_id       BLOB NOT NULL UNIQUE,
  project        INTEGER NOT NULL,
  start_ns       INTEGER NOT NULL,
  end_ns         INTEGER NOT NULL,
  name           TEXT NOT NULL,
  service        TEXT NOT NULL,
  root_known     INTEGER NOT NULL,   -- 1 once the span without parent arrived
  span_count     INTEGER NOT NULL,
  error_count    INTEGER NOT NULL,
  llm_calls      INTEGER NOT NULL,
  input_tokens   INTEGER NOT NULL,
  output_tokens  INTEGER NOT NULL,
  cost_usd       REAL NOT NULL,
  models         TEXT NOT NULL,      -- distinct models, comma separated
  session_id     TEXT,
  user_id        TEXT,
  input_preview  TEXT,
  output_preview TEXT,
  preview_ns     INTEGER             -- start of the span the previews came from
);
CREATE INDEX traces_start ON traces (start_ns);
CREATE INDEX traces_project ON traces (project, start_ns);
CREATE INDEX traces_session ON traces (session_id, start_ns) WHERE session_id IS NOT NULL;
CREATE INDEX traces_user ON traces (user_id, start_ns) WHERE user_id IS NOT NULL;

CREATE TABLE scores (
  id           TEXT PRIMARY KEY,
  project      INTEGER NOT NULL,
  trace_id     BLOB NOT NULL,
  span_id      BLOB,
  name         TEXT NOT NULL,
  value        REAL,
  string_value TEXT,
  score_type   TEXT NOT NULL,
  comment      TEXT,
  source       TEXT,
  time_ns      INTEGER NOT NULL
);
CREATE INDEX scores_trace ON scores (trace_id);
