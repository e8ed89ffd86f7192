/* logstore.c: packing log records into zstd chunks (record.c's
 * compressor) and writing them with their filter rows. */
#include "store/logstore.h"
#include <stdlib.h>
#include <string.h>
#include "base/mbed.h"
#include "base/varint.h"
#include "store/record.h"

#define LOG_CHUNK_MAX 256
#define LOG_CHUNK_MAX_RAW (1u << 20)

struct logstore {
	sqlite3 *db;
	sqlite3_stmt *chunk, *row, *unchunk;
};

/* Packs record l as a ResourceLogs holding only it into buf (NULL: only
 * measures) and returns its length. */
static size_t pack_entry(const struct log_rec *l, uint8_t *buf)
{
	Tl__ResourceLogs rl;
	Tl__ScopeLogs sl, *slp = &sl;
	Tl__LogRecord *lr = (Tl__LogRecord *)l->otlp;
	tl__resource_logs__init(&rl);
	tl__scope_logs__init(&sl);
	rl.resource = (Tl__Resource *)l->resource;
	rl.schema_url = (char *)l->resource_schema_url;
	rl.n_scope_logs = 1;
	rl.scope_logs = &slp;
	sl.scope = (Tl__InstrumentationScope *)l->scope;
	sl.schema_url = (char *)l->scope_schema_url;
	sl.n_log_records = 1;
	sl.log_records = &lr;
	return buf ? tl__resource_logs__pack(&rl, buf) : tl__resource_logs__get_packed_size(&rl);
}

int logstore_entry_id(const Tl__LogRecord *lr, const uint8_t *entry, size_t n, uint64_t time_ns,
                      uint8_t out[LOG_DIGEST_LEN])
{
	uint8_t full[32], t[8];
	int timed = lr->time_unix_nano || lr->observed_time_unix_nano;
	mbedtls_sha256_context ctx;
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(time_ns >> (8 * i));
	mbedtls_sha256_init(&ctx);
	int rc = mbedtls_sha256_starts_ret(&ctx, 0) || mbedtls_sha256_update_ret(&ctx, entry, n) ||
	         (!timed && mbedtls_sha256_update_ret(&ctx, t, sizeof t)) || mbedtls_sha256_finish_ret(&ctx, full);
	mbedtls_sha256_free(&ctx);
	if (rc)
		return -1;
	memcpy(out, full, LOG_DIGEST_LEN);
	return timed;
}

/* Sets *d to entry's digest when lr has a time of its own; else clears it. */
static void digest_entry(const Tl__LogRecord *lr, const uint8_t *entry, size_t n, struct log_digest *d)
{
	memset(d, 0, sizeof *d);
	d->set = logstore_entry_id(lr, entry, n, 0, d->bytes) == 1;
}

static enum err pack_chunk(struct span_batch *b, struct log_pack *out, struct log_chunk *c, const size_t *lens,
                           char *err, size_t errlen)
{
	size_t raw = 0;
	enum err rc = ERR_OK;
	for (size_t k = 0; k < c->count; k++)
		raw += lens[c->first + k] + 10;
	uint8_t *buf = malloc(raw ? raw : 1), *p = buf;
	struct arena *scratch = arena_new();
	if (!buf)
		abort();
	for (size_t k = 0; k < c->count; k++) {
		size_t n = lens[c->first + k];
		p += varint_put(p, n);
		p += pack_entry(&b->logs[c->first + k], p);
		digest_entry(b->logs[c->first + k].otlp, p - n, n, &out->digests[c->first + k]);
		if (!logstore_entry_unpack(p - n, n, scratch)) {
			rc = err_set(err, errlen, ERR_BAD_INPUT, "log record %zu cannot be stored: it does not read back",
			             c->first + k);
			goto out;
		}
	}
	out->raw_bytes += (size_t)(p - buf);
	record_compress(buf, (size_t)(p - buf), b->arena, &c->data, &c->len);
out:
	arena_free(scratch);
	free(buf);
	return rc;
}

enum err logstore_pack(struct span_batch *b, struct log_pack *out, char *err, size_t errlen)
{
	size_t n = b->nlogs;
	memset(out, 0, sizeof *out);
	size_t *lens = arena_alloc(b->arena, (n ? n : 1) * sizeof *lens);
	out->chunks = arena_alloc(b->arena, (n ? n : 1) * sizeof *out->chunks);
	out->digests = arena_alloc(b->arena, (n ? n : 1) * sizeof *out->digests);
	for (size_t i = 0; i < n; i++)
		lens[i] = pack_entry(&b->logs[i], NULL);
	for (size_t i = 0; i < n;) {
		struct log_chunk *c = &out->chunks[out->nchunks++];
		size_t raw = 0;
		c->first = i;
		while (i < n && c->count < LOG_CHUNK_MAX && raw < LOG_CHUNK_MAX_RAW) {
			raw += lens[i++];
			c->count++;
		}
		enum err rc = pack_chunk(b, out, c, lens, err, errlen);
		if (rc)
			return rc;
	}
	return ERR_OK;
}

enum err logstore_open(sqlite3 *db, struct logstore **out)
{
	struct logstore *ls = calloc(1, sizeof *ls);
	if (!ls)
		abort();
	ls->db = db;
	*out = NULL;
	if (sqlite3_prepare_v3(db, "INSERT INTO log_chunks (data) VALUES (?)", -1, SQLITE_PREPARE_PERSISTENT, &ls->chunk,
	                       NULL) ||
	    sqlite3_prepare_v3(db,
	                       "INSERT INTO logs (time_ns, project, service, severity, trace_id, span_id, chunk,"
	                       " chunk_index, digest) VALUES (?,?,?,?,?,?,?,?,?)"
	                       " ON CONFLICT (project, digest) WHERE digest IS NOT NULL DO NOTHING",
	                       -1, SQLITE_PREPARE_PERSISTENT, &ls->row, NULL) ||
	    sqlite3_prepare_v3(db, "DELETE FROM log_chunks WHERE id = ?", -1, SQLITE_PREPARE_PERSISTENT, &ls->unchunk,
	                       NULL)) {
		logstore_close(ls);
		return ERR_STORE;
	}
	*out = ls;
	return ERR_OK;
}

/* Steps st to completion and resets it; returns ERR_OK or ERR_STORE. */
static enum err step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

enum err logstore_write(struct logstore *ls, const struct span_batch *b, struct log_pack *p,
                        logstore_id_fn string_id, logstore_id_fn project_key, void *ctx)
{
	p->duplicates = 0;
	for (size_t c = 0; c < p->nchunks; c++) {
		const struct log_chunk *ch = &p->chunks[c];
		size_t fresh = 0;
		sqlite3_bind_blob(ls->chunk, 1, ch->data, (int)ch->len, SQLITE_STATIC);
		if (step(ls->chunk))
			return ERR_STORE;
		int64_t chunk = sqlite3_last_insert_rowid(ls->db), service, project;
		for (size_t k = 0; k < ch->count; k++) {
			const struct log_rec *l = &b->logs[ch->first + k];
			const struct log_digest *d = &p->digests[ch->first + k];
			if (string_id(ctx, l->service, &service) || project_key(ctx, l->project, &project))
				return ERR_STORE;
			sqlite3_bind_int64(ls->row, 1, (int64_t)l->time_ns);
			sqlite3_bind_int64(ls->row, 2, project);
			sqlite3_bind_int64(ls->row, 3, service);
			sqlite3_bind_int(ls->row, 4, l->severity);
			if (l->has_trace)
				sqlite3_bind_blob(ls->row, 5, l->trace_id, 16, SQLITE_STATIC);
			if (l->has_span)
				sqlite3_bind_blob(ls->row, 6, l->span_id, 8, SQLITE_STATIC);
			sqlite3_bind_int64(ls->row, 7, chunk);
			sqlite3_bind_int64(ls->row, 8, (int64_t)k);
			if (d->set)
				sqlite3_bind_blob(ls->row, 9, d->bytes, LOG_DIGEST_LEN, SQLITE_STATIC);
			if (step(ls->row))
				return ERR_STORE;
			fresh += sqlite3_changes(ls->db) != 0;   /* 0: stored before, or earlier in this request */
		}
		p->duplicates += ch->count - fresh;
		if (!fresh) {   /* a retried export: its chunk goes, in the transaction that made it */
			sqlite3_bind_int64(ls->unchunk, 1, chunk);
			if (step(ls->unchunk))
				return ERR_STORE;
		}
	}
	return ERR_OK;
}

void logstore_close(struct logstore *ls)
{
	if (!ls)
		return;
	sqlite3_finalize(ls->chunk);
	sqlite3_finalize(ls->row);
	sqlite3_finalize(ls->unchunk);
	free(ls);
}

Tl__ResourceLogs *logstore_entry_unpack(const uint8_t *data, size_t len, struct arena *a)
{
	return record_unpack(&tl__resource_logs__descriptor, data, len, a);
}

enum err logstore_digest_stored(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *rows = NULL, *chunk = NULL, *set = NULL;
	struct arena *a = arena_new();
	int64_t cur = 0;
	size_t count = 0;
	const uint8_t **entries = NULL;
	size_t *lens = NULL;
	enum err rc = ERR_OK;
	if (sqlite3_prepare_v2(db, "SELECT id, chunk, chunk_index FROM logs ORDER BY chunk, chunk_index", -1, &rows, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT data FROM log_chunks WHERE id = ?", -1, &chunk, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE OR IGNORE logs SET digest = ?1 WHERE id = ?2", -1, &set, NULL)) {
		rc = err_set(err, errlen, ERR_STORE, "log digests: %s", sqlite3_errmsg(db));
		goto out;
	}
	int more;
	while ((more = sqlite3_step(rows)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(rows, 0), c = sqlite3_column_int64(rows, 1), k = sqlite3_column_int64(rows, 2);
		if (c != cur) {   /* rows come chunk by chunk */
			arena_free(a);
			a = arena_new();
			cur = c;
			count = 0;
			sqlite3_bind_int64(chunk, 1, c);
			if (sqlite3_step(chunk) == SQLITE_ROW &&
			    record_chunk_split(sqlite3_column_blob(chunk, 0), (size_t)sqlite3_column_bytes(chunk, 0), a, &count,
			                       &entries, &lens) != ERR_OK)
				count = 0;   /* unreadable: its records keep no digest */
			sqlite3_reset(chunk);
		}
		if (k < 0 || (size_t)k >= count)
			continue;
		Tl__ResourceLogs *rl = logstore_entry_unpack(entries[k], lens[k], a);
		struct log_digest d;
		if (!rl || rl->n_scope_logs != 1 || rl->scope_logs[0]->n_log_records != 1)
			continue;
		digest_entry(rl->scope_logs[0]->log_records[0], entries[k], lens[k], &d);
		if (!d.set)
			continue;
		sqlite3_bind_blob(set, 1, d.bytes, LOG_DIGEST_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(set, 2, id);
		if (step(set)) {   /* a record stored twice before keeps its second copy, without a digest */
			rc = err_set(err, errlen, ERR_STORE, "log digests: %s", sqlite3_errmsg(db));
			goto out;
		}
	}
	if (more != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "log digests: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(rows);
	sqlite3_finalize(chunk);
	sqlite3_finalize(set);
	arena_free(a);
	return rc;
}
