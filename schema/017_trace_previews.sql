-- 017_trace_previews.sql: a trace's input and output previews leave
-- `traces` (issue 13): 240 bytes each of prose widened every row that the
-- trace list and the dashboards scan, about 79 of its 120 B/span. Both
-- texts are one value per trace here (src/store/preview.h: a header byte,
-- then the texts, zstd-compressed with the store's chunk dictionary when
-- that is smaller), written by the writer only when they change and read
-- for the rows a list shows. The conversion of an existing store (moving
-- the texts, ALTER TABLE traces DROP COLUMN input_preview, output_preview)
-- runs in C in the same transaction (preview_migrate, store.c).
CREATE TABLE IF NOT EXISTS trace_previews (
  key  INTEGER PRIMARY KEY,  -- traces.key
  body BLOB NOT NULL         -- both previews (preview.h)
);
