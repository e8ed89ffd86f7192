/* test.h: the smallest unit-test harness: CHECK records a pass or a
 * failure with its location; test_done prints "N passed, N failed" and
 * returns the exit code. Each tests/unit/test_*.c is its own program. */
#ifndef TL_TEST_H
#define TL_TEST_H
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>
#include <stdint.h>

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

struct test_job {
	void (*fn)(void *);
	void *arg;
};

static inline void *test_worker_start(void *p)
{
	struct test_job *job = p;
	job->fn(job->arg);
	free(job);
	return NULL;
}

/* Returns the malloc'd contents of path (caller frees) and its length in
 * *len, or NULL if it cannot be opened. */
static inline char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	if (!f)
		return NULL;
	do {
		if (n == cap) {
			buf = realloc(buf, cap = cap ? cap * 2 : 4096);
			if (!buf)
				abort();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

/* Returns 1 if the bytes of b spell hex (lowercase). */
static inline int test_hex_is(ProtobufCBinaryData b, const char *hex)
{
	char buf[128] = "";
	if (b.len * 2 >= sizeof buf)
		return 0;
	for (size_t i = 0; i < b.len; i++)
		snprintf(buf + 2 * i, 3, "%02x", b.data[i]);
	return strcmp(buf, hex) == 0;
}

/* civetweb 1.15 runs handlers on threads with this stack (it calls
 * pthread_attr_setstacksize(0x19000)); code that runs in a handler is
 * tested on one like it, since the 8 MB main thread hides overflows. */
#define TEST_WORKER_STACK 0x19000

/* Runs fn(arg) on a new thread with a TEST_WORKER_STACK stack and waits. */
static inline void test_on_worker_stack(void (*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	struct test_job *job = malloc(sizeof *job);
	if (!job)
		abort();
	job->fn = fn;
	job->arg = arg;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, TEST_WORKER_STACK);
	if (pthread_create(&t, &attr, test_worker_start, job))
		abort();
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
}

/* The integer in the first column of sql's first row, or -1 if it fails. */
static inline int64_t test_sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static inline int test_done(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
#endif
