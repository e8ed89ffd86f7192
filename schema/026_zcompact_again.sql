-- 026_zcompact_again.sql: chunks to compact again. A deletion through the
-- API rewrites the chunks it takes spans out of (src/store/retention.c,
-- record_chunk_keep) at the ingest level; one the idle-time compaction had
-- already passed (id <= zcompact.upto) is listed here, and the compaction
-- (src/store/zconvert.c) takes this list first at its next idle period.
CREATE TABLE zcompact_again (
  chunk INTEGER PRIMARY KEY   -- chunks.id
);
