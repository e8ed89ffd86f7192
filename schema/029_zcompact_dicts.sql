-- 029_zcompact_dicts.sql: the idle-time compaction's own zstd dictionary
-- (src/store/zconvert.c). Chunks are packed on ingest with the store's
-- first dictionary (zdicts: 256 KiB trained on its first 2 MiB of spans, a
-- size chosen for the request threads' memory and CPU). Once the store's
-- chunks hold enough spans, the compaction trains a larger one from them
-- while ingest is idle and recompresses every chunk with it. A chunk's frame
-- names its dictionary's id, so the two tables share one id space and
-- zdict.c looks an id up in both. Rows are never deleted while a chunk may
-- name them.
CREATE TABLE zcompact_dicts (
  id           INTEGER PRIMARY KEY,
  created_ns   INTEGER NOT NULL,
  size         INTEGER NOT NULL,   -- length(data)
  samples      INTEGER NOT NULL,   -- spans it was trained on
  sample_bytes INTEGER NOT NULL,
  -- last: reading a column after it walks its overflow pages (/api/health
  -- shows the columns above; 1 MiB per worker connection's page cache)
  data         BLOB NOT NULL
);
