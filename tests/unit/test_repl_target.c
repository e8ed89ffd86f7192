/* test_repl_target.c: replication target URLs: kinds, the pieces the
 * ClickHouse sink uses, masking of every password, and bad input. */
#include "test.h"
#include "base/err.h"
#include "repl/repl_target.h"

static void mask(const char *url, const char *want)
{
	char out[REPL_URL_MAX];
	repl_target_mask(url, out, sizeof out);
	CHECK(!strcmp(out, want), "mask(%s) = %s, want %s", url, out, want);
}

int main(void)
{
	struct repl_target t;
	char err[512];

	mask("postgres://u:secret@h:5432/db?sslmode=require", "postgres://u:***@h:5432/db?sslmode=require");
	mask("postgres://u@h/db?password=secret&sslmode=require", "postgres://u@h/db?password=***&sslmode=require");
	mask("clickhouse://h:8123/db", "clickhouse://h:8123/db");
	mask("clickhouse://u:p@ss@h/db", "clickhouse://u:***@h/db");
	mask("postgresql://h/db?sslmode=require&password=x", "postgresql://h/db?sslmode=require&password=***");

	CHECK(repl_target_parse("clickhouse://h", &t, err, sizeof err) == ERR_OK, "%s", err);
	CHECK(t.kind == REPL_CLICKHOUSE && !strcmp(t.base_url, "http://h:8123/") && !strcmp(t.database, "default") &&
	          !strcmp(t.user, "default") && !t.password[0], "%s %s %s", t.base_url, t.database, t.user);
	CHECK(repl_target_parse("clickhouses://al%40x:p%3Aw@db.example:9443/tl?cafile=/etc/ca.pem&insecure=1", &t, err,
	                        sizeof err) == ERR_OK, "%s", err);
	CHECK(!strcmp(t.base_url, "https://db.example:9443/") && !strcmp(t.user, "al@x") && !strcmp(t.password, "p:w") &&
	          !strcmp(t.database, "tl") && !strcmp(t.cafile, "/etc/ca.pem") && t.insecure,
	      "%s %s %s %s", t.base_url, t.user, t.password, t.cafile);
	CHECK(!strcmp(t.display, "clickhouses://al%40x:***@db.example:9443/tl?cafile=/etc/ca.pem&insecure=1"), "%s",
	      t.display);
	CHECK(repl_target_parse("clickhouses://h/", &t, err, sizeof err) == ERR_OK && !strcmp(t.base_url, "https://h:8443/"),
	      "%s", t.base_url);
	CHECK(repl_target_parse("postgres://u:pw@h/db?sslmode=require", &t, err, sizeof err) == ERR_OK &&
	          t.kind == REPL_POSTGRES && !strcmp(t.conninfo, "postgres://u:pw@h/db?sslmode=require"),
	      "%s", err);

	static const struct {
		const char *url, *msg;
	} bad[] = {
		{"mysql://u:secret@h/db", "expected clickhouse://"},
		{"clickhouse://u:secret@h/db?x=1", "unknown parameter 'x=1'"},
		{"clickhouse://u:secret@h/d;drop", "database name"},
		{"clickhouse://u:secret@/db", "expected a host"},
		{"clickhouse://u:sec%zzret@h/db", "bad user or password"},
		{"", "expected clickhouse://"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = repl_target_parse(bad[i].url, &t, err, sizeof err);
		CHECK(rc == ERR_BAD_INPUT && strstr(err, bad[i].msg) && !strstr(err, "secret"), "%s -> %s", bad[i].url, err);
	}
	char longurl[REPL_URL_MAX + 10];
	memset(longurl, 'a', sizeof longurl - 1);
	longurl[sizeof longurl - 1] = 0;
	CHECK(repl_target_parse(longurl, &t, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "longer"), "%s", err);
	return test_done();
}
