/* api_search.c: GET /api/search and the q= path of GET /api/traces: parse
 * q (400 naming q when malformed), run it with the trace-list filters, and
 * report the indexer's progress. */
#include "server/api_search.h"
#include <stdio.h>
#include "base/err.h"
#include "query/search.h"
#include "server/args.h"
#include "server/http.h"

cJSON *api_search_status(struct app *app, sqlite3 *db, int with_shape)
{
	struct search_status st;
	search_status(app->search, db, &st);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "indexed_spans", (double)st.indexed_spans);
	cJSON_AddNumberToObject(o, "indexed_text_bytes", (double)st.indexed_text_bytes);
	cJSON_AddNumberToObject(o, "pending_spans", (double)st.pending_spans);
	cJSON_AddNumberToObject(o, "pending_chunks", (double)st.pending_chunks);
	cJSON_AddNumberToObject(o, "lag_seconds", st.lag_seconds);
	cJSON_AddBoolToObject(o, "deferring", st.deferring);
	if (!with_shape)
		return o;
	cJSON_AddNumberToObject(o, "segments", (double)st.segments);
	cJSON_AddNumberToObject(o, "index_bytes", (double)st.index_bytes);
	cJSON_AddNumberToObject(o, "frequent_words", (double)st.frequent_words);
	cJSON *t = cJSON_AddObjectToObject(o, "tidy");
	cJSON_AddBoolToObject(t, "running", st.tidying);
	cJSON_AddNumberToObject(t, "finished", (double)st.tidies);
	cJSON_AddNumberToObject(t, "steps", (double)st.tidy_steps);
	cJSON_AddNumberToObject(t, "yields", (double)st.tidy_yields);
	return o;
}

void api_search_run(struct mg_connection *c, struct app *app, sqlite3 *db, const struct trace_filter *f,
                    int with_index)
{
	struct searchq_tok *tok = search_thread_tok(db);
	struct arena *a = arena_new();
	struct searchq q;
	char err[256];
	cJSON *o = NULL;
	if (!tok) {
		http_send_error(c, 503, "full-text search is unavailable (SQLite without FTS5)");
	} else if (searchq_parse(tok, f->q, a, &q, err, sizeof err)) {
		http_send_error(c, 400, "q: %s", err);
	} else if (search_traces(db, app->cfg->data, f, &q, &o)) {
		http_send_error(c, 503, "search failed, retry later");
	} else {
		if (with_index)
			cJSON_AddItemToObject(o, "index", api_search_status(app, db, 0));
		http_send_json(c, 200, o);
	}
	arena_free(a);
}

void api_search(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	struct filter_args a;
	sqlite3 *db = api_reader(c, app);
	if (!db || api_list_args(c, db, &a))
		return;
	if (!a.f.q) {
		http_send_error(c, 400, "q: required, e.g. q=timeout or q=\"rate limit\" -retry");
		return;
	}
	api_search_run(c, app, db, &a.f, 1);
}
