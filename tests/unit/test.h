/* test.h: the smallest unit-test harness: CHECK records a pass or a
 * failure with its location; test_done prints "N passed, N failed" and
 * returns the exit code. Each tests/unit/test_*.c is its own program. */
#ifndef TL_TEST_H
#define TL_TEST_H
#include <stdio.h>

static int test_passed, test_failed;

#define CHECK(cond, ...)                                                        \
	do {                                                                        \
		if (cond) {                                                             \
			test_passed++;                                                      \
		} else {                                                                \
			test_failed++;                                                      \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);              \
			printf(__VA_ARGS__);                                                \
			printf("\n");                                                       \
		}                                                                       \
	} while (0)

static inline int test_done(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
#endif
