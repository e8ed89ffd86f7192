-- 023_chunk_traces.sql: which rows each chunk holds, so the index
-- spans_chunk (21 bytes and one index insert per span) can go. The writer
-- stores with each chunk a JSON array of the traces.key of its rows, in
-- the order of their entries; a reader finds a chunk's rows as spans WHERE
-- trace = ? AND chunk = ? per trace of the list (src/store/chunkrows.h).
-- That reads all of a trace's rows, so the rows of a trace that already had
-- CHUNK_LONG_ROWS (1024) rows are named one by one in chunk_long_rows
-- instead. A list may name a trace or span without a row there any more
-- (deleted, superseded): harmless. chunk_traces is its own small table,
-- not a column of chunks: a column after the chunk's data would sit on its
-- overflow pages. Here a trace is long if it has more than 1024 rows.
CREATE TABLE chunk_traces (
  chunk  INTEGER PRIMARY KEY,   -- chunks.id
  traces TEXT NOT NULL          -- JSON array of traces.key
);
CREATE TABLE chunk_long_rows (
  chunk   INTEGER NOT NULL,     -- chunks.id
  trace   INTEGER NOT NULL,     -- traces.key
  span_id BLOB NOT NULL,
  PRIMARY KEY (chunk, trace, span_id)
) WITHOUT ROWID;
CREATE TEMP TABLE long023 AS SELECT trace FROM spans GROUP BY trace HAVING count(*) > 1024;
INSERT INTO chunk_long_rows (chunk, trace, span_id)
  SELECT chunk, trace, span_id FROM spans WHERE trace IN (SELECT trace FROM long023) ORDER BY chunk, trace, span_id;
INSERT INTO chunk_traces (chunk, traces)
  SELECT c.id, coalesce((SELECT json_group_array(trace) FROM
    (SELECT trace, min(chunk_index) AS first FROM spans WHERE chunk = c.id AND trace NOT IN (SELECT trace FROM long023)
     GROUP BY trace ORDER BY first)), '[]') FROM chunks c;
DROP TABLE long023;
CREATE TRIGGER chunk_traces_delete AFTER DELETE ON chunks BEGIN
  DELETE FROM chunk_traces WHERE chunk = old.id;
  DELETE FROM chunk_long_rows WHERE chunk = old.id;
END;
DROP INDEX spans_chunk;
