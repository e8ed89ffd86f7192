/* test_preview.c: trace_previews bodies (store/preview.h): round trips of
 * NULL, empty, short and full-size texts (raw when zstd does not shrink
 * them, a zstd frame when it does), and corrupt bodies refused, also
 * through the tl_preview SQL function (an SQL error, never a crash). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "store/preview.h"
#include "test.h"

static struct preview p;
static unsigned char body[PREVIEW_BODY_MAX];

static int round_trip(const char *in, const char *out, size_t *len)
{
	*len = preview_pack(NULL, in, out, body);
	if (preview_unpack(body, *len, &p))
		return 0;
	return p.has_input == (in != NULL) && p.has_output == (out != NULL) && !strcmp(p.input, in ? in : "") &&
	       !strcmp(p.output, out ? out : "");
}

int main(void)
{
	static char big[PREVIEW_TEXT_MAX + 1], prose[241];
	size_t len;
	CHECK(round_trip(NULL, NULL, &len) && len == 2, "both NULL: %zu bytes", len);
	CHECK(round_trip("", "", &len) && len == 2, "both empty");
	CHECK(round_trip("hi?", NULL, &len) && len == 5 && body[0] == 0x04, "short input, raw: %zu, %02x", len, body[0]);
	CHECK(round_trip(NULL, "é🙂", &len) && body[0] == 0x02, "output only");
	memset(big, 'a', PREVIEW_TEXT_MAX);
	CHECK(round_trip(big, big, &len) && (body[0] & 1) && len < 100, "repetitive text compresses: %zu", len);
	for (size_t i = 0; i < 240; i++)
		prose[i] = "the quick brown fox jumps over a lazy dog "[i % 42];
	CHECK(round_trip(prose, "ok", &len) && len < 240, "prose: %zu", len);
	/* corrupt bodies */
	unsigned char saved[PREVIEW_BODY_MAX];
	size_t n = preview_pack(NULL, big, prose, saved);
	CHECK(preview_unpack(saved, 0, &p) == ERR_STORE && preview_unpack(saved, 1, &p) == ERR_STORE, "too short");
	for (size_t cut = 2; cut < n; cut++)
		CHECK(preview_unpack(saved, cut, &p) == ERR_STORE, "truncated at %zu", cut);
	memcpy(body, saved, n);
	body[0] |= 0x80;
	CHECK(preview_unpack(body, n, &p) == ERR_STORE, "unknown flag");
	unsigned char lying[] = {0x02, 0x03, 'a', 'b', 'c'}, longer[] = {0x00, 0x05, 'a'}, huge[] = {0x00, 0xff, 0x7f};
	CHECK(preview_unpack(lying, sizeof lying, &p) == ERR_STORE, "NULL input with bytes");
	CHECK(preview_unpack(longer, sizeof longer, &p) == ERR_STORE, "input length past the end");
	CHECK(preview_unpack(huge, sizeof huge, &p) == ERR_STORE, "input length over the limit");
	/* a frame naming a dictionary no store has */
	unsigned char nodict[] = {0x01, 0x28, 0xb5, 0x2f, 0xfd, 0x23, 0x39, 0x30, 0x00, 0x00, 0x03, 0x19, 0x00, 0x00,
	                          0x03, 'a', 'b', 'c'};
	CHECK(preview_unpack(nodict, sizeof nodict, &p) == ERR_STORE, "unknown dictionary");
	/* the SQL function */
	sqlite3 *db;
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK && preview_register(db) == ERR_OK, "register");
	sqlite3_stmt *st;
	n = preview_pack(NULL, "question", NULL, body);
	CHECK(sqlite3_prepare_v2(db, "SELECT tl_preview(?1, 0), tl_preview(?1, 1), tl_preview(NULL, 0)", -1, &st, NULL) ==
	          SQLITE_OK,
	      "prepare");
	sqlite3_bind_blob(st, 1, body, (int)n, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "question") &&
	          sqlite3_column_type(st, 1) == SQLITE_NULL && sqlite3_column_type(st, 2) == SQLITE_NULL,
	      "tl_preview");
	sqlite3_reset(st);
	sqlite3_bind_blob(st, 1, lying, sizeof lying, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_ERROR && strstr(sqlite3_errmsg(db), "trace_previews"), "corrupt: %s",
	      sqlite3_errmsg(db));
	sqlite3_finalize(st);
	/* a reference body: a span id, resolved only with the trace key */
	const uint8_t sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t back[8];
	n = preview_pack_ref(sid, body);
	CHECK(n == PREVIEW_REF_SIZE && preview_is_ref(body, n, back) && !memcmp(back, sid, 8), "reference round trip");
	CHECK(!preview_is_ref(body, n - 1, back) && !preview_is_ref(saved, 9, back), "not a reference");
	CHECK(preview_unpack(body, n, &p) == ERR_STORE, "a reference is no text body");
	CHECK(sqlite3_prepare_v2(db, "SELECT tl_preview(?1, 0)", -1, &st, NULL) == SQLITE_OK, "prepare");
	sqlite3_bind_blob(st, 1, body, (int)n, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_ERROR && strstr(sqlite3_errmsg(db), "trace key"), "reference without key: %s",
	      sqlite3_errmsg(db));
	sqlite3_finalize(st);
	/* with the key but no store tables: an SQL error, never a crash */
	CHECK(sqlite3_prepare_v2(db, "SELECT tl_preview(?1, 0, 1)", -1, &st, NULL) == SQLITE_OK, "prepare");
	sqlite3_bind_blob(st, 1, body, (int)n, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_ERROR, "reference without a store");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return test_done();
}
