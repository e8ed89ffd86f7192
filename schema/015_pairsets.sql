-- 015_pairsets.sql: one row per trace for the attribute index (issue 13).
-- trace_pairs (schema/011) held a row per distinct (trace, pair): about 6
-- rows and 65 B per span on prose data, and 6 b-tree inserts per span in
-- the writer thread. A trace's pair ids are now one blob: sorted, as
-- varint deltas (src/store/pairset.c); the writer merges a later request's
-- pairs into it (tl_pairset_union), the filters test membership with
-- tl_pairset_has / tl_pairset_any (src/query/filters.c). pair_blocks and
-- attr_pairs stay as 011 made them. The functions are registered on every
-- connection before the migrations run (src/store/store.c).
CREATE TABLE trace_pairsets (
  trace INTEGER PRIMARY KEY,  -- traces.key
  pairs BLOB NOT NULL         -- the trace's attr_pairs ids (pairset.h)
);

-- The conversion: trace_pairs is clustered on (trace, pair), so the groups
-- stream in order (one trace's ids in memory at a time).
INSERT INTO trace_pairsets (trace, pairs) SELECT trace, tl_pairset_agg(pair) FROM trace_pairs GROUP BY trace;
DROP TABLE trace_pairs;
