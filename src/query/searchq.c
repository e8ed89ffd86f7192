/* searchq.c: the full-text query language: parsing q into atoms with the
 * index's own tokenizer, the FTS5 expression built only from quoted
 * tokens, evaluation on a document's text, and snippets. */
#include "query/searchq.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/json.h"
#include "base/utf8.h"

#define SNIPPET_CHARS 160
#define SNIPPET_BEFORE 50

enum err searchq_tok_open(sqlite3 *db, struct searchq_tok *t)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;
	void *ud = NULL;
	const char *args[] = {SEARCHQ_TOKENIZER};
	memset(t, 0, sizeof *t);
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return ERR_STORE;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->xFindTokenizer(api, args[0], &ud, &t->x) != SQLITE_OK ||
	    t->x.xCreate(ud, args + 1, (int)(sizeof args / sizeof *args) - 1, &t->t) != SQLITE_OK) {
		t->t = NULL;
		return ERR_STORE;
	}
	return ERR_OK;
}

void searchq_tok_close(struct searchq_tok *t)
{
	if (t->t)
		t->x.xDelete(t->t);
	t->t = NULL;
}

struct tok_list {
	struct arena *a;
	struct searchq_token *v;
	size_t n, cap;
};

static int tok_add(void *u, int flags, const char *s, int n, int start, int end)
{
	struct tok_list *l = u;
	(void)flags;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct searchq_token *v = arena_alloc(l->a, cap * sizeof *v);
		if (l->n)
			memcpy(v, l->v, l->n * sizeof *v);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct searchq_token){arena_strndup(l->a, s, (size_t)n), n, start, end};
	return SQLITE_OK;
}

static size_t tokenize(struct searchq_tok *t, const char *text, size_t len, int flags, struct arena *a,
                       struct searchq_token **out)
{
	struct tok_list l = {.a = a};
	if (len > 0 && len < (size_t)1 << 30)
		t->x.xTokenize(t->t, &l, flags, text, (int)len, tok_add);
	*out = l.v;
	return l.n;
}

size_t searchq_tokenize(struct searchq_tok *t, const char *text, size_t len, struct arena *a,
                        struct searchq_token **out)
{
	return tokenize(t, text, len, FTS5_TOKENIZE_DOCUMENT, a, out);
}

/* The text of a jbuf (uncapped) copied into a, the buffer freed. */
static char *take(struct jbuf *b, struct arena *a)
{
	size_t n;
	char *p = jbuf_finish(b, &n);
	char *s = arena_strndup(a, p, n);
	free(p);
	return s;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ERR_BAD_INPUT;
}

/* Adds the tokens of s[0..n) as one atom; returns 1 if it had any, 0 if
 * it had none, or ERR_BAD_INPUT. */
static int add_atom(struct searchq_tok *t, struct searchq *q, struct arena *a, const char *s, size_t n, int prefix,
                    int neg, int group, char *err, size_t errlen)
{
	struct searchq_token *toks;
	size_t nt = tokenize(t, s, n, FTS5_TOKENIZE_QUERY | (prefix ? FTS5_TOKENIZE_PREFIX : 0), a, &toks);
	if (nt == 0)
		return 0;
	if (q->natoms == SEARCHQ_MAX_ATOMS)
		return fail(err, errlen, "more than %d words or phrases", SEARCHQ_MAX_ATOMS);
	if (nt > SEARCHQ_MAX_TOKENS)
		return fail(err, errlen, "a phrase has more than %d words", SEARCHQ_MAX_TOKENS);
	struct searchq_atom *at = &q->atom[q->natoms++];
	memset(at, 0, sizeof *at);
	at->ntok = (int)nt;
	for (size_t i = 0; i < nt; i++) {
		at->tok[i] = toks[i].s;
		at->toklen[i] = toks[i].n;
	}
	at->prefix = prefix;
	at->neg = neg;
	at->group = neg ? -1 : group;
	return 1;
}

/* One token as an FTS5 string: quoted, inner quotes doubled. */
static void fts_token(struct jbuf *b, const char *s, int prefix)
{
	jbuf_lit(b, "\"");
	for (; *s; s++) {
		if (*s == '"')
			jbuf_lit(b, "\"\"");
		else
			jbuf_put(b, s, 1);
	}
	jbuf_put(b, prefix ? "\"*" : "\"", prefix ? 2 : 1);
}

/* Whether the index can narrow atom at: one of its tokens is in it (all
 * are when indexed is NULL). */
static int atom_indexed(const struct searchq_atom *at, searchq_indexed_fn indexed, void *u)
{
	for (int i = 0; i < at->ntok; i++)
		if (!indexed || indexed(u, at->tok[i], at->prefix && i == at->ntok - 1))
			return 1;
	return 0;
}

static void fts_atom(struct jbuf *b, const struct searchq_atom *at, searchq_indexed_fn indexed, void *u)
{
	/* detail=none has no positions: a phrase is its words ANDed here and
	 * checked for adjacency on the text afterwards; words the index
	 * leaves out are checked there only */
	int keep[SEARCHQ_MAX_TOKENS], n = 0;
	for (int i = 0; i < at->ntok; i++) {
		keep[i] = !indexed || indexed(u, at->tok[i], at->prefix && i == at->ntok - 1);
		n += keep[i];
	}
	if (n > 1)
		jbuf_lit(b, "(");
	for (int i = 0, k = 0; i < at->ntok; i++) {
		if (!keep[i])
			continue;
		if (k++)
			jbuf_lit(b, " AND ");
		fts_token(b, at->tok[i], at->prefix && i == at->ntok - 1);
	}
	if (n > 1)
		jbuf_lit(b, ")");
}

const char *searchq_fts(const struct searchq *q, searchq_indexed_fn indexed, void *u, struct arena *a)
{
	struct jbuf b;
	int groups = 0;
	jbuf_init(&b, JBUF_NO_CAP);
	jbuf_lit(&b, "(");
	for (int g = 0; g < q->ngroups; g++) {
		/* a group narrows only if each of its alternatives does */
		int all = 1;
		for (int i = 0; i < q->natoms && all; i++)
			if (q->atom[i].group == g && !atom_indexed(&q->atom[i], indexed, u))
				all = 0;
		if (!all)
			continue;
		if (groups++)
			jbuf_lit(&b, " AND ");
		jbuf_lit(&b, "(");
		int first = 1;
		for (int i = 0; i < q->natoms; i++) {
			if (q->atom[i].group != g)
				continue;
			if (!first)
				jbuf_lit(&b, " OR ");
			fts_atom(&b, &q->atom[i], indexed, u);
			first = 0;
		}
		jbuf_lit(&b, ")");
	}
	jbuf_lit(&b, ")");
	/* a negated phrase would exclude documents holding its words apart:
	 * only single words are excluded in the index, phrases on the text */
	for (int i = 0; i < q->natoms; i++) {
		if (q->atom[i].neg && q->atom[i].ntok == 1 && atom_indexed(&q->atom[i], indexed, u)) {
			jbuf_lit(&b, " NOT ");
			fts_atom(&b, &q->atom[i], indexed, u);
		}
	}
	char *expr = take(&b, a);
	return groups ? expr : NULL;
}

enum err searchq_parse(struct searchq_tok *t, const char *q, struct arena *a, struct searchq *out, char *err,
                       size_t errlen)
{
	size_t len = strlen(q);
	int or_pending = 0, neg_next = 0, last_group = -1, last_neg = 0, rc;
	memset(out, 0, sizeof *out);
	if (len > SEARCHQ_MAX_LEN)
		return fail(err, errlen, "longer than %d bytes", SEARCHQ_MAX_LEN);
	/* The tokenizer folds a malformed sequence into bytes that it splits
	 * differently when FTS5 reads them back in the MATCH string, which
	 * then refuses the expression ("x\xf3\x80\x80\x80\x80x" did). */
	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_char_len((const unsigned char *)q + i, len - i)))
			return fail(err, errlen, "not valid UTF-8 at byte %zu", i + 1);
	for (size_t i = 0; i < len;) {
		if (is_space(q[i])) {
			i++;
			continue;
		}
		int neg = neg_next;
		neg_next = 0;
		if (q[i] == '-') {
			if (i + 1 >= len || is_space(q[i + 1]) || q[i + 1] == '-')
				return fail(err, errlen, "'-' must be followed by a word or \"phrase\" to exclude");
			neg = 1;
			i++;
		}
		const char *s;
		size_t n;
		int prefix = 0;
		if (q[i] == '"') {
			const char *close = memchr(q + i + 1, '"', len - i - 1);
			if (!close)
				return fail(err, errlen, "unterminated quote at character %zu", i + 1);
			s = q + i + 1;
			n = (size_t)(close - s);
			i = (size_t)(close - q) + 1;
			if (i < len && q[i] == '*') {
				prefix = 1;
				i++;
			}
		} else {
			size_t start = i;
			while (i < len && !is_space(q[i]) && q[i] != '"')
				i++;
			s = q + start;
			n = i - start;
			if (!neg && n == 2 && !memcmp(s, "OR", 2)) {
				if (last_group < 0 || last_neg || or_pending)
					return fail(err, errlen, "OR needs a word or \"phrase\" on each side");
				or_pending = 1;
				continue;
			}
			if (!neg && n == 3 && !memcmp(s, "AND", 3))
				continue; /* words are ANDed anyway */
			if (!neg && n == 3 && !memcmp(s, "NOT", 3)) {
				neg_next = 1;
				continue;
			}
			while (n > 0 && s[n - 1] == '*') {
				prefix = 1;
				n--;
			}
		}
		if (neg && or_pending)
			return fail(err, errlen, "an excluded word cannot be part of OR");
		int group = or_pending ? last_group : out->ngroups;
		if ((rc = add_atom(t, out, a, s, n, prefix, neg, group, err, errlen)) < 0)
			return rc;
		if (rc == 0)
			continue; /* punctuation only: nothing to search for */
		if (!neg && !or_pending)
			out->ngroups++;
		last_group = neg ? last_group : group;
		last_neg = neg;
		or_pending = 0;
	}
	if (or_pending)
		return fail(err, errlen, "OR needs a word or \"phrase\" on each side");
	if (neg_next)
		return fail(err, errlen, "NOT must be followed by a word or \"phrase\" to exclude");
	if (out->ngroups == 0)
		return fail(err, errlen, "no word to search for (excluded words alone cannot be searched)");
	out->fts = searchq_fts(out, NULL, NULL, a);
	return ERR_OK;
}

/* Whether atom at matches the tokens at toks[i..]. */
static int atom_at(const struct searchq_atom *at, const struct searchq_token *toks, size_t n, size_t i)
{
	if (i + (size_t)at->ntok > n)
		return 0;
	for (int k = 0; k < at->ntok; k++) {
		const struct searchq_token *tk = &toks[i + (size_t)k];
		int last_prefix = at->prefix && k == at->ntok - 1;
		if (last_prefix ? tk->n < at->toklen[k] : tk->n != at->toklen[k])
			return 0;
		if (memcmp(tk->s, at->tok[k], (size_t)at->toklen[k]))
			return 0;
	}
	return 1;
}

static int hit_cmp(const void *pa, const void *pb)
{
	const struct searchq_hit *a = pa, *b = pb;
	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Whether the lowercased ASCII text s[0..n) holds the token t[0..tn) as a
 * whole word (as its start only, if prefix). */
static int has_word(const char *s, size_t n, const char *t, size_t tn, int prefix)
{
	const char *p = s, *end = s + n;
	while (tn && (p = memmem(p, (size_t)(end - p), t, tn))) {
		if ((p == s || !is_alnum(p[-1])) && (prefix || p + tn == end || !is_alnum(p[tn])))
			return 1;
		p++;
	}
	return 0;
}

/* Whether the fields may match q, without tokenizing them: on ASCII text
 * the tokenizer (unicode61) only splits at what is not an ASCII letter or
 * digit and lowercases, so every token is a whole word of its lowercased
 * field, and each positive group needs an atom whose tokens all occur so.
 * A field with a non-ASCII byte (which may fold to an ASCII letter) may
 * hold any token. */
static int may_match(const struct searchq *q, const struct searchq_field *f, size_t nf, struct arena *a)
{
	char **low = arena_alloc(a, (nf ? nf : 1) * sizeof *low);
	for (size_t fi = 0; fi < nf; fi++) {
		const unsigned char *s = (const unsigned char *)f[fi].text;
		char *l = arena_alloc(a, f[fi].len + 1);
		for (size_t i = 0; i < f[fi].len && l; i++) {
			if (s[i] >= 0x80)
				l = NULL;   /* may hold any token */
			else
				l[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]);
		}
		low[fi] = l;
	}
	for (int g = 0; g < q->ngroups; g++) {
		int any = 0;
		for (int ai = 0; ai < q->natoms && !any; ai++) {
			const struct searchq_atom *at = &q->atom[ai];
			if (at->neg || at->group != g)
				continue;
			int all = 1;
			for (int k = 0; k < at->ntok && all; k++) {
				int found = 0;
				for (size_t fi = 0; fi < nf && !found; fi++)
					found = !low[fi] || has_word(low[fi], f[fi].len, at->tok[k], (size_t)at->toklen[k],
					                 at->prefix && k == at->ntok - 1);
				all = found;
			}
			any = all;
		}
		if (!any)
			return 0;
	}
	return 1;
}

int searchq_match(struct searchq_tok *t, const struct searchq *q, const struct searchq_field *f, size_t nf,
                  struct arena *a, struct searchq_hit **hits, size_t *nhits)
{
	int matched[SEARCHQ_MAX_ATOMS] = {0};
	struct searchq_hit *h = NULL;
	size_t nh = 0, cap = 0;
	if (!may_match(q, f, nf, a))
		return 0;
	for (size_t fi = 0; fi < nf; fi++) {
		struct searchq_token *toks;
		size_t n = searchq_tokenize(t, f[fi].text, f[fi].len, a, &toks);
		for (int ai = 0; ai < q->natoms; ai++) {
			const struct searchq_atom *at = &q->atom[ai];
			for (size_t i = 0; i < n; i++) {
				if (!atom_at(at, toks, n, i))
					continue;
				matched[ai] = 1;
				if (at->neg)
					break;
				if (nh == cap) {
					cap = cap ? 2 * cap : 16;
					struct searchq_hit *g = arena_alloc(a, cap * sizeof *g);
					if (nh)
						memcpy(g, h, nh * sizeof *h);
					h = g;
				}
				h[nh++] = (struct searchq_hit){(int)fi, toks[i].start, toks[i + (size_t)at->ntok - 1].end};
			}
		}
	}
	for (int ai = 0; ai < q->natoms; ai++)
		if (q->atom[ai].neg && matched[ai])
			return 0;
	for (int g = 0; g < q->ngroups; g++) {
		int any = 0;
		for (int ai = 0; ai < q->natoms; ai++)
			any |= q->atom[ai].group == g && matched[ai];
		if (!any)
			return 0;
	}
	if (nh)
		qsort(h, nh, sizeof *h, hit_cmp);
	*hits = h;
	*nhits = nh;
	return 1;
}

/* Appends text[from..to) escaped for HTML, as valid UTF-8. */
static void add_escaped(struct jbuf *b, const char *text, size_t from, size_t to)
{
	for (size_t i = from; i < to;) {
		unsigned char c = (unsigned char)text[i];
		size_t n = utf8_char_len((const unsigned char *)text + i, to - i);
		switch (n ? c : 0x80) {
		case '&': jbuf_lit(b, "&amp;"); break;
		case '<': jbuf_lit(b, "&lt;"); break;
		case '>': jbuf_lit(b, "&gt;"); break;
		case '"': jbuf_lit(b, "&quot;"); break;
		case '\'': jbuf_lit(b, "&#39;"); break;
		case '\n': case '\r': case '\t': jbuf_lit(b, " "); break;
		case 0x80: jbuf_lit(b, UTF8_REPLACEMENT); break;
		default:
			if (c < 0x20)
				jbuf_lit(b, " ");
			else
				jbuf_put(b, text + i, n);
		}
		i += n ? n : 1;
	}
}

/* Moves i back to the start of a UTF-8 character. */
static size_t char_start(const char *text, size_t i)
{
	for (int k = 0; k < 3 && i > 0 && ((unsigned char)text[i] & 0xc0) == 0x80; k++)
		i--;
	return i;
}

char *searchq_snippet(const char *text, size_t len, const struct searchq_hit *hits, size_t nhits,
                      struct arena *a)
{
	size_t first = nhits ? (size_t)hits[0].start : 0;
	size_t from = first > SNIPPET_BEFORE ? first - SNIPPET_BEFORE : 0;
	size_t to = from + SNIPPET_CHARS < len ? from + SNIPPET_CHARS : len;
	if (nhits && (size_t)hits[0].end > to)
		to = (size_t)hits[0].end < len ? (size_t)hits[0].end : len;
	from = char_start(text, from);
	if (to < len)
		to = char_start(text, to);
	/* start at a word boundary when the window is cut */
	for (size_t k = from; from > 0 && k < first && k < from + 15; k++) {
		if (is_space(text[k])) {
			from = k + 1;
			break;
		}
	}
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	if (from > 0)
		jbuf_lit(&b, "\xe2\x80\xa6");
	size_t at = from;
	for (size_t i = 0; i < nhits; i++) {
		size_t s = (size_t)hits[i].start, e = (size_t)hits[i].end;
		if (s < at)
			s = at;          /* overlapping hits merge */
		if (e > to)
			e = to;
		if (s >= e)
			continue;
		add_escaped(&b, text, at, s);
		jbuf_lit(&b, "<mark>");
		add_escaped(&b, text, s, e);
		jbuf_lit(&b, "</mark>");
		at = e;
	}
	add_escaped(&b, text, at, to);
	if (to < len)
		jbuf_lit(&b, "\xe2\x80\xa6");
	return take(&b, a);
}
