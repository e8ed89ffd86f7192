/* test_secret.c: src/base/secret.c (SHA-256 against known vectors, the
 * constant-time comparison, random tokens, the key text check) and the
 * api_keys table of src/store/keys.c on a fresh store (add, duplicate
 * names, the change counter, last use, revoke). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/ids.h"
#include "base/secret.h"
#include "store/keys.h"
#include "store/store.h"
#include "test.h"

static void hashes(void)
{
	unsigned char h[SECRET_HASH_SIZE];
	char hex[2 * SECRET_HASH_SIZE + 1];
	secret_hash("abc", 3, h);
	id_to_hex(h, sizeof h, hex);
	CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "sha256(abc) %s", hex);
	secret_hash("", 0, h);
	id_to_hex(h, sizeof h, hex);
	CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "sha256() %s", hex);
}

static void compare(void)
{
	unsigned char a[32], b[32];
	memset(a, 7, sizeof a);
	memcpy(b, a, sizeof b);
	CHECK(secret_equal(a, b, sizeof a), "equal");
	for (int i = 0; i < 32; i += 31) {
		b[i] ^= 1;
		CHECK(!secret_equal(a, b, sizeof a), "differs at %d", i);
		b[i] ^= 1;
	}
	b[16] ^= 0x80;
	CHECK(!secret_equal(a, b, sizeof a), "high bit");
	CHECK(secret_equal(a, b, 16), "prefix only");
}

static void tokens(void)
{
	char t1[SECRET_TOKEN_HEX], t2[SECRET_TOKEN_HEX];
	secret_token(t1);
	secret_token(t2);
	CHECK(strlen(t1) == SECRET_TOKEN_HEX - 1 && strspn(t1, "0123456789abcdef") == strlen(t1), "token %s", t1);
	CHECK(strcmp(t1, t2) != 0, "two tokens differ");
	unsigned char big[5000];
	memset(big, 0, sizeof big);
	secret_random(big, sizeof big);   /* more than one DRBG request */
	int zeros = 0;
	for (size_t i = 0; i < sizeof big; i++)
		zeros += big[i] == 0;
	CHECK(zeros < 100, "random bytes: %d zeros of 5000", zeros);
}

static void text_check(void)
{
	char err[128], long_key[SECRET_TEXT_MAX + 2];
	CHECK(secret_check_text("tl_abc-DEF_123", 14, err, sizeof err) == ERR_OK, "plain key");
	CHECK(secret_check_text("", 0, err, sizeof err) == ERR_BAD_INPUT, "empty");
	CHECK(secret_check_text("tl_a b", 6, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "byte 5"), "%s", err);
	CHECK(secret_check_text("tl_\xc3\xa9", 5, err, sizeof err) == ERR_BAD_INPUT, "non-ASCII");
	CHECK(!strstr(err, "tl_"), "the key is never quoted: %s", err);
	memset(long_key, 'a', sizeof long_key);
	CHECK(secret_check_text(long_key, SECRET_TEXT_MAX, err, sizeof err) == ERR_OK, "at the limit");
	CHECK(secret_check_text(long_key, SECRET_TEXT_MAX + 1, err, sizeof err) == ERR_BAD_INPUT, "past the limit");
}

static int count_row(void *ctx, const struct key_row *k)
{
	(void)k;
	(*(int *)ctx)++;
	return 0;
}

static void table(void)
{
	char dir[] = "/tmp/tracelite-test-secret-XXXXXX", err[512];
	sqlite3 *db;
	int64_t v0, v1, v2;
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	CHECK(store_open_writer(dir, &db, err, sizeof err) == ERR_OK, "%s", err);
	CHECK(keys_version(db, &v0) == ERR_OK && v0 == 0, "fresh counter");
	struct key_row k = {0};
	snprintf(k.name, sizeof k.name, "ci");
	k.scope = KEY_SCOPE_INGEST;
	secret_hash("tl_one", 6, k.hash);
	CHECK(keys_add(db, &k, err, sizeof err) == ERR_OK && k.id > 0, "%s", err);
	CHECK(keys_add(db, &k, err, sizeof err) == ERR_BAD_INPUT && strstr(err, "exists"), "%s", err);
	snprintf(k.name, sizeof k.name, "bad name");
	CHECK(keys_add(db, &k, err, sizeof err) == ERR_BAD_INPUT, "a name with a space");
	snprintf(k.name, sizeof k.name, "other");
	k.scope = 5;
	CHECK(keys_add(db, &k, err, sizeof err) == ERR_BAD_INPUT, "scope 5");
	CHECK(keys_version(db, &v1) == ERR_OK && v1 == v0 + 1, "add bumps the counter: %lld", (long long)v1);
	CHECK(keys_touch(db, k.id, 123) == ERR_OK, "touch");
	CHECK(keys_version(db, &v2) == ERR_OK && v2 == v1, "a last use leaves the counter");
	int n = 0;
	CHECK(keys_each(db, count_row, &n, err, sizeof err) == ERR_OK && n == 1, "one key: %d", n);
	CHECK(keys_revoke(db, "nope", err, sizeof err) == ERR_NOT_FOUND, "unknown name");
	CHECK(keys_revoke(db, "ci", err, sizeof err) == ERR_OK, "%s", err);
	CHECK(keys_version(db, &v2) == ERR_OK && v2 == v1 + 1, "revoke bumps the counter");
	CHECK(key_scope_parse("admin") == KEY_SCOPE_ADMIN && key_scope_parse("root") == 0 &&
	          !strcmp(key_scope_name(KEY_SCOPE_READ), "read"),
	      "scope names");
	sqlite3_close_v2(db);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
}

int main(void)
{
	CHECK(err_http_status(ERR_UNAUTHENTICATED) == 401 && err_http_status(ERR_FORBIDDEN) == 403 &&
	          err_http_status(ERR_SLOW_DOWN) == 429,
	      "auth codes map to 401, 403, 429");
	hashes();
	compare();
	tokens();
	text_check();
	table();
	return test_done();
}
