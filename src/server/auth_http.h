/* auth_http.h: auth.h over HTTP: the gate every request passes before its
 * route (which scope a route family needs, credentials from Authorization,
 * x-api-key or the session cookie, CSRF for browser changes), and the
 * login, logout and session endpoints the login page calls. */
#ifndef TL_AUTH_HTTP_H
#define TL_AUTH_HTTP_H
#include <civetweb.h>
#include "server/app.h"

#define AUTH_COOKIE "tracelite_session"
#define AUTH_CSRF_HEADER "X-CSRF-Token"

/* Returns 1 if c's request may go on to its route. Otherwise it has been
 * answered (401 with WWW-Authenticate, 403, or a 303 to /login for a
 * browser page) and 0 is returned. Public without credentials: GET
 * /api/health, /api/session, /login and /assets/..., POST /api/login and
 * /api/logout. Otherwise GET and HEAD need read, DELETE needs admin, any
 * other method ingest. */
int auth_http_gate(struct mg_connection *c, struct app *app);
/* POST /api/login {"key": KEY} or {"token": LINK_TOKEN}: sets the session cookie. */
void auth_http_login(struct mg_connection *c, struct app *app, const char *tail);
/* POST /api/logout: ends the cookie's session (X-CSRF-Token required) and clears the cookie. */
void auth_http_logout(struct mg_connection *c, struct app *app, const char *tail);
/* GET /api/session: whether auth is on, and who the request is (with the CSRF token). */
void auth_http_session(struct mg_connection *c, struct app *app, const char *tail);

#endif
