/* fuzz.h: what every libFuzzer harness in tests/fuzz/ shares: running a
 * step on a thread with a civetweb worker's stack, and for the span
 * decoders the whole request path, from body to stored chunks and back to
 * the JSON the read path answers with. See docs/fuzzing.md. */
#ifndef TL_FUZZ_H
#define TL_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include "ingest/ingest.h"
#include "ingest/native.h"

/* The stack of a civetweb worker thread: Debian's civetweb 1.15 calls
 * pthread_attr_setstacksize(0x19000) for each, so a decoder that recurses
 * by input depth has 100 KiB there, not the main thread's 8 MiB. */
#define FUZZ_WORKER_STACK 0x19000
/* What civetweb's own frames and the route handler already hold when a
 * decoder starts: 21,304 bytes between start_thread and ingest_decode in
 * `tracelite serve` (gdb, Debian civetweb 1.15, gcc -O2; measure again when
 * the request path changes). A harness step runs below that much, so a
 * decoder gets the room it gets in the server. */
#define FUZZ_SERVER_FRAMES 21504

/* libFuzzer's entry point, defined once by each harness. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs fn(arg) on a new thread with a FUZZ_WORKER_STACK-byte stack, below
 * FUZZ_SERVER_FRAMES bytes of it kept in use, and waits for it to end.
 * Aborts if the thread cannot be started. */
void fuzz_on_worker_stack(void (*fn)(void *), void *arg);

/* Runs body[0..size) through the request path as a civetweb worker does:
 * ingest_decode for route, encoding and content_coding (NULL: identity)
 * within a request memory budget, prices from the built-in table,
 * record_pack as the writer stores it (it may refuse the batch, as the
 * server does). When all that succeeds, a second worker-stack thread reads
 * everything back as a query does: every chunk split, every span entry and
 * resource/scope blob unpacked, every span normalized (genai_normalize, as
 * the span API does) and rendered by otlp_json_encode (the OTLP export of
 * a trace), whose output must parse as JSON. Refusals are fine; a stored
 * span, blob or chunk that cannot be read back, or an unparsable rendering,
 * prints what failed and aborts (libFuzzer then saves the input). */
void fuzz_ingest(enum ingest_route route, int encoding, const char *content_coding, const uint8_t *body,
                 size_t size);
/* fuzz_ingest with the Langfuse batch decoder's callbacks (native.h). */
void fuzz_ingest_langfuse(enum ingest_route route, int encoding, const char *content_coding, const uint8_t *body,
                          size_t size, struct langfuse_io *io);

#endif
