-- 013_session_scores.sql: scores of a session (issue 14 item 4): a score
-- with a session_id and no trace, e.g. an annotation made on the session
-- page. Such a score's trace_id is the empty blob (scores.trace_id stays
-- NOT NULL; no trace matches it); GET /api/scores?session_id= and the
-- sessions API read it through scores_session.
ALTER TABLE scores ADD COLUMN session_id TEXT;
CREATE INDEX scores_session ON scores (session_id, time_ns) WHERE session_id IS NOT NULL;
