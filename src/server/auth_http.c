/* auth_http.c: the route families' scopes, reading credentials from a
 * request, the 401/403/303 answers, and the login endpoints. Sessions and
 * keys themselves are auth.c's; nothing here keeps state. */
#include "server/auth_http.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "ingest/ingest.h"
#include "server/auth.h"
#include "server/http.h"

#define LOGIN_BODY_MAX 4096
#define WWW_AUTH "WWW-Authenticate: Bearer realm=\"tracelite\"\r\n"
#define WWW_AUTH_BAD "WWW-Authenticate: Bearer realm=\"tracelite\", error=\"invalid_token\"\r\n"

static int is_get(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

static int is_public(const char *method, const char *uri)
{
	if (is_get(method))
		return !strcmp(uri, "/api/health") || !strcmp(uri, "/api/public/health") || !strcmp(uri, "/api/session") ||
		       !strcmp(uri, "/login") ||
		       !strncmp(uri, "/assets/", 8);
	return !strcmp(method, "POST") && (!strcmp(uri, "/api/login") || !strcmp(uri, "/api/logout"));
}

static int need_of(const char *method, const char *uri)
{
	if (!strcmp(uri, "/api/public/projects"))   /* Langfuse SDKs check their ingest keys with it */
		return KEY_SCOPE_INGEST;
	if (is_get(method))
		return KEY_SCOPE_READ;
	return !strcmp(method, "DELETE") ? KEY_SCOPE_DELETE : KEY_SCOPE_INGEST;
}

/* Copies the session cookie's value into buf; returns 1 if there is one. */
static int session_cookie(const struct mg_connection *c, char *buf, size_t n)
{
	const char *cookies = mg_get_header(c, "Cookie");
	return cookies && mg_get_cookie(cookies, AUTH_COOKIE, buf, n) > 0;
}

/* A browser asking for a page (not the API) is sent to the login page. */
static int wants_page(const struct mg_connection *c)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	const char *accept = mg_get_header(c, "Accept");
	return is_get(ri->request_method) && strncmp(ri->local_uri, "/api/", 5) && accept && strstr(accept, "text/html");
}

static void redirect_login(struct mg_connection *c)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	char back[1024], next[3100], headers[3200];
	/* back where the browser was going, query string too (cut if too long) */
	snprintf(back, sizeof back, "%s%s%s", ri->local_uri, ri->query_string ? "?" : "",
	         ri->query_string ? ri->query_string : "");
	if (mg_url_encode(back, next, sizeof next) < 0)
		snprintf(next, sizeof next, "%%2F");
	snprintf(headers, sizeof headers, "Location: /login?next=%s\r\n", next);
	http_send_error_headers(c, 303, headers, "log in first: /login");
}

/* Authenticates c's request for need from its key or session cookie. */
static enum err authenticate(struct mg_connection *c, struct app *app, int need, struct auth_principal *p,
                             int *sent_key, char *err, size_t errlen)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	const char *authz = mg_get_header(c, "Authorization"), *apikey = mg_get_header(c, "x-api-key");
	char token[128], pk[HTTP_BASIC_MAX + 1], sk[HTTP_BASIC_MAX + 1];
	*sent_key = authz || apikey;
	int basic = authz ? http_basic_credentials(c, pk, sk, HTTP_BASIC_MAX) : 0;
	if (basic < 0)
		return err_set(err, errlen, ERR_UNAUTHENTICATED, "malformed Basic credentials (base64 of publicKey:secretKey, each at "
		               "most %d bytes)", HTTP_BASIC_MAX);
	if (basic) {   /* Langfuse SDKs: the secret is the key, the public id must be its pair */
		enum err rc = auth_check(app->auth, sk, need, p, err, errlen);
		if (!rc && p->public_id[0] && strcmp(p->public_id, pk))
			rc = err_set(err, errlen, ERR_UNAUTHENTICATED, "the public key does not belong to this secret key");
		return rc;
	}
	if (*sent_key || !session_cookie(c, token, sizeof token))
		return auth_check(app->auth, authz ? authz : apikey, need, p, err, errlen);
	return auth_session(app->auth, token, need, !is_get(ri->request_method), mg_get_header(c, AUTH_CSRF_HEADER), p,
	                    err, errlen);
}

int auth_http_gate(struct mg_connection *c, struct app *app)
{
	const struct mg_request_info *ri = mg_get_request_info(c);
	struct auth_principal p;
	char err[512];
	int sent_key;
	auth_current_set(NULL);
	if (!app->auth || is_public(ri->request_method, ri->local_uri) || !auth_is_on(app->auth))
		return 1;
	enum err rc = authenticate(c, app, need_of(ri->request_method, ri->local_uri), &p, &sent_key, err, sizeof err);
	if (rc == ERR_OK) {
		auth_current_set(&p);
		return 1;
	}
	if (rc == ERR_UNAUTHENTICATED && !sent_key && wants_page(c))
		redirect_login(c);
	else if (rc == ERR_UNAUTHENTICATED)
		http_send_error_headers(c, 401, sent_key ? WWW_AUTH_BAD : WWW_AUTH, "%s", err);
	else
		http_send_error(c, err_http_status(rc), "%s", err);
	return 0;
}

static void add_principal(cJSON *o, const struct auth_principal *p)
{
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "scope", key_scope_name(p->scope));
	if (p->project[0])
		cJSON_AddStringToObject(o, "project", p->project);
	if (p->via_session)
		cJSON_AddStringToObject(o, "csrf", p->csrf);
}

/* The session cookie's Set-Cookie line: value "" and max_age 0 clear it. */
static void cookie_header(const struct app *app, const char *value, int max_age, char *out, size_t n)
{
	snprintf(out, n, "Set-Cookie: " AUTH_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s\r\n", value,
	         max_age, app->cfg->tls_on ? "; Secure" : "");
}

void auth_http_login(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	const struct mg_request_info *ri = mg_get_request_info(c);
	char err[512], token[SECRET_TOKEN_HEX], headers[300];
	char *body = NULL;
	size_t len;
	cJSON *in = NULL;
	struct auth_principal p;
	int retry = 0;
	/* JSON only: a cross-site form cannot send it without a CORS preflight */
	if (ingest_content_type(mg_get_header(c, "Content-Type")) != INGEST_JSON) {
		http_send_error(c, 415, "Content-Type must be application/json");
		goto out;
	}
	if (!app->auth || !auth_is_on(app->auth)) {
		http_send_error(c, 409, "authentication is off on this server: no login needed");
		goto out;
	}
	enum err rc = http_read_body(c, LOGIN_BODY_MAX, NULL, &body, &len, err, sizeof err);
	if (rc) {
		http_send_error(c, err_http_status(rc), "%s", err);
		goto out;
	}
	in = cJSON_ParseWithLength(body, len);
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(in, "key"), *link = cJSON_GetObjectItemCaseSensitive(in, "token");
	if (!cJSON_IsObject(in) || cJSON_IsString(key) == cJSON_IsString(link)) {
		http_send_error(c, 400, "expected a JSON object with a string \"key\" (an API key of scope read or admin) "
		                "or \"token\" (the login link's)");
		goto out;
	}
	rc = auth_login(app->auth, cJSON_IsString(key) ? key->valuestring : NULL,
	                cJSON_IsString(link) ? link->valuestring : NULL, ri->remote_addr, token, &p, &retry, err,
	                sizeof err);
	if (rc == ERR_SLOW_DOWN) {
		snprintf(headers, sizeof headers, "Retry-After: %d\r\n", retry);
		http_send_error_headers(c, 429, headers, "%s", err);
	} else if (rc == ERR_UNAUTHENTICATED) {
		http_send_error_headers(c, 401, WWW_AUTH, "%s", err);
	} else if (rc) {
		http_send_error(c, err_http_status(rc), "%s", err);
	} else {
		cJSON *o = cJSON_CreateObject();
		cookie_header(app, token, AUTH_SESSION_TTL_S, headers, sizeof headers);
		cJSON_AddBoolToObject(o, "logged_in", 1);
		add_principal(o, &p);
		http_send_json_headers(c, 200, o, headers);
	}
out:
	cJSON_Delete(in);
	free(body);
}

void auth_http_logout(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	char token[128], err[512], headers[300];
	struct auth_principal p;
	if (app->auth && session_cookie(c, token, sizeof token)) {
		enum err rc = auth_session(app->auth, token, KEY_SCOPE_READ, 1, mg_get_header(c, AUTH_CSRF_HEADER), &p, err,
		                           sizeof err);
		if (rc == ERR_FORBIDDEN) {   /* a cross-site request cannot log anyone out */
			http_send_error(c, 403, "%s", err);
			return;
		}
		auth_logout(app->auth, token);
	}
	cookie_header(app, "", 0, headers, sizeof headers);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "logged_in", 0);
	http_send_json_headers(c, 200, o, headers);
}

void auth_http_session(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	struct auth_principal p;
	char err[512];
	int sent_key, on = app->auth && auth_is_on(app->auth);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "auth", on);
	int in = on && authenticate(c, app, KEY_SCOPE_READ, &p, &sent_key, err, sizeof err) == ERR_OK;
	cJSON_AddBoolToObject(o, "logged_in", in);
	if (in) {
		add_principal(o, &p);
		cJSON_AddStringToObject(o, "via", p.via_session ? "session" : "key");
	}
	http_send_json(c, 200, o);
}
