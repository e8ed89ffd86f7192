/* fuzz_langfuse.c: libFuzzer harness for Langfuse batches
 * (POST /api/public/ingestion). The body is decoded, stored and read back
 * (fuzz_ingest); entities whose span id starts with an odd byte have a
 * "stored" version (a span with attributes, events, a parent and an error
 * status) to build on, and event ids starting with 'd' count as seen, so
 * the merge and the resend paths run too. */
#include <string.h>
#include "fuzz.h"
#include "otlp/otlp_build.h"

static Tl__Span stored;
static Tl__Status stored_status;
static Tl__Span__Event stored_event;
static Tl__Span__Event *stored_events[1] = {&stored_event};
static uint8_t stored_parent[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static struct arena *stored_arena;

static void stored_init(void)
{
	stored_arena = arena_new();
	tl__span__init(&stored);
	stored.name = (char *)"stored-name";
	stored.start_time_unix_nano = 1700000000000000000ull;
	stored.end_time_unix_nano = 1700000001000000000ull;
	stored.parent_span_id.data = stored_parent;
	stored.parent_span_id.len = 8;
	tl__status__init(&stored_status);
	stored_status.code = 2;
	stored_status.message = (char *)"stored error";
	stored.status = &stored_status;
	tl__span__event__init(&stored_event);
	stored_event.name = (char *)"ev";
	stored.events = stored_events;
	stored.n_events = 1;
	otlp_attr_str(stored_arena, &stored.attributes, &stored.n_attributes, "metadata.k", "v");
	otlp_attr_str(stored_arena, &stored.attributes, &stored.n_attributes, "langfuse.observation.usage_details",
	              "{\"input\":3,\"output\":4}");
	otlp_attr_int(stored_arena, &stored.attributes, &stored.n_attributes, "gen_ai.usage.input_tokens", 5);
}

static const Tl__Span *stored_span(void *ctx, const uint8_t span_id[8], uint8_t trace_id[16])
{
	(void)ctx;
	if (!(span_id[0] & 1))
		return NULL;
	memset(trace_id, 0x5a, 16);
	return &stored;
}

static int event_seen(void *ctx, const char *id)
{
	(void)ctx;
	return id[0] == 'd';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!stored_arena)
		stored_init();
	struct langfuse_io io = {stored_span, event_seen, NULL, NULL, NULL, 0};
	fuzz_ingest_langfuse(INGEST_LANGFUSE, INGEST_JSON, NULL, data, size, &io);
	return 0;
}
