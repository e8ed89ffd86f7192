/* fuzz_spancols.c: libFuzzer harness for a chunk's span-columns blob
 * (store/spancols.c) as a damaged or hostile store could hold it. An input
 * starting with SPANCOLS_FORMAT is a blob as stored; any other first byte
 * is followed by raw columns, which the harness puts in a zstd frame after
 * the format byte (mutations of a frame mostly break it, so this reaches
 * the column reader). spancols_decode runs on a worker's stack; rows that
 * decode must encode again, to a blob that decodes to the very same rows
 * (every field bit for bit, message bytes) and encodes to the same bytes. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "base/arena.h"
#include "store/spancols.h"
#include "fuzz.h"

/* 1 if x and y hold the same values, bit for bit. */
static int same_row(const struct spancols_row *x, const struct spancols_row *y)
{
#define SAME(f) (!memcmp(&x->f, &y->f, sizeof x->f))
	if (!(SAME(trace) && SAME(span_id) && SAME(has_parent) && SAME(parent_span_id) && SAME(project) && SAME(name) &&
	      SAME(service) && SAME(flags) && SAME(start_ns) && SAME(dur) && SAME(status) && SAME(status_message_len) &&
	      SAME(has_model) && SAME(has_provider) && SAME(model) && SAME(provider) && SAME(input_tokens) &&
	      SAME(output_tokens) && SAME(cache_read_tokens) && SAME(cache_write_tokens) && SAME(has_cost) &&
	      SAME(cost_usd) && SAME(has_resource) && SAME(has_scope) && SAME(resource) && SAME(scope) &&
	      SAME(chunk_index)))
		return 0;
#undef SAME
	if (!x->status_message != !y->status_message)
		return 0;
	return !x->status_message || !memcmp(x->status_message, y->status_message, x->status_message_len);
}

struct job {
	const uint8_t *data;
	size_t size;
};

static void run(void *arg)
{
	struct job *j = arg;
	const uint8_t *blob = j->data;
	size_t len = j->size;
	uint8_t *framed = NULL;
	if (len > 0 && blob[0] != SPANCOLS_FORMAT) {
		size_t bound = ZSTD_compressBound(len - 1);
		if (!(framed = malloc(1 + bound)))
			abort();
		framed[0] = SPANCOLS_FORMAT;
		len = ZSTD_compress(framed + 1, bound, blob + 1, len - 1, 1);
		if (ZSTD_isError(len))
			abort();
		len++;
		blob = framed;
	}
	struct arena *a = arena_new();
	struct spancols_row *rows, *again;
	size_t n, m, outlen, outlen2;
	char err[256];
	if (spancols_decode(blob, len, a, &rows, &n, err, sizeof err) == ERR_OK) {
		void *out, *out2;
		int level = (int)(j->size % 4);   /* 0 (the chunks' level) to 3 */
		if (spancols_encode(rows, n, level, &out, &outlen) != ERR_OK)
			abort();   /* decoded rows always encode */
		if (spancols_decode(out, outlen, a, &again, &m, err, sizeof err) != ERR_OK || m != n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!same_row(&rows[i], &again[i]))
				abort();
		if (spancols_encode(again, m, level, &out2, &outlen2) != ERR_OK || outlen2 != outlen ||
		    memcmp(out, out2, outlen))
			abort();
		free(out);
		free(out2);
	}
	arena_free(a);
	free(framed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job j = {data, size};
	fuzz_on_worker_stack(run, &j);
	return 0;
}
