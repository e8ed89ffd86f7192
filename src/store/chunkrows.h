/* chunkrows.h: SQL that finds the span rows of chunks without an index on
 * spans (chunk) (schema/023). chunk_traces lists each chunk's traces, whose
 * rows are read by the primary key (trace, span_id), keeping the chunk's;
 * a trace that had CHUNK_LONG_ROWS rows before a chunk names its rows of
 * that chunk in chunk_long_rows instead, so a chunk never costs more than
 * that many extra rows however long its traces. */
#ifndef TL_CHUNKROWS_H
#define TL_CHUNKROWS_H

/* A trace with this many rows before a chunk goes to chunk_long_rows. */
#define CHUNK_LONG_ROWS 1024

/* A SELECT of cols (of the span row s, plus joins on it) for the rows of
 * the chunks where (a condition on ct.chunk) selects, in no order: two
 * SELECTs joined by UNION ALL, so an ORDER BY after it names columns by
 * number. CROSS JOIN keeps SQLite from scanning spans first. */
#define CHUNK_ROWS_SELECT(cols, joins, where)                                                         \
	"SELECT " cols " FROM chunk_traces ct CROSS JOIN json_each(ct.traces) jt CROSS JOIN spans s" joins \
	" WHERE " where " AND s.trace = jt.value AND s.chunk = ct.chunk"                                 \
	" UNION ALL SELECT " cols " FROM chunk_long_rows ct CROSS JOIN spans s" joins                    \
	" WHERE " where " AND s.trace = ct.trace AND s.span_id = ct.span_id AND s.chunk = ct.chunk"

#endif
