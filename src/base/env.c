/* env.c: numeric settings from the environment (see env.h). */
#include "base/env.h"

#include <inttypes.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/text.h"

int64_t env_i64(const char *name, int64_t min, int64_t max, int64_t def)
{
	const char *v = getenv(name);
	int64_t n;
	if (!v || !*v)
		return def;
	if (text_parse_i64(v, min, max, &n)) {
		log_error("config", "%s: expected %" PRId64 "..%" PRId64 ", got '%s' (%" PRId64 " used)", name, min, max,
		          v, def);
		return def;
	}
	return n;
}
