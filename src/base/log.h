/* log.h: the one way the server writes a log line, to stderr: as text
 * ("tracelite: MESSAGE") or, after log_set_json(1) (--log-format json),
 * one JSON object per line: {"time","level","msg","fields":{"component",
 * and any key/value pairs}}. A line is written with one call, so lines of
 * threads never interleave. */
#ifndef TL_LOG_H
#define TL_LOG_H

enum log_level { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERROR };

/* Longest message kept (longer ones are cut, with "..." at the end). */
#define LOG_MSG_MAX 2048

/* Chooses JSON (on != 0) or text lines for every later line. Call before
 * threads start. */
void log_set_json(int on);
/* Returns 1 when lines are JSON. */
int log_is_json(void);
/* Writes one line: the printf-formatted message; component (may be NULL)
 * and kv ("key", "value", ... NULL, or NULL) go into the JSON fields and
 * are not shown in text lines. */
void log_write(enum log_level lv, const char *component, const char *const *kv, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_info(component, ...) log_write(LOGL_INFO, (component), NULL, __VA_ARGS__)
#define log_warn(component, ...) log_write(LOGL_WARN, (component), NULL, __VA_ARGS__)
#define log_error(component, ...) log_write(LOGL_ERROR, (component), NULL, __VA_ARGS__)

#endif
