/* test_intern.c: the string -> id map and its capped form, the writer's
 * caches: a capped map never holds more than its cap however many keys go
 * through it (it forgets them all instead), still answers for the keys it
 * holds, and an uncapped one keeps everything. */
#include "base/intern.h"
#include "test.h"
#include <stdio.h>

int main(void)
{
	char key[64];
	int64_t v;
	struct intern *cap = intern_new_capped(INTERN_MIN_BYTES), *all = intern_new();
	size_t most = 0, forgot = 0;
	int missing = -1;   /* the first key not there right after its put */
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof key, "service.name=checkout-%d", i);
		size_t before = intern_count(cap);
		intern_put(cap, key, (size_t)n, i);
		intern_put(all, key, (size_t)n, i);
		if (intern_count(cap) <= before)
			forgot++;
		if (intern_bytes(cap) > most)
			most = intern_bytes(cap);
		if (missing < 0 && !(intern_get(cap, key, (size_t)n, &v) && v == i))
			missing = i;
	}
	CHECK(missing < 0, "the key just put is there (not %d)", missing);
	CHECK(most <= INTERN_MIN_BYTES, "a capped map held %zu bytes, over its cap of %u", most, INTERN_MIN_BYTES);
	CHECK(most > INTERN_MIN_BYTES / 2, "a capped map uses its room: at most %zu bytes", most);
	CHECK(forgot > 0 && intern_count(cap) > 0 && intern_count(cap) < 100000, "forgot %zu times, holds %zu", forgot,
	      intern_count(cap));
	CHECK(intern_count(all) == 100000 && intern_bytes(all) > 4 * INTERN_MIN_BYTES, "uncapped: %zu entries, %zu bytes",
	      intern_count(all), intern_bytes(all));
	CHECK(intern_get(all, "service.name=checkout-7", 23, &v) && v == 7, "uncapped keeps the first key");
	/* overwriting a present key takes no room */
	size_t b = intern_bytes(cap), c = intern_count(cap);
	int n = snprintf(key, sizeof key, "service.name=checkout-%d", 99999);
	intern_put(cap, key, (size_t)n, -1);
	CHECK(intern_bytes(cap) == b && intern_count(cap) == c && intern_get(cap, key, (size_t)n, &v) && v == -1,
	      "overwrite in place");
	intern_clear(cap);
	CHECK(intern_count(cap) == 0 && !intern_get(cap, key, (size_t)n, &v), "cleared");
	intern_free(cap);
	intern_free(all);
	return test_done();
}
