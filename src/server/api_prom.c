/* api_prom.c: GET /metrics. Counters that move with work (ingest, writer,
 * HTTP, retention) are added where the work is done (base/counters.h);
 * the gauges here are read at each scrape, then everything is rendered in
 * the Prometheus text format. Auth: the "read" scope (the route table's). */
#include "server/api_prom.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/counters.h"
#include "base/json.h"
#include "query/search.h"
#include "repl/repl.h"
#include "server/args.h"
#include "server/http.h"
#include "store/zdict.h"
#include "store/zformat.h"
#include "store/writer.h"

/* The /metrics body stays far below this (a few hundred series). */
#define PROM_BODY_MAX (4u << 20)
/* Data directory entries looked at for store file sizes. */
#define PROM_FILES_MAX 64

struct family_def {
	const char *name;
	enum counters_type type;
	const char *help;
};

static const struct family_def defs[] = {
	{"tracelite_build_info", COUNTERS_GAUGE, "Always 1; the version label says which tracelite runs"},
	{"process_start_time_seconds", COUNTERS_GAUGE, "Start time of the process since the unix epoch, in seconds"},
	{"process_resident_memory_bytes", COUNTERS_GAUGE, "Resident memory of the process (RSS), in bytes"},
	{"process_open_fds", COUNTERS_GAUGE, "Open file descriptors of the process"},
	{"tracelite_http_connections", COUNTERS_GAUGE, "HTTP connections open now (accepted, TLS handshake done)"},
	{"tracelite_http_requests_total", COUNTERS_COUNTER, "HTTP requests answered, by route and status class"},
	{"tracelite_ingest_requests_total", COUNTERS_COUNTER, "Ingest requests received, by route and encoding"},
	{"tracelite_ingest_requests_rejected_total", COUNTERS_COUNTER,
	 "Ingest requests refused as a whole, by route, encoding and reason"},
	{"tracelite_ingest_bytes_total", COUNTERS_COUNTER, "Ingest request body bytes read (as sent), by route and encoding"},
	{"tracelite_ingest_spans_total", COUNTERS_COUNTER, "Spans stored, by route and encoding"},
	{"tracelite_ingest_spans_rejected_total", COUNTERS_COUNTER,
	 "Spans not stored, by route, encoding and reason (invalid_span: refused in a partial success)"},
	{"tracelite_ingest_log_records_total", COUNTERS_COUNTER,
	 "OTLP log records by outcome: received, accepted (stored), rejected (refused or not committed)"},
	{"tracelite_ingest_decoding_requests", COUNTERS_GAUGE,
	 "Ingest requests admitted to decode, from their turn to their answer"},
	{"tracelite_ingest_decoding_bytes", COUNTERS_GAUGE, "Bytes the admitted ingest requests hold"},
	{"tracelite_ingest_decoding_limit_bytes", COUNTERS_GAUGE,
	 "--ingest-mb: past it a request whose body is read waits its turn (0: no limit)"},
	{"tracelite_ingest_waiting_requests", COUNTERS_GAUGE, "Ingest requests waiting for their turn to decode"},
	{"tracelite_ingest_waits_total", COUNTERS_COUNTER, "Ingest requests that waited for their turn to decode"},
	{"tracelite_writer_queue_requests", COUNTERS_GAUGE, "Requests waiting for the writer or being committed"},
	{"tracelite_writer_queue_bytes", COUNTERS_GAUGE, "Bytes of the requests in the write queue"},
	{"tracelite_writer_queue_capacity_bytes", COUNTERS_GAUGE, "Write queue cap (--queue-mb); past it ingest answers 503"},
	{"tracelite_writer_cache_bytes", COUNTERS_GAUGE,
	 "Bytes of the writer's id caches (strings, blobs, attribute pairs and blocks), each capped"},
	{"tracelite_store_bytes", COUNTERS_GAUGE, "Size of each database file in the data directory, in bytes"},
	{"tracelite_search_lag_seconds", COUNTERS_GAUGE, "Age of the oldest committed chunk not yet in the search index"},
	{"tracelite_search_pending_chunks", COUNTERS_GAUGE, "Committed chunks not yet in the search index"},
	{"tracelite_search_indexed_spans", COUNTERS_GAUGE, "Spans in the search index"},
	{"tracelite_search_index_segments", COUNTERS_GAUGE,
	 "FTS5 segments of the search index (1 once the idle-time merge has run)"},
	{"tracelite_search_tidy_steps_total", COUNTERS_COUNTER, "Steps of the idle-time merge of the search index"},
	{"tracelite_search_frequent_words", COUNTERS_GAUGE,
	 "Words too common to be in the search index (searches test them on the text)"},
	{"tracelite_compaction_enabled", COUNTERS_GAUGE, "1 if idle-time compaction of span chunks is on (--compact-level)"},
	{"tracelite_compaction_pending_chunks", COUNTERS_GAUGE, "Span chunks not yet looked at by the idle-time compaction"},
	{"tracelite_compaction_chunks_total", COUNTERS_COUNTER, "Span chunks recompressed by the idle-time compaction"},
	{"tracelite_compaction_bytes_saved_total", COUNTERS_COUNTER,
	 "Bytes the idle-time compaction took off the span chunks it recompressed"},
	{"tracelite_format_conversion_pending_chunks", COUNTERS_GAUGE,
	 "Span chunks not yet looked at by the conversion of format-1 chunks to format 2"},
	{"tracelite_format_conversion_chunks_total", COUNTERS_COUNTER, "Span chunks converted from format 1 to format 2"},
	{"tracelite_format_conversion_bytes_saved_total", COUNTERS_COUNTER,
	 "Bytes the conversion to format 2 took off the span chunks it rewrote"},
	{"tracelite_format_conversion_unreadable_total", COUNTERS_COUNTER,
	 "Format-1 span chunks the conversion left as they are because they do not read"},
	{"tracelite_format_conversion_skipped_total", COUNTERS_COUNTER,
	 "Format-1 span chunks this process left as they are because they kept changing under the conversion"},
	{"tracelite_retention_deleted_traces_total", COUNTERS_COUNTER,
	 "Whole traces deleted by retention, by reason (age, disk, api)"},
	{"tracelite_retention_deleted_spans_total", COUNTERS_COUNTER, "Spans deleted by retention, by reason"},
	{"tracelite_retention_deleted_logs_total", COUNTERS_COUNTER,
	 "Log records deleted by retention (age, disk) or with their trace (api), by reason"},
	{"tracelite_replication_lag_spans", COUNTERS_GAUGE, "Spans stored but not yet confirmed by the target"},
	{"tracelite_replication_lag_seconds", COUNTERS_GAUGE, "Age of the oldest span not yet confirmed by the target"},
	{"tracelite_replication_errors_total", COUNTERS_COUNTER, "Failed sends to the target (each retried)"},
	{"tracelite_replication_refused_rows_total", COUNTERS_COUNTER, "Rows the target refused (logged and skipped)"},
	{"tracelite_replication_sent_spans_total", COUNTERS_COUNTER, "Spans the target confirmed since start"},
};

void api_prom_declare(void)
{
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
		counters_declare(defs[i].name, defs[i].type, defs[i].help, NULL, 0);
	counters_set("tracelite_build_info", 1, "version", TRACELITE_VERSION, NULL);
	counters_gauge_add("tracelite_http_connections", 0, NULL);
	/* store/retention.c adds to these as it deletes; 0 until it has */
	counters_add("tracelite_retention_deleted_traces_total", 0, "reason", "age", NULL);
	counters_add("tracelite_retention_deleted_traces_total", 0, "reason", "disk", NULL);
	counters_add("tracelite_retention_deleted_spans_total", 0, "reason", "age", NULL);
	counters_add("tracelite_retention_deleted_spans_total", 0, "reason", "disk", NULL);
	counters_add("tracelite_retention_deleted_traces_total", 0, "reason", "api", NULL);
	counters_add("tracelite_retention_deleted_spans_total", 0, "reason", "api", NULL);
}

void api_prom_count_request(const char *route, int status)
{
	static const char *classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
	int k = status / 100 - 1;
	counters_add("tracelite_http_requests_total", 1, "route", route, "code", k >= 0 && k < 5 ? classes[k] : "other",
	             NULL);
}

void api_prom_connections(int delta)
{
	counters_gauge_add("tracelite_http_connections", delta, NULL);
}

static void process_gauges(const struct app *app)
{
	char statm[128], *end;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fgets(statm, sizeof statm, f)) {
			strtoul(statm, &end, 10);   /* size, then resident pages */
			unsigned long rss = strtoul(end, NULL, 10);
			counters_set("process_resident_memory_bytes", (double)rss * (double)sysconf(_SC_PAGESIZE), NULL);
		}
		fclose(f);
	}
	int fds = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));)
		fds += e->d_name[0] != '.';
	if (d) {
		closedir(d);
		counters_set("process_open_fds", fds - 1, NULL);   /* less the one reading the directory */
	}
	counters_set("process_start_time_seconds", (double)(app->started_ns / 1000000) / 1e3, NULL);
}

/* Every *.db, *.db-wal and *.db-shm file of the data directory. */
static void store_gauges(const struct app *app)
{
	char path[DATADIR_MAX + 300];
	struct stat st;
	int n = 0;
	DIR *d = opendir(app->cfg->data);
	for (struct dirent *e; d && (e = readdir(d)) && n < PROM_FILES_MAX;) {
		if (!strstr(e->d_name, ".db") || strlen(e->d_name) > 255)
			continue;
		snprintf(path, sizeof path, "%s/%s", app->cfg->data, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		counters_set("tracelite_store_bytes", (double)st.st_size, "file", e->d_name, NULL);
		n++;
	}
	if (d)
		closedir(d);
}

static double number(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsRaw(v))
		return strtod(v->valuestring, NULL);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void repl_gauges(struct app *app)
{
	if (!app->repl)
		return;
	cJSON *st = repl_status_json(app->repl), *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(st, "targets")) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "target"));
		if (!name)
			continue;
		counters_set("tracelite_replication_lag_spans", number(t, "lag_spans"), "target", name, NULL);
		counters_set("tracelite_replication_lag_seconds", number(t, "lag_seconds"), "target", name, NULL);
		counters_set("tracelite_replication_errors_total", number(t, "retries"), "target", name, NULL);
		counters_set("tracelite_replication_refused_rows_total", number(t, "refused_rows"), "target", name, NULL);
		counters_set("tracelite_replication_sent_spans_total",
		             number(cJSON_GetObjectItemCaseSensitive(t, "sent"), "spans"), "target", name, NULL);
	}
	cJSON_Delete(st);
}

/* The idle-time compaction's and format conversion's figures, from the
 * health answer's objects */
static void compaction_gauges(const struct app *app, sqlite3 *db)
{
	counters_set("tracelite_compaction_enabled", app->cfg->compact_level > 0, NULL);
	cJSON *zd = zdict_status_json(db, app->cfg->compact_level);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(zd, "compaction");
	counters_set("tracelite_compaction_pending_chunks", number(c, "pending_chunks"), NULL);
	counters_set("tracelite_compaction_chunks_total", number(c, "chunks"), NULL);
	counters_set("tracelite_compaction_bytes_saved_total", number(c, "bytes_saved"), NULL);
	cJSON_Delete(zd);
	cJSON *f = zformat_status_json(db);
	counters_set("tracelite_format_conversion_pending_chunks", number(f, "pending_chunks"), NULL);
	counters_set("tracelite_format_conversion_chunks_total", number(f, "chunks"), NULL);
	counters_set("tracelite_format_conversion_bytes_saved_total", number(f, "bytes_saved"), NULL);
	counters_set("tracelite_format_conversion_unreadable_total", number(f, "unreadable"), NULL);
	counters_set("tracelite_format_conversion_skipped_total", number(f, "skipped"), NULL);
	cJSON_Delete(f);
}

void api_prom(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	size_t reqs = 0, bytes = 0;
	struct reqmem_status in;
	reqmem_status(&in);
	counters_set("tracelite_ingest_decoding_requests", (double)in.admitted, NULL);
	counters_set("tracelite_ingest_decoding_bytes", (double)in.decoding, NULL);
	counters_set("tracelite_ingest_decoding_limit_bytes", (double)in.limit, NULL);
	counters_set("tracelite_ingest_waiting_requests", (double)in.waiting, NULL);
	counters_set("tracelite_ingest_waits_total", (double)in.waits, NULL);
	writer_queue(app->writer, &reqs, &bytes);
	counters_set("tracelite_writer_queue_requests", (double)reqs, NULL);
	counters_set("tracelite_writer_queue_bytes", (double)bytes, NULL);
	counters_set("tracelite_writer_queue_capacity_bytes", (double)app->cfg->queue_bytes, NULL);
	counters_set("tracelite_writer_cache_bytes", (double)writer_cache_bytes(app->writer), NULL);
	sqlite3 *db = api_reader(c, app);
	if (!db)
		return;
	if (app->search) {
		struct search_status st;
		search_status(app->search, db, &st);
		counters_set("tracelite_search_lag_seconds", st.lag_seconds, NULL);
		counters_set("tracelite_search_pending_chunks", (double)st.pending_chunks, NULL);
		counters_set("tracelite_search_indexed_spans", (double)st.indexed_spans, NULL);
		counters_set("tracelite_search_index_segments", (double)st.segments, NULL);
		counters_set("tracelite_search_tidy_steps_total", (double)st.tidy_steps, NULL);
		counters_set("tracelite_search_frequent_words", (double)st.frequent_words, NULL);
	}
	compaction_gauges(app, db);
	store_gauges(app);
	repl_gauges(app);
	process_gauges(app);
	struct jbuf b;
	size_t len;
	jbuf_init(&b, PROM_BODY_MAX);
	counters_render(&b);
	char *text = jbuf_finish(&b, &len);
	if (!text) {
		http_send_error(c, 500, "metrics larger than %u bytes", PROM_BODY_MAX);
		return;
	}
	http_send(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, "");
	free(text);
}
