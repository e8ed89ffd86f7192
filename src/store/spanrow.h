/* spanrow.h: how a spans row packs its small columns (schema/031). The
 * row stores flags (type, cost source and kind in one integer) and dur
 * (the end as an offset from the start); generated columns read back
 * end_ns, type, cost_source and kind for every SQL reader. The writer and
 * `tracelite reprice` write them through these helpers, the one place the
 * layout lives besides the migration. */
#ifndef TL_SPANROW_H
#define TL_SPANROW_H
#include <stdint.h>
#include "ingest/span.h"

_Static_assert(SPAN_TYPE_COUNT <= 8, "span type fits flags' 3 bits");
_Static_assert(SPAN_COST_TABLE < 4, "cost source fits flags' 2 bits");

/* spans.flags for a span of type (enum span_type), cost_source (enum
 * span_cost_source) and OTLP kind (any int32: it takes the high bits). */
static inline int64_t spanrow_flags(int type, int cost_source, int kind)
{
	return (int64_t)type | (int64_t)cost_source << 3 | (int64_t)kind * 32;
}

/* spans.dur for a span from start to end (end >= start, as every stored
 * span is): end - start, or end itself (negative as an int64) when only
 * the end is at or above 2^63, so that the generated end_ns never adds
 * past INT64_MAX (SQLite would turn the sum into a REAL). */
static inline int64_t spanrow_dur(uint64_t start, uint64_t end)
{
	if (end < start)
		end = start;
	return ((int64_t)start < 0) == ((int64_t)end < 0) ? (int64_t)(end - start) : (int64_t)end;
}

/* SQL assigning cost source ?N to a row's flags, the rest kept. */
#define SPANROW_SET_COST_SOURCE(n) "flags = (flags & ~24) | (?" #n " << 3)"

#endif
