/* zdict.c: the registry of zstd dictionaries by id (zdict.h) and the
 * trainer: samples of the first packed spans, ZDICT_trainFromBuffer in a
 * thread of its own at nice 10, the row saved through the writer, then the
 * dictionary published to the request threads through an atomic pointer.
 * Registered dictionaries are never freed: a few per store, each small. */
#include "store/zdict.h"
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
/* ZDICT_trainFromBuffer_fastCover: in zdict.h's advanced section, exported
 * by the shared library since 1.4 (Debian 12's 1.5.4 and 13's 1.5.7) */
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
/* ZSTD_create[CD]Dict_byReference (the same): the dictionaries point at
 * zdict.data instead of copying it, 0.5 MB less for a 256 KiB one */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include "base/log.h"
#include "base/rng.h"
#include "base/text.h"
#include "base/varint.h"

#define ZDICT_REGISTRY 64       /* dictionaries per process */
#define ZDICT_SOURCES 8         /* data directories looked in on a miss */
#define ZDICT_SAMPLE_MAX (64u << 10)  /* longest single sample (a span's first bytes) */
#define ZDICT_PATH_MAX 4200
/* fastCover with fixed parameters: as small as ZDICT_trainFromBuffer's
 * optimizing default on prose spans (within 0.1%) at a third of its memory
 * (6 * 2^18 bytes) and a quarter of its time (docs/performance.md) */
#define ZDICT_FC_F 18
#define ZDICT_FC_D 8
#define ZDICT_FC_K 1000

struct zdict {
	uint32_t id;
	void *data;                      /* the dictionary; the DDict and CDict point into it */
	size_t len;
	ZSTD_DDict *ddict;
	/* made on first zdict_cdict at a level: the chunks' and the compaction's (zconvert.c) */
	struct {
		int level;                   /* set before cdict (release) */
		_Atomic(ZSTD_CDict *) cdict;
	} cdicts[ZDICT_LEVELS];
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
/* reg[0..nreg) are set before nreg grows (release), so lookups need no lock */
static struct zdict *reg[ZDICT_REGISTRY];
static atomic_size_t nreg;
static char *sources[ZDICT_SOURCES];        /* under reg_lock */
static uint32_t missed[16];                 /* ids no source had (logged once, not looked up again), under reg_lock */

/* A size from the env NAME (a decimal in [min, max]), else def. Returns
 * ERR_OK, or ERR_BAD_INPUT naming the variable and its range. */
static enum err env_size(const char *name, size_t def, size_t min, size_t max, size_t *out, char *err, size_t errlen)
{
	const char *v = getenv(name);
	uint64_t n;
	*out = def;
	if (!v || !*v)
		return ERR_OK;
	if (text_parse_u64(v, min, max, &n))
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected a number of bytes %zu..%zu, got '%s'", name, min,
		               max, v);
	*out = (size_t)n;
	return ERR_OK;
}

enum err zdict_env_sizes(size_t *sample_bytes, size_t *dict_bytes, char *err, size_t errlen)
{
	enum err rc = env_size("TRACELITE_ZDICT_SAMPLE_BYTES", ZDICT_SAMPLE_BYTES, 0, 256u << 20, sample_bytes, err, errlen);
	return rc ? rc : env_size("TRACELITE_ZDICT_SIZE", ZDICT_DICT_BYTES, 1024, ZDICT_MAX_DICT_BYTES, dict_bytes, err, errlen);
}

enum err zdict_compact_env_sizes(size_t *sample_bytes, size_t *dict_bytes, char *err, size_t errlen)
{
	enum err rc = env_size("TRACELITE_ZDICT_COMPACT_SAMPLE_BYTES", ZDICT_COMPACT_SAMPLE_BYTES, 0, 256u << 20,
	                       sample_bytes, err, errlen);
	return rc ? rc : env_size("TRACELITE_ZDICT_COMPACT_SIZE", ZDICT_COMPACT_DICT_BYTES, 1024, ZDICT_MAX_DICT_BYTES,
	                          dict_bytes, err, errlen);
}

void zdict_add_source(const char *dir)
{
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < ZDICT_SOURCES; i++) {
		if (sources[i] && !strcmp(sources[i], dir))
			break;
		if (!sources[i]) {
			if (!(sources[i] = strdup(dir)))
				abort();
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

static const struct zdict *lookup(uint32_t id)
{
	size_t n = atomic_load_explicit(&nreg, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		if (reg[i]->id == id)
			return reg[i];
	return NULL;
}

enum err zdict_register(uint32_t id, const void *data, size_t len, const struct zdict **out)
{
	enum err rc = ERR_STORE;
	struct zdict *d = NULL;
	pthread_mutex_lock(&reg_lock);
	if ((*out = lookup(id))) {
		rc = ERR_OK;
		goto out;
	}
	if (id == 0 || len > ZDICT_MAX_DICT_BYTES || ZDICT_getDictID(data, len) != id ||
	    atomic_load(&nreg) == ZDICT_REGISTRY)
		goto out;
	if (!(d = calloc(1, sizeof *d)) || !(d->data = malloc(len)))
		abort();
	memcpy(d->data, data, len);
	d->id = id;
	d->len = len;
	if (!(d->ddict = ZSTD_createDDict_byReference(d->data, len))) {
		free(d->data);
		free(d);
		goto out;
	}
	reg[atomic_load(&nreg)] = d;
	atomic_fetch_add_explicit(&nreg, 1, memory_order_release);
	*out = d;
	rc = ERR_OK;
out:
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

/* Reads row id of the zdicts table of the store in dir; 1 if registered. */
static int load_from(const char *dir, uint32_t id)
{
	char path[ZDICT_PATH_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const struct zdict *d;
	int found = 0;
	if ((size_t)snprintf(path, sizeof path, "%s/tracelite.db", dir) >= sizeof path)
		return 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	/* the ingest dictionaries and the compaction's (schema/029; a store
	 * before it has only the first table) */
	if (sqlite3_prepare_v2(db, "SELECT data FROM zdicts WHERE id = ?1 UNION ALL SELECT data FROM zcompact_dicts WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT data FROM zdicts WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		found = zdict_register(id, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &d) == ERR_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return found;
}

/* 1 if id is in missed[] (reg_lock held). With add, records it if there is
 * room and returns 2 when it did (the first miss of an id is logged). */
static int note_missing(uint32_t id, int add)
{
	for (size_t i = 0; i < sizeof missed / sizeof *missed; i++) {
		if (missed[i] == id)
			return 1;
		if (!missed[i]) {
			if (add)
				missed[i] = id;
			return add ? 2 : 0;
		}
	}
	return 0;   /* full: looked up every time, logged no more */
}

const struct zdict *zdict_find(uint32_t id)
{
	const struct zdict *d = lookup(id);
	char *dirs[ZDICT_SOURCES] = {0};
	int gone;
	if (d || id == 0)
		return d;
	/* A dictionary's row commits before any chunk names it, so an id no
	 * source had stays unknown (a corrupt chunk): not looked up again. */
	pthread_mutex_lock(&reg_lock);
	gone = note_missing(id, 0);
	for (int i = 0; i < ZDICT_SOURCES && sources[i]; i++)
		dirs[i] = sources[i];   /* never freed: safe to read unlocked */
	pthread_mutex_unlock(&reg_lock);
	if (gone)
		return NULL;
	for (int i = 0; i < ZDICT_SOURCES && dirs[i] && !d; i++)
		if (load_from(dirs[i], id))
			d = lookup(id);
	if (d)
		return d;
	pthread_mutex_lock(&reg_lock);
	int first = note_missing(id, 1) == 2;
	pthread_mutex_unlock(&reg_lock);
	if (first)
		log_error("store", "a chunk names zstd dictionary %u, which no zdicts table opened has: its spans cannot be read",
		          id);
	return NULL;
}

uint32_t zdict_id(const struct zdict *d)
{
	return d->id;
}

size_t zdict_size(const struct zdict *d)
{
	return d->len;
}

/* A larger dictionary's compression dictionary (the compaction's, 1 MiB):
 * zstd sizes its match tables, and those of each context compressing with
 * it, to the dictionary (2^22 entries each at level 12: 100 MB more RSS
 * while compacting); capped at 2^ZDICT_TABLE_LOG, 1.4% bigger chunks for
 * 1.6x the speed (docs/performance.md). */
#define ZDICT_TABLE_LOG 20
static ZSTD_CDict *big_cdict(const struct zdict *m, int level)
{
	/* parameters for a chunk (up to about 1 MiB of spans) after the dictionary */
	ZSTD_compressionParameters cp = ZSTD_getCParams(level, 1u << 20, m->len);
	if (cp.hashLog > ZDICT_TABLE_LOG)
		cp.hashLog = ZDICT_TABLE_LOG;
	if (cp.chainLog > ZDICT_TABLE_LOG)
		cp.chainLog = ZDICT_TABLE_LOG;
	return ZSTD_createCDict_advanced(m->data, m->len, ZSTD_dlm_byRef, ZSTD_dct_auto, cp, ZSTD_defaultCMem);
}

const ZSTD_CDict *zdict_cdict(const struct zdict *d, int level)
{
	struct zdict *m = (struct zdict *)d;   /* only the lazily made cdicts change */
	ZSTD_CDict *c = NULL;
	for (int i = 0; i < ZDICT_LEVELS; i++) {
		ZSTD_CDict *s = atomic_load_explicit(&m->cdicts[i].cdict, memory_order_acquire);
		if (s && m->cdicts[i].level == level)
			return s;
	}
	pthread_mutex_lock(&reg_lock);
	int i = 0;
	for (; i < ZDICT_LEVELS; i++) {
		c = atomic_load(&m->cdicts[i].cdict);
		if (!c || m->cdicts[i].level == level)
			break;
	}
	if (i == ZDICT_LEVELS) {
		/* all slots hold other levels (cannot happen: two levels are in
		 * use, the chunks' and the compaction's): the first one's serves */
		c = atomic_load(&m->cdicts[0].cdict);
	} else if (!c) {
		c = m->len <= ZDICT_DICT_BYTES ? ZSTD_createCDict_byReference(m->data, m->len, level) : big_cdict(m, level);
		if (!c)
			abort();
		m->cdicts[i].level = level;
		atomic_store_explicit(&m->cdicts[i].cdict, c, memory_order_release);
	}
	pthread_mutex_unlock(&reg_lock);
	return c;
}

const ZSTD_DDict *zdict_ddict(const struct zdict *d)
{
	return d->ddict;
}

enum err zdict_load_newest(sqlite3 *db, const struct zdict **out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT id, data FROM zdicts ORDER BY created_ns DESC, id DESC LIMIT 1", -1, &st,
	                       NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, ERR_STORE, "reading zdicts: %s", sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id <= 0 || id > UINT32_MAX ||
		    zdict_register((uint32_t)id, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), out))
			rc = err_set(err, errlen, ERR_STORE, "zdicts row %lld is not a zstd dictionary", (long long)id);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

cJSON *zdict_status_json(sqlite3 *db, int compact_level)
{
	sqlite3_stmt *st = NULL;
	cJSON *o = NULL;
	int has = 0;   /* a dictionary: the compaction may have run (it starts after one exists) */
	if (sqlite3_prepare_v2(db,
	                       "SELECT (SELECT count(*) FROM zdicts), (SELECT coalesce(sum(length(data)), 0) FROM zdicts),"
	                       " n.id, n.before_chunk, n.converted FROM (SELECT 1) LEFT JOIN"
	                       /* not *: the row's 256 KB dictionary went into the page cache of
	                        * each worker's connection at every /api/health (RSS 62 -> 90 MB
	                        * in 60 s of polls after 300k spans) */
	                       " (SELECT id, before_chunk, converted FROM zdicts ORDER BY created_ns DESC, id DESC LIMIT 1) n",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "count", (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(o, "bytes", (double)sqlite3_column_int64(st, 1));
		if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
			cJSON_AddNullToObject(o, "newest_id");
		} else {
			int64_t before = sqlite3_column_int64(st, 3), converted = sqlite3_column_int64(st, 4);
			has = 1;
			cJSON_AddNumberToObject(o, "newest_id", (double)sqlite3_column_int64(st, 2));
			cJSON *c = cJSON_AddObjectToObject(o, "older_chunks");   /* zconvert.c's progress */
			cJSON_AddNumberToObject(c, "done", (double)(converted < before ? converted : before));
			cJSON_AddNumberToObject(c, "upto", (double)before);
			cJSON_AddBoolToObject(c, "complete", converted >= before);
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	/* zconvert.c's idle-time compaction (schema/022); pending_chunks from
	 * the ids, not counted: a count read every chunk page into the page
	 * cache of each worker's connection (RSS 57 -> 172 MB, /api/health
	 * polled); plus the chunks listed to compact again (schema/026, a few) */
	if (has && sqlite3_prepare_v2(db,
	                            "SELECT upto, level, chunks, bytes_before, bytes_after,"
	                            " max(0, coalesce((SELECT max(id) FROM chunks), 0) - upto) + (SELECT count(*) FROM zcompact_again),"
	                            " d.id, d.size, d.samples FROM zcompact LEFT JOIN (SELECT id, size, samples"
	                            " FROM zcompact_dicts ORDER BY created_ns DESC, id DESC LIMIT 1) d WHERE zcompact.id = 1",
	                            -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		cJSON *c = cJSON_AddObjectToObject(o, "compaction");
		cJSON_AddBoolToObject(c, "enabled", compact_level > 0);
		cJSON_AddNumberToObject(c, "configured_level", compact_level);
		int64_t before = sqlite3_column_int64(st, 3), after = sqlite3_column_int64(st, 4);
		cJSON_AddNumberToObject(c, "upto", (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(c, "level", (double)sqlite3_column_int64(st, 1));
		cJSON_AddNumberToObject(c, "chunks", (double)sqlite3_column_int64(st, 2));
		cJSON_AddNumberToObject(c, "bytes_before", (double)before);
		cJSON_AddNumberToObject(c, "bytes_saved", (double)(before - after));
		/* off: nothing is waiting (chunks stay as ingested) */
		cJSON_AddNumberToObject(c, "pending_chunks", compact_level > 0 ? (double)sqlite3_column_int64(st, 5) : 0);
		/* its own dictionary (schema/029), once the store held enough spans */
		if (sqlite3_column_type(st, 6) == SQLITE_NULL) {
			cJSON_AddNullToObject(c, "dictionary");
		} else {
			cJSON *d = cJSON_AddObjectToObject(c, "dictionary");
			cJSON_AddNumberToObject(d, "id", (double)sqlite3_column_int64(st, 6));
			cJSON_AddNumberToObject(d, "bytes", (double)sqlite3_column_int64(st, 7));
			cJSON_AddNumberToObject(d, "spans", (double)sqlite3_column_int64(st, 8));
		}
	}
out:
	sqlite3_finalize(st);
	return o;
}

void zdict_samples_init(struct zdict_samples *s, size_t target)
{
	memset(s, 0, sizeof *s);
	s->target = target;
	s->nmax = target / 64 + 16;
}

int zdict_samples_add(struct zdict_samples *s, const uint8_t *p, size_t n)
{
	if (!s->data && s->target) {
		/* mmap'd: freeing a malloc'd block of MBs raises glibc's mmap
		 * threshold for the whole process (performance.md) */
		void *m = mmap(NULL, s->target, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || !(s->sizes = malloc(s->nmax * sizeof *s->sizes)))
			abort();
		s->data = m;
	}
	size_t take = n > ZDICT_SAMPLE_MAX ? ZDICT_SAMPLE_MAX : n;
	if (take >= 8 && s->used + take <= s->target && s->n < s->nmax) {
		memcpy(s->data + s->used, p, take);
		s->used += take;
		s->sizes[s->n++] = take;
	}
	/* full once another typical span would not fit */
	return s->used + 4096 > s->target || s->n == s->nmax;
}

void zdict_samples_free(struct zdict_samples *s)
{
	if (s->data)
		munmap(s->data, s->target);
	free(s->sizes);
	zdict_samples_init(s, s->target);
}

/* A dictionary id no store is likely to have: zstd leaves ids below 32768
 * and from 2^31 up to a registrar, so a random one in between. */
static uint32_t random_id(void)
{
	struct rng r;
	rng_seed_random(&r);
	return 32768u + (uint32_t)(rng_next(&r) % ((1u << 31) - 32768u));
}

enum err zdict_train(const struct zdict_samples *s, size_t dict_bytes, zdict_save_fn save, void *ctx,
                     const struct zdict **out, char *err, size_t errlen)
{
	uint8_t *dict = malloc(dict_bytes);
	enum err rc = ERR_STORE;
	*out = NULL;
	if (!dict)
		abort();
	ZDICT_fastCover_params_t p;
	memset(&p, 0, sizeof p);
	p.k = ZDICT_FC_K;
	p.d = ZDICT_FC_D;
	p.f = ZDICT_FC_F;
	p.zParams.compressionLevel = 3;
	size_t len = ZDICT_trainFromBuffer_fastCover(dict, dict_bytes, s->data, s->sizes, (unsigned)s->n, p);
	if (ZDICT_isError(len)) {
		err_set(err, errlen, ERR_STORE, "training on %zu samples (%zu bytes) failed: %s", s->n, s->used,
		        ZDICT_getErrorName(len));
		goto out;
	}
	/* the header is magic (4 bytes) then the dictionary id, little-endian */
	for (int tries = 0; tries < 4 && !*out; tries++) {
		uint32_t id = random_id();
		for (int i = 0; i < 4; i++)
			dict[4 + i] = (uint8_t)(id >> (8 * i));
		if (save(ctx, id, dict, len, err, errlen))
			continue;
		if (zdict_register(id, dict, len, out))
			err_set(err, errlen, ERR_STORE, "registry full");
	}
	if (*out)
		rc = ERR_OK;
	else if (!*err)
		err_set(err, errlen, ERR_STORE, "not stored");
out:
	free(dict);
	return rc;
}

/* The trainer. Invariants: collecting is 1 only before the samples are
 * handed to the thread; samples is under lock while collecting and owned
 * by the thread after. */
struct zdict_trainer {
	_Atomic(const struct zdict *) current;
	atomic_int collecting;
	pthread_mutex_t lock;
	struct zdict_samples samples;
	size_t dict_bytes;
	zdict_save_fn save;
	void *ctx;
	pthread_t thread;
	int started;
};

struct zdict_trainer *zdict_trainer_new(const struct zdict *current, size_t sample_bytes, size_t dict_bytes,
                                        zdict_save_fn save, void *ctx)
{
	struct zdict_trainer *t = calloc(1, sizeof *t);
	if (!t)
		abort();
	pthread_mutex_init(&t->lock, NULL);
	atomic_init(&t->current, current);
	atomic_init(&t->collecting, !current && sample_bytes > 0 && dict_bytes > 0);
	zdict_samples_init(&t->samples, sample_bytes);
	t->dict_bytes = dict_bytes < 1024 ? 1024 : dict_bytes > ZDICT_MAX_DICT_BYTES ? ZDICT_MAX_DICT_BYTES : dict_bytes;
	t->save = save;
	t->ctx = ctx;
	return t;
}

const struct zdict *zdict_trainer_current(struct zdict_trainer *t)
{
	return t ? atomic_load_explicit(&t->current, memory_order_acquire) : NULL;
}

static void *train(void *arg)
{
	struct zdict_trainer *t = arg;
	char err[256] = "";
	const struct zdict *d = NULL;
	uint64_t t0 = text_now_ns();
	size_t bytes = t->samples.used, n = t->samples.n;
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	enum err rc = zdict_train(&t->samples, t->dict_bytes, t->save, t->ctx, &d, err, sizeof err);
	zdict_samples_free(&t->samples);
	if (rc) {
		log_warn("store", "zstd dictionary: %s; chunks stay without", err);
		return NULL;
	}
	atomic_store_explicit(&t->current, d, memory_order_release);
	log_info("store", "zstd dictionary %u: %zu bytes trained on %zu spans (%zu bytes) in %.2f s", zdict_id(d),
	         zdict_size(d), n, bytes, (double)(text_now_ns() - t0) / 1e9);
	return NULL;
}

void zdict_trainer_offer(struct zdict_trainer *t, const uint8_t *raw, size_t len)
{
	if (!t || !atomic_load_explicit(&t->collecting, memory_order_relaxed))
		return;
	pthread_mutex_lock(&t->lock);
	if (!atomic_load(&t->collecting))
		goto out;
	int full = 0;
	for (const uint8_t *p = raw, *end = raw + len; p < end && !full;) {
		uint64_t n;
		if (varint_get(&p, end, &n) || n > (uint64_t)(end - p))
			break;   /* record_pack made raw: cannot happen */
		full = zdict_samples_add(&t->samples, p, (size_t)n);
		p += n;
	}
	if (full) {
		atomic_store(&t->collecting, 0);
		if (pthread_create(&t->thread, NULL, train, t) == 0) {
			t->started = 1;
			pthread_setname_np(t->thread, "tl-zdict-train");
		}
	}
out:
	pthread_mutex_unlock(&t->lock);
}

void zdict_trainer_free(struct zdict_trainer *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	atomic_store(&t->collecting, 0);
	int started = t->started;
	pthread_mutex_unlock(&t->lock);
	if (started)
		pthread_join(t->thread, NULL);
	zdict_samples_free(&t->samples);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
