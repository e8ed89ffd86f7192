/* auth.c: the key cache, sessions, the login link and the login backoff
 * behind one mutex. Secrets are hashed (SHA-256) on arrival, looked up
 * among the stored hashes and confirmed in constant time; sessions live in
 * memory only (a restart logs browsers out), hashed like keys. */
#include "server/auth.h"
#include <assert.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "base/env.h"
#include "base/text.h"
#include "store/store.h"

#define NS 1000000000ull

struct cached_key {
	struct key_row row;          /* hash, scope, name, project */
	uint64_t touched_ns;         /* monotonic time last_used was last written */
};

struct session {
	unsigned char hash[SECRET_HASH_SIZE];   /* of the cookie token */
	char csrf[SECRET_TOKEN_HEX];
	int64_t key_id;              /* 0: the login link */
	int scope;                   /* the link's scope; a key's is looked up each time */
	char name[KEY_NAME_MAX + 1];
	uint64_t expires_ns;         /* monotonic; 0 = free slot */
};

struct throttle {
	char client[48];
	int fails;
	uint64_t next_ok_ns, last_ns;   /* monotonic */
};

/* Invariants: keys[0..nkeys) mirror the table as of version; a session
 * slot is live while expires_ns > now; link_expires_ns 0 = no link. */
struct auth {
	pthread_mutex_t lock;
	sqlite3 *db;
	enum auth_mode mode;
	struct cached_key *keys;
	int nkeys;
	int64_t version;
	uint64_t checked_ns;
	struct session sessions[AUTH_SESSIONS_MAX];
	struct throttle throttle[AUTH_THROTTLE_MAX];
	unsigned char link_hash[SECRET_HASH_SIZE];
	uint64_t link_expires_ns;
	uint64_t session_ttl_ns;     /* AUTH_SESSION_TTL_S, or TRACELITE_SESSION_TTL_S (tests) */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

enum err auth_mode_parse(const char *s, enum auth_mode *out)
{
	static const char *const names[] = {"auto", "required", "off"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum auth_mode)i;
			return ERR_OK;
		}
	return ERR_BAD_INPUT;
}

const char *auth_mode_name(enum auth_mode m)
{
	return m == AUTH_REQUIRED ? "required" : m == AUTH_OFF ? "off" : "auto";
}

static int by_hash(const void *x, const void *y)
{
	return memcmp(((const struct cached_key *)x)->row.hash, ((const struct cached_key *)y)->row.hash,
	              SECRET_HASH_SIZE);
}

struct load_ctx {
	struct cached_key *keys;
	int n;
	const struct auth *old;
};

static int load_one(void *p, const struct key_row *k)
{
	struct load_ctx *l = p;
	if (l->n == KEYS_MAX)
		return 1;
	l->keys[l->n].row = *k;
	l->keys[l->n].touched_ns = 0;
	for (int i = 0; i < l->old->nkeys; i++)
		if (l->old->keys[i].row.id == k->id)
			l->keys[l->n].touched_ns = l->old->keys[i].touched_ns;
	l->n++;
	return 0;
}

/* Under the lock: re-reads the key table if its counter moved, at most
 * once per min_age_ns. A store that cannot be read keeps the cache. */
static void refresh(struct auth *a, uint64_t min_age_ns)
{
	uint64_t now = mono_ns();
	int64_t v;
	char err[256];
	if (a->checked_ns && now - a->checked_ns < min_age_ns)
		return;
	a->checked_ns = now;
	if (keys_version(a->db, &v) || (v == a->version && a->keys))
		return;
	struct load_ctx l = {.keys = calloc(KEYS_MAX, sizeof *l.keys), .old = a};
	if (!l.keys)
		abort();
	if (keys_each(a->db, load_one, &l, err, sizeof err)) {
		fprintf(stderr, "tracelite: auth: cannot read the keys: %s\n", err);
		free(l.keys);
		return;
	}
	qsort(l.keys, (size_t)l.n, sizeof *l.keys, by_hash);   /* for find_key */
	free(a->keys);
	a->keys = l.keys;
	a->nkeys = l.n;
	a->version = v;
}

struct auth *auth_open(const char *dir, enum auth_mode mode, char *err, size_t errlen)
{
	struct auth *a = calloc(1, sizeof *a);
	if (!a)
		abort();
	if (store_open_writer(dir, &a->db, err, errlen)) {
		free(a);
		return NULL;
	}
	/* a last-used stamp waits this long for the ingest writer, then is skipped */
	sqlite3_busy_timeout(a->db, 50);
	pthread_mutex_init(&a->lock, NULL);
	a->mode = mode;
	a->version = -1;
	int64_t ttl_s = env_i64("TRACELITE_SESSION_TTL_S", 1, AUTH_SESSION_TTL_S, AUTH_SESSION_TTL_S);
	a->session_ttl_ns = (uint64_t)ttl_s * NS;
	refresh(a, 0);
	if (!a->keys) {
		err_set(err, errlen, ERR_STORE, "cannot read the API keys of %s", dir);
		auth_close(a);
		return NULL;
	}
	return a;
}

void auth_close(struct auth *a)
{
	if (!a)
		return;
	sqlite3_close_v2(a->db);
	pthread_mutex_destroy(&a->lock);
	free(a->keys);
	free(a);
}

static int is_on_locked(struct auth *a)
{
	return a->mode == AUTH_REQUIRED || (a->mode == AUTH_AUTO && a->nkeys > 0);
}

int auth_is_on(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	refresh(a, AUTH_RECHECK_MS * 1000000ull);
	int on = is_on_locked(a);
	pthread_mutex_unlock(&a->lock);
	return on;
}

int auth_key_count(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	refresh(a, AUTH_RECHECK_MS * 1000000ull);
	int n = a->nkeys;
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* Under the lock: the cached key whose hash is h, or NULL. The binary
 * search's timing depends only on SHA-256 outputs of what the client sent,
 * which say nothing usable about a stored key (finding a key from them
 * means inverting SHA-256); the final match is compared in constant time.
 * Measured with 1,000 keys: 38 us per check scanning every hash with
 * mbedtls_ct_memcmp, under 2 us searching. */
static struct cached_key *find_key(struct auth *a, const unsigned char h[SECRET_HASH_SIZE])
{
	struct cached_key probe;
	memcpy(probe.row.hash, h, SECRET_HASH_SIZE);
	struct cached_key *k = a->nkeys ? bsearch(&probe, a->keys, (size_t)a->nkeys, sizeof *a->keys, by_hash) : NULL;
	return k && secret_equal(k->row.hash, h, SECRET_HASH_SIZE) ? k : NULL;
}

static struct cached_key *find_key_id(struct auth *a, int64_t id)
{
	for (int i = 0; i < a->nkeys; i++)
		if (a->keys[i].row.id == id)
			return &a->keys[i];
	return NULL;
}

static const char *need_name(int need)
{
	return need & KEY_SCOPE_DELETE ? "admin" : need & KEY_SCOPE_READ ? "read (or admin)" : "ingest (or admin)";
}

/* Under the lock: stamps k's last use, at most every AUTH_TOUCH_S. */
static void touch(struct auth *a, struct cached_key *k)
{
	uint64_t now = mono_ns();
	if (k->touched_ns && now - k->touched_ns < AUTH_TOUCH_S * NS)
		return;
	k->touched_ns = now;
	keys_touch(a->db, k->row.id, (int64_t)text_now_ns());   /* busy: skipped until the next minute */
}

static void principal_of(const struct key_row *k, int scope, struct auth_principal *out)
{
	memset(out, 0, sizeof *out);
	out->key_id = k ? k->id : 0;
	out->scope = scope;
	snprintf(out->name, sizeof out->name, "%s", k ? k->name : "login-link");
	if (k) {
		snprintf(out->project, sizeof out->project, "%s", k->project);
		snprintf(out->public_id, sizeof out->public_id, "%s", k->public_id);
	}
}

static _Thread_local struct auth_principal current;
static _Thread_local int has_current;

void auth_current_set(const struct auth_principal *p)
{
	has_current = p != NULL;
	if (p)
		current = *p;
}

const struct auth_principal *auth_current(void)
{
	return has_current ? &current : NULL;
}

/* Takes "Bearer KEY" or a bare KEY; *key and *len are the key's bytes. */
static enum err credential_key(const char *cred, const char **key, size_t *len, char *err, size_t errlen)
{
	if (!cred || !*cred)
		return err_set(err, errlen, ERR_UNAUTHENTICATED,
		               "an API key is required: send 'Authorization: Bearer KEY' or 'x-api-key: KEY'");
	const char *sp = strchr(cred, ' ');
	if (!sp && !strcasecmp(cred, "Bearer"))
		return err_set(err, errlen, ERR_UNAUTHENTICATED, "malformed Authorization: 'Bearer' needs a key after it");
	if (sp) {
		if (sp - cred != 6 || strncasecmp(cred, "Bearer", 6))
			return err_set(err, errlen, ERR_UNAUTHENTICATED, "the Authorization scheme must be Bearer (Authorization: Bearer KEY), or Basic for Langfuse key pairs");
		while (*sp == ' ')
			sp++;
		cred = sp;
	}
	*key = cred;
	*len = strlen(cred);
	while (*len && cred[*len - 1] == ' ')
		(*len)--;
	if (secret_check_text(cred, *len, err, errlen))
		return ERR_UNAUTHENTICATED;
	return ERR_OK;
}

enum err auth_check(struct auth *a, const char *credential, int need, struct auth_principal *out, char *err,
                    size_t errlen)
{
	const char *key = NULL;
	size_t len = 0;
	unsigned char h[SECRET_HASH_SIZE];
	enum err rc = ERR_OK;
	assert(need);
	if (!auth_is_on(a)) {
		principal_of(NULL, KEY_SCOPE_ADMIN, out);
		snprintf(out->name, sizeof out->name, "anonymous");
		return ERR_OK;
	}
	if ((rc = credential_key(credential, &key, &len, err, errlen)))
		return rc;
	secret_hash(key, len, h);
	pthread_mutex_lock(&a->lock);
	struct cached_key *k = find_key(a, h);
	if (!k) {   /* perhaps created a moment ago */
		refresh(a, AUTH_MISS_RECHECK_MS * 1000000ull);
		k = find_key(a, h);
	}
	if (!k)
		rc = err_set(err, errlen, ERR_UNAUTHENTICATED, "unknown or revoked API key");
	else if ((k->row.scope & need) != need)
		rc = err_set(err, errlen, ERR_FORBIDDEN, "key '%s' has scope %s; this needs %s", k->row.name,
		             key_scope_name(k->row.scope), need_name(need));
	else {
		principal_of(&k->row, k->row.scope, out);
		touch(a, k);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* Under the lock: client's backoff slot, a free or the least recent one
 * when create, else NULL if it has none. Idle slots forget their failures. */
static struct throttle *throttle_slot(struct auth *a, const char *client, int create, uint64_t now)
{
	struct throttle *oldest = &a->throttle[0];
	for (int i = 0; i < AUTH_THROTTLE_MAX; i++) {
		struct throttle *t = &a->throttle[i];
		if (t->client[0] && !strcmp(t->client, client)) {
			if (now - t->last_ns > 15 * 60 * NS)
				t->fails = 0;
			return t;
		}
		if (t->last_ns < oldest->last_ns)
			oldest = t;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->client, sizeof oldest->client, "%s", client);
	return oldest;
}

/* Under the lock: a new session for key k (NULL: the link) with scope. */
static void session_new(struct auth *a, const struct key_row *k, int scope, char token[SECRET_TOKEN_HEX],
                        struct auth_principal *out, uint64_t now)
{
	struct session *s = &a->sessions[0];
	for (int i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (a->sessions[i].expires_ns < s->expires_ns)
			s = &a->sessions[i];   /* free (0), expired, or the soonest to expire */
	memset(s, 0, sizeof *s);
	secret_token(token);
	secret_hash(token, strlen(token), s->hash);
	secret_token(s->csrf);
	s->key_id = k ? k->id : 0;
	s->scope = scope;
	snprintf(s->name, sizeof s->name, "%s", k ? k->name : "login-link");
	s->expires_ns = now + a->session_ttl_ns;
	principal_of(k, scope, out);
	out->via_session = 1;
	memcpy(out->csrf, s->csrf, sizeof out->csrf);
}

enum err auth_login(struct auth *a, const char *key, const char *link, const char *client,
                    char token[SECRET_TOKEN_HEX], struct auth_principal *out, int *retry_after_s, char *err,
                    size_t errlen)
{
	unsigned char h[SECRET_HASH_SIZE];
	const char *text = key ? key : link;
	size_t len = text ? strlen(text) : 0;
	enum err rc = ERR_OK;
	uint64_t now = mono_ns();
	assert(!key != !link);
	*retry_after_s = 0;
	pthread_mutex_lock(&a->lock);
	struct throttle *t = throttle_slot(a, client, 0, now);
	if (t && now < t->next_ok_ns) {
		*retry_after_s = (int)((t->next_ok_ns - now + NS - 1) / NS);
		rc = err_set(err, errlen, ERR_SLOW_DOWN, "too many failed logins from %s; try again in %d s", client,
		             *retry_after_s);
		goto out;
	}
	if (secret_check_text(text ? text : "", len, err, errlen)) {
		rc = ERR_UNAUTHENTICATED;
	} else if (key) {
		secret_hash(key, len, h);
		struct cached_key *k = find_key(a, h);
		if (!k) {
			refresh(a, AUTH_MISS_RECHECK_MS * 1000000ull);
			k = find_key(a, h);
		}
		if (!k)
			rc = err_set(err, errlen, ERR_UNAUTHENTICATED, "unknown or revoked API key");
		else if (!(k->row.scope & KEY_SCOPE_READ))
			rc = err_set(err, errlen, ERR_FORBIDDEN, "key '%s' has scope %s; the UI needs a read or admin key",
			             k->row.name, key_scope_name(k->row.scope));
		else {
			touch(a, k);
			session_new(a, &k->row, k->row.scope, token, out, now);
		}
	} else {
		secret_hash(link, len, h);
		int live = a->link_expires_ns > now;
		if (!(secret_equal(h, a->link_hash, SECRET_HASH_SIZE) && live))
			rc = err_set(err, errlen, ERR_UNAUTHENTICATED, "this login link is used, expired or wrong; restart tracelite "
			             "serve for a new one, or log in with a key");
		else {
			a->link_expires_ns = 0;   /* one use */
			session_new(a, NULL, KEY_SCOPE_ADMIN, token, out, now);
		}
	}
	if (rc == ERR_UNAUTHENTICATED) {
		t = throttle_slot(a, client, 1, now);
		t->last_ns = now;
		if (++t->fails >= AUTH_FREE_FAILS) {
			int shift = t->fails - AUTH_FREE_FAILS;
			uint64_t delay = shift >= 6 ? AUTH_MAX_DELAY_S : (1u << shift);
			t->next_ok_ns = now + (delay > AUTH_MAX_DELAY_S ? AUTH_MAX_DELAY_S : delay) * NS;
		}
	} else if (rc == ERR_OK && t) {
		memset(t, 0, sizeof *t);
	}
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* Under the lock: the live session of token, or NULL. */
static struct session *find_session(struct auth *a, const char *token, uint64_t now)
{
	unsigned char h[SECRET_HASH_SIZE];
	struct session *found = NULL;
	if (!token || strlen(token) != SECRET_TOKEN_HEX - 1)
		return NULL;
	secret_hash(token, SECRET_TOKEN_HEX - 1, h);
	for (int i = 0; i < AUTH_SESSIONS_MAX; i++)
		if (secret_equal(a->sessions[i].hash, h, SECRET_HASH_SIZE) && a->sessions[i].expires_ns > now)
			found = &a->sessions[i];
	return found;
}

enum err auth_session(struct auth *a, const char *token, int need, int state_changing, const char *csrf,
                      struct auth_principal *out, char *err, size_t errlen)
{
	enum err rc = ERR_OK;
	uint64_t now = mono_ns();
	pthread_mutex_lock(&a->lock);
	refresh(a, AUTH_RECHECK_MS * 1000000ull);
	struct session *s = find_session(a, token, now);
	struct cached_key *k = s && s->key_id ? find_key_id(a, s->key_id) : NULL;
	if (!s) {
		rc = err_set(err, errlen, ERR_UNAUTHENTICATED, "not logged in, or the session expired: log in again");
		goto out;
	}
	if (s->key_id && !k) {
		memset(s, 0, sizeof *s);
		rc = err_set(err, errlen, ERR_UNAUTHENTICATED, "the key this session logged in with was revoked: log in again");
		goto out;
	}
	int scope = k ? k->row.scope : s->scope;
	if ((scope & need) != need)
		rc = err_set(err, errlen, ERR_FORBIDDEN, "this session has scope %s; this needs %s", key_scope_name(scope),
		             need_name(need));
	else if (state_changing && (!csrf || strlen(csrf) != SECRET_TOKEN_HEX - 1 ||
	                            !secret_equal(csrf, s->csrf, SECRET_TOKEN_HEX - 1)))
		rc = err_set(err, errlen, ERR_FORBIDDEN,
		             "missing or wrong X-CSRF-Token header (a browser session's changes need the token "
		             "GET /api/session returns)");
	else {
		principal_of(k ? &k->row : NULL, scope, out);
		out->via_session = 1;
		memcpy(out->csrf, s->csrf, sizeof out->csrf);
	}
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void auth_logout(struct auth *a, const char *token)
{
	pthread_mutex_lock(&a->lock);
	struct session *s = find_session(a, token, mono_ns());
	if (s)
		memset(s, 0, sizeof *s);
	pthread_mutex_unlock(&a->lock);
}

void auth_link_create(struct auth *a, char token[SECRET_TOKEN_HEX])
{
	secret_token(token);
	pthread_mutex_lock(&a->lock);
	secret_hash(token, strlen(token), a->link_hash);
	a->link_expires_ns = mono_ns() + AUTH_LINK_TTL_S * NS;
	pthread_mutex_unlock(&a->lock);
}

static struct auth *global;

void auth_set_global(struct auth *a)
{
	global = a;
}

enum err auth_grpc_hook(const char *authorization, const char *scope, char *project, size_t projectlen, char *err,
                        size_t errlen)
{
	struct auth_principal p;
	int need = key_scope_parse(scope);
	if (projectlen)
		project[0] = 0;
	if (!global)
		return ERR_OK;
	if (!need)
		return err_set(err, errlen, ERR_FORBIDDEN, "unknown scope '%s'", scope);
	enum err rc = auth_check(global, authorization, need == KEY_SCOPE_ADMIN ? KEY_SCOPE_DELETE : need, &p, err, errlen);
	if (!rc && projectlen)
		snprintf(project, projectlen, "%s", p.project);
	return rc;
}
