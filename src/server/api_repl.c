/* api_repl.c: GET /api/replication, the state of each replication target
 * (see repl_status_json; passwords are masked there). */
#include "server/api.h"
#include "server/http.h"
#include "repl/repl.h"

void api_replication(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	http_send_json(c, 200, repl_status_json(app->repl));
}
