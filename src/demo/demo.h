/* demo.h: deterministic LLM-agent traffic (the `tracelite demo` command and
 * the load generator): agent traces with LLM, tool, retrieval and embedding
 * spans in three attribute conventions, sessions spanning several traces,
 * errors with exception events; and a small keep-alive OTLP/HTTP client. */
#ifndef TL_DEMO_H
#define TL_DEMO_H
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "otlp.pb-c.h"

/* Appends trace number trace_index of the demo stream `seed` to req as one
 * ResourceSpans (its resource, scope and spans allocated in a) and returns
 * its span count. The same (seed, trace_index, now_ns, days) always yields
 * the same trace, whatever else was generated before, so callers may
 * generate traces in any order or in parallel (one arena per thread). Trace
 * ids are distinct per (seed, trace_index); consecutive indexes form
 * sessions of a few traces sharing session, conversation and user ids. All
 * span times lie within the `days` days before now_ns (0 counts as 1),
 * children inside their parents. */
size_t demo_generate(uint64_t seed, size_t trace_index, uint64_t now_ns, unsigned days,
                     struct arena *a, Tl__ExportTraceServiceRequest *req);

struct demo_client;

/* Returns a client for an http:// URL (host[:port][/path], port 80 and
 * path /v1/traces by default) that connects lazily, or NULL with err filled
 * if the URL is not one. Not thread-safe: one client per thread. */
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

/* The body of `tracelite demo`: argv[0..argc) are the flags that follow
 * the word demo (--traces N [--days D] [--seed S] [--url URL | --data DIR]
 * [--format json|protobuf] [--batch N]; --help prints the usage on stdout).
 * Prints a one-line summary on stdout. Returns 0 on success, 1 if sending
 * or storing failed, 2 on bad usage (after printing the usage on stderr). */
int demo_main(int argc, char **argv);

#endif
