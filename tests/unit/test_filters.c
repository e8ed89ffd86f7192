/* test_filters.c: filter_parse (src/query/filters.c), table-driven: every
 * source and operator, numbers and booleans, and each refusal with the
 * parameter named in the message. */
#include <math.h>
#include "query/filters.h"
#include "test.h"

struct ok_case {
	const char *name, *value;
	enum filter_source source;
	enum filter_op op;
	const char *key, *val;
	int has_num;
	double num;
};

static const struct ok_case oks[] = {
	{"attr.plan", "eq:pro", FILTER_ATTR, FILTER_EQ, "plan", "pro", 0, 0},
	{"attr.plan", "ne:pro", FILTER_ATTR, FILTER_NE, "plan", "pro", 0, 0},
	{"attr.a.b.c", "contains:x:y", FILTER_ATTR, FILTER_CONTAINS, "a.b.c", "x:y", 0, 0},
	{"attr.n", "lt:-2.5", FILTER_ATTR, FILTER_LT, "n", "-2.5", 1, -2.5},
	{"attr.n", "gt:1e3", FILTER_ATTR, FILTER_GT, "n", "1e3", 1, 1000},
	{"attr.n", "eq:5", FILTER_ATTR, FILTER_EQ, "n", "5", 1, 5},
	{"attr.flag", "eq:true", FILTER_ATTR, FILTER_EQ, "flag", "true", 0, 0},
	{"attr.plan", "exists", FILTER_ATTR, FILTER_EXISTS, "plan", "", 0, 0},
	{"attr.plan", "eq:", FILTER_ATTR, FILTER_EQ, "plan", "", 0, 0},
	{"resource.region", "eq:eu", FILTER_RESOURCE, FILTER_EQ, "region", "eu", 0, 0},
	{"meta.team", "exists", FILTER_META, FILTER_EXISTS, "team", "", 0, 0},
	{"score.hallucination", "eq:true", FILTER_SCORE, FILTER_EQ, "hallucination", "true", 1, 1},
	{"score.hallucination", "eq:false", FILTER_SCORE, FILTER_EQ, "hallucination", "false", 1, 0},
	{"score.q", "gt:0.5", FILTER_SCORE, FILTER_GT, "q", "0.5", 1, 0.5},
	{"tag", "beta", FILTER_TAG, FILTER_EQ, "", "beta", 0, 0},
	{"tag", "eq:beta", FILTER_TAG, FILTER_EQ, "", "eq:beta", 0, 0},
};

struct bad_case {
	const char *name, *value, *message;
};

static const struct bad_case bads[] = {
	{"attr.plan", "like:pro", "attr.plan: expected OP:VALUE"},
	{"attr.plan", "pro", "attr.plan: expected OP:VALUE"},
	{"attr.plan", "", "attr.plan: expected OP:VALUE"},
	{"attr.plan", "eq", "attr.plan: expected eq:VALUE"},
	{"attr.", "eq:x", "attr.: empty key"},
	{"resource.", "exists", "resource.: empty key"},
	{"attr.n", "gt:ten", "attr.n: gt compares numbers"},
	{"attr.n", "lt:nan", "attr.n: lt compares numbers"},
	{"attr.n", "lt:inf", "attr.n: lt compares numbers"},
	{"attr.n", "lt:", "attr.n: lt compares numbers"},
	{"attr.plan", "exists:1", "attr.plan: 'exists' takes no value"},
	{"attr.plan", "contains:", "attr.plan: contains needs a value"},
	{"tag", "", "tag: expected a tag"},
};

int main(void)
{
	char err[256];
	struct attr_filter f;
	const char *params[] = {"attr.x", "resource.x", "meta.x", "score.x", "tag", "attr.", "score."};
	for (size_t i = 0; i < sizeof params / sizeof *params; i++)
		CHECK(filter_is_param(params[i]), "%s", params[i]);
	const char *others[] = {"attr", "tags", "q", "attrx.y", "meta", "Attr.x", "status"};
	for (size_t i = 0; i < sizeof others / sizeof *others; i++)
		CHECK(!filter_is_param(others[i]), "%s", others[i]);
	for (size_t i = 0; i < sizeof oks / sizeof *oks; i++) {
		const struct ok_case *c = &oks[i];
		int rc = filter_parse(c->name, c->value, &f, err, sizeof err);
		CHECK(rc == ERR_OK, "%s=%s: %s", c->name, c->value, err);
		CHECK(f.source == c->source && f.op == c->op, "%s=%s: source %d op %d", c->name, c->value, f.source, f.op);
		CHECK(!strcmp(f.key, c->key) && !strcmp(f.value, c->val), "%s=%s: key '%s' value '%s'", c->name, c->value,
		      f.key, f.value);
		CHECK(f.has_num == c->has_num && (!c->has_num || fabs(f.num - c->num) < 1e-12), "%s=%s: num %d %g",
		      c->name, c->value, f.has_num, f.num);
	}
	for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
		const struct bad_case *c = &bads[i];
		err[0] = 0;
		int rc = filter_parse(c->name, c->value, &f, err, sizeof err);
		CHECK(rc == ERR_BAD_INPUT, "%s=%s: rc %d", c->name, c->value, rc);
		CHECK(!strncmp(err, c->message, strlen(c->message)), "%s=%s: '%s'", c->name, c->value, err);
	}
	char key[FILTER_KEY_MAX + 20], value[FILTER_VALUE_MAX + 20];
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = 0;
	memcpy(key, "attr.", 5);
	CHECK(filter_parse(key, "exists", &f, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "key longer than 128"),
	      "long key: %s", err);
	key[5 + FILTER_KEY_MAX] = 0;
	CHECK(filter_parse(key, "exists", &f, err, sizeof err) == ERR_OK, "128-byte key: %s", err);
	memset(value, 'v', sizeof value - 1);
	value[sizeof value - 1] = 0;
	memcpy(value, "eq:", 3);
	CHECK(filter_parse("attr.x", value, &f, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "value longer than 256"),
	      "long value: %s", err);
	value[3 + FILTER_VALUE_MAX] = 0;
	CHECK(filter_parse("attr.x", value, &f, err, sizeof err) == ERR_OK, "256-byte value: %s", err);
	/* the SQL names only bound parameters */
	char sql[1024];
	filter_parse("attr.x') OR 1=1 --", "eq:'; DROP TABLE traces", &f, err, sizeof err);
	for (int sets = 0; sets < 2; sets++) {
		filter_where(&f, 3, sets, sql, sizeof sql);
		CHECK(!strstr(sql, "DROP") && !strstr(sql, "OR 1=1") && strstr(sql, ":fv3"), "%s", sql);
	}
	return test_done();
}
