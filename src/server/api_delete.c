/* api_delete.c: the deletion endpoints over retention_delete (which runs
 * through the writer in batches and removes spans, scores, chunks and
 * search documents) and the disk/retention status shown by /api/health. */
#include "server/api_delete.h"
#include <string.h>
#include "base/err.h"
#include "server/args.h"
#include "server/http.h"
#include "store/retention.h"

static void run_delete(struct mg_connection *c, struct app *app, const struct retention_filter *f)
{
	char err[320];
	int64_t deleted = 0;
	int rc = retention_delete(app->retention, f, &deleted, err, sizeof err);
	if (rc == ERR_BAD_INPUT) {
		http_send_error(c, 400, "%s", err);
		return;
	}
	if (rc) {
		http_send_error(c, err_http_status(rc), "delete failed after %lld traces: %s", (long long)deleted, err);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "deleted", (double)deleted);
	http_send_json(c, 200, o);
}

void api_delete_trace(struct mg_connection *c, struct app *app, const char *tail)
{
	uint8_t id[16];
	if (api_path_id(c, tail, id, 16, "trace_id"))
		return;
	struct retention_filter f = {.trace_id = id};
	run_delete(c, app, &f);
}

void api_delete_traces(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	char user[256], session[256];
	struct retention_filter f = {0};
	sqlite3 *db = api_reader(c, app);
	if (!db || api_opt_param(c, "user_id", user, sizeof user, &f.user_id) ||
	    api_opt_param(c, "session_id", session, sizeof session, &f.session_id) ||
	    api_project_param(c, db, &f.project))
		return;
	if (!f.user_id && !f.session_id && !f.project) {
		http_send_error(c, 400, "DELETE /api/traces needs a filter: user_id, session_id or project "
		                "(use DELETE /api/traces/{trace_id} for one trace)");
		return;
	}
	run_delete(c, app, &f);
}

cJSON *api_disk_status(struct app *app)
{
	struct retention_status st;
	if (!app->retention)
		return NULL;
	retention_status(app->retention, &st);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "data_bytes", (double)st.dir_bytes);
	cJSON_AddNumberToObject(o, "free_bytes", (double)st.free_bytes);
	cJSON_AddNumberToObject(o, "min_free_bytes", (double)st.min_free);
	cJSON_AddBoolToObject(o, "nearly_full", st.disk_low);
	cJSON_AddNumberToObject(o, "max_disk_bytes", (double)app->cfg->max_disk);
	cJSON_AddNumberToObject(o, "retention_days", (double)app->cfg->retention_days);
	cJSON_AddNumberToObject(o, "deleted_traces", (double)st.deleted_traces);
	cJSON_AddNumberToObject(o, "reclaimed_bytes", (double)st.reclaimed_bytes);
	return o;
}
