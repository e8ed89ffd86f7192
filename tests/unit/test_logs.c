/* test_logs.c: OTLP log records: severity names and numbers both ways,
 * ingest_decode's logs route (JSON and protobuf packed by protobuf-c: every
 * field kept, time from the observed time, refused records counted with the
 * first reason), and logstore_pack's chunks read back entry by entry. */
#include "base/err.h"
#include "ingest/batch.h"
#include "ingest/ingest.h"
#include "ingest/logs_in.h"
#include "store/logstore.h"
#include "store/record.h"
#include "test.h"

static void severities(void)
{
	static const struct {
		const char *in;
		int want;   /* -1: refused */
	} cases[] = {
		{"0", 0}, {"9", 9}, {"24", 24}, {"25", -1}, {"-1", -1}, {"9x", -1}, {"", -1}, {"trace", 1}, {"DEBUG", 5},
		{"info", 9}, {"INFO3", 11}, {"Warn", 13}, {"warning", 13}, {"ERROR", 17}, {"error4", 20}, {"FATAL", 21},
		{"fatal5", -1}, {"loud", -1}, {"INFO1", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int got = -1;
		enum err rc = logs_severity_parse(cases[i].in, &got);
		CHECK(cases[i].want < 0 ? rc == ERR_BAD_INPUT : rc == ERR_OK && got == cases[i].want, "'%s': rc %d got %d",
		      cases[i].in, rc, got);
	}
	CHECK(strcmp(logs_severity_name(0), "UNSPECIFIED") == 0, "0");
	CHECK(strcmp(logs_severity_name(4), "TRACE") == 0, "4");
	CHECK(strcmp(logs_severity_name(13), "WARN") == 0, "13");
	CHECK(strcmp(logs_severity_name(24), "FATAL") == 0, "24");
	CHECK(strcmp(logs_severity_name(25), "UNSPECIFIED") == 0, "25");
}

/* Decodes body for the logs route into a new batch (caller frees). */
static struct span_batch *decode(int encoding, const void *body, size_t len, enum err *rc, char *err)
{
	struct span_batch *b = span_batch_new("proj-a");
	struct reqmem m = {0};
	*rc = ingest_decode(INGEST_LOGS, encoding, NULL, body, len, b, &m, err, 256);
	reqmem_release(&m);
	return b;
}

/* Packs b and checks every entry reads back as the record it came from. */
static void round_trip(struct span_batch *b)
{
	struct log_pack p;
	char err[256];
	CHECK(logstore_pack(b, &p, err, sizeof err) == ERR_OK, "pack: %s", err);
	size_t seen = 0;
	struct arena *a = arena_new();
	for (size_t c = 0; c < p.nchunks; c++) {
		const uint8_t **entries;
		size_t *lens, n;
		CHECK(record_chunk_split(p.chunks[c].data, p.chunks[c].len, a, &n, &entries, &lens) == ERR_OK &&
		          n == p.chunks[c].count, "chunk %zu", c);
		for (size_t k = 0; k < n; k++, seen++) {
			const Tl__ResourceLogs *rl = logstore_entry_unpack(entries[k], lens[k], a);
			const struct log_rec *l = &b->logs[p.chunks[c].first + k];
			CHECK(rl && rl->n_scope_logs == 1 && rl->scope_logs[0]->n_log_records == 1, "entry %zu", seen);
			if (!rl)
				continue;
			const Tl__LogRecord *lr = rl->scope_logs[0]->log_records[0];
			CHECK(lr->severity_number == l->otlp->severity_number &&
			          strcmp(lr->severity_text, l->otlp->severity_text) == 0 &&
			          lr->time_unix_nano == l->otlp->time_unix_nano,
			      "entry %zu fields", seen);
			CHECK(strcmp(rl->schema_url, l->resource_schema_url) == 0, "entry %zu resource schema", seen);
		}
	}
	CHECK(seen == b->nlogs, "%zu of %zu records read back", seen, b->nlogs);
	arena_free(a);
}

static void json_route(void)
{
	char err[256];
	enum err rc;
	const char *json =
	    "{\"resourceLogs\":[{\"schemaUrl\":\"https://s/1\",\"resource\":{\"attributes\":[{\"key\":\"service.name\","
	    "\"value\":{\"stringValue\":\"svc\"}}]},\"scopeLogs\":[{\"scope\":{\"name\":\"sc\"},\"logRecords\":["
	    "{\"timeUnixNano\":\"1700000000000000001\",\"severityNumber\":\"SEVERITY_NUMBER_WARN2\",\"severityText\":\"W\","
	    "\"body\":{\"stringValue\":\"b\"},\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\","
	    "\"flags\":1,\"eventName\":\"e\"},"
	    "{\"observed_time_unix_nano\":\"1700000000000000002\",\"severity_number\":3},"
	    "{\"severityNumber\":25},{\"traceId\":\"0102\"}]}]}]}";
	struct span_batch *b = decode(INGEST_JSON, json, strlen(json), &rc, err);
	CHECK(rc == ERR_OK && b->nlogs == 2, "rc %d nlogs %zu: %s", rc, b->nlogs, err);
	CHECK(b->rejected == 2, "rejected %lld", (long long)b->rejected);
	CHECK(strstr(b->reject_msg, "resourceLogs[0].scopeLogs[0].logRecords[2]: severityNumber 25 is out of range") != NULL,
	      "%s", b->reject_msg);
	if (b->nlogs == 2) {
		const struct log_rec *l = &b->logs[0];
		CHECK(l->time_ns == 1700000000000000001ull && l->severity == 14 && l->has_trace && l->has_span &&
		          l->trace_id[15] == 0x10 && l->span_id[7] == 0x08 && strcmp(l->service, "svc") == 0 &&
		          strcmp(l->project, "proj-a") == 0 && l->otlp->flags == 1 && strcmp(l->otlp->event_name, "e") == 0,
		      "first record");
		CHECK(b->logs[1].time_ns == 1700000000000000002ull && !b->logs[1].has_trace && b->logs[1].severity == 3,
		      "second record: the observed time");
		round_trip(b);
	}
	span_batch_free(b);
	const char *all_bad = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"spanId\":\"01\"}]}]}]}";
	b = decode(INGEST_JSON, all_bad, strlen(all_bad), &rc, err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "spanId must be empty or 8 bytes"), "all refused: %d %s", rc, err);
	span_batch_free(b);
	b = decode(INGEST_JSON, "{\"resourceSpans\":[]}", 20, &rc, err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "resourceLogs: missing; this is an OTLP trace export"), "%s", err);
	span_batch_free(b);
}

static void protobuf_route(void)
{
	Tl__ExportLogsServiceRequest req;
	Tl__ResourceLogs rl, *rlp = &rl;
	Tl__ScopeLogs sl, *slp = &sl;
	Tl__LogRecord recs[300], *rp[300];
	Tl__AnyValue body;
	tl__export_logs_service_request__init(&req);
	tl__resource_logs__init(&rl);
	tl__scope_logs__init(&sl);
	tl__any_value__init(&body);
	body.value_case = TL__ANY_VALUE__VALUE_STRING_VALUE;
	body.string_value = "pb body";
	for (int i = 0; i < 300; i++) {
		tl__log_record__init(&recs[i]);
		recs[i].time_unix_nano = 1000 + (uint64_t)i;
		recs[i].severity_number = i % 25;
		recs[i].severity_text = "S";
		recs[i].body = &body;
		rp[i] = &recs[i];
	}
	sl.n_log_records = 300;
	sl.log_records = rp;
	rl.n_scope_logs = 1;
	rl.scope_logs = &slp;
	req.n_resource_logs = 1;
	req.resource_logs = &rlp;
	size_t len = tl__export_logs_service_request__get_packed_size(&req);
	uint8_t *buf = malloc(len);
	tl__export_logs_service_request__pack(&req, buf);
	char err[256];
	enum err rc;
	struct span_batch *b = decode(INGEST_PROTOBUF, buf, len, &rc, err);
	CHECK(rc == ERR_OK && b->nlogs == 300 && b->rejected == 0, "rc %d nlogs %zu: %s", rc, b->nlogs, err);
	CHECK(b->nlogs && strcmp(b->logs[0].service, "unknown_service") == 0, "no service.name");
	round_trip(b);   /* two chunks: 256 + 44 */
	span_batch_free(b);
	b = decode(INGEST_PROTOBUF, buf, len - 2, &rc, err);
	CHECK(rc == ERR_BAD_INPUT && strstr(err, "invalid protobuf"), "truncated: %d %s", rc, err);
	span_batch_free(b);
	free(buf);
}

int main(void)
{
	ingest_init();
	severities();
	json_route();
	protobuf_route();
	return test_done();
}
