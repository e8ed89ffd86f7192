/* search.h: full-text search over span names, input/output text, status
 * and exception messages. A background indexer keeps search.db (FTS5,
 * contentless, detail=none; one document per trace group of a chunk) in
 * the data directory, apart from the main database so it never takes its
 * write lock, without the words too common to narrow a search
 * (searchfreq.h); searches cover the indexed part through FTS5 and the not
 * yet indexed tail by scanning its chunks, and verify every hit on the
 * text. */
#ifndef TL_SEARCH_H
#define TL_SEARCH_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include "query/query.h"
#include "query/searchq.h"
#include "base/err.h"
#include "store/retention.h"

struct search;

struct search_status {
	int64_t indexed_spans;     /* spans in indexed chunks */
	int64_t indexed_text_bytes; /* text handed to FTS5 (after de-duplication in a document) */
	int64_t pending_chunks;    /* committed chunks not indexed yet */
	int64_t pending_spans;     /* pending_chunks x mean spans per indexed chunk (at least 1 each) */
	double lag_seconds;        /* since the oldest pending chunk was seen committed; 0 if none */
	int64_t segments;          /* FTS5 segments of the index (1: merged); -1 if unreadable */
	int64_t index_bytes;       /* pages of search.db in use, in bytes */
	                           /* (both read once the indexer has caught up, and after each merge step) */
	int tidying;               /* an idle-time merge of the whole index is under way */
	int64_t tidies, tidy_steps, tidy_yields; /* since start: merges finished, their steps, and the times new
	                                           * chunks were indexed in the middle of one */
	int64_t frequent_words;    /* words left out of the index (searchfreq.h); 0 until chosen */
	int deferring;             /* new chunks left for later while ingest goes on (DEFER_MS in search.c) */
};

/* Opens (or creates, or rebuilds when stale) dir/search.db and starts the
 * indexer thread at low priority. TRACELITE_SEARCH_PAUSE=1 in the
 * environment keeps it from indexing (tests observe the unindexed tail);
 * TRACELITE_SEARCH_MAX_CANDIDATES=N lowers the documents a search reads per
 * request (tests reach that bound with a few traces);
 * TRACELITE_SEARCH_TIDY_PAGES=N sets the leaf pages one step of the
 * idle-time merge of the index writes (0: never merge), and
 * TRACELITE_SEARCH_TIDY_QUIET_MS=N the time without new chunks (and since
 * the start) before a step; TRACELITE_SEARCH_DEFER_MS=N how old the oldest
 * waiting chunk may grow while ingest goes on before the indexer takes CPU
 * from it (0: index chunks as they come); the frequent words' settings are
 * in searchfreq.h. Returns NULL with err filled on failure. */
struct search *search_start(const char *dir, char *err, size_t errlen);
/* Stops the indexer after its current batch (committed), frees s. */
void search_stop(struct search *s);
/* Removes the index documents of the n (chunk, trace) pairs, which are
 * about to be deleted from the store (a retention_hooks forget: ctx = s),
 * and merges the index so their postings go; search_reclaim gives the
 * space back. Failures are logged: a stale document finds nothing, since
 * every hit is verified on the stored text. Thread-safe. */
void search_forget(struct search *s, const struct retention_victim *v, size_t n);
/* Gives search.db's free pages back and truncates its WAL (the indexer's
 * batches and merges grow it, and the size cap counts it: a
 * retention_hooks reclaim, ctx = s). Waits for the indexer's current
 * batch. Thread-safe. */
void search_reclaim(struct search *s);
/* Fills *st; db is the caller's read-only connection to the main store. */
void search_status(struct search *s, sqlite3 *db, struct search_status *st);
/* The calling thread's tokenizer (made from db's FTS5 on first use), or
 * NULL if FTS5 is unavailable. Freed when the thread exits. */
struct searchq_tok *search_thread_tok(sqlite3 *db);
/* Runs q with f's filters on db (read-only main store connection; search.db
 * in dir is attached to it). {"items":[trace-list item + "matches":[{span_id,
 * span_name, field, snippet}]], "next_cursor"}, in the trace list's order
 * (start time, then trace id; newest first) and paged by the same cursor
 * (f's cursor; f->limit items). A query whose FTS5 candidates fit in
 * MAX_CANDIDATES documents tests only their traces; a commoner one walks
 * the list newest first and tests each trace (index lookups first, its
 * text only when they may match). Either reads at most MAX_CANDIDATES
 * documents per request: past that the page may be short, with a
 * next_cursor after the last trace tested. Returns ERR_OK or ERR_STORE. */
enum err search_traces(sqlite3 *db, const char *dir, const struct trace_filter *f, const struct searchq *q,
                       cJSON **out);

#endif
