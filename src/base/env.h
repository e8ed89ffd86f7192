/* env.h: the one reader of a numeric setting from the environment (test
 * and tuning knobs such as TRACELITE_COMPACT_IDLE_MS): unset or empty means
 * the default, a bad value is logged and the default kept. */
#ifndef TL_ENV_H
#define TL_ENV_H
#include <stdint.h>

/* The whole decimal integer in [min, max] that the environment variable
 * name holds (text_parse_i64's rules). Returns def when it is unset or
 * empty; when it is malformed or out of range, logs one line naming the
 * variable, its range and the value, and returns def. */
int64_t env_i64(const char *name, int64_t min, int64_t max, int64_t def);

#endif
