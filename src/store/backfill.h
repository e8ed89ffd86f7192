/* backfill.h: the attribute-index backfill (schema/013): chunks stored
 * before schema/007 are re-read in the background, about BACKFILL_SPANS
 * spans at a time, each batch one short writer task that adds their spans to the
 * attribute index (attrindex.h) and records how far it got, so it resumes
 * after a restart and ingest waits at most one batch. */
#ifndef TL_BACKFILL_H
#define TL_BACKFILL_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "base/err.h"
#include "store/writer.h"

#define BACKFILL_CHUNKS 64       /* chunks per writer task at most */
#define BACKFILL_SPANS 256       /* spans per writer task: past this the task ends at a chunk's end */
#define BACKFILL_PAUSE_MS 5      /* between two tasks: room for ingest */

struct backfill;

/* Starts the backfill thread on writer w; it ends by itself once
 * attr_backfill.done reaches upto (at once on a store with nothing to do).
 * Returns NULL only when the thread cannot start (then nothing is
 * backfilled in this run; err filled). */
struct backfill *backfill_start(struct writer *w, char *err, size_t errlen);
/* Stops the thread after its current batch and frees b (NULL is fine). */
void backfill_stop(struct backfill *b);
/* Runs one batch now on writer w (what the thread does in a loop): sets
 * *left to the chunks still to index and *ran to whether any chunk was
 * indexed. Returns ERR_OK or the writer's error. */
enum err backfill_step(struct writer *w, int64_t *left, int *ran, char *err, size_t errlen);
/* {"done": chunks indexed, "upto": the last chunk to index, "complete":
 * bool} from reader db, or NULL when the store has no attr_backfill row. */
cJSON *backfill_status_json(sqlite3 *db);

#endif
