/* api_people.h: GET /api/sessions, /api/sessions/{id}, /api/users,
 * /api/users/{id} and /api/scores/summary. They take the trace-list
 * parameters (project, from, to, service, name, status, model, session_id,
 * user_id, min/max_duration_ms); the lists page with limit and cursor. */
#ifndef TL_API_PEOPLE_H
#define TL_API_PEOPLE_H
#include <civetweb.h>
#include "server/app.h"

void api_sessions(struct mg_connection *c, struct app *app, const char *tail);
void api_session(struct mg_connection *c, struct app *app, const char *tail);
void api_users(struct mg_connection *c, struct app *app, const char *tail);
void api_user(struct mg_connection *c, struct app *app, const char *tail);
void api_scores_summary(struct mg_connection *c, struct app *app, const char *tail);

#endif
