/* filters.c: attribute, resource, metadata, tag and score filters of the
 * trace list (filters.h): one query parameter parsed, its condition as
 * SQL with bound parameters. Attribute conditions read attr_pairs and
 * pair_blocks (schema/011) and trace_pairsets (schema/015, through the
 * tl_pairset_* functions of store/pairset.h), whose keys are interned as "a:KEY" (span attributes),
 * resource conditions resource_attrs ("r:KEY") through trace_resources;
 * scores read the scores table. */
#include "query/filters.h"
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {"eq", "ne", "contains", "lt", "gt", "exists"};

/* The span-attribute keys meta.KEY reads, in this order (docs/api.md). */
static const char *const meta_prefixes[] = {"metadata.", "langfuse.trace.metadata.", "langfuse.observation.metadata."};
/* The span-attribute keys tag=VALUE reads. */
static const char *const tag_keys[] = {"tag.tags", "langfuse.trace.tags", "langfuse.tags"};
#define KEY_SLOTS 3

static const struct {
	const char *prefix;
	enum filter_source source;
} sources[] = {
	{"attr.", FILTER_ATTR}, {"resource.", FILTER_RESOURCE}, {"meta.", FILTER_META}, {"score.", FILTER_SCORE},
};

int filter_is_param(const char *name)
{
	if (!strcmp(name, "tag"))
		return 1;
	for (size_t i = 0; i < sizeof sources / sizeof *sources; i++)
		if (!strncmp(name, sources[i].prefix, strlen(sources[i].prefix)))
			return 1;
	return 0;
}

/* A finite number, the whole text. */
static int parse_num(const char *s, double *out)
{
	char *end;
	if (!*s)
		return 0;
	double v = strtod(s, &end);
	if (*end || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

enum err filter_parse(const char *name, const char *value, struct attr_filter *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t plen = 0;
	if (!strcmp(name, "tag")) {
		out->source = FILTER_TAG;
		out->op = FILTER_EQ;
		if (!*value)
			return err_set(err, errlen, ERR_BAD_INPUT, "tag: expected a tag, e.g. tag=beta");
		if (strlen(value) > FILTER_VALUE_MAX)
			return err_set(err, errlen, ERR_BAD_INPUT, "tag: longer than %d bytes", FILTER_VALUE_MAX);
		memcpy(out->value, value, strlen(value) + 1);
		return ERR_OK;
	}
	for (size_t i = 0; i < sizeof sources / sizeof *sources && !plen; i++)
		if (!strncmp(name, sources[i].prefix, strlen(sources[i].prefix))) {
			plen = strlen(sources[i].prefix);
			out->source = sources[i].source;
		}
	assert(plen); /* callers ask filter_is_param first */
	const char *key = name + plen;
	if (!*key)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: empty key, e.g. %splan=eq:pro", name, name);
	if (strlen(key) > FILTER_KEY_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "%.40s...: key longer than %d bytes", name, FILTER_KEY_MAX);
	memcpy(out->key, key, strlen(key) + 1);
	const char *colon = strchr(value, ':');
	size_t oplen = colon ? (size_t)(colon - value) : strlen(value);
	int op = -1;
	for (int i = 0; i < (int)(sizeof op_names / sizeof *op_names); i++)
		if (strlen(op_names[i]) == oplen && !strncmp(value, op_names[i], oplen))
			op = i;
	if (op < 0)
		return err_set(err, errlen, ERR_BAD_INPUT,
		               "%s: expected OP:VALUE with OP one of eq, ne, contains, lt, gt, or 'exists'", name);
	out->op = (enum filter_op)op;
	if (op == FILTER_EXISTS) {
		if (colon)
			return err_set(err, errlen, ERR_BAD_INPUT, "%s: 'exists' takes no value", name);
		return ERR_OK;
	}
	if (!colon)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: expected %s:VALUE", name, op_names[op]);
	const char *v = colon + 1;
	if (strlen(v) > FILTER_VALUE_MAX)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: value longer than %d bytes", name, FILTER_VALUE_MAX);
	if (op == FILTER_CONTAINS && !*v)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: contains needs a value", name);
	memcpy(out->value, v, strlen(v) + 1);
	out->has_num = parse_num(v, &out->num);
	if (out->source == FILTER_SCORE && !out->has_num && (!strcmp(v, "true") || !strcmp(v, "false"))) {
		/* boolean scores are stored as 1 and 0 */
		out->num = !strcmp(v, "true");
		out->has_num = 1;
	}
	if ((op == FILTER_LT || op == FILTER_GT) && !out->has_num)
		return err_set(err, errlen, ERR_BAD_INPUT, "%s: %s compares numbers; '%.40s' is not one", name, op_names[op],
		               v);
	return ERR_OK;
}

/* The condition on one value column col (NULL-safe: false when NULL). */
static size_t cond(const struct attr_filter *f, int i, const char *num_col, const char *text_col, char *sql,
                   size_t size)
{
	switch (f->op) {
	case FILTER_EXISTS:
		return (size_t)snprintf(sql, size, "1");
	case FILTER_EQ:
	case FILTER_NE: /* ne is NOT IN the eq set: see filter_where */
		return (size_t)snprintf(sql, size, "(%s = :fn%d OR %s = :fv%d)", num_col, i, text_col, i);
	case FILTER_CONTAINS:
		return (size_t)snprintf(sql, size, "(typeof(%s) = 'text' AND instr(lower(%s), lower(:fv%d)) > 0)", text_col,
		                        text_col, i);
	case FILTER_LT:
	case FILTER_GT:
		return (size_t)snprintf(sql, size, "(typeof(%s) IN ('integer', 'real') AND %s %s :fn%d)", num_col, num_col,
		                        f->op == FILTER_LT ? "<" : ">", i);
	}
	return 0;
}

size_t filter_where(const struct attr_filter *f, int i, int sets, char *sql, size_t size)
{
	size_t n = 0;
	const char *not = f->op == FILTER_NE ? "NOT " : "";
	char keys[96];
	snprintf(keys, sizeof keys, "(SELECT id FROM strings WHERE value IN (:fk%da, :fk%db, :fk%dc))", i, i, i);
#define ROOM (n < size ? size - n : 0)
#define ADD(...) n += (size_t)snprintf(sql + n, ROOM, __VA_ARGS__)
	if (f->source == FILTER_SCORE) {
		if (sets)
			ADD(" AND t.trace_id %sIN (SELECT s.trace_id FROM scores s WHERE s.name = :fk%da AND ", not, i);
		else
			ADD(" AND %sEXISTS (SELECT 1 FROM scores s WHERE s.trace_id = t.trace_id AND s.name = :fk%da AND ", not, i);
		n += cond(f, i, "s.value", "s.string_value", sql + n, ROOM);
		ADD(")");
	} else if (f->source == FILTER_RESOURCE) {
		/* resources are indexed once each, traces link to theirs */
		if (sets)
			ADD(" AND t.key %sIN (SELECT tr.trace FROM trace_resources tr WHERE tr.resource IN", not);
		else
			ADD(" AND %sEXISTS (SELECT 1 FROM trace_resources tr WHERE tr.trace = t.key AND tr.resource IN", not);
		ADD(" (SELECT x.resource FROM resource_attrs x WHERE x.key IN %s AND ", keys);
		n += cond(f, i, "x.value", "x.value", sql + n, ROOM);
		ADD("))");
	} else {
		/* the matching pairs (few: one per distinct value of the keys);
		 * a trace is tested by one seek of its pair set and a merge with
		 * the matching pairs' set (built once: the subquery does not
		 * depend on the trace); as a set, the 256-trace blocks holding a
		 * pair are scanned for the traces whose set has it */
		if (sets)
			ADD(" AND t.key %sIN (SELECT x.trace FROM pair_blocks b, trace_pairsets x WHERE x.trace >= (b.block << %d)"
			    " AND x.trace < ((b.block + 1) << %d) AND tl_pairset_has(x.pairs, b.pair) AND b.pair IN",
			    not, ATTRINDEX_BLOCK_BITS, ATTRINDEX_BLOCK_BITS);
		else {
			/* no matching pair (an empty set, length 0): no trace is read */
			ADD(" AND %s(length((SELECT tl_pairset_agg(p.id) FROM attr_pairs p WHERE p.key IN %s AND ", not, keys);
			n += cond(f, i, "p.value", "p.value", sql + n, ROOM);
			ADD(")) > 0 AND tl_pairset_any((SELECT x.pairs FROM trace_pairsets x WHERE x.trace = t.key),");
		}
		ADD(sets ? " (SELECT p.id FROM attr_pairs p WHERE p.key IN %s AND "
		         : " (SELECT tl_pairset_agg(p.id) FROM attr_pairs p WHERE p.key IN %s AND ", keys);
		n += cond(f, i, "p.value", "p.value", sql + n, ROOM);
		ADD(sets ? "))" : ")))");
	}
#undef ADD
#undef ROOM
	return n;
}

void filter_bind(sqlite3_stmt *st, const struct attr_filter *f, int i)
{
	char name[16], key[FILTER_KEY_MAX + 64];
	for (int k = 0; k < KEY_SLOTS; k++) {
		snprintf(name, sizeof name, ":fk%d%c", i, 'a' + k);
		int idx = sqlite3_bind_parameter_index(st, name);
		const char *text = NULL;
		switch (f->source) {
		case FILTER_ATTR:
		case FILTER_RESOURCE:
			if (k == 0) {
				snprintf(key, sizeof key, "%c:%s", f->source == FILTER_ATTR ? 'a' : 'r', f->key);
				text = key;
			}
			break;
		case FILTER_META:
			snprintf(key, sizeof key, "a:%s%s", meta_prefixes[k], f->key);
			text = key;
			break;
		case FILTER_TAG:
			snprintf(key, sizeof key, "a:%s", tag_keys[k]);
			text = key;
			break;
		case FILTER_SCORE:
			text = k == 0 ? f->key : NULL;
			break;
		}
		if (idx && text)
			sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
	}
	snprintf(name, sizeof name, ":fv%d", i);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), f->value, -1, SQLITE_STATIC);
	snprintf(name, sizeof name, ":fn%d", i);
	if (f->has_num)
		sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, name), f->num);
}
