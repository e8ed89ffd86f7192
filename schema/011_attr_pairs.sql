-- 011_attr_pairs.sql: a smaller attribute index (issue 13). trace_attrs
-- (schema/007) repeated the key and the value text in each of its rows (37
-- per trace, 152 B/span on demo data); each distinct (key, value) of span
-- attributes is now stored once in attr_pairs, and a trace's pairs are rows
-- of two small integers in trace_pairs. Same answers for every attr./meta./
-- tag= filter (src/query/filters.c); filled by the writer
-- (src/store/attrindex.c).

-- Each distinct (key, value) once: key is strings.id of "a:KEY", value as
-- trace_attrs had it (integer, real or text). Pairs whose traces are all
-- deleted stay (one row per distinct pair; they match no trace).
CREATE TABLE attr_pairs (
  id    INTEGER PRIMARY KEY,
  key   INTEGER NOT NULL,   -- strings.id of "a:KEY"
  value ANY NOT NULL
);
CREATE UNIQUE INDEX attr_pairs_key ON attr_pairs (key, value);

-- A trace's pairs, clustered by trace: ingest appends (trace keys grow), a
-- filter tests a trace with one seek, deletion removes one range.
CREATE TABLE trace_pairs (
  trace INTEGER NOT NULL,   -- traces.key
  pair  INTEGER NOT NULL,   -- attr_pairs.id
  PRIMARY KEY (trace, pair)
) WITHOUT ROWID;

-- Where a pair occurs, coarsely: one row per pair and block of 256 trace
-- keys having it (written once per block), so a filter evaluated as the set
-- of passing traces scans only those blocks of trace_pairs. Rows of
-- deleted traces' blocks may stay: they point at ranges with fewer rows.
CREATE TABLE pair_blocks (
  pair  INTEGER NOT NULL,   -- attr_pairs.id
  block INTEGER NOT NULL,   -- traces.key >> 8
  PRIMARY KEY (pair, block)
) WITHOUT ROWID;

-- The conversion of a store written before this migration.
INSERT INTO attr_pairs (key, value) SELECT DISTINCT key, value FROM trace_attrs ORDER BY key, value;
INSERT INTO trace_pairs (trace, pair)
  SELECT a.trace, p.id FROM trace_attrs a JOIN attr_pairs p ON p.key = a.key AND p.value = a.value ORDER BY 1, 2;
INSERT INTO pair_blocks (pair, block) SELECT DISTINCT pair, trace >> 8 FROM trace_pairs ORDER BY 1, 2;
DROP TABLE trace_attrs;
