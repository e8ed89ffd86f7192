/* api_people.c: handlers for sessions, users and the scores summary:
 * parameters first (400 naming the bad one), then query_people.c. */
#include "server/api_people.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "server/args.h"
#include "base/err.h"
#include "base/text.h"
#include "server/http.h"
#include "query/query_people.h"

/* Parses ?cursor= as query_people_list returns it: "<last_seen ns>.<hex of
 * the id>". Returns 0, or -1 after sending 400. */
static int people_cursor(struct mg_connection *c, struct people_cursor *cur)
{
	char buf[2 * PEOPLE_MAX_ID + 32];
	int present;
	enum err rc = http_query_param(c, "cursor", buf, sizeof buf, &present);
	memset(cur, 0, sizeof *cur);
	if (!present || (!rc && !*buf))
		return 0;
	char *dot = !rc ? strchr(buf, '.') : NULL;
	uint64_t last = 0;
	if (dot)
		*dot = 0;
	size_t hexlen = dot ? strlen(dot + 1) : 0;
	int ok = dot && text_parse_u64(buf, 0, UINT64_MAX, &last) == ERR_OK && hexlen && hexlen % 2 == 0;
	for (size_t i = 0; ok && i < hexlen; i += 2) {
		int hi = hex_digit(dot[1 + i]), lo = hex_digit(dot[2 + i]);
		ok = hi >= 0 && lo >= 0 && (hi || lo);
		cur->id[i / 2] = ok ? (char)(hi << 4 | lo) : 0;
	}
	if (!ok) {
		http_send_error(c, 400, "cursor: not a cursor this API returned");
		return -1;
	}
	cur->has = 1;
	cur->last_ns = last;
	return 0;
}

static void list(struct mg_connection *c, struct app *app, enum people_kind kind)
{
	sqlite3 *db = api_reader(c, app);
	struct filter_args a;
	struct people_cursor cur;
	if (!db || api_filter_args(c, db, &a) || api_refuse_q(c, &a.f) || api_limit_param(c, &a.f.limit) ||
	    people_cursor(c, &cur))
		return;
	cJSON *o = NULL;
	int rc = query_people_list(db, kind, &a.f, &cur, &o);
	http_reply(c, rc, o, kind == PEOPLE_SESSIONS ? "sessions" : "users");
}

static void one(struct mg_connection *c, struct app *app, const char *tail, enum people_kind kind)
{
	const char *what = kind == PEOPLE_SESSIONS ? "session_id" : "user_id";
	size_t len = strlen(tail); /* civetweb has URL-decoded the path */
	if (!len || len > PEOPLE_MAX_ID) {
		http_send_error(c, 400, "%s: expected 1 to %d characters in the path", what, PEOPLE_MAX_ID);
		return;
	}
	const char *id = tail;
	sqlite3 *db = api_reader(c, app);
	struct filter_args a;
	if (!db || api_filter_args(c, db, &a) || api_refuse_q(c, &a.f) || api_limit_param(c, &a.f.limit) ||
	    api_trace_cursor(c, &a.f))
		return;
	cJSON *o = NULL;
	int rc = query_people_one(db, kind, id, &a.f, &o);
	char name[300];
	snprintf(name, sizeof name, "%s '%.256s'", kind == PEOPLE_SESSIONS ? "session" : "user", id);
	http_reply(c, rc, o, name);
}

void api_sessions(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	list(c, app, PEOPLE_SESSIONS);
}

void api_session(struct mg_connection *c, struct app *app, const char *tail)
{
	one(c, app, tail, PEOPLE_SESSIONS);
}

void api_users(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	list(c, app, PEOPLE_USERS);
}

void api_user(struct mg_connection *c, struct app *app, const char *tail)
{
	one(c, app, tail, PEOPLE_USERS);
}

void api_scores_summary(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	struct filter_args a;
	if (!db || api_filter_args(c, db, &a) || api_refuse_q(c, &a.f))
		return;
	cJSON *o = NULL;
	int rc = query_scores_summary(db, &a.f, &o);
	http_reply(c, rc, o, "scores");
}
