/* args.c: the request-argument helpers the GET handlers share: this
 * request's read-only connection (from a pool), query parameters (strings, integers,
 * times, durations, cursors) and the trace-list filters. Each helper that
 * refuses a parameter has sent the 400 (or 404) naming it. */
#include "server/args.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/err.h"
#include "base/ids.h"
#include "base/text.h"
#include "ingest/span.h"
#include "server/http.h"
#include "store/store.h"

/* The read-only connections: one per request that asks for one, from a
 * pool. Each connection holds up to 4 MB of page cache (store.c); one per
 * worker thread, as before, grew with every thread a request had landed on
 * (256 by default): /api/health polled on new connections took RSS from 19
 * to 75 MB. READERS_KEPT idle connections are kept (a dashboard's parallel
 * requests); more requests at once open more, closed when they end. */
#define READERS_KEPT 8

static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static sqlite3 *readers_idle[READERS_KEPT];   /* under readers_lock */
static int readers_nidle;
static _Thread_local sqlite3 *held;           /* this thread's request's connection */

sqlite3 *api_reader(struct mg_connection *c, struct app *app)
{
	char err[256];
	if (held)
		return held;
	pthread_mutex_lock(&readers_lock);
	if (readers_nidle)
		held = readers_idle[--readers_nidle];
	pthread_mutex_unlock(&readers_lock);
	if (!held && store_open_reader(app->cfg->data, &held, err, sizeof err)) {
		held = NULL;
		if (c)
			http_send_error(c, 503, "%s", err);
	}
	return held;
}

void api_reader_release(void)
{
	sqlite3 *db = held;
	if (!db)
		return;
	held = NULL;
	/* a transaction a handler left open (an error path) ends here, not in the next request */
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&readers_lock);
	if (readers_nidle < READERS_KEPT) {
		readers_idle[readers_nidle++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&readers_lock);
	sqlite3_close_v2(db);   /* NULL: kept */
}

/* Reads an optional string parameter into buf; 400 and -1 if too long. */
int api_opt_param(struct mg_connection *c, const char *name, char *buf, size_t len, const char **out)
{
	int present;
	enum err rc = http_query_param(c, name, buf, len, &present);
	*out = NULL;
	if (rc) {
		http_send_error(c, 400, "%s: longer than %zu characters", name, len - 1);
		return -1;
	}
	if (present && *buf)
		*out = buf;
	return 0;
}

int api_int_param(struct mg_connection *c, const char *name, long long min, long long max, long long dflt,
                  long long *out)
{
	char buf[32];
	int present;
	enum err rc = http_query_param(c, name, buf, sizeof buf, &present);
	int64_t v = dflt;
	*out = dflt;
	if (!present)
		return 0;
	if (rc || text_parse_i64(buf, min, max, &v)) {
		http_send_error(c, 400, "%s: expected an integer from %lld to %lld", name, min, max);
		return -1;
	}
	*out = v;
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
	int present;
	enum err rc = http_query_param(c, name, buf, sizeof buf, &present);
	*ns = 0;
	if (!present || (!rc && !*buf))
		return 0;
	if (rc || text_parse_time(buf, ns)) {
		http_send_error(c, 400, "%s: expected an ISO-8601 time (2025-01-31T12:00:00Z) or unix seconds/ms/us/ns",
		                name);
		return -1;
	}
	return 0;
}

static int duration_param(struct mg_connection *c, const char *name, double *ms)
{
	char buf[64], *end;
	int present;
	enum err rc = http_query_param(c, name, buf, sizeof buf, &present);
	*ms = -1;
	if (!present || (!rc && !*buf))
		return 0;
	double v = !rc ? strtod(buf, &end) : -1;
	if (rc || *end || !(v >= 0 && v < 1e12)) {
		http_send_error(c, 400, "%s: expected a non-negative number of milliseconds", name);
		return -1;
	}
	*ms = v;
	return 0;
}

int api_trace_cursor(struct mg_connection *c, struct trace_filter *f)
{
	char buf[80];
	int present;
	enum err rc = http_query_param(c, "cursor", buf, sizeof buf, &present);
	if (!present || (!rc && !*buf))
		return 0;
	if (rc || query_trace_cursor_parse(buf, f)) {
		http_send_error(c, 400, "cursor: not a cursor this API returned");
		return -1;
	}
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

int api_attr_filters(struct mg_connection *c, struct filter_args *a)
{
	const char *qs = mg_get_request_info(c)->query_string;
	/* room for a key or value of the longest size sent %-encoded, and for
	 * an overlong one to be told apart from a long one */
	char name[3 * FILTER_KEY_MAX + 32], value[3 * FILTER_VALUE_MAX + 32], err[256];
	a->f.filters = a->filters;
	a->f.nfilters = 0;
	while (qs && *qs) {
		const char *amp = strchr(qs, '&'), *end = amp ? amp : qs + strlen(qs);
		const char *eq = memchr(qs, '=', (size_t)(end - qs));
		const char *vstart = eq ? eq + 1 : end;
		size_t nlen = (size_t)((eq ? eq : end) - qs), vlen = (size_t)(end - vstart);
		int dn = nlen < sizeof name ? mg_url_decode(qs, (int)nlen, name, sizeof name, 1) : -1;
		if (dn >= 0 && filter_is_param(name)) {
			if (a->f.nfilters == FILTERS_MAX) {
				http_send_error(c, 400, "%s: too many filters (at most %d)", name, FILTERS_MAX);
				return -1;
			}
			if (vlen >= sizeof value || mg_url_decode(vstart, (int)vlen, value, sizeof value, 1) < 0) {
				http_send_error(c, 400, "%.*s: value longer than %d bytes", (int)(nlen < 60 ? nlen : 60), name,
				                FILTER_VALUE_MAX);
				return -1;
			}
			if (filter_parse(name, value, &a->filters[a->f.nfilters], err, sizeof err)) {
				http_send_error(c, 400, "%s", err);
				return -1;
			}
			a->f.nfilters++;
		} else if (dn < 0 && nlen > 5 && (!strncmp(qs, "attr.", 5) || !strncmp(qs, "meta.", 5) ||
		                                  !strncmp(qs, "score.", 6) || !strncmp(qs, "resource.", 9))) {
			http_send_error(c, 400, "%.40s...: key longer than %d bytes", qs, FILTER_KEY_MAX);
			return -1;
		}
		qs = amp ? amp + 1 : end;
	}
	return 0;
}

int api_list_args(struct mg_connection *c, sqlite3 *db, struct filter_args *a)
{
	return api_filter_args(c, db, a) || api_attr_filters(c, a) || api_limit_param(c, &a->f.limit) ||
	       api_trace_cursor(c, &a->f) ? -1 : 0;
}

int api_path_id(struct mg_connection *c, const char *tail, uint8_t *id, size_t n, const char *what)
{
	char buf[300];
	if (!*tail || strchr(tail, '/') || strlen(tail) >= sizeof buf ||
	    mg_url_decode(tail, (int)strlen(tail), buf, sizeof buf, 0) < 0 || id_from_any(buf, id, n)) {
		http_send_error(c, 400, "%s: expected %zu hex digits", what, 2 * n);
		return -1;
	}
	return 0;
}
