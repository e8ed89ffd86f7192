-- 007_attr_index.sql: what the trace-list filters attr.KEY=, resource.KEY=,
-- meta.KEY= and tag= read (src/query/filters.c), filled by the writer
-- (src/store/attrindex.c). Keys are interned in strings ("a:KEY" for span
-- attributes, "r:KEY" for resource attributes: few distinct keys); values
-- are integer, real or text (booleans 'true'/'false'). Left out: string
-- values over 256 bytes, keys over 128, text, per-span ids and token counts.
-- Traces stored before this migration are not indexed: filters do not find
-- them (their chunks are not re-read here).

-- Each distinct (key, value) of a trace's span attributes, once per trace.
-- Clustered by (key, trace, value): a trace's values of a key are one seek
-- (a filter tested trace by trace), one key's rows are one range (the set
-- of traces passing a filter).
CREATE TABLE trace_attrs (
  key   INTEGER NOT NULL,   -- strings.id of "a:KEY"
  value ANY NOT NULL,
  trace INTEGER NOT NULL,   -- traces.key
  PRIMARY KEY (key, trace, value)
) WITHOUT ROWID;

-- A resource's attributes, once per resource (blobs.id), and the traces
-- each resource appears in: one row per trace instead of one per resource
-- attribute per trace.
CREATE TABLE resource_attrs (
  key      INTEGER NOT NULL,   -- strings.id of "r:KEY"
  value    ANY NOT NULL,
  resource INTEGER NOT NULL,   -- blobs.id
  PRIMARY KEY (key, value, resource)
) WITHOUT ROWID;
CREATE TABLE trace_resources (
  trace    INTEGER NOT NULL,   -- traces.key
  resource INTEGER NOT NULL,   -- blobs.id
  PRIMARY KEY (trace, resource)
) WITHOUT ROWID;
CREATE INDEX trace_resources_resource ON trace_resources (resource);

-- score.NAME= filters: the traces having a score of that name.
CREATE INDEX scores_name ON scores (name, trace_id);
