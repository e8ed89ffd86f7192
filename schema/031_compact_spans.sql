-- 031_compact_spans.sql: a smaller spans row (src/store/spanrow.h). Every
-- stored column costs a byte of record header besides its value, and the
-- row is the second largest thing in a store after the chunks (90 of about
-- 500 bytes a span on LLM-agent data). Now:
-- * dur holds the end as an offset from the start (1-4 bytes instead of 8);
-- * flags holds type (3 bits), cost_source (2 bits) and kind (the rest:
--   any int32 an OTLP client sends) in one column instead of three;
-- * end_ns, type, cost_source and kind are VIRTUAL generated columns that
--   read them back, so every reader of spans keeps its SQL;
-- * status_message is NULL where the chunk's record holds the same
--   message (new rows; the rows converted here keep theirs).
-- Stored ends are never before their starts (src/ingest/batch.c), so an
-- end is the start plus dur, except when the start is below 2^63 and the
-- end above (stored as a negative int64): dur holds that end itself, and a
-- negative dur means so. The rebuild drops spans' triggers: made again as
-- schema/021 left them.
CREATE TABLE spans_031 (
  trace          INTEGER NOT NULL,   -- traces.key
  span_id        BLOB NOT NULL,
  parent_span_id BLOB,
  project        INTEGER NOT NULL,
  name           INTEGER NOT NULL,   -- strings.id
  service        INTEGER NOT NULL,   -- strings.id
  flags          INTEGER NOT NULL,   -- type | cost_source << 3 | kind << 5
  start_ns       INTEGER NOT NULL,
  dur            INTEGER NOT NULL,   -- end_ns - start_ns; < 0: end_ns itself
  status         INTEGER NOT NULL,   -- 0 unset, 1 ok, 2 error
  status_message TEXT,               -- NULL: none, or the record's
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
  end_ns         INTEGER AS (CASE WHEN dur < 0 THEN dur ELSE start_ns + dur END) VIRTUAL,
  type           INTEGER AS (flags & 7) VIRTUAL,           -- enum span_type
  cost_source    INTEGER AS ((flags >> 3) & 3) VIRTUAL,    -- enum span_cost_source
  kind           INTEGER AS (flags >> 5) VIRTUAL,
  PRIMARY KEY (trace, span_id)
) WITHOUT ROWID;
INSERT INTO spans_031 (trace, span_id, parent_span_id, project, name, service, flags, start_ns, dur, status,
                       status_message, model, provider, input_tokens, output_tokens, cache_read_tokens,
                       cache_write_tokens, cost_usd, resource, scope, chunk, chunk_index)
  SELECT trace, span_id, parent_span_id, project, name, service, type | (cost_source << 3) | (kind * 32), start_ns,
         CASE WHEN (start_ns < 0) = (end_ns < 0) THEN end_ns - start_ns ELSE end_ns END, status,
         status_message, model, provider, input_tokens, output_tokens, cache_read_tokens,
         cache_write_tokens, cost_usd, resource, scope, chunk, chunk_index
  FROM spans ORDER BY trace, span_id;
DROP TABLE spans;
ALTER TABLE spans_031 RENAME TO spans;
CREATE TRIGGER span_ids_insert AFTER INSERT ON spans BEGIN
  INSERT OR IGNORE INTO span_ids_new (span_id, trace) VALUES (new.span_id, new.trace);
END;
CREATE TRIGGER span_ids_delete AFTER DELETE ON spans BEGIN
  DELETE FROM span_ids WHERE span_id = old.span_id AND trace = old.trace;
  DELETE FROM span_ids_mid WHERE span_id = old.span_id AND trace = old.trace;
  DELETE FROM span_ids_new WHERE span_id = old.span_id AND trace = old.trace;
END;
