/* reqmem.h: a process-wide budget for the memory ingest requests hold while
 * they are read, inflated and decoded, so that a few hostile or huge bodies
 * (a 63 KB gzip that inflates to 64 MiB of "[0,0,..." once took 2.7 GB)
 * cannot exhaust the machine. A request takes from the budget before each
 * big allocation and gives everything back when it is answered. */
#ifndef TL_REQMEM_H
#define TL_REQMEM_H
#include <stddef.h>
#include "base/err.h"

/* Bytes all requests in flight may hold together; also the most one
 * request may hold (the largest valid body decodes within it). */
#define REQMEM_BUDGET ((size_t)256 << 20)

/* What one request holds; zero-initialize. */
struct reqmem {
	size_t held;
};

/* Takes n more bytes for request m (NULL m: no accounting). Returns ERR_OK;
 * ERR_TOO_LARGE when the request alone would hold more than REQMEM_BUDGET;
 * ERR_BUSY when requests in flight hold too much right now (the client
 * should retry). err names the reason. */
enum err reqmem_take(struct reqmem *m, size_t n, char *err, size_t errlen);
/* Gives back everything m holds; m may be reused. NULL is a no-op. */
void reqmem_release(struct reqmem *m);
/* Returns the bytes all requests hold now (for /api/health and tests). */
size_t reqmem_in_use(void);

#endif
