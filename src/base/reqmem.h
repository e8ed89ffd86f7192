/* reqmem.h: a process-wide budget for the memory ingest requests hold while
 * they are read, inflated and decoded, so that a few hostile or huge bodies
 * (a 63 KB gzip that inflates to 64 MiB of "[0,0,..." once took 2.7 GB)
 * cannot exhaust the machine. A request takes from the budget before each
 * big allocation and gives everything back when it is answered.
 *
 * Besides that hard budget, a soft limit (reqmem_set_decode_limit) bounds
 * what requests hold together from decoding to their commit: a request
 * whose body is read waits its turn (reqmem_admit) rather than decode while
 * the admitted ones hold the limit. Decoding is CPU work, so a few requests
 * at once keep the cores busy; more only add memory (four clients sending
 * the OpenTelemetry SDKs' 512-span batches held 12 MB each at once). */
#ifndef TL_REQMEM_H
#define TL_REQMEM_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

/* Bytes all requests in flight may hold together; also the most one
 * request may hold (the largest valid body decodes within it). */
#define REQMEM_BUDGET ((size_t)256 << 20)
/* What a request is expected to hold once decoded, in multiples of what it
 * holds when admitted (its body): the decoded spans, their packed records
 * and chunks (measured: 4-5x an OTLP/JSON body). */
#define REQMEM_DECODE_FACTOR 4

/* What one request holds; zero-initialize. */
struct reqmem {
	size_t held;
	int admitted;   /* reqmem_admit let it in: its takes count as decoding */
};

/* Takes n more bytes for request m (NULL m: no accounting). Returns ERR_OK;
 * ERR_TOO_LARGE when the request alone would hold more than REQMEM_BUDGET;
 * ERR_BUSY when requests in flight hold too much right now (the client
 * should retry). err names the reason. */
enum err reqmem_take(struct reqmem *m, size_t n, char *err, size_t errlen);
/* Gives back everything m holds and ends its admission; m may be reused.
 * NULL is a no-op. */
void reqmem_release(struct reqmem *m);
/* Returns the bytes all requests hold now (for tests). */
size_t reqmem_in_use(void);

/* Sets the soft limit of reqmem_admit in bytes (0: none, the default).
 * Call before requests arrive. */
void reqmem_set_decode_limit(size_t bytes);
/* Waits until request m (not yet admitted) may decode, in arrival order:
 * at once when no admitted request holds memory, else once the admitted
 * ones hold at most the limit less REQMEM_DECODE_FACTOR times what m holds.
 * Requests only wait for admitted ones, which hold no turn themselves, so
 * the wait ends with their commits. From then on m's takes count as
 * decoding until reqmem_release. NULL m: no-op. */
void reqmem_admit(struct reqmem *m);

/* The soft limit's state, for /metrics. */
struct reqmem_status {
	size_t limit;          /* bytes; 0: none */
	size_t decoding;       /* bytes the admitted requests hold */
	size_t admitted;       /* requests between admission and release */
	size_t waiting;        /* requests waiting for admission */
	uint64_t waits;        /* requests that had to wait, since start */
};
void reqmem_status(struct reqmem_status *s);

#endif
