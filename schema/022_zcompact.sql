-- 022_zcompact.sql: the idle-time compaction of span chunks
-- (src/store/zconvert.c): chunks are packed at zstd level 3 on ingest, then
-- recompressed once at a higher level (--compact-level) when the server has
-- been idle a few seconds. Chunks are append-only (ids grow), so one mark
-- says how far it got: every chunk with id <= upto was looked at (a chunk
-- that a deletion rewrote since, record_chunk_keep, is at level 3 again).
-- chunks, bytes_before and bytes_after count the chunks replaced and their
-- sizes before and after (for /api/health and /metrics).
CREATE TABLE zcompact (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  upto         INTEGER NOT NULL DEFAULT 0,   -- chunks.id compacted up to
  level        INTEGER NOT NULL DEFAULT 0,   -- the level of the last chunk compacted
  chunks       INTEGER NOT NULL DEFAULT 0,
  bytes_before INTEGER NOT NULL DEFAULT 0,
  bytes_after  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO zcompact (id) VALUES (1);
