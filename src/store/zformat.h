/* zformat.h: the conversion of span chunks stored in format 1 (whole
 * records: every chunk of a store written before format 2, or with
 * TRACELITE_CHUNK_FORMAT=1) to format 2 (record.h), a few chunks per step,
 * run by zconvert.c's thread while ingest is idle, before the compaction.
 * Each chunk and its rows are read on a read-only connection, rewritten
 * there (record_chunk_slim), and swapped in by a short writer task only if
 * neither the chunk nor its rows changed meanwhile; the progress mark
 * (schema/027, zformat.upto) moves in the same transaction. */
#ifndef TL_ZFORMAT_H
#define TL_ZFORMAT_H
#include <cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"
#include "store/writer.h"

#define ZFORMAT_CHUNKS 4    /* format-1 chunks per writer task at most */
#define ZFORMAT_SCAN 64     /* chunks looked at per step at most (format 2 ones cost a read) */
#define ZFORMAT_RACES 3     /* steps in a row a chunk may change under before it is skipped */

/* What the steps did, summed by the caller. */
struct zformat_tally {
	int64_t chunks, unreadable;   /* converted; format 1 but unreadable, left as they are */
	int64_t before, after;        /* bytes of the chunks converted */
};

/* What one process's steps carry from one to the next: zeroed before the
 * first, kept until the process ends. A chunk whose rows or bytes changed
 * between the read and the swap in ZFORMAT_RACES steps in a row is
 * skipped: left in format 1, logged once and counted (zformat_status_json);
 * the stored mark stays before the first chunk skipped, so the next start
 * tries it again, and the steps go on from `from`. */
struct zformat_run {
	int64_t raced, races;   /* the chunk the last step stopped at (0: none), and how many steps in a row did */
	int64_t hold;           /* the first chunk skipped (0: none) */
	int64_t from;           /* where this process's steps go on from, past the stored mark once hold is set */
};

/* 1 if the conversion runs in this process: chunks are written in format
 * 2 (a process told to write format 1 keeps format 1). */
int zformat_enabled(void);

/* One step on the store that w writes and rd reads: the next chunks after
 * the mark, converted unless busy(ctx) says ingest came back (asked between
 * chunks; then the batch is dropped and redone later). Only chunks up to
 * written_from are read: this process wrote the ones after it, in format
 * 2, and once the mark reaches it a step moves it to the newest chunk
 * without reading them (this process may not write format 1). A chunk the
 * compaction already passed (id <= zcompact.upto) is compressed at
 * compact_level when that is not 0, else at the ingest level and listed in
 * zcompact_again. *state: 0 = a batch done, 1 = ingest came back, 2 =
 * nothing left. A format-1 chunk that does not read is logged once,
 * counted and passed; one that changed meanwhile stops the batch, and is
 * skipped at the ZFORMAT_RACES-th time in a row (r, above). Returns ERR_OK,
 * ERR_STORE, or ERR_BUSY (the writer is stopping), with err filled. */
enum err zformat_step(struct writer *w, sqlite3 *rd, int compact_level, int64_t written_from, int (*busy)(void *ctx),
                      void *ctx, int *state, struct zformat_run *r, struct zformat_tally *t, char *err, size_t errlen);

/* For GET /api/health, zstd_dictionaries.format_conversion: {"enabled",
 * "upto","chunks","bytes_before","bytes_saved","unreadable","skipped",
 * "pending_chunks"} (skipped: chunks this process skipped, struct
 * zformat_run; pending_chunks: chunks after the mark, 0 when off, so not 0
 * while a chunk skipped holds the mark), or NULL if db has no zformat
 * table. */
cJSON *zformat_status_json(sqlite3 *db);

#endif
