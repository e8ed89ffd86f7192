-- 014_zdicts.sql: zstd dictionaries trained from this store's own spans
-- (src/store/zdict.c). A span chunk compressed with one names it in its zstd
-- frame header (the dictionary id, = id here), so chunks need no new column;
-- chunks written before (dictionary id 0 in the frame) stay readable as they
-- are. Rows are never deleted while a chunk may name them (one per store
-- today, 256 KiB). before_chunk: the newest chunk id when the row was
-- stored (the chunks up to it were written without a dictionary);
-- converted: those up to this id have been recompressed with it, in the
-- background (src/store/zconvert.c), resumable after a restart.
CREATE TABLE zdicts (
  id           INTEGER PRIMARY KEY,
  created_ns   INTEGER NOT NULL,
  data         BLOB NOT NULL,
  before_chunk INTEGER NOT NULL DEFAULT 0,
  converted    INTEGER NOT NULL DEFAULT 0
);
