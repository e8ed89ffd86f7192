-- 009_score_configs.sql: score configs (issue 14 item 4): what an annotation
-- (a score with source = 'annotation') of this name may hold. type is
-- numeric (optional min_value/max_value), boolean (value 0 or 1) or
-- categorical (string_value one of categories, a JSON array of strings).
-- Written through the writer (src/store/annot.c), read by the API and the UI.
CREATE TABLE score_configs (
  name        TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  min_value   REAL,
  max_value   REAL,
  categories  TEXT,
  description TEXT,
  time_ns     INTEGER NOT NULL
);
-- A deleted annotation (DELETE /api/scores/{id}) is logged in deletions with
-- its score id, so replication deletes just that score on its targets
-- (src/repl/repl_rows.c); rows without score_id are whole traces as before.
ALTER TABLE deletions ADD COLUMN score_id TEXT;
