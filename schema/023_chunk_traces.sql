-- 023_chunk_traces.sql: which traces each chunk holds, so the index
-- spans_chunk (21 bytes and one index insert per span) can go. The writer
-- stores, with each chunk, a JSON array of the traces.key of its rows in
-- the order of their entries; a reader finds a chunk's rows as spans WHERE
-- trace = ? AND chunk = ? per trace of the list (src/store/chunkrows.h).
-- A list may name a trace without a row there any more (deleted,
-- superseded): harmless. Its own small table, not a column of chunks: a
-- column after the chunk's data would sit on its overflow pages.
CREATE TABLE chunk_traces (
  chunk  INTEGER PRIMARY KEY,   -- chunks.id
  traces TEXT NOT NULL          -- JSON array of traces.key
);
INSERT INTO chunk_traces (chunk, traces)
  SELECT chunk, json_group_array(trace) FROM
    (SELECT chunk, trace, min(chunk_index) AS first FROM spans GROUP BY chunk, trace ORDER BY chunk, first)
  GROUP BY chunk;
CREATE TRIGGER chunk_traces_delete AFTER DELETE ON chunks BEGIN
  DELETE FROM chunk_traces WHERE chunk = old.id;
END;
DROP INDEX spans_chunk;
