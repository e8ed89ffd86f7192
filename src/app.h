/* app.h: what every HTTP handler shares: settings, the writer, start time. */
#ifndef TL_APP_H
#define TL_APP_H
#include <stdint.h>
#include "config.h"
#include "search.h"
#include "writer.h"

struct app {
	const struct config *cfg;
	struct writer *writer;
	struct search *search;       /* full-text indexer (search.h) */
	uint64_t started_ns;
};

#endif
