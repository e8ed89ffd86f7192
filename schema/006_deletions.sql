-- 006_deletions.sql: the traces deleted by DELETE /api/traces (not by
-- retention or the disk cap: a target keeps its own history), in order, so
-- replication can delete them on its targets
-- (src/repl/repl.c reads the rows after its checkpoint). Rows older than
-- 30 days are pruned by the deleter (src/store/retention.c): a target that
-- stays unreachable longer misses those deletions.
CREATE TABLE deletions (
  seq      INTEGER PRIMARY KEY,
  trace_id BLOB NOT NULL,
  time_ns  INTEGER NOT NULL
);
