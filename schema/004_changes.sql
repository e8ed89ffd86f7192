-- 004_changes.sql: the change sequence replication reads (src/repl*.c).
-- What changed, in commit order, without a separate log table:
--  * new spans: every committed group of spans is a chunk with an id the
--    single writer hands out in increasing order, so "spans in chunks after
--    N" are the spans committed after N (spans_chunk finds them; chunks only
--    grow at the right edge of that index, so it is a cheap append);
--  * trace summary updates: traces.seq, set from a counter the writer keeps
--    on every summary write (insert or merge), so "traces with seq > N" are
--    the summaries changed after N, each once, in its latest state;
--  * scores: scores.seq from the same counter (a replaced score gets a new one).
-- A log table would cost one more row per change and need pruning; these
-- columns cost one index entry per span and one per touched trace or score.
-- Rows from before this migration get sequence numbers in key order.
ALTER TABLE traces ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE traces SET seq = key;
CREATE INDEX traces_seq ON traces (seq);
ALTER TABLE scores ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE scores SET seq = (SELECT coalesce(max(key), 0) FROM traces) + rowid;
CREATE INDEX scores_seq ON scores (seq);
CREATE INDEX spans_chunk ON spans (chunk);
