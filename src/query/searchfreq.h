/* searchfreq.h: the words the search index leaves out. A word in most
 * traces costs the index a posting in each of them (at 300k prose spans
 * the words in more than a fifth of the documents were 57% of the
 * postings) and narrows a search for it little. Once the index holds a
 * sample of documents, the words in more than a given share of them are
 * chosen (search.db's table frequent) and the index is rebuilt without
 * them; the indexer chooses again when one turns rare (search.c,
 * frequent_drifted). Searches test those words on the text only
 * (searchq_fts). */
#ifndef TL_SEARCHFREQ_H
#define TL_SEARCHFREQ_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/err.h"
#include "query/searchq.h"

/* The documents a choice is made on, and the share (percent) of them a
 * word must be in to be left out: TRACELITE_SEARCH_FREQUENT_SAMPLE
 * (8..1,000,000) and TRACELITE_SEARCH_FREQUENT_PERCENT (0..100; 0: none
 * is ever chosen), read by searchfreq_settings. */
#define SEARCHFREQ_SAMPLE_DOCS 2000
#define SEARCHFREQ_PERCENT 20

struct searchfreq_settings {
	int64_t sample_docs;
	int percent;
};
void searchfreq_settings(struct searchfreq_settings *out);

/* Creates search.db's frequent table if missing (idx: the indexer's
 * connection, in its schema transaction). Returns ERR_OK or ERR_STORE. */
enum err searchfreq_schema(sqlite3 *idx);

/* Adds to the frequent table every word of the index (of ndocs
 * documents) in more than percent% of them. Inside the caller's
 * transaction, which then empties the index. Returns the number of words
 * added, or ERR_STORE. */
int64_t searchfreq_choose(sqlite3 *idx, int64_t ndocs, int percent);

/* Calls add for each word of the frequent table (none until chosen;
 * word is valid during the call). Returns ERR_OK or ERR_STORE. */
enum err searchfreq_load(sqlite3 *idx, void (*add)(void *u, const char *word, size_t len), void *u);

/* The frequent words as the indexer tests every token against them: open
 * addressing keyed by a word's length and first 16 folded bytes, so the
 * test of a word of up to 16 bytes compares integers, not bytes (it was a
 * hash, a probe and a memcmp call per token: a fifth of the indexer's
 * time). Zeroed is empty. */
struct searchfreq_set {
	struct searchfreq_slot {
		uint64_t key[2];           /* the word's first 16 bytes, zero-padded */
		size_t len;                /* 0: an empty slot */
		const char *word;          /* the whole word, folded */
	} *v;
	size_t n, slots;               /* slots: 0 or a power of 2 over 2n */
};

/* Adds the folded word w[0..n) (0 < n; kept by reference, so w must
 * outlive set) unless there, growing the slots in a. Returns 1 if added,
 * 0 if there. */
int searchfreq_set_add(struct searchfreq_set *set, struct arena *a, const char *w, size_t n);

/* The slot of the folded word w[0..n) in set, or -1. */
long searchfreq_set_find(const struct searchfreq_set *set, const char *w, size_t n);

/* Called with set's slot of each frequent word met. */
typedef void (*searchfreq_hit_fn)(void *u, size_t slot);

/* Writes to out the words of text[0..len) that set does not hold, each as
 * the text spells it followed by a line end, in order (FTS5 tokenizes them
 * to the same words again), and calls hit(u, slot) for each word it holds,
 * in order. The words are tok's (unicode61, folded); a stretch of ASCII
 * bytes is split into words here, the same way (letters and digits, A-Z
 * folded), and only the words touching a non-ASCII byte go through tok.
 * out holds len + 1 bytes (each word written took its bytes and a
 * separator in text, or ends it); returns the bytes written. */
size_t searchfreq_filter(struct searchq_tok *tok, const struct searchfreq_set *set, const char *text, size_t len,
                         char *out, searchfreq_hit_fn hit, void *u);

/* A query's lookup of the table in the attached search.db ("search."):
 * open with the statement it needs, then use searchfreq_indexed as a
 * searchq_indexed_fn with the lookup as its argument. */
struct searchfreq_lookup {
	sqlite3_stmt *st;
	int failed;                /* a lookup failed: treat every word as left out */
};
enum err searchfreq_lookup_open(sqlite3 *db, struct searchfreq_lookup *l);
void searchfreq_lookup_close(struct searchfreq_lookup *l);
/* 1 if the index holds tok (with prefix: every word starting with tok),
 * 0 if it leaves it out. u is a struct searchfreq_lookup. */
int searchfreq_indexed(void *u, const char *tok, int prefix);

#endif
