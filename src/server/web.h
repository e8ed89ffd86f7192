/* web.h: the embedded web UI: static assets under /assets/ and the page
 * paths of the single-page app, all answered from memory. */
#ifndef TL_WEB_H
#define TL_WEB_H
#include <civetweb.h>
#include "server/app.h"

/* GET /assets/<name>: one embedded file with its content type, an ETag
 * (304 on If-None-Match) and gzip when the client accepts it; 404 JSON for
 * an unknown name. */
void web_asset(struct mg_connection *c, struct app *app, const char *tail);
/* GET of a UI page path (/, /traces, /traces/{id}, ...): index.html, which
 * routes on the client. */
void web_page(struct mg_connection *c, struct app *app, const char *tail);
/* GET /login: login.html (needs no key: it is how a browser gets a session). */
void web_login(struct mg_connection *c, struct app *app, const char *tail);

#endif
