-- 013_session_scores_backfill.sql: scores of a session (issue 14 item 4): a score
-- with a session_id and no trace, e.g. an annotation made on the session
-- page. Such a score's trace_id is the empty blob (scores.trace_id stays
-- NOT NULL; no trace matches it); GET /api/scores?session_id= and the
-- sessions API read it through scores_session.
ALTER TABLE scores ADD COLUMN session_id TEXT;
CREATE INDEX scores_session ON scores (session_id, time_ns) WHERE session_id IS NOT NULL;

-- The attribute-index backfill (src/store/backfill.c): chunks stored before
-- schema/007 have no trace_attrs rows, so attr./resource./meta./tag=
-- filters miss their traces. The chunks up to upto (the newest at this
-- migration) are re-read in bounded batches through the writer, in the
-- background after start; done is the last chunk indexed (resumable after
-- a restart). Inserts are INSERT OR IGNORE: chunks indexed already cost a
-- re-read, not a duplicate. GET /api/health shows the progress.
CREATE TABLE attr_backfill (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  done INTEGER NOT NULL,
  upto INTEGER NOT NULL
);
INSERT INTO attr_backfill (id, done, upto)
  SELECT 1, coalesce(min(id), 1) - 1, coalesce(max(id), 0) FROM chunks;
