/* zconvert.h: chunks recompressed in the background, a few at a time: read
 * and recompressed on a connection of its own, swapped in by a short writer
 * task only if unchanged meanwhile, progress kept in the store (resumable
 * after a restart). First the chunks stored before the store had its zstd
 * dictionary (schema/014: zdicts.before_chunk, progress zdicts.converted),
 * then, when ingest has been idle ZCONVERT_IDLE_MS, the chunks stored in
 * format 1 converted to format 2 (zformat.h: schema/027, progress
 * zformat.upto) and every chunk once at a higher level (the compaction:
 * schema/022, progress zcompact.upto), with a larger dictionary of its own
 * once the chunks hold enough spans to train one (schema/029: every chunk
 * is compacted again with it). */
#ifndef TL_ZCONVERT_H
#define TL_ZCONVERT_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "store/writer.h"

#define ZCONVERT_CHUNKS 16        /* chunks per writer task at most */
#define ZCONVERT_PAUSE_MS 5       /* between two tasks: room for ingest */
#define ZCONVERT_WAIT_MS 1000     /* between looks for a dictionary when there is none yet */
#define ZCONVERT_COMPACT_CHUNKS 4 /* chunks per compaction task at most (~300 KB raw each) */
#define ZCONVERT_IDLE_MS 5000     /* no ingest this long before compacting (env TRACELITE_COMPACT_IDLE_MS) */
#define ZCONVERT_LOOK_MS 250      /* between looks for ingest while waiting for idle */
#define ZCONVERT_LEVEL 12         /* the compaction's default zstd level (docs/performance.md) */

struct zconvert;

/* Starts the thread for the store in dir written by w; it waits for a
 * dictionary, converts, and then, while ingest is idle, converts format-1
 * chunks (unless this process writes format 1, zformat_enabled) and
 * compacts at compact_level (1..19), yielding as soon as ingest is back;
 * compact_level 0 = no compaction (the thread ends once zdicts.converted
 * reaches before_chunk if there is no format conversion either). For
 * tests, the environment's TRACELITE_COMPACT_IDLE_MS replaces
 * ZCONVERT_IDLE_MS and TRACELITE_FORMAT_PAUSE_MS sets a pause between two
 * format conversion steps (none by default). The compaction trains its own
 * dictionary (schema/029) sized by zdict_compact_env_sizes. Returns NULL
 * (err filled) if a TRACELITE_ZDICT_COMPACT_* value is bad or the thread
 * cannot start. */
struct zconvert *zconvert_start(struct writer *w, const char *dir, int compact_level, char *err, size_t errlen);
/* Stops the thread after its current task and frees c (NULL is fine). */
void zconvert_stop(struct zconvert *c);

#endif
