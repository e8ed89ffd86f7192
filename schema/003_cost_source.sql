-- 003_cost_source.sql: where each span's cost came from: 0 none, 1 sent by
-- the client, 2 computed from the price table at ingest (or by `tracelite
-- reprice`, which only ever rewrites 0 and 2). Costs stored before this
-- migration were all client-sent.
ALTER TABLE spans ADD COLUMN cost_source INTEGER NOT NULL DEFAULT 0;
UPDATE spans SET cost_source = 1 WHERE cost_usd IS NOT NULL;

-- The scores summary reads a time range of scores (GET /api/scores/summary).
CREATE INDEX scores_time ON scores (time_ns);
