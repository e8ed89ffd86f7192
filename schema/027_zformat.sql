-- 027_zformat.sql: the conversion of span chunks from format 1 (whole
-- records) to format 2 (records without what their spans rows hold,
-- src/store/record.h), done at idle time by src/store/zformat.c. Chunks
-- are append-only (ids grow), so one mark says how far it got: every chunk
-- with id <= upto was looked at. chunks, bytes_before and bytes_after count
-- the chunks converted and their sizes before and after; unreadable counts
-- the format-1 chunks left as they are because they do not read (for
-- /api/health and /metrics).
CREATE TABLE zformat (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  upto         INTEGER NOT NULL DEFAULT 0,   -- chunks.id looked at up to
  chunks       INTEGER NOT NULL DEFAULT 0,
  bytes_before INTEGER NOT NULL DEFAULT 0,
  bytes_after  INTEGER NOT NULL DEFAULT 0,
  unreadable   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO zformat (id) VALUES (1);
