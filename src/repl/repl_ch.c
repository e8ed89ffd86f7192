/* repl_ch.c: the ClickHouse sink, over its HTTP interface with libcurl
 * (https for clickhouses://). Rows go as one INSERT ... FORMAT JSONEachRow
 * per table and batch; the tables are ReplacingMergeTree, so a replayed
 * batch is merged away (schema/clickhouse/). Errors are told apart by the
 * "Code: N" ClickHouse puts in its error body. */
#include <assert.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/embed.h"
#include "base/json.h"
#include "repl/repl_sink.h"

struct ch {
	struct repl_sink sink;
	const struct repl_target *t;
	const volatile int *stop;
	CURL *curl;
	char *resp;            /* the response body of the last request */
	size_t resp_len;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct ch *c = arg;
	size_t len = size * n, keep = len;
	if (c->resp_len + keep > 4096)      /* only error text is read: keep its start */
		keep = c->resp_len < 4096 ? 4096 - c->resp_len : 0;
	if (keep) {
		char *grown = realloc(c->resp, c->resp_len + keep + 1);
		if (!grown)
			abort();
		c->resp = grown;
		memcpy(c->resp + c->resp_len, data, keep);
		c->resp_len += keep;
		c->resp[c->resp_len] = 0;
	}
	return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t d, curl_off_t e)
{
	(void)a, (void)b, (void)d, (void)e;
	const struct ch *c = arg;
	return c->stop && *c->stop;       /* non-zero aborts the transfer */
}

/* ClickHouse error codes that say nothing about the rows sent. */
static enum repl_result classify(long code)
{
	switch (code) {
	case 60:   /* UNKNOWN_TABLE */
	case 81:   /* UNKNOWN_DATABASE */
		return REPL_NO_SCHEMA;
	case 159:  /* TIMEOUT_EXCEEDED */
	case 164:  /* READONLY */
	case 192: case 193: case 194: case 516:  /* unknown user, wrong password, auth */
	case 202:  /* TOO_MANY_SIMULTANEOUS_QUERIES */
	case 209: case 210:  /* socket timeout, network error */
	case 241:  /* MEMORY_LIMIT_EXCEEDED */
	case 242:  /* TABLE_IS_READ_ONLY */
	case 252:  /* TOO_MANY_PARTS */
		return REPL_DOWN;
	default:
		return REPL_REFUSED;
	}
}

/* POSTs body to the server with query as the query parameter (database=
 * ours unless no_db). Returns the outcome; err gets the reason. */
static enum repl_result post(struct ch *c, const char *query, int no_db, const char *body, size_t len, char *err,
                             size_t errlen)
{
	if (!c->curl) {
		c->curl = curl_easy_init();
		if (!c->curl)
			abort();
	}
	CURL *h = c->curl;
	char *q = curl_easy_escape(h, query, 0), *db = curl_easy_escape(h, c->t->database, 0);
	size_t ulen = strlen(c->t->base_url) + strlen(q) + strlen(db) + 64;
	char *url = malloc(ulen);
	if (!q || !db || !url)
		abort();
	snprintf(url, ulen, "%s?query=%s%s%s", c->t->base_url, q, no_db ? "" : "&database=", no_db ? "" : db);
	curl_free(q);
	curl_free(db);
	free(c->resp);
	c->resp = NULL;
	c->resp_len = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->t->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->t->password);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (c->t->cafile[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, c->t->cafile);
	if (c->t->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode cc = curl_easy_perform(h);
	free(url);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(cc));
		return REPL_DOWN;
	}
	if (status == 200)
		return REPL_SENT;
	const char *text = c->resp ? c->resp : "";
	const char *code = strstr(text, "Code: ");
	snprintf(err, errlen, "HTTP %ld: %.*s", status, (int)strcspn(text, "\n"), text);
	if (status == 401 || status == 403 || status >= 502)
		return REPL_DOWN;
	return code ? classify(strtol(code + 6, NULL, 10)) : REPL_DOWN;
}

/* Whether the piece p..end (end NULL: to the string's end) holds a
 * statement (CREATE or ALTER) rather than only comments. */
static int has_ddl(const char *p, const char *end)
{
	const char *c = strstr(p, "CREATE"), *a = strstr(p, "ALTER");
	return (c && (!end || c < end)) || (a && (!end || a < end));
}

static enum repl_result ch_ensure_schema(void *ctx, char *err, size_t errlen)
{
	struct ch *c = ctx;
	char sql[512];
	snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", c->t->database);
	enum repl_result rc = post(c, sql, 1, "", 0, err, errlen);
	/* one statement per request: split each file at ";" ending a line */
	for (const struct embedded_file *f = embedded_clickhouse_schema; f->name && rc == REPL_SENT; f++) {
		const char *p = (const char *)f->data;
		while (*p && rc == REPL_SENT) {
			const char *end = strstr(p, ";\n");
			size_t n = end ? (size_t)(end - p) : strlen(p);
			if (has_ddl(p, end)) {
				rc = post(c, "", 0, p, n, err, errlen);
				/* ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: an
				 * ALTER adding a column the table has already is done */
				if (rc != REPL_SENT && strstr(p, "ADD COLUMN") && strstr(err, "already exists"))
					rc = REPL_SENT;
			}
			p += n + (end ? 2 : 0);
		}
	}
	return rc == REPL_REFUSED ? REPL_DOWN : rc;   /* our own DDL refused: not a row's fault */
}

static enum repl_result ch_send(void *ctx, enum repl_table t, const cJSON *rows, char *err, size_t errlen)
{
	struct ch *c = ctx;
	assert(cJSON_GetArraySize(rows) > 0);
	size_t cap = 1 << 16, len = 0;
	char *body = malloc(cap);
	if (!body)
		abort();
	const cJSON *row;
	cJSON_ArrayForEach(row, rows) {
		size_t n;
		char *line = json_print(row, &n);
		while (len + n + 2 > cap) {
			cap *= 2;
			body = realloc(body, cap);
			if (!body)
				abort();
		}
		memcpy(body + len, line, n);
		len += n;
		body[len++] = '\n';
		cJSON_free(line);
	}
	char query[128];
	snprintf(query, sizeof query, "INSERT INTO %s FORMAT JSONEachRow", repl_table_name(t));
	enum repl_result rc = post(c, query, 0, body, len, err, errlen);
	free(body);
	return rc;
}

/* ALTER TABLE ... DELETE: a mutation ClickHouse applies in the background
 * (since 18.x); the rows go once it has rewritten their parts. */
static enum repl_result ch_delete(void *ctx, const cJSON *ids, char *err, size_t errlen)
{
	struct ch *c = ctx;
	char *sql[REPL_NTABLES];
	int n = repl_rows_delete_sql(ids, 1, sql);
	enum repl_result rc = REPL_SENT;
	for (int i = 0; i < n; i++) {
		if (rc == REPL_SENT)
			rc = post(c, "", 0, sql[i], strlen(sql[i]), err, errlen);
		free(sql[i]);
	}
	return rc;
}

static void ch_close(void *ctx)
{
	struct ch *c = ctx;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->resp);
	free(c);
}

struct repl_sink *repl_ch_open(const struct repl_target *t, const volatile int *stop)
{
	struct ch *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->t = t;
	c->stop = stop;
	c->sink.ctx = c;
	c->sink.ensure_schema = ch_ensure_schema;
	c->sink.send = ch_send;
	c->sink.delete_traces = ch_delete;
	c->sink.close = ch_close;
	return &c->sink;
}
