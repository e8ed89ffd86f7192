/* searchfreq.c: the words the search index leaves out: chosen from
 * FTS5's vocabulary of a sample, kept in search.db, loaded by the indexer,
 * looked up by queries. */
#include "query/searchfreq.h"
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

/* searchfreq_filter's state, for each word the tokenizer finds. */
struct filter {
	const char *text;
	char *out;
	size_t used;
	searchfreq_word_fn frequent;
	void *u;
};

static int filter_word(void *u, int flags, const char *w, int n, int start, int end)
{
	struct filter *f = u;
	(void)flags;
	if (n <= 0 || f->frequent(f->u, w, (size_t)n))
		return SQLITE_OK;
	memcpy(f->out + f->used, f->text + start, (size_t)(end - start));
	f->used += (size_t)(end - start);
	f->out[f->used++] = '\n';
	return SQLITE_OK;
}

size_t searchfreq_filter(struct searchq_tok *tok, const char *text, size_t len, char *out,
                         searchfreq_word_fn frequent, void *u)
{
	struct filter f = {.text = text, .out = out, .frequent = frequent, .u = u};
	/* a text of 1 GiB or more is left out, as FTS5 takes an int length */
	if (len > 0 && len < (size_t)1 << 30)
		tok->x.xTokenize(tok->t, &f, FTS5_TOKENIZE_DOCUMENT, text, (int)len, filter_word);
	return f.used;
}
