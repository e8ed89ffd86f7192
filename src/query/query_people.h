/* query_people.h: the read side of sessions, users and scores: traces
 * grouped by session_id or user_id (from the traces table and its
 * traces_session / traces_user indexes, never from spans), and per score
 * name summaries. JSON is cJSON; the caller deletes it. */
#ifndef TL_QUERY_PEOPLE_H
#define TL_QUERY_PEOPLE_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "query/query.h"
#include "base/err.h"

enum people_kind { PEOPLE_SESSIONS, PEOPLE_USERS };

#define PEOPLE_MAX_ID 255    /* bytes of a session or user id (as stored) */
#define PEOPLE_LIST_SCORES 20     /* scores of a session shown per item of the sessions list */
#define PEOPLE_ONE_SCORES 10000   /* scores of one session (GET /api/sessions/{id}) */

/* Where the previous page ended: its last item's last_seen and id. */
struct people_cursor {
	int has;
	uint64_t last_ns;
	char id[PEOPLE_MAX_ID + 1];
};

/* {"items":[{"session_id"|"user_id", ["sessions",] "traces", "spans",
 * "errors" (traces with an error), "input_tokens", "output_tokens",
 * "cost_usd", "first_seen", "last_seen", ["user_id", "scores" (the
 * session's own scores, schema/013, PEOPLE_LIST_SCORES at most)]}], "next_cursor"}:
 * groups of the traces f selects (f->limit items, most recent last_seen
 * first). Returns ERR_OK or ERR_STORE. */
enum err query_people_list(sqlite3 *db, enum people_kind kind, const struct trace_filter *f,
                           const struct people_cursor *cur, cJSON **out);
/* {"session"|"user": item, "traces": [trace items, oldest first, f->limit
 * of them from f's cursor], "next_cursor"} for one id (a session's item
 * with its "scores", as in the list); f's own session or
 * user filter is replaced by id. ERR_NOT_FOUND when no trace f selects
 * has that id; else ERR_OK or ERR_STORE. */
enum err query_people_one(sqlite3 *db, enum people_kind kind, const char *id, struct trace_filter *f, cJSON **out);
/* {"items":[{"name","score_type","count","mean","min","max","distribution":
 * [{"label","count",...}],"trend":[{"time","count","mean"}]}]} over the
 * scores with time in [f->from_ns, f->to_ns) of f->project whose traces
 * match f's other filters. Returns ERR_OK or ERR_STORE. */
enum err query_scores_summary(sqlite3 *db, const struct trace_filter *f, cJSON **out);

#endif
