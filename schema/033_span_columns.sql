-- 033_span_columns.sql: the span rows as columns, one blob per chunk
-- (src/store/spancols.h, spanstab.h). The spans table took about 80 of
-- the 480 bytes a span costs on prose LLM-agent data (a B-tree row per
-- span, its 22 values each with a header byte, pages 88% full); its values
-- encoded column by column and compressed take about a third of that.
-- * chunk_spans holds each chunk's rows as one spancols blob;
-- * trace_chunks lists the chunks holding a trace's rows, in place of the
--   rows' primary key (one entry per trace and chunk, not per span);
-- * `spans` becomes an eponymous virtual table over both (spanstab.c),
--   with the columns it had, so that no SQL reader changes;
-- * chunk_traces and chunk_long_rows (schema/023), which found a chunk's
--   rows, go: a chunk's rows are its blob;
-- * span_ids is kept up to date by the writer and the deletions instead of
--   triggers on spans.
-- store.c then moves every row of the table into the blobs (the C step of
-- this migration, in its transaction) and drops it.
CREATE TABLE chunk_spans (
  chunk INTEGER PRIMARY KEY,   -- chunks.id
  cols  BLOB NOT NULL          -- spancols.h
);
CREATE TABLE trace_chunks (
  trace INTEGER NOT NULL,      -- traces.key
  chunk INTEGER NOT NULL,      -- chunks.id
  PRIMARY KEY (trace, chunk)
) WITHOUT ROWID;
DROP TRIGGER span_ids_insert;
DROP TRIGGER span_ids_delete;
DROP TRIGGER chunk_traces_delete;
DROP TABLE chunk_traces;
DROP TABLE chunk_long_rows;
ALTER TABLE spans RENAME TO spans_032;
