/* serve.c: `tracelite serve`: settings (server/config.c), then start-up in
 * order (prices, TLS files, writer, search indexer, replication, HTTP, OTLP/gRPC) and shutdown in
 * reverse: SIGINT/SIGTERM stop new requests, let accepted ones commit,
 * checkpoint the WAL, exit 0. */
#include "cmd/cmd.h"
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include "base/log.h"
#include "base/reqmem.h"
#include "base/text.h"
#include "ingest/prices.h"
#include "query/search.h"
#include "repl/repl.h"
#include "repl/repl_target.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/grpc.h"
#include "server/routes.h"
#include "server/tls.h"
#include "store/backfill.h"
#include "store/zconvert.h"
#include "store/retention.h"
#include "store/writer.h"

/* Retention tells the search index which documents go and when to give
 * space back (retention.h). */
static void forget_in_search(void *ctx, const struct retention_victim *v, size_t n)
{
	search_forget(ctx, v, n);
}

static void reclaim_in_search(void *ctx)
{
	search_reclaim(ctx);
}

/* Past this much SQLite memory, connections recycle their cache pages
 * instead of growing. Each HTTP worker has its own reader with a 4 MB
 * cache, and there are hundreds of workers: 240 concurrent /api/facets on a
 * 72 MB store took 676 MB RSS without the limit, 177 MB with it. The old
 * 16 workers' worst case (16 x 4 MB plus writer and indexer) stays below. */
#define SQLITE_HEAP_SOFT_LIMIT (128ll << 20)

/* Says where the server listens: a few lines for people on stdout, or one
 * log record with the same facts as fields under --log-format json. */
static void announce(const struct config *cfg, const struct tls_files *tls, int grpc, struct auth *auth, const char *link)
{
	const char *scheme = cfg->tls_on ? "https" : "http", *listen = cfg->listen;
	char url[sizeof cfg->listen + 8], login[sizeof url + 16 + SECRET_TOKEN_HEX];
	snprintf(url, sizeof url, "%s://%s", scheme, listen);
	snprintf(login, sizeof login, "%s/login?token=%s", url, link);
	if (log_is_json()) {
		log_write(LOGL_INFO, "serve", (const char *const[]){"url", url, "data", cfg->data, "version", TRACELITE_VERSION,
		          "tls_certificate", cfg->tls_on ? tls->cert : "", "tls_fingerprint", cfg->tls_on ? tls->fingerprint : "",
		          NULL}, "serving on %s", url);
		if (grpc)
			log_write(LOGL_INFO, "serve", (const char *const[]){"grpc", cfg->grpc_listen, NULL},
			          "OTLP/gRPC on %s://%s", scheme, cfg->grpc_listen);
		if (*link)
			log_write(LOGL_INFO, "auth", (const char *const[]){"login_url", login, NULL},
			          "authentication is on; log in to the UI once with %s (one use, %d minutes)", login,
			          AUTH_LINK_TTL_S / 60);
		for (int i = 0; i < cfg->nreplicate; i++) {
			char shown[REPL_URL_MAX];
			repl_target_mask(cfg->replicate[i], shown, sizeof shown);
			log_write(LOGL_INFO, "replicate", (const char *const[]){"target", shown, NULL}, "replicating to %s", shown);
		}
		return;
	}
	printf("tracelite %s serving on %s (data in %s)\n"
	       "  send OTLP/HTTP traces and logs to %s/v1/traces and /v1/logs (protobuf or JSON)\n"
	       "  e.g. OTEL_EXPORTER_OTLP_ENDPOINT=%s\n"
	       "  API: %s/api/traces   metrics: %s/metrics   stop with Ctrl-C\n",
	       TRACELITE_VERSION, url, cfg->data, url, url, url, url);
	if (cfg->tls_on)
		printf("  TLS certificate %s%s\n  SHA-256 fingerprint %s\n", tls->cert,
		       tls->created ? " (self-signed, made now)" : cfg->tls_self_signed ? " (self-signed)" : "", tls->fingerprint);
	if (grpc)
		printf("  send OTLP/gRPC (traces and logs; metrics counted) to %s://%s\n", scheme, cfg->grpc_listen);
	if (*link)
		printf("  authentication is on (%d API keys, --auth %s): send 'Authorization: Bearer KEY'\n"
		       "  log in to the UI once with %s (one use, %d minutes)\n",
		       auth_key_count(auth), auth_mode_name((enum auth_mode)cfg->auth_mode), login, AUTH_LINK_TTL_S / 60);
	for (int i = 0; i < cfg->nreplicate; i++) {
		char shown[REPL_URL_MAX];
		repl_target_mask(cfg->replicate[i], shown, sizeof shown);
		printf("  replicating to %s (status: %s/api/replication)\n", shown, url);
	}
}

int cmd_serve(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	int help;
	if (config_load(&cfg, argc, argv, &help, err, sizeof err)) {
		log_error("serve", "%s", err);
		return 2;
	}
	if (help)
		return 0;
	log_set_json(cfg.log_json);
	/* Block the stop signals before any thread starts so every thread
	 * inherits the mask and only sigwait below receives them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Two malloc arenas instead of glibc's 8 per core: the HTTP workers free
	 * everything per request, and per-thread arenas otherwise keep the peak
	 * of each worker (measured: 253 -> 203 MB peak RSS serving a 5,000-span
	 * trace to 4 clients 10 times). */
	mallopt(M_ARENA_MAX, 2);
	/* A fixed mmap threshold: glibc raises its own (up to 32 MB) each time
	 * a big block is freed, and the trim threshold with it; after the
	 * indexer's first 4-8 MB batch buffer the big blocks came from the
	 * arenas, which kept what they freed: 44.6 MB held for 30.7 MB in use
	 * at the ingest peak. Blocks of 1 MB and more are mapped and unmapped
	 * instead; request bodies (~420 KB per 100 JSON spans) stay in the
	 * arenas (256 KB mapped them: request threads +30% CPU). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	/* and a trim threshold of 4 MB, not the 128 KB that a fixed mmap
	 * threshold leaves: each request's blocks freed at an arena's top gave
	 * the pages back (madvise, a TLB flush on every core) and the next
	 * request faulted them in again, zeroed; an eighth of the request
	 * threads' CPU. The 2 arenas keep at most 4 MB free at their tops
	 * each (request threads 25.4 -> 20.2 us/span, peak RSS +1-2 MB). */
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
	sqlite3_soft_heap_limit64(SQLITE_HEAP_SOFT_LIMIT);
	struct app app = {.cfg = &cfg};
	struct prices *prices = prices_load(cfg.prices, err, sizeof err);
	if (!prices) {
		log_error("serve", "%s", err);
		return 2;
	}
	app.prices = prices;
	app.started_ns = text_now_ns();
	/* Started in this order, stopped in the reverse one; a failure stops
	 * what was started before it (exit status 1). */
	int rc = 1;
	struct server *http = NULL;
	struct grpc_server *grpc = NULL;
	struct tls_files tls = {0};
	/* the certificate first: a bad file stops start-up before anything runs */
	if (cfg.tls_on && tls_prepare(&cfg, &tls, err, sizeof err)) {
		log_error("serve", "%s", err);
		goto out_prices;
	}
	/* then the keys: a non-loopback address without any is refused before
	 * anything starts (exit 2); beyond loopback auth stays on even if the
	 * last key is revoked later */
	int remote = !config_is_loopback(cfg.listen) || (cfg.grpc_listen[0] && !config_is_loopback(cfg.grpc_listen));
	if (remote)
		cfg.auth_mode = AUTH_REQUIRED;
	app.auth = auth_open(cfg.data, (enum auth_mode)cfg.auth_mode, err, sizeof err);
	if (!app.auth) {
		log_error("serve", "%s", err);
		goto out_prices;
	}
	if (remote && auth_key_count(app.auth) == 0) {
		log_error("serve", "refusing to listen on %s: not a loopback address and %s has no API keys, so anyone "
		          "could send and read traces (--allow-remote no longer turns authentication off); create the "
		          "first key, then start again:\n    tracelite keys create --name admin --scope admin --data %s",
		          config_is_loopback(cfg.listen) ? cfg.grpc_listen : cfg.listen, cfg.data, cfg.data);
		rc = 2;
		goto out_prices;
	}
	reqmem_set_decode_limit(cfg.ingest_bytes);
	app.writer = writer_start(cfg.data, cfg.queue_bytes, err, sizeof err);
	if (!app.writer) {
		log_error("serve", "%s", err);
		goto out_prices;
	}
	app.search = search_start(cfg.data, err, sizeof err);
	if (!app.search) {
		log_error("serve", "%s", err);
		goto out_writer;
	}
	struct retention_opts ropts = {.days = cfg.retention_days, .max_disk = cfg.max_disk, .min_free = cfg.min_free,
	                               .min_free_set = cfg.min_free_set};
	struct retention_hooks hooks = {forget_in_search, reclaim_in_search, app.search};
	app.retention = retention_start(cfg.data, app.writer, &ropts, &hooks, err, sizeof err);
	if (!app.retention) {
		log_error("serve", "%s", err);
		goto out_search;
	}
	/* attribute index of chunks stored before schema/007 (backfill.h);
	 * without the thread filters only miss those old traces */
	struct backfill *backfill = backfill_start(app.writer, err, sizeof err);
	if (!backfill)
		log_error("serve", "%s", err);
	/* chunks stored before the zstd dictionary, recompressed with it, and
	 * the idle-time compaction (zconvert.h); a bad setting stops start-up */
	struct zconvert *zconvert = zconvert_start(app.writer, cfg.data, cfg.compact_level, err, sizeof err);
	if (!zconvert) {
		log_error("serve", "%s", err);
		goto out_repl;
	}
	app.repl = repl_start(cfg.data, (const char (*)[REPL_URL_MAX])cfg.replicate, cfg.nreplicate);
	http = server_start(&app, cfg.tls_on ? &tls : NULL, err, sizeof err);
	if (!http) {
		log_error("serve", "%s", err);
		goto out_repl;
	}
	/* authorization: the same keys as HTTP (auth.h); TLS with the HTTP
	 * port's certificate when one is configured */
	auth_set_global(app.auth);
	if (cfg.grpc_listen[0] && !(grpc = grpc_start(&app, auth_grpc_hook, cfg.tls_on ? tls.cert : NULL,
	                                              cfg.tls_on ? tls.key : NULL, err, sizeof err))) {
		log_error("serve", "%s", err);
		goto out_http;
	}
	char link[SECRET_TOKEN_HEX] = "";
	if (auth_is_on(app.auth))
		auth_link_create(app.auth, link);
	announce(&cfg, &tls, grpc != NULL, app.auth, link);
	fflush(stdout);
	int sig = 0;
	sigwait(&stop, &sig);
	log_info("serve", "%s received, finishing accepted requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
	grpc_stop(grpc);
out_http:
	server_stop(http);
out_repl:
	repl_stop(app.repl);
	backfill_stop(backfill);
	zconvert_stop(zconvert);
	retention_stop(app.retention);
out_search:
	search_stop(app.search);
out_writer:
	writer_stop(app.writer);
out_prices:
	auth_close(app.auth);
	prices_free(prices);
	if (!rc)
		log_info("serve", "stopped cleanly");
	return rc;
}
