/* args.c: the request-argument helpers the GET handlers share: this
 * worker's read-only connection, query parameters (strings, integers,
 * times, durations, cursors) and the trace-list filters. Each helper that
 * refuses a parameter has sent the 400 (or 404) naming it. */
#include "server/args.h"
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/err.h"
#include "ingest/span.h"
#include "server/http.h"
#include "store/store.h"

static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

static void reader_close(void *db)
{
	sqlite3_close_v2(db);
}

static void reader_key_init(void)
{
	pthread_key_create(&reader_key, reader_close);
}

sqlite3 *api_reader(struct mg_connection *c, struct app *app)
{
	pthread_once(&reader_once, reader_key_init);
	sqlite3 *db = pthread_getspecific(reader_key);
	char err[256];
	if (!db) {
		if (store_open_reader(app->cfg->data, &db, err, sizeof err)) {
			http_send_error(c, 503, "%s", err);
			return NULL;
		}
		pthread_setspecific(reader_key, db);
	}
	return db;
}

int api_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	if (!*s || isspace((unsigned char)*s))
		return -1;
	long long v = strtoll(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int api_parse_time(const char *s, uint64_t *ns)
{
	long long v;
	if (api_parse_int(s, 0, 9223372036854775807LL, &v) == 0) {
		if (v < 100000000000LL)
			*ns = (uint64_t)v * 1000000000ull;         /* seconds */
		else if (v < 100000000000000LL)
			*ns = (uint64_t)v * 1000000ull;            /* milliseconds */
		else
			*ns = (uint64_t)v;                         /* nanoseconds */
		return ERR_OK;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
		return ERR_BAD_INPUT;
	const char *p = s + 10;
	uint64_t frac = 0;
	long offset = 0;
	if (*p == 'T' || *p == ' ') {
		int m = 0;
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &m) != 3 || m != 8)
			return ERR_BAD_INPUT;
		p += 9;
		if (*p == '.') {
			uint64_t scale = 100000000;
			for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
				frac += (uint64_t)(*p - '0') * scale;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int hh, mm, k = 0;
			if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &k) != 2 || k != 5 || hh > 23 || mm > 59)
				return ERR_BAD_INPUT;
			offset = (*p == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
			p += 6;
		}
	}
	if (*p || tm.tm_year < 1970 || tm.tm_year > 2500 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return ERR_BAD_INPUT;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t secs = timegm(&tm) - offset;
	if (secs < 0)
		return ERR_BAD_INPUT;
	*ns = (uint64_t)secs * 1000000000ull + frac;
	return ERR_OK;
}

/* Reads an optional string parameter into buf; 400 and -1 if too long. */
int api_opt_param(struct mg_connection *c, const char *name, char *buf, size_t len, const char **out)
{
	int r = http_query_param(c, name, buf, len);
	*out = NULL;
	if (r < 0) {
		http_send_error(c, 400, "%s: longer than %zu characters", name, len - 1);
		return -1;
	}
	if (r > 0 && *buf)
		*out = buf;
	return 0;
}

int api_int_param(struct mg_connection *c, const char *name, long long min, long long max, long long dflt,
                  long long *out)
{
	char buf[32];
	int r = http_query_param(c, name, buf, sizeof buf);
	*out = dflt;
	if (r == 0)
		return 0;
	if (r < 0 || api_parse_int(buf, min, max, out)) {
		http_send_error(c, 400, "%s: expected an integer from %lld to %lld", name, min, max);
		return -1;
	}
	return 0;
}

int api_limit_param(struct mg_connection *c, int *limit)
{
	long long v;
	if (api_int_param(c, "limit", 1, API_LIMIT_MAX, API_LIMIT_DEFAULT, &v))
		return -1;
	*limit = (int)v;
	return 0;
}

int api_time_param(struct mg_connection *c, const char *name, uint64_t *ns)
{
	char buf[64];
	int r = http_query_param(c, name, buf, sizeof buf);
	*ns = 0;
	if (r == 0 || (r > 0 && !*buf))
		return 0;
	if (r < 0 || api_parse_time(buf, ns)) {
		http_send_error(c, 400, "%s: expected an ISO-8601 time (2025-01-31T12:00:00Z) or unix seconds/ms/ns",
		                name);
		return -1;
	}
	return 0;
}

static int duration_param(struct mg_connection *c, const char *name, double *ms)
{
	char buf[64], *end;
	int r = http_query_param(c, name, buf, sizeof buf);
	*ms = -1;
	if (r == 0 || (r > 0 && !*buf))
		return 0;
	double v = r > 0 ? strtod(buf, &end) : -1;
	if (r < 0 || *end || !(v >= 0 && v < 1e12)) {
		http_send_error(c, 400, "%s: expected a non-negative number of milliseconds", name);
		return -1;
	}
	*ms = v;
	return 0;
}

int api_trace_cursor(struct mg_connection *c, struct trace_filter *f)
{
	char buf[80];
	int r = http_query_param(c, "cursor", buf, sizeof buf);
	if (r == 0 || (r > 0 && !*buf))
		return 0;
	if (f->q) {
		/* a search pages by index document: "s<rowid>" */
		long long before;
		if (r < 0 || buf[0] != 's' || api_parse_int(buf + 1, 1, 9223372036854775807LL, &before)) {
			http_send_error(c, 400, "cursor: not a cursor this search returned");
			return -1;
		}
		f->search_before = before;
		return 0;
	}
	char *dot = r > 0 ? strchr(buf, '.') : NULL;
	long long start;
	if (dot)
		*dot = 0;
	if (!dot || api_parse_int(buf, 0, 9223372036854775807LL, &start) ||
	    id_from_hex(dot + 1, f->cursor_trace, 16) || strlen(dot + 1) != 32) {
		http_send_error(c, 400, "cursor: not a cursor this API returned");
		return -1;
	}
	f->has_cursor = 1;
	f->cursor_start = (uint64_t)start;
	return 0;
}

int api_project_param(struct mg_connection *c, sqlite3 *db, int64_t *key)
{
	char buf[300];
	const char *p;
	*key = 0;
	if (api_opt_param(c, "project", buf, sizeof buf, &p))
		return -1;
	if (p && query_project_key(db, p, key)) {
		http_send_error(c, 404, "project: no project with id or name '%s'", p);
		return -1;
	}
	return 0;
}

int api_filter_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a)
{
	struct trace_filter *f = &a->f;
	const char *type;
	memset(a, 0, sizeof *a);
	f->type = -1;
	if (api_project_param(c, db, &f->project) || api_time_param(c, "from", &f->from_ns) ||
	    api_time_param(c, "to", &f->to_ns) || api_opt_param(c, "service", a->service, sizeof a->service, &f->service) ||
	    api_opt_param(c, "name", a->name, sizeof a->name, &f->name) ||
	    api_opt_param(c, "status", a->status, sizeof a->status, &f->status) ||
	    api_opt_param(c, "model", a->model, sizeof a->model, &f->model) ||
	    api_opt_param(c, "type", a->type, sizeof a->type, &type) ||
	    api_opt_param(c, "session_id", a->session, sizeof a->session, &f->session_id) ||
	    api_opt_param(c, "user_id", a->user, sizeof a->user, &f->user_id) ||
	    duration_param(c, "min_duration_ms", &f->min_ms) || duration_param(c, "max_duration_ms", &f->max_ms) ||
	    api_opt_param(c, "q", a->q, sizeof a->q, &f->q))
		return -1;
	if (f->status && strcmp(f->status, "ok") && strcmp(f->status, "error")) {
		http_send_error(c, 400, "status: expected 'ok' or 'error'");
		return -1;
	}
	if (type && (f->type = span_type_from_name(type)) < 0) {
		http_send_error(c, 400, "type: expected span, llm, tool, retrieval, agent or embedding");
		return -1;
	}
	if (f->from_ns && f->to_ns && f->from_ns > f->to_ns) {
		http_send_error(c, 400, "from: after to");
		return -1;
	}
	return 0;
}

int api_refuse_q(struct mg_connection *c, const struct trace_filter *f)
{
	if (!f->q)
		return 0;
	http_send_error(c, 400, "q: full-text search does not filter this endpoint; use /api/search or /api/traces?q=");
	return -1;
}

int api_list_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a)
{
	return api_filter_args(c, db, a) || api_limit_param(c, &a->f.limit) || api_trace_cursor(c, &a->f) ? -1 : 0;
}
