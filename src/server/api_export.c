/* api_export.c: GET /api/export/traces and /api/export/spans: every trace
 * the trace list's filters (and q) select, or their spans, as JSON lines,
 * CSV or OTLP/JSON lines, streamed in chunks while the list is read page
 * by page (EXPORT_PAGE traces, one read transaction each), so memory stays
 * flat whatever the size of the export. CSV cells follow RFC 4180 and are
 * defused against formula injection (docs/api.md#export). */
#include "server/api_export.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/text.h"
#include "base/utf8.h"
#include "query/query.h"
#include "query/search.h"
#include "server/args.h"
#include "server/http.h"
#include "store/spanview.h"

#define EXPORT_PAGE 200            /* traces read per page of the list */
#define FLUSH_AT (64u << 10)       /* bytes buffered before a chunk is sent */

enum format { FMT_JSONL, FMT_CSV, FMT_OTLP };

/* The answer being streamed; failed once the client is gone. */
struct out {
	struct mg_connection *c;
	char *buf;
	size_t len;
	int failed;
};

static void out_flush(struct out *o)
{
	if (o->len && !o->failed && mg_send_chunk(o->c, o->buf, (unsigned)o->len) < 0)
		o->failed = 1;
	o->len = 0;
}

static void out_put(struct out *o, const void *p, size_t n)
{
	if (o->len + n > FLUSH_AT)
		out_flush(o);
	if (n > FLUSH_AT) {
		if (!o->failed && mg_send_chunk(o->c, p, (unsigned)n) < 0)
			o->failed = 1;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

/* ---------- CSV ---------- */

/* A text cell: always quoted, quotes doubled (RFC 4180), invalid UTF-8
 * repaired, and a leading = + - @ tab or CR (a spreadsheet formula) made
 * text by a ' in front. */
static void csv_text(struct out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *fixed = NULL;
	if (s && utf8_valid_len(s, n) != n) {
		fixed = malloc(3 * n + 1);
		if (!fixed)
			abort();
		n = utf8_repair(s, n, fixed);
		s = fixed;
	}
	out_put(o, "\"", 1);
	if (n && strchr("=+-@\t\r", s[0]))
		out_put(o, "'", 1);
	for (size_t i = 0, from = 0; i <= n; i++) {
		if (i == n || s[i] == '"') {
			out_put(o, s + from, i - from);
			if (i < n)
				out_put(o, "\"\"", 2);
			from = i + 1;
		}
	}
	out_put(o, "\"", 1);
	free(fixed);
}

/* One cell from a JSON value: numbers as they are, strings and JSON text
 * (objects, arrays other than of strings) as text cells, arrays of
 * strings joined with ",", null empty. */
static void csv_cell(struct out *o, const cJSON *v)
{
	char num[JSON_DOUBLE_MAX];
	if (!v || cJSON_IsNull(v))
		return;
	if (cJSON_IsRaw(v)) {
		out_str(o, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		/* counts are doubles in cJSON: integral ones print as integers */
		double d = v->valuedouble;
		if (d > -9e15 && d < 9e15 && d == (double)(int64_t)d)
			json_i64_fmt(num, (int64_t)d);
		else
			json_double_fmt(num, d);
		out_str(o, num);
	} else if (cJSON_IsBool(v)) {
		out_str(o, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsString(v)) {
		csv_text(o, v->valuestring);
	} else {
		int strings = cJSON_IsArray(v);
		for (const cJSON *e = v->child; e && strings; e = e->next)
			strings = cJSON_IsString(e);
		if (strings) {
			struct jbuf b;
			jbuf_init(&b, JBUF_NO_CAP);
			for (const cJSON *e = v->child; e; e = e->next) {
				if (e != v->child)
					jbuf_putc(&b, ',');
				jbuf_put(&b, e->valuestring, strlen(e->valuestring));
			}
			char *text = jbuf_finish(&b, NULL);
			csv_text(o, text);
			free(text);
		} else {
			char *text = json_print(v, NULL);
			csv_text(o, text);
			cJSON_free(text);
		}
	}
}

/* A CSV column: the header and where its value is in the API's object. */
struct column {
	const char *header, *key, *sub;
};

static const struct column trace_cols[] = {
	{"trace_id", "trace_id", NULL}, {"project", "project", NULL}, {"name", "name", NULL},
	{"service", "service", NULL}, {"start_time", "start_time", NULL}, {"end_time", "end_time", NULL},
	{"duration_ms", "duration_ms", NULL}, {"status", "status", NULL}, {"span_count", "span_count", NULL},
	{"error_count", "error_count", NULL}, {"llm_calls", "llm_calls", NULL},
	{"input_tokens", "input_tokens", NULL}, {"output_tokens", "output_tokens", NULL},
	{"cost_usd", "cost_usd", NULL}, {"models", "models", NULL}, {"session_id", "session_id", NULL},
	{"user_id", "user_id", NULL}, {"input_preview", "input_preview", NULL},
	{"output_preview", "output_preview", NULL}, {NULL, NULL, NULL},
};

static const struct column span_cols[] = {
	{"trace_id", "trace_id", NULL}, {"span_id", "span_id", NULL}, {"parent_span_id", "parent_span_id", NULL},
	{"name", "name", NULL}, {"kind", "kind_name", NULL}, {"type", "type", NULL}, {"service", "service", NULL},
	{"start_time", "start_time", NULL}, {"end_time", "end_time", NULL}, {"duration_ms", "duration_ms", NULL},
	{"status_code", "status", "code"}, {"status_message", "status", "message"}, {"model", "model", NULL},
	{"provider", "provider", NULL}, {"input_tokens", "input_tokens", NULL},
	{"output_tokens", "output_tokens", NULL}, {"cache_read_tokens", "cache_read_tokens", NULL},
	{"cache_write_tokens", "cache_write_tokens", NULL}, {"cost_usd", "cost_usd", NULL},
	{"session_id", "session_id", NULL}, {"user_id", "user_id", NULL}, {"input", "input", NULL},
	{"output", "output", NULL}, {"attributes", "attributes", NULL}, {"resource", "resource", "attributes"},
	{NULL, NULL, NULL},
};

static void csv_header(struct out *o, const struct column *cols)
{
	for (int i = 0; cols[i].header; i++) {
		if (i)
			out_put(o, ",", 1);
		out_str(o, cols[i].header);
	}
	out_put(o, "\r\n", 2);
}

static void csv_row(struct out *o, const struct column *cols, const cJSON *item)
{
	for (int i = 0; cols[i].header; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, cols[i].key);
		if (cols[i].sub)
			v = cJSON_GetObjectItemCaseSensitive(v, cols[i].sub);
		if (i)
			out_put(o, ",", 1);
		csv_cell(o, v);
	}
	out_put(o, "\r\n", 2);
}

/* ---------- one export ---------- */

struct export {
	struct out o;
	sqlite3 *db;
	enum format fmt;
	int spans;                 /* /api/export/spans */
	struct spanview *view;     /* spans: kept across traces (chunks shared) */
};

static void json_line(struct out *o, const cJSON *v)
{
	size_t len;
	char *text = json_print(v, &len);
	out_put(o, text, len);
	out_put(o, "\n", 1);
	cJSON_free(text);
}

static int emit_span(void *ctx, cJSON *span)
{
	struct export *e = ctx;
	if (e->fmt == FMT_CSV)
		csv_row(&e->o, span_cols, span);
	else
		json_line(&e->o, span);
	cJSON_Delete(span);
	return e->o.failed ? ERR_BAD_INPUT : ERR_OK;
}

/* One trace of the list (item): its line or row, its spans, or its OTLP
 * request(s), one per QUERY_TRACE_MAX_SPANS spans. */
static int emit_trace(struct export *e, const cJSON *item)
{
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(item, "trace_id");
	uint8_t id[16];
	if (!cJSON_IsString(tid) || id_from_hex(tid->valuestring, id, 16))
		return ERR_STORE;
	if (e->fmt == FMT_OTLP) {
		struct span_page p = {0, QUERY_TRACE_MAX_SPANS};
		for (long long next = 0; next >= 0 && !e->o.failed; p.offset = next) {
			char *json = NULL;
			size_t len = 0;
			int rc = query_trace_otlp(e->db, id, p, &json, &len, &next);
			if (rc == ERR_OK) {
				out_put(&e->o, json, len);
				out_put(&e->o, "\n", 1);
			}
			free(json);
			if (rc == ERR_NOT_FOUND)
				break; /* no readable span left: logged, nothing to send */
			if (rc)
				return rc;
		}
		return ERR_OK;
	}
	if (e->spans)
		return query_trace_each_span(e->view, id, emit_span, e);
	if (e->fmt == FMT_CSV)
		csv_row(&e->o, trace_cols, item);
	else
		json_line(&e->o, item);
	return ERR_OK;
}

static void export_run(struct mg_connection *c, struct app *app, int spans)
{
	struct filter_args a;
	struct export e;
	char format[16], disp[160], stamp[TEXT_ISO_MS_SIZE], err[256];
	const char *fmt;
	struct arena *ar = arena_new();
	struct searchq q;
	int rc = ERR_OK, started = 0;
	memset(&e, 0, sizeof e);
	e.o.c = c;
	e.spans = spans;
	sqlite3 *db = e.db = api_reader(c, app);
	if (!db || api_filter_args(c, db, &a) || api_attr_filters(c, &a) || api_trace_cursor(c, &a.f) ||
	    api_opt_param(c, "format", format, sizeof format, &fmt))
		goto out;
	e.fmt = !fmt || !strcmp(fmt, "jsonl") ? FMT_JSONL : !strcmp(fmt, "csv") ? FMT_CSV : !strcmp(fmt, "otlp") ? FMT_OTLP : -1;
	if ((int)e.fmt < 0) {
		http_send_error(c, 400, "format: expected jsonl, csv or otlp");
		goto out;
	}
	if (a.f.q) {
		struct searchq_tok *tok = search_thread_tok(db);
		if (!tok) {
			http_send_error(c, 503, "full-text search is unavailable (SQLite without FTS5)");
			goto out;
		}
		if (searchq_parse(tok, a.f.q, ar, &q, err, sizeof err)) {
			http_send_error(c, 400, "q: %s", err);
			goto out;
		}
	}
	if (spans && spanview_open(db, &e.view)) {
		http_send_error(c, 503, "export failed, retry later");
		goto out;
	}
	a.f.limit = EXPORT_PAGE;
	e.o.buf = malloc(FLUSH_AT);
	if (!e.o.buf)
		abort();
	while (!e.o.failed) {
		cJSON *page = NULL;
		rc = a.f.q ? search_traces(db, app->cfg->data, &a.f, &q, &page) : query_traces(db, &a.f, &page);
		if (rc)
			break;
		if (!started) {
			/* headers only once the first page is read: a failure before
			 * it is still a proper error answer */
			static const char *const ext[] = {"jsonl", "csv", "jsonl"};
			static const char *const type[] = {"application/x-ndjson", "text/csv; charset=utf-8",
			                                   "application/x-ndjson"};
			text_format_iso_ms(text_now_ns(), stamp);
			stamp[19] = 0; /* to the second */
			for (char *p = stamp; *p; p++)
				if (*p == ':' || *p == '-')
					memmove(p, p + 1, strlen(p));
			snprintf(disp, sizeof disp, "Content-Disposition: attachment; filename=\"tracelite-%s%s-%sZ.%s\"\r\n",
			         spans ? "spans" : "traces", e.fmt == FMT_OTLP ? "-otlp" : "", stamp, ext[e.fmt]);
			http_stream_begin(c, type[e.fmt], disp);
			started = 1;
			if (e.fmt == FMT_CSV)
				csv_header(&e.o, spans ? span_cols : trace_cols);
		}
		const cJSON *item, *next = cJSON_GetObjectItemCaseSensitive(page, "next_cursor");
		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(page, "items"))
			if (!rc && !e.o.failed)
				rc = emit_trace(&e, item);
		int more = !rc && cJSON_IsString(next) && !query_trace_cursor_parse(next->valuestring, &a.f);
		cJSON_Delete(page);
		if (!more)
			break;
	}
	if (!started) {
		http_reply(c, rc, NULL, "export");
		goto out;
	}
	out_flush(&e.o);
	if (rc && !e.o.failed) {
		/* headers are gone: an unterminated chunked body tells the client */
		fprintf(stderr, "tracelite: export: store read failed mid-answer; answer cut short\n");
		http_close_after_reply(c);
	} else if (!e.o.failed) {
		mg_send_chunk(c, "", 0);
	}
out:
	spanview_close(e.view);
	free(e.o.buf);
	arena_free(ar);
}

void api_export_traces(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	export_run(c, app, 0);
}

void api_export_spans(struct mg_connection *c, struct app *app, const char *tail)
{
	(void)tail;
	export_run(c, app, 1);
}
