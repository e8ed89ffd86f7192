/* keys.c: `tracelite keys create|list|revoke`: API keys in the store of
 * --data (store/keys.h), safe while a server runs on it (it sees changes
 * within AUTH_RECHECK_MS). A new key is printed once and only its SHA-256
 * is stored. */
#include "cmd/cmd.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/datadir.h"
#include "base/secret.h"
#include "base/text.h"
#include "store/keys.h"
#include "store/store.h"

/* Every key starts with this, so secret scanners and people recognise it. */
#define KEY_PREFIX "tl_"

static void usage(FILE *f)
{
	fputs("usage: tracelite keys create --name NAME --scope ingest|read|admin [--project NAME] [--langfuse] [--data DIR]\n"
	      "       tracelite keys list [--data DIR]\n"
	      "       tracelite keys revoke NAME [--data DIR]\n"
	      "  create prints the new key once, on the last line (only a hash is stored). Scopes: ingest sends\n"
	      "  data; read uses the API and UI; admin does both and deletes. Safe while a server runs on DIR:\n"
	      "  it sees new and revoked keys at once. Once a key exists, every request needs one\n"
	      "  (Authorization: Bearer KEY or x-api-key: KEY); see docs/auth.md.\n"
	      "  --langfuse  a Langfuse pair: LANGFUSE_PUBLIC_KEY (pk-lf-...) and the secret key (sk-lf-..., last\n"
	      "              line) for Basic credentials; data goes to --project (else the default project)\n"
	      "  --data DIR  data directory (env TRACELITE_DATA; default ./data)\n",
	      f);
}

struct opts {
	char data[DATADIR_MAX];
	const char *name, *scope, *project;
	int langfuse;                /* --langfuse: a pk-lf-/sk-lf- pair */
};

static int create(sqlite3 *db, const struct opts *o)
{
	struct key_row k;
	char err[512], key[16 + SECRET_TOKEN_HEX];
	memset(&k, 0, sizeof k);
	if (!o->name || !o->scope) {
		fprintf(stderr, "tracelite keys create: --name and --scope are required\n");
		return 2;
	}
	if (!(k.scope = key_scope_parse(o->scope))) {
		fprintf(stderr, "tracelite keys create: --scope: expected ingest, read or admin, got '%s'\n", o->scope);
		return 2;
	}
	if (key_name_check(o->name, err, sizeof err)) {
		fprintf(stderr, "tracelite keys create: --name: %s\n", err);
		return 2;
	}
	if (o->project && (!*o->project || strlen(o->project) > KEY_PROJECT_MAX)) {
		fprintf(stderr, "tracelite keys create: --project: 1..%d bytes\n", KEY_PROJECT_MAX);
		return 2;
	}
	snprintf(k.name, sizeof k.name, "%s", o->name);
	snprintf(k.project, sizeof k.project, "%s", o->project ? o->project : "");
	const char *prefix = o->langfuse ? "sk-lf-" : KEY_PREFIX;
	memcpy(key, prefix, strlen(prefix));
	secret_token(key + strlen(prefix));
	if (o->langfuse) {   /* the public half names the key, in clear, like Langfuse's */
		char pub[SECRET_TOKEN_HEX];
		secret_token(pub);
		snprintf(k.public_id, sizeof k.public_id, "pk-lf-%.32s", pub);
	}
	secret_hash(key, strlen(key), k.hash);
	k.created_ns = (int64_t)text_now_ns();
	if (keys_add(db, &k, err, sizeof err)) {
		fprintf(stderr, "tracelite keys create: %s\n", err);
		return 1;
	}
	if (k.public_id[0])
		printf("created Langfuse key pair '%s' (scope %s%s%s) in %s; the secret key (last line) is shown only "
		       "now:\nLANGFUSE_PUBLIC_KEY=%s\n%s\n",
		       k.name, key_scope_name(k.scope), k.project[0] ? ", project " : "", k.project, o->data, k.public_id, key);
	else
		printf("created key '%s' (scope %s%s%s) in %s; it is shown only now, store it safely:\n%s\n", k.name,
		       key_scope_name(k.scope), k.project[0] ? ", project " : "", k.project, o->data, key);
	memset(key, 0, sizeof key);
	return 0;
}

static int print_row(void *ctx, const struct key_row *k)
{
	char created[TEXT_ISO_MS_SIZE], used[TEXT_ISO_MS_SIZE];
	(*(int *)ctx)++;
	text_format_iso_ms((uint64_t)k->created_ns, created);
	if (k->last_used_ns)
		text_format_iso_ms((uint64_t)k->last_used_ns, used);
	else
		snprintf(used, sizeof used, "never");
	printf("%-24s %-7s %-24s %-24s %-16s %s\n", k->name, key_scope_name(k->scope), created, used,
	       k->project[0] ? k->project : "-", k->public_id[0] ? k->public_id : "-");
	return 0;
}

static int list(sqlite3 *db)
{
	char err[512];
	int n = 0;
	printf("%-24s %-7s %-24s %-24s %-16s %s\n", "NAME", "SCOPE", "CREATED", "LAST USED", "PROJECT", "PUBLIC KEY");
	if (keys_each(db, print_row, &n, err, sizeof err)) {
		fprintf(stderr, "tracelite keys list: %s\n", err);
		return 1;
	}
	if (!n)
		printf("(no keys: authentication is off unless serve has --auth required)\n");
	return 0;
}

static int revoke(sqlite3 *db, const char *name)
{
	char err[512];
	enum err rc = keys_revoke(db, name, err, sizeof err);
	if (rc) {
		fprintf(stderr, "tracelite keys revoke: %s\n", err);
		return 1;
	}
	printf("revoked key '%s'\n", name);
	return 0;
}

int cmd_keys(int argc, char **argv)
{
	struct opts o = {0};
	const char *sub = argc > 0 ? argv[0] : "", *target = NULL;
	char err[512];
	sqlite3 *db = NULL;
	int rc = 2;
	if (datadir_default(o.data, err, sizeof err)) {
		fprintf(stderr, "tracelite keys: %s\n", err);
		return 2;
	}
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}
	if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke")) {
		fprintf(stderr, "tracelite keys: expected create, list or revoke%s%s\n", *sub ? ", got " : "", sub);
		usage(stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (a[0] != '-' && !strcmp(sub, "revoke") && !target) {
			target = a;
			continue;
		}
		if (!strcmp(a, "--langfuse") && !strcmp(sub, "create")) {
			o.langfuse = 1;
			continue;
		}
		if (!v || (strcmp(a, "--data") && (strcmp(sub, "create") ||
		                                   (strcmp(a, "--name") && strcmp(a, "--scope") && strcmp(a, "--project"))))) {
			fprintf(stderr, "tracelite keys %s: %s: unknown flag or missing value\n", sub, a);
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--name"))
			o.name = v;
		else if (!strcmp(a, "--scope"))
			o.scope = v;
		else if (!strcmp(a, "--project"))
			o.project = v;
		else if (datadir_set(o.data, v, "--data", err, sizeof err)) {
			fprintf(stderr, "tracelite keys: %s\n", err);
			return 2;
		}
	}
	if (!strcmp(sub, "revoke") && !target) {
		fprintf(stderr, "tracelite keys revoke: which key? (tracelite keys revoke NAME)\n");
		return 2;
	}
	struct stat sb;
	if (strcmp(sub, "create") && (stat(o.data, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		fprintf(stderr, "tracelite keys %s: no data directory %s\n", sub, o.data);
		return 2;
	}
	if (store_open_writer(o.data, &db, err, sizeof err)) {
		fprintf(stderr, "tracelite keys: %s\n", err);
		return 1;
	}
	if (!strcmp(sub, "create"))
		rc = create(db, &o);
	else if (!strcmp(sub, "list"))
		rc = list(db);
	else
		rc = revoke(db, target);
	sqlite3_close_v2(db);
	return rc;
}
