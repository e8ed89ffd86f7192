/* reprice.h: the engine of `tracelite reprice`: recomputes the price-table costs stored
 * with spans (never client-sent ones) after the prices changed, and the
 * trace summaries' cost_usd with them, in batched transactions that run
 * beside a live server on the same data directory. */
#ifndef TL_REPRICE_H
#define TL_REPRICE_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "ingest/prices.h"
#include "base/err.h"

#define REPRICE_BATCH 2000    /* spans per transaction */

/* One span whose cost changes; keys are the spans table's columns. */
struct reprice_span {
	int64_t trace, project, name, service, model, provider;
	int type;
	uint64_t start_ns;
	double old_cost, new_cost;     /* 0 when the span has no cost */
	int old_source, new_source;    /* enum span_cost_source */
};

/* Called inside the batch's transaction, after the span row was updated,
 * for every span whose cost changes: the place to move the cost of any
 * summary keyed by the span's columns (rollups). Returns ERR_OK, or an
 * error code that rolls the batch back and stops the run with ERR_STORE. */
struct reprice_hooks {
	enum err (*span_changed)(void *ctx, sqlite3 *db, const struct reprice_span *s);
	void *ctx;
};

struct reprice_stats {
	int64_t spans_checked;    /* spans with a model and no client cost */
	int64_t spans_changed;
	int64_t traces_changed;
};

/* Reprices every span of db (a read-write connection with a busy timeout)
 * whose cost is not client-sent: a span with a priced model and tokens gets
 * the table's cost (source 2), any other loses a computed cost (source 0).
 * Each batch, whole chunks (schema/033) until batch spans were checked, is
 * one IMMEDIATE transaction that also sets traces.cost_usd of the traces
 * it changed to the sum of their spans.
 * hooks may be NULL. Returns ERR_OK with *st filled, or ERR_STORE with err
 * filled (batches committed before stay committed). */
enum err reprice_run(sqlite3 *db, const struct prices *p, const struct reprice_hooks *hooks, int batch,
                     struct reprice_stats *st, char *err, size_t errlen);
/* Reprices the store in data_dir (migrated first if needed) with p, as
 * reprice_run in batches of REPRICE_BATCH, moving each changed cost onto
 * its rollup rows too: what `tracelite reprice` runs, safe beside a live
 * server. Returns ERR_OK with *st filled, or ERR_STORE with err filled. */
enum err reprice_data_dir(const char *data_dir, const struct prices *p, struct reprice_stats *st, char *err,
                          size_t errlen);

#endif
