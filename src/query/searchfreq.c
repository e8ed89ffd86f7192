/* searchfreq.c: the words the search index leaves out: chosen from
 * FTS5's vocabulary of a sample, kept in search.db, loaded by the indexer,
 * looked up by queries. */
#include "query/searchfreq.h"
#include <stdlib.h>
#include <string.h>
#include "base/env.h"

void searchfreq_settings(struct searchfreq_settings *out)
{
	out->sample_docs = env_i64("TRACELITE_SEARCH_FREQUENT_SAMPLE", 8, 1000000, SEARCHFREQ_SAMPLE_DOCS);
	out->percent = (int)env_i64("TRACELITE_SEARCH_FREQUENT_PERCENT", 0, 100, SEARCHFREQ_PERCENT);
}

enum err searchfreq_schema(sqlite3 *idx)
{
	return sqlite3_exec(idx, "CREATE TABLE IF NOT EXISTS frequent (word TEXT PRIMARY KEY) WITHOUT ROWID", NULL,
	                    NULL, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
}

int64_t searchfreq_choose(sqlite3 *idx, int64_t ndocs, int percent)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_exec(idx, "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_words USING fts5vocab(main, fts, row)",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx, "INSERT OR IGNORE INTO frequent (word) SELECT term FROM temp.fts_words"
	                            " WHERE doc * 100 > ?1 * ?2", -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	sqlite3_bind_int64(st, 1, ndocs);
	sqlite3_bind_int(st, 2, percent);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes64(idx) : ERR_STORE;
}

enum err searchfreq_load(sqlite3 *idx, void (*add)(void *u, const char *word, size_t len), void *u)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(idx, "SELECT word FROM frequent", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		add(u, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ERR_OK : ERR_STORE;
}

enum err searchfreq_lookup_open(sqlite3 *db, struct searchfreq_lookup *l)
{
	l->failed = 0;
	return sqlite3_prepare_v2(db, "SELECT word FROM search.frequent WHERE word >= ?1 ORDER BY word LIMIT 1", -1,
	                          &l->st, NULL) == SQLITE_OK ? ERR_OK : ERR_STORE;
}

void searchfreq_lookup_close(struct searchfreq_lookup *l)
{
	sqlite3_finalize(l->st);
	l->st = NULL;
}

int searchfreq_indexed(void *u, const char *tok, int prefix)
{
	struct searchfreq_lookup *l = u;
	size_t n = strlen(tok);
	int left_out = 0;
	sqlite3_bind_text(l->st, 1, tok, (int)n, SQLITE_STATIC);
	int rc = sqlite3_step(l->st);
	if (rc == SQLITE_ROW) {
		/* the first word at or after tok: tok itself, or one it starts */
		const char *w = (const char *)sqlite3_column_text(l->st, 0);
		left_out = prefix ? !strncmp(w, tok, n) : !strcmp(w, tok);
	} else if (rc != SQLITE_DONE) {
		l->failed = 1;
	}
	sqlite3_reset(l->st);
	return !left_out && !l->failed;
}

/* A word's key: its first 16 bytes (folded by fold when set), byte i at
 * bits 8i of key[i / 8], the rest zero. */
static void key_of(const unsigned char *w, size_t n, int fold, uint64_t key[2])
{
	key[0] = key[1] = 0;
	for (size_t i = 0; i < n && i < 16; i++) {
		unsigned char c = w[i];
		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		key[i >> 3] |= (uint64_t)c << (8 * (i & 7));
	}
}

static size_t key_slot(const uint64_t key[2], size_t n, size_t slots)
{
	uint64_t h = (key[0] ^ (key[1] * 0x9e3779b97f4a7c15ull) ^ n) * 0xff51afd7ed558ccdull;
	return (size_t)(h ^ (h >> 32)) & (slots - 1);
}

/* Whether the bytes of a word past its key, w[0..n) (ASCII folded when
 * fold is set), are those of the set's word s. */
static int same_tail(const char *s, const unsigned char *w, size_t n, int fold)
{
	if (!fold)
		return !memcmp(s, w, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] != (w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]))
			return 0;
	return 1;
}

/* The slot of the word w[0..n) of key key (fold: w is ASCII, unfolded),
 * or -1. */
static long find(const struct searchfreq_set *set, const uint64_t key[2], const unsigned char *w, size_t n, int fold)
{
	if (!set->slots)
		return -1;
	for (size_t i = key_slot(key, n, set->slots);; i = (i + 1) & (set->slots - 1)) {
		const struct searchfreq_slot *s = &set->v[i];
		if (!s->len)
			return -1;
		if (s->len == n && s->key[0] == key[0] && s->key[1] == key[1] &&
		    (n <= 16 || same_tail(s->word + 16, w + 16, n - 16, fold)))
			return (long)i;
	}
}

long searchfreq_set_find(const struct searchfreq_set *set, const char *w, size_t n)
{
	uint64_t key[2];
	key_of((const unsigned char *)w, n, 0, key);
	return find(set, key, (const unsigned char *)w, n, 0);
}

int searchfreq_set_add(struct searchfreq_set *set, struct arena *a, const char *w, size_t n)
{
	if (searchfreq_set_find(set, w, n) >= 0)
		return 0;
	if (2 * (set->n + 1) > set->slots) {
		size_t slots = set->slots ? 2 * set->slots : 64;
		struct searchfreq_slot *v = arena_alloc(a, slots * sizeof *v);
		if (!v)
			abort();
		memset(v, 0, slots * sizeof *v);
		for (size_t i = 0; i < set->slots; i++) {
			if (!set->v[i].len)
				continue;
			size_t j = key_slot(set->v[i].key, set->v[i].len, slots);
			while (v[j].len)
				j = (j + 1) & (slots - 1);
			v[j] = set->v[i];
		}
		set->v = v;
		set->slots = slots;
	}
	struct searchfreq_slot s = {.len = n, .word = w};
	key_of((const unsigned char *)w, n, 0, s.key);
	size_t i = key_slot(s.key, n, set->slots);
	while (set->v[i].len)
		i = (i + 1) & (set->slots - 1);
	set->v[i] = s;
	set->n++;
	return 1;
}

/* searchfreq_filter's state. */
struct filter {
	const struct searchfreq_set *set;
	const char *base;                  /* where the tokenizer's offsets count from */
	char *out;
	size_t used;
	searchfreq_hit_fn hit;
	void *u;
};

/* A word of the text, base[start..end), folded to w[0..n) of key key
 * (fold: w is the ASCII word itself, unfolded): tested, then written or
 * counted. */
static void word(struct filter *f, const unsigned char *w, size_t n, const uint64_t key[2], int fold, size_t start,
                 size_t end)
{
	long slot = find(f->set, key, w, n, fold);
	if (slot >= 0) {
		f->hit(f->u, (size_t)slot);
		return;
	}
	memcpy(f->out + f->used, f->base + start, end - start);
	f->used += end - start;
	f->out[f->used++] = '\n';
}

/* The tokenizer's callback: a word of the stretch at f->base. */
static int tokenizer_word(void *u, int flags, const char *w, int n, int start, int end)
{
	struct filter *f = u;
	(void)flags;
	if (n > 0) {
		uint64_t key[2];
		key_of((const unsigned char *)w, (size_t)n, 0, key);
		word(f, (const unsigned char *)w, (size_t)n, key, 0, (size_t)start, (size_t)end);
	}
	return SQLITE_OK;
}

/* Bytes as unicode61 takes them: 1 an ASCII word byte (a letter or a
 * digit: its default categories L*, N* and Co hold no other ASCII byte),
 * 0 an ASCII separator, 2 a byte of a non-ASCII character. */
#define WB(c) ((unsigned)(((c) | 0x20) - 'a') < 26u || (unsigned)((c) - '0') < 10u)
#define WB8(c) WB(c), WB((c) + 1), WB((c) + 2), WB((c) + 3), WB((c) + 4), WB((c) + 5), WB((c) + 6), WB((c) + 7)
#define WB32(c) WB8(c), WB8((c) + 8), WB8((c) + 16), WB8((c) + 24)
#define NA8 2, 2, 2, 2, 2, 2, 2, 2
#define NA32 NA8, NA8, NA8, NA8
static const unsigned char byte_kind[256] = {WB32(0), WB32(32), WB32(64), WB32(96), NA32, NA32, NA32, NA32};

/* The key of the ASCII word w[0..n) (0 < n; letters and digits), folded;
 * end: where the text ends. Letters and digits folded all have bit 0x20
 * set (digits and a-z already do), so where 16 bytes can be read the key
 * is two loads, that bit set and the bytes past the word cleared. */
static void ascii_key(const unsigned char *w, size_t n, const unsigned char *end, uint64_t key[2])
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (end - w >= 16) {
		uint64_t a, b;
		memcpy(&a, w, 8);
		memcpy(&b, w + 8, 8);
		a |= 0x2020202020202020ull;
		b |= 0x2020202020202020ull;
		key[0] = n >= 8 ? a : a & ((1ull << (8 * n)) - 1);
		key[1] = n >= 16 ? b : n <= 8 ? 0 : b & ((1ull << (8 * (n - 8))) - 1);
		return;
	}
#endif
	key_of(w, n, 1, key);
}

size_t searchfreq_filter(struct searchq_tok *tok, const struct searchfreq_set *set, const char *text, size_t len,
                         char *out, searchfreq_hit_fn hit, void *u)
{
	struct filter f = {.set = set, .base = text, .out = out, .hit = hit, .u = u};
	/* a text of 1 GiB or more is left out, as FTS5 takes an int length */
	if (len == 0 || len >= (size_t)1 << 30)
		return 0;
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	while (p < end) {
		if (byte_kind[*p] == 0) {
			p++;   /* an ASCII separator */
			continue;
		}
		const unsigned char *start = p;
		while (p < end && byte_kind[*p] == 1)
			p++;
		if (p < end && byte_kind[*p] == 2) {
			/* the stretch from this word (or byte) to the next ASCII
			 * separator, where unicode61 ends any word, goes to tok */
			while (p < end && byte_kind[*p])
				p++;
			f.base = (const char *)start;
			tok->x.xTokenize(tok->t, &f, FTS5_TOKENIZE_DOCUMENT, f.base, (int)(p - start), tokenizer_word);
			f.base = text;
			continue;
		}
		uint64_t key[2];
		size_t n = (size_t)(p - start);
		ascii_key(start, n, end, key);
		word(&f, start, n, key, 1, (size_t)(start - (const unsigned char *)text), (size_t)(p - (const unsigned char *)text));
	}
	return f.used;
}
