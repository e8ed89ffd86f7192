/* test_searchq.c: the full-text query language: parsing (words, phrases,
 * OR, negation, prefix, and the malformed forms that must be refused), the
 * FTS5 expression (only quoted tokens, so no query can inject syntax; it
 * must also be accepted by a real FTS5 table; without the words an index
 * leaves out), evaluation and snippets. */
#include <sqlite3.h>
#include <string.h>
#include "base/arena.h"
#include "base/err.h"
#include "query/searchq.h"
#include "test.h"

static sqlite3 *db;
static struct searchq_tok tok;

/* Parses q; returns the FTS expression or NULL (err filled). */
static const char *parse(const char *q, struct arena *a, struct searchq *out, char *err)
{
	return searchq_parse(&tok, q, a, out, err, 256) ? NULL : out->fts;
}

/* 1 if q matches the one-field document text. */
static int matches(const char *q, const char *text)
{
	struct arena *a = arena_new();
	struct searchq sq;
	char err[256];
	struct searchq_field f = {text, strlen(text), 0, 0};
	struct searchq_hit *h;
	size_t nh;
	int r = parse(q, a, &sq, err) ? searchq_match(&tok, &sq, &f, 1, a, &h, &nh) : -1;
	arena_free(a);
	return r;
}

/* 1 if the FTS5 table accepts expr as a MATCH expression. */
static int fts_accepts(const char *expr)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?", -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE;
}

static void test_parse(void)
{
	struct arena *a = arena_new();
	struct searchq q;
	char err[256];
	const char *e = parse("Timeout", a, &q, err);
	CHECK(e && !strcmp(e, "((\"timeout\"))"), "word: %s", e ? e : err);
	e = parse("rate \"rate limit\" -retry tim* a OR b", a, &q, err);
	CHECK(e && q.natoms == 6 && q.ngroups == 4, "mixed: %s natoms %d groups %d", e ? e : err, q.natoms, q.ngroups);
	CHECK(e && !strcmp(e, "((\"rate\") AND ((\"rate\" AND \"limit\")) AND (\"tim\"*) AND (\"a\" OR \"b\")) NOT \"retry\""),
	      "expr: %s", e ? e : "");
	e = parse("-\"two words\" x", a, &q, err);
	CHECK(e && !strstr(e, "NOT"), "negated phrase checked on the text only: %s", e ? e : err);
	e = parse("user@example.com", a, &q, err);
	CHECK(e && q.natoms == 1 && q.atom[0].ntok == 3, "punctuated word is a phrase: %s", e ? e : err);
	e = parse("Ünïcödé", a, &q, err);
	CHECK(e && !strcmp(q.atom[0].tok[0], "unicode"), "folded: %s", e ? q.atom[0].tok[0] : err);
	e = parse("a NOT b AND c", a, &q, err);
	CHECK(e && q.natoms == 3 && q.atom[1].neg, "NOT and AND keywords: %s", e ? e : err);

	const char *bad[] = {"\"open", "OR", "a OR", "OR a", "a OR OR b", "-", "- a", "-a", "NOT a", "a NOT",
	                     "***", "!!! ???", "a OR -b", "\"\"", ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!parse(bad[i], a, &q, err) && *err, "'%s' must be refused", bad[i]);
	char big[SEARCHQ_MAX_LEN + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(!parse(big, a, &q, err) && strstr(err, "longer"), "too long: %s", err);
	CHECK(!parse("a b c d e f g h i j k l m n o p q", a, &q, err), "too many words");
	/* folded, this became two tokens inside one FTS5 string: a 503 */
	CHECK(!parse("x\xf3\x80\x80\x80\x80x", a, &q, err) && strstr(err, "UTF-8 at byte 6"), "bad UTF-8: %s", err);

	/* hostile input becomes quoted tokens that FTS5 accepts as such */
	const char *hostile[] = {"NEAR(a b, 2)", "text:secret", "^start", "a + b", "\"x\"\"y\"", "'; DROP TABLE t; --",
	                         "{text}: a", "a* OR b*", "\xff\xfe garbage \xc3", "(a OR b) AND c", "AND"};
	for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
		e = parse(hostile[i], a, &q, err);
		CHECK(!e || fts_accepts(e), "'%s' -> '%s' must be valid FTS5", hostile[i], e);
	}
	arena_free(a);
}

/* searchq_indexed_fn over a NULL-terminated list of left-out words */
static int not_listed(void *u, const char *tok, int prefix)
{
	for (const char *const *w = u; *w; w++)
		if (prefix ? !strncmp(*w, tok, strlen(tok)) : !strcmp(*w, tok))
			return 0;
	return 1;
}

static void test_fts_without(void)
{
	struct arena *a = arena_new();
	struct searchq q;
	char err[256];
	const char *frequent[] = {"the", "rate", "limit", "error", NULL};
	struct {
		const char *q, *want;   /* want NULL: the index cannot narrow q */
	} cases[] = {
		{"timeout", "((\"timeout\"))"},
		{"the", NULL},
		{"the timeout", "((\"timeout\"))"},
		{"\"the timeout\"", "((\"timeout\"))"},
		{"\"rate limit\"", NULL},
		{"\"rate limit\" x", "((\"x\"))"},
		{"\"rate limit hit\"", "((\"hit\"))"},
		{"timeout OR the", NULL},
		{"timeout OR the x", "((\"x\"))"},
		{"timeout OR retry x", "((\"timeout\" OR \"retry\") AND (\"x\"))"},
		{"x -the", "((\"x\"))"},
		{"x -retry", "((\"x\")) NOT \"retry\""},
		{"er*", NULL},
		{"ti*", "((\"ti\"*))"},
		{"\"rate ti\"*", "((\"ti\"*))"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		CHECK(!searchq_parse(&tok, cases[i].q, a, &q, err, sizeof err), "%s: %s", cases[i].q, err);
		const char *e = searchq_fts(&q, not_listed, frequent, a);
		CHECK(cases[i].want ? e && !strcmp(e, cases[i].want) : !e, "'%s' -> '%s', want '%s'", cases[i].q,
		      e ? e : "(none)", cases[i].want ? cases[i].want : "(none)");
		CHECK(!e || fts_accepts(e), "'%s' -> '%s' must be valid FTS5", cases[i].q, e);
	}
	/* no predicate: every token, as parsed */
	CHECK(!searchq_parse(&tok, "the \"rate limit\" -error", a, &q, err, sizeof err), "%s", err);
	const char *all = searchq_fts(&q, NULL, NULL, a);
	CHECK(all && !strcmp(all, q.fts), "%s vs %s", all ? all : "(none)", q.fts);
	arena_free(a);
}

static void test_match(void)
{
	CHECK(matches("timeout", "The call hit a Timeout.") == 1, "word");
	CHECK(matches("time", "The call hit a Timeout.") == 0, "not a prefix without *");
	CHECK(matches("time*", "The call hit a Timeout.") == 1, "prefix");
	CHECK(matches("\"rate limit\"", "we hit the rate limit again") == 1, "phrase");
	CHECK(matches("\"rate limit\"", "limit the rate") == 0, "phrase order");
	CHECK(matches("\"rate lim\"*", "rate limiting") == 1, "phrase with prefix");
	CHECK(matches("rate -limit", "rate limit") == 0, "negation");
	CHECK(matches("rate -\"limit rate\"", "rate limit") == 1, "negated phrase absent");
	CHECK(matches("foo OR limit", "rate limit") == 1, "OR");
	CHECK(matches("foo OR bar", "rate limit") == 0, "OR neither");
	CHECK(matches("cafe", "un café noir") == 1, "diacritics folded");
	/* the quick test before tokenizing (may_match) must never say no to
	 * a match: case, word edges, digits, prefixes, non-ASCII folding */
	CHECK(matches("ERROR", "an error_code") == 1, "case folded, _ separates");
	CHECK(matches("or", "color or colour") == 1, "a word also inside others");
	CHECK(matches("or", "color colour") == 0, "only inside others");
	CHECK(matches("x9", "id=X9;") == 1, "digits and punctuation");
	CHECK(matches("rat*", "Ratelimit") == 1, "prefix at a word start");
	CHECK(matches("ate*", "ratelimit") == 0, "prefix inside a word");
	CHECK(matches("strasse", "STRASSE") == 1, "upper case ASCII");
	CHECK(matches("resume", "R\xc3\xa9SUM\xc3\xa9 sent") == 1, "non-ASCII field folds to ASCII");
	CHECK(matches("\"direct or indirect\"", "direct, or indirect.") == 1, "phrase across punctuation");
	CHECK(matches("\"direct or indirect\"", "direction or indirectly") == 0, "phrase of partial words");

	/* hits and snippets */
	struct arena *a = arena_new();
	struct searchq q;
	char err[256];
	const char *text = "<b>alert</b> & \"quotes\": the rate limit was hit; rate limit again";
	struct searchq_field f[2] = {{"nothing here", 12, 0, 0}, {text, strlen(text), 1, 0}};
	struct searchq_hit *h;
	size_t nh;
	CHECK(parse("\"rate limit\" alert", a, &q, err) != NULL, "%s", err);
	CHECK(searchq_match(&tok, &q, f, 2, a, &h, &nh) == 1 && nh == 3 && h[0].field == 1, "hits %zu", nh);
	const char *s = searchq_snippet(text, strlen(text), h, nh, a);
	CHECK(!strcmp(s, "&lt;b&gt;<mark>alert</mark>&lt;/b&gt; &amp; &quot;quotes&quot;: the <mark>rate limit</mark> was hit;"
	                 " <mark>rate limit</mark> again"),
	      "snippet: %s", s);
	char longtext[2000];
	memset(longtext, 'x', sizeof longtext);
	memcpy(longtext + 1000, " needle ", 8);
	memcpy(longtext + 990, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
	longtext[500] = '\xff';
	struct searchq_field lf = {longtext, sizeof longtext, 0, 0};
	CHECK(parse("needle", a, &q, err) && searchq_match(&tok, &q, &lf, 1, a, &h, &nh) == 1, "long");
	s = searchq_snippet(longtext, sizeof longtext, h, nh, a);
	CHECK(strstr(s, "<mark>needle</mark>") && !strncmp(s, "\xe2\x80\xa6", 3) && strlen(s) < 200, "window: %s", s);
	const char *bad_utf8 = "ok \xff\xfe bad \xc3";
	s = searchq_snippet(bad_utf8, strlen(bad_utf8), NULL, 0, a);
	CHECK(!strcmp(s, "ok \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd"), "invalid UTF-8 replaced: %s", s);
	arena_free(a);
}

int main(void)
{
	if (sqlite3_open(":memory:", &db) ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(text, content='', detail=none);"
	                     "INSERT INTO t (rowid, text) VALUES (1, 'a b c secret start')", NULL, NULL, NULL) ||
	    searchq_tok_open(db, &tok)) {
		printf("FAIL: no FTS5\n0 passed, 1 failed\n");
		return 1;
	}
	test_parse();
	test_fts_without();
	test_match();
	searchq_tok_close(&tok);
	sqlite3_close(db);
	return test_done();
}
