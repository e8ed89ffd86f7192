-- 008_attr_index.sql: what the trace-list filters attr.KEY=, resource.KEY=,
-- meta.KEY= and tag= read (src/query/filters.c): each distinct (key, scalar
-- value) of a trace's span attributes ("a:KEY") and resource attributes
-- ("r:KEY"), keys interned in strings (few distinct keys), values as
-- integer, real or text (booleans 'true'/'false'); string values over 256
-- bytes and keys over 128 are left out (src/store/attrindex.c). Clustered by
-- (key, value, trace) so one key's rows, or one value's, are a range.
-- Traces stored before this migration are not indexed: filters do not
-- find them (their spans are not re-read here).
CREATE TABLE trace_attrs (
  key   INTEGER NOT NULL,   -- strings.id of "a:KEY" or "r:KEY"
  value ANY NOT NULL,
  trace INTEGER NOT NULL,   -- traces.key
  PRIMARY KEY (key, value, trace)
) WITHOUT ROWID;

-- score.NAME= filters: the traces having a score of that name.
CREATE INDEX scores_name ON scores (name, trace_id);
