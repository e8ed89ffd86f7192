/* filters.h: the trace-list filters on attributes, resource attributes,
 * metadata, tags and scores (attr.KEY=OP:VALUE, resource.KEY=..., meta.KEY=...,
 * tag=VALUE, score.NAME=...): parsing one query parameter, and the SQL
 * condition on the traces table (alias t) it becomes, over the per-trace
 * attribute index the writer fills (store/attrindex.h) and the scores table.
 * No SQL is ever built from a key or value: they are bound. */
#ifndef TL_FILTERS_H
#define TL_FILTERS_H
#include <sqlite3.h>
#include <stddef.h>
#include "base/err.h"
#include "store/attrindex.h"

#define FILTERS_MAX 16                            /* filter parameters per request */
#define FILTER_KEY_MAX ATTRINDEX_KEY_MAX          /* bytes of a key or score name */
#define FILTER_VALUE_MAX ATTRINDEX_VALUE_MAX      /* bytes of a value */

enum filter_source { FILTER_ATTR, FILTER_RESOURCE, FILTER_META, FILTER_TAG, FILTER_SCORE };
enum filter_op { FILTER_EQ, FILTER_NE, FILTER_CONTAINS, FILTER_LT, FILTER_GT, FILTER_EXISTS };

struct attr_filter {
	enum filter_source source;
	enum filter_op op;
	char key[FILTER_KEY_MAX + 1];                 /* "" for tag */
	char value[FILTER_VALUE_MAX + 1];             /* "" for exists */
	double num;                                   /* value as a number, when has_num */
	int has_num;
};

/* Whether query parameter name is a filter parameter (attr.*, resource.*,
 * meta.*, score.*, tag). */
int filter_is_param(const char *name);
/* Parses parameter name=value (both URL-decoded) into *out. Returns ERR_OK,
 * or ERR_BAD_INPUT / ERR_TOO_LARGE with err naming the parameter and what
 * is wrong (empty key, unknown operator, a number expected, too long). */
enum err filter_parse(const char *name, const char *value, struct attr_filter *out, char *err, size_t errlen);
/* Appends " AND <condition>" for filter number i (its parameters are named
 * :fk<i>a.., :fv<i>, :fn<i>) to sql, snprintf-style; returns the length
 * written. sets = 0 tests each trace (an index probe per trace walked:
 * cheap when the filter passes many traces), 1 selects the set of traces
 * passing it first (one range of the index: cheap when few do). */
size_t filter_where(const struct attr_filter *f, int i, int sets, char *sql, size_t size);
/* Binds filter number i's parameters in st. */
void filter_bind(sqlite3_stmt *st, const struct attr_filter *f, int i);

#endif
