/* record.c: packing spans into per-trace zstd chunks (format 2: the
 * fields the spans rows hold left out) and shared resource / scope blobs,
 * and reading them back (both formats). */
#include "store/record.h"
#include <assert.h>
#include "base/mbed.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_createCCtx_advanced */
#include <zstd.h>
#include "base/err.h"
#include "base/varint.h"
#include "ingest/genai.h"
#include "otlp/pbcheck.h"
#include "store/zdict.h"

#define CHUNK_MAX_SPANS 256
#define CHUNK_MAX_RAW (1u << 20)
#define CHUNK_MAX_DECOMPRESSED (256u << 20)
/* zstd levels. Span chunks are packed in the request threads at
 * CHUNK_LEVEL and recompressed at a higher one by the idle-time compaction
 * (zconvert.c), so their packing level buys ingest rate: level 1 took a
 * fifth off the request threads' CPU per span against 3, for chunks 9%
 * bigger until compacted (docs/performance.md). Frames nothing
 * recompresses (previews, log chunks) keep FRAME_LEVEL. */
#define CHUNK_LEVEL RECORD_CHUNK_LEVEL
#define FRAME_LEVEL 3

/* zstd contexts shared by all threads: a call takes one from its pool (or
 * makes one) and gives it back; at most POOL_KEEP of each kind wait idle,
 * the rest are freed. A context per thread, kept until the thread exits,
 * held about 1.2 MB (compression) for each of the up to 256 HTTP workers
 * that ever compressed a chunk, however few compress at once. */
#define POOL_KEEP 2

struct pool {
	pthread_mutex_t lock;
	void *(*make)(void);
	void (*drop)(void *);
	void *idle[POOL_KEEP];
	int nidle;
	size_t live;   /* contexts in use or idle */
};

static void *make_cctx(void)
{
	return ZSTD_createCCtx();
}

static void drop_cctx(void *c)
{
	ZSTD_freeCCtx(c);
}

/* The compaction's contexts (hpool) take their memory straight from mmap:
 * freeing a block of several MB through malloc raises glibc's mmap
 * threshold for the whole process, after which every thread's arena kept
 * what it freed (RSS 155-221 MB after a compaction instead of ~60). */
static void *map_alloc(void *opaque, size_t size)
{
	(void)opaque;
	size_t *p = mmap(NULL, size + 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p[0] = size + 16;
	return (char *)p + 16;
}

static void map_free(void *opaque, void *addr)
{
	(void)opaque;
	if (addr)
		munmap((char *)addr - 16, *(size_t *)((char *)addr - 16));
}

static void *make_hctx(void)
{
	ZSTD_customMem mem = {map_alloc, map_free, NULL};
	return ZSTD_createCCtx_advanced(mem);
}

static void *make_dctx(void)
{
	return ZSTD_createDCtx();
}

static void drop_dctx(void *d)
{
	ZSTD_freeDCtx(d);
}

/* hpool: the contexts of other levels than the chunks' (the compaction's,
 * several MB each at a high level), apart so that the ingest's stay small;
 * record_zstd_trim frees its idle ones. */
static struct pool cpool = {.lock = PTHREAD_MUTEX_INITIALIZER, .make = make_cctx, .drop = drop_cctx},
                   dpool = {.lock = PTHREAD_MUTEX_INITIALIZER, .make = make_dctx, .drop = drop_dctx},
                   hpool = {.lock = PTHREAD_MUTEX_INITIALIZER, .make = make_hctx, .drop = drop_cctx};

/* Returns an idle context of p, or a new one. */
static void *pool_take(struct pool *p)
{
	void *c = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->nidle)
		c = p->idle[--p->nidle];
	else
		p->live++;
	pthread_mutex_unlock(&p->lock);
	if (!c && !(c = p->make()))
		abort();
	return c;
}

/* Gives c back to p: kept idle, or freed if POOL_KEEP already are. */
static void pool_give(struct pool *p, void *c)
{
	pthread_mutex_lock(&p->lock);
	int keep = p->nidle < POOL_KEEP;
	if (keep)
		p->idle[p->nidle++] = c;
	else {
		assert(p->live > 0);
		p->live--;
	}
	pthread_mutex_unlock(&p->lock);
	if (!keep)
		p->drop(c);
}

void record_zstd_trim(void)
{
	void *idle[POOL_KEEP];
	int n;
	pthread_mutex_lock(&hpool.lock);
	n = hpool.nidle;
	memcpy(idle, hpool.idle, sizeof idle);
	hpool.nidle = 0;
	hpool.live -= (size_t)n;
	pthread_mutex_unlock(&hpool.lock);
	for (int i = 0; i < n; i++)
		hpool.drop(idle[i]);
}

void record_zstd_contexts(size_t *cctx, size_t *dctx)
{
	pthread_mutex_lock(&cpool.lock);
	*cctx = cpool.live;
	pthread_mutex_unlock(&cpool.lock);
	pthread_mutex_lock(&dpool.lock);
	*dctx = dpool.live;
	pthread_mutex_unlock(&dpool.lock);
}

static int by_trace_then_arrival(const void *pa, const void *pb, void *ctx)
{
	const struct span_batch *batch = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = memcmp(batch->spans[a].trace_id, batch->spans[b].trace_id, 16);
	if (c)
		return c;
	return a < b ? -1 : a > b;
}

/* The read path's one way to unpack a stored record: pbcheck first, so a
 * record too deep for a worker's stack is refused instead of crashing it. */
static void *unpack_with(const ProtobufCMessageDescriptor *d, const void *data, size_t len, ProtobufCAllocator *pa)
{
	char why[256];
	if (pbcheck(d, data, len, why, sizeof why))
		return NULL;
	return protobuf_c_message_unpack(d, pa, len, data);
}

void *record_unpack(const ProtobufCMessageDescriptor *d, const void *data, size_t len, struct arena *a)
{
	ProtobufCAllocator pa;
	arena_protobuf_allocator(a, &pa);
	return unpack_with(d, data, len, &pa);
}

/* The read-back check's memory: one buffer reused for every span of a
 * chunk (scratch_reset between spans), so each check writes the same few
 * KB, still in cache, instead of going on through fresh arena chunks; what
 * does not fit goes to an arena and the buffer grows at the next reset.
 * Only where the unpacked message lives differs from record_unpack: both
 * run the same pbcheck and protobuf_c_message_unpack. */
#define SCRATCH_START (64 * 1024)
struct scratch {
	uint8_t *buf;
	size_t cap, used, over;   /* over: bytes the span needed beyond cap */
	struct arena *big;
};

static void *scratch_alloc(void *data, size_t size)
{
	struct scratch *s = data;
	size = (size + 15) & ~(size_t)15;
	if (size <= s->cap - s->used) {
		void *p = s->buf + s->used;
		s->used += size;
		return p;
	}
	s->over += size;
	return arena_alloc_raw(s->big, size);
}

static void scratch_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

static void scratch_init(struct scratch *s)
{
	s->cap = SCRATCH_START;
	if (!(s->buf = malloc(s->cap)))
		abort();
	s->used = s->over = 0;
	s->big = arena_new();
}

/* Forgets everything allocated; grows the buffer if the last span needed more. */
static void scratch_reset(struct scratch *s)
{
	if (s->over) {
		size_t want = s->used + s->over;
		while (s->cap < want)
			s->cap *= 2;
		free(s->buf);
		if (!(s->buf = malloc(s->cap)))
			abort();
		arena_free(s->big);
		s->big = arena_new();
	}
	s->used = s->over = 0;
}

static void scratch_done(struct scratch *s)
{
	free(s->buf);
	arena_free(s->big);
}

/* Resources and scopes repeat (each trace of a request and every request
 * of a service carry the same ones): blobs that read back are remembered
 * with their SHA-256, the last one per slot of BLOB_CACHE. The same bytes
 * give the same answer from the read path (pbcheck and unpack depend on the
 * bytes alone) and the same hash, so a hit skips both. */
#define BLOB_CACHE 64
#define BLOB_CACHE_LEN 4096   /* bigger blobs are not kept */
static struct {
	pthread_mutex_t lock;
	struct {
		uint8_t *data;   /* malloc'd copy, or NULL */
		size_t len;
		uint8_t hash[32];
	} e[BLOB_CACHE];
} blob_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The cache slot of data: a multiplicative hash, 8 bytes at a time. */
static size_t blob_slot(const uint8_t *data, size_t len)
{
	uint64_t h = len * 0x9e3779b97f4a7c15ull, w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, data + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	for (; i < len; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return (size_t)((h ^ (h >> 29)) & (BLOB_CACHE - 1));
}

/* Sets hash and returns 1 if data is the blob kept in its slot. */
static int blob_cached(const uint8_t *data, size_t len, size_t slot, uint8_t hash[32])
{
	pthread_mutex_lock(&blob_cache.lock);
	int hit = blob_cache.e[slot].data && blob_cache.e[slot].len == len && !memcmp(blob_cache.e[slot].data, data, len);
	if (hit)
		memcpy(hash, blob_cache.e[slot].hash, 32);
	pthread_mutex_unlock(&blob_cache.lock);
	return hit;
}

/* Keeps data (which reads back) and its hash in its slot. */
static void blob_remember(const uint8_t *data, size_t len, size_t slot, const uint8_t hash[32])
{
	if (len > BLOB_CACHE_LEN)
		return;
	uint8_t *copy = malloc(len ? len : 1), *old;
	if (!copy)
		abort();
	memcpy(copy, data, len);
	pthread_mutex_lock(&blob_cache.lock);
	old = blob_cache.e[slot].data;
	blob_cache.e[slot].data = copy;
	blob_cache.e[slot].len = len;
	memcpy(blob_cache.e[slot].hash, hash, 32);
	pthread_mutex_unlock(&blob_cache.lock);
	free(old);
}

/* Interns a resource or scope blob by source pointer within the batch. */
/* Returns the blob's index, or RECORD_NONE if it does not read back. */
static uint32_t blob_add(struct span_batch *b, struct record_batch *out, const void **keys,
                         size_t *cap, const void *key, const ProtobufCMessage *msg)
{
	for (size_t i = 0; i < out->nblobs; i++)
		if (keys[i] == key)
			return (uint32_t)i;
	assert(out->nblobs < *cap); /* cap is 2 * nspans: every span adds at most two blobs */
	struct record_blob *bl = &out->blobs[out->nblobs];
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *data = arena_alloc(b->arena, len ? len : 1);
	protobuf_c_message_pack(msg, data);
	size_t slot = blob_slot(data, len);
	if (!blob_cached(data, len, slot, bl->hash)) {
		struct arena *scratch = arena_new();
		int readable = record_unpack(msg->descriptor, data, len, scratch) != NULL;
		arena_free(scratch);
		if (!readable)
			return RECORD_NONE;
		mbedtls_sha256_ret(data, len, bl->hash, 0);
		blob_remember(data, len, slot, bl->hash);
	}
	bl->data = data;
	bl->len = len;
	keys[out->nblobs] = key;
	return (uint32_t)out->nblobs++;
}

static int pack_blobs(struct span_batch *b, struct record_batch *out, char *err, size_t errlen)
{
	size_t cap = 2 * b->nspans;
	const void **keys = arena_alloc(b->arena, (cap ? cap : 1) * sizeof *keys);
	out->blobs = arena_alloc(b->arena, (cap ? cap : 1) * sizeof *out->blobs);
	out->resource = arena_alloc(b->arena, (b->nspans ? b->nspans : 1) * sizeof *out->resource);
	out->scope = arena_alloc(b->arena, (b->nspans ? b->nspans : 1) * sizeof *out->scope);
	for (size_t i = 0; i < b->nspans; i++) {
		const struct span *s = &b->spans[i];
		/* Resource and scope are stored inside childless ResourceSpans /
		 * ScopeSpans wrappers so their schemaUrl is kept too. */
		Tl__ResourceSpans rs;
		tl__resource_spans__init(&rs);
		rs.resource = (Tl__Resource *)s->resource;
		rs.schema_url = (char *)s->resource_schema_url;
		out->resource[i] = blob_add(b, out, keys, &cap, s->resource, &rs.base);
		Tl__ScopeSpans ss;
		tl__scope_spans__init(&ss);
		ss.scope = (Tl__InstrumentationScope *)s->scope;
		ss.schema_url = (char *)s->scope_schema_url;
		/* scope pointers are unique per ScopeSpans; NULL scopes share one key */
		out->scope[i] = blob_add(b, out, keys, &cap, s->scope ? (const void *)s->scope : (const void *)&out->scope,
		                         &ss.base);
		if (out->resource[i] == RECORD_NONE || out->scope[i] == RECORD_NONE) {
			char trace[33];
			id_to_hex(s->trace_id, 16, trace);
			return err_set(err, errlen, ERR_BAD_INPUT,
			               "the resource or scope of trace %s cannot be stored: it does not read back", trace);
		}
	}
	return ERR_OK;
}

static int kvs_keep_unknown(Tl__KeyValue *const *kv, size_t n, int depth);

/* 1 if AnyValue v, or a value inside it, keeps fields protobuf-c did not
 * know; also when it is nested deeper than SPAN_MAX_DEPTH (which
 * validation refused before: the read back then names it). */
static int value_keeps_unknown(const Tl__AnyValue *v, int depth)
{
	if (!v)
		return 0;
	if (v->base.n_unknown_fields || depth > SPAN_MAX_DEPTH)
		return 1;
	if (v->value_case == TL__ANY_VALUE__VALUE_ARRAY_VALUE && v->array_value) {
		if (v->array_value->base.n_unknown_fields)
			return 1;
		for (size_t i = 0; i < v->array_value->n_values; i++)
			if (value_keeps_unknown(v->array_value->values[i], depth + 1))
				return 1;
	} else if (v->value_case == TL__ANY_VALUE__VALUE_KVLIST_VALUE && v->kvlist_value) {
		return v->kvlist_value->base.n_unknown_fields ||
		       kvs_keep_unknown(v->kvlist_value->values, v->kvlist_value->n_values, depth + 1);
	}
	return 0;
}

static int kvs_keep_unknown(Tl__KeyValue *const *kv, size_t n, int depth)
{
	for (size_t i = 0; i < n; i++)
		if (kv[i]->base.n_unknown_fields || value_keeps_unknown(kv[i]->value, depth))
			return 1;
	return 0;
}

/* 1 if span sp, or a message inside it, keeps fields protobuf-c did not
 * know (the protobuf decoder keeps them; the JSON decoders make none). */
static int span_keeps_unknown(const Tl__Span *sp)
{
	if (sp->base.n_unknown_fields || (sp->status && sp->status->base.n_unknown_fields) ||
	    kvs_keep_unknown(sp->attributes, sp->n_attributes, 1))
		return 1;
	for (size_t i = 0; i < sp->n_events; i++)
		if (sp->events[i]->base.n_unknown_fields ||
		    kvs_keep_unknown(sp->events[i]->attributes, sp->events[i]->n_attributes, 1))
			return 1;
	for (size_t i = 0; i < sp->n_links; i++)
		if (sp->links[i]->base.n_unknown_fields ||
		    kvs_keep_unknown(sp->links[i]->attributes, sp->links[i]->n_attributes, 1))
			return 1;
	return 0;
}

/* Every record that might not read back is read back before it is
 * acknowledged: a span that packs to bytes the read path refuses would be
 * stored and then lost. protobuf-c packs the fields it knows canonically,
 * and unknown fields as it kept them, so a tag it read in a longer form
 * than needed comes back in a form it refuses (docs/fuzzing.md); a span
 * without unknown fields (span_keeps_unknown) is not unpacked again, which
 * took a tenth of a request thread's time, and the fuzzers' store-and-read-
 * back check holds that. Names the first span that does not read back. */
static int check_span(const struct span *s, const uint8_t *data, size_t len, struct scratch *scratch, char *err,
                      size_t errlen)
{
	ProtobufCAllocator pa = {.alloc = scratch_alloc, .free = scratch_free, .allocator_data = scratch};
	scratch_reset(scratch);
	if (unpack_with(&tl__span__descriptor, data, len, &pa))
		return ERR_OK;
	char trace[33], span[17];
	id_to_hex(s->trace_id, 16, trace);
	id_to_hex(s->span_id, 8, span);
	return err_set(err, errlen, ERR_BAD_INPUT, "span %s of trace %s cannot be stored: it does not read back",
	               span, trace);
}

/* Compresses raw[0..len) into dst (ZSTD_compressBound(len) bytes) at level
 * with dictionary d, or none if d is NULL, with a context of pool p;
 * returns the frame's size. */
static size_t compress_in(struct pool *p, const struct zdict *d, int level, void *dst, size_t bound, const void *raw,
                          size_t len)
{
	ZSTD_CCtx *c = pool_take(p);
	size_t z = d ? ZSTD_compress_usingCDict(c, dst, bound, raw, len, zdict_cdict(d, level))
	             : ZSTD_compressCCtx(c, dst, bound, raw, len, level);
	pool_give(p, c);
	if (ZSTD_isError(z))
		abort(); /* cannot happen with a bound-sized destination */
	return z;
}

/* compress_in at level (CHUNK_LEVEL or FRAME_LEVEL) with a context of
 * cpool. */
static size_t compress_with(const struct zdict *d, int level, void *dst, size_t bound, const void *raw, size_t len)
{
	return compress_in(&cpool, d, level, dst, bound, raw, len);
}

/* Read per batch (a getenv, well below a batch's cost) so a test can
 * write both formats in one process. */
int record_pack_format(void)
{
	const char *v = getenv("TRACELITE_CHUNK_FORMAT");
	return v && !strcmp(v, "1") ? 1 : 2;
}

/* Fills *slim with span o less the fields row r holds exactly and returns
 * their set (enum record_row_field): what record_span_unpack_row puts back
 * from r is then o's value. A field that differs from the row (an end
 * before the start, an all-zero parent) stays in the record. record_pack
 * compares with the row writer.c stores (record_row_from_span), the format
 * conversion (record_chunk_slim) with the row as stored. */
static unsigned slim_span(const Tl__Span *o, const struct record_row *r, Tl__Span *slim)
{
	unsigned f = 0;
	*slim = *o;
	if (r->trace_id && o->trace_id.len == 16 && !memcmp(o->trace_id.data, r->trace_id, 16)) {
		f |= RECORD_ROW_TRACE_ID;
		slim->trace_id.len = 0;
		slim->trace_id.data = NULL;
	}
	if (r->span_id && o->span_id.len == 8 && !memcmp(o->span_id.data, r->span_id, 8)) {
		f |= RECORD_ROW_SPAN_ID;
		slim->span_id.len = 0;
		slim->span_id.data = NULL;
	}
	if (r->parent_span_id ? o->parent_span_id.len == r->parent_len &&
	                            (!r->parent_len || !memcmp(o->parent_span_id.data, r->parent_span_id, r->parent_len))
	                      : o->parent_span_id.len == 0) {
		f |= RECORD_ROW_PARENT;
		slim->parent_span_id.len = 0;
		slim->parent_span_id.data = NULL;
	}
	if (o->name && r->name && !strcmp(o->name, r->name)) {
		f |= RECORD_ROW_NAME;
		slim->name = (char *)protobuf_c_empty_string;
	}
	if (o->kind == r->kind) {
		f |= RECORD_ROW_KIND;
		slim->kind = 0;
	}
	if (o->start_time_unix_nano == r->start_ns) {
		f |= RECORD_ROW_START;
		slim->start_time_unix_nano = 0;
	}
	if (o->end_time_unix_nano == r->end_ns) {
		f |= RECORD_ROW_END;
		slim->end_time_unix_nano = 0;
	}
	return f;
}

/* The records of one batch as record_pack writes them: format 2's slim
 * copies (slim, fields) or, when slim is NULL, the spans' own (format 1);
 * len: each one's packed size. All indexed by position in order. */
struct packing {
	Tl__Span *slim;
	uint8_t *fields;
	size_t *len;
};

/* Compresses raw[0..len) (with d, or none) at level into a frame kept in a after
 * head bytes the caller fills; *outlen gets head plus the frame's size.
 * The frame is written into a bound-sized scratch first: a's batch lives
 * until its commit, and the bound there held the raw size again (1.7 MB of
 * a 512-span request). */
static uint8_t *compress_kept(const struct zdict *d, int level, struct arena *a, size_t head, const void *raw,
                              size_t len, size_t *outlen)
{
	size_t bound = ZSTD_compressBound(len);
	uint8_t *frame = malloc(bound);
	if (!frame)
		abort();
	size_t flen = compress_with(d, level, frame, bound, raw, len);
	uint8_t *dst = arena_alloc_raw(a, head + flen);
	memcpy(dst + head, frame, flen);
	free(frame);
	*outlen = head + flen;
	return dst;
}

static int compress_chunk(struct span_batch *b, struct zdict_trainer *zt, const struct zdict *d,
                          const struct packing *pk, struct record_batch *out, struct record_chunk *c, char *err,
                          size_t errlen)
{
	int v2 = pk->slim != NULL;
	size_t raw = 1;
	for (size_t k = 0; k < c->count; k++)
		raw += pk->len[c->first + k] + 11;   /* a varint and the flags */
	uint8_t *buf = malloc(raw), *p = buf;
	struct scratch scratch;
	scratch_init(&scratch);
	int rc = ERR_OK;
	if (!buf)
		abort();
	for (size_t k = 0; k < c->count && !rc; k++) {
		const struct span *s = &b->spans[out->order[c->first + k]];
		size_t n = pk->len[c->first + k];
		if (v2) {
			p += varint_put(p, n + 1);
			*p++ = pk->fields[c->first + k];
			p += tl__span__pack(&pk->slim[c->first + k], p);
		} else {
			p += varint_put(p, n);
			p += tl__span__pack(s->otlp, p);
		}
		if (span_keeps_unknown(s->otlp))
			rc = check_span(s, p - n, n, &scratch, err, errlen);
	}
	scratch_done(&scratch);
	if (rc) {
		free(buf);
		return rc;
	}
	size_t used = (size_t)(p - buf);
	zdict_trainer_offer(zt, buf, used);
	uint8_t *dst = compress_kept(d, CHUNK_LEVEL, b->arena, (size_t)v2, buf, used, &c->len);
	free(buf);
	if (v2)
		dst[0] = RECORD_CHUNK_V2;
	c->data = dst;
	out->raw_bytes += used;
	return ERR_OK;
}

void record_compress(const void *raw, size_t len, struct arena *a, const void **out, size_t *outlen)
{
	*out = compress_kept(NULL, FRAME_LEVEL, a, 0, raw, len, outlen);
}

enum err record_pack(struct span_batch *b, struct zdict_trainer *zt, struct record_batch *out, char *err,
                     size_t errlen)
{
	const struct zdict *d = zdict_trainer_current(zt);   /* one dictionary per batch */
	struct packing pk = {0};
	memset(out, 0, sizeof *out);
	size_t n = b->nspans;
	out->order = arena_alloc(b->arena, (n ? n : 1) * sizeof *out->order);
	pk.len = arena_alloc(b->arena, (n ? n : 1) * sizeof *pk.len);
	if (record_pack_format() == 2) {
		pk.slim = arena_alloc(b->arena, (n ? n : 1) * sizeof *pk.slim);
		pk.fields = arena_alloc(b->arena, n ? n : 1);
	}
	for (size_t i = 0; i < n; i++)
		out->order[i] = i;
	qsort_r(out->order, n, sizeof *out->order, by_trace_then_arrival, b);
	out->chunks = arena_alloc(b->arena, (n ? n : 1) * sizeof *out->chunks);
	for (size_t i = 0; i < n; i++) {
		const struct span *s = &b->spans[out->order[i]];
		if (pk.slim) {
			struct record_row r;
			record_row_from_span(s, &r);
			pk.fields[i] = (uint8_t)slim_span(s->otlp, &r, &pk.slim[i]);
			pk.len[i] = tl__span__get_packed_size(&pk.slim[i]);
		} else
			pk.len[i] = tl__span__get_packed_size(s->otlp);
	}
	for (size_t i = 0; i < n;) {
		struct record_chunk *c = &out->chunks[out->nchunks++];
		size_t raw = 0;
		c->first = i;
		while (i < n && c->count < CHUNK_MAX_SPANS && raw < CHUNK_MAX_RAW) {
			raw += pk.len[i];
			c->count++;
			i++;
		}
		int rc = compress_chunk(b, zt, d, &pk, out, c, err, errlen);
		if (rc)
			return rc;
	}
	return pack_blobs(b, out, err, errlen);
}

/* Reads a chunk frame's header: its size (at most CHUNK_MAX_DECOMPRESSED)
 * and the dictionary it names (NULL: none). Returns 0, or -1 for a frame
 * that is not one, too big, or names a dictionary no store has. */
static int frame_open(const void *data, size_t len, unsigned long long *size, const struct zdict **d)
{
	*size = ZSTD_getFrameContentSize(data, len);
	if (*size == ZSTD_CONTENTSIZE_ERROR || *size == ZSTD_CONTENTSIZE_UNKNOWN || *size > CHUNK_MAX_DECOMPRESSED)
		return -1;
	unsigned id = ZSTD_getDictID_fromFrame(data, len);   /* 0: none */
	*d = id ? zdict_find(id) : NULL;
	return id && !*d ? -1 : 0;
}

/* Decompresses a frame frame_open accepted into raw (size bytes). Returns
 * 0, or -1 if it does not decompress to exactly size bytes. */
static int frame_decompress(const struct zdict *d, void *raw, unsigned long long size, const void *data, size_t len)
{
	ZSTD_DCtx *c = pool_take(&dpool);
	size_t got = d ? ZSTD_decompress_usingDDict(c, raw, size, data, len, zdict_ddict(d))
	               : ZSTD_decompressDCtx(c, raw, size, data, len);
	pool_give(&dpool, c);
	return ZSTD_isError(got) || got != size ? -1 : 0;
}

size_t record_frame_compress(const struct zdict *d, void *dst, size_t bound, const void *raw, size_t len)
{
	assert(bound >= ZSTD_compressBound(len));
	return compress_with(d, FRAME_LEVEL, dst, bound, raw, len);
}

enum err record_frame_decompress(const void *data, size_t len, void *raw, size_t max, size_t *size)
{
	unsigned long long n;
	const struct zdict *d;
	if (frame_open(data, len, &n, &d) || n > max || frame_decompress(d, raw, n, data, len))
		return ERR_STORE;
	*size = (size_t)n;
	return ERR_OK;
}

/* Where chunk data's zstd frame starts: 1 for format 2, else 0. */
static size_t frame_at(const void *data, size_t len)
{
	return len > 0 && *(const uint8_t *)data == RECORD_CHUNK_V2;
}

unsigned record_chunk_dict_id(const void *data, size_t len)
{
	size_t at = frame_at(data, len);
	return ZSTD_getDictID_fromFrame((const uint8_t *)data + at, len - at);
}

enum err record_chunk_entries(const void *data, size_t len, struct arena *a, size_t *count, const uint8_t ***spans,
                              size_t **lens, const uint8_t **fields)
{
	unsigned long long size;
	const struct zdict *d;
	size_t v2 = frame_at(data, len);
	data = (const uint8_t *)data + v2;
	len -= v2;
	if (frame_open(data, len, &size, &d))
		return ERR_STORE;
	uint8_t *raw = arena_alloc(a, size ? size : 1);
	if (frame_decompress(d, raw, size, data, len))
		return ERR_STORE;
	size_t n_entries = 0;
	for (const uint8_t *p = raw, *end = raw + size; p < end; n_entries++) {
		uint64_t n;
		if (varint_get(&p, end, &n) || n > (uint64_t)(end - p) || (v2 && n && (*p & ~RECORD_ROW_ALL)))
			return ERR_STORE;
		p += n;
	}
	*spans = arena_alloc(a, (n_entries ? n_entries : 1) * sizeof **spans);
	*lens = arena_alloc(a, (n_entries ? n_entries : 1) * sizeof **lens);
	uint8_t *f = arena_alloc(a, n_entries ? n_entries : 1);
	size_t i = 0;
	for (const uint8_t *p = raw, *end = raw + size; p < end; i++) {
		uint64_t n = 0;
		varint_get(&p, end, &n);   /* checked by the first pass */
		f[i] = v2 && n ? p[0] : 0;
		(*spans)[i] = p + (v2 && n);
		(*lens)[i] = n - (v2 && n);
		p += n;
	}
	assert(i == n_entries);
	*count = n_entries;
	*fields = f;
	return ERR_OK;
}

enum err record_chunk_split(const void *data, size_t len, struct arena *a, size_t *count,
                            const uint8_t ***spans, size_t **lens)
{
	const uint8_t *fields, **s;
	size_t n, *l;
	if (record_chunk_entries(data, len, a, &n, &s, &l, &fields))
		return ERR_STORE;
	for (size_t i = 0; i < n; i++)
		if (fields[i])
			return ERR_STORE;
	*count = n;
	*spans = s;
	*lens = l;
	return ERR_OK;
}

enum err record_chunk_keep(const void *data, size_t len, const uint8_t *keep, size_t n, void **out, size_t *outlen)
{
	struct arena *a = arena_new();
	const uint8_t **spans, *fields;
	size_t *lens, raw = 0, v2 = frame_at(data, len);
	int rc = ERR_BAD_INPUT;
	uint8_t *buf = NULL, *p;
	*out = NULL;
	size_t count;
	if (record_chunk_entries(data, len, a, &count, &spans, &lens, &fields) || count > n)
		goto out;
	n = count;
	for (size_t i = 0; i < n; i++)
		raw += (keep[i] ? lens[i] + 1 : 0) + 10;
	if (!(buf = malloc(raw ? raw : 1)))
		abort();
	p = buf;
	for (size_t i = 0; i < n; i++) {
		size_t k = keep[i] ? lens[i] : 0;
		/* a kept entry of format 2 keeps its flags byte; an empty one
		 * (deleted before) stays empty */
		int flag = v2 && keep[i] && (lens[i] || fields[i]);
		p += varint_put(p, k + (size_t)flag);
		if (flag)
			*p++ = fields[i];
		memcpy(p, spans[i], k);
		p += k;
	}
	size_t used = (size_t)(p - buf), bound = ZSTD_compressBound(used);
	uint8_t *dst = malloc(bound + 1);
	if (!dst)
		abort();
	if (v2)
		dst[0] = RECORD_CHUNK_V2;
	/* the kept spans stay with the dictionary they had: it is registered
	 * (record_chunk_entries found it) and compresses them as well as before */
	unsigned id = record_chunk_dict_id(data, len);
	*outlen = compress_with(id ? zdict_find(id) : NULL, CHUNK_LEVEL, dst + v2, bound, buf, used) + v2;
	*out = dst;
	rc = ERR_OK;
out:
	free(buf);
	arena_free(a);
	return rc;
}

/* compress_with at level (0: CHUNK_LEVEL); a level other than the two
 * cpool's contexts serve with a context of hpool: kept between calls
 * (making and freeing a context of several MB per chunk made glibc keep
 * ~100 MB), freed by record_zstd_trim. */
static size_t compress_at(const struct zdict *d, int level, void *dst, size_t bound, const void *raw, size_t len)
{
	if (!level || level == CHUNK_LEVEL || level == FRAME_LEVEL)
		return compress_with(d, level ? level : CHUNK_LEVEL, dst, bound, raw, len);
	return compress_in(&hpool, d, level, dst, bound, raw, len);
}

size_t record_frame_compress_at(const struct zdict *d, int level, void *dst, size_t bound, const void *raw,
                                size_t len)
{
	assert(bound >= ZSTD_compressBound(len) && level >= 0 && level <= RECORD_LEVEL_MAX);
	return compress_at(d, level, dst, bound, raw, len);
}

enum err record_chunk_recompress(const void *data, size_t len, const struct zdict *d, int level, void **out,
                                 size_t *outlen)
{
	unsigned long long size;
	const struct zdict *had;
	uint8_t *raw = NULL, *dst = NULL;
	enum err rc = ERR_STORE;
	size_t v2 = frame_at(data, len);
	*out = NULL;
	data = (const uint8_t *)data + v2;
	len -= v2;
	if (frame_open(data, len, &size, &had))
		goto out;
	if (!(raw = malloc(size ? size : 1)))
		abort();
	if (frame_decompress(had, raw, size, data, len))
		goto out;
	size_t bound = ZSTD_compressBound(size);
	if (!(dst = malloc(bound + 1)))
		abort();
	dst[0] = RECORD_CHUNK_V2;   /* overwritten by the frame for format 1 */
	*outlen = compress_at(d, level, dst + v2, bound, raw, size) + v2;
	/* a caller keeps a batch of these (16 bound-sized buffers of 512-span
	 * chunks held 27 MB): only the frame's bytes */
	*out = realloc(dst, *outlen);
	if (!*out)
		abort();
	dst = NULL;
	rc = ERR_OK;
out:
	free(raw);
	free(dst);
	return rc;
}

/* Writes entry e[0..len) of a format-1 chunk as a format-2 entry at *p
 * (room for len + 11 bytes) and moves *p past it: less the fields row holds
 * (NULL: none points at it) when the entry read back that way packs to its
 * very bytes, else whole. */
static void slim_entry(const uint8_t *e, size_t len, const struct record_row *row, struct arena *a, uint8_t **p)
{
	const Tl__Span *sp = row && len ? record_span_unpack(e, len, a) : NULL;
	Tl__Span slim;
	unsigned f = sp ? slim_span(sp, row, &slim) : 0;
	size_t n = f ? tl__span__get_packed_size(&slim) : 0;
	if (f && n <= len) {
		uint8_t *at = *p + varint_put(*p, n + 1);
		*at++ = (uint8_t)f;
		tl__span__pack(&slim, at);
		const Tl__Span *back = record_span_unpack_row(at, n, f, row, a);
		if (back && tl__span__get_packed_size(back) == len) {
			uint8_t *again = arena_alloc_raw(a, len);
			tl__span__pack(back, again);
			if (!memcmp(again, e, len)) {
				*p = at + n;
				return;
			}
		}
	}
	*p += varint_put(*p, len ? len + 1 : 0);   /* an empty entry (a deleted span) stays empty */
	if (len)
		*(*p)++ = 0;
	memcpy(*p, e, len);
	*p += len;
}

enum err record_chunk_slim(const void *data, size_t len, const struct record_row *const *rows, size_t n, int level,
                           void **out, size_t *outlen)
{
	struct arena *a = arena_new();
	const uint8_t **spans, *fields;
	size_t *lens, count, raw = 1;
	enum err rc = ERR_BAD_INPUT;
	uint8_t *buf = NULL, *p;
	*out = NULL;
	if (frame_at(data, len) || record_chunk_entries(data, len, a, &count, &spans, &lens, &fields) || count > n)
		goto out;
	for (size_t i = 0; i < count; i++)
		raw += lens[i] + 11;   /* a varint and the flags */
	if (!(buf = malloc(raw)))
		abort();
	p = buf;
	for (size_t i = 0; i < count; i++)
		slim_entry(spans[i], lens[i], rows[i], a, &p);
	size_t used = (size_t)(p - buf), bound = ZSTD_compressBound(used);
	uint8_t *dst = malloc(bound + 1);
	if (!dst)
		abort();
	dst[0] = RECORD_CHUNK_V2;
	unsigned id = record_chunk_dict_id(data, len);   /* the dictionary it had (as record_chunk_keep) */
	*outlen = compress_at(id ? zdict_find(id) : NULL, level, dst + 1, bound, buf, used) + 1;
	*out = dst;
	rc = ERR_OK;
out:
	free(buf);
	arena_free(a);
	return rc;
}

Tl__ResourceSpans *record_resource_unpack(const void *data, size_t len, struct arena *a)
{
	return record_unpack(&tl__resource_spans__descriptor, data, len, a);
}

Tl__ScopeSpans *record_scope_unpack(const void *data, size_t len, struct arena *a)
{
	return record_unpack(&tl__scope_spans__descriptor, data, len, a);
}

Tl__Span *record_span_unpack(const uint8_t *data, size_t len, struct arena *a)
{
	return record_unpack(&tl__span__descriptor, data, len, a);
}

void record_row_from_span(const struct span *s, struct record_row *r)
{
	r->trace_id = s->trace_id;
	r->span_id = s->span_id;
	r->parent_span_id = s->has_parent ? s->parent_span_id : NULL;
	r->parent_len = s->has_parent ? 8 : 0;
	r->name = s->name;
	r->kind = s->kind;
	r->start_ns = s->start_ns;
	r->end_ns = s->end_ns;
}

/* Points *to at a copy of n bytes of from in a. */
static void bytes_from_row(ProtobufCBinaryData *to, const uint8_t *from, size_t n, struct arena *a)
{
	to->len = from ? n : 0;
	to->data = NULL;
	if (to->len) {
		to->data = arena_alloc(a, n);
		memcpy(to->data, from, n);
	}
}

Tl__Span *record_span_unpack_row(const uint8_t *data, size_t len, unsigned fields, const struct record_row *row,
                                 struct arena *a)
{
	Tl__Span *sp = record_span_unpack(data, len, a);
	if (!sp || !fields || !row)
		return sp;
	if (fields & RECORD_ROW_TRACE_ID)
		bytes_from_row(&sp->trace_id, row->trace_id, 16, a);
	if (fields & RECORD_ROW_SPAN_ID)
		bytes_from_row(&sp->span_id, row->span_id, 8, a);
	if (fields & RECORD_ROW_PARENT)
		bytes_from_row(&sp->parent_span_id, row->parent_span_id, row->parent_len, a);
	if ((fields & RECORD_ROW_NAME) && row->name)
		sp->name = arena_strdup(a, row->name);
	if (fields & RECORD_ROW_KIND)
		sp->kind = row->kind;
	if (fields & RECORD_ROW_START)
		sp->start_time_unix_nano = row->start_ns;
	if (fields & RECORD_ROW_END)
		sp->end_time_unix_nano = row->end_ns;
	return sp;
}

/* ---------- the text fields of a span (the search index's reader) ---------- */

static struct record_text text_cstr(const char *s)
{
	return (struct record_text){s && *s ? s : NULL, s ? strlen(s) : 0};
}

/* The texts of exception.message attribute kv (as search.c always read
 * them), appended to out. */
static void exception_add(const Tl__KeyValue *kv, struct arena *a, struct record_texts *out, size_t *cap)
{
	if (!kv || !kv->key || strcmp(kv->key, "exception.message") || !kv->value ||
	    kv->value->value_case != TL__ANY_VALUE__VALUE_STRING_VALUE)
		return;
	if (out->nexceptions == *cap) {
		*cap = *cap ? 2 * *cap : 4;
		struct record_text *v = arena_alloc(a, *cap * sizeof *v);
		if (out->nexceptions)
			memcpy(v, out->exceptions, out->nexceptions * sizeof *v);
		out->exceptions = v;
	}
	out->exceptions[out->nexceptions++] = text_cstr(kv->value->string_value);
}

/* input and output as genai_normalize makes them from attributes attrs (a span holding only them). */
static void texts_genai(Tl__KeyValue **attrs, size_t n, struct arena *a, struct record_texts *out)
{
	Tl__Span only_attrs;
	struct span norm;
	tl__span__init(&only_attrs);
	only_attrs.attributes = attrs;
	only_attrs.n_attributes = n;
	memset(&norm, 0, sizeof norm);
	norm.otlp = &only_attrs;
	genai_normalize(&norm, a);
	out->input = text_cstr(norm.input_text);
	out->output = text_cstr(norm.output_text);
}

void record_texts_of_span(const Tl__Span *sp, struct arena *a, struct record_texts *out)
{
	size_t cap = 0;
	memset(out, 0, sizeof *out);
	out->trace_id = sp->trace_id.len == 16 ? sp->trace_id.data : NULL;
	out->name = text_cstr(sp->name);
	texts_genai(sp->attributes, sp->n_attributes, a, out);
	out->status = text_cstr(sp->status ? sp->status->message : NULL);
	for (size_t e = 0; e < sp->n_events; e++)
		for (size_t k = 0; sp->events[e] && k < sp->events[e]->n_attributes; k++)
			exception_add(sp->events[e]->attributes[k], a, out, &cap);
}

/* Whether f's wire type is one protobuf-c unpacks for its field in d
 * (an unknown field is kept whatever its type). */
static int pbf_wire_ok(const ProtobufCMessageDescriptor *d, const struct pb_field *f)
{
	const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(d, f->num);
	if (!fd)
		return 1;
	unsigned want;
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_BOOL: case PROTOBUF_C_TYPE_ENUM:
		want = 0;
		break;
	case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_DOUBLE:
		want = 1;
		break;
	case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_FLOAT:
		want = 5;
		break;
	default:
		want = 2;
	}
	return f->wt == want || (want != 2 && f->wt == 2 && fd->label == PROTOBUF_C_LABEL_REPEATED);
}

/* The key of packed KeyValue kv[0..len) as protobuf-c reads it (its last
 * key field, up to a NUL), into buf (size bytes); returns 0, or -1 when it
 * cannot be told (malformed, several key fields, too long for buf): then
 * the caller unpacks the KeyValue. */
static int kv_key(const uint8_t *kv, size_t len, char *buf, size_t size)
{
	const uint8_t *p = kv, *end = kv + len;
	int keys = 0;
	buf[0] = 0;
	while (p < end) {
		struct pb_field f;
		if (pb_field_next(&p, end, &f) || !pbf_wire_ok(&tl__key_value__descriptor, &f))
			return -1;
		if (f.num != 1)
			continue;
		size_t n = strnlen((const char *)f.p, f.len);
		if (++keys > 1 || n >= size)
			return -1;
		memcpy(buf, f.p, n);
		buf[n] = 0;
	}
	return 0;
}

/* Unpacks KeyValue kv[0..len) into *out; 0, or -1 if it does not read (nor does its span). */
static int kv_unpack(const uint8_t *kv, size_t len, struct arena *a, Tl__KeyValue **out)
{
	*out = record_unpack(&tl__key_value__descriptor, kv, len, a);
	return *out ? 0 : -1;
}

/* The longest attribute key a text test can accept (genai_text_key's
 * longest is under 64 bytes; "exception.message" is 17). */
#define TEXT_KEY_MAX 128

/* The event exception texts of packed Event ev[0..len); returns 0, -1 if
 * it does not read, 1 if odd (unpack the span whole). */
static int event_texts(const uint8_t *ev, size_t len, struct arena *a, struct record_texts *out, size_t *cap)
{
	const uint8_t *p = ev, *end = ev + len;
	char key[TEXT_KEY_MAX];
	while (p < end) {
		struct pb_field f;
		if (pb_field_next(&p, end, &f) || !pbf_wire_ok(&tl__span__event__descriptor, &f))
			return 1;
		if (f.num != 3)
			continue;
		Tl__KeyValue *kv;
		if (!kv_key(f.p, f.len, key, sizeof key) && strcmp(key, "exception.message"))
			continue;
		if (kv_unpack(f.p, f.len, a, &kv))
			return -1;
		exception_add(kv, a, out, cap);
	}
	return 0;
}

/* The message of packed Status st[0..len) into out; 0, or 1 if odd. */
static int status_text(const uint8_t *st, size_t len, struct record_text *out)
{
	const uint8_t *p = st, *end = st + len;
	*out = (struct record_text){0};
	while (p < end) {
		struct pb_field f;
		if (pb_field_next(&p, end, &f) || !pbf_wire_ok(&tl__status__descriptor, &f))
			return 1;
		if (f.num == 2) {
			size_t n = strnlen((const char *)f.p, f.len);
			*out = (struct record_text){n ? (const char *)f.p : NULL, n};
		}
	}
	return 0;
}

/* record_span_texts the slow way: the whole entry unpacked. */
static enum err texts_whole(const uint8_t *data, size_t len, unsigned fields, const struct record_row *row,
                            struct arena *a, struct record_texts *out)
{
	const Tl__Span *sp = record_span_unpack_row(data, len, fields, row, a);
	if (!sp)
		return ERR_BAD_INPUT;
	record_texts_of_span(sp, a, out);
	return ERR_OK;
}

enum err record_span_texts(const uint8_t *data, size_t len, unsigned fields, const struct record_row *row,
                           struct arena *a, struct record_texts *out)
{
	const uint8_t *p = data, *end = data + len;
	Tl__KeyValue *stack[16], **attrs = stack;
	size_t nattrs = 0, attr_cap = 16, exc_cap = 0;
	int seen_trace = 0, seen_name = 0, seen_status = 0;
	char key[TEXT_KEY_MAX];
	memset(out, 0, sizeof *out);
	while (p < end) {
		struct pb_field f;
		if (pb_field_next(&p, end, &f) || !pbf_wire_ok(&tl__span__descriptor, &f))
			return texts_whole(data, len, fields, row, a, out);
		switch (f.num) {
		case 1:   /* trace_id */
			if (seen_trace++)
				return texts_whole(data, len, fields, row, a, out);
			out->trace_id = f.len == 16 ? f.p : NULL;
			break;
		case 5: { /* name */
			if (seen_name++)
				return texts_whole(data, len, fields, row, a, out);
			size_t n = strnlen((const char *)f.p, f.len);
			out->name = (struct record_text){n ? (const char *)f.p : NULL, n};
			break;
		}
		case 9: { /* attributes */
			Tl__KeyValue *kv;
			if (!kv_key(f.p, f.len, key, sizeof key) && !genai_text_key(key))
				break;
			if (kv_unpack(f.p, f.len, a, &kv))
				return ERR_BAD_INPUT;
			if (nattrs == attr_cap) {
				Tl__KeyValue **grown = arena_alloc(a, 2 * attr_cap * sizeof *grown);
				memcpy(grown, attrs, nattrs * sizeof *grown);
				attrs = grown;
				attr_cap *= 2;
			}
			attrs[nattrs++] = kv;
			break;
		}
		case 11: { /* events */
			int rc = event_texts(f.p, f.len, a, out, &exc_cap);
			if (rc < 0)
				return ERR_BAD_INPUT;
			if (rc)
				return texts_whole(data, len, fields, row, a, out);
			break;
		}
		case 15:  /* status */
			if (seen_status++ || status_text(f.p, f.len, &out->status))
				return texts_whole(data, len, fields, row, a, out);
			break;
		default:
			break;
		}
	}
	if (fields && row) {
		if (fields & RECORD_ROW_TRACE_ID)
			out->trace_id = row->trace_id;
		if ((fields & RECORD_ROW_NAME) && row->name)
			out->name = text_cstr(row->name);
	}
	texts_genai(attrs, nattrs, a, out);
	return ERR_OK;
}
