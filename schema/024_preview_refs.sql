-- 024_preview_refs.sql: a trace's previews as a reference into its chunks
-- (issue 13): the input and output previews come from one span's
-- attributes, stored complete in the trace's chunk, so trace_previews keeps
-- that span's id (a 9-byte body, src/store/preview.h) and readers derive
-- and clip the texts from its record as ingest did. Text bodies stay where
-- no stored span gives the texts any more (a superseded Langfuse
-- observation's older version). The conversion of an existing store runs
-- in C in the same transaction (preview_migrate_refs, store.c): each text
-- body whose span still gives the same texts becomes a reference.
SELECT 1;
