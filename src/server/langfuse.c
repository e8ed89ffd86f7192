/* langfuse.c: the endpoints Langfuse's SDKs call (/api/public/...): OTLP
 * traces and batch ingestion, the project and health checks. HTTP Basic
 * public:secret key names the project (langfuse_key_project, the hook the
 * keys feature plugs into); batches are serialized so that each builds on
 * the stored versions of its entities, and event ids already stored are
 * remembered in a bounded two-generation set. */
#include "server/langfuse.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "base/err.h"
#include "base/intern.h"
#include "base/mbed.h"
#include "server/args.h"
#include "server/http.h"
#include "server/receive.h"
#include "store/spanview.h"

#define KEY_MAX 256                 /* public key, secret key */
#define SEEN_GENERATION 65536       /* event ids per generation: 64k to 128k remembered */

/* Batches one at a time from their first look at the store to their
 * commit: each reads the stored versions the previous one committed (the
 * SDKs flush one batch at a time anyway). Taken once the body is read, so
 * a slow client does not hold it. */
static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;

/* Event ids of committed batches, as SHA-256 prefixes: lookups check both
 * generations; when cur is full it becomes old and old is dropped. Under
 * batch_lock. */
static struct intern *seen_cur, *seen_old;

/* THE HOOK for keys (pk -> project and scope): with keys configured, look
 * pk up, compare sk's hash in constant time, and answer 401/403. Without
 * keys (auth off, loopback) any credentials pass and the public key names
 * the project; no credentials: the X-Project-ID header or the default. */
static int langfuse_key_project(struct app *app, const char *pk, const char *sk, const char **project)
{
	(void)sk;
	if (app->auth && auth_is_on(app->auth)) {
		/* the gate (auth_http.c) checked sk as an API key, and pk against
		 * its public id: the project is the key's (NULL: the default) */
		const struct auth_principal *p = auth_current();
		*project = p && p->project[0] ? p->project : NULL;
		return 0;
	}
	*project = *pk ? pk : NULL;
	return 0;
}

/* Resolves the request's project into buf; on refusal the answer is sent
 * and -1 returned. */
static int request_project(struct mg_connection *c, struct app *app, char *buf, const char **project)
{
	char sk[KEY_MAX + 1];
	*project = NULL;
	int have = http_basic_credentials(c, buf, sk, KEY_MAX);
	if (have < 0) {
		http_send_error(c, 401, "Authorization: malformed Basic credentials (base64 of publicKey:secretKey, "
		                "each at most %d bytes)", KEY_MAX);
		return -1;
	}
	if (have == 0)
		return 0;
	int status = langfuse_key_project(app, buf, sk, project);
	if (status) {
		http_send_error(c, status, "invalid Langfuse API keys");
		return -1;
	}
	return 0;
}

void langfuse_otel(struct mg_connection *c, struct app *app, const char *tail)
{
	char pk[KEY_MAX + 1];
	const char *project;
	(void)tail;
	if (request_project(c, app, pk, &project))
		return;
	receive_as(c, app, INGEST_OTLP, project, NULL);
}

/* ---- batches ---- */

struct batch_ctx {
	sqlite3 *db;
	struct spanview *view;     /* opened with the lock */
	int locked;
};

/* Takes batch_lock (once per request) and opens the stored-span reader. */
static void batch_begin(struct batch_ctx *bc)
{
	if (bc->locked)
		return;
	pthread_mutex_lock(&batch_lock);
	bc->locked = 1;
	if (spanview_open(bc->db, &bc->view))
		bc->view = NULL;   /* nothing to build on: entities start afresh */
}

static const Tl__Span *stored_span(void *ctx, const uint8_t span_id[8], uint8_t trace_id[16])
{
	struct batch_ctx *bc = ctx;
	struct stored_span s;
	batch_begin(bc);
	if (!bc->view || spanview_span(bc->view, span_id) || spanview_next(bc->view, &s) != 1 || !s.otlp)
		return NULL;
	memcpy(trace_id, s.trace_id, 16);
	return s.otlp;
}

static void event_hash(const char *id, unsigned char out[32])
{
	mbedtls_sha256_ret((const unsigned char *)id, strlen(id), out, 0);
}

static int event_seen(void *ctx, const char *id)
{
	unsigned char h[32];
	int64_t v;
	batch_begin(ctx);
	event_hash(id, h);
	return (seen_cur && intern_get(seen_cur, h, 16, &v)) || (seen_old && intern_get(seen_old, h, 16, &v));
}

static void batch_done(void *ctx, const struct langfuse_io *io)
{
	batch_begin(ctx);
	for (size_t i = 0; i < io->nanswers; i++) {
		unsigned char h[32];
		if (io->answers[i].status >= 300 || io->answers[i].duplicate)
			continue;
		if (!seen_cur)
			seen_cur = intern_new();
		if (intern_count(seen_cur) >= SEEN_GENERATION) {
			intern_free(seen_old);
			seen_old = seen_cur;
			seen_cur = intern_new();
		}
		event_hash(io->answers[i].id, h);
		intern_put(seen_cur, h, 16, 1);
	}
}

void langfuse_ingestion(struct mg_connection *c, struct app *app, const char *tail)
{
	char pk[KEY_MAX + 1];
	const char *project;
	(void)tail;
	if (request_project(c, app, pk, &project))
		return;
	sqlite3 *db = api_reader(c, app);
	if (!db)
		return;
	struct batch_ctx bc = {db, NULL, 0};
	struct langfuse_io io = {stored_span, event_seen, batch_done, &bc, NULL, 0};
	receive_as(c, app, INGEST_LANGFUSE, project, &io);
	spanview_close(bc.view);
	if (bc.locked)
		pthread_mutex_unlock(&batch_lock);
}

/* ---- checks ---- */

void langfuse_projects(struct mg_connection *c, struct app *app, const char *tail)
{
	char pk[KEY_MAX + 1];
	const char *project;
	(void)tail;
	if (request_project(c, app, pk, &project))
		return;
	if (!project)
		project = "default";
	cJSON *o = cJSON_CreateObject(), *data = cJSON_AddArrayToObject(o, "data"), *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "id", project);
	cJSON_AddStringToObject(p, "name", project);
	cJSON_AddItemToObject(p, "metadata", cJSON_CreateObject());
	cJSON_AddItemToArray(data, p);
	http_send_json(c, 200, o);
}

void langfuse_health(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	int ok = writer_healthy(app->writer);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", ok ? "OK" : "unhealthy");
	cJSON_AddStringToObject(o, "version", TRACELITE_VERSION);
	http_send_json(c, ok ? 200 : 503, o);
}
