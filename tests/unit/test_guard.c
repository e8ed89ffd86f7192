/* test_guard.c: --listen parsing and the loopback check, --cors-origin and
 * --allow-host values, and which Host header values a server answers. */
#include "test.h"
#include "server/config.h"
#include "base/err.h"
#include "server/guard.h"

/* config_load over the given flags (NULL-terminated); returns its result. */
static int load(struct config *c, char *err, const char **flags)
{
	int n = 0;
	while (flags[n])
		n++;
	int help;
	return config_load(c, n, (char **)flags, &help, err, 512);
}

static void listen_ok(const char *listen, int loopback, int any)
{
	struct config c;
	char err[512] = "";
	const char *flags[] = {"--listen", listen, "--allow-remote", NULL};
	CHECK(load(&c, err, flags) == ERR_OK, "--listen %s: %s", listen, err);
	CHECK(config_is_loopback(c.listen) == loopback, "%s loopback", listen);
	CHECK(config_is_any_address(c.listen) == any, "%s any", listen);
}

static void refused(const char *flag, const char *value, const char *mention)
{
	struct config c;
	char err[512] = "";
	const char *flags[] = {flag, value, "--allow-remote", NULL};
	CHECK(load(&c, err, flags) == ERR_BAD_INPUT && strstr(err, mention), "%s %s: '%s'", flag, value, err);
}

static void host(const struct config *c, const char *h, int want)
{
	CHECK(guard_host_allowed(c, h) == want, "Host %s under --listen %s", h, c->listen);
}

int main(void)
{
	listen_ok("127.0.0.1:4318", 1, 0);
	listen_ok("127.9.8.7:1", 1, 0);
	listen_ok("localhost:4318", 1, 0);
	listen_ok("[::1]:4318", 1, 0);
	listen_ok("0.0.0.0:4318", 0, 1);
	listen_ok("[::]:4318", 0, 1);
	listen_ok("192.168.1.5:4318", 0, 0);
	refused("--listen", "127.0.0.1:4318,0.0.0.0:4319", "comma");
	refused("--listen", "127.0.0.1:4318s", "suffix");
	refused("--listen", "127.0.0.1:+4318", "'+'");
	refused("--listen", "127.0.0.1: 4318", "PORT");
	refused("--listen", "127.0.0.1:0", "PORT");
	refused("--listen", "128.0.0.1.example:80", "HOST");
	refused("--listen", "::1:4318", "brackets");
	refused("--listen", "[::1]", "HOST:PORT");
	refused("--threads", "1", "2..4096");
	refused("--cors-origin", "*", "origin");
	refused("--cors-origin", "http://a.example/", "origin");
	refused("--cors-origin", "a.example", "origin");
	refused("--allow-host", "a.example:80", "without port");

	struct config c;
	char err[512] = "";
	const char *plain[] = {NULL};
	CHECK(load(&c, err, plain) == ERR_OK, "%s", err);
	CHECK(c.threads == 256, "default threads %d", c.threads);
	host(&c, "127.0.0.1:4318", 1);
	host(&c, "127.0.0.1", 1);
	host(&c, "localhost:80", 1);
	host(&c, "LocalHost", 1);
	host(&c, "[::1]:4318", 1);
	host(&c, "evil.example", 0);
	host(&c, "evil.example:4318", 0);
	host(&c, "localhost.evil.example", 0);
	host(&c, "127.0.0.1.evil.example", 0);
	host(&c, "localhost:80x", 0);
	host(&c, "[::1", 0);
	host(&c, "", 0);

	const char *lan[] = {"--listen", "192.168.1.5:4318", "--allow-remote", "--allow-host", "tl.internal", NULL};
	CHECK(load(&c, err, lan) == ERR_OK, "%s", err);
	host(&c, "192.168.1.5:4318", 1);
	host(&c, "TL.internal:4318", 1);
	host(&c, "other.internal", 0);

	const char *any[] = {"--listen", "0.0.0.0:4318", "--allow-remote", NULL};
	CHECK(load(&c, err, any) == ERR_OK, "%s", err);
	host(&c, "0.0.0.0:4318", 0);
	host(&c, "localhost:4318", 1);
	const char *star[] = {"--listen", "0.0.0.0:4318", "--allow-remote", "--allow-host", "*", NULL};
	CHECK(load(&c, err, star) == ERR_OK, "%s", err);
	host(&c, "anything.example", 1);

	return test_done();
}
