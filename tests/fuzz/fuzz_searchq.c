/* fuzz_searchq.c: libFuzzer harness for the search query language. The
 * input up to its first NUL is q, as the API receives it; each further
 * NUL-separated part is one text field of a document. q is parsed; a parsed
 * q's FTS5 expression must be accepted by a real FTS5 table (no query may
 * inject syntax), and so must its expression over an index that leaves
 * out every word of odd length (searchq_fts), and q is evaluated on the fields with a snippet cut for
 * each matched field, as a search request does. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/arena.h"
#include "fuzz.h"
#include "query/searchq.h"

#define MAX_FIELDS 8

static sqlite3 *db;
static sqlite3_stmt *match_st;
static struct searchq_tok tok;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

struct search_job {
	const char *q;
	struct searchq_field f[MAX_FIELDS];
	size_t nf;
};

/* An empty index shaped like search.db's, and its tokenizer. */
static void init(void)
{
	if (sqlite3_open(":memory:", &db) ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(text, content='', detail=none, tokenize='"
	                     SEARCHQ_TOKENIZE_SQL "')", NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?", -1, &match_st, NULL) ||
	    searchq_tok_open(db, &tok)) {
		fprintf(stderr, "fuzz_searchq: no FTS5: %s\n", sqlite3_errmsg(db));
		abort();
	}
}

static void fts_must_accept(const char *expr)
{
	int rc;
	sqlite3_bind_text(match_st, 1, expr, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(match_st)) == SQLITE_ROW)
		;
	sqlite3_reset(match_st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "fuzz_searchq: FTS5 refuses the expression %s: %s\n", expr, sqlite3_errmsg(db));
		abort();
	}
}

/* An index that leaves out the words of odd length (and, for a prefix,
 * any word that may start with it). */
static int even_words(void *u, const char *tok, int prefix)
{
	(void)u;
	return !prefix && strlen(tok) % 2 == 0;
}

static void search(void *p)
{
	const struct search_job *j = p;
	struct arena *a = arena_new();
	struct searchq q;
	struct searchq_hit *h;
	size_t nh;
	char err[256];
	if (searchq_parse(&tok, j->q, a, &q, err, sizeof err) == 0) {
		fts_must_accept(q.fts);
		const char *part = searchq_fts(&q, even_words, NULL, a);
		if (part)
			fts_must_accept(part);
		if (searchq_match(&tok, &q, j->f, j->nf, a, &h, &nh)) {
			for (size_t i = 0; i < nh;) {
				size_t k = i;
				while (k < nh && h[k].field == h[i].field)
					k++;
				const struct searchq_field *fd = &j->f[h[i].field];
				searchq_snippet(fd->text, fd->len, h + i, k - i, a);
				i = k;
			}
		}
	}
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pthread_once(&init_once, init);
	const char *p = (const char *)data, *end = p + size, *nul = memchr(p, 0, size);
	struct search_job j = {.q = strndup(p, nul ? (size_t)(nul - p) : size)};
	if (!j.q)
		abort();
	for (p = nul ? nul + 1 : end; p < end && j.nf < MAX_FIELDS; j.nf++) {
		nul = memchr(p, 0, (size_t)(end - p));
		j.f[j.nf] = (struct searchq_field){p, nul ? (size_t)(nul - p) : (size_t)(end - p), 0, (int)j.nf};
		p = nul ? nul + 1 : end;
	}
	fuzz_on_worker_stack(search, &j);
	free((void *)j.q);
	return 0;
}
