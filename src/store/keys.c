/* keys.c: the api_keys table's statements. Callers own the connection
 * (the keys command's, or the server's auth connection) and its locking. */
#include "store/keys.h"
#include <stdio.h>
#include <string.h>

static const char *const scope_names[] = {[KEY_SCOPE_INGEST] = "ingest", [KEY_SCOPE_READ] = "read",
                                          [KEY_SCOPE_ADMIN] = "admin"};

int key_scope_parse(const char *s)
{
	for (int i = 0; i < (int)(sizeof scope_names / sizeof *scope_names); i++)
		if (scope_names[i] && !strcmp(s, scope_names[i]))
			return i;
	return 0;
}

const char *key_scope_name(int scope)
{
	if (scope > 0 && scope < (int)(sizeof scope_names / sizeof *scope_names) && scope_names[scope])
		return scope_names[scope];
	return "?";
}

enum err key_name_check(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);
	if (!n || n > KEY_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return err_set(err, errlen, ERR_BAD_INPUT, "key name must be 1..%d letters, digits, '.', '_' or '-'",
		               KEY_NAME_MAX);
	return ERR_OK;
}

static enum err fail(sqlite3 *db, char *err, size_t errlen)
{
	return err_set(err, errlen, ERR_STORE, "sqlite: %s", sqlite3_errmsg(db));
}

enum err keys_add(sqlite3 *db, struct key_row *k, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum err rc = key_name_check(k->name, err, errlen);
	if (rc)
		return rc;
	if (!key_scope_parse(key_scope_name(k->scope)))
		return err_set(err, errlen, ERR_BAD_INPUT, "scope must be ingest, read or admin");
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, err, errlen);
	if (sqlite3_prepare_v2(db, "SELECT count(*), sum(name = ?1), sum(public_id = ?2) FROM api_keys", -1, &st,
	                       NULL) != SQLITE_OK) {
		rc = fail(db, err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	if (k->public_id[0])
		sqlite3_bind_text(st, 2, k->public_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = fail(db, err, errlen);
		goto out;
	}
	if (sqlite3_column_int(st, 1) > 0)
		rc = err_set(err, errlen, ERR_BAD_INPUT, "a key named '%s' exists already (revoke it first)", k->name);
	else if (sqlite3_column_int(st, 2) > 0)
		rc = err_set(err, errlen, ERR_BAD_INPUT, "a key with public id '%s' exists already", k->public_id);
	else if (sqlite3_column_int(st, 0) >= KEYS_MAX)
		rc = err_set(err, errlen, ERR_BAD_INPUT, "this store has %d keys, the most it takes; revoke one first",
		             KEYS_MAX);
	sqlite3_finalize(st);
	st = NULL;
	if (rc)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO api_keys (name, scope, hash, public_id, project, created_ns) "
	                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK) {
		rc = fail(db, err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key_scope_name(k->scope), -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, k->hash, SECRET_HASH_SIZE, SQLITE_STATIC);
	if (k->public_id[0])
		sqlite3_bind_text(st, 4, k->public_id, -1, SQLITE_STATIC);
	if (k->project[0])
		sqlite3_bind_text(st, 5, k->project, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, k->created_ns);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = fail(db, err, errlen);
		goto out;
	}
	k->id = sqlite3_last_insert_rowid(db);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = fail(db, err, errlen);
out:
	sqlite3_finalize(st);
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

enum err keys_revoke(sqlite3 *db, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	if (sqlite3_prepare_v2(db, "DELETE FROM api_keys WHERE name = ?1", -1, &st, NULL) != SQLITE_OK) {
		rc = fail(db, err, errlen);
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = fail(db, err, errlen);
	else if (sqlite3_changes(db) == 0)
		rc = err_set(err, errlen, ERR_NOT_FOUND, "no key named '%s'", name);
out:
	sqlite3_finalize(st);
	return rc;
}

static void copy_text(char *dst, size_t n, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	snprintf(dst, n, "%s", s ? (const char *)s : "");
}

enum err keys_each(sqlite3 *db, int (*fn)(void *ctx, const struct key_row *k), void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_OK;
	int step;
	if (sqlite3_prepare_v2(db, "SELECT id, name, scope, hash, public_id, project, created_ns, last_used_ns "
	                       "FROM api_keys ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		rc = fail(db, err, errlen);
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct key_row k;
		memset(&k, 0, sizeof k);
		k.id = sqlite3_column_int64(st, 0);
		copy_text(k.name, sizeof k.name, st, 1);
		k.scope = key_scope_parse((const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_bytes(st, 3) == SECRET_HASH_SIZE)
			memcpy(k.hash, sqlite3_column_blob(st, 3), SECRET_HASH_SIZE);
		copy_text(k.public_id, sizeof k.public_id, st, 4);
		copy_text(k.project, sizeof k.project, st, 5);
		k.created_ns = sqlite3_column_int64(st, 6);
		k.last_used_ns = sqlite3_column_int64(st, 7);
		if (fn(ctx, &k))
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = fail(db, err, errlen);
out:
	sqlite3_finalize(st);
	return rc;
}

enum err keys_version(sqlite3 *db, int64_t *version)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_STORE;
	if (sqlite3_prepare_v2(db, "SELECT version FROM api_keys_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*version = sqlite3_column_int64(st, 0);
		rc = ERR_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

enum err keys_touch(sqlite3 *db, int64_t id, int64_t now_ns)
{
	sqlite3_stmt *st = NULL;
	enum err rc = ERR_STORE;
	if (sqlite3_prepare_v2(db, "UPDATE api_keys SET last_used_ns = ?1 WHERE id = ?2", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, now_ns);
		sqlite3_bind_int64(st, 2, id);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = ERR_OK;
	}
	sqlite3_finalize(st);
	return rc;
}
