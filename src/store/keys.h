/* keys.h: the api_keys table (schema/005_keys.sql): add, list, revoke, the
 * change counter a running server polls, and last-used stamps. Only the
 * SHA-256 of a secret ever reaches this layer. */
#ifndef TL_KEYS_H
#define TL_KEYS_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "base/secret.h"

#define KEYS_MAX 1000            /* keys per store: bounds a server's key cache */
#define KEY_NAME_MAX 64          /* bytes of a key's name */
#define KEY_PROJECT_MAX 128      /* bytes of a key's project name */
#define KEY_PUBLIC_MAX 128       /* bytes of a key's public id */

/* Scopes are bits: a principal may do what all its bits allow. */
enum key_scope {
	KEY_SCOPE_INGEST = 1,        /* send data */
	KEY_SCOPE_READ = 2,          /* query API and UI */
	KEY_SCOPE_DELETE = 4,        /* delete data (admin only) */
	KEY_SCOPE_ADMIN = 7,
};

struct key_row {
	int64_t id;
	char name[KEY_NAME_MAX + 1];
	int scope;                   /* KEY_SCOPE_INGEST, _READ or _ADMIN */
	unsigned char hash[SECRET_HASH_SIZE];
	char public_id[KEY_PUBLIC_MAX + 1];  /* "" when none */
	char project[KEY_PROJECT_MAX + 1];   /* "" when any */
	int64_t created_ns, last_used_ns;    /* last_used_ns 0: never */
};

/* Returns the scope named s ("ingest", "read", "admin"), or 0. */
int key_scope_parse(const char *s);
/* Returns the name of scope (one of the three), "?" otherwise. */
const char *key_scope_name(int scope);
/* Checks a key name: 1..KEY_NAME_MAX bytes of [A-Za-z0-9._-]. Returns
 * ERR_OK or ERR_BAD_INPUT with err saying why. */
enum err key_name_check(const char *name, char *err, size_t errlen);

/* Inserts k (id and last_used_ns ignored; created_ns as given). Returns
 * ERR_OK with k->id set, ERR_BAD_INPUT (name or public id taken, bad name,
 * KEYS_MAX reached) or ERR_STORE, with err filled. */
enum err keys_add(sqlite3 *db, struct key_row *k, char *err, size_t errlen);
/* Deletes the key called name. Returns ERR_OK, ERR_NOT_FOUND or ERR_STORE. */
enum err keys_revoke(sqlite3 *db, const char *name, char *err, size_t errlen);
/* Calls fn for each key in name order (fn returns nonzero to stop early).
 * Returns ERR_OK or ERR_STORE with err filled. */
enum err keys_each(sqlite3 *db, int (*fn)(void *ctx, const struct key_row *k), void *ctx, char *err, size_t errlen);
/* *version = the change counter (bumped by every add, revoke or change
 * other than last use). Returns ERR_OK or ERR_STORE. */
enum err keys_version(sqlite3 *db, int64_t *version);
/* Sets key id's last_used_ns. Returns ERR_OK or ERR_STORE (e.g. busy). */
enum err keys_touch(sqlite3 *db, int64_t id, int64_t now_ns);

#endif
