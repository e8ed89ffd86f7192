/* fuzz_otlp_logs.c: libFuzzer harness for OTLP logs bodies on /v1/logs and
 * LogsService/Export. Byte 0 bit 0 picks protobuf (1) or OTLP/JSON (0); the
 * rest is the body: ingest_decode (pbcheck + protobuf-c, or the JSON
 * decoder), record validation, logstore_pack as the writer stores it, then
 * on a second worker-stack thread every chunk split and every entry
 * unpacked and rendered as GET /api/logs does (body and attributes through
 * query_any_json / query_attrs_json; the JSON must parse). */
#include "fuzz.h"
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "base/json.h"
#include "ingest/batch.h"
#include "query/query.h"
#include "store/logstore.h"
#include "store/record.h"

struct logs_job {
	int encoding;
	const uint8_t *body;
	size_t size;
	struct span_batch *b;
	struct reqmem mem;
	struct log_pack pack;
	int rc;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	ingest_init();
}

static _Noreturn void fail(const char *what, size_t rec)
{
	fprintf(stderr, "fuzz: stored log record %zu: %s\n", rec, what);
	abort();
}

static void decode_and_pack(void *p)
{
	struct logs_job *j = p;
	char err[512];
	j->rc = ingest_decode(INGEST_LOGS, j->encoding, NULL, j->body, j->size, j->b, &j->mem, err, sizeof err);
	if (j->rc == ERR_OK && j->b->nlogs)
		j->rc = logstore_pack(j->b, &j->pack, err, sizeof err);
}

/* Prints v as the API does; the text must parse back. */
static void check_json(cJSON *v, size_t rec)
{
	char *text = json_print(v, NULL);
	cJSON *back = cJSON_Parse(text);
	if (!back)
		fail("renders to JSON that does not parse", rec);
	cJSON_Delete(back);
	cJSON_free(text);
	cJSON_Delete(v);
}

static void read_back(void *p)
{
	const struct logs_job *j = p;
	struct arena *a = arena_new();
	for (size_t c = 0; c < j->pack.nchunks; c++) {
		const struct log_chunk *ch = &j->pack.chunks[c];
		const uint8_t **entries;
		size_t *lens, n = 0;
		if (record_chunk_split(ch->data, ch->len, a, &n, &entries, &lens) || n != ch->count)
			fail("its chunk does not split into the entries packed", ch->first);
		for (size_t k = 0; k < n; k++) {
			const Tl__ResourceLogs *rl = logstore_entry_unpack(entries[k], lens[k], a);
			if (!rl || rl->n_scope_logs != 1 || rl->scope_logs[0]->n_log_records != 1)
				fail("entry does not unpack to one record", ch->first + k);
			const Tl__LogRecord *lr = rl->scope_logs[0]->log_records[0];
			check_json(query_any_json(lr->body), ch->first + k);
			check_json(query_attrs_json(lr->attributes, lr->n_attributes), ch->first + k);
			if (rl->resource)
				check_json(query_attrs_json(rl->resource->attributes, rl->resource->n_attributes), ch->first + k);
		}
	}
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	pthread_once(&once, init);
	struct logs_job j = {.encoding = data[0] & 1 ? INGEST_PROTOBUF : INGEST_JSON, .body = data + 1,
	                     .size = size - 1, .b = span_batch_new(NULL)};
	fuzz_on_worker_stack(decode_and_pack, &j);
	if (j.rc == ERR_OK && j.b->nlogs)
		fuzz_on_worker_stack(read_back, &j);
	span_batch_free(j.b);
	reqmem_release(&j.mem);
	return 0;
}
