/* zdict.h: zstd dictionaries trained from the store's own spans (schema/014).
 * A process-wide registry maps a dictionary id (as zstd frames name it) to
 * its compression and decompression dictionaries, loading unknown ids from
 * the stores opened; a trainer, owned by the writer, samples the first
 * packed spans, trains off the request path and publishes the result. */
#ifndef TL_ZDICT_H
#define TL_ZDICT_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <zstd.h>
#include <cJSON.h>
#include "base/err.h"

struct zdict;   /* one registered dictionary: immutable, lives until exit */

/* Sample bytes collected before training and the dictionary size, unless
 * the env overrides them (TRACELITE_ZDICT_SAMPLE_BYTES, _SIZE; 0 samples =
 * never train). See docs/performance.md for how they were chosen. */
#define ZDICT_SAMPLE_BYTES (2u << 20)
#define ZDICT_DICT_BYTES (256u << 10)
#define ZDICT_MAX_DICT_BYTES (4u << 20)   /* larger rows are refused as corrupt */

/* Sets the sample and dictionary sizes: the defaults above or the env's
 * (TRACELITE_ZDICT_SAMPLE_BYTES 0..256 MiB, TRACELITE_ZDICT_SIZE 1 KiB..4 MiB).
 * Returns ERR_OK, or ERR_BAD_INPUT with err naming a bad value. */
enum err zdict_env_sizes(size_t *sample_bytes, size_t *dict_bytes, char *err, size_t errlen);

/* The idle-time compaction's dictionary (zconvert.c, schema/029): trained
 * once the chunks hold this many bytes of spans, from the first of them
 * (TRACELITE_ZDICT_COMPACT_SAMPLE_BYTES 0..256 MiB, 0 = never; and
 * TRACELITE_ZDICT_COMPACT_SIZE 1 KiB..4 MiB), as zdict_env_sizes. */
#define ZDICT_COMPACT_SAMPLE_BYTES (8u << 20)
#define ZDICT_COMPACT_DICT_BYTES (1u << 20)
enum err zdict_compact_env_sizes(size_t *sample_bytes, size_t *dict_bytes, char *err, size_t errlen);

/* Adds dir (a data directory) to the stores an unknown dictionary id is
 * looked up in (its zdicts table). Thread-safe; at most 8 kept. */
void zdict_add_source(const char *dir);

/* Registers the dictionary data[0..len) under id (its header must name id),
 * or returns the one registered already. Returns ERR_OK and *out, or
 * ERR_STORE if data is not a zstd dictionary for id or the registry is
 * full. Thread-safe. */
enum err zdict_register(uint32_t id, const void *data, size_t len, const struct zdict **out);

/* Returns the dictionary registered under id, loading it from the sources
 * on a miss; NULL (and one log line per id) if no source has it. */
const struct zdict *zdict_find(uint32_t id);

uint32_t zdict_id(const struct zdict *d);
size_t zdict_size(const struct zdict *d);   /* the dictionary's bytes */
/* The compression dictionary at level, made on first use and kept: at most
 * ZDICT_LEVELS levels per dictionary (the chunks' and the background
 * compaction's, zconvert.h). Never NULL (out of memory aborts). */
#define ZDICT_LEVELS 4
const ZSTD_CDict *zdict_cdict(const struct zdict *d, int level);
const ZSTD_DDict *zdict_ddict(const struct zdict *d);

/* Stores a trained dictionary (the writer: one row of zdicts in a writer
 * task); returns ERR_OK, anything else to discard it (id taken: try again). */
typedef enum err (*zdict_save_fn)(void *ctx, uint32_t id, const void *data, size_t len, char *err,
                                  size_t errlen);

/* Training samples: up to target bytes, each sample a span's first bytes
 * (64 KiB at most). Memory is taken on the first add and mapped, not
 * malloc'd. */
struct zdict_samples {
	uint8_t *data;
	size_t *sizes;
	size_t used, n, nmax, target;
};
void zdict_samples_init(struct zdict_samples *s, size_t target);
/* Adds p[0..n) (cut to 64 KiB) if it fits; returns 1 once the set is full. */
int zdict_samples_add(struct zdict_samples *s, const uint8_t *p, size_t n);
/* Frees the samples; s stays initialized for the same target. */
void zdict_samples_free(struct zdict_samples *s);
/* Trains a dictionary of at most dict_bytes on s (fastCover, fixed
 * parameters), gives it a random id, stores it with save (another id is
 * tried if save refuses one) and registers it. Returns ERR_OK and *out, or
 * ERR_STORE with err saying why (training failed, not stored). */
enum err zdict_train(const struct zdict_samples *s, size_t dict_bytes, zdict_save_fn save, void *ctx,
                     const struct zdict **out, char *err, size_t errlen);

struct zdict_trainer;
/* Starts a trainer using current (may be NULL: none yet). Unless current is
 * set, it collects sample_bytes of packed spans (zdict_trainer_offer), then
 * trains a dictionary of dict_bytes in its own thread, saves it with save
 * and publishes it. sample_bytes 0 = never train. */
struct zdict_trainer *zdict_trainer_new(const struct zdict *current, size_t sample_bytes, size_t dict_bytes,
                                        zdict_save_fn save, void *ctx);
/* The dictionary to compress with now, or NULL. Thread-safe, lock-free. */
const struct zdict *zdict_trainer_current(struct zdict_trainer *t);
/* Offers a chunk's packed entries (varint-length-prefixed, record.h) as
 * training samples; copies them while collecting, else costs one atomic
 * load. Thread-safe. t may be NULL. */
void zdict_trainer_offer(struct zdict_trainer *t, const uint8_t *raw, size_t len);
/* Waits for a training run in progress, frees t (dictionaries stay). */
void zdict_trainer_free(struct zdict_trainer *t);

/* Loads the newest ingest dictionary (zdicts; not the compaction's) of the
 * store on db into the registry: ERR_OK and *out (NULL if the store has
 * none), or ERR_STORE. */
enum err zdict_load_newest(sqlite3 *db, const struct zdict **out, char *err, size_t errlen);
/* For GET /api/health: {"count","bytes","newest_id","older_chunks":{"done",
 * "upto","complete"},"compaction":{"enabled","configured_level","upto",
 * "level","chunks","bytes_before","bytes_saved","pending_chunks","dictionary":
 * null|{"id","bytes","spans"}}} of db's zdicts (older_chunks: zconvert.c's
 * progress, absent without a dictionary; compaction: its idle-time
 * compaction, schema/022, and its own dictionary, schema/029; compact_level
 * is the server's --compact-level, 0 = off, and pending_chunks is 0 when
 * off), or NULL. */
cJSON *zdict_status_json(sqlite3 *db, int compact_level);

#endif
