/* auth.h: who may do what, for every transport (HTTP here, gRPC later):
 * API keys (the store's api_keys table, cached and re-read when its change
 * counter moves), browser sessions in memory, the one-time login link and
 * the failed-login backoff. No civetweb: auth_http.h is the HTTP glue. */
#ifndef TL_AUTH_H
#define TL_AUTH_H
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "base/secret.h"
#include "store/keys.h"

enum auth_mode {
	AUTH_AUTO = 0,       /* on while the store has at least one key */
	AUTH_REQUIRED,       /* always on (no keys: only the login link gets in) */
	AUTH_OFF,            /* never on; only for a loopback --listen */
};

#define AUTH_SESSIONS_MAX 256           /* browser sessions kept; the oldest goes first */
#define AUTH_SESSION_TTL_S (12 * 3600)  /* a session lasts this long from login */
#define AUTH_LINK_TTL_S (15 * 60)       /* the login link printed at start */
#define AUTH_RECHECK_MS 200             /* the key table's counter is read at most this often */
#define AUTH_MISS_RECHECK_MS 0          /* an unknown key rereads the counter (one row) at once */
#define AUTH_TOUCH_S 60                 /* last_used is written at most this often per key */
#define AUTH_THROTTLE_MAX 256           /* client addresses tracked for failed logins */
#define AUTH_FREE_FAILS 5               /* failed logins before the backoff starts */
#define AUTH_MAX_DELAY_S 60             /* the longest backoff */

struct auth;

struct auth_principal {
	int64_t key_id;                     /* 0: the login link's session, or auth off */
	int scope;                          /* enum key_scope bits */
	char name[KEY_NAME_MAX + 1];        /* the key's name, "login-link" or "anonymous" */
	char project[KEY_PROJECT_MAX + 1];  /* the key's project, "" = any */
	char public_id[KEY_PUBLIC_MAX + 1]; /* the key's public half (Langfuse pk-lf-...), "" = none */
	int via_session;                    /* 1 when a session cookie authenticated it */
	char csrf[SECRET_TOKEN_HEX];        /* the session's CSRF token ("" without session) */
};

/* Opens the key table of the store in dir (migrating it if needed) on a
 * connection of its own. Returns NULL with err filled if it cannot. */
struct auth *auth_open(const char *dir, enum auth_mode mode, char *err, size_t errlen);
/* Frees a (NULL is fine). */
void auth_close(struct auth *a);
/* Parses "auto", "required" or "off". Returns ERR_OK or ERR_BAD_INPUT. */
enum err auth_mode_parse(const char *s, enum auth_mode *out);
/* Returns "auto", "required" or "off". */
const char *auth_mode_name(enum auth_mode m);
/* Returns 1 if requests need credentials now (the mode, and for
 * AUTH_AUTO whether a key exists; re-reads the table if due). */
int auth_is_on(struct auth *a);
/* Returns the number of keys (re-reads the table if due). */
int auth_key_count(struct auth *a);

/* Authenticates credential, an Authorization header value ("Bearer KEY",
 * the scheme in any case) or a bare key (x-api-key), for a request that
 * needs the scope bits need. Returns ERR_OK with *out filled (auth off:
 * "anonymous" with every scope), ERR_UNAUTHENTICATED (none, not Bearer, malformed,
 * unknown or revoked) or ERR_FORBIDDEN (the key's scope lacks need), with
 * err saying which (never quoting the key). Thread-safe. */
enum err auth_check(struct auth *a, const char *credential, int need, struct auth_principal *out, char *err,
                    size_t errlen);

/* A browser login from client (its address, for the backoff) with a key
 * of scope read or admin, or with link (the token of auth_link_create);
 * exactly one of key and link is non-NULL. Returns ERR_OK with a new
 * session's cookie token in token and *out (csrf set), ERR_UNAUTHENTICATED,
 * ERR_FORBIDDEN (an ingest key) or ERR_SLOW_DOWN with *retry_after_s set
 * (too many failures from client). */
enum err auth_login(struct auth *a, const char *key, const char *link, const char *client,
                    char token[SECRET_TOKEN_HEX], struct auth_principal *out, int *retry_after_s, char *err,
                    size_t errlen);
/* Authenticates a session cookie's token for need. A state-changing
 * request must bring csrf equal to the session's CSRF token. Returns
 * ERR_OK with *out, ERR_UNAUTHENTICATED (unknown, expired, or its key revoked) or
 * ERR_FORBIDDEN (scope, or CSRF). */
enum err auth_session(struct auth *a, const char *token, int need, int state_changing, const char *csrf,
                      struct auth_principal *out, char *err, size_t errlen);
/* Ends the session of token (unknown tokens are ignored). */
void auth_logout(struct auth *a, const char *token);
/* Remembers p (NULL: none) as the principal of the request this thread
 * serves, for handlers that need more than yes or no (a key's project). */
void auth_current_set(const struct auth_principal *p);
/* Returns the principal auth_current_set left on this thread, or NULL
 * (auth off, or a public route). */
const struct auth_principal *auth_current(void);
/* Sets the instance auth_grpc_hook checks against (the gRPC hook has
 * no context pointer); NULL: every call allowed. */
void auth_set_global(struct auth *a);
/* The gRPC server's authorization hook (grpc_auth_fn in grpc.h): checks
 * authorization ("Bearer KEY", or NULL) for scope ("ingest", "read" or
 * "admin") against the auth_set_global instance. Returns ERR_OK with the
 * key's project in project ("" if none), ERR_UNAUTHENTICATED or
 * ERR_FORBIDDEN with err. Takes the auth mutex (microseconds; a key's
 * last-use stamp, once a minute, may wait up to 50 ms for the store). */
enum err auth_grpc_hook(const char *authorization, const char *scope, char *project, size_t projectlen, char *err,
                        size_t errlen);
/* Makes a new one-time login link token (admin scope; replaces any
 * earlier one; AUTH_LINK_TTL_S to live). */
void auth_link_create(struct auth *a, char token[SECRET_TOKEN_HEX]);

#endif
