/* log.c: text or JSON log lines on stderr (log.h), JSON through the one
 * JSON writer (base/json.h) so messages with any bytes stay valid JSON. */
#include "base/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/json.h"
#include "base/text.h"

static int json_lines;

void log_set_json(int on)
{
	json_lines = on != 0;
}

int log_is_json(void)
{
	return json_lines;
}

void log_write(enum log_level lv, const char *component, const char *const *kv, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	char msg[LOG_MSG_MAX], when[TEXT_ISO_MS_SIZE];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof msg)
		memcpy(msg + sizeof msg - 4, "...", 4);
	size_t len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = 0;
	if (!json_lines) {
		fprintf(stderr, "tracelite: %s\n", msg);
		return;
	}
	struct jbuf b;
	jbuf_init(&b, JBUF_NO_CAP);
	text_format_iso_ms(text_now_ns(), when);
	jbuf_lit(&b, "{\"time\":");
	json_strz(&b, when);
	jbuf_lit(&b, ",\"level\":");
	json_strz(&b, names[lv]);
	jbuf_lit(&b, ",\"msg\":");
	json_str(&b, msg, len);
	jbuf_lit(&b, ",\"fields\":{");
	int first = 1;
	if (component) {
		jbuf_lit(&b, "\"component\":");
		json_strz(&b, component);
		first = 0;
	}
	for (int i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
		if (!first)
			jbuf_putc(&b, ',');
		json_strz(&b, kv[i]);
		jbuf_putc(&b, ':');
		json_strz(&b, kv[i + 1]);
		first = 0;
	}
	jbuf_lit(&b, "}}\n");
	size_t outlen;
	char *out = jbuf_finish(&b, &outlen);
	fwrite(out, 1, outlen, stderr);
	free(out);
}
