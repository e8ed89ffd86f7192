/* api_logs.c: GET /api/logs: reads and checks the parameters (args.h
 * helpers; 400 naming the one that is wrong) and answers logquery_run's
 * page. */
#include "server/api_logs.h"
#include <string.h>
#include "base/ids.h"
#include "ingest/logs_in.h"
#include "query/logquery.h"
#include "server/args.h"
#include "server/http.h"

#define LOG_Q_MAX 256

/* Reads hex id parameter name of n bytes into id (*has 0 when absent).
 * Returns 0, or -1 after sending 400. */
static int id_param(struct mg_connection *c, const char *name, uint8_t *id, size_t n, int *has)
{
	char buf[80];
	const char *v;
	*has = 0;
	if (api_opt_param(c, name, buf, sizeof buf, &v))
		return -1;
	if (!v)
		return 0;
	if (strlen(v) != 2 * n || id_from_hex(v, id, n)) {
		http_send_error(c, 400, "%s: expected %zu hex digits", name, 2 * n);
		return -1;
	}
	*has = 1;
	return 0;
}

void api_logs(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	struct log_filter f = {0};
	char service[256], sev[32], q[LOG_Q_MAX + 1], cursor[64];
	const char *sevp, *cur;
	sqlite3 *db = api_reader(c, app);
	cJSON *o = NULL;
	if (!db || api_project_param(c, db, &f.project) || api_time_param(c, "from", &f.from_ns) ||
	    api_time_param(c, "to", &f.to_ns) || api_opt_param(c, "service", service, sizeof service, &f.service) ||
	    api_opt_param(c, "severity", sev, sizeof sev, &sevp) || api_opt_param(c, "q", q, sizeof q, &f.q) ||
	    api_opt_param(c, "cursor", cursor, sizeof cursor, &cur) ||
	    id_param(c, "trace_id", f.trace_id, 16, &f.has_trace) || id_param(c, "span_id", f.span_id, 8, &f.has_span) ||
	    api_limit_param(c, &f.limit))
		return;
	if (sevp && logs_severity_parse(sevp, &f.min_severity)) {
		http_send_error(c, 400, "severity: expected 0..24 or TRACE, DEBUG, INFO, WARN, ERROR or FATAL");
		return;
	}
	if (cur && logquery_cursor_parse(cur, &f)) {
		http_send_error(c, 400, "cursor: expected <time_ns>.<id> as next_cursor gives it");
		return;
	}
	enum err rc = logquery_run(db, &f, &o);
	http_reply(c, rc, o, "logs");
}
