/* app.h: what every HTTP handler shares: settings, the writer, the price table,
 * start time. */
#ifndef TL_APP_H
#define TL_APP_H
#include <stdint.h>
#include "config.h"
#include "repl.h"
#include "search.h"
#include "prices.h"
#include "writer.h"

struct app {
	const struct config *cfg;
	struct writer *writer;
	struct search *search;       /* full-text indexer (search.h) */
	const struct prices *prices;   /* read-only after start */
	uint64_t started_ns;
	struct repl *repl;         /* NULL when nothing is replicated */
};

#endif
