-- 010_logs.sql: OTLP log records (issue 12). Stored like spans: a chunk is a
-- zstd frame of varint-length-prefixed packed OTLP ResourceLogs, one per
-- record (its resource, scope and the one LogRecord, exactly as received);
-- logs has a small row per record for the time, project, service,
-- severity and trace filters of GET /api/logs. Written by the writer
-- (src/store/logstore.c), removed by retention and trace deletion.
CREATE TABLE log_chunks (
  id   INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
CREATE TABLE logs (
  id          INTEGER PRIMARY KEY,
  time_ns     INTEGER NOT NULL,
  project     INTEGER NOT NULL,   -- projects.key
  service     INTEGER NOT NULL,   -- strings.id
  severity    INTEGER NOT NULL,   -- OTLP SeverityNumber 0..24
  trace_id    BLOB,               -- 16 bytes, NULL when none
  span_id     BLOB,               -- 8 bytes, NULL when none
  chunk       INTEGER NOT NULL,   -- log_chunks.id
  chunk_index INTEGER NOT NULL
);
CREATE INDEX logs_time ON logs (time_ns, id);
CREATE INDEX logs_project ON logs (project, time_ns, id);
CREATE INDEX logs_trace ON logs (trace_id, span_id) WHERE trace_id IS NOT NULL;
CREATE INDEX logs_chunk ON logs (chunk);
