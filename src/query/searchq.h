/* searchq.h: the full-text query language. Parses q (words, "phrases",
 * OR, -negation, prefix*) into atoms tokenized exactly as the index is
 * (SQLite's unicode61 tokenizer, called directly), builds a safe FTS5
 * MATCH expression from quoted tokens, evaluates a query on a document's
 * text and cuts highlighted snippets. No SQL is ever built from q. */
#ifndef TL_SEARCHQ_H
#define TL_SEARCHQ_H
#include <sqlite3.h>
#include <stddef.h>
#include "base/arena.h"
#include "base/err.h"

#define SEARCHQ_MAX_LEN 1024       /* bytes of q */
#define SEARCHQ_MAX_ATOMS 16       /* words and phrases */
#define SEARCHQ_MAX_TOKENS 16      /* tokens in one phrase */
#define SEARCHQ_TOKENIZER "unicode61", "remove_diacritics", "2"
#define SEARCHQ_TOKENIZE_SQL "unicode61 remove_diacritics 2"

/* One tokenizer instance; not thread-safe, so one per thread. */
struct searchq_tok {
	fts5_tokenizer x;
	Fts5Tokenizer *t;
};

/* Creates the unicode61 tokenizer through db's FTS5 API. Returns ERR_OK, or
 * ERR_STORE if FTS5 is missing. Release with searchq_tok_close. */
enum err searchq_tok_open(sqlite3 *db, struct searchq_tok *t);
void searchq_tok_close(struct searchq_tok *t);

/* One token of a text: folded form (arena) and its byte range in the text. */
struct searchq_token {
	const char *s;
	int n, start, end;
};

/* Tokenizes text[0..len) as the index does; returns the count and sets
 * *out to an arena array. */
size_t searchq_tokenize(struct searchq_tok *t, const char *text, size_t len, struct arena *a,
                        struct searchq_token **out);

struct searchq_atom {
	int ntok;
	const char *tok[SEARCHQ_MAX_TOKENS];
	int toklen[SEARCHQ_MAX_TOKENS];
	int prefix;                /* the last token is a prefix */
	int neg;                   /* -word / -"phrase" / NOT word */
	int group;                 /* positive atoms of one group are OR'd; -1 if neg */
};

struct searchq {
	struct searchq_atom atom[SEARCHQ_MAX_ATOMS];
	int natoms, ngroups;
	const char *fts;           /* FTS5 MATCH expression, every token in the index (arena) */
};

/* Whether the index holds tok (folded), or with prefix set every word
 * starting with it. */
typedef int (*searchq_indexed_fn)(void *u, const char *tok, int prefix);

/* The FTS5 MATCH expression of q over an index holding the tokens that
 * indexed(u, ...) accepts (all of them if indexed is NULL): an atom keeps
 * its indexed tokens, a group of alternatives only if each keeps one, a
 * negated word only if indexed. Matches a superset of q's documents, to be
 * verified on the text. Returns NULL if no group is left (the index cannot
 * narrow q), else an arena string. */
const char *searchq_fts(const struct searchq *q, searchq_indexed_fn indexed, void *u, struct arena *a);

/* Parses q. Returns ERR_OK, or ERR_BAD_INPUT with err saying what is wrong
 * (not UTF-8, unterminated quote, dangling OR, nothing to search for, too many
 * words). Strings live in a. */
enum err searchq_parse(struct searchq_tok *t, const char *q, struct arena *a, struct searchq *out, char *err,
                       size_t errlen);

/* A searchable text of a document. */
struct searchq_field {
	const char *text;
	size_t len;
	int kind;                  /* caller's field kind */
	int span;                  /* caller's span index */
};

/* Where a positive atom matched: field index and byte range. */
struct searchq_hit {
	int field, start, end;
};

/* Evaluates q on the fields: every positive group must match some field,
 * no negated atom any. Returns 1 on a match and sets *hits (arena, sorted by
 * field then start) and *nhits; 0 otherwise. */
int searchq_match(struct searchq_tok *t, const struct searchq *q, const struct searchq_field *f, size_t nf,
                  struct arena *a, struct searchq_hit **hits, size_t *nhits);

/* About 160 characters of text around hits[0], HTML-escaped, with every
 * hit inside wrapped in <mark></mark>; invalid UTF-8 becomes U+FFFD and
 * line breaks spaces. hits are of one field, sorted. Arena string. */
char *searchq_snippet(const char *text, size_t len, const struct searchq_hit *hits, size_t nhits,
                      struct arena *a);

#endif
