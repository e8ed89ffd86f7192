/* test_searchfreq.c: searchfreq_filter against the tokens of SQLite's
 * unicode61 tokenizer taken one by one (searchq_tokenize): the same
 * frequent words met in the same order, folded the same (its own split of
 * ASCII stretches included), and the same bytes written,
 * within len + 1, on random texts mixing ASCII words, digits,
 * punctuation, control bytes and non-ASCII letters, digits and
 * separators, with frequent words short, long, of digits and of mixed
 * case. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "query/searchfreq.h"
#include "query/searchq.h"
#include "test.h"

#define LONG_WORD "Abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"

/* The frequent words, folded; and a log of every word tested. */
static const char *const frequent_words[] = {
	"the", "a", "x1", "42", "json", "content", "straße", "été", "日本", LONG_WORD, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
};

struct log {
	char buf[1 << 16];
	size_t used;
	long calls;
};

static void log_word(struct log *l, const char *w, size_t n)
{
	if (l->used + n + 1 < sizeof l->buf) {
		memcpy(l->buf + l->used, w, n);
		l->used += n;
		l->buf[l->used++] = '|';
	}
	l->calls++;
}

/* The oracle's test: the list, word by word. */
static int is_frequent(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof frequent_words / sizeof *frequent_words; i++)
		if (strlen(frequent_words[i]) == n && !memcmp(frequent_words[i], w, n))
			return 1;
	return 0;
}

/* searchfreq_filter's hits, logged as the set's words. */
static struct searchfreq_set set;
static void hit(void *u, size_t slot)
{
	CHECK(slot < set.slots && set.v[slot].len, "a hit on slot %zu, not a word", slot);
	log_word(u, set.v[slot].word, set.v[slot].len);
}

/* The oracle: every token of the whole text from the tokenizer. */
static size_t oracle(struct searchq_tok *tok, const char *text, size_t len, char *out, struct log *l,
                     struct arena *a)
{
	struct searchq_token *t;
	size_t n = searchq_tokenize(tok, text, len, a, &t), used = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_frequent(t[i].s, (size_t)t[i].n)) {
			log_word(l, t[i].s, (size_t)t[i].n);
			continue;
		}
		memcpy(out + used, text + t[i].start, (size_t)(t[i].end - t[i].start));
		used += (size_t)(t[i].end - t[i].start);
		out[used++] = '\n';
	}
	return used;
}

static const char *const pieces[] = {
	"the", "The", "THE", "a", "A", "x1", "X1", "42", "042", "json", "JSON", "Json", "content", "contents",
	" ", " ", "  ", "\n", "\n", "\t", ",", ".", "-", "_", "'", "\"", "{", "}", ":", "\x01", "\x7f", "@#$",
	"hello", "World", "foo_bar", "e-mail", "v1.2.3", LONG_WORD, LONG_WORD "X",
	"straße", "STRASSE", "Straße", "été", "Été", "ÉTÉ", "ete", "naïve", "日本", "日本語", "\xc2\xa0",
	"e\xcc\x81", "İstanbul", "Ａｂｃ", "١٢٣", "\xe2\x80\x94", "emoji\xf0\x9f\x98\x80", "ǅemal", "Ωmega",
};

int main(void)
{
	sqlite3 *db;
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "open");
	struct searchq_tok tok;
	CHECK(searchq_tok_open(db, &tok) == ERR_OK, "tokenizer");
	struct arena *words_arena = arena_new();
	for (size_t i = 0; i < sizeof frequent_words / sizeof *frequent_words; i++)
		CHECK(searchfreq_set_add(&set, words_arena, frequent_words[i], strlen(frequent_words[i])) == 1, "add %zu", i);
	CHECK(searchfreq_set_add(&set, words_arena, "the", 3) == 0, "added once");
	CHECK(set.n == sizeof frequent_words / sizeof *frequent_words, "%zu words", set.n);
	for (size_t i = 0; i < sizeof frequent_words / sizeof *frequent_words; i++)
		CHECK(searchfreq_set_find(&set, frequent_words[i], strlen(frequent_words[i])) >= 0, "find %zu", i);
	CHECK(searchfreq_set_find(&set, "th", 2) < 0 && searchfreq_set_find(&set, "thee", 4) < 0 &&
	      searchfreq_set_find(&set, "The", 3) < 0 && searchfreq_set_find(&set, LONG_WORD, strlen(LONG_WORD)) >= 0 &&
	      searchfreq_set_find(&set, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyZ",
	                          strlen(LONG_WORD)) < 0, "only the words, whole: a prefix, a longer word, a last byte differing");
	/* more words than the first slots hold: the set grows and keeps them */
	char many[300][16];
	for (int i = 0; i < 300; i++) {
		snprintf(many[i], sizeof many[i], "w%dz", i);
		searchfreq_set_add(&set, words_arena, many[i], strlen(many[i]));
	}
	long found = 0;
	for (int i = 0; i < 300; i++)
		found += searchfreq_set_find(&set, many[i], strlen(many[i])) >= 0;
	CHECK(found == 300 && set.slots >= 2 * set.n, "%ld of 300 found after growing to %zu slots", found, set.slots);
	static char text[8192], got[8193], want[8193];
	static struct log lg, lw;
	srand(7);
	long mismatched = 0, words = 0, kept = 0, left_out = 0;
	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		int n = rand() % 60;
		for (int i = 0; i < n; i++) {
			const char *p = pieces[rand() % (sizeof pieces / sizeof *pieces)];
			size_t k = strlen(p);
			if (len + k >= sizeof text)
				break;
			memcpy(text + len, p, k);
			len += k;
		}
		struct arena *a = arena_new();
		lg.used = lw.used = 0;
		lg.calls = lw.calls = 0;
		memset(got, 0x55, sizeof got);
		size_t g = searchfreq_filter(&tok, &set, text, len, got, hit, &lg);
		size_t w = oracle(&tok, text, len, want, &lw, a);
		int bad = g != w || memcmp(got, want, g) || lg.used != lw.used || memcmp(lg.buf, lw.buf, lg.used) ||
		          g > len + 1;
		if (bad && mismatched++ < 3)
			printf("text [%.*s]\n got [%.*s] left out [%.*s]\nwant [%.*s] left out [%.*s]\n", (int)len, text, (int)g,
			       got, (int)lg.used, lg.buf, (int)w, want, (int)lw.used, lw.buf);
		left_out += lw.calls;
		for (size_t i = 0; i < w; i++)
			kept += want[i] == '\n';
		arena_free(a);
	}
	words = left_out + kept;
	CHECK(mismatched == 0, "%ld of 3000 texts differ from unicode61's words", mismatched);
	/* not vacuous: many words, both kept and left out */
	CHECK(words > 20000 && kept > 10000 && left_out > 2000, "%ld words, %ld kept, %ld left out", words, kept,
	      left_out);

	/* the edges: empty, no word, a word at the very end (len + 1 bytes) */
	struct log l = {0};
	CHECK(searchfreq_filter(&tok, &set, "", 0, got, hit, &l) == 0 && l.calls == 0, "empty");
	CHECK(searchfreq_filter(&tok, &set, " ,\n\n-", 5, got, hit, &l) == 0 && l.calls == 0, "no word");
	CHECK(searchfreq_filter(&tok, &set, "b", 1, got, hit, &l) == 2 && !memcmp(got, "b\n", 2), "one byte");
	CHECK(searchfreq_filter(&tok, &set, "the The é", 10, got, hit, &l) == 3 && !memcmp(got, "é\n", 3),
	      "frequent words of both kinds out: [%.3s]", got);
	CHECK(l.calls == 2 && !memcmp(l.buf, "the|the|", 8), "both met: [%.*s]", (int)l.used, l.buf);
	searchq_tok_close(&tok);
	arena_free(words_arena);
	sqlite3_close(db);
	return test_done();
}
