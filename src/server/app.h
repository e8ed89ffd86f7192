/* app.h: what every HTTP handler shares: settings, the writer, the price table,
 * start time. */
#ifndef TL_APP_H
#define TL_APP_H
#include <stdint.h>
#include "server/config.h"
#include "repl/repl.h"
#include "query/search.h"
#include "ingest/prices.h"
#include "store/retention.h"
#include "store/writer.h"
#include "server/auth.h"

struct mg_connection;

struct app {
	const struct config *cfg;
	struct writer *writer;
	struct search *search;       /* full-text indexer (search.h) */
	const struct prices *prices;   /* read-only after start */
	uint64_t started_ns;
	struct repl *repl;         /* NULL when nothing is replicated */
	struct retention *retention; /* deletion, disk cap and free-space watch (retention.h) */
	struct auth *auth;         /* keys and sessions (auth.h) */
};

/* What every route handler is: it answers request c itself (tail is the
 * path after the route's prefix, "" for an exact route). Declared as
 * `handler_fn name;` in the handler headers. */
typedef void handler_fn(struct mg_connection *c, struct app *app, const char *tail);

#endif
