-- 019_span_ids.sql: spans by span id, merged in batches instead of a span
-- at a time (src/store/spanids.c). The index spans_span took one insert at
-- a random place per span, so each commit dirtied about one index page per
-- span (a 4 KiB WAL frame, written again by the checkpoint). A new span's
-- (span_id, trace) goes into the small span_ids_new (the trigger); the
-- writer moves them all into span_ids, in key order, once there are
-- SPANIDS_MERGE_SPANS, in the transaction that stores the last of them.
-- A lookup reads both; a deleted span's rows go with it.
CREATE TABLE span_ids (
  span_id BLOB NOT NULL,
  trace   INTEGER NOT NULL,                  -- traces.key
  PRIMARY KEY (span_id, trace)
) WITHOUT ROWID;
CREATE TABLE span_ids_new (
  span_id BLOB NOT NULL,
  trace   INTEGER NOT NULL,
  PRIMARY KEY (span_id, trace)
) WITHOUT ROWID;
INSERT INTO span_ids (span_id, trace) SELECT span_id, trace FROM spans ORDER BY span_id, trace;
DROP INDEX spans_span;
CREATE TRIGGER span_ids_insert AFTER INSERT ON spans BEGIN
  INSERT OR IGNORE INTO span_ids_new (span_id, trace) VALUES (new.span_id, new.trace);
END;
CREATE TRIGGER span_ids_delete AFTER DELETE ON spans BEGIN
  DELETE FROM span_ids WHERE span_id = old.span_id AND trace = old.trace;
  DELETE FROM span_ids_new WHERE span_id = old.span_id AND trace = old.trace;
END;
