/* api_annot.c: the annotation endpoints (api_annot.h): JSON bodies read
 * with a size cap and checked field by field (400 naming the field), then
 * store/annot.c does the work through the writer. */
#include "server/api_annot.h"
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "server/args.h"
#include "server/http.h"
#include "store/annot.h"

#define ANNOT_BODY_MAX (64u << 10)
#define ANNOT_ID_MAX 256

/* Sends rc's status with err (503s with Retry-After). */
static void fail(struct mg_connection *c, enum err rc, const char *err)
{
	int status = err_http_status(rc);
	if (status == 503)
		http_send_error_headers(c, status, "Retry-After: 1\r\n", "%s", err);
	else
		http_send_error(c, status, "%s", err);
}

/* Reads the body as a JSON object; NULL after sending 400/413. */
static cJSON *read_object(struct mg_connection *c)
{
	char err[256], *body = NULL;
	size_t len = 0;
	cJSON *o = NULL;
	enum err rc = http_read_body(c, ANNOT_BODY_MAX, NULL, &body, &len, err, sizeof err);
	if (rc) {
		fail(c, rc, err);
		goto out;
	}
	o = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = NULL;
		http_send_error(c, 400, "expected a JSON object");
	}
out:
	free(body);
	return o;
}

/* Copies the URL-decoded path tail into buf; -1 after sending 400. */
static int path_name(struct mg_connection *c, const char *tail, char *buf, size_t n, const char *what)
{
	int len = mg_url_decode(tail, (int)strlen(tail), buf, (int)n, 0);
	if (len <= 0 || (size_t)len >= n - 1 || strchr(buf, '/')) {
		http_send_error(c, 400, "%s: expected /%s of 1 to %zu characters", what, what, n - 2);
		return -1;
	}
	return 0;
}

void api_score_configs(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	sqlite3 *db = api_reader(c, app);
	cJSON *o = NULL;
	if (!db)
		return;
	enum err rc = annot_configs_json(db, &o);
	http_reply(c, rc, o, "score configs");
}

/* A number field of o into *v (*has = 0 when absent or null); -1 after 400. */
static int opt_number(struct mg_connection *c, const cJSON *o, const char *name, int *has, double *v)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	*has = x && !cJSON_IsNull(x);
	if (!*has)
		return 0;
	if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
		http_send_error(c, 400, "%s: must be a number", name);
		return -1;
	}
	*v = x->valuedouble;
	return 0;
}

/* A string field of o (NULL when absent or null); -1 after 400. */
static int opt_string(struct mg_connection *c, const cJSON *o, const char *name, const char **s)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	*s = NULL;
	if (!x || cJSON_IsNull(x))
		return 0;
	if (!cJSON_IsString(x)) {
		http_send_error(c, 400, "%s: must be a string", name);
		return -1;
	}
	*s = x->valuestring;
	return 0;
}

void api_score_config_put(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	char err[512];
	struct score_config sc = {0};
	cJSON *o = read_object(c);
	if (!o)
		return;
	if (opt_string(c, o, "name", &sc.name) || opt_string(c, o, "type", &sc.type) ||
	    opt_string(c, o, "description", &sc.description) || opt_number(c, o, "min", &sc.has_min, &sc.min) ||
	    opt_number(c, o, "max", &sc.has_max, &sc.max))
		goto out;
	if (sc.description && strlen(sc.description) > ANNOT_COMMENT_MAX) {
		http_send_error(c, 400, "description: at most %d bytes", ANNOT_COMMENT_MAX);
		goto out;
	}
	sc.categories = cJSON_GetObjectItemCaseSensitive(o, "categories");
	if (cJSON_IsNull(sc.categories))
		sc.categories = NULL;
	enum err rc = annot_config_put(app->writer, &sc, err, sizeof err);
	if (rc) {
		fail(c, rc, err);
		goto out;
	}
	api_score_configs(c, app, "");
out:
	cJSON_Delete(o);
}

/* DELETE of the config or score the path's tail names (what: "name" or
 * "id", at most max bytes) through del: {"deleted": 1}, or del's error. */
static void delete_named(struct mg_connection *c, struct app *app, const char *tail, size_t max, const char *what,
                         enum err (*del)(struct writer *, const char *, char *, size_t))
{
	char key[(SPAN_MAX_NAME > ANNOT_ID_MAX ? SPAN_MAX_NAME : ANNOT_ID_MAX) + 2], err[512];
	assert(max + 2 <= sizeof key);
	if (path_name(c, tail, key, max + 2, what))
		return;
	enum err rc = del(app->writer, key, err, sizeof err);
	if (rc) {
		fail(c, rc, err);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "deleted", 1);
	http_send_json(c, 200, o);
}

void api_score_config_delete(struct mg_connection *c, struct app *app, const char *tail)
{
	delete_named(c, app, tail, SPAN_MAX_NAME, "name", annot_config_delete);
}

void api_score_patch(struct mg_connection *c, struct app *app, const char *tail)
{
	char id[ANNOT_ID_MAX + 2], err[512];
	struct score_edit e = {.id = id};
	const cJSON *x;
	cJSON *o = NULL;
	if (path_name(c, tail, id, sizeof id, "id") || !(o = read_object(c)))
		return;
	if ((x = cJSON_GetObjectItemCaseSensitive(o, "value"))) {
		e.has_value = 1;
		if (cJSON_IsBool(x))
			e.value = cJSON_IsTrue(x);
		else if (cJSON_IsNumber(x))
			e.value = x->valuedouble;
		else if (cJSON_IsNull(x))
			e.value_null = 1;
		else {
			http_send_error(c, 400, "value: must be a number, a boolean or null");
			goto out;
		}
	}
	e.has_string = cJSON_HasObjectItem(o, "string_value");
	e.has_comment = cJSON_HasObjectItem(o, "comment");
	if (opt_string(c, o, "string_value", &e.string_value) || opt_string(c, o, "comment", &e.comment))
		goto out;
	if (!e.has_value && !e.has_string && !e.has_comment) {
		http_send_error(c, 400, "expected at least one of value, string_value, comment");
		goto out;
	}
	enum err rc = annot_score_edit(app->writer, &e, err, sizeof err);
	if (rc) {
		fail(c, rc, err);
		goto out;
	}
	cJSON *ok = cJSON_CreateObject();
	cJSON_AddStringToObject(ok, "id", id);
	cJSON_AddBoolToObject(ok, "updated", 1);
	http_send_json(c, 200, ok);
out:
	cJSON_Delete(o);
}

void api_score_delete(struct mg_connection *c, struct app *app, const char *tail)
{
	delete_named(c, app, tail, ANNOT_ID_MAX, "id", annot_score_delete);
}
