/* logstore.h: the stored form of OTLP log records. A chunk holds up to 256
 * records of one request as a zstd frame of varint-length-prefixed packed
 * ResourceLogs (resource + scope + the one LogRecord, as received); each
 * record also gets a row in logs (schema/010) for the filters. Packing runs
 * in the submitting thread, writing in the writer's transaction. */
#ifndef TL_LOGSTORE_H
#define TL_LOGSTORE_H
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "ingest/span.h"
#include "base/err.h"

#define LOG_DIGEST_LEN 16       /* bytes of SHA-256 kept per record (logs.digest) */

/* A record's identity for dropping a repeated export (schema/020): the
 * SHA-256 of its packed entry (resource, scope and record as received),
 * unique per project; set only for records with a time of their own (time
 * or observed time), since two records without one may be two events. */
struct log_digest {
	uint8_t bytes[LOG_DIGEST_LEN];
	int set;
};

struct log_chunk {
	size_t first, count;         /* range of b->logs */
	const void *data;            /* zstd frame */
	size_t len;
};

struct log_pack {
	struct log_chunk *chunks;
	size_t nchunks;
	size_t raw_bytes;            /* packed bytes before compression */
	struct log_digest *digests;  /* one per record of the batch */
	size_t duplicates;           /* records logstore_write found already stored */
};

/* Packs and compresses every log record of b into out (memory in b->arena),
 * reading each entry back as the read path will first, and computes each
 * record's digest. Returns ERR_OK, or
 * ERR_BAD_INPUT naming the first record that does not read back. */
enum err logstore_pack(struct span_batch *b, struct log_pack *out, char *err, size_t errlen);

struct logstore;
/* Resolves a string (service) or project name to its id, creating it, in
 * the writer's transaction (writer.c's caches). */
typedef enum err (*logstore_id_fn)(void *ctx, const char *value, int64_t *id);
/* Prepares the statements on the writer's connection db. Returns ERR_OK
 * with *out set, or ERR_STORE. */
enum err logstore_open(sqlite3 *db, struct logstore **out);
/* Writes p's chunks and a row per record of b, inside the writer's open
 * transaction; string_id and project_key resolve ids with ctx. A record
 * whose digest is already stored (a retried export, or the same record
 * twice in one) gets no row, and a chunk with no new record is not
 * written; p->duplicates counts them. Returns ERR_OK or ERR_STORE (the
 * caller rolls back). */
enum err logstore_write(struct logstore *ls, const struct span_batch *b, struct log_pack *p,
                        logstore_id_fn string_id, logstore_id_fn project_key, void *ctx);
/* A record's identity: the first LOG_DIGEST_LEN bytes of the SHA-256 of
 * its packed entry (lr unpacked from it), followed, when lr has no time of
 * its own, by time_ns (its stored time) as 8 little-endian bytes, into out.
 * Returns 1 (lr has a time: out is its logs.digest), 0 (it has none: out
 * is only an id) or -1 (hashing failed). */
int logstore_entry_id(const Tl__LogRecord *lr, const uint8_t *entry, size_t n, uint64_t time_ns,
                      uint8_t out[LOG_DIGEST_LEN]);
/* Migration 020: sets the digest of every stored record that has a time
 * of its own, in the caller's transaction; a record already stored twice
 * keeps one copy without a digest. Returns ERR_OK or ERR_STORE. */
enum err logstore_digest_stored(sqlite3 *db, char *err, size_t errlen);
/* Finalizes the statements and frees ls (NULL: nothing). */
void logstore_close(struct logstore *ls);
/* Unpacks one chunk entry; NULL if corrupt or too deep. Allocations in a. */
Tl__ResourceLogs *logstore_entry_unpack(const uint8_t *data, size_t len, struct arena *a);

#endif
