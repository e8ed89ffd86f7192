-- 014_zdicts.sql: zstd dictionaries trained from this store's own spans
-- (src/store/zdict.c). A span chunk compressed with one names it in its zstd
-- frame header (the dictionary id, = id here), so chunks need no new column;
-- chunks written before (dictionary id 0 in the frame) stay as they are.
-- Rows are never deleted while a chunk may name them (a few per store, each
-- about 110 KB).
CREATE TABLE zdicts (
  id         INTEGER PRIMARY KEY,
  created_ns INTEGER NOT NULL,
  data       BLOB NOT NULL
);
