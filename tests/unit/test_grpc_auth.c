/* test_grpc_auth.c: the gRPC authorization hook, driven by a real HTTP/2
 * client (libcurl with prior knowledge): the hook sees the lowercase
 * `authorization` value and the method's scope, and its refusals reach
 * the client as UNAUTHENTICATED (16) and PERMISSION_DENIED (7) in a
 * Trailers-Only answer, before any message is read (no writer is running:
 * a call that got past the hook would not be answered like this). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "server/grpc.h"
#include "test.h"

static char seen_auth[256], seen_scope[32];
static int calls;

static enum err fake_auth(const char *authorization, const char *scope, char *project, size_t projectlen, char *err,
                          size_t errlen)
{
	calls++;
	snprintf(seen_auth, sizeof seen_auth, "%s", authorization ? authorization : "(none)");
	snprintf(seen_scope, sizeof seen_scope, "%s", scope);
	(void)project;
	(void)projectlen;
	if (!authorization)
		return err_set(err, errlen, ERR_UNAUTHENTICATED, "no key: send authorization: Bearer <key>");
	if (!strcmp(authorization, "Bearer read-only"))
		return err_set(err, errlen, ERR_FORBIDDEN, "key lacks the ingest scope");
	return err_set(err, errlen, ERR_UNAUTHENTICATED, "unknown key");
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &n))
		abort();
	close(fd);
	return ntohs(a.sin_port);
}

struct answer {
	int grpc_status;
	char grpc_message[256];
};

static size_t on_header(char *line, size_t size, size_t n, void *user)
{
	struct answer *a = user;
	size_t len = size * n;
	if (len > 13 && !strncasecmp(line, "grpc-status:", 12))
		a->grpc_status = atoi(line + 12);
	if (len > 14 && !strncasecmp(line, "grpc-message:", 13))
		snprintf(a->grpc_message, sizeof a->grpc_message, "%.*s", (int)strcspn(line + 14, "\r\n"), line + 14);
	return len;
}

static struct answer call(int port, const char *authorization)
{
	struct answer a = {.grpc_status = -1};
	char url[128], auth[300];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/opentelemetry.proto.collector.trace.v1.TraceService/Export", port);
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "content-type: application/grpc");
	h = curl_slist_append(h, "te: trailers");
	if (authorization) {
		snprintf(auth, sizeof auth, "authorization: %s", authorization);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	/* no message: the hook decides on the headers, and an upload still in
	 * flight when the refusal (and its RST_STREAM NO_ERROR) arrives is
	 * an error to curl 7.88 */
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_VERBOSE, (long)(getenv("TEST_VERBOSE") != NULL));
	CURLcode rc = curl_easy_perform(c);
	CHECK(rc == CURLE_OK, "curl: %s", curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return a;
}

int main(void)
{
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	int port = free_port();
	snprintf(cfg.grpc_listen, sizeof cfg.grpc_listen, "127.0.0.1:%d", port);
	struct app app = {.cfg = &cfg};
	char err[256];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct grpc_server *s = grpc_start(&app, fake_auth, NULL, NULL, err, sizeof err);
	CHECK(s != NULL, "grpc_start: %s", err);
	if (!s)
		return test_done();

	struct answer a = call(port, NULL);
	CHECK(a.grpc_status == 16, "no authorization: UNAUTHENTICATED, got %d", a.grpc_status);
	CHECK(!strcmp(seen_auth, "(none)") && !strcmp(seen_scope, "ingest"), "hook saw %s / %s", seen_auth, seen_scope);
	CHECK(strstr(a.grpc_message, "no key") != NULL, "message: %s", a.grpc_message);

	a = call(port, "Bearer read-only");
	CHECK(a.grpc_status == 7, "a key without the scope: PERMISSION_DENIED, got %d", a.grpc_status);
	CHECK(!strcmp(seen_auth, "Bearer read-only"), "hook saw the value as sent: %s", seen_auth);

	a = call(port, "Bearer nope");
	CHECK(a.grpc_status == 16, "an unknown key: UNAUTHENTICATED, got %d", a.grpc_status);
	CHECK(!strcmp(a.grpc_message, "unknown key"), "message: %s", a.grpc_message);
	CHECK(calls == 3, "the hook ran once per call: %d", calls);

	grpc_stop(s);
	curl_global_cleanup();
	return test_done();
}
