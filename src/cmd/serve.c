/* serve.c: `tracelite serve`: settings (server/config.c), then start-up in
 * order (prices, writer, search indexer, replication, HTTP) and shutdown in
 * reverse: SIGINT/SIGTERM stop new requests, let accepted ones commit,
 * checkpoint the WAL, exit 0. */
#include "cmd/cmd.h"
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include "base/text.h"
#include "ingest/prices.h"
#include "query/search.h"
#include "repl/repl.h"
#include "repl/repl_target.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/routes.h"
#include "store/writer.h"

/* Past this much SQLite memory, connections recycle their cache pages
 * instead of growing. Each HTTP worker has its own reader with a 4 MB
 * cache, and there are hundreds of workers: 240 concurrent /api/facets on a
 * 72 MB store took 676 MB RSS without the limit, 177 MB with it. The old
 * 16 workers' worst case (16 x 4 MB plus writer and indexer) stays below. */
#define SQLITE_HEAP_SOFT_LIMIT (128ll << 20)

int cmd_serve(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	int help;
	if (config_load(&cfg, argc, argv, &help, err, sizeof err)) {
		fprintf(stderr, "tracelite: %s\n", err);
		return 2;
	}
	if (help)
		return 0;
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
	sqlite3_soft_heap_limit64(SQLITE_HEAP_SOFT_LIMIT);
	struct app app = {.cfg = &cfg};
	struct prices *prices = prices_load(cfg.prices, err, sizeof err);
	if (!prices) {
		fprintf(stderr, "tracelite: %s\n", err);
		return 2;
	}
	app.prices = prices;
	app.started_ns = text_now_ns();
	/* keys first: a non-loopback address without any is refused before
	 * anything starts */
	/* beyond loopback auth stays on even if the last key is revoked later */
	if (!config_is_loopback(cfg.listen))
		cfg.auth_mode = AUTH_REQUIRED;
	app.auth = auth_open(cfg.data, (enum auth_mode)cfg.auth_mode, err, sizeof err);
	if (!app.auth) {
		fprintf(stderr, "tracelite: %s\n", err);
		prices_free(prices);
		return 1;
	}
	if (!config_is_loopback(cfg.listen) && auth_key_count(app.auth) == 0) {
		fprintf(stderr, "tracelite: refusing to listen on %s: not a loopback address and %s has no API keys, "
		        "so anyone could send and read traces (--allow-remote no longer turns authentication off).\n"
		        "  create the first key, then start again:\n"
		        "    tracelite keys create --name admin --scope admin --data %s\n",
		        cfg.listen, cfg.data, cfg.data);
		auth_close(app.auth);
		prices_free(prices);
		return 2;
	}
	/* Started in this order, stopped in the reverse one; a failure stops
	 * what was started before it (exit status 1). */
	int rc = 1;
	struct server *http = NULL;
	app.writer = writer_start(cfg.data, cfg.queue_bytes, err, sizeof err);
	if (!app.writer) {
		fprintf(stderr, "tracelite: %s\n", err);
		goto out_prices;
	}
	app.search = search_start(cfg.data, err, sizeof err);
	if (!app.search) {
		fprintf(stderr, "tracelite: %s\n", err);
		goto out_writer;
	}
	app.repl = repl_start(cfg.data, (const char (*)[REPL_URL_MAX])cfg.replicate, cfg.nreplicate);
	http = server_start(&app, err, sizeof err);
	if (!http) {
		fprintf(stderr, "tracelite: %s\n", err);
		goto out_repl;
	}
	printf("tracelite %s serving on http://%s (data in %s)\n"
	       "  send OTLP/HTTP traces to http://%s/v1/traces (protobuf or JSON)\n"
	       "  e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://%s\n"
	       "  API: http://%s/api/traces   stop with Ctrl-C\n",
	       TRACELITE_VERSION, cfg.listen, cfg.data, cfg.listen, cfg.listen, cfg.listen);
	if (auth_is_on(app.auth)) {
		char link[SECRET_TOKEN_HEX];
		auth_link_create(app.auth, link);
		printf("  authentication is on (%d API keys, --auth %s): send 'Authorization: Bearer KEY'\n"
		       "  log in to the UI once with http%s://%s/login?token=%s (one use, %d minutes)\n",
		       auth_key_count(app.auth), auth_mode_name((enum auth_mode)cfg.auth_mode), cfg.tls_on ? "s" : "",
		       cfg.listen, link, AUTH_LINK_TTL_S / 60);
	}
	for (int i = 0; i < cfg.nreplicate; i++) {
		char shown[REPL_URL_MAX];
		repl_target_mask(cfg.replicate[i], shown, sizeof shown);
		printf("  replicating to %s (status: http://%s/api/replication)\n", shown, cfg.listen);
	}
	fflush(stdout);
	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "tracelite: %s received, finishing accepted requests\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	server_stop(http);
	rc = 0;
out_repl:
	repl_stop(app.repl);
	search_stop(app.search);
out_writer:
	writer_stop(app.writer);
out_prices:
	auth_close(app.auth);
	prices_free(prices);
	if (!rc)
		fprintf(stderr, "tracelite: stopped cleanly\n");
	return rc;
}
