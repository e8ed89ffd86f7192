/* grpc.c: the OTLP/gRPC server. One event-loop thread (epoll) speaks HTTP/2
 * through nghttp2 with every connection and collects each call's message;
 * a small pool of workers runs a complete call through the method table
 * (the same ingest path as OTLP/HTTP, durable before the answer) and hands
 * the outcome back to the loop, which answers: HEADERS, the prefixed
 * response, trailers with grpc-status and a percent-encoded grpc-message.
 * Every connection, stream, header list and message is bounded, and clients
 * that stall are dropped (limits below, docs/ingest.md). */
#include "server/grpc.h"
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "base/err.h"
#include "base/text.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "ingest/metrics_in.h"
#include "ingest/logs_in.h"
#include "otlp/input_limits.h"
#include "server/grpc_frame.h"
#include "server/grpc_tls.h"
#include "server/receive.h"

#define GRPC_MAX_CONNS 256          /* open connections; more are closed at once */
#define GRPC_MAX_STREAMS 32         /* concurrent calls per connection (SETTINGS) */
#define GRPC_WORKERS 8              /* threads running calls; each waits for its commit */
#define GRPC_HEADER_MAX 16384       /* bytes of one call's header list */
#define GRPC_AUTH_MAX 8192          /* bytes of the authorization value */
#define GRPC_PROJECT_MAX 256        /* as X-Project-ID on HTTP */
#define GRPC_MSG_MAX SPAN_MAX_BODY  /* one message, compressed or not (the HTTP body limit, not gRPC's 4 MiB) */
#define GRPC_STREAM_WINDOW (1 << 20)
#define GRPC_CONN_WINDOW (16 << 20)
/* Timeouts, as HTTP's (http.c, routes.c): the preface and a first call's
 * headers within 10 s of connecting; a call's message averaging 4 KiB/s
 * after its first 5 s and complete in 120 s; a connection with nothing
 * moving for 30 s while calls are open, or idle for 300 s, is closed. */
#define GRPC_HEADER_TIMEOUT_S 10
#define GRPC_BODY_GRACE_S 5
#define GRPC_BODY_MIN_RATE 4096
#define GRPC_BODY_MAX_S 120
#define GRPC_STALL_S 30
#define GRPC_IDLE_S 300
#define GRPC_STOP_WAIT_S 30

#define NS 1000000000ull
#define EV_LISTEN UINT64_MAX
#define EV_WAKE (UINT64_MAX - 1)

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static enum err export_traces(struct app *app, const struct grpc_request *req, uint8_t *resp, size_t respcap,
                              size_t *resplen, char *err, size_t errlen);
static enum err export_metrics(struct app *app, const struct grpc_request *req, uint8_t *resp, size_t respcap,
                               size_t *resplen, char *err, size_t errlen);
static enum err export_logs(struct app *app, const struct grpc_request *req, uint8_t *resp, size_t respcap,
                            size_t *resplen, char *err, size_t errlen);

/* The methods served; every one has a handler (an unknown path answers UNIMPLEMENTED). */
static const struct grpc_method {
	const char *path, *scope;
	grpc_handler_fn fn;
} methods[] = {
	{"/opentelemetry.proto.collector.trace.v1.TraceService/Export", "ingest", export_traces},
	{"/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", "ingest", export_metrics},
	{"/opentelemetry.proto.collector.logs.v1.LogsService/Export", "ingest", export_logs},
};

struct gconn;

/* One call, owned by the loop; freed when nghttp2 closes the stream. Its
 * message buffer moves to a job when the call is complete. */
struct gstream {
	int32_t id;
	struct gconn *conn;
	struct gstream *prev, *next;     /* the connection's streams */
	const struct grpc_method *method;
	char encoding[16];               /* grpc-encoding */
	char project[GRPC_PROJECT_MAX + 1];
	char *authorization;             /* malloc'd, or NULL */
	int post, grpc_ct, ct_seen, bad_header, has_project;
	size_t header_bytes;
	uint8_t *buf;                    /* the DATA received so far */
	size_t len, cap;
	struct reqmem mem;
	uint64_t started_ns;
	int answered;                    /* a response is submitted: more DATA is dropped */
	int queued;                      /* handed to a worker */
	int remote_closed;
	uint8_t *resp;                   /* prefix + response message being sent */
	size_t resp_len, resp_off;
	char status[12], message[1024];  /* trailers once resp is sent */
};

struct gconn {
	int fd, slot;
	uint64_t gen;
	nghttp2_session *session;
	struct gstream *streams;
	int nstreams, inflight;          /* open streams; jobs out with workers */
	size_t preface_seen;             /* bytes of the client preface checked so far */
	int got_headers;
	uint64_t accepted_ns, last_ns;
	uint32_t events;
	struct grpc_tls_conn *tls;       /* NULL on cleartext */
	int tls_want_write;              /* the TLS session waits for the socket to take more */
	struct grpc_server *srv;
};

/* A complete call handed to a worker and back. */
struct job {
	struct job *next;
	int slot;
	uint64_t gen;
	int32_t stream_id;
	const struct grpc_method *method;
	uint8_t *buf;                    /* prefix + message */
	struct grpc_request req;
	char encoding[16], project[GRPC_PROJECT_MAX + 1];
	struct reqmem mem;
	enum err rc;
	char err[512];
	uint8_t resp[GRPC_RESP_MAX];
	size_t resplen;
};

struct grpc_server {
	struct app *app;
	grpc_auth_fn auth;
	struct grpc_tls *tls;            /* NULL: cleartext (h2c) */
	int lfd, epfd, wakefd;
	pthread_t loop;
	pthread_t workers[GRPC_WORKERS];
	int nworkers;
	struct gconn *conns[GRPC_MAX_CONNS];
	uint64_t next_gen;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *pending, **pending_tail;   /* for workers */
	struct job *done;                /* for the loop */
	int quit_workers;
	atomic_int stopping;
};

/* ---------- workers ---------- */

static enum err export_traces(struct app *app, const struct grpc_request *req, uint8_t *resp, size_t respcap,
                              size_t *resplen, char *err, size_t errlen)
{
	struct span_batch *b = NULL;
	enum err rc = receive_commit(app, INGEST_OTLP, INGEST_PROTOBUF, req->content_encoding, req->project, NULL, req->msg,
	                             req->len, req->owned, req->mem, &b, err, errlen);
	static_assert(RECEIVE_RESPONSE_MAX <= GRPC_RESP_MAX, "a trace response fits a gRPC response");
	(void)respcap;
	if (!rc)
		*resplen = receive_trace_response(b, resp);
	span_batch_free(b);
	return rc;
}

static enum err export_metrics(struct app *app, const struct grpc_request *req, uint8_t *resp, size_t respcap,
                               size_t *resplen, char *err, size_t errlen)
{
	(void)resp;
	(void)respcap;
	struct span_batch *b = NULL;
	enum err rc = receive_commit(app, INGEST_METRICS, INGEST_PROTOBUF, req->content_encoding, req->project, NULL, req->msg,
	                             req->len, req->owned, req->mem, &b, err, errlen);
	span_batch_free(b);
	*resplen = 0; /* an empty ExportMetricsServiceResponse */
	return rc;
}

static enum err export_logs(struct app *app, const struct grpc_request *req, uint8_t *resp, size_t respcap,
                            size_t *resplen, char *err, size_t errlen)
{
	struct span_batch *b = NULL;
	enum err rc = receive_commit(app, INGEST_LOGS, INGEST_PROTOBUF, req->content_encoding, req->project, NULL, req->msg,
	                             req->len, req->owned, req->mem, &b, err, errlen);
	(void)respcap;
	if (!rc)
		*resplen = receive_trace_response(b, resp); /* an ExportLogsServiceResponse on the wire */
	span_batch_free(b);
	return rc;
}

static void wake(struct grpc_server *s)
{
	uint64_t one = 1;
	ssize_t n = write(s->wakefd, &one, sizeof one);
	(void)n; /* a full counter still wakes the loop */
}

static void *worker_main(void *arg)
{
	struct grpc_server *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->pending && !s->quit_workers)
			pthread_cond_wait(&s->cv, &s->mu);
		struct job *j = s->pending;
		if (!j) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		s->pending = j->next;
		if (!s->pending)
			s->pending_tail = &s->pending;
		pthread_mutex_unlock(&s->mu);

		j->err[0] = 0;
		j->resplen = 0;
		j->rc = j->method->fn(s->app, &j->req, j->resp, sizeof j->resp, &j->resplen, j->err, sizeof j->err);
		j->buf = NULL;   /* the method freed it (req.owned) */
		reqmem_release(&j->mem);

		pthread_mutex_lock(&s->mu);
		j->next = s->done;
		s->done = j;
		pthread_mutex_unlock(&s->mu);
		wake(s);
	}
}

/* ---------- answers ---------- */

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}

static ssize_t resp_read(nghttp2_session *session, int32_t id, uint8_t *out, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
	(void)user;
	struct gstream *st = src->ptr;
	size_t n = st->resp_len - st->resp_off;
	if (n > len)
		n = len;
	memcpy(out, st->resp + st->resp_off, n);
	st->resp_off += n;
	if (st->resp_off == st->resp_len) {
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		nghttp2_nv trailers[] = {NV("grpc-status", st->status), NV("grpc-message", st->message)};
		if (nghttp2_submit_trailer(session, id, trailers, st->message[0] ? 2 : 1))
			return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	return (ssize_t)n;
}

/* Answers st: rc ERR_OK sends resp[0..len) as the response message, any
 * other code a Trailers-Only answer with its gRPC status and msg. */
static void answer(struct gstream *st, enum err rc, const char *msg, const uint8_t *resp, size_t len)
{
	nghttp2_session *session = st->conn->session;
	/* a metrics call refused before its worker ran is counted here (the
	 * worker's path counts in receive_commit) */
	if (rc && !st->queued && st->method && st->method->fn == export_metrics)
		metrics_in_note(rc, 0);
	if (rc && !st->queued && st->method && st->method->fn == export_logs)
		logs_in_note(rc, NULL);
	st->answered = 1;
	free(st->buf);
	st->buf = NULL;
	st->len = st->cap = 0;
	reqmem_release(&st->mem);
	snprintf(st->status, sizeof st->status, "%d", err_grpc_status(rc));
	grpc_percent_encode(rc && msg ? msg : "", st->message, sizeof st->message);
	if (rc) {
		nghttp2_nv h[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
		                  NV("grpc-status", st->status), NV("grpc-message", st->message)};
		nghttp2_submit_response(session, st->id, h, 4, NULL);
		return;
	}
	st->resp = malloc(GRPC_PREFIX + len);
	if (!st->resp)
		abort();
	grpc_frame_prefix(st->resp, 0, (uint32_t)len);
	memcpy(st->resp + GRPC_PREFIX, resp, len);
	st->resp_len = GRPC_PREFIX + len;
	st->resp_off = 0;
	nghttp2_nv h[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
	                  NV("grpc-accept-encoding", "identity,gzip,deflate")};
	nghttp2_data_provider dp = {.source.ptr = st, .read_callback = resp_read};
	nghttp2_submit_response(session, st->id, h, 3, &dp);
}

/* An HTTP-level refusal (gRPC's rule for a content type that is not
 * application/grpc: 415), no body. */
static void answer_http(struct gstream *st, const char *status)
{
	st->answered = 1;
	nghttp2_nv h[] = {NV(":status", status), NV("content-type", "text/plain")};
	nghttp2_submit_response(st->conn->session, st->id, h, 2, NULL);
}

/* ---------- nghttp2 callbacks ---------- */

static ssize_t on_send(nghttp2_session *session, const uint8_t *data, size_t len, int flags, void *user)
{
	(void)session;
	(void)flags;
	struct gconn *c = user;
	ssize_t n;
	if (c->tls) {
		n = grpc_tls_write(c->tls, data, len);
		if (n == GRPC_TLS_AGAIN)
			return NGHTTP2_ERR_WOULDBLOCK;
		if (n < 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
	} else if ((n = send(c->fd, data, len, MSG_NOSIGNAL)) < 0) {
		return errno == EAGAIN || errno == EWOULDBLOCK ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	c->last_ns = text_now_ns();
	return n;
}

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
	struct gconn *c = user;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	struct gstream *st = calloc(1, sizeof *st);
	if (!st)
		abort();
	st->id = frame->hd.stream_id;
	st->conn = c;
	st->started_ns = text_now_ns();
	st->next = c->streams;
	if (c->streams)
		c->streams->prev = st;
	c->streams = st;
	c->nstreams++;
	nghttp2_session_set_stream_user_data(session, st->id, st);
	return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	(void)flags;
	(void)user;
	struct gstream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (!st)
		return 0;
	/* headers and trailers together, counted as HPACK's table does */
	st->header_bytes += namelen + valuelen + 32;
	if (st->header_bytes > GRPC_HEADER_MAX)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
	if (frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* trailers from the client carry nothing we use */
#define IS(s) (namelen == sizeof(s) - 1 && !memcmp(name, s, namelen))
	if (IS(":path")) {
		st->method = NULL;
		for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
			if (strlen(methods[i].path) == valuelen && !memcmp(methods[i].path, value, valuelen))
				st->method = &methods[i];
	} else if (IS(":method")) {
		st->post = valuelen == 4 && !memcmp(value, "POST", 4);
	} else if (IS("content-type")) {
		/* application/grpc, application/grpc+proto, application/grpc;... */
		st->ct_seen = 1;
		st->grpc_ct = valuelen >= 16 && !strncasecmp((const char *)value, "application/grpc", 16) &&
		              (valuelen == 16 || value[16] == '+' || value[16] == ';');
	} else if (IS("grpc-encoding")) {
		if (valuelen >= sizeof st->encoding)
			st->bad_header = 1;
		else
			snprintf(st->encoding, sizeof st->encoding, "%.*s", (int)valuelen, (const char *)value);
	} else if (IS("x-project-id")) {
		if (valuelen > GRPC_PROJECT_MAX)
			st->bad_header = 2;
		else
			snprintf(st->project, sizeof st->project, "%.*s", (int)valuelen, (const char *)value);
		st->has_project = 1;
	} else if (IS("authorization")) {
		if (valuelen > GRPC_AUTH_MAX) {
			st->bad_header = 3;
		} else {
			free(st->authorization);
			st->authorization = malloc(valuelen + 1);
			if (!st->authorization)
				abort();
			memcpy(st->authorization, value, valuelen);
			st->authorization[valuelen] = 0;
		}
	}
#undef IS
	return 0;
}

/* The request headers are complete: refuse what cannot be served before
 * any DATA is buffered. */
static void headers_done(struct gstream *st)
{
	struct grpc_server *s = st->conn->srv;
	char err[256], key_project[GRPC_PROJECT_MAX + 1] = "";
	enum err rc = ERR_OK;
	st->conn->got_headers = 1;
	if (!st->post) {
		answer_http(st, "405");
	} else if (!st->grpc_ct) {
		answer_http(st, "415");
	} else if (!st->method) {
		answer(st, ERR_NOMETHOD, "unknown method: this server serves the OTLP TraceService, MetricsService and "
		       "LogsService Export", NULL, 0);
	} else if (st->bad_header) {
		answer(st, ERR_BAD_INPUT,
		       st->bad_header == 1   ? "grpc-encoding: too long"
		       : st->bad_header == 2 ? "x-project-id: longer than 256 characters"
		                             : "authorization: longer than 8192 bytes",
		       NULL, 0);
	} else if (st->encoding[0] && strcasecmp(st->encoding, "identity") && strcasecmp(st->encoding, "gzip") &&
	           strcasecmp(st->encoding, "deflate")) {
		snprintf(err, sizeof err, "grpc-encoding '%s' not supported (use gzip, deflate or identity)", st->encoding);
		answer(st, ERR_MEDIA_TYPE, err, NULL, 0);
	} else if (s->auth && (rc = s->auth(st->authorization, st->method->scope, key_project, sizeof key_project, err,
	                                    sizeof err)) != ERR_OK) {
		answer(st, rc == ERR_FORBIDDEN ? ERR_FORBIDDEN : ERR_UNAUTHENTICATED, err, NULL, 0);
	} else if (key_project[0]) {
		snprintf(st->project, sizeof st->project, "%s", key_project);
		st->has_project = 1;
	}
}

/* The client ended the stream: hand a complete message to a worker. */
static void request_done(struct gstream *st)
{
	struct grpc_server *s = st->conn->srv;
	struct grpc_msg m;
	char err[256];
	st->remote_closed = 1;
	if (st->answered)
		return;
	enum err rc = grpc_frame_check(st->buf, st->len, 1, GRPC_MSG_MAX, &m, err, sizeof err);
	if (!rc && m.compressed && (!st->encoding[0] || !strcasecmp(st->encoding, "identity")))
		rc = err_set(err, sizeof err, ERR_BAD_INPUT, "message marked compressed but the call has no grpc-encoding");
	if (rc) {
		answer(st, rc, err, NULL, 0);
		return;
	}
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->slot = st->conn->slot;
	j->gen = st->conn->gen;
	j->stream_id = st->id;
	j->method = st->method;
	j->buf = st->buf;
	j->mem = st->mem;
	st->buf = NULL;
	st->mem = (struct reqmem){0};
	snprintf(j->encoding, sizeof j->encoding, "%s", st->encoding);
	snprintf(j->project, sizeof j->project, "%s", st->project);
	j->req.msg = m.data;
	j->req.len = m.len;
	j->req.content_encoding = m.compressed ? j->encoding : NULL;
	j->req.project = st->has_project && st->project[0] ? j->project : NULL;
	j->req.mem = &j->mem;
	j->req.owned = j->buf;
	st->queued = 1;
	st->conn->inflight++;
	pthread_mutex_lock(&s->mu);
	*s->pending_tail = j;
	s->pending_tail = &j->next;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
	(void)user;
	if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
		return 0;
	struct gstream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (!st)
		return 0;
	if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
		headers_done(st);
	if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
		request_done(st);
	return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                         void *user)
{
	(void)flags;
	(void)user;
	struct gstream *st = nghttp2_session_get_stream_user_data(session, id);
	char err[256];
	struct grpc_msg m;
	if (!st || st->answered || st->queued)
		return 0;
	/* what the prefix declares bounds the buffer; before it is known, or
	 * when it lies, the buffer grows by doubling as data arrives */
	size_t need = st->len + len;
	if (need > GRPC_PREFIX + (size_t)GRPC_MSG_MAX) {
		answer(st, ERR_TOO_LARGE, "message exceeds the limit", NULL, 0);
		return 0;
	}
	if (need > st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16384;
		if (cap < need)
			cap = need;
		if (st->len >= GRPC_PREFIX && !grpc_frame_check(st->buf, st->len, 0, GRPC_MSG_MAX, &m, err, sizeof err) &&
		    m.have_prefix && cap > GRPC_PREFIX + (size_t)m.len && need <= GRPC_PREFIX + (size_t)m.len)
			cap = GRPC_PREFIX + (size_t)m.len;
		enum err rc = reqmem_take(&st->mem, cap - st->cap, err, sizeof err);
		if (rc) {
			answer(st, rc, err, NULL, 0);
			return 0;
		}
		uint8_t *grown = realloc(st->buf, cap);
		if (!grown)
			abort();
		st->buf = grown;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, data, len);
	st->len += len;
	enum err rc = grpc_frame_check(st->buf, st->len, 0, GRPC_MSG_MAX, &m, err, sizeof err);
	if (rc)
		answer(st, rc, err, NULL, 0);
	return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t id, uint32_t code, void *user)
{
	(void)code;
	struct gconn *c = user;
	struct gstream *st = nghttp2_session_get_stream_user_data(session, id);
	if (!st)
		return 0;
	nghttp2_session_set_stream_user_data(session, id, NULL);
	if (st->prev)
		st->prev->next = st->next;
	else
		c->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	c->nstreams--;
	free(st->buf);
	free(st->resp);
	free(st->authorization);
	reqmem_release(&st->mem);
	free(st);
	return 0;
}

/* Once a complete answer is out on a call whose client is still sending
 * (refused early), RST_STREAM NO_ERROR tells it to stop (RFC 9113 8.1). */
static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame, void *user)
{
	(void)user;
	if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
	    (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA))
		return 0;
	struct gstream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (st && !st->remote_closed)
		nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
	return 0;
}

/* ---------- connections ---------- */

static void conn_close(struct grpc_server *s, struct gconn *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	grpc_tls_conn_free(c->tls);
	close(c->fd);
	nghttp2_session_del(c->session); /* closes every stream: on_stream_close frees them */
	s->conns[c->slot] = NULL;
	free(c);
}

/* Sends what nghttp2 has queued and sets the events c waits for; closes c
 * when neither side has anything more to say. Returns 0, or -1 if c was
 * closed. On a cleartext connection nothing is sent before the client's
 * whole preface is read (the sweep flushes every connection once a second),
 * so a client speaking HTTP/1.1 gets the 505 and not our SETTINGS first. */
static int conn_flush(struct grpc_server *s, struct gconn *c)
{
	int preface_read = c->preface_seen == sizeof preface - 1;
	if ((preface_read || c->tls ? nghttp2_session_send(c->session) : 0) ||
	    (!nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session))) {
		conn_close(s, c);
		return -1;
	}
	uint32_t ev = EPOLLIN | (nghttp2_session_want_write(c->session) || c->tls_want_write ? EPOLLOUT : 0);
	if (ev != c->events) {
		struct epoll_event e = {.events = ev, .data.u64 = (uint64_t)c->slot};
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &e);
		c->events = ev;
	}
	return 0;
}

/* Bytes that are not the HTTP/2 preface: an HTTP/1.1 request gets a plain
 * 505 naming what this port speaks, anything else (TLS to a cleartext
 * port) just a close. */
static void refuse_not_h2(struct gconn *c, const uint8_t *buf, size_t n)
{
	static const char reply[] =
		"HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain\r\nConnection: close\r\n"
		"Content-Length: 89\r\n\r\n"
		"this port speaks OTLP/gRPC (HTTP/2); send OTLP/HTTP to the HTTP port (/v1/traces, 4318)\r\n";
	if (n && buf[0] >= 'A' && buf[0] <= 'Z') {
		ssize_t w = send(c->fd, reply, sizeof reply - 1, MSG_NOSIGNAL);
		(void)w; /* best effort: the connection closes either way */
	}
}

/* Reads from the socket or the TLS session: a count, 0 when the peer is
 * gone (or TLS failed), -1 when nothing is there now. */
static ssize_t conn_recv(struct gconn *c, uint8_t *buf, size_t len)
{
	if (c->tls) {
		ssize_t n = grpc_tls_read(c->tls, buf, len, &c->tls_want_write);
		return n == GRPC_TLS_AGAIN ? -1 : n == GRPC_TLS_CLOSED ? 0 : n;
	}
	ssize_t n = recv(c->fd, buf, len, 0);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : n < 0 ? 0 : n;
}

static void conn_read(struct grpc_server *s, struct gconn *c)
{
	uint8_t buf[65536];
	/* bytes TLS already decrypted raise no socket event: drain them too */
	for (int round = 0; round < 16 || (c->tls && grpc_tls_pending(c->tls)); round++) {
		ssize_t n = conn_recv(c, buf, sizeof buf);
		if (n < 0)
			break;
		if (n == 0) {
			conn_close(s, c);
			return;
		}
		c->last_ns = text_now_ns();
		if (c->preface_seen < sizeof preface - 1) {
			size_t k = sizeof preface - 1 - c->preface_seen;
			if (k > (size_t)n)
				k = (size_t)n;
			if (memcmp(buf, preface + c->preface_seen, k)) {
				if (!c->tls)
					refuse_not_h2(c, buf, (size_t)n);
				conn_close(s, c);
				return;
			}
			c->preface_seen += k;
		}
		ssize_t rv = nghttp2_session_mem_recv(c->session, buf, (size_t)n);
		if (rv < 0) {
			/* a protocol error: nghttp2 has queued GOAWAY; send it, then close */
			nghttp2_session_send(c->session);
			conn_close(s, c);
			return;
		}
		if (conn_flush(s, c))
			return;
	}
	conn_flush(s, c);
}

static void conn_accept(struct grpc_server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int slot = -1;
		for (int i = 0; i < GRPC_MAX_CONNS && slot < 0; i++)
			if (!s->conns[i])
				slot = i;
		if (slot < 0 || s->stopping) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct gconn *c = calloc(1, sizeof *c);
		if (!c)
			abort();
		c->fd = fd;
		c->slot = slot;
		c->gen = ++s->next_gen;
		c->srv = s;
		c->accepted_ns = c->last_ns = text_now_ns();
		if (s->tls)
			c->tls = grpc_tls_conn_new(s->tls, fd);
		nghttp2_session_callbacks *cb;
		nghttp2_session_callbacks_new(&cb);
		nghttp2_session_callbacks_set_send_callback(cb, on_send);
		nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
		nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
		nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
		nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
		nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
		nghttp2_option *opt;
		nghttp2_option_new(&opt);
		nghttp2_option_set_max_reserved_remote_streams(opt, 0);
		if (nghttp2_session_server_new2(&c->session, cb, c, opt))
			abort();
		nghttp2_option_del(opt);
		nghttp2_session_callbacks_del(cb);
		nghttp2_settings_entry iv[] = {
			{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, GRPC_MAX_STREAMS},
			{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, GRPC_STREAM_WINDOW},
			{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, GRPC_HEADER_MAX},
			{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
		};
		nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof *iv);
		nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, GRPC_CONN_WINDOW);
		s->conns[slot] = c;
		c->events = EPOLLIN;
		struct epoll_event e = {.events = EPOLLIN, .data.u64 = (uint64_t)slot};
		/* the server's SETTINGS go out once the client's preface is read
		 * (conn_flush), so an HTTP/1.1 client gets a readable refusal and
		 * nothing else */
		epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e);
	}
}

/* Answers the calls the workers finished. */
static void take_done(struct grpc_server *s)
{
	uint64_t v;
	ssize_t r = read(s->wakefd, &v, sizeof v);
	(void)r;
	pthread_mutex_lock(&s->mu);
	struct job *j = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->mu);
	while (j) {
		struct job *next = j->next;
		struct gconn *c = s->conns[j->slot];
		if (c && c->gen == j->gen) {
			c->inflight--;
			struct gstream *st = nghttp2_session_get_stream_user_data(c->session, j->stream_id);
			if (st) /* else the client reset the call meanwhile: the work is done, the answer dropped */
				answer(st, j->rc, j->err, j->resp, j->resplen);
			conn_flush(s, c);
		}
		free(j);
		j = next;
	}
}

/* The timeouts above, once a second. */
static void sweep(struct grpc_server *s)
{
	uint64_t now = text_now_ns();
	for (int i = 0; i < GRPC_MAX_CONNS; i++) {
		struct gconn *c = s->conns[i];
		if (!c)
			continue;
		uint64_t quiet = now - c->last_ns;
		if ((!c->got_headers && now - c->accepted_ns > GRPC_HEADER_TIMEOUT_S * NS) ||
		    (!c->inflight && quiet > (c->nstreams ? GRPC_STALL_S : GRPC_IDLE_S) * NS)) {
			conn_close(s, c);
			continue;
		}
		for (struct gstream *st = c->streams; st; st = st->next) {
			if (st->answered || st->queued || st->remote_closed)
				continue;
			uint64_t age = now - st->started_ns;
			if (age > GRPC_BODY_MAX_S * NS ||
			    (age > GRPC_BODY_GRACE_S * NS && st->len < GRPC_BODY_MIN_RATE * (age / NS)))
				answer(st, ERR_TIMEOUT, "the request message came too slowly", NULL, 0);
		}
		conn_flush(s, c);
	}
}

static int busy(struct grpc_server *s)
{
	for (int i = 0; i < GRPC_MAX_CONNS; i++)
		if (s->conns[i] && (s->conns[i]->inflight || nghttp2_session_want_write(s->conns[i]->session)))
			return 1;
	return 0;
}

static void *loop_main(void *arg)
{
	struct grpc_server *s = arg;
	struct epoll_event ev[64];
	uint64_t last_sweep = text_now_ns(), stop_at = 0;
	for (;;) {
		int n = epoll_wait(s->epfd, ev, 64, 1000);
		for (int i = 0; i < n; i++) {
			uint64_t d = ev[i].data.u64;
			if (d == EV_LISTEN) {
				conn_accept(s);
			} else if (d == EV_WAKE) {
				take_done(s);
			} else if (s->conns[d]) {
				struct gconn *c = s->conns[d];
				if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					conn_read(s, c);
				else if (conn_flush(s, c) == 0)
					continue;
			}
		}
		uint64_t now = text_now_ns();
		if (now - last_sweep >= NS) {
			sweep(s);
			last_sweep = now;
		}
		if (s->stopping && !stop_at) {
			/* no new calls: GOAWAY names the last one taken; those finish */
			stop_at = now + GRPC_STOP_WAIT_S * NS;
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
			for (int i = 0; i < GRPC_MAX_CONNS; i++) {
				struct gconn *c = s->conns[i];
				if (!c)
					continue;
				nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
				                      nghttp2_session_get_last_proc_stream_id(c->session), NGHTTP2_NO_ERROR, NULL, 0);
				conn_flush(s, c);
			}
		}
		if (s->stopping && (!busy(s) || now > stop_at))
			break;
	}
	for (int i = 0; i < GRPC_MAX_CONNS; i++)
		if (s->conns[i])
			conn_close(s, s->conns[i]);
	return NULL;
}

/* ---------- start and stop ---------- */

/* Binds HOST:PORT (config.c's form: IPv4, [IPv6] or localhost). */
static int listen_on(const char *addr, char *err, size_t errlen)
{
	char host[256], port_text[8];
	int fd = -1, port;
	if (text_host_port(addr, strlen(addr), 0, host, sizeof host, &port)) {
		err_set(err, errlen, ERR_BAD_INPUT, "gRPC listen %s: not HOST:PORT", addr);
		return -1;
	}
	snprintf(port_text, sizeof port_text, "%d", port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res,
	                *ai;
	int g = getaddrinfo(host, port_text, &hints, &res);
	if (g) {
		err_set(err, errlen, ERR_BAD_INPUT, "gRPC listen %s: %s", addr, gai_strerror(g));
		return -1;
	}
	int saved = 0;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		err_set(err, errlen, ERR_BAD_INPUT, "cannot listen for gRPC on %s: %s (--grpc-listen HOST:PORT or off)", addr,
		        strerror(saved ? saved : EADDRNOTAVAIL));
	return fd;
}

struct grpc_server *grpc_start(struct app *app, grpc_auth_fn auth, const char *tls_cert, const char *tls_key, char *err,
                               size_t errlen)
{
	assert(app->cfg->grpc_listen[0]);
	struct grpc_server *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->app = app;
	s->auth = auth;
	s->pending_tail = &s->pending;
	/* the files are checked before the port is taken */
	s->lfd = tls_cert && !(s->tls = grpc_tls_new(tls_cert, tls_key, err, errlen))
	             ? -1
	             : listen_on(app->cfg->grpc_listen, err, errlen);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (s->lfd < 0 || s->epfd < 0 || s->wakefd < 0)
		goto out;
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = EV_LISTEN};
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &e);
	e.data.u64 = EV_WAKE;
	epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd, &e);
	for (; s->nworkers < GRPC_WORKERS; s->nworkers++) {
		if (pthread_create(&s->workers[s->nworkers], NULL, worker_main, s))
			abort();
		pthread_setname_np(s->workers[s->nworkers], "tl-grpc-worker");
	}
	if (pthread_create(&s->loop, NULL, loop_main, s))
		abort();
	pthread_setname_np(s->loop, "tl-grpc-loop");
	return s;
out:
	grpc_tls_free(s->tls);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->wakefd >= 0)
		close(s->wakefd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	return NULL;
}

void grpc_stop(struct grpc_server *s)
{
	if (!s)
		return;
	s->stopping = 1;
	wake(s);
	pthread_join(s->loop, NULL);
	pthread_mutex_lock(&s->mu);
	s->quit_workers = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
	/* calls the loop gave up on after GRPC_STOP_WAIT_S finished meanwhile */
	for (struct job *j = s->done, *next; j; j = next) {
		next = j->next;
		free(j);
	}
	close(s->lfd);
	close(s->epfd);
	close(s->wakefd);
	grpc_tls_free(s->tls);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}
