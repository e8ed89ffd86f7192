/* textread.c: times the search indexer's two ways to read a store's span
 * texts, on one thread and without FTS5: every chunk's records unpacked
 * whole then record_texts_of_span (the indexer up to 79026f6), against
 * spanview_chunk_texts (record_span_texts). Prints CPU us/span of each,
 * the best of ROUNDS passes, alternating. Not one of make's targets; build with
 *   printf 'build/textread: tests/bench/textread.c $(LIBOBJS)\n\t$(CC) $(ALLFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)\n' |
 *     make -f Makefile -f - build/textread
 *   build/textread DATADIR [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "base/err.h"
#include "store/record.h"
#include "store/spanview.h"
#include "store/store.h"

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over chunks 1..max; returns the spans read, *bytes their text bytes. */
static long pass(struct spanview *v, int64_t max, int partial, size_t *bytes)
{
	long spans = 0;
	*bytes = 0;
	for (int64_t id = 1; id <= max; id++) {
		size_t n;
		if (partial) {
			const struct record_texts *const *t;
			if (spanview_chunk_texts(v, id, &t, &n) == ERR_OK)
				for (size_t i = 0; i < n; i++)
					if (t[i]) {
						spans++;
						*bytes += t[i]->name.len + t[i]->input.len + t[i]->output.len + t[i]->status.len;
					}
		} else {
			const Tl__Span *const *r;
			if (spanview_chunk_records(v, id, &r, &n) == ERR_OK)
				for (size_t i = 0; i < n; i++)
					if (r[i]) {
						struct record_texts t;
						record_texts_of_span(r[i], spanview_arena(v), &t);
						spans++;
						*bytes += t.name.len + t.input.len + t.output.len + t.status.len;
					}
		}
		spanview_reset(v);
	}
	return spans;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	struct spanview *v;
	char err[512];
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	int64_t max = 0;
	if (argc < 2 || store_open_reader(argv[1], &db, err, sizeof err) || spanview_open(db, &v)) {
		fprintf(stderr, "usage: textread DATADIR [ROUNDS]\n");
		return 2;
	}
	store_int_query(db, "SELECT coalesce(max(id), 0) FROM chunks", 0, &max);
	double best[2] = {1e9, 1e9};
	long spans[2] = {0, 0};
	size_t bytes[2] = {0, 0};
	for (int r = 0; r < rounds; r++)
		for (int partial = 0; partial < 2; partial++) {
			double t0 = cpu_s();
			spans[partial] = pass(v, max, partial, &bytes[partial]);
			double t = cpu_s() - t0;
			best[partial] = t < best[partial] ? t : best[partial];
		}
	printf("whole records: %.2f us/span, texts only: %.2f us/span (%ld / %ld spans, %zu / %zu text bytes)\n",
	       best[0] * 1e6 / (double)(spans[0] ? spans[0] : 1), best[1] * 1e6 / (double)(spans[1] ? spans[1] : 1),
	       spans[0], spans[1], bytes[0], bytes[1]);
	spanview_close(v);
	sqlite3_close(db);
	return spans[0] == spans[1] && bytes[0] == bytes[1] ? 0 : 1;
}
