/* api_delete.h: DELETE /api/traces/{id} and DELETE /api/traces?user_id=
 * &session_id=&project= (a user's right to be forgotten), and the disk
 * state for GET /api/health (api_delete.c). */
#ifndef TL_API_DELETE_H
#define TL_API_DELETE_H
#include <civetweb.h>
#include <cjson/cJSON.h>
#include "server/app.h"

/* DELETE /api/traces/{id}: {"deleted": 0 or 1}. */
void api_delete_trace(struct mg_connection *c, struct app *app, const char *tail);
/* DELETE /api/traces with at least one of user_id, session_id, project
 * (all given must match): {"deleted": N}; 400 without a filter. */
void api_delete_traces(struct mg_connection *c, struct app *app, const char *tail);
/* {"bytes","free_bytes","min_free_bytes","nearly_full","retention":{...}}
 * for /api/health; NULL when retention is not running. */
cJSON *api_disk_status(struct app *app);

#endif
