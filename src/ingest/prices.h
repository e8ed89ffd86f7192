/* prices.h: the model price table (schema/prices.csv, embedded at build
 * time, plus an optional user file), matching model names to its rows, and
 * the cost of a span's tokens. A loaded table is read-only and shared by
 * every thread. */
#ifndef TL_PRICES_H
#define TL_PRICES_H
#include <stddef.h>
#include <stdint.h>
#include "ingest/span.h"
#include "base/err.h"

#define PRICES_MAX_FILE (4u << 20)   /* bytes of one price file */
#define PRICES_MAX_LINE 1024         /* bytes of one line */
#define PRICES_MAX_PATTERN 128       /* bytes of one pattern */

struct price {
	char pattern[PRICES_MAX_PATTERN + 1];   /* lowercase; may end in '*' */
	char provider[64];                      /* "" when none */
	double input, output, cache_read, cache_write;   /* USD per token */
};

struct prices;

/* Returns an empty table; free with prices_free. */
struct prices *prices_new(void);
void prices_free(struct prices *p);
/* Parses a price file's text (len bytes; name is used in messages) into p:
 * a row whose pattern p already has replaces it, others are added. Returns
 * ERR_OK, or ERR_BAD_INPUT with err naming the file, the line and the
 * problem; p is unchanged then. */
enum err prices_parse(struct prices *p, const char *name, const char *text, size_t len, char *err, size_t errlen);
/* Reads the file at path and parses it as prices_parse does. Returns
 * ERR_OK, or ERR_BAD_INPUT (cannot open or read, or as prices_parse). */
enum err prices_parse_file(struct prices *p, const char *path, char *err, size_t errlen);
/* Returns the shipped table with the user file at user_path (NULL or "":
 * none) applied over it, or NULL with err filled. */
struct prices *prices_load(const char *user_path, char *err, size_t errlen);
/* Returns the number of rows. */
size_t prices_count(const struct prices *p);

/* Returns the row pricing model (the longest matching pattern, see
 * prices.csv), or NULL. The pointer lives as long as p. */
const struct price *prices_match(const struct prices *p, const char *model);
/* Returns the cost of the tokens at pr's prices. Input tokens include the
 * cached ones (OTel GenAI convention): uncached = input - cache_read -
 * cache_write; when input is smaller than the cached tokens the counts
 * cannot follow that convention and input is taken as uncached only. */
double prices_cost(const struct price *pr, int64_t input, int64_t output, int64_t cache_read,
                   int64_t cache_write);
/* Prices one span: a client-sent cost is kept (cost_source CLIENT); else a
 * span with a priced model and any token count gets the computed cost
 * (cost_source TABLE); else it stays without cost (NONE). */
void prices_apply_span(const struct prices *p, struct span *s);
/* prices_apply_span on every span of b. */
void prices_apply(const struct prices *p, struct span_batch *b);

#endif
