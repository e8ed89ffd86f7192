-- 016_rollup_horizon.sql: minute rollup rows are kept for a recent horizon
-- only (src/store/rollup.h: ROLLUP_MINUTE_HOURS); the writer deletes older
-- ones, and a dashboard range edge in an older hour is answered from the
-- spans and traces tables. Spans have no index on their start, so the
-- spans starting in [lo, hi) are read through their traces: those starting
-- in [lo - 10 minutes, hi) (traces.start_ns is indexed) and the few listed
-- here, whose spans may start later than that after the trace starts: the
-- traces lasting longer than 10 minutes (ROLLUP_LONG_TRACE_NS) and those
-- with a span ending before it starts. The writer adds to it; a key of a
-- deleted trace may stay (it only widens what is read).
CREATE TABLE long_traces (
  key INTEGER PRIMARY KEY              -- traces.key
);
INSERT OR IGNORE INTO long_traces (key)
  SELECT key FROM traces WHERE end_ns - start_ns > 600000000000;
INSERT OR IGNORE INTO long_traces (key)
  SELECT DISTINCT trace FROM spans WHERE end_ns < start_ns;
