/* chunkrows.h: SQL that finds the span rows of chunks without an index on
 * spans (chunk) (schema/023): chunk_traces lists each chunk's traces, and
 * each trace's rows are read by the primary key (trace, span_id), keeping
 * those of the chunk. Cost: the rows of each listed trace. */
#ifndef TL_CHUNKROWS_H
#define TL_CHUNKROWS_H

/* The FROM clause: ct the chunk_traces row, jt a trace of its list, s a
 * span row; a query adds WHERE CHUNK_ROWS_ON and its chunk bounds on
 * ct.chunk (CROSS JOIN keeps SQLite from scanning spans first). */
#define CHUNK_ROWS_FROM " FROM chunk_traces ct CROSS JOIN json_each(ct.traces) jt CROSS JOIN spans s"
#define CHUNK_ROWS_ON " s.trace = jt.value AND s.chunk = ct.chunk"

#endif
