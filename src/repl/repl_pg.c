/* repl_pg.c: the Postgres sink, over libpq (any connection URI, so
 * sslmode=require etc. work as in psql). A batch is COPYed into a temporary
 * staging table and upserted by primary key in one transaction: spans,
 * traces and scores are replaced only by a newer version (schema/postgres/;
 * a span's is its chunk: a superseded span comes again in a later one). New
 * spans and log records skip the staging table (COPY straight into their
 * table) unless that meets a duplicate. Errors are told apart by SQLSTATE. */
#include <assert.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/embed.h"
#include "repl/repl_sink.h"

struct pg {
	struct repl_sink sink;
	const struct repl_target *t;
	PGconn *conn;
	int staged;            /* staging tables exist on this connection */
	char sqlstate[6];      /* of the last error */
};

/* SQLSTATEs that blame the data: 22 data exception, 23 integrity
 * violation, 54 program limit (row too big); 42P01/3F000 missing table or
 * schema. Anything else (connection, resources, auth, shutdown) is
 * retried. */
static enum repl_result classify(const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!state)
		return REPL_DOWN;
	if (!strcmp(state, "42P01") || !strcmp(state, "3F000"))
		return REPL_NO_SCHEMA;
	if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2) || !strncmp(state, "54", 2))
		return REPL_REFUSED;
	return REPL_DOWN;
}

static void set_err(struct pg *p, const PGresult *r, char *err, size_t errlen)
{
	const char *msg = r ? PQresultErrorMessage(r) : "", *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(p->sqlstate, sizeof p->sqlstate, "%s", state ? state : "");
	if (!*msg)
		msg = PQerrorMessage(p->conn);
	snprintf(err, errlen, "%.*s", (int)strcspn(msg, "\n"), msg);
}

/* Runs sql (no result rows expected). */
static enum repl_result exec(struct pg *p, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(p->conn, sql);
	enum repl_result rc = REPL_SENT;
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(p, r, err, errlen);
		rc = classify(r);
	}
	PQclear(r);
	return rc;
}

static enum repl_result connect_db(struct pg *p, char *err, size_t errlen)
{
	if (p->conn && PQstatus(p->conn) == CONNECTION_OK)
		return REPL_SENT;
	PQfinish(p->conn);
	p->staged = 0;
	/* defaults first: what the URI says wins (expand_dbname) */
	const char *keys[] = {"application_name", "connect_timeout", "dbname", NULL};
	const char *vals[] = {"tracelite", "10", p->t->conninfo, NULL};
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(p->conn);
		snprintf(err, errlen, "connect: %.*s", (int)strcspn(msg, "\n"), msg);
		return REPL_DOWN;
	}
	return exec(p, "SET client_min_messages = warning", err, errlen);
}

static enum repl_result pg_ensure_schema(void *ctx, char *err, size_t errlen)
{
	struct pg *p = ctx;
	enum repl_result rc = connect_db(p, err, errlen);
	for (const struct embedded_file *f = embedded_postgres_schema; f->name && rc == REPL_SENT; f++)
		rc = exec(p, (const char *)f->data, err, errlen);
	for (int t = 0; t < REPL_NTABLES && rc == REPL_SENT && !p->staged; t++) {
		char sql[256];
		snprintf(sql, sizeof sql, "CREATE TEMP TABLE IF NOT EXISTS stage_%s (LIKE %s) ON COMMIT DELETE ROWS",
		         repl_table_name(t), repl_table_name(t));
		rc = exec(p, sql, err, errlen);
	}
	if (rc == REPL_SENT)
		p->staged = 1;
	return rc == REPL_REFUSED ? REPL_DOWN : rc;
}

/* Appends s to the COPY text buffer, escaped for the text format. */
static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n, int escape)
{
	if (*len + 2 * n + 4 > *cap) {
		while (*len + 2 * n + 4 > *cap)
			*cap *= 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			abort();
	}
	char *o = *buf + *len;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (escape && (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r')) {
			*o++ = '\\';
			ch = ch == '\t' ? 't' : ch == '\n' ? 'n' : ch == '\r' ? 'r' : '\\';
		}
		*o++ = ch;
	}
	*len = (size_t)(o - *buf);
}

/* The rows as COPY text, columns in the order of the first row's keys. */
static char *copy_text(const cJSON *rows, size_t *out_len)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	const cJSON *row, *v;
	cJSON_ArrayForEach(row, rows) {
		int first = 1;
		cJSON_ArrayForEach(v, row) {
			if (!first)
				put(&buf, &len, &cap, "\t", 1, 0);
			first = 0;
			if (cJSON_IsNull(v))
				put(&buf, &len, &cap, "\\N", 2, 0);
			else if (cJSON_IsString(v))
				put(&buf, &len, &cap, v->valuestring, strlen(v->valuestring), 1);
			else if (cJSON_IsRaw(v))
				put(&buf, &len, &cap, v->valuestring, strlen(v->valuestring), 0);
			else {
				char *num = cJSON_PrintUnformatted(v);
				put(&buf, &len, &cap, num, strlen(num), 0);
				cJSON_free(num);
			}
		}
		put(&buf, &len, &cap, "\n", 1, 0);
	}
	*out_len = len;
	return buf;
}

/* "INSERT ... SELECT ... ON CONFLICT" for table t with the row's columns;
 * *copy_sql fills the staging table, *direct_sql the table itself. */
static char *upsert_sql(enum repl_table t, const cJSON *row, char **copy_sql, char **direct_sql)
{
	size_t cap = 8192;
	char *cols = malloc(cap), *set = malloc(cap), *sql = malloc(3 * cap), *copy = malloc(2 * cap);
	if (!cols || !set || !sql || !copy)
		abort();
	size_t nc = 0, ns = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, row) {
		nc += (size_t)snprintf(cols + nc, cap - nc, "%s%s", nc ? ", " : "", v->string);
		ns += (size_t)snprintf(set + ns, cap - ns, "%s%s = EXCLUDED.%s", ns ? ", " : "", v->string, v->string);
	}
	const char *name = repl_table_name(t);
	snprintf(copy, 2 * cap, "COPY stage_%s (%s) FROM STDIN", name, cols);
	*direct_sql = malloc(2 * cap);
	if (!*direct_sql)
		abort();
	snprintf(*direct_sql, 2 * cap, "COPY %s (%s) FROM STDIN", name, cols);
	/* a span is replaced only by a newer version (a superseded span,
	 * span.replace, is stored again in a later chunk), not by a replay */
	snprintf(sql, 3 * cap,
	         "INSERT INTO %s (%s) SELECT %s FROM stage_%s ON CONFLICT (%s) DO UPDATE SET %s"
	         " WHERE %s.version %s EXCLUDED.version",
	         name, cols, cols, name, repl_table_key(t), set, name, t == REPL_SPANS ? "<" : "<=");
	free(cols);
	free(set);
	*copy_sql = copy;
	return sql;
}

static enum repl_result copy_in(struct pg *p, const char *copy_sql, const char *data, size_t len, char *err,
                                size_t errlen)
{
	PGresult *r = PQexec(p->conn, copy_sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		set_err(p, r, err, errlen);
		enum repl_result rc = classify(r);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	int ok = PQputCopyData(p->conn, data, (int)len) == 1 && PQputCopyEnd(p->conn, NULL) == 1;
	enum repl_result rc = REPL_SENT;
	while ((r = PQgetResult(p->conn))) {
		if (rc == REPL_SENT && PQresultStatus(r) != PGRES_COMMAND_OK) {
			set_err(p, r, err, errlen);
			rc = classify(r);
		}
		PQclear(r);
	}
	if (!ok && rc == REPL_SENT) {
		set_err(p, NULL, err, errlen);
		rc = REPL_DOWN;
	}
	return rc;
}

/* One transaction: COPY data with copy_sql, then run then_sql (if any). */
static enum repl_result copy_txn(struct pg *p, const char *copy_sql, const char *data, size_t len,
                                 const char *then_sql, char *err, size_t errlen)
{
	enum repl_result rc = exec(p, "BEGIN", err, errlen);
	if (rc == REPL_SENT)
		rc = copy_in(p, copy_sql, data, len, err, errlen);
	if (rc == REPL_SENT && then_sql)
		rc = exec(p, then_sql, err, errlen);
	if (rc == REPL_SENT)
		rc = exec(p, "COMMIT", err, errlen);
	else if (PQstatus(p->conn) == CONNECTION_OK) {
		char ignored[64];
		exec(p, "ROLLBACK", ignored, sizeof ignored);
	}
	return rc;
}

static enum repl_result pg_send(void *ctx, enum repl_table t, const cJSON *rows, char *err, size_t errlen)
{
	struct pg *p = ctx;
	assert(cJSON_GetArraySize(rows) > 0);
	enum repl_result rc = connect_db(p, err, errlen);
	if (rc == REPL_SENT && !p->staged)
		rc = pg_ensure_schema(p, err, errlen);
	if (rc != REPL_SENT)
		return rc;
	size_t len;
	char *copy_sql, *direct_sql, *data = copy_text(rows, &len);
	char *sql = upsert_sql(t, rows->child, &copy_sql, &direct_sql);
	/* Spans and log records are new unless a batch is replayed: COPY them
	 * straight in, and take the staging path only on a duplicate (half the work). */
	int direct = t == REPL_SPANS || t == REPL_LOGS;
	if (direct)
		rc = copy_txn(p, direct_sql, data, len, NULL, err, errlen);
	if (!direct || (rc == REPL_REFUSED && !strcmp(p->sqlstate, "23505")))
		rc = copy_txn(p, copy_sql, data, len, sql, err, errlen);
	free(data);
	free(sql);
	free(copy_sql);
	free(direct_sql);
	return rc;
}

/* One transaction deleting the traces' rows from every table. */
static enum repl_result pg_delete(void *ctx, const cJSON *ids, char *err, size_t errlen)
{
	struct pg *p = ctx;
	char *sql[REPL_NTABLES];
	enum repl_result rc = connect_db(p, err, errlen);
	if (rc == REPL_SENT && !p->staged)
		rc = pg_ensure_schema(p, err, errlen);
	int n = repl_rows_delete_sql(ids, 0, sql);
	if (rc == REPL_SENT)
		rc = exec(p, "BEGIN", err, errlen);
	for (int i = 0; i < n; i++) {
		if (rc == REPL_SENT)
			rc = exec(p, sql[i], err, errlen);
		free(sql[i]);
	}
	if (rc == REPL_SENT)
		rc = exec(p, "COMMIT", err, errlen);
	else
		PQclear(PQexec(p->conn, "ROLLBACK"));
	return rc;
}

static void pg_close(void *ctx)
{
	struct pg *p = ctx;
	PQfinish(p->conn);
	free(p);
}

struct repl_sink *repl_pg_open(const struct repl_target *t, const volatile int *stop)
{
	(void)stop;   /* libpq calls are bounded by connect_timeout and the server */
	struct pg *p = calloc(1, sizeof *p);
	if (!p)
		abort();
	p->t = t;
	p->sink.ctx = p;
	p->sink.ensure_schema = pg_ensure_schema;
	p->sink.send = pg_send;
	p->sink.delete_traces = pg_delete;
	p->sink.close = pg_close;
	return &p->sink;
}
