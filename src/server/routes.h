/* routes.h: starting and stopping the HTTP server with tracelite's routes. */
#ifndef TL_ROUTES_H
#define TL_ROUTES_H
#include "server/app.h"
#include "server/tls.h"

struct server;

/* Starts serving app->cfg->listen with the route table, over HTTPS with
 * tls's files (tls_prepare) when tls is not NULL. Returns NULL with err
 * filled (e.g. port in use). */
struct server *server_start(struct app *app, const struct tls_files *tls, char *err, size_t errlen);
/* Stops accepting, waits for requests in flight to finish, frees s. */
void server_stop(struct server *s);

#endif
