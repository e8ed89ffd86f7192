/* search.c: the search index (search.db) and its background indexer
 * (which also merges the index's segments when idle), the text a span
 * contributes, and query execution over index + unindexed tail. Index
 * documents: one per (chunk, trace group), numbered in index order (small
 * rowid deltas keep FTS5's doclists short); docs maps each to its chunk
 * and trace key. */
#include "query/search.h"
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "base/env.h"
#include "base/err.h"
#include "base/log.h"
#include "base/json.h"
#include "base/text.h"
#include "ingest/span.h"
#include "query/searchfreq.h"
#include "store/preview.h"
#include "store/record.h"
#include "store/spanview.h"
#include "store/store.h"

/* search.db user_version; another one is rebuilt (2: incremental vacuum;
 * 3: one document per chunk, a branch never merged; 4: dense document
 * ids, docs.chunk, columnsize=0; 5: frequent words left out, searchfreq.h) */
#define SEARCH_VERSION 5
#define SEARCH_VERSION_SQL "5"
#define FIELD_MAX (64u << 10)          /* searchable bytes of one field */
#define BATCH_SPANS 4000               /* spans per index transaction */
/* text bytes held for one FTS5 statement at most (the temp table it
 * replaces had a 2 MB page cache): 4,000 prose spans hold 3.5 MB, one
 * statement; 2 MB made two (+4% search.db bytes), 1 MB four (+21%
 * instructions) */
#define BATCH_TEXT (4u << 20)
#define BATCH_CHUNKS "64"               /* chunks read per batch at most */
#define POLL_MS 50
#define SEEN_MAX 256
#define MAX_CANDIDATES 20000           /* documents one request examines */
/* MAX_CANDIDATES, or TRACELITE_SEARCH_MAX_CANDIDATES (tests reach the
 * bound with a few traces); set once by search_start */
static long max_candidates = MAX_CANDIDATES;
#define MATCHES_MAX 5                  /* matches listed per trace */
/* Idle-time tidying: FTS5 leaves the index in many segments (automerge
 * 16), each repeating the words it holds; merging them into one took 10-13%
 * off search.db at 100k-300k prose spans. A tidy merges the whole index, in
 * steps of TIDY_PAGES leaf pages (one transaction each, ~0.1 s here; 256
 * wrote 13% more), only while no chunk is pending, and starts only once the
 * segments besides the largest hold as many pages as it: each tidy at least
 * doubles the merged part, so all tidies together rewrite at most twice the
 * final index however large the store grows (starting at half as many,
 * with 256-page steps, wrote 44% more for 3% less search.db in 10 bursts
 * of 30k spans). */
#define TIDY_PAGES 1024
/* and only once no chunk came for this long: a burst's requests leave the
 * indexer caught up between them, and merge steps there take CPU from
 * indexing (the lag after the end of a burst of 30k spans: at most 1.3 s
 * in 20 bursts with this, 5.3 s once in 30 without, 2.6 s with no merge) */
#define TIDY_QUIET_MS 1000
/* TIDY_QUIET_MS, or TRACELITE_SEARCH_TIDY_QUIET_MS (tests hold a merge
 * back while they add spans); set once by search_start */
static long tidy_quiet_ms = TIDY_QUIET_MS;
/* TIDY_PAGES, or TRACELITE_SEARCH_TIDY_PAGES (0: no tidying); set once by
 * search_start */
static long tidy_pages = TIDY_PAGES;
/* While ingest goes on (a new chunk within INGEST_QUIET_MS), the indexer
 * leaves new chunks for later, until the oldest waiting chunk is DEFER_MS
 * old; then it indexes until that age is under half of it, and once
 * ingest is quiet, everything. On 2 cores shared with the load generator,
 * the indexer's CPU went to ingest: 150k JSON prose spans 24.5k -> 32k
 * spans/s with indexing paused, 27.8k at SCHED_IDLE (which an unprivileged
 * thread cannot leave again), 26.2k at nice 19 (docs/performance.md).
 * Searches stay exact meanwhile: the waiting chunks are walked, as a
 * paused indexer's are. */
#define DEFER_MS 10000
#define INGEST_QUIET_MS 300
/* DEFER_MS, or TRACELITE_SEARCH_DEFER_MS (0: index as chunks come); set
 * once by search_start */
static long defer_ms = DEFER_MS;

enum field { FIELD_NAME, FIELD_INPUT, FIELD_OUTPUT, FIELD_STATUS, FIELD_EXCEPTION };
static const char *const field_names[] = {"name", "input", "output", "status", "exception"};

/* A set of strings (a document's distinct pieces): open addressing. */
struct pieces {
	struct piece {
		uint64_t hash;
		const char *text;
		size_t len;
	} *v;
	size_t n, slots;
};

struct search {
	char path[4200];
	sqlite3 *idx, *main;
	sqlite3_stmt *chunks_st, *max_st, *trace_st, *fts_st, *doc_st, *state_st, *unfts_st, *undoc_st, *find_st,
		*shape_st, *tidy_st;
	int64_t next_doc;                  /* the next document's id (under work) */
	/* texts of the documents next_doc - nbatch .. next_doc - 1, handed to
	 * FTS5 by one statement (fts_st, through batch_text) (under work) */
	char *batch;
	size_t *batch_off;                 /* nbatch + 1 offsets into batch */
	size_t nbatch, batch_cap, off_cap;
	struct spanview *view;             /* the indexer's reader of chunks, on main */
	struct searchq_tok tok;            /* the indexer's tokenizer (leaving frequent words out) */
	struct searchfreq_set frequent;    /* the words left out (searchfreq.h); empty until chosen */
	struct arena *frequent_arena;      /* frequent's words and slots */
	/* since the start or the last choice: the documents indexed without
	 * the frequent words, and by frequent's slot how many held the word
	 * and the last one that did */
	int64_t docs_filtered, *freq_docs, *freq_last;
	int64_t chosen_docs;               /* documents the last choice saw (state 'frequent_docs') */
	struct searchfreq_settings freq;
	int chose;                         /* the frequent words were chosen (state 'frequent') */
	int64_t nfrequent;                 /* words in frequent (under lock) */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_mutex_t work;              /* held while idx, main, view and the statements are in use */
	pthread_cond_t wake;
	int stopping, paused;
	int stale;                         /* documents came or went since the shape was read (under work) */
	uint64_t last_batch_ns;            /* when the last batch was indexed (or the start), mono_ns (under work) */
	/* under lock */
	int64_t checkpoint, indexed_spans, indexed_chunks, text_bytes;
	struct shape {
		int64_t segments, pages;   /* FTS5 segments and their leaf pages; -1: unreadable */
		int64_t largest;           /* leaf pages of the largest segment */
		int64_t bytes;             /* pages of search.db in use, in bytes */
	} shape;
	int tidying;                       /* a tidy is under way (written under work too) */
	int64_t tidies, tidy_steps, tidy_yields; /* since start: tidies finished, steps, interruptions by new chunks */
	int64_t forgotten;                 /* documents deleted since the last optimize (under work) */
	struct seen { int64_t id; uint64_t ns; } seen[SEEN_MAX];   /* max chunk id, when first seen */
	int nseen;
	uint64_t last_chunk_ns;            /* when a new newest chunk was last seen (under lock) */
	int deferring;                     /* leaving chunks for later now (defer_for_ingest; under lock) */
	int catching_up;                   /* the oldest waiting chunk reached defer_ms (indexer thread only) */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------- the text of spans ---------- */

/* A trace's spans from one chunk: one index document. */
struct doc {
	int64_t rowid;                     /* chunk * 256 + entry of its first span (search.db numbers them apart) */
	const uint8_t *trace_id;
	/* per span: its record (const Tl__Span *, queries: doc_span) or, for
	 * the indexer, only its text fields (const struct record_texts *) */
	const void **items;
	int texts;
	size_t n;
};

static const Tl__Span *doc_span(const struct doc *d, size_t i)
{
	assert(!d->texts);
	return d->items[i];
}

/* Reads chunk id through v, whole records or (texts) only the text fields
 * of each span, and groups its spans by trace (they are adjacent). Returns
 * the document count (array in v's arena, valid until spanview_reset), 0
 * for a chunk that is gone, -1 if corrupt. */
static long chunk_docs(struct spanview *v, int64_t id, int texts, struct doc **out)
{
	const Tl__Span *const *recs = NULL;
	const struct record_texts *const *txts = NULL;
	size_t n;
	long nd = 0;
	int rc = texts ? spanview_chunk_texts(v, id, &txts, &n) : spanview_chunk_records(v, id, &recs, &n);
	*out = NULL;
	if (rc)
		return rc == ERR_NOT_FOUND ? 0 : -1;
	struct arena *a = spanview_arena(v);
	struct doc *d = arena_alloc(a, (n ? n : 1) * sizeof *d);
	const void **items = arena_alloc(a, (n ? n : 1) * sizeof *items);
	for (size_t i = 0; i < n; i++) {
		const void *item = texts ? (const void *)txts[i] : (const void *)recs[i];
		if (!item) {
			log_warn("search", "search: chunk %lld entry %zu: stored record unreadable, not indexed",
			        (long long)id, i);
			continue;
		}
		const uint8_t *tid = texts ? txts[i]->trace_id : recs[i]->trace_id.len == 16 ? recs[i]->trace_id.data : NULL;
		if (!tid)
			continue;
		struct doc *cur = nd ? &d[nd - 1] : NULL;
		if (!cur || memcmp(cur->trace_id, tid, 16)) {
			cur = &d[nd++];
			cur->rowid = id * 256 + (int64_t)i;
			cur->trace_id = tid;
			cur->items = items + i;
			cur->texts = texts;
			cur->n = 0;
		}
		/* writes stay below items + i, so groups never overlap */
		assert(cur->items + cur->n <= items + i);
		cur->items[cur->n++] = item;
	}
	*out = d;
	return nd;
}

/* A hash of s[0..n), 8 bytes at a time (fields and pieces run to kilobytes). */
static uint64_t text_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	/* the last bytes one by one: a memcpy of a variable length was a call
	 * into libc for every word the indexer looks up */
	w = 0;
	for (size_t k = 0; i + k < n; k++)
		w |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

struct fields {
	struct searchq_field *v;
	uint64_t *hash;                    /* 0: not computed yet */
	size_t n, cap;
};

/* text_hash, never 0 (fields' hashes are computed when first needed) */
static uint64_t field_hash(const char *s, size_t n)
{
	return text_hash(s, n) | 1;
}

/* Adds a field unless empty or already in the document (agent traces
 * repeat prompts across spans); long ones are cut at FIELD_MAX on a
 * character boundary, in the index and when verifying alike. Fields are
 * hashed only when another one has their length (most lengths are
 * unique), each at most once. */
static void field_add(struct fields *f, struct arena *a, const struct record_text *t, int kind, int span)
{
	const char *text = t->s;
	size_t len = t->len;
	if (!text || !len)
		return;
	if (len > FIELD_MAX) {
		len = FIELD_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	uint64_t h = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].len != len)
			continue;
		if (!h)
			h = field_hash(text, len);
		if (!f->hash[i])
			f->hash[i] = field_hash(f->v[i].text, len);
		if (f->hash[i] == h && !memcmp(f->v[i].text, text, len))
			return;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct searchq_field *v = arena_alloc(a, cap * sizeof *v);
		uint64_t *hash = arena_alloc(a, cap * sizeof *hash);
		if (f->n) {
			memcpy(v, f->v, f->n * sizeof *v);
			memcpy(hash, f->hash, f->n * sizeof *hash);
		}
		f->v = v;
		f->hash = hash;
		f->cap = cap;
	}
	f->hash[f->n] = h;
	f->v[f->n++] = (struct searchq_field){text, len, kind, span};
}

/* The searchable fields of a document, in span order. */
static size_t doc_fields(const struct doc *d, struct arena *a, struct searchq_field **out)
{
	struct fields f = {0};
	for (size_t i = 0; i < d->n; i++) {
		struct record_texts whole;
		const struct record_texts *t = d->texts ? d->items[i] : &whole;
		if (!d->texts)
			record_texts_of_span(doc_span(d, i), a, &whole);
		field_add(&f, a, &t->name, FIELD_NAME, (int)i);
		field_add(&f, a, &t->input, FIELD_INPUT, (int)i);
		field_add(&f, a, &t->output, FIELD_OUTPUT, (int)i);
		field_add(&f, a, &t->status, FIELD_STATUS, (int)i);
		for (size_t e = 0; e < t->nexceptions; e++)
			field_add(&f, a, &t->exceptions[e], FIELD_EXCEPTION, (int)i);
	}
	*out = f.v;
	return f.n;
}

/* ---------- search.db ---------- */

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
}

/* The value of a one-value query, or dflt when it fails or has none. */
static int64_t int_query(sqlite3 *db, const char *sql, int64_t dflt)
{
	int64_t v = dflt;
	store_int_query(db, sql, 0, &v);
	return v;
}

static void remove_index(const char *path)
{
	char p[4300];
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		if (unlink(p) && errno != ENOENT)
			log_warn("search", "search: cannot remove %s: %s", p, strerror(errno));
	}
}

/* Opens search.db with its schema; *fresh is set if it was just created. */
static int open_index(struct search *s, int *fresh)
{
	*fresh = access(s->path, F_OK) != 0;
	if (sqlite3_open_v2(s->path, &s->idx, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL))
		return ERR_STORE;
	sqlite3_busy_timeout(s->idx, 5000);
	/* rebuildable from the store, so a lost last commit costs nothing */
	/* auto_vacuum takes on a new file only; older layouts are rebuilt */
	/* secure_delete=FAST as in the store (store.c): Debian's SQLite zeroes
	 * every freed page, and FTS5's merges free every page they read, so
	 * the zeroing was half of what the indexer wrote */
	if (exec(s->idx, "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA secure_delete=FAST; PRAGMA journal_mode=WAL;"
	                 " PRAGMA synchronous=NORMAL; PRAGMA cache_size=-2000;"))
		return ERR_STORE;
	int version = (int)int_query(s->idx, "PRAGMA user_version", -1);
	if (version != 0 && version != SEARCH_VERSION)
		return ERR_BAD_INPUT; /* another layout: rebuild */
	return exec(s->idx,
	            "BEGIN;"
	            "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, content='', detail=none, columnsize=0,"
	            " tokenize='" SEARCHQ_TOKENIZE_SQL "');"
	            /* merge 16 segments of a level at once, not 4: fewer rewrites
	             * of the same postings (less CPU, and 5% fewer bytes at 1M
	             * prose spans); a rare word still reads them in a few ms */
	            "INSERT INTO fts (fts, rank) VALUES ('automerge', 16);"
	            "CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, trace INTEGER NOT NULL);"
	            /* a trace's documents, for testing traces newest first (search_traces) and forgetting */
	            "CREATE INDEX IF NOT EXISTS docs_trace ON docs (trace, chunk);"
	            "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	            "INSERT OR IGNORE INTO state VALUES ('checkpoint', 0), ('spans', 0), ('chunks', 0), ('text_bytes', 0),"
	            /* 1 while a merge of the whole index is under way: the next process finishes it */
	            " ('tidying', 0),"
	            /* 1 once the frequent words were chosen (searchfreq.h) */
	            " ('frequent', 0), ('frequent_docs', 0);") ||
	       searchfreq_schema(s->idx) || exec(s->idx, "PRAGMA user_version = " SEARCH_VERSION_SQL "; COMMIT;");
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
}

static void close_all(struct search *s)
{
	sqlite3_stmt *sts[] = {s->chunks_st, s->max_st, s->trace_st, s->fts_st, s->doc_st, s->state_st, s->unfts_st,
	                       s->undoc_st, s->find_st, s->shape_st, s->tidy_st};
	for (size_t i = 0; i < sizeof sts / sizeof *sts; i++)
		sqlite3_finalize(sts[i]);
	spanview_close(s->view);
	searchq_tok_close(&s->tok);
	arena_free(s->frequent_arena);
	free(s->freq_docs);
	free(s->freq_last);
	sqlite3_close_v2(s->idx);
	sqlite3_close_v2(s->main);
	free(s->batch);
	free(s->batch_off);
}

/* Remembers when the store's newest chunk was first seen (for the lag). */
static void observe(struct search *s)
{
	int64_t max = 0;
	if (sqlite3_step(s->max_st) == SQLITE_ROW)
		max = sqlite3_column_int64(s->max_st, 0);
	sqlite3_reset(s->max_st);
	pthread_mutex_lock(&s->lock);
	if (max > s->checkpoint && (s->nseen == 0 || max > s->seen[s->nseen - 1].id)) {
		s->last_chunk_ns = mono_ns();
		if (s->nseen == SEEN_MAX)
			s->seen[SEEN_MAX - 1].id = max; /* keeps the older time: lag errs high */
		else
			s->seen[s->nseen++] = (struct seen){max, mono_ns()};
	}
	pthread_mutex_unlock(&s->lock);
}

static int64_t trace_key(sqlite3_stmt *st, const uint8_t *trace_id)
{
	int64_t key = 0;
	sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		key = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return key;
}

/* Whether s[0..n) holds no token: only ASCII characters that the
 * tokenizer (unicode61) separates words with, i.e. no ASCII letter or
 * digit and no non-ASCII byte. */
static int no_token(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			return 0;
	}
	return 1;
}

/* The slot of s[0..n), of hash h, in set, or -1 if not there. */
static long piece_slot(const struct pieces *set, uint64_t h, const char *s, size_t n)
{
	if (!set->slots)
		return -1;
	for (size_t i = (size_t)h & (set->slots - 1); set->v[i].text; i = (i + 1) & (set->slots - 1))
		if (set->v[i].hash == h && set->v[i].len == n && !memcmp(set->v[i].text, s, n))
			return (long)i;
	return -1;
}

/* Adds s[0..n) to set unless there (s must outlive set); returns 1 if
 * added. */
static int piece_add(struct pieces *set, struct arena *a, const char *s, size_t n)
{
	uint64_t h = text_hash(s, n);
	if (piece_slot(set, h, s, n) >= 0)
		return 0;
	if (2 * (set->n + 1) > set->slots) {
		size_t slots = set->slots ? 2 * set->slots : 64;
		struct piece *v = arena_alloc(a, slots * sizeof *v);
		memset(v, 0, slots * sizeof *v);
		for (size_t i = 0; i < set->slots; i++) {
			if (!set->v[i].text)
				continue;
			size_t j = (size_t)set->v[i].hash & (slots - 1);
			while (v[j].text)
				j = (j + 1) & (slots - 1);
			v[j] = set->v[i];
		}
		set->v = v;
		set->slots = slots;
	}
	size_t i = (size_t)h & (set->slots - 1);
	while (set->v[i].text)
		i = (i + 1) & (set->slots - 1);
	set->v[i] = (struct piece){h, s, n};
	set->n++;
	return 1;
}

/* doc_words' count of the frequent words met: the document among the
 * word's when it is the first time there. */
struct word_count {
	struct search *s;
	int64_t doc;                       /* the document's id, counted in s->freq_docs; -1: not counted */
};

static void word_frequent(void *u, size_t slot)
{
	struct word_count *c = u;
	/* repeats are met again: FTS5 keeps a word once per document, and
	 * skipping them here cost more (a set per document) than it saved */
	if (c->doc >= 0 && c->s->freq_last[slot] != c->doc) {
		c->s->freq_last[slot] = c->doc;
		c->s->freq_docs[slot]++;
	}
}

/* Writes the text a document is indexed by to out (len + 1 bytes): its
 * pieces text[0..len) (doc_pieces) as they are, or once frequent words
 * are chosen its other words, one per line, as they appear in it
 * (searchfreq_filter: each word written took its bytes and a separator in
 * text, so the result is no longer). What is indexed and what a deletion
 * hands FTS5 back must be the same bytes. doc: the id of a document being
 * indexed (its frequent words are counted), or -1. Returns the length. */
static size_t doc_words(struct search *s, const char *text, size_t len, int64_t doc, char *out)
{
	if (!s->frequent.n) {
		if (len)
			memcpy(out, text, len);
		return len;
	}
	s->docs_filtered += doc >= 0;
	struct word_count c = {.s = s, .doc = doc};
	size_t used = searchfreq_filter(&s->tok, &s->frequent, text, len, out, word_frequent, &c);
	assert(used <= len + 1);
	return used;
}

/* Joins the distinct pieces of the searchable fields of d, one per line,
 * into *text (grown as needed, caller frees); returns the length. A piece
 * is a field's text between double quotes and line ends (a chat input is
 * a JSON array of messages that repeats the earlier ones: each message is
 * a piece). Both characters separate words, so the document's set of
 * words, all a detail=none index keeps of it, is the same as the fields'
 * joined whole, and searches answer the same; pieces without a word (JSON
 * punctuation) and repeats are left out. doc_words makes the indexed text
 * of them. */
static size_t doc_pieces(const struct doc *d, struct arena *a, char **text, size_t *cap)
{
	struct searchq_field *f;
	struct pieces set = {0};
	size_t nf = doc_fields(d, a, &f), len = 0;
	for (size_t k = 0; k < nf; k++)
		len += f[k].len + 1;   /* each piece is followed by its separator or the field's end */
	if (len + 1 > *cap) {
		*cap = 2 * (len + 1);
		free(*text);
		if (!(*text = malloc(*cap)))
			abort();
	}
	len = 0;
	for (size_t k = 0; k < nf; k++) {
		const char *p = f[k].text, *end = p + f[k].len, *quote = NULL, *nl = NULL;
		while (p < end) {
			/* the next quote and line end at or after p, each searched once */
			if (!quote || quote < p)
				if (!(quote = memchr(p, '"', (size_t)(end - p))))
					quote = end;
			if (!nl || nl < p)
				if (!(nl = memchr(p, '\n', (size_t)(end - p))))
					nl = end;
			const char *q = quote < nl ? quote : nl;
			size_t n = (size_t)(q - p);
			if (n && !no_token(p, n) && piece_add(&set, a, p, n)) {
				memcpy(*text + len, p, n);
				len += n;
				(*text)[len++] = '\n';
			}
			p = q + 1;
		}
	}
	assert(len + 1 <= *cap);
	return len;
}

/* tl_batch_text(i): the text of the batch's document i (fts_st reads the
 * batch through it: no temp table to write and read back). */
static void batch_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct search *s = sqlite3_user_data(ctx);
	sqlite3_int64 i = sqlite3_value_int64(argv[0]);
	(void)argc;
	if (i < 0 || (size_t)i >= s->nbatch) {
		sqlite3_result_error(ctx, "tl_batch_text: no such document", -1);
		return;
	}
	size_t len = s->batch_off[i + 1] - s->batch_off[i];
	/* an empty text is '' as before, not NULL (batch is NULL while the batch holds no byte) */
	sqlite3_result_text(ctx, len ? s->batch + s->batch_off[i] : "", (int)len, SQLITE_STATIC);
}

/* Hands the batch's documents to FTS5 in one statement (FTS5 writes its
 * pending terms out as a new segment at every statement of a transaction,
 * the statement's savepoint: a statement per document cost a segment per
 * document and the merges of them all). Returns ERR_OK or ERR_STORE. */
static int batch_flush(struct search *s)
{
	int rc = ERR_OK;
	if (s->nbatch) {
		sqlite3_bind_int64(s->fts_st, 1, (sqlite3_int64)s->nbatch);
		sqlite3_bind_int64(s->fts_st, 2, s->next_doc - (int64_t)s->nbatch);
		rc = sqlite3_step(s->fts_st) == SQLITE_DONE ? ERR_OK : ERR_STORE;
		sqlite3_reset(s->fts_st);
	}
	s->nbatch = 0;
	return rc;
}

/* Adds document next_doc, of pieces text[0..len) (doc_pieces), to the
 * batch: its indexed text goes straight to the batch's end, and the
 * documents before it go to FTS5 first if the batch would pass
 * BATCH_TEXT with it. Returns ERR_OK or ERR_STORE. */
static int batch_add(struct search *s, const char *text, size_t len)
{
	size_t used = s->batch_off[s->nbatch];
	if (s->nbatch + 2 > s->off_cap) {
		s->off_cap = 2 * (s->nbatch + 2);
		if (!(s->batch_off = realloc(s->batch_off, s->off_cap * sizeof *s->batch_off)))
			abort();
	}
	if (used + len + 1 > s->batch_cap) {
		/* kept while the indexer is busy (batch_release once caught up):
		 * growing it for every batch cost 4% of the indexer's time */
		s->batch_cap = used + len + 1 > BATCH_TEXT ? 2 * (used + len + 1) : BATCH_TEXT + (64u << 10);
		if (!(s->batch = realloc(s->batch, s->batch_cap)))
			abort();
	}
	size_t n = doc_words(s, text, len, s->next_doc, s->batch + used);
	int rc = ERR_OK;
	if (used + n > BATCH_TEXT && s->nbatch) {
		rc = batch_flush(s);
		memmove(s->batch, s->batch + used, n);
		used = 0;
	}
	s->batch_off[++s->nbatch] = used + n;
	return rc;
}

/* Gives the batch's buffer back (BATCH_TEXT and a document at most) once
 * the indexer caught up. */
static void batch_release(struct search *s)
{
	assert(s->nbatch == 0);
	free(s->batch);
	s->batch = NULL;
	s->batch_cap = 0;
}

/* Sets search.db's state key to v. Returns ERR_OK or ERR_STORE. */
static int state_set(struct search *s, const char *key, int64_t v)
{
	sqlite3_bind_text(s->state_st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->state_st, 2, v);
	int rc = sqlite3_step(s->state_st) == SQLITE_DONE ? ERR_OK : ERR_STORE;
	sqlite3_reset(s->state_st);
	return rc;
}

/* FTS5's merges free the pages of the segments they merged: gives them
 * back once they are a noticeable part of the file. */
static void give_back(struct search *s)
{
	if (int_query(s->idx, "PRAGMA freelist_count", 0) * 32 > int_query(s->idx, "PRAGMA page_count", 0))
		exec(s->idx, "PRAGMA incremental_vacuum");
}

/* searchfreq_load's callback: one more word left out. */
static void frequent_add(void *u, const char *w, size_t n)
{
	struct search *s = u;
	if (n)
		searchfreq_set_add(&s->frequent, s->frequent_arena, arena_strndup(s->frequent_arena, w, n), n);
}

/* Reads the words left out into s->frequent. Returns ERR_OK or ERR_STORE. */
static int load_frequent(struct search *s)
{
	arena_free(s->frequent_arena);
	s->frequent_arena = arena_new();
	memset(&s->frequent, 0, sizeof s->frequent);
	int rc = searchfreq_load(s->idx, frequent_add, s);
	free(s->freq_docs);
	free(s->freq_last);
	s->freq_docs = calloc(s->frequent.slots + 1, sizeof *s->freq_docs);
	s->freq_last = calloc(s->frequent.slots + 1, sizeof *s->freq_last);
	if (!s->freq_docs || !s->freq_last)
		abort();
	s->docs_filtered = 0;
	return rc;
}

/* Whether a frequent word turned rare: in less than half the share that
 * made it frequent among the sample's worth of documents indexed since,
 * once the index has doubled since the choice (so all the indexing again
 * this causes is at most as much as the index itself). A search for such
 * a word tests every trace on its text. */
static int frequent_drifted(const struct search *s)
{
	if (!s->frequent.n || s->docs_filtered < s->freq.sample_docs || s->next_doc - 1 < 2 * s->chosen_docs)
		return 0;
	for (size_t i = 0; i < s->frequent.slots; i++)
		if (s->frequent.v[i].len && s->freq_docs[i] * 200 < (int64_t)s->freq.percent * s->docs_filtered)
			return 1;
	return 0;
}

/* Takes the words that turned rare (frequent_drifted) out of the
 * frequent table, in the caller's transaction. Returns how many, or
 * ERR_STORE. */
static int64_t drop_drifted(struct search *s)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	if (sqlite3_prepare_v2(s->idx, "DELETE FROM frequent WHERE word = ?1", -1, &st, NULL))
		return ERR_STORE;
	for (size_t i = 0; i < s->frequent.slots && n >= 0; i++) {
		const struct searchfreq_slot *p = &s->frequent.v[i];
		if (!p->len || s->freq_docs[i] * 200 >= (int64_t)s->freq.percent * s->docs_filtered)
			continue;
		sqlite3_bind_text(st, 1, p->word, (int)p->len, SQLITE_STATIC);
		n = sqlite3_step(st) == SQLITE_DONE ? n + 1 : ERR_STORE;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return n;
}

/* Chooses the frequent words from the documents indexed so far (keeping
 * those chosen before unless they turned rare) and starts the index over
 * without them: the first choice indexes its sample, a few seconds of
 * ingest, twice. Returns ERR_OK or ERR_STORE. */
static int choose_frequent(struct search *s)
{
	int64_t ndocs = int_query(s->idx, "SELECT count(*) FROM docs", 0), words, dropped = 0;
	if (ndocs < s->freq.sample_docs)
		return ERR_OK; /* documents were deleted: wait for more */
	if (exec(s->idx, "BEGIN"))
		return ERR_STORE;
	sqlite3_bind_text(s->state_st, 1, "frequent_docs", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->state_st, 2, ndocs);
	int rc = sqlite3_step(s->state_st) == SQLITE_DONE ? ERR_OK : ERR_STORE;
	sqlite3_reset(s->state_st);
	if (rc || (s->frequent.n && (dropped = drop_drifted(s)) < 0) ||
	    (words = searchfreq_choose(s->idx, ndocs, s->freq.percent)) < 0 ||
	    exec(s->idx, "INSERT INTO fts (fts) VALUES ('delete-all'); DELETE FROM docs;"
	                 " UPDATE state SET value = 0 WHERE key IN ('checkpoint', 'spans', 'chunks', 'text_bytes', 'tidying');"
	                 " UPDATE state SET value = 1 WHERE key = 'frequent'; COMMIT;")) {
		exec(s->idx, "ROLLBACK");
		return ERR_STORE;
	}
	if (load_frequent(s))
		return ERR_STORE;
	s->chose = 1;
	s->chosen_docs = ndocs;
	s->next_doc = 1;
	s->stale = 1;
	pthread_mutex_lock(&s->lock);
	s->checkpoint = s->indexed_spans = s->indexed_chunks = s->text_bytes = 0;
	s->tidying = 0;
	s->nfrequent = (int64_t)s->frequent.n;
	pthread_mutex_unlock(&s->lock);
	give_back(s);
	log_info("search", "search: %zu words are in more than %d%% of the documents (%lld more in the %lld indexed, %lld"
	         " no longer); indexing again without them", s->frequent.n, s->freq.percent, (long long)words,
	         (long long)ndocs, (long long)dropped);
	return ERR_OK;
}

/* Indexes the next chunks past the checkpoint in one transaction, after
 * choosing the frequent words once the sample is indexed.
 * Returns the number of chunks indexed (0 = caught up) or ERR_STORE. */
static int index_batch(struct search *s)
{
	if (((!s->chose && s->freq.percent && s->next_doc > s->freq.sample_docs) || frequent_drifted(s)) &&
	    choose_frequent(s))
		return ERR_STORE;

	int64_t ckpt = s->checkpoint, spans = 0, nchunks = 0, bytes = 0, first = s->next_doc;
	struct arena *a = spanview_arena(s->view);
	int rc = exec(s->idx, "BEGIN");
	char *text = NULL;
	size_t cap = 0;
	assert(s->nbatch == 0);
	sqlite3_bind_int64(s->chunks_st, 1, ckpt);
	while (!rc && spans < BATCH_SPANS && sqlite3_step(s->chunks_st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s->chunks_st, 0);
		struct doc *docs;
		long nd = chunk_docs(s->view, id, 1, &docs);
		for (long i = 0; i < nd && !rc; i++) {
			size_t len = doc_pieces(&docs[i], a, &text, &cap);
			rc = batch_add(s, text, len);
			bytes += (int64_t)(s->batch_off[s->nbatch] - s->batch_off[s->nbatch - 1]);
			sqlite3_bind_int64(s->doc_st, 1, s->next_doc++);
			sqlite3_bind_int64(s->doc_st, 2, id);
			sqlite3_bind_int64(s->doc_st, 3, trace_key(s->trace_st, docs[i].trace_id));
			if (sqlite3_step(s->doc_st) != SQLITE_DONE)
				rc = ERR_STORE;
			sqlite3_reset(s->doc_st);
			spans += (int64_t)docs[i].n;
		}
		if (nd < 0)
			log_warn("search", "search: chunk %lld is corrupt, not indexed", (long long)id);
		ckpt = id;
		nchunks++;
		spanview_reset(s->view);
		a = spanview_arena(s->view);
	}
	sqlite3_reset(s->chunks_st);
	free(text);
	if (!rc)
		rc = batch_flush(s);
	s->nbatch = 0;
	pthread_mutex_lock(&s->lock);
	int64_t total_spans = s->indexed_spans + spans, total_chunks = s->indexed_chunks + nchunks,
		total_bytes = s->text_bytes + bytes;
	pthread_mutex_unlock(&s->lock);
	if (!rc && nchunks)
		rc = state_set(s, "checkpoint", ckpt) || state_set(s, "spans", total_spans) ||
		     state_set(s, "chunks", total_chunks) || state_set(s, "text_bytes", total_bytes);
	if (!rc)
		rc = exec(s->idx, "COMMIT");
	if (rc) {
		exec(s->idx, "ROLLBACK");
		s->next_doc = first;
		return ERR_STORE;
	}
	if (nchunks)
		give_back(s);
	pthread_mutex_lock(&s->lock);
	s->checkpoint = ckpt;
	s->indexed_spans = total_spans;
	s->indexed_chunks = total_chunks;
	s->text_bytes = total_bytes;
	int drop = 0;
	while (drop < s->nseen && s->seen[drop].id <= ckpt)
		drop++;
	memmove(s->seen, s->seen + drop, (size_t)(s->nseen - drop) * sizeof s->seen[0]);
	s->nseen -= drop;
	pthread_mutex_unlock(&s->lock);
	return (int)nchunks;
}

/* An SQLite varint (groups of 7 bits, most significant first; a 9th byte
 * counts whole) at p[*i], p holding n bytes; -1 if cut short. */
static int64_t fts_varint(const uint8_t *p, size_t n, size_t *i)
{
	uint64_t v = 0;
	for (int k = 0; k < 9; k++) {
		if (*i >= n)
			return -1;
		uint8_t c = p[(*i)++];
		if (k == 8)
			return (int64_t)(((v << 8) | c) & INT64_MAX);
		v = (v << 7) | (c & 0x7f);
		if (!(c & 0x80))
			return (int64_t)v;
	}
	return -1;
}

/* Reads the index's segments from FTS5's structure record (fts_data row
 * 10: a 4-byte cookie, the levels, segments and write counter, and per
 * level its merge state and segment count, per segment its id and first
 * and last leaf page) and the pages in use into *sh. SQLite 3.44 and
 * later write that layout for this index too (checked with 3.46); the
 * one they mark FF 00 00 01 after the cookie, for tables with tombstones
 * (contentless_delete), is not read. Returns ERR_OK, or ERR_STORE with
 * sh->segments -1 if unreadable (no tidy then starts). */
static int shape_read(struct search *s, struct shape *sh)
{
	static const uint8_t v2[4] = {0xff, 0x00, 0x00, 0x01};
	int rc = ERR_STORE;
	*sh = (struct shape){.segments = -1};
	if (sqlite3_step(s->shape_st) == SQLITE_ROW) {
		const uint8_t *p = sqlite3_column_blob(s->shape_st, 0);
		size_t n = (size_t)sqlite3_column_bytes(s->shape_st, 0), i = 4;
		int tombstones = n >= 8 && !memcmp(p + 4, v2, 4);
		int64_t levels = fts_varint(p, n, &i), segments = fts_varint(p, n, &i), pages = 0, largest = 0, seen = 0;
		int ok = !tombstones && levels >= 0 && levels <= 64 && segments >= 0 && fts_varint(p, n, &i) >= 0;
		for (int64_t l = 0; ok && l < levels; l++) {
			int64_t merging = fts_varint(p, n, &i), nseg = fts_varint(p, n, &i);
			ok = merging >= 0 && nseg >= 0 && nseg <= segments - seen;
			for (int64_t k = 0; ok && k < nseg; k++) {
				int64_t id = fts_varint(p, n, &i), first = fts_varint(p, n, &i), last = fts_varint(p, n, &i);
				/* a segment a merge step emptied has first and last page 0 */
				ok = ok && id >= 0 && first >= 0 && (last == 0 || last >= first);
				int64_t size = last ? last - first + 1 : 0;
				pages += size;
				largest = size > largest ? size : largest;
			}
			seen += nseg;
		}
		if (ok && seen == segments) {
			*sh = (struct shape){segments, pages, largest, 0};
			rc = ERR_OK;
		}
	} else {
		/* a new index has no structure record yet: no segment */
		*sh = (struct shape){0};
		rc = ERR_OK;
	}
	sqlite3_reset(s->shape_st);
	sh->bytes = (int_query(s->idx, "PRAGMA page_count", 0) - int_query(s->idx, "PRAGMA freelist_count", 0)) *
	            int_query(s->idx, "PRAGMA page_size", 0);
	pthread_mutex_lock(&s->lock);
	s->shape = *sh;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Whether merging the whole index is due (see TIDY_PAGES). */
static int tidy_due(const struct shape *sh)
{
	return sh->segments > 1 && sh->pages - sh->largest >= sh->largest;
}

/* Called under work when no chunk is pending: reads the index's shape if
 * documents came or went, starts a tidy if one is due, and, once no chunk
 * came for TIDY_QUIET_MS, runs one step of a tidy under way (FTS5's
 * ('merge', -N): an optimize N leaf pages at a time, each step resuming
 * where the structure record says the last one stopped, across restarts
 * too). Returns 1 if another step follows. */
static int tidy(struct search *s)
{
	struct shape sh;
	if (s->stale) {
		s->stale = 0;
		/* recorded, since the structure of a merge cut short may not show one due */
		if (!shape_read(s, &sh) && tidy_pages && !s->tidying && tidy_due(&sh) && !state_set(s, "tidying", 1)) {
			pthread_mutex_lock(&s->lock);
			s->tidying = 1;
			pthread_mutex_unlock(&s->lock);
		}
	}
	if (!s->tidying || mono_ns() - s->last_batch_ns < (uint64_t)tidy_quiet_ms * 1000000ull)
		return 0;
	int before = sqlite3_total_changes(s->idx), rc;
	sqlite3_bind_int64(s->tidy_st, 1, -(int64_t)tidy_pages);
	rc = sqlite3_step(s->tidy_st) == SQLITE_DONE ? ERR_OK : ERR_STORE;
	sqlite3_reset(s->tidy_st);
	if (rc)
		log_error("search", "search: merging the index failed: %s", sqlite3_errmsg(s->idx));
	/* FTS5's own test: a step that wrote fewer than 2 rows found nothing to merge */
	int wrote = sqlite3_total_changes(s->idx) - before >= 2;
	rc = rc ? rc : shape_read(s, &sh);
	int more = !rc && wrote && sh.segments > 1;
	if (!more && !rc) {
		state_set(s, "tidying", 0);
		give_back(s);
		shape_read(s, &sh);
	}
	pthread_mutex_lock(&s->lock);
	s->tidy_steps++;
	s->tidies += !more && !rc;
	s->tidying = more;
	pthread_mutex_unlock(&s->lock);
	return more;
}

/* Whether the indexer leaves the waiting chunks for later now (DEFER_MS):
 * ingest goes on and the oldest waiting chunk is younger than defer_ms,
 * or younger than half of it after it reached defer_ms. */
static int defer_for_ingest(struct search *s)
{
	uint64_t now = mono_ns(), limit = (uint64_t)defer_ms * 1000000ull;
	pthread_mutex_lock(&s->lock);
	int waiting = s->nseen > 0;
	uint64_t age = waiting ? now - s->seen[0].ns : 0;
	int ingesting = waiting && now - s->last_chunk_ns < INGEST_QUIET_MS * 1000000ull;
	if (!ingesting || age >= limit)
		s->catching_up = ingesting;
	else if (age < limit / 2)
		s->catching_up = 0;
	s->deferring = limit && ingesting && !s->catching_up;
	int defer = s->deferring;
	pthread_mutex_unlock(&s->lock);
	return defer;
}

static void *indexer_main(void *arg)
{
	struct search *s = arg;
	/* ingest comes first: the indexer may trail and catch up */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_lock(&s->work);   /* s->main is one connection: one thread at a time */
		observe(s);
		int wait = s->paused || defer_for_ingest(s);
		int n = wait ? 0 : index_batch(s), more = 0;
		if (n > 0) {
			s->stale = 1;
			s->last_batch_ns = mono_ns();
			pthread_mutex_lock(&s->lock);
			s->tidy_yields += s->tidying;
			pthread_mutex_unlock(&s->lock);
		} else if (n == 0 && !wait) {
			batch_release(s);
			more = tidy(s);   /* one step: new chunks are looked for before the next */
		}
		pthread_mutex_unlock(&s->work);
		if (n < 0)
			log_error("search", "search: indexing failed: %s", sqlite3_errmsg(s->idx));
		pthread_mutex_lock(&s->lock);
		if (n <= 0 && !more && !s->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			uint64_t ns = (uint64_t)until.tv_nsec + (n < 0 ? 1000 : POLL_MS) * 1000000ull;
			until.tv_sec += (time_t)(ns / 1000000000ull);
			until.tv_nsec = (long)(ns % 1000000000ull);
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct search *search_start(const char *dir, char *err, size_t errlen)
{
	struct search *s = calloc(1, sizeof *s);
	char e[256];
	int fresh = 0;
	if (!s)
		abort();
	if ((size_t)snprintf(s->path, sizeof s->path, "%s/search.db", dir) >= sizeof s->path) {
		free(s);
		err_set(err, errlen, ERR_BAD_INPUT, "data directory path too long");
		return NULL;
	}
	/* 1 MB of page cache, not a reader's 4: the indexer reads each chunk
	 * once, so chunk pages filled the cache and pushed out the rest */
	if (store_open_reader(dir, &s->main, e, sizeof e) || exec(s->main, "PRAGMA cache_size=-1000")) {
		sqlite3_close_v2(s->main);
		free(s);
		err_set(err, errlen, ERR_STORE, "search: %s", e);
		return NULL;
	}
	if (!(s->batch_off = calloc(2, sizeof *s->batch_off)))
		abort();
	s->off_cap = 2;
	int rc = open_index(s, &fresh);
	int64_t ckpt = rc ? 0 : int_query(s->idx, "SELECT value FROM state WHERE key = 'checkpoint'", 0);
	/* an index of another store (or an older layout) is rebuilt from scratch */
	if (rc || ckpt > int_query(s->main, "SELECT coalesce(max(id), 0) FROM chunks", 0)) {
		log_warn("search", "search: %s does not match the store, rebuilding it", s->path);
		sqlite3_close_v2(s->idx);
		s->idx = NULL;
		remove_index(s->path);
		rc = open_index(s, &fresh);
	}
	if (!rc)
		rc = spanview_open(s->main, &s->view) || searchq_tok_open(s->idx, &s->tok) ||
		     load_frequent(s) ||
		     prepare(s->main, "SELECT id FROM chunks WHERE id > ?1 ORDER BY id LIMIT " BATCH_CHUNKS,
		             &s->chunks_st) ||
		     prepare(s->main, "SELECT max(id) FROM chunks", &s->max_st) ||
		     prepare(s->main, "SELECT key FROM traces WHERE trace_id = ?1", &s->trace_st) ||
		     sqlite3_create_function(s->idx, "tl_batch_text", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, s, batch_text,
		                             NULL, NULL) != SQLITE_OK ||
		     prepare(s->idx, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)"
		                     " INSERT INTO fts (rowid, text) SELECT ?2 + i, tl_batch_text(i) FROM n", &s->fts_st) ||
		     prepare(s->idx, "INSERT OR REPLACE INTO docs (id, chunk, trace) VALUES (?1, ?2, ?3)", &s->doc_st) ||
		     prepare(s->idx, "SELECT id FROM docs WHERE trace = ?1 AND chunk = ?2 ORDER BY id LIMIT 1",
		             &s->find_st) ||
		     prepare(s->idx, "UPDATE state SET value = ?2 WHERE key = ?1", &s->state_st) ||
		     prepare(s->idx, "INSERT INTO fts (fts, rowid, text) VALUES ('delete', ?1, ?2)", &s->unfts_st) ||
		     prepare(s->idx, "DELETE FROM docs WHERE id = ?1", &s->undoc_st) ||
		     prepare(s->idx, "SELECT block FROM fts_data WHERE id = 10", &s->shape_st) ||
		     prepare(s->idx, "INSERT INTO fts (fts, rank) VALUES ('merge', ?1)", &s->tidy_st);
	if (rc) {
		err_set(err, errlen, ERR_STORE, "search: cannot open %s: %s", s->path,
		        s->idx ? sqlite3_errmsg(s->idx) : "out of memory");
		close_all(s);
		free(s);
		return NULL;
	}
	if (fresh)
		log_info("search", "search: building %s", s->path);
	s->checkpoint = int_query(s->idx, "SELECT value FROM state WHERE key = 'checkpoint'", 0);
	s->next_doc = int_query(s->idx, "SELECT coalesce(max(id), 0) + 1 FROM docs", 1);
	s->indexed_spans = int_query(s->idx, "SELECT value FROM state WHERE key = 'spans'", 0);
	s->indexed_chunks = int_query(s->idx, "SELECT value FROM state WHERE key = 'chunks'", 0);
	s->text_bytes = int_query(s->idx, "SELECT value FROM state WHERE key = 'text_bytes'", 0);
	s->chose = int_query(s->idx, "SELECT value FROM state WHERE key = 'frequent'", 0) == 1;
	s->chosen_docs = int_query(s->idx, "SELECT value FROM state WHERE key = 'frequent_docs'", 0);
	s->nfrequent = (int64_t)s->frequent.n;
	searchfreq_settings(&s->freq);
	const char *pause = getenv("TRACELITE_SEARCH_PAUSE");
	s->paused = pause && *pause && strcmp(pause, "0");
	max_candidates = (long)env_i64("TRACELITE_SEARCH_MAX_CANDIDATES", 1, MAX_CANDIDATES, MAX_CANDIDATES);
	tidy_pages = (long)env_i64("TRACELITE_SEARCH_TIDY_PAGES", 0, 1 << 16, TIDY_PAGES);
	tidy_quiet_ms = (long)env_i64("TRACELITE_SEARCH_TIDY_QUIET_MS", 0, 600000, TIDY_QUIET_MS);
	defer_ms = (long)env_i64("TRACELITE_SEARCH_DEFER_MS", 0, 600000, DEFER_MS);
	s->tidying = tidy_pages && int_query(s->idx, "SELECT value FROM state WHERE key = 'tidying'", 0);
	s->last_batch_ns = mono_ns();   /* a start may have a backlog: no merge in its first quiet period */
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->work, NULL);
	pthread_cond_init(&s->wake, NULL);
	struct shape sh;
	shape_read(s, &sh);
	s->stale = 1;   /* a tidy may be due, or was under way when the last process stopped */
	if (pthread_create(&s->thread, NULL, indexer_main, s))
		abort();
	pthread_setname_np(s->thread, "tl-search-index");
	return s;
}

void search_stop(struct search *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	sqlite3_wal_checkpoint_v2(s->idx, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	close_all(s);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->work);
	pthread_cond_destroy(&s->wake);
	free(s);
}

/* qsort order of victim pointers: by chunk */
static int victim_cmp(const void *a, const void *b)
{
	const struct retention_victim *x = *(const struct retention_victim *const *)a;
	const struct retention_victim *y = *(const struct retention_victim *const *)b;
	return (x->chunk > y->chunk) - (x->chunk < y->chunk);
}

void search_forget(struct search *s, const struct retention_victim *v, size_t n)
{
	char *text = NULL;
	size_t cap = 0;
	int64_t spans = 0, removed = 0;
	int64_t need = 0, ckpt;
	for (size_t i = 0; i < n; i++)
		need = v[i].chunk > need ? v[i].chunk : need;
	pthread_mutex_lock(&s->work);
	/* index the victims' chunks first if the indexer trails: indexed after
	 * this, their documents would outlive the traces */
	for (int k = 0; k < 10000; k++) {
		pthread_mutex_lock(&s->lock);
		ckpt = s->checkpoint;
		pthread_mutex_unlock(&s->lock);
		if (ckpt >= need || s->paused || index_batch(s) <= 0)
			break;
	}
	/* in chunk order, so a chunk several victims share is read once */
	const struct retention_victim **by_chunk = malloc((n ? n : 1) * sizeof *by_chunk);
	if (!by_chunk)
		abort();
	for (size_t i = 0; i < n; i++)
		by_chunk[i] = &v[i];
	qsort(by_chunk, n, sizeof *by_chunk, victim_cmp);
	int rc = exec(s->idx, "BEGIN");
	for (size_t k = 0; k < n && !rc; k++) {
		const struct retention_victim *vi = by_chunk[k];
		struct doc *docs;
		if (vi->chunk > ckpt)
			continue; /* not indexed (paused): the indexer finds the chunk gone */
		long nd = chunk_docs(s->view, vi->chunk, 1, &docs);
		for (long d = 0; d < nd && !rc; d++) {
			if (memcmp(docs[d].trace_id, vi->trace_id, 16))
				continue;
			/* its document: the trace's first one left in the chunk (they
			 * were numbered in group order, and each goes as it is found) */
			int64_t doc = 0;
			sqlite3_bind_int64(s->find_st, 1, trace_key(s->trace_st, docs[d].trace_id));
			sqlite3_bind_int64(s->find_st, 2, vi->chunk);
			if (sqlite3_step(s->find_st) == SQLITE_ROW)
				doc = sqlite3_column_int64(s->find_st, 0);
			sqlite3_reset(s->find_st);
			if (!doc)
				continue; /* not indexed */
			size_t len = doc_pieces(&docs[d], spanview_arena(s->view), &text, &cap);
			char *words = arena_alloc_raw(spanview_arena(s->view), len + 1);
			len = doc_words(s, text, len, -1, words);
			sqlite3_bind_int64(s->unfts_st, 1, doc);
			sqlite3_bind_text(s->unfts_st, 2, words, (int)len, SQLITE_STATIC);
			sqlite3_bind_int64(s->undoc_st, 1, doc);
			if (sqlite3_step(s->unfts_st) != SQLITE_DONE || sqlite3_step(s->undoc_st) != SQLITE_DONE)
				rc = ERR_STORE;
			sqlite3_reset(s->unfts_st);
			sqlite3_reset(s->undoc_st);
			spans += (int64_t)docs[d].n;
			removed++;
		}
		if (k + 1 == n || by_chunk[k + 1]->chunk != vi->chunk)
			spanview_reset(s->view);
	}
	free(by_chunk);
	pthread_mutex_lock(&s->lock);
	int64_t total = s->indexed_spans - spans;
	pthread_mutex_unlock(&s->lock);
	if (!rc && removed) {
		rc = state_set(s, "spans", total > 0 ? total : 0);
	}
	if (!rc)
		rc = exec(s->idx, "COMMIT");
	if (rc) {
		fprintf(stderr, "tracelite: search: forgetting deleted traces failed: %s\n", sqlite3_errmsg(s->idx));
		exec(s->idx, "ROLLBACK");
	} else if (removed) {
		pthread_mutex_lock(&s->lock);
		s->indexed_spans = total > 0 ? total : 0;
		pthread_mutex_unlock(&s->lock);
		/* FTS5 records a deletion as a new entry that cancels the old one
		 * only when both meet in one merged segment, so the index does not
		 * shrink by itself: once a quarter of the documents went since the
		 * last time, merge it all (optimize; the indexer waits meanwhile,
		 * ingest does not); the freed pages and the WAL go back at the
		 * retention's next reclaim (search_reclaim), once per round of
		 * batches rather than with a checkpoint's fsyncs per batch */
		s->forgotten += removed;
		int64_t live = int_query(s->idx, "SELECT count(*) FROM docs", 0);
		if (live == 0)
			exec(s->idx, "INSERT INTO fts (fts) VALUES ('delete-all')");
		else if (s->forgotten * 4 >= live)
			exec(s->idx, "INSERT INTO fts (fts) VALUES ('optimize')");
		else
			exec(s->idx, "INSERT INTO fts (fts, rank) VALUES ('merge', 64)");
		if (live == 0 || s->forgotten * 4 >= live)
			s->forgotten = 0;
		s->stale = 1;
	}
	free(text);
	pthread_mutex_unlock(&s->work);
}

void search_reclaim(struct search *s)
{
	pthread_mutex_lock(&s->work);
	exec(s->idx, "PRAGMA incremental_vacuum");
	sqlite3_wal_checkpoint_v2(s->idx, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	pthread_mutex_unlock(&s->work);
}

void search_status(struct search *s, sqlite3 *db, struct search_status *st)
{
	int64_t max = int_query(db, "SELECT coalesce(max(id), 0) FROM chunks", 0);
	pthread_mutex_lock(&s->lock);
	st->indexed_spans = s->indexed_spans;
	st->indexed_text_bytes = s->text_bytes;
	st->pending_chunks = max > s->checkpoint ? max - s->checkpoint : 0;
	int64_t per_chunk = s->indexed_chunks ? (s->indexed_spans + s->indexed_chunks - 1) / s->indexed_chunks : 1;
	st->pending_spans = st->pending_chunks * (per_chunk ? per_chunk : 1);
	st->lag_seconds = st->pending_chunks && s->nseen ? (double)(mono_ns() - s->seen[0].ns) / 1e9 : 0;
	st->segments = s->shape.segments;
	st->index_bytes = s->shape.bytes;
	st->tidying = s->tidying;
	st->tidies = s->tidies;
	st->tidy_steps = s->tidy_steps;
	st->tidy_yields = s->tidy_yields;
	st->frequent_words = s->nfrequent;
	st->deferring = s->deferring && st->pending_chunks;
	pthread_mutex_unlock(&s->lock);
}

/* ---------- queries ---------- */

static pthread_key_t tok_key;
static pthread_once_t tok_once = PTHREAD_ONCE_INIT;

static void tok_free(void *p)
{
	searchq_tok_close(p);
	free(p);
}

static void tok_key_init(void)
{
	pthread_key_create(&tok_key, tok_free);
}

struct searchq_tok *search_thread_tok(sqlite3 *db)
{
	pthread_once(&tok_once, tok_key_init);
	struct searchq_tok *t = pthread_getspecific(tok_key);
	if (t)
		return t;
	t = malloc(sizeof *t);
	if (!t)
		abort();
	if (searchq_tok_open(db, t)) {
		free(t);
		return NULL;
	}
	pthread_setspecific(tok_key, t);
	return t;
}

/* Attaches dir/search.db to db (read-only, like db) once it exists.
 * Returns 1 if attached. */
static int attach(sqlite3 *db, const char *dir)
{
	char path[4200];
	if (sqlite3_db_filename(db, "search"))
		return 1;
	snprintf(path, sizeof path, "%s/search.db", dir);
	if (access(path, F_OK))
		return 0;
	sqlite3_stmt *st;
	int ok = 0;
	if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS search", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return ok;
}

/* One search request's state. */
struct run {
	sqlite3 *db;
	struct searchq_tok *tok;
	const struct searchq *q;
	const struct trace_filter *f;
	sqlite3_stmt *chunks_st, *docs_st, *probe_st, *trace_st, *main_key_st;
	struct spanview *view;     /* reads a trace's chunks, one at a time */
	int64_t ckpt;              /* chunks up to here are in the index */
	int indexed;
	const char *fts;           /* q's MATCH expression over the index's words; NULL: none narrows q */
	long examined;             /* documents read and tested, at most max_candidates */
};

static cJSON *matches_json(const struct doc *d, const struct searchq_field *f, const struct searchq_hit *h,
                           size_t nh, struct arena *a)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0, listed = 0; i < nh && listed < MATCHES_MAX; listed++) {
		size_t j = i;
		while (j < nh && h[j].field == h[i].field)
			j++;
		const struct searchq_field *fd = &f[h[i].field];
		const Tl__Span *sp = doc_span(d, fd->span);
		cJSON *m = cJSON_CreateObject();
		char hex[17] = "";
		if (sp->span_id.len == 8)
			id_to_hex(sp->span_id.data, 8, hex);
		cJSON_AddStringToObject(m, "span_id", hex);
		cJSON_AddStringToObject(m, "span_name", sp->name);
		cJSON_AddStringToObject(m, "field", field_names[fd->kind]);
		cJSON_AddStringToObject(m, "snippet", searchq_snippet(fd->text, fd->len, h + i, j - i, a));
		cJSON_AddItemToArray(arr, m);
		i = j;
	}
	return arr;
}

/* Whether the index may hold a match for trace key: 1 if one of its
 * indexed documents is an FTS5 candidate, or it has spans in chunks the
 * index has not reached; 0 if it cannot match; ERR_STORE. Cheap (index
 * lookups only), so walking many traces reads few chunks. */
static int index_may_match(struct run *r, int64_t key)
{
	int found = 0, rc;
	sqlite3_bind_int64(r->chunks_st, 1, key);
	sqlite3_bind_int64(r->chunks_st, 2, r->ckpt);
	rc = sqlite3_step(r->chunks_st);
	found = rc == SQLITE_ROW; /* a chunk past the checkpoint: only the text can tell */
	sqlite3_reset(r->chunks_st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ERR_STORE;
	if (found || !r->indexed || !r->fts)
		return 1;
	sqlite3_bind_int64(r->docs_st, 1, key);
	while (!found && (rc = sqlite3_step(r->docs_st)) == SQLITE_ROW) {
		sqlite3_bind_int64(r->probe_st, 2, sqlite3_column_int64(r->docs_st, 0));
		int p = sqlite3_step(r->probe_st);
		found = p == SQLITE_ROW;
		sqlite3_reset(r->probe_st);
		if (p != SQLITE_ROW && p != SQLITE_DONE)
			rc = p;
	}
	sqlite3_reset(r->docs_st);
	return found ? 1 : rc == SQLITE_DONE ? 0 : ERR_STORE;
}

/* A span of the trace being tested: where it is stored and its record. */
struct entry {
	int64_t chunk;
	uint8_t span_id[8];
	const Tl__Span *otlp;
};

static int entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	if (a->chunk != b->chunk)
		return a->chunk < b->chunk ? -1 : 1;
	return memcmp(a->span_id, b->span_id, 8);
}

/* The trace's documents as chunk_docs makes them (one per chunk holding its
 * spans, newest chunk first, spans in entry order), but with only the
 * trace's own records unpacked: a chunk holds up to 256 spans of many
 * traces, and unpacking them all was most of a common word's search.
 * Returns the count (arrays in r->view's arena), or ERR_STORE. */
static long trace_docs(struct run *r, int64_t key, const uint8_t *trace_id, struct doc **out)
{
	struct arena *a = spanview_arena(r->view);
	struct stored_span s;
	size_t n = 0, cap = 16;
	int more;
	struct entry *e = malloc(cap * sizeof *e);
	struct doc *d = NULL;
	long nd = 0;
	if (!e)
		abort();
	if (spanview_trace(r->view, trace_id, SPANVIEW_BY_START, 0, -1)) {
		nd = ERR_STORE;
		goto out;
	}
	while ((more = spanview_next(r->view, &s)) == 1) {
		if (n == cap) {
			cap *= 2;
			e = realloc(e, cap * sizeof *e);
			if (!e)
				abort();
		}
		e[n].chunk = s.chunk;
		memcpy(e[n].span_id, s.span_id, 8);
		e[n++].otlp = s.otlp;
	}
	if (more < 0) {
		nd = ERR_STORE;
		goto out;
	}
	qsort(e, n, sizeof *e, entry_cmp);
	d = arena_alloc(a, (n ? n : 1) * sizeof *d);
	const void **spans = arena_alloc(a, (n ? n : 1) * sizeof *spans);
	size_t used = 0;
	int rc;
	sqlite3_stmt *st = r->trace_st;
	sqlite3_bind_int64(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct entry want = {.chunk = sqlite3_column_int64(st, 0)}, *hit;
		if (sqlite3_column_bytes(st, 2) != 8)
			continue;
		memcpy(want.span_id, sqlite3_column_blob(st, 2), 8);
		hit = n ? bsearch(&want, e, n, sizeof *e, entry_cmp) : NULL;
		if (!hit)
			continue;   /* not in the view (both read in one transaction: cannot happen) */
		if (!hit->otlp) {
			log_warn("search", "search: chunk %lld entry %d: stored record unreadable, not indexed",
			         (long long)want.chunk, sqlite3_column_int(st, 1));
			continue;
		}
		struct doc *cur = nd ? &d[nd - 1] : NULL;
		if (!cur || cur->rowid / 256 != want.chunk) {
			cur = &d[nd++];
			cur->rowid = want.chunk * 256 + sqlite3_column_int64(st, 1);
			cur->trace_id = trace_id;
			cur->items = spans + used;
			cur->texts = 0;
			cur->n = 0;
		}
		assert(used < n);
		spans[used++] = hit->otlp;
		cur->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		nd = ERR_STORE;
out:
	free(e);
	*out = d;
	return nd;
}

/* Tests the trace (key, trace_id) against q document by document (one
 * per chunk holding its spans, newest chunk first), reading the text.
 * Returns 1 with *matches set for the first matching document, 0 if none
 * matches, or ERR_STORE. Counts the documents in r->examined. Chunks stay
 * cached in r->view up to QUERY_EACH_CACHE bytes. */
static int trace_match(struct run *r, int64_t key, const uint8_t *trace_id, cJSON **matches)
{
	struct doc *docs;
	int hit = 0;
	*matches = NULL;
	long nd = trace_docs(r, key, trace_id, &docs);
	if (nd < 0)
		return ERR_STORE;
	struct arena *a = spanview_arena(r->view);
	for (long i = 0; i < nd && !hit; i++) {
		struct searchq_field *f;
		struct searchq_hit *h;
		size_t nf = doc_fields(&docs[i], a, &f), nh;
		r->examined++;
		if (searchq_match(r->tok, r->q, f, nf, a, &h, &nh)) {
			*matches = matches_json(&docs[i], f, h, nh, a);
			hit = 1;
		}
	}
	/* traces next in the list often share chunks: keep them a while */
	if (arena_used(a) > QUERY_EACH_CACHE)
		spanview_reset(r->view);
	return hit;
}

/* The candidates: trace keys of FTS5 hits in the index, then of verified
 * matches in the unindexed tail, as a JSON array for json_each. Returns
 * 1 if they fit in max_candidates documents (*json set, malloc'd), 0 if
 * there are more (the caller walks traces instead), or ERR_STORE. */
static int candidates(struct run *r, char **json)
{
	sqlite3_stmt *st = NULL;
	struct jbuf b;
	long n = 0;
	int rc = ERR_OK, step = SQLITE_DONE;
	if (r->indexed && !r->fts)
		return 0;   /* only frequent words: every trace is walked and tested */
	jbuf_init(&b, JBUF_NO_CAP);
	jbuf_putc(&b, '[');
	if (r->indexed && r->ckpt > 0) {
		if (sqlite3_prepare_v2(r->db,
		                       "SELECT d.trace FROM search.fts f JOIN search.docs d ON d.id = f.rowid"
		                       " WHERE f.fts MATCH ?1 AND d.chunk <= ?2 LIMIT ?3",
		                       -1, &st, NULL)) {
			rc = ERR_STORE;
			goto out;
		}
		sqlite3_bind_text(st, 1, r->fts, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, r->ckpt);
		sqlite3_bind_int(st, 3, max_candidates + 1);
		while ((step = sqlite3_step(st)) == SQLITE_ROW && ++n <= max_candidates) {
			if (n > 1)
				jbuf_putc(&b, ',');
			json_i64(&b, sqlite3_column_int64(st, 0));
		}
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			rc = ERR_STORE;
		sqlite3_finalize(st);
		st = NULL;
	}
	/* the tail past the checkpoint: read and test every document there */
	if (!rc && n <= max_candidates) {
		if (sqlite3_prepare_v2(r->db, "SELECT id FROM chunks WHERE id > ?1 ORDER BY id DESC", -1, &st, NULL)) {
			rc = ERR_STORE;
			goto out;
		}
		sqlite3_bind_int64(st, 1, r->ckpt);
		while (n <= max_candidates && r->examined <= max_candidates && (step = sqlite3_step(st)) == SQLITE_ROW) {
			struct doc *docs;
			long nd = chunk_docs(r->view, sqlite3_column_int64(st, 0), 0, &docs);
			struct arena *a = spanview_arena(r->view);
			for (long i = 0; i < nd && n <= max_candidates; i++) {
				struct searchq_field *f;
				struct searchq_hit *h;
				size_t nf = doc_fields(&docs[i], a, &f), nh;
				r->examined++;
				if (!searchq_match(r->tok, r->q, f, nf, a, &h, &nh))
					continue;
				if (++n > 1)
					jbuf_putc(&b, ',');
				json_i64(&b, trace_key(r->main_key_st, docs[i].trace_id));
			}
			spanview_reset(r->view);
		}
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			rc = ERR_STORE;
	}
out:
	sqlite3_finalize(st);
	jbuf_putc(&b, ']');
	char *text = jbuf_finish(&b, NULL);
	/* a long tail (indexer paused or far behind) is walked like a common word */
	if (rc || n > max_candidates || r->examined > max_candidates) {
		free(text);
		return rc ? rc : 0;
	}
	*json = text;
	return 1;
}

enum err search_traces(sqlite3 *db, const char *dir, const struct trace_filter *f, const struct searchq *q,
                       cJSON **out)
{
	struct run r;
	sqlite3_stmt *list = NULL;
	struct preview_reader *pv = NULL;
	char *keys = NULL, cursor[QUERY_CURSOR_SIZE] = "", last[QUERY_CURSOR_SIZE] = "";
	cJSON *items = cJSON_CreateArray();
	struct arena *fts_arena = arena_new();
	int rc, nitems = 0, more = 0, step = SQLITE_DONE;
	memset(&r, 0, sizeof r);
	r.db = db;
	r.q = q;
	r.f = f;
	r.tok = search_thread_tok(db);
	if (!r.tok) {
		rc = ERR_STORE;
		goto out;
	}
	r.indexed = attach(db, dir);
	/* one read transaction: the checkpoint, the index and the store agree */
	rc = exec(db, "BEGIN");
	if (rc)
		goto out;
	r.ckpt = r.indexed ? int_query(db, "SELECT value FROM search.state WHERE key = 'checkpoint'", -1) : 0;
	if (r.ckpt < 0)
		r.indexed = 0, r.ckpt = 0;
	if (r.indexed) {
		/* the words the index left out narrow nothing (searchfreq.h) */
		struct searchfreq_lookup fl;
		if (searchfreq_lookup_open(db, &fl)) {
			rc = ERR_STORE;
			goto out;
		}
		r.fts = searchq_fts(q, searchfreq_indexed, &fl, fts_arena);
		searchfreq_lookup_close(&fl);
	}
	if (sqlite3_prepare_v2(db, "SELECT key FROM traces WHERE trace_id = ?1", -1, &r.main_key_st, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT chunk, chunk_index, span_id FROM spans WHERE trace = ?1"
	                       " ORDER BY chunk DESC, chunk_index", -1, &r.trace_st, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT 1 FROM spans WHERE trace = ?1 AND chunk > ?2 LIMIT 1", -1, &r.chunks_st,
	                       NULL) ||
	    preview_reader_open(db, &pv) || spanview_open(db, &r.view)) {
		rc = ERR_STORE;
		goto out;
	}
	if (r.indexed &&
	    (sqlite3_prepare_v2(db, "SELECT id FROM search.docs WHERE trace = ?1", -1, &r.docs_st, NULL) ||
	     sqlite3_prepare_v2(db, "SELECT 1 FROM search.fts WHERE fts MATCH ?1 AND rowid = ?2", -1, &r.probe_st,
	                        NULL))) {
		rc = ERR_STORE;
		goto out;
	}
	if (r.probe_st)
		sqlite3_bind_text(r.probe_st, 1, r.fts ? r.fts : "", -1, SQLITE_STATIC);
	int few = candidates(&r, &keys);
	if (few < 0) {
		rc = few;
		goto out;
	}
	/* few hits: only their traces, in list order; many (a common word):
	 * every trace of the list in order, each tested, at most max_candidates
	 * documents read per request */
	/* attribute filters are probed trace by trace; a walk that spends its
	 * budget inside one step (traces failing the filters) goes on from the
	 * last trace tested with the filters as sets (query.h) */
	struct trace_filter walk = *f;
	int step_ops, budget = query_probe_budget(&step_ops), probing = !few && f->nfilters > 0;
	rc = query_trace_list_prepare(db, &walk, few ? " AND t.key IN (SELECT value FROM json_each(:keys))" : NULL, &list);
	if (rc)
		goto out;
	if (few)
		sqlite3_bind_text(list, sqlite3_bind_parameter_index(list, ":keys"), keys, -1, SQLITE_STATIC);
	r.examined = 0;
	for (;;) {
		if (probing)
			sqlite3_progress_handler(db, step_ops, query_over_budget, &budget);
		step = sqlite3_step(list);
		sqlite3_progress_handler(db, 0, NULL, NULL);
		if (step == SQLITE_INTERRUPT && probing && budget < 0) {
			sqlite3_finalize(list);
			list = NULL;
			probing = 0;
			walk.filter_sets = 1;
			if (*last && query_trace_cursor_parse(last, &walk)) {
				rc = ERR_STORE;
				goto out;
			}
			rc = query_trace_list_prepare(db, &walk, NULL, &list);
			if (rc)
				goto out;
			continue;
		}
		if (step != SQLITE_ROW)
			break;
		int64_t key = sqlite3_column_int64(list, 16);
		cJSON *matches;
		if (r.examined >= max_candidates) {
			/* bounded work: the client continues after the last trace tested */
			more = 1;
			break;
		}
		if (!few)
			r.examined++; /* each trace walked costs index lookups: it counts */
		int may = few ? 1 : index_may_match(&r, key);
		int m = may == 1 ? trace_match(&r, key, sqlite3_column_blob(list, 0), &matches) : may;
		if (m < 0) {
			rc = m;
			goto out;
		}
		query_trace_cursor(list, last);
		if (!m)
			continue;
		if (nitems == f->limit) {
			cJSON_Delete(matches);
			more = 1; /* one more exists */
			break;
		}
		cJSON *item = query_trace_item(list, pv);
		if (!item) {
			cJSON_Delete(matches);
			rc = ERR_STORE;
			goto out;
		}
		cJSON_AddItemToObject(item, "matches", matches);
		cJSON_AddItemToArray(items, item);
		nitems++;
		memcpy(cursor, last, sizeof cursor);
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = ERR_STORE;
	/* a page cut by the bound continues after the last trace tested */
	if (more && r.examined >= max_candidates && nitems < f->limit)
		memcpy(cursor, last, sizeof cursor);
out:
	sqlite3_finalize(list);
	preview_reader_close(pv);
	sqlite3_finalize(r.main_key_st);
	sqlite3_finalize(r.trace_st);
	sqlite3_finalize(r.chunks_st);
	sqlite3_finalize(r.docs_st);
	sqlite3_finalize(r.probe_st);
	spanview_close(r.view);
	exec(db, "COMMIT");
	free(keys);
	arena_free(fts_arena);
	if (rc) {
		cJSON_Delete(items);
		return rc;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "items", items);
	if (more && *cursor)
		cJSON_AddStringToObject(o, "next_cursor", cursor);
	else
		cJSON_AddNullToObject(o, "next_cursor");
	*out = o;
	return ERR_OK;
}
