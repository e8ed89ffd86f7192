-- 021_span_ids_mid.sql: a middle level between span_ids_new and span_ids
-- (src/store/spanids.c). Merging span_ids_new's 8,192 spans straight into
-- span_ids dirtied nearly every page of span_ids once it outgrew them (at
-- 1M spans, ~4,400 pages written per merge: half a page per span, and the
-- checkpoint wrote them again). Now span_ids_new goes into the smaller
-- span_ids_mid every SPANIDS_MERGE_SPANS spans, and span_ids_mid into
-- span_ids every SPANIDS_MID_MERGES of those. A lookup reads the three
-- (SPANIDS_TRACES_SQL); a deleted span's rows go from each.
CREATE TABLE span_ids_mid (
  span_id BLOB NOT NULL,
  trace   INTEGER NOT NULL,                  -- traces.key
  PRIMARY KEY (span_id, trace)
) WITHOUT ROWID;
DROP TRIGGER span_ids_delete;
CREATE TRIGGER span_ids_delete AFTER DELETE ON spans BEGIN
  DELETE FROM span_ids WHERE span_id = old.span_id AND trace = old.trace;
  DELETE FROM span_ids_mid WHERE span_id = old.span_id AND trace = old.trace;
  DELETE FROM span_ids_new WHERE span_id = old.span_id AND trace = old.trace;
END;
