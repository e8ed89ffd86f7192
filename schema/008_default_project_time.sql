-- 008_default_project_time.sql: the default project was created with
-- created_ns 0, which the UI showed as 1970. It gets the start of its
-- oldest trace, or the time of this migration in a store without one.
UPDATE projects
SET created_ns = coalesce(
  (SELECT min(start_ns) FROM traces WHERE project = projects.key),
  CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000)
WHERE key = 1 AND created_ns = 0;
