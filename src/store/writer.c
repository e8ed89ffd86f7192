/* writer.c: the single writer thread. Submitters compress their batch
 * (record_pack) and queue it; the thread drains everything queued into one
 * transaction (group commit): span rows, chunks, shared blobs, interned
 * strings, projects, trace summaries, scores and log records (logstore.c);
 * then it wakes the submitters with the outcome. Nothing is answered before its commit
 * is durable: the commit's WAL sync runs on a thread of its own (sync_main), so
 * the writer goes on with the next transaction meanwhile.
 * Chunk ids and the traces/scores seq it hands out are the change sequence
 * replication reads (schema/004_changes.sql). The attribute index rows come
 * prepared by the submitter (attrindex_prepare). */
#include "store/writer.h"
#include <assert.h>
#include <errno.h>
#include "base/mbed.h"
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "base/counters.h"
#include "base/err.h"
#include "base/text.h"
#include "base/intern.h"
#include "base/log.h"
#include "store/attrindex.h"
#include "base/json.h"
#include "store/logstore.h"
#include "store/preview.h"
#include "store/record.h"
#include "store/rollup.h"
#include "store/spanids.h"
#include "store/spanrows.h"
#include "store/spanrow.h"
#include "store/store.h"
#include "store/tracesum.h"
#include "store/walbuf.h"
#include "store/zdict.h"

/* bytes each of the strings, projects and blobs caches holds at most (a
 * full one is forgotten; a miss costs a lookup); they were bounded by
 * entries (100,000 each), up to 8 MiB of slots each */
#define CACHE_BYTES (1u << 20)
_Static_assert(3 * CACHE_BYTES + 4 * ATTRINDEX_CACHE_BYTES <= WRITER_CACHE_BYTES_MAX, "the caches fit the documented bound");

struct job {
	struct span_batch *batch;    /* NULL for a task */
	writer_task_fn task;
	void *arg;
	int flags;
	struct attrindex_prep *attrs; /* per span (as batch->spans): its attribute-index pairs */
	struct record_batch rec;
	struct log_pack logs;        /* the batch's log records (logstore.h) */
	size_t bytes;
	int rc, done;
	pthread_cond_t wake;         /* signalled once done is set (under the writer's lock) */
	char err[320];
	struct job *next;
};

enum stmt {
	ST_CHUNK, ST_BLOB_GET, ST_BLOB_PUT, ST_STR_GET, ST_STR_PUT,
	ST_PEOPLE_GET, ST_PEOPLE_PUT, ST_PROJ_BY_ID, ST_PROJ_BY_NAME, ST_PROJ_PUT, ST_TRACE_GET, ST_TRACE_NEXT, ST_TRACE_NEW, ST_TRACE_SET, ST_PREVIEW_PUT, ST_PREVIEW_DEL, ST_SCORE,
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_CHUNK] = "INSERT INTO chunks (id, data) VALUES (?, ?)",
	[ST_BLOB_GET] = "SELECT id FROM blobs WHERE hash = ?",
	[ST_BLOB_PUT] = "INSERT INTO blobs (hash, data) VALUES (?, ?)",
	[ST_STR_GET] = "SELECT id FROM strings WHERE value = ?",
	[ST_STR_PUT] = "INSERT INTO strings (value) VALUES (?)",
	[ST_PEOPLE_GET] = "SELECT id FROM people WHERE value = ?",   /* schema/025 */
	[ST_PEOPLE_PUT] = "INSERT INTO people (value) VALUES (?)",
	[ST_PROJ_BY_ID] = "SELECT key FROM projects WHERE id = ?",
	[ST_PROJ_BY_NAME] = "SELECT key FROM projects WHERE name = ?",
	[ST_PROJ_PUT] = "INSERT INTO projects (id, name, created_ns) VALUES (?, ?, ?)",
	/* name, service and models as texts (schema/030: strings ids), for
	 * tracesum_merge to merge into; trace_save interns them again */
	[ST_TRACE_GET] = "SELECT project, start_ns, end_ns, (SELECT value FROM strings WHERE id = name_sid),"
	                 " (SELECT value FROM strings WHERE id = service_sid), root_known, span_count, error_count,"
	                 " llm_calls, input_tokens, output_tokens, cost_usd,"
	                 " (SELECT value FROM strings WHERE id = models_sid), session_sid, user_sid,"
	                 " preview_ns, key FROM traces WHERE trace_id = ?",
	/* a new trace's row goes in once, complete, when its first spans are
	 * merged (trace_save): its key is handed out before (ST_TRACE_NEXT) */
	[ST_TRACE_NEXT] = "SELECT coalesce(max(key), 0) + 1 FROM traces",
	[ST_TRACE_NEW] = "INSERT INTO traces (key, project, start_ns, end_ns, name_sid, service_sid,"
	                 " root_known, span_count, error_count, llm_calls, input_tokens, output_tokens, cost_usd, models_sid,"
	                 " session_sid, user_sid, preview_ns, seq, trace_id)"
	                 " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)",
	[ST_TRACE_SET] = "UPDATE traces SET project = ?2, start_ns = ?3, end_ns = ?4, name_sid = ?5, service_sid = ?6,"
	                 " root_known = ?7, span_count = ?8, error_count = ?9, llm_calls = ?10,"
	                 " input_tokens = ?11, output_tokens = ?12, cost_usd = ?13, models_sid = ?14,"
	                 " session_sid = ?15, user_sid = ?16, preview_ns = ?17, seq = ?18 WHERE key = ?1",
	/* the previews (schema/017), only when they changed */
	[ST_PREVIEW_PUT] = "INSERT OR REPLACE INTO trace_previews (key, body) VALUES (?1, ?2)",
	[ST_PREVIEW_DEL] = "DELETE FROM trace_previews WHERE key = ?1",
	[ST_SCORE] = "INSERT OR REPLACE INTO scores"
	             " (id, project, trace_id, span_id, name, value, string_value, score_type, comment, source,"
	             " time_ns, seq, session_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct writer {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	/* strings also caches people ids (schema/025) under text + its NUL;
	 * emptied after every task, which may have deleted people rows */
	struct intern *strings, *projects, *blobs;
	struct rollup *rollup;
	struct attrindex *attrs;  /* attribute index (schema/007, 011) */
	struct logstore *logs;    /* logs, log_chunks (schema/010) */
	struct zdict_trainer *zt; /* the chunks' zstd dictionary (schema/014) */
	struct spanids *spanids;  /* spans by span id, merged in batches (schema/019) */
	struct spanrows *rows;    /* span rows of the chunk and trace being written (schema/033) */
	int64_t next_chunk;
	int64_t next_seq;     /* change sequence of traces and scores (schema/004) */
	int64_t next_trace;   /* key of the next new trace (read at each commit's start) */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;
	/* Jobs waiting for the writer, linked by next: head and tail are both
	 * NULL or both set. queued_bytes is the sum of bytes of the jobs waiting
	 * or being committed. All under lock. */
	struct job *head, *tail;
	size_t queued_bytes, queue_cap, queued_jobs;
	uint64_t submitted;   /* span batches submitted so far (writer_submitted) */
	int stopping, healthy;
	/* The WAL sync of commits (walbuf_defer_commit_syncs): wal_fd is the
	 * WAL to fdatasync, -1 when each commit syncs itself (no sync thread).
	 * unsynced lists the committed jobs waiting for a sync, in commit
	 * order; a failed sync is final (sync_failed, why in sync_err): the
	 * WAL may have lost frames that later commits chain on. Under lock. */
	int wal_fd;
	pthread_t syncer;
	pthread_cond_t sync_work;
	struct job *unsynced, **unsynced_tail;
	int sync_stopping, sync_failed;
	char sync_err[200];
	char errbuf[256];
	int full;             /* the last failure was SQLITE_FULL (writer thread only) */
	char disk_low[256];   /* writer_set_disk_low's message, "" = not low; under lock */
	unsigned char preview_body[PREVIEW_BODY_MAX];   /* trace_save's packed previews */
	size_t cache_bytes;   /* what the writer's caches held after its last commit; under lock */
	/* write_chunk's trace summaries (writer thread only): as _Thread_local
	 * they put 12 KB into the static TLS of every thread, 256 HTTP
	 * workers included (3 MB of RSS) */
	struct tracesum chunk_sum, chunk_before;
};

/* "disk full" for SQLITE_FULL (SQLite says "database or disk is full"),
 * else SQLite's message; records which in w->full. */
static void note_error(struct writer *w)
{
	w->full = sqlite3_errcode(w->db) == SQLITE_FULL;
	if (w->full)
		snprintf(w->errbuf, sizeof w->errbuf, "disk full: the data directory's filesystem has no space left");
	else
		snprintf(w->errbuf, sizeof w->errbuf, "sqlite: %s", sqlite3_errmsg(w->db));
}

/* Rolls back the open transaction, if any: after SQLITE_FULL SQLite may
 * have rolled back already, and ROLLBACK would then fail with "cannot
 * rollback - no transaction is active", hiding the real error. */
static void rollback(struct writer *w)
{
	if (!sqlite3_get_autocommit(w->db)) {
		sqlite3_step(w->st[ST_ROLLBACK]);
		sqlite3_reset(w->st[ST_ROLLBACK]);
	}
}

static enum err failure(const struct writer *w)
{
	return w->full ? ERR_FULL : ERR_STORE;
}

static int step_done(struct writer *w, enum stmt s)
{
	int rc = sqlite3_step(w->st[s]);
	sqlite3_reset(w->st[s]);
	sqlite3_clear_bindings(w->st[s]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		note_error(w);
		return ERR_STORE;
	}
	return ERR_OK;
}

/* Runs a one-column lookup statement; returns 1 and *id when a row came. */
static int lookup(struct writer *w, enum stmt s, int64_t *id)
{
	int found = 0;
	if (sqlite3_step(w->st[s]) == SQLITE_ROW) {
		*id = sqlite3_column_int64(w->st[s], 0);
		found = 1;
	}
	sqlite3_reset(w->st[s]);
	sqlite3_clear_bindings(w->st[s]);
	return found;
}

static int string_id(struct writer *w, const char *value, int64_t *id)
{
	size_t len = strlen(value);
	if (intern_get(w->strings, value, len, id))
		return ERR_OK;
	sqlite3_bind_text(w->st[ST_STR_GET], 1, value, (int)len, SQLITE_STATIC);
	if (!lookup(w, ST_STR_GET, id)) {
		sqlite3_bind_text(w->st[ST_STR_PUT], 1, value, (int)len, SQLITE_STATIC);
		if (step_done(w, ST_STR_PUT))
			return ERR_STORE;
		*id = sqlite3_last_insert_rowid(w->db);
	}
	intern_put(w->strings, value, len, *id);
	return ERR_OK;
}

static enum err intern_string(void *w, const char *value, int64_t *id)
{
	return string_id(w, value, id);
}

static int blob_id(struct writer *w, const struct record_blob *b, int64_t *id)
{
	if (intern_get(w->blobs, b->hash, sizeof b->hash, id))
		return ERR_OK;
	sqlite3_bind_blob(w->st[ST_BLOB_GET], 1, b->hash, sizeof b->hash, SQLITE_STATIC);
	if (!lookup(w, ST_BLOB_GET, id)) {
		sqlite3_bind_blob(w->st[ST_BLOB_PUT], 1, b->hash, sizeof b->hash, SQLITE_STATIC);
		sqlite3_bind_blob(w->st[ST_BLOB_PUT], 2, b->data, (int)b->len, SQLITE_STATIC);
		if (step_done(w, ST_BLOB_PUT))
			return ERR_STORE;
		*id = sqlite3_last_insert_rowid(w->db);
	}
	intern_put(w->blobs, b->hash, sizeof b->hash, *id);
	return ERR_OK;
}

static void uuid_v4(char out[TEXT_UUID_SIZE])
{
	uint8_t r[16];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		abort();
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	text_uuid_format(r, out);
}

/* Resolves a project given as UUID or name (NULL = default), creating it. */
static int project_key(struct writer *w, const char *project, int64_t *key)
{
	if (!project || !*project) {
		*key = 1;
		return ERR_OK;
	}
	size_t len = strlen(project);
	if (intern_get(w->projects, project, len, key))
		return ERR_OK;
	uint8_t bytes[16];
	int uuid = text_uuid_parse(project, bytes) == ERR_OK;
	char lower[TEXT_UUID_SIZE];
	if (uuid)
		text_uuid_format(bytes, lower);
	const char *ident = uuid ? lower : project;
	enum stmt get = uuid ? ST_PROJ_BY_ID : ST_PROJ_BY_NAME;
	sqlite3_bind_text(w->st[get], 1, ident, -1, SQLITE_STATIC);
	if (!lookup(w, get, key)) {
		char fresh[TEXT_UUID_SIZE];
		if (!uuid)
			uuid_v4(fresh);
		sqlite3_bind_text(w->st[ST_PROJ_PUT], 1, uuid ? lower : fresh, -1, SQLITE_STATIC);
		sqlite3_bind_text(w->st[ST_PROJ_PUT], 2, ident, -1, SQLITE_STATIC);
		sqlite3_bind_int64(w->st[ST_PROJ_PUT], 3, (int64_t)text_now_ns());
		if (step_done(w, ST_PROJ_PUT))
			return ERR_STORE;
		*key = sqlite3_last_insert_rowid(w->db);
	}
	intern_put(w->projects, project, len, *key);
	return ERR_OK;
}

static enum err intern_project(void *w, const char *project, int64_t *key)
{
	return project_key(w, project, key);
}

static void col_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	tracesum_clip(dst, t ? (const char *)t : "", size - 1);
}

/* Loads the summary of trace_id into t and its key into *key; a trace seen
 * for the first time (t->exists = 0) gets the next key, for its spans to
 * refer to; its row is inserted by trace_save. */
static int trace_load(struct writer *w, const uint8_t *trace_id, struct tracesum *t, int64_t *key)
{
	sqlite3_stmt *st = w->st[ST_TRACE_GET];
	t->exists = 0;
	sqlite3_bind_blob(st, 1, trace_id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		memset(t, 0, sizeof *t);
		t->exists = 1;
		t->project = sqlite3_column_int64(st, 0);
		t->start_ns = (uint64_t)sqlite3_column_int64(st, 1);
		t->end_ns = (uint64_t)sqlite3_column_int64(st, 2);
		col_text(st, 3, t->name, sizeof t->name);
		col_text(st, 4, t->service, sizeof t->service);
		t->root_known = sqlite3_column_int(st, 5);
		t->span_count = sqlite3_column_int64(st, 6);
		t->error_count = sqlite3_column_int64(st, 7);
		t->llm_calls = sqlite3_column_int64(st, 8);
		t->input_tokens = sqlite3_column_int64(st, 9);
		t->output_tokens = sqlite3_column_int64(st, 10);
		t->cost_usd = sqlite3_column_double(st, 11);
		col_text(st, 12, t->models, sizeof t->models);
		/* the ids, not the texts: trace_save writes them back as they are */
		t->has_session = sqlite3_column_type(st, 13) != SQLITE_NULL;
		t->session_sid = sqlite3_column_int64(st, 13);
		t->has_user = sqlite3_column_type(st, 14) != SQLITE_NULL;
		t->user_sid = sqlite3_column_int64(st, 14);
		/* the texts stay in trace_previews: rewritten only when they change */
		t->has_preview = sqlite3_column_type(st, 15) != SQLITE_NULL;
		t->preview_key = sqlite3_column_int64(st, 15);
		*key = sqlite3_column_int64(st, 16);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!t->exists)
		*key = w->next_trace++;
	return ERR_OK;
}

static void bind_opt_text(sqlite3_stmt *st, int col, int present, const char *s)
{
	if (present)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

/* Binds a trace's session or user (schema/025): its people.id, sid if the
 * stored row named it, else that of text, added to people if new; NULL if
 * !present. Returns ERR_OK or ERR_STORE. */
static int bind_person(struct writer *w, sqlite3_stmt *st, int col, int present, int64_t sid, const char *text)
{
	if (!present) {
		sqlite3_bind_null(st, col);
		return ERR_OK;
	}
	if (!sid) {
		size_t len = strlen(text);
		/* text and its NUL: no interned string holds a NUL (strlen) */
		const char *key = text;
		if (!intern_get(w->strings, key, len + 1, &sid)) {
			sqlite3_bind_text(w->st[ST_PEOPLE_GET], 1, text, (int)len, SQLITE_STATIC);
			if (!lookup(w, ST_PEOPLE_GET, &sid)) {
				sqlite3_bind_text(w->st[ST_PEOPLE_PUT], 1, text, (int)len, SQLITE_STATIC);
				if (step_done(w, ST_PEOPLE_PUT))
					return ERR_STORE;
				sid = sqlite3_last_insert_rowid(w->db);
			}
			intern_put(w->strings, key, len + 1, sid);
		}
	}
	sqlite3_bind_int64(st, col, sid);
	return ERR_OK;
}

/* Writes summary t of trace key: inserts the row of a new trace (trace_id
 * not NULL), else updates it; then its previews if they changed. */
static int trace_save(struct writer *w, int64_t key, const uint8_t *trace_id, const struct tracesum *t)
{
	enum stmt s = trace_id ? ST_TRACE_NEW : ST_TRACE_SET;
	sqlite3_stmt *st = w->st[s];
	int64_t name, service, models;   /* strings ids (schema/030) */
	if (string_id(w, t->name, &name) || string_id(w, t->service, &service) || string_id(w, t->models, &models))
		return ERR_STORE;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, t->project);
	sqlite3_bind_int64(st, 3, (int64_t)t->start_ns);
	sqlite3_bind_int64(st, 4, (int64_t)t->end_ns);
	sqlite3_bind_int64(st, 5, name);
	sqlite3_bind_int64(st, 6, service);
	sqlite3_bind_int(st, 7, t->root_known);
	sqlite3_bind_int64(st, 8, t->span_count);
	sqlite3_bind_int64(st, 9, t->error_count);
	sqlite3_bind_int64(st, 10, t->llm_calls);
	sqlite3_bind_int64(st, 11, t->input_tokens);
	sqlite3_bind_int64(st, 12, t->output_tokens);
	sqlite3_bind_double(st, 13, t->cost_usd);
	sqlite3_bind_int64(st, 14, models);
	if (bind_person(w, st, 15, t->has_session, t->session_sid, t->session_id) ||
	    bind_person(w, st, 16, t->has_user, t->user_sid, t->user_id)) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return ERR_STORE;
	}
	if (t->has_preview)
		sqlite3_bind_int64(st, 17, t->preview_key);
	else
		sqlite3_bind_null(st, 17);
	sqlite3_bind_int64(st, 18, w->next_seq++);
	if (trace_id)
		sqlite3_bind_blob(st, 19, trace_id, 16, SQLITE_STATIC);
	if (step_done(w, s))
		return ERR_STORE;
	if (!t->preview_changed)
		return ERR_OK;
	if (!t->has_preview) {
		sqlite3_bind_int64(w->st[ST_PREVIEW_DEL], 1, key);
		return step_done(w, ST_PREVIEW_DEL);
	}
	/* a reference to the span, unless that span was superseded (span_supersede) */
	size_t n = t->preview_text ? preview_pack(zdict_trainer_current(w->zt), t->input_preview, t->output_preview,
	                                          w->preview_body)
	                           : preview_pack_ref(t->preview_span, w->preview_body);
	sqlite3_bind_int64(w->st[ST_PREVIEW_PUT], 1, key);
	sqlite3_bind_blob(w->st[ST_PREVIEW_PUT], 2, w->preview_body, (int)n, SQLITE_STATIC);
	return step_done(w, ST_PREVIEW_PUT);
}

/* Interns an optional string: 0 when absent or empty. */
static int opt_string_id(struct writer *w, const char *value, int64_t *id)
{
	*id = 0;
	return value && *value ? string_id(w, value, id) : ERR_OK;
}

/* Whether s's row stores its status message: only when there is one and
 * its record (s->otlp, stored whole in the chunk) does not hold the same
 * (genai took it from an attribute); spanview reads it back from the
 * record otherwise (schema/031). */
static int row_keeps_status_message(const struct span *s)
{
	if (!s->status_message || !*s->status_message)
		return 0;
	const Tl__Status *st = s->otlp ? s->otlp->status : NULL;
	return !st || !st->message || strcmp(st->message, s->status_message) != 0;
}

/* Adds s's row to the chunk being written; *inserted is 0 when the trace
 * has a row with its span id (a retry). New spans are added to the
 * rollups. */
static int write_span(struct writer *w, const struct span *s, int64_t trace, int64_t project,
                      int64_t resource, int64_t scope, int index, int *inserted)
{
	struct rollup_span_dims d = {.project = project, .trace = trace};
	*inserted = 0;
	if (spanrows_find(w->rows, s->span_id))
		return ERR_OK;
	if (string_id(w, s->name, &d.name) || string_id(w, s->service, &d.service) ||
	    opt_string_id(w, s->model, &d.model) || opt_string_id(w, s->provider, &d.provider))
		return ERR_STORE;
	struct spancols_row r = {
		.trace = trace, .has_parent = s->has_parent, .project = project, .name = d.name, .service = d.service,
		.flags = spanrow_flags(s->type, s->has_cost ? s->cost_source : SPAN_COST_NONE, s->kind),
		.start_ns = (int64_t)s->start_ns, .dur = spanrow_dur(s->start_ns, s->end_ns), .status = s->status_code,
		.has_model = d.model != 0, .model = d.model, .has_provider = d.provider != 0, .provider = d.provider,
		.input_tokens = s->input_tokens, .output_tokens = s->output_tokens,
		.cache_read_tokens = s->cache_read_tokens, .cache_write_tokens = s->cache_write_tokens,
		.has_cost = s->has_cost, .cost_usd = s->has_cost ? s->cost_usd : 0, .has_resource = 1,
		.resource = resource, .has_scope = 1, .scope = scope, .chunk_index = index,
	};
	memcpy(r.span_id, s->span_id, 8);
	if (s->has_parent)
		memcpy(r.parent_span_id, s->parent_span_id, 8);
	if (row_keeps_status_message(s)) {
		r.status_message = s->status_message;
		r.status_message_len = strlen(s->status_message);
	}
	spanrows_add(w->rows, &r);
	*inserted = 1;
	rollup_add_span(w->rollup, &d, s);
	spanids_note(w->spanids, 1);
	return ERR_OK;
}

/* Before child span span_id (stored as *old) of trace key is superseded:
 * if the previews of t come from it, they keep its stored version's texts
 * (as they did when the texts were stored), which no span will hold once
 * it is replaced: t->preview_text. A root's new version gives them anew
 * (tracesum_unmerge). Returns ERR_OK or ERR_STORE. */
static int preview_keep_text(struct writer *w, int64_t key, struct tracesum *t, const struct span *old,
                             const uint8_t span_id[8])
{
	struct preview p;   /* on the stack: _Thread_local would be in every thread's static TLS */
	struct preview_reader *r = NULL;
	uint8_t src[8];
	int is_src;
	enum err rc;
	if (!t->has_preview || t->preview_text || !old->has_parent || t->preview_key != (int64_t)(old->start_ns | 1))
		return ERR_OK;
	if (preview_reader_open(w->db, &r))
		return ERR_STORE;
	if (t->preview_span_known)
		is_src = memcmp(t->preview_span, span_id, 8) == 0;
	else
		is_src = preview_reader_ref(r, key, src) == 1 && memcmp(src, span_id, 8) == 0;
	rc = is_src ? preview_reader_span(r, key, span_id, &p) : ERR_OK;
	preview_reader_close(r);
	if (rc == ERR_STORE)
		return ERR_STORE;
	if (is_src && rc == ERR_OK) {
		memcpy(t->input_preview, p.input, sizeof t->input_preview);
		memcpy(t->output_preview, p.output, sizeof t->output_preview);
		t->preview_text = t->preview_changed = 1;
	}
	return ERR_OK;
}

/* A newer version of a span (s->replace): the stored row, if any, is
 * deleted and its share taken out of the rollups and of the trace summary
 * t, so the new version is inserted and merged as if it came first. Its
 * old record stays in its chunk, unreferenced. */
static int span_supersede(struct writer *w, const struct span *s, int64_t trace, struct tracesum *t)
{
	const struct spancols_row *row = spanrows_find(w->rows, s->span_id);
	struct rollup_span_dims d;
	struct span old;
	struct tracesum_old o;
	if (!row)
		return ERR_OK;
	rollup_span_of_row(row, &d, &old);
	if (t->exists && preview_keep_text(w, trace, t, &old, s->span_id))
		return ERR_STORE;
	rollup_remove_span(w->rollup, &d, &old);
	o = (struct tracesum_old){!old.has_parent, old.status_code, old.type, old.input_tokens, old.output_tokens,
	                          old.has_cost ? old.cost_usd : 0};
	if (t->exists)
		tracesum_unmerge(t, &o);
	if (spanrows_remove(w->rows, row, w->errbuf, sizeof w->errbuf))
		return ERR_STORE;
	return ERR_OK;
}

/* Saves a changed summary of trace_id and moves its rollup contribution
 * from what it was (before) to what it is (after). */
static int trace_update(struct writer *w, int64_t key, const uint8_t *trace_id, const struct tracesum *before,
                        const struct tracesum *after)
{
	int64_t service;
	if (before->exists && before->span_count > 0) {
		if (string_id(w, before->service, &service))
			return ERR_STORE;
		rollup_add_trace(w->rollup, before, service, -1);
	}
	if (string_id(w, after->service, &service))
		return ERR_STORE;
	rollup_add_trace(w->rollup, after, service, 1);
	rollup_note_trace(w->rollup, key, after);
	return trace_save(w, key, before->exists ? NULL : trace_id, after);
}

/* Writes one chunk: its new span rows, the chunk if any span was new, and
 * the summary of each trace in it (the spans of a trace are adjacent).
 * Spans already stored (retries) are skipped, unless they replace it
 * (span_supersede). */
static int write_chunk(struct writer *w, struct job *j, const struct record_chunk *c, int64_t *blob_ids)
{
	struct span_batch *b = j->batch;
	struct tracesum *sum = &w->chunk_sum, *before = &w->chunk_before;
	int64_t chunk = w->next_chunk, project = 1, key = 0;
	int any = 0, dirty = 0;
	size_t stored = 0;
	const uint8_t *trace = NULL;
	spanrows_chunk_begin(w->rows, chunk);
	for (size_t k = 0; k < c->count; k++) {
		size_t i = j->rec.order[c->first + k];
		const struct span *s = &b->spans[i];
		int inserted = 0;
		if (!trace || memcmp(trace, s->trace_id, 16) != 0) {
			if (dirty && trace_update(w, key, trace, before, sum))
				return ERR_STORE;
			trace = s->trace_id;
			if (trace_load(w, trace, sum, &key))
				return ERR_STORE;
			if (sum->exists)
				*before = *sum;
			else
				before->exists = 0;
			if (spanrows_trace(w->rows, key, sum->exists, w->errbuf, sizeof w->errbuf))
				return ERR_STORE;
			dirty = 0;
		}
		if ((s->replace && span_supersede(w, s, key, sum)) || project_key(w, s->project, &project) ||
		    write_span(w, s, key, project, blob_ids[j->rec.resource[i]], blob_ids[j->rec.scope[i]], (int)k,
		               &inserted))
			return ERR_STORE;
		if (inserted) {
			tracesum_merge(sum, s, sum->exists ? sum->project : project);
			if (sum->preview_changed && !sum->preview_text && sum->has_preview &&
			    memcmp(sum->preview_span, s->span_id, 8) == 0)   /* the list reads it soon */
				preview_note(chunk, (int64_t)k, key, s->span_id, s->input_text, s->output_text);
			any = dirty = 1;
		}
		/* every span's rows, not only new ones': a pair was prepared for
		 * the first span of the run that has it, stored or not (rows of a
		 * stored span are there already and are ignored) */
		if ((inserted || j->attrs[i].n) &&
		    attrindex_span_prepared(w->attrs, key, s, &j->attrs[i], inserted ? blob_ids[j->rec.resource[i]] : 0,
		                            intern_string, w))
			return ERR_STORE;
	}
	if (dirty && trace_update(w, key, trace, before, sum))
		return ERR_STORE;
	/* a span superseded by a later one of the chunk leaves its row out */
	if (spanrows_chunk_end(w->rows, &stored, w->errbuf, sizeof w->errbuf))
		return ERR_STORE;
	if (!any)
		return ERR_OK;
	sqlite3_bind_int64(w->st[ST_CHUNK], 1, chunk);
	sqlite3_bind_blob(w->st[ST_CHUNK], 2, c->data, (int)c->len, SQLITE_STATIC);
	if (step_done(w, ST_CHUNK))
		return ERR_STORE;
	w->next_chunk++;
	return ERR_OK;
}

/* Score ids: the client's, else a hash of the score's content, so a
 * retried request replaces rather than duplicates. */
static void score_id(const struct score *s, char out[TEXT_UUID_SIZE])
{
	if (s->id && *s->id) {
		tracesum_clip(out, s->id, 36);
		return;
	}
	mbedtls_sha256_context ctx;
	unsigned char d[32];
	char vbuf[64];
	mbedtls_sha256_init(&ctx);
	mbedtls_sha256_starts_ret(&ctx, 0);
	if (!s->no_trace)
		mbedtls_sha256_update_ret(&ctx, s->trace_id, 16);
	if (s->session_id)
		mbedtls_sha256_update_ret(&ctx, (const unsigned char *)s->session_id, strlen(s->session_id) + 1);
	if (s->has_span)
		mbedtls_sha256_update_ret(&ctx, s->span_id, 8);
	const char *parts[] = {s->name, s->string_value, s->comment, s->source, s->score_type};
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		if (parts[i])
			mbedtls_sha256_update_ret(&ctx, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
	snprintf(vbuf, sizeof vbuf, "%d:%.17g", s->has_value, s->value);
	mbedtls_sha256_update_ret(&ctx, (const unsigned char *)vbuf, strlen(vbuf));
	mbedtls_sha256_finish_ret(&ctx, d);
	mbedtls_sha256_free(&ctx);
	d[6] = (d[6] & 0x0f) | 0x50; /* shaped like a name-based UUID */
	d[8] = (d[8] & 0x3f) | 0x80;
	text_uuid_format(d, out);
}

static int write_score(struct writer *w, const struct score *s)
{
	sqlite3_stmt *st = w->st[ST_SCORE];
	int64_t project;
	char id[TEXT_UUID_SIZE];
	if (project_key(w, s->project, &project))
		return ERR_STORE;
	score_id(s, id);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, project);
	if (s->no_trace)
		sqlite3_bind_zeroblob(st, 3, 0);   /* a session's score: no trace matches it */
	else
		sqlite3_bind_blob(st, 3, s->trace_id, 16, SQLITE_STATIC);
	if (s->has_span)
		sqlite3_bind_blob(st, 4, s->span_id, 8, SQLITE_STATIC);
	if (s->has_value)
		sqlite3_bind_double(st, 6, s->value);
	sqlite3_bind_text(st, 5, s->name, -1, SQLITE_STATIC);
	bind_opt_text(st, 7, s->string_value != NULL, s->string_value);
	sqlite3_bind_text(st, 8, s->score_type ? s->score_type : "numeric", -1, SQLITE_STATIC);
	bind_opt_text(st, 9, s->comment != NULL, s->comment);
	bind_opt_text(st, 10, s->source != NULL, s->source);
	sqlite3_bind_int64(st, 11, (int64_t)(s->time_ns ? s->time_ns : text_now_ns()));
	sqlite3_bind_int64(st, 12, w->next_seq++);
	bind_opt_text(st, 13, s->session_id != NULL, s->session_id);
	return step_done(w, ST_SCORE);
}

static int write_job(struct writer *w, struct job *j)
{
	size_t nb = j->rec.nblobs;
	int64_t *blob_ids = malloc((nb ? nb : 1) * sizeof *blob_ids);
	int rc = ERR_OK;
	if (!blob_ids)
		abort();
	for (size_t i = 0; i < nb && !rc; i++)
		rc = blob_id(w, &j->rec.blobs[i], &blob_ids[i]);
	for (size_t c = 0; c < j->rec.nchunks && !rc; c++)
		rc = write_chunk(w, j, &j->rec.chunks[c], blob_ids);
	if (!rc)
		rc = attrindex_flush(w->attrs); /* the last trace's pair set (schema/015) */
	for (size_t s = 0; s < j->batch->nscores && !rc; s++)
		rc = write_score(w, &j->batch->scores[s]);
	if (!rc && j->logs.nchunks && (rc = logstore_write(w->logs, j->batch, &j->logs, intern_string, intern_project, w)))
		note_error(w);   /* SQLite keeps the failed step's error through its reset */
	free(blob_ids);
	return rc;
}

int64_t writer_task_seq(struct writer *w)
{
	assert(w);
	return w->next_seq++;
}

struct rollup *writer_task_rollup(struct writer *w)
{
	assert(w);
	return w->rollup;
}

/* The next chunk id and change sequence number (after start or rollback). */
static void load_next_ids(struct writer *w)
{
	sqlite3_stmt *st;
	w->next_chunk = w->next_seq = 1;
	if (sqlite3_prepare_v2(w->db,
	                       "SELECT (SELECT coalesce(max(id), 0) + 1 FROM chunks),"
	                       " max((SELECT coalesce(max(seq), 0) FROM traces), (SELECT coalesce(max(seq), 0) FROM scores)) + 1",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		w->next_chunk = sqlite3_column_int64(st, 0);
		w->next_seq = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static void caches_reset(struct writer *w)
{
	intern_clear(w->strings);
	intern_clear(w->projects);
	intern_clear(w->blobs);
	attrindex_reset(w->attrs);
}

/* One transaction for every job in the list; returns its outcome. */
static int commit_jobs(struct writer *w, struct job *list)
{
	w->full = 0;
	spanrows_reset(w->rows);   /* chunks another transaction may have changed */
	int rc = step_done(w, ST_BEGIN);
	if (!rc && !lookup(w, ST_TRACE_NEXT, &w->next_trace)) {
		note_error(w);
		rc = ERR_STORE;
	}
	for (struct job *j = list; j && !rc; j = j->next)
		rc = write_job(w, j);
	if (!rc && (rc = spanids_flush(w->spanids)))
		note_error(w);
	if (!rc && (rc = rollup_flush(w->rollup, w->errbuf, sizeof w->errbuf)) &&
	    sqlite3_errcode(w->db) == SQLITE_FULL)
		note_error(w);
	if (!rc)
		rc = step_done(w, ST_COMMIT);
	if (rc) {
		rc = failure(w);
		rollback(w);
		rollup_discard(w->rollup);
		caches_reset(w); /* ids cached during the rolled-back transaction are gone */
		preview_notes_forget();   /* and the chunk ids and trace keys it noted texts for */
		spanids_reload(w->spanids);   /* on failure it keeps its counts: a merge comes early */
		load_next_ids(w);
	}
	return rc;
}

/* Transaction sizes: requests and spans per commit. */
static const double batch_requests[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
static const double batch_spans[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

static void declare_counters(void)
{
	counters_declare("tracelite_writer_commit_seconds", COUNTERS_HISTOGRAM,
	                 "Time of one writer transaction (group commit), from BEGIN to COMMIT", NULL, 0);
	counters_declare("tracelite_writer_wal_sync_seconds", COUNTERS_HISTOGRAM,
	                 "Time of one fdatasync of the WAL on the sync thread, which makes every commit before it durable",
	                 NULL, 0);
	counters_declare("tracelite_writer_batch_requests", COUNTERS_HISTOGRAM, "Requests committed per transaction",
	                 batch_requests, sizeof batch_requests / sizeof *batch_requests);
	counters_declare("tracelite_writer_batch_spans", COUNTERS_HISTOGRAM, "Spans committed per transaction",
	                 batch_spans, sizeof batch_spans / sizeof *batch_spans);
	counters_declare("tracelite_writer_commits_total", COUNTERS_COUNTER, "Writer transactions by outcome", NULL, 0);
	counters_add("tracelite_writer_commits_total", 0, "outcome", "ok", NULL);
	counters_add("tracelite_writer_commits_total", 0, "outcome", "failed", NULL);
	counters_declare("tracelite_log_records_duplicate_total", COUNTERS_COUNTER,
	                 "Log records not stored again: an identical record (a retried export) was already stored", NULL,
	                 0);
	counters_add("tracelite_log_records_duplicate_total", 0, NULL);
}

static void count_commit(const struct job *list, int rc, uint64_t ns)
{
	size_t jobs = 0, spans = 0, duplicate_logs = 0;
	for (const struct job *j = list; j; j = j->next) {
		jobs++;
		spans += j->batch->nspans;
		duplicate_logs += j->logs.duplicates;
	}
	if (!rc)
		counters_add("tracelite_log_records_duplicate_total", duplicate_logs, NULL);
	counters_add("tracelite_writer_commits_total", 1, "outcome", rc ? "failed" : "ok", NULL);
	counters_observe("tracelite_writer_commit_seconds", (double)ns / 1e9, NULL);
	counters_observe("tracelite_writer_batch_requests", (double)jobs, NULL);
	counters_observe("tracelite_writer_batch_spans", (double)spans, NULL);
}

/* Runs one task job (j->task), in a transaction of its own unless
 * WRITER_TASK_NO_TXN; fills j->rc and j->err. */
static void run_task(struct writer *w, struct job *j)
{
	int txn = !(j->flags & WRITER_TASK_NO_TXN), rc = ERR_OK;
	w->full = 0;
	if (txn)
		rc = step_done(w, ST_BEGIN);
	/* then what the task took out of the rollups (writer_task_rollup) */
	if (!rc && ((rc = j->task(w->db, j->arg, j->err, sizeof j->err)) ||
	            (txn && (rc = rollup_flush(w->rollup, j->err, sizeof j->err)))) &&
	    sqlite3_errcode(w->db) == SQLITE_FULL) {
		note_error(w);
		snprintf(j->err, sizeof j->err, "%s", w->errbuf);
		rc = ERR_FULL;
	}
	if (!rc && txn && (rc = step_done(w, ST_COMMIT)))
		rc = failure(w);
	if (rc == ERR_STORE || rc == ERR_FULL) {
		if (!j->err[0] || w->full)
			snprintf(j->err, sizeof j->err, "%s", w->errbuf);
	}
	if (rc && txn)
		rollback(w);
	if (rc)
		rollup_discard(w->rollup);   /* rolled back */
	/* a task may have deleted traces and with them people rows (retention) */
	intern_clear(w->strings);
	j->rc = rc;
}

/* Ends job j with its outcome (w->lock held): a span batch leaves the
 * queue's accounting; its submitter wakes, and no other (it takes the lock
 * only once the caller lets it go, so j is not touched after its end). */
static void finish_job(struct writer *w, struct job *j)
{
	if (!j->task) {
		assert(w->queued_bytes >= j->bytes);
		w->queued_bytes -= j->bytes;
		w->queued_jobs--;
	}
	j->done = 1;
	pthread_cond_signal(&j->wake);
}

/* The jobs linked from list, just committed or failed (w->lock held): a
 * committed one waits for the WAL sync, the others end now. Returns
 * whether one was left to the sync thread (the caller wakes it). */
static int hand_over(struct writer *w, struct job *list)
{
	int to_sync = 0;
	for (struct job *j = list, *next; j; j = next) {
		next = j->next;
		j->next = NULL;
		if (w->wal_fd >= 0 && j->rc == ERR_OK) {
			*w->unsynced_tail = j;
			w->unsynced_tail = &j->next;
			to_sync = 1;
		} else {
			finish_job(w, j);
		}
	}
	return to_sync;
}

/* The answer to work after a failed WAL sync (w->lock held): ERR_STORE
 * with the reason in err. */
static enum err sync_failure(const struct writer *w, char *err, size_t errlen)
{
	return err_set(err, errlen, ERR_STORE, "store write failed: %s", w->sync_err);
}

/* New work is refused (w->lock held) while stopping (ERR_BUSY) and after
 * a failed WAL sync; ERR_OK when it may go in. */
static enum err refusal(const struct writer *w, char *err, size_t errlen)
{
	if (w->stopping)
		return err_set(err, errlen, ERR_BUSY, "shutting down");
	return w->sync_failed ? sync_failure(w, err, errlen) : ERR_OK;
}

/* The sync thread: fdatasyncs the WAL for everything committed so far and
 * then ends those jobs, so one sync serves every commit made while the
 * previous one ran. After a failed sync every job still waiting, and every
 * later one, fails: what the WAL holds past the failure may be lost. */
static void *sync_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->unsynced && !w->sync_stopping)
			pthread_cond_wait(&w->sync_work, &w->lock);
		if (!w->unsynced)
			break;
		struct job *list = w->unsynced;
		w->unsynced = NULL;
		w->unsynced_tail = &w->unsynced;
		int failed = w->sync_failed;
		pthread_mutex_unlock(&w->lock);
		int sync_errno = 0;
		if (!failed) {
			uint64_t t0 = text_monotonic_ns();
			if (fdatasync(w->wal_fd))
				sync_errno = errno;
			counters_observe("tracelite_writer_wal_sync_seconds", (double)(text_monotonic_ns() - t0) / 1e9, NULL);
		}
		pthread_mutex_lock(&w->lock);
		if (sync_errno) {
			w->sync_failed = 1;
			w->healthy = 0;
			snprintf(w->sync_err, sizeof w->sync_err,
			         "the write-ahead log could not be synced to disk (%s); restart tracelite once the disk is"
			         " checked", strerror(sync_errno));
			log_error("writer", "%s", w->sync_err);
		}
		for (struct job *j = list, *next; j; j = next) {
			next = j->next;
			if (w->sync_failed)
				j->rc = sync_failure(w, j->err, sizeof j->err);
			finish_job(w, j);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->work, &w->lock);
		if (!w->head)
			break; /* stopping and drained */
		struct job *all = w->head, *list = NULL, **lt = &list, *tasks = NULL, **tt = &tasks;
		w->head = w->tail = NULL;
		pthread_mutex_unlock(&w->lock);
		/* span batches first, in one transaction; then each task in its own */
		for (struct job *j = all, *next; j; j = next) {
			next = j->next;
			j->next = NULL;
			if (j->task) {
				*tt = j;
				tt = &j->next;
			} else {
				*lt = j;
				lt = &j->next;
			}
		}
		int rc = ERR_OK;
		if (list) {
			uint64_t t0 = text_monotonic_ns();
			rc = commit_jobs(w, list);
			count_commit(list, rc, text_monotonic_ns() - t0);
		}
		for (struct job *j = tasks; j; j = j->next)
			run_task(w, j);
		size_t cache = intern_bytes(w->strings) + intern_bytes(w->projects) + intern_bytes(w->blobs) +
		               attrindex_cache_bytes(w->attrs);
		pthread_mutex_lock(&w->lock);
		w->cache_bytes = cache;
		if (list)
			w->healthy = rc == ERR_OK && !w->sync_failed;
		for (struct job *j = list; j; j = j->next) {
			j->rc = rc;
			if (rc)
				snprintf(j->err, sizeof j->err, "%s%s", rc == ERR_FULL ? "" : "store write failed: ",
				         w->errbuf);
		}
		int to_sync = hand_over(w, tasks);
		to_sync |= hand_over(w, list);
		if (to_sync) {
			/* woken with the lock free: it takes it at once */
			pthread_mutex_unlock(&w->lock);
			pthread_cond_signal(&w->sync_work);
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* A trained dictionary's zdicts row, in a writer task (zdict_save_fn). */
struct zdict_row {
	uint32_t id;
	const void *data;
	size_t len;
};

static enum err zdict_put(sqlite3 *db, void *arg, char *err, size_t errlen)
{
	const struct zdict_row *r = arg;
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	/* ids are one space with the compaction's dictionaries (schema/029) */
	if (sqlite3_prepare_v2(db, "INSERT INTO zdicts (id, created_ns, data, before_chunk)"
	                       " SELECT ?1, ?2, ?3, (SELECT coalesce(max(id), 0) FROM chunks)"
	                       " WHERE NOT EXISTS (SELECT 1 FROM zcompact_dicts WHERE id = ?1)", -1, &st, NULL) ||
	    sqlite3_bind_int64(st, 1, r->id) || sqlite3_bind_int64(st, 2, (int64_t)text_now_ns()) ||
	    sqlite3_bind_blob(st, 3, r->data, (int)r->len, SQLITE_STATIC) || sqlite3_step(st) != SQLITE_DONE)
		rc = err_set(err, errlen, ERR_STORE, "zdicts: %s", sqlite3_errmsg(db));
	else if (!sqlite3_changes(db))
		rc = err_set(err, errlen, ERR_STORE, "zdicts: id %u taken", r->id);
	sqlite3_finalize(st);
	return rc;
}

static enum err zdict_save(void *w, uint32_t id, const void *data, size_t len, char *err, size_t errlen)
{
	struct zdict_row r = {id, data, len};
	return writer_exec(w, zdict_put, &r, 0, err, errlen);
}

struct writer *writer_start(const char *dir, size_t queue_bytes, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->wal_fd = -1;
	if (store_open_writer(dir, &w->db, err, errlen))
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(w->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i], NULL)) {
			err_set(err, errlen, ERR_STORE, "prepare: %s", sqlite3_errmsg(w->db));
			goto fail;
		}
	}
	if (!(w->rollup = rollup_new(w->db, err, errlen)))
		goto fail;
	if (attrindex_open(w->db, &w->attrs)) {
		err_set(err, errlen, ERR_STORE, "prepare: %s", sqlite3_errmsg(w->db));
		goto fail;
	}
	if (logstore_open(w->db, &w->logs)) {
		err_set(err, errlen, ERR_STORE, "prepare: %s", sqlite3_errmsg(w->db));
		goto fail;
	}
	if (spanids_open(w->db, &w->spanids) || spanrows_open(w->db, &w->rows)) {
		err_set(err, errlen, ERR_STORE, "span ids: %s", sqlite3_errmsg(w->db));
		goto fail;
	}
	const struct zdict *zd;
	size_t zsample, zsize;
	if (zdict_env_sizes(&zsample, &zsize, err, errlen) || zdict_load_newest(w->db, &zd, err, errlen))
		goto fail;
	w->zt = zdict_trainer_new(zd, zsample, zsize, zdict_save, w);
	w->strings = intern_new_capped(CACHE_BYTES);
	w->projects = intern_new_capped(CACHE_BYTES);
	w->blobs = intern_new_capped(CACHE_BYTES);
	w->queue_cap = queue_bytes;
	declare_counters();
	w->healthy = 1;
	load_next_ids(w);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->sync_work, NULL);
	w->unsynced_tail = &w->unsynced;
	/* commits sync on the sync thread; if the WAL cannot be handed over,
	 * each COMMIT syncs as SQLite does by itself */
	if ((w->wal_fd = walbuf_defer_commit_syncs(w->db)) >= 0) {
		if (pthread_create(&w->syncer, NULL, sync_main, w))
			abort();
		pthread_setname_np(w->syncer, "tl-wal-sync");
	}
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		err_set(err, errlen, ERR_STORE, "cannot start writer thread");
		abort();
	}
	pthread_setname_np(w->thread, "tl-writer");
	return w;
fail:
	/* statements not prepared are NULL, as is db when the store did not
	 * open; finalizing and closing NULL does nothing */
	for (int k = 0; k < ST_COUNT; k++)
		sqlite3_finalize(w->st[k]);
	rollup_free(w->rollup);
	spanids_free(w->spanids);
	spanrows_free(w->rows);
	sqlite3_close_v2(w->db);
	free(w);
	return NULL;
}

/* Appends j to the queue (w->lock held, released here), wakes the writer
 * and waits until j is done: the job lives on the caller's stack until
 * then. Returns j's outcome, its message in err. */
static enum err run_queued(struct writer *w, struct job *j, char *err, size_t errlen)
{
	assert((w->head == NULL) == (w->tail == NULL));
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_init(&j->wake, NULL);
	pthread_cond_signal(&w->work);
	while (!j->done)
		pthread_cond_wait(&j->wake, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_destroy(&j->wake);
	if (j->rc)
		return err_set(err, errlen, j->rc, "%s", j->err);
	return ERR_OK;
}

enum err writer_submit(struct writer *w, struct span_batch *b, char *err, size_t errlen)
{
	struct job j;
	memset(&j, 0, sizeof j);
	j.batch = b;
	int rc = record_pack(b, w->zt, &j.rec, err, errlen);
	if (!rc && b->nlogs)
		rc = logstore_pack(b, &j.logs, err, errlen);
	if (rc)
		return rc;
	/* the attribute index rows are walked and de-duplicated here, in
	 * parallel with other requests, not on the writer thread */
	j.attrs = arena_alloc(b->arena, (b->nspans ? b->nspans : 1) * sizeof *j.attrs);
	attrindex_prepare(b, j.rec.order, j.attrs);
	j.bytes = arena_used(b->arena);
	pthread_mutex_lock(&w->lock);
	w->submitted++;
	if ((rc = refusal(w, err, errlen))) {
		pthread_mutex_unlock(&w->lock);
		return rc;
	}
	if (w->disk_low[0]) {
		rc = err_set(err, errlen, ERR_FULL, "%s", w->disk_low);
		pthread_mutex_unlock(&w->lock);
		return rc;
	}
	/* A job larger than the whole queue still goes in when the queue is
	 * empty, so no valid request is refused forever. */
	if (w->queued_bytes > 0 && w->queued_bytes + j.bytes > w->queue_cap) {
		pthread_mutex_unlock(&w->lock);
		return err_set(err, errlen, ERR_BUSY, "write queue full, retry later");
	}
	w->queued_bytes += j.bytes;
	w->queued_jobs++;
	return run_queued(w, &j, err, errlen);
}

uint64_t writer_submitted(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	uint64_t n = w->submitted;
	pthread_mutex_unlock(&w->lock);
	return n;
}

size_t writer_cache_bytes(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	size_t n = w->cache_bytes;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void writer_queue(struct writer *w, size_t *requests, size_t *bytes)
{
	pthread_mutex_lock(&w->lock);
	*requests = w->queued_jobs;
	*bytes = w->queued_bytes;
	pthread_mutex_unlock(&w->lock);
}

enum err writer_exec(struct writer *w, writer_task_fn fn, void *arg, int flags, char *err, size_t errlen)
{
	struct job j;
	memset(&j, 0, sizeof j);
	j.task = fn;
	j.arg = arg;
	j.flags = flags;
	pthread_mutex_lock(&w->lock);
	enum err rc = refusal(w, err, errlen);
	if (rc) {
		pthread_mutex_unlock(&w->lock);
		return rc;
	}
	return run_queued(w, &j, err, errlen);
}

void writer_set_disk_low(struct writer *w, const char *why)
{
	pthread_mutex_lock(&w->lock);
	snprintf(w->disk_low, sizeof w->disk_low, "%s", why ? why : "");
	pthread_mutex_unlock(&w->lock);
}

int writer_disk_low(struct writer *w, char *buf, size_t n)
{
	pthread_mutex_lock(&w->lock);
	int low = w->disk_low[0] != 0;
	if (low && n)
		snprintf(buf, n, "%s", w->disk_low);
	pthread_mutex_unlock(&w->lock);
	return low;
}

int writer_healthy(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	int h = w->healthy;
	pthread_mutex_unlock(&w->lock);
	return h;
}

int writer_sync_failed(struct writer *w, char *buf, size_t n)
{
	pthread_mutex_lock(&w->lock);
	int failed = w->sync_failed;
	if (failed && n)
		snprintf(buf, n, "%s", w->sync_err);
	pthread_mutex_unlock(&w->lock);
	return failed;
}

void writer_stop(struct writer *w)
{
	if (!w)
		return;
	zdict_trainer_free(w->zt);   /* a training run saves through the writer: before stopping it */
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (w->wal_fd >= 0) {
		pthread_mutex_lock(&w->lock);
		w->sync_stopping = 1;
		pthread_cond_signal(&w->sync_work);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->syncer, NULL);
	}
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(w->st[i]);
	rollup_free(w->rollup);
	attrindex_close(w->attrs);
	logstore_close(w->logs);
	spanids_free(w->spanids);
	spanrows_free(w->rows);
	sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close_v2(w->db);
	if (w->wal_fd >= 0)
		close(w->wal_fd);
	intern_free(w->strings);
	intern_free(w->projects);
	intern_free(w->blobs);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->sync_work);
	free(w);
}
