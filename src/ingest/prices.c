/* prices.c: the price table: parsing price files (shipped and user), the
 * model-name matching rule, and the cost of a span's tokens. */
#include "ingest/prices.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/embed.h"
#include "base/err.h"

#define PRICES_HEADER "pattern,provider,input,output,cache_read,cache_write"
#define PRICES_FIELDS 6
#define PRICES_MAX_MODEL 255          /* longer model names never match */
#define PRICES_PER_TOKEN_MAX 0.01     /* above this, a per-million price was meant */

struct prices {
	struct price *rows;
	int *line;                        /* while parsing: the line of each row */
	size_t n, cap;
};

struct prices *prices_new(void)
{
	struct prices *p = calloc(1, sizeof *p);
	if (!p)
		abort();
	return p;
}

void prices_free(struct prices *p)
{
	if (!p)
		return;
	free(p->rows);
	free(p->line);
	free(p);
}

size_t prices_count(const struct prices *p)
{
	return p->n;
}

static void push(struct prices *p, const struct price *row, int line)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->rows = realloc(p->rows, p->cap * sizeof *p->rows);
		p->line = realloc(p->line, p->cap * sizeof *p->line);
		if (!p->rows || !p->line)
			abort();
	}
	p->rows[p->n] = *row;
	p->line[p->n++] = line;
}

static struct price *find(const struct prices *p, const char *pattern)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->rows[i].pattern, pattern))
			return &p->rows[i];
	return NULL;
}

/* The literal part of a pattern: without its trailing '*'. */
static size_t literal_len(const struct price *r)
{
	size_t n = strlen(r->pattern);
	return n && r->pattern[n - 1] == '*' ? n - 1 : n;
}

/* Longest literal first; at equal length an exact pattern before a '*'
 * one, so the first row that matches is the one that wins. */
static int by_specificity(const void *a, const void *b)
{
	const struct price *x = a, *y = b;
	size_t lx = literal_len(x), ly = literal_len(y);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	size_t sx = strlen(x->pattern) - lx, sy = strlen(y->pattern) - ly;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return strcmp(x->pattern, y->pattern);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static int bad(char *err, size_t errlen, const char *name, int line, const char *what)
{
	return err_set(err, errlen, ERR_BAD_INPUT, "%s: line %d: %s", name, line, what);
}

/* Parses one price column; "" (allowed for the cache columns) -> fallback. */
static int parse_price(const char *s, int optional, double fallback, double *out, char *msg, size_t msglen,
                       const char *col)
{
	char *end;
	if (!*s && optional) {
		*out = fallback;
		return 0;
	}
	errno = 0;
	double v = *s ? strtod(s, &end) : -1;
	if (!*s || *end || errno || !isfinite(v) || v < 0) {
		snprintf(msg, msglen, "%s: expected a non-negative number of USD per token, got '%.40s'", col, s);
		return -1;
	}
	if (v >= PRICES_PER_TOKEN_MAX) {
		snprintf(msg, msglen,
		         "%s: %.40s USD per token is too high; prices are per token, not per million "
		         "($2.50 per million tokens = 0.0000025)",
		         col, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Checks and lowercases a pattern; returns NULL or what is wrong. */
static const char *check_pattern(char *s)
{
	size_t n = strlen(s);
	if (!n)
		return "pattern: empty";
	if (n > PRICES_MAX_PATTERN)
		return "pattern: longer than 128 characters";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		s[i] = (char)tolower(c);
		if (c == '*' && i == n - 1)
			continue;
		if (c == '/')
			return "pattern: must not contain '/' (prefixes such as openai/ are stripped from model names "
			       "before matching)";
		if (c == '*')
			return "pattern: '*' may only end a pattern";
		if (!isalnum(c) && !strchr("._:@+-", c))
			return "pattern: only letters, digits and . _ : @ + - are allowed (and a final *)";
	}
	return NULL;
}

static const char *check_provider(char *s)
{
	size_t n = strlen(s);
	if (n >= sizeof ((struct price *)0)->provider)
		return "provider: longer than 63 characters";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		s[i] = (char)tolower(c);
		if (!isalnum(c) && !strchr("._-", c))
			return "provider: only letters, digits and . _ - are allowed";
	}
	return NULL;
}

/* Parses one data line into row; returns 0, or -1 with msg filled. */
static int parse_row(char *line, struct price *row, char *msg, size_t msglen)
{
	char *f[PRICES_FIELDS + 1];
	int nf = 0;
	for (char *s = line;; nf++) {
		char *comma = strchr(s, ',');
		if (nf <= PRICES_FIELDS)
			f[nf] = s;
		if (!comma) {
			nf++;
			break;
		}
		*comma = 0;
		s = comma + 1;
	}
	if (nf != PRICES_FIELDS) {
		snprintf(msg, msglen, "expected 6 comma-separated fields (" PRICES_HEADER "), got %d", nf);
		return -1;
	}
	for (int i = 0; i < PRICES_FIELDS; i++)
		f[i] = trim(f[i]);
	const char *why;
	memset(row, 0, sizeof *row);
	if ((why = check_pattern(f[0])) || (why = check_provider(f[1]))) {
		snprintf(msg, msglen, "%s", why);
		return -1;
	}
	memcpy(row->pattern, f[0], strlen(f[0]) + 1);
	memcpy(row->provider, f[1], strlen(f[1]) + 1);
	if (parse_price(f[2], 0, 0, &row->input, msg, msglen, "input") ||
	    parse_price(f[3], 0, 0, &row->output, msg, msglen, "output") ||
	    parse_price(f[4], 1, row->input, &row->cache_read, msg, msglen, "cache_read") ||
	    parse_price(f[5], 1, row->input, &row->cache_write, msg, msglen, "cache_write"))
		return -1;
	return 0;
}

enum err prices_parse(struct prices *p, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	struct prices *in = prices_new();
	char buf[PRICES_MAX_LINE + 2], msg[256];
	int lineno = 0, header = 0, rc = ERR_OK;
	if (len > PRICES_MAX_FILE)
		rc = err_set(err, errlen, ERR_BAD_INPUT, "%s: larger than %u MiB", name, PRICES_MAX_FILE >> 20);
	for (size_t at = 0; !rc && at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		lineno++;
		if (n > PRICES_MAX_LINE) {
			rc = bad(err, errlen, name, lineno, "longer than 1024 bytes");
			break;
		}
		memcpy(buf, text + at, n);
		buf[n] = 0;
		at += n + 1;
		if (memchr(buf, 0, n)) {
			rc = bad(err, errlen, name, lineno, "contains a NUL byte (not a text file?)");
			break;
		}
		char *line = trim(buf);
		if (!*line || *line == '#')
			continue;
		if (!header) {
			char *s = line, *o = line;
			for (; *s; s++) /* the header compares without blanks */
				if (*s != ' ' && *s != '\t')
					*o++ = *s;
			*o = 0;
			if (strcmp(line, PRICES_HEADER))
				rc = bad(err, errlen, name, lineno, "expected the header line '" PRICES_HEADER "'");
			header = 1;
			continue;
		}
		struct price row;
		if (parse_row(line, &row, msg, sizeof msg)) {
			rc = bad(err, errlen, name, lineno, msg);
			break;
		}
		const struct price *dup = find(in, row.pattern);
		if (dup) {
			snprintf(msg, sizeof msg, "pattern '%s' already on line %d", row.pattern, in->line[dup - in->rows]);
			rc = bad(err, errlen, name, lineno, msg);
			break;
		}
		push(in, &row, lineno);
	}
	if (!rc && !header)
		rc = err_set(err, errlen, ERR_BAD_INPUT, "%s: no header line '" PRICES_HEADER "'", name);
	for (size_t i = 0; !rc && i < in->n; i++) {
		struct price *have = find(p, in->rows[i].pattern);
		if (have)
			*have = in->rows[i];
		else
			push(p, &in->rows[i], in->line[i]);
	}
	if (!rc && p->n)
		qsort(p->rows, p->n, sizeof *p->rows, by_specificity);
	prices_free(in);
	return rc;
}

enum err prices_parse_file(struct prices *p, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: cannot open: %s", path, strerror(errno));
	size_t cap = PRICES_MAX_FILE + 1, n;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	n = fread(buf, 1, cap, f);
	int rc;
	if (ferror(f))
		rc = err_set(err, errlen, ERR_BAD_INPUT, "%s: cannot read: %s", path, strerror(errno));
	else
		rc = prices_parse(p, path, buf, n, err, errlen);
	fclose(f);
	free(buf);
	return rc;
}

struct prices *prices_load(const char *user_path, char *err, size_t errlen)
{
	struct prices *p = prices_new();
	const struct embedded_file *shipped = &embedded_prices[0];
	int rc = prices_parse(p, "prices.csv (built in)", (const char *)shipped->data, shipped->len, err, errlen);
	if (!rc && user_path && *user_path)
		rc = prices_parse_file(p, user_path, err, errlen);
	if (rc) {
		prices_free(p);
		return NULL;
	}
	return p;
}

/* A pattern's literal part may be followed by nothing, or by a version
 * suffix: @..., :..., -<digit>..., -latest..., -preview..., -exp... */
static int version_suffix(const char *rest)
{
	if (!*rest || *rest == '@' || *rest == ':')
		return 1;
	if (*rest != '-')
		return 0;
	rest++;
	return isdigit((unsigned char)*rest) || !strncmp(rest, "latest", 6) || !strncmp(rest, "preview", 7) ||
	       !strncmp(rest, "exp", 3);
}

/* Lowercases model into out and strips "any/prefix/" and "vendor." (a
 * leading run of letters and '_' ended by '.'). Returns the name or NULL. */
static const char *normalize(const char *model, char out[PRICES_MAX_MODEL + 1])
{
	const char *slash = strrchr(model, '/');
	if (slash)
		model = slash + 1;
	while (*model == ' ')
		model++;
	size_t n = strlen(model);
	if (!n || n > PRICES_MAX_MODEL)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)model[i]);
	while (n && out[n - 1] == ' ')
		out[--n] = 0;
	char *s = out;
	for (;;) {
		size_t k = 0;
		while (islower((unsigned char)s[k]) || s[k] == '_')
			k++;
		if (k == 0 || s[k] != '.' || !s[k + 1])
			break;
		s += k + 1;
	}
	return s;
}

const struct price *prices_match(const struct prices *p, const char *model)
{
	char buf[PRICES_MAX_MODEL + 1];
	const char *name = model ? normalize(model, buf) : NULL;
	if (!name)
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		const struct price *r = &p->rows[i];
		size_t lit = literal_len(r);
		if (strncmp(name, r->pattern, lit))
			continue;
		if (r->pattern[lit] == '*' || version_suffix(name + lit))
			return r;
	}
	return NULL;
}

double prices_cost(const struct price *pr, int64_t input, int64_t output, int64_t cache_read, int64_t cache_write)
{
	int64_t cached = cache_read + cache_write;
	int64_t uncached = input >= cached ? input - cached : input;
	return (double)uncached * pr->input + (double)output * pr->output + (double)cache_read * pr->cache_read +
	       (double)cache_write * pr->cache_write;
}

void prices_apply_span(const struct prices *p, struct span *s)
{
	if (s->has_cost) {
		s->cost_source = SPAN_COST_CLIENT;
		return;
	}
	s->cost_source = SPAN_COST_NONE;
	if (!s->model || !(s->input_tokens || s->output_tokens || s->cache_read_tokens || s->cache_write_tokens))
		return;
	const struct price *pr = prices_match(p, s->model);
	if (!pr)
		return;
	s->cost_usd = prices_cost(pr, s->input_tokens, s->output_tokens, s->cache_read_tokens, s->cache_write_tokens);
	s->has_cost = 1;
	s->cost_source = SPAN_COST_TABLE;
}

void prices_apply(const struct prices *p, struct span_batch *b)
{
	for (size_t i = 0; i < b->nspans; i++)
		prices_apply_span(p, &b->spans[i]);
}
