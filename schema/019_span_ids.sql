-- 019_span_ids.sql: spans by span id, merged in batches instead of a span
-- at a time (src/store/spanids.c). The index spans_span took one insert at
-- a random place per span, so each commit dirtied about one index page per
-- span (a 4 KiB WAL frame, written again by the checkpoint). span_ids
-- holds (span_id, trace) for every span in a chunk up to span_ids_state.upto;
-- the writer merges the spans of later chunks in span-id order once they
-- are SPANIDS_MERGE_SPANS, in the transaction that stores them. A lookup
-- reads span_ids and the spans of chunks after upto (through spans_chunk).
-- Chunk ids never go back below upto (the writer's next chunk id is past
-- it). A deleted span's row goes with it (the trigger).
CREATE TABLE span_ids (
  span_id BLOB NOT NULL,
  trace   INTEGER NOT NULL,                  -- traces.key
  PRIMARY KEY (span_id, trace)
) WITHOUT ROWID;
CREATE TABLE span_ids_state (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  upto INTEGER NOT NULL                      -- chunks.id: spans in chunks <= upto are in span_ids
);
INSERT INTO span_ids (span_id, trace) SELECT span_id, trace FROM spans ORDER BY span_id, trace;
INSERT INTO span_ids_state (id, upto) VALUES (1, (SELECT coalesce(max(chunk), 0) FROM spans));
DROP INDEX spans_span;
CREATE TRIGGER span_ids_delete AFTER DELETE ON spans BEGIN
  DELETE FROM span_ids WHERE span_id = old.span_id AND trace = old.trace;
END;
