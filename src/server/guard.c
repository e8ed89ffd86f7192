/* guard.c: request checks before routing: body framing, Host, CORS origin. */
#include "server/guard.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "base/err.h"

#define DIGITS "0123456789"

/* Content-Length and Transfer-Encoding must give one body length: behind a
 * proxy that reads the other one, a second request would hide in this one's
 * body. civetweb 1.15 itself refuses a Transfer-Encoding other than chunked
 * or identity, but takes chunked over Content-Length and reads only the
 * first Content-Length. */
static const char *framing_problem(const struct mg_request_info *ri)
{
	const char *cl = NULL;
	int te = 0;
	for (int i = 0; i < ri->num_headers; i++) {
		const char *name = ri->http_headers[i].name, *v = ri->http_headers[i].value;
		if (!strcasecmp(name, "Transfer-Encoding")) {
			if (te++ || strcasecmp(v, "chunked"))
				return "Transfer-Encoding must be exactly chunked, once";
		} else if (!strcasecmp(name, "Content-Length")) {
			if (!*v || v[strspn(v, DIGITS)])
				return "Content-Length must be a decimal number";
			if (cl && strcmp(cl, v))
				return "two different Content-Length headers";
			cl = v;
		}
	}
	return te && cl ? "both Content-Length and Transfer-Encoding" : NULL;
}

int guard_host_allowed(const struct config *cfg, const char *host)
{
	size_t len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
	const char *port = host + len;
	if (host[0] == '[' && !strchr(host, ']'))
		return 0;
	if (*port && (port[0] != ':' || !port[1] || port[1 + strspn(port + 1, DIGITS)]))
		return 0;
	if (config_host_is_loopback(host, len))
		return 1;
	size_t listen_len = (size_t)(strrchr(cfg->listen, ':') - cfg->listen);
	if (len == listen_len && !strncasecmp(host, cfg->listen, len) && !config_is_any_address(cfg->listen))
		return 1;
	for (int i = 0; i < cfg->allow_hosts.n; i++) {
		const char *name = cfg->allow_hosts.item[i];
		if (!strcmp(name, "*") || (strlen(name) == len && !strncasecmp(host, name, len)))
			return 1;
	}
	return 0;
}

int guard_check(const struct mg_connection *c, const struct config *cfg, char *err, size_t errlen)
{
	const char *why = framing_problem(mg_get_request_info(c)), *host = mg_get_header(c, "Host");
	if (why) {
		err_set(err, errlen, ERR_BAD_INPUT, "ambiguous request body: %s", why);
		return 400;
	}
	if (!host || guard_host_allowed(cfg, host))
		return 0;
	int name_len = (int)(host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":"));
	err_set(err, errlen, ERR_BAD_INPUT,
	        "Host '%.200s' does not name this server (a guard against DNS rebinding); to answer it, start "
	        "tracelite with --allow-host %.*s%s",
	        host, name_len > 200 ? 200 : name_len, host,
	        config_is_any_address(cfg->listen)
	            ? " (listening on every address answers only loopback names and those given with "
	              "--allow-host NAME, or --allow-host '*' for any)"
	            : "");
	return 403;
}

int guard_cors(const struct mg_connection *c, const struct config *cfg, int preflight, char *headers, size_t len)
{
	const char *origin = mg_get_header(c, "Origin");
	headers[0] = 0;
	for (int i = 0; origin && i < cfg->cors_origins.n; i++) {
		if (strcmp(origin, cfg->cors_origins.item[i]))
			continue;
		snprintf(headers, len, "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n%s", cfg->cors_origins.item[i],
		         preflight ? "Access-Control-Allow-Methods: GET, POST, HEAD\r\n"
		                     "Access-Control-Allow-Headers: content-type, content-encoding, x-project-id, "
		                     "authorization, x-api-key\r\nAccess-Control-Max-Age: 600\r\n"
		                   : "");
		return 1;
	}
	return 0;
}
