/* web.h: the embedded web UI: static assets under /assets/ and the page
 * paths of the single-page app, all answered from memory. */
#ifndef TL_WEB_H
#define TL_WEB_H
#include <civetweb.h>
#include "server/app.h"

/* GET /assets/<name>: one embedded file with its content type, an ETag
 * (304 on If-None-Match) and gzip when the client accepts it; 404 JSON for
 * an unknown name. */
handler_fn web_asset;
/* GET of a UI page path (/, /traces, /traces/{id}, ...): index.html, which
 * routes on the client. */
handler_fn web_page;
/* GET /login: login.html (needs no key: it is how a browser gets a session). */
handler_fn web_login;
/* For a path no route knows: when a browser asks for a page (GET or HEAD,
 * Accept names text/html, not under /api/, /v1/ or /assets/), sends
 * index.html with status 404 so the app shows its not-found page, and
 * returns 1; else sends nothing and returns 0. */
int web_not_found(struct mg_connection *c, const char *uri);

#endif
