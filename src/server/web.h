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

#endif
