/* test_searchfreq.c: searchfreq_filter against the tokens of SQLite's
 * unicode61 tokenizer taken one by one (searchq_tokenize): the same words
 * tested in the same order, folded the same, and the same bytes written,
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

static int is_frequent(void *u, const char *w, size_t n)
{
	struct log *l = u;
	if (l->used + n + 1 < sizeof l->buf) {
		memcpy(l->buf + l->used, w, n);
		l->used += n;
		l->buf[l->used++] = '|';
	}
	l->calls++;
	for (size_t i = 0; i < sizeof frequent_words / sizeof *frequent_words; i++)
		if (strlen(frequent_words[i]) == n && !memcmp(frequent_words[i], w, n))
			return 1;
	return 0;
}

/* The oracle: every token of the whole text from the tokenizer. */
static size_t oracle(struct searchq_tok *tok, const char *text, size_t len, char *out, struct log *l,
                     struct arena *a)
{
	struct searchq_token *t;
	size_t n = searchq_tokenize(tok, text, len, a, &t), used = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_frequent(l, t[i].s, (size_t)t[i].n))
			continue;
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
		size_t g = searchfreq_filter(&tok, text, len, got, is_frequent, &lg);
		size_t w = oracle(&tok, text, len, want, &lw, a);
		int bad = g != w || memcmp(got, want, g) || lg.used != lw.used || memcmp(lg.buf, lw.buf, lg.used) ||
		          g > len + 1;
		if (bad && mismatched++ < 3)
			printf("text [%.*s]\n got [%.*s] tested [%.*s]\nwant [%.*s] tested [%.*s]\n", (int)len, text, (int)g,
			       got, (int)lg.used, lg.buf, (int)w, want, (int)lw.used, lw.buf);
		words += lw.calls;
		for (size_t i = 0; i < w; i++)
			kept += want[i] == '\n';
		arena_free(a);
	}
	left_out = words - kept;
	CHECK(mismatched == 0, "%ld of 3000 texts differ from unicode61's words", mismatched);
	/* not vacuous: many words, both kept and left out */
	CHECK(words > 20000 && kept > 10000 && left_out > 2000, "%ld words, %ld kept, %ld left out", words, kept,
	      left_out);

	/* the edges: empty, no word, a word at the very end (len + 1 bytes) */
	struct log l = {0};
	CHECK(searchfreq_filter(&tok, "", 0, got, is_frequent, &l) == 0 && l.calls == 0, "empty");
	CHECK(searchfreq_filter(&tok, " ,\n\n-", 5, got, is_frequent, &l) == 0 && l.calls == 0, "no word");
	CHECK(searchfreq_filter(&tok, "b", 1, got, is_frequent, &l) == 2 && !memcmp(got, "b\n", 2), "one byte");
	CHECK(searchfreq_filter(&tok, "the The é", 10, got, is_frequent, &l) == 3 && !memcmp(got, "é\n", 3),
	      "frequent words of both kinds out: [%.3s]", got);
	searchq_tok_close(&tok);
	sqlite3_close(db);
	return test_done();
}
