/* span.h: the span batch, the one shape every decoder produces and the
 * writer consumes. A batch owns an arena; every string and protobuf-c
 * message it points to lives there. Decoders build a tl ExportTraceService-
 * Request (OTLP protobuf structs, see otlp.proto) and hand it to
 * span_batch_add_request (batch.h). */
#ifndef TL_SPAN_H
#define TL_SPAN_H
#include <stddef.h>
#include <stdint.h>
#include "base/arena.h"
#include "base/ids.h"
#include "otlp/input_limits.h"
#include "otlp.pb-c.h"

struct langfuse_io;

enum span_type {
	SPAN_TYPE_SPAN = 0,
	SPAN_TYPE_LLM,
	SPAN_TYPE_TOOL,
	SPAN_TYPE_RETRIEVAL,
	SPAN_TYPE_AGENT,
	SPAN_TYPE_EMBEDDING,
	SPAN_TYPE_COUNT
};

/* Where a span's cost came from (stored in spans.cost_source). */
enum span_cost_source {
	SPAN_COST_NONE = 0,
	SPAN_COST_CLIENT = 1,        /* sent by the client: always wins */
	SPAN_COST_TABLE = 2,         /* computed from the price table */
};

struct span {
	/* identity and timing, straight from OTLP */
	uint8_t trace_id[16], span_id[8], parent_span_id[8];
	int has_parent;
	const char *name;
	int kind;                    /* OTLP SpanKind 0..5 */
	uint64_t start_ns, end_ns;
	int status_code;             /* 0 unset, 1 ok, 2 error */
	const char *status_message;  /* "" when none */
	/* from the resource and the request */
	const char *service;         /* service.name, else "unknown_service" */
	const char *project;         /* header, else openinference.project.name, else NULL */
	/* normalized by genai_normalize; NULL / 0 when absent */
	int type;                    /* enum span_type */
	const char *provider, *model, *session_id, *user_id;
	const char *input_text, *output_text;
	const char *trace_name;      /* langfuse.trace.name: names the trace (else its root span does) */
	int64_t input_tokens, output_tokens, cache_read_tokens, cache_write_tokens;
	double cost_usd;
	int has_cost;
	int cost_source;             /* enum span_cost_source; set with has_cost */
	/* the source records, kept whole in storage */
	const Tl__Span *otlp;
	const Tl__Resource *resource;             /* may be NULL */
	const Tl__InstrumentationScope *scope;    /* may be NULL */
	const char *resource_schema_url, *scope_schema_url;   /* "" when none */
	/* A newer version of a span that may be stored already (Langfuse
	 * entities updated by id): it supersedes the stored row instead of
	 * being skipped as a retry (writer.c). */
	int replace;
};

struct score {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	int has_span;
	int no_trace;                /* a session's score: trace_id unused (stored as the empty blob) */
	const char *session_id;      /* NULL when none (schema/013) */
	const char *id;              /* client id or NULL (a UUID is generated) */
	const char *name;
	double value;
	int has_value;
	const char *string_value;    /* NULL when none */
	const char *score_type;      /* "numeric", "categorical", "boolean" */
	const char *comment, *source;
	uint64_t time_ns;            /* 0 = now */
	const char *project;
};

/* One OTLP log record (ingest/logs_in.h); stored by store/logstore.c. */
struct log_rec {
	uint64_t time_ns;            /* time_unix_nano, else observed time, else receipt */
	int severity;                /* OTLP SeverityNumber 0..24 (0 unspecified) */
	const char *service;         /* service.name, else "unknown_service" */
	const char *project;         /* as a span's: header, else openinference.project.name */
	uint8_t trace_id[16], span_id[8];
	int has_trace, has_span;
	/* the source record, kept whole in storage with its resource and scope */
	const Tl__LogRecord *otlp;
	const Tl__Resource *resource;             /* may be NULL */
	const Tl__InstrumentationScope *scope;    /* may be NULL */
	const char *resource_schema_url, *scope_schema_url;   /* "" when none */
};

struct span_batch {
	struct arena *arena;
	struct span *spans;
	size_t nspans, cap;
	struct score *scores;
	size_t nscores, score_cap;
	const char *project_header;  /* X-Project-ID or NULL */
	int native;                  /* decoded from a native JSON shape, not OTLP */
	struct langfuse_io *langfuse; /* Langfuse batches: the decoder's questions and answers (native.h) */
	int64_t rejected;            /* spans refused (partial success) */
	char reject_msg[256];        /* why the first one was refused */
	int64_t metric_points;       /* data points of a metrics export (INGEST_METRICS; not stored) */
	struct log_rec *logs;        /* log records of a logs export (INGEST_LOGS); rejected counts refused ones */
	size_t nlogs, log_cap;
};

/* Returns the lowercase name of a span type ("llm", ...). */
const char *span_type_name(int type);
/* Returns the span type for a name, or -1. */
int span_type_from_name(const char *name);

#endif
