/* zconvert.h: chunks stored before the store had its zstd dictionary
 * (schema/014: zdicts.before_chunk) recompressed with it in the
 * background, a few at a time: read and recompressed on a connection of
 * its own, swapped in by a short writer task only if unchanged meanwhile,
 * progress in zdicts.converted (resumable after a restart). */
#ifndef TL_ZCONVERT_H
#define TL_ZCONVERT_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "store/writer.h"

#define ZCONVERT_CHUNKS 16        /* chunks per writer task at most */
#define ZCONVERT_PAUSE_MS 5       /* between two tasks: room for ingest */
#define ZCONVERT_WAIT_MS 1000     /* between looks for a dictionary when there is none yet */

struct zconvert;

/* Starts the thread for the store in dir written by w; it waits for a
 * dictionary, converts, and ends by itself once zdicts.converted reaches
 * before_chunk. Returns NULL only if the thread cannot start (err filled). */
struct zconvert *zconvert_start(struct writer *w, const char *dir, char *err, size_t errlen);
/* Stops the thread after its current task and frees c (NULL is fine). */
void zconvert_stop(struct zconvert *c);

#endif
