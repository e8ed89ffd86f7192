-- 025_people.sql: traces name their session and user by an integer
-- (people.id) instead of the text: the text is stored once per session or
-- user, not once per trace and again in each index. A session's traces
-- arrive together, so a new session's id is the largest yet and its
-- traces_session entries go at the index's right edge instead of a random
-- page (UUID order). people is its own table, not strings: its rows are
-- deleted with the last trace naming them (a forgotten user's id must go,
-- src/store/retention.c), strings' rows are never deleted.
CREATE TABLE people (
  id    INTEGER PRIMARY KEY,
  value TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO people (value)
  SELECT value FROM (SELECT key, session_id AS value FROM traces WHERE session_id IS NOT NULL
                     UNION ALL SELECT key, user_id FROM traces WHERE user_id IS NOT NULL) ORDER BY key;
ALTER TABLE traces ADD COLUMN session_sid INTEGER;   -- people.id, NULL = none
ALTER TABLE traces ADD COLUMN user_sid INTEGER;      -- people.id, NULL = none
UPDATE traces SET session_sid = (SELECT id FROM people WHERE value = session_id) WHERE session_id IS NOT NULL;
UPDATE traces SET user_sid = (SELECT id FROM people WHERE value = user_id) WHERE user_id IS NOT NULL;
DROP INDEX traces_session;
DROP INDEX traces_user;
ALTER TABLE traces DROP COLUMN session_id;
ALTER TABLE traces DROP COLUMN user_id;
CREATE INDEX traces_session ON traces (session_sid, start_ns) WHERE session_sid IS NOT NULL;
CREATE INDEX traces_user ON traces (user_sid, start_ns) WHERE user_sid IS NOT NULL;
