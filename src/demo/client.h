/* client.h: a small keep-alive OTLP/HTTP client (civetweb) that posts
 * request bodies and retries what OTLP exporters retry; used by
 * `tracelite demo --url` and the load generator (tests/bench/loadgen.c). */
#ifndef TL_DEMO_CLIENT_H
#define TL_DEMO_CLIENT_H
#include <stddef.h>

struct demo_client;

/* Returns a client for an http:// URL (host[:port][/path], port 80 and
 * path /v1/traces by default) that connects lazily and sends the key in
 * TRACELITE_API_KEY (if set) as `Authorization: Bearer`, or NULL with err
 * filled if the URL or the key is malformed. Not thread-safe: one client
 * per thread. */
struct demo_client *demo_client_new(const char *url, char *err, size_t errlen);
/* POSTs body to the client's URL over a kept-alive connection (reconnecting
 * when the server closed it), retrying 429/502/503/504 with exponential
 * backoff (honouring Retry-After) up to about 30 s; *retries (may be NULL)
 * is increased per retry. Returns the final HTTP status (200 on success), or
 * -1 with err filled when no response could be had. */
int demo_client_post(struct demo_client *c, const char *content_type, const void *body,
                     size_t len, unsigned *retries, char *err, size_t errlen);
/* Closes the connection and frees c; NULL is a no-op. */
void demo_client_free(struct demo_client *c);

#endif
