/* fuzz_searchfreq.c: libFuzzer harness for the indexer's filter of
 * frequent words (searchfreq_filter), which splits ASCII stretches of any
 * span text into words itself, reading up to 16 bytes at a time, and hands
 * the words touching non-ASCII bytes to unicode61. The input is the text.
 * It must leave out and write exactly what unicode61's own words, tested
 * one by one against the list, give (the unit test's oracle), within
 * len + 1 bytes. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "fuzz.h"
#include "query/searchfreq.h"
#include "query/searchq.h"

static const char *const words[] = {
	"the", "a", "x1", "42", "0", "json", "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijklmnopqrstuvwxyz0123456789",
	"été", "straße", "cafe", "日本",
};
#define NWORDS (sizeof words / sizeof *words)

static sqlite3 *db;
static struct searchq_tok tok;
static struct searchfreq_set set;
static struct arena *set_arena;

struct hits {
	size_t n, cap;
	const char **w;
};

static void hit(void *u, size_t slot)
{
	struct hits *h = u;
	if (slot >= set.slots || !set.v[slot].len)
		abort();
	if (h->n < h->cap)
		h->w[h->n] = set.v[slot].word;
	h->n++;
}

static int listed(const char *w, size_t n, const char **which)
{
	for (size_t i = 0; i < NWORDS; i++)
		if (strlen(words[i]) == n && !memcmp(words[i], w, n)) {
			*which = words[i];
			return 1;
		}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db) {
		set_arena = arena_new();
		if (sqlite3_open(":memory:", &db) || searchq_tok_open(db, &tok))
			abort();
		for (size_t i = 0; i < NWORDS; i++)
			searchfreq_set_add(&set, set_arena, words[i], strlen(words[i]));
	}
	/* the text alone in its allocation: a read past it is ASan's */
	char *text = malloc(size ? size : 1), *got = malloc(size + 1), *want = malloc(size + 1);
	if (!text || !got || !want)
		abort();
	memcpy(text, data, size);
	const char *got_hits[256], *want_hits[256];
	struct hits h = {0, 256, got_hits};
	size_t g = searchfreq_filter(&tok, &set, text, size, got, hit, &h);
	struct arena *a = arena_new();
	struct searchq_token *t;
	size_t n = searchq_tokenize(&tok, text, size, a, &t), w = 0, nw = 0;
	for (size_t i = 0; i < n; i++) {
		const char *which;
		if (listed(t[i].s, (size_t)t[i].n, &which)) {
			if (nw < 256)
				want_hits[nw] = which;
			nw++;
			continue;
		}
		size_t k = (size_t)(t[i].end - t[i].start);
		if (w + k + 1 > size + 1)
			abort();
		memcpy(want + w, text + t[i].start, k);
		w += k;
		want[w++] = '\n';
	}
	if (g != w || memcmp(got, want, g) || h.n != nw) {
		fprintf(stderr, "fuzz_searchfreq: %zu bytes written and %zu words left out, unicode61 gives %zu and %zu\n", g,
		        h.n, w, nw);
		abort();
	}
	for (size_t i = 0; i < nw && i < 256; i++)
		if (strcmp(got_hits[i], want_hits[i])) {
			fprintf(stderr, "fuzz_searchfreq: left out word %zu is %s, unicode61's %s\n", i, got_hits[i], want_hits[i]);
			abort();
		}
	arena_free(a);
	free(text);
	free(got);
	free(want);
	return 0;
}
