/* api_people.h: GET /api/sessions, /api/sessions/{id}, /api/users,
 * /api/users/{id} and /api/scores/summary. They take the trace-list
 * parameters (project, from, to, service, name, status, model, session_id,
 * user_id, min/max_duration_ms); the lists page with limit and cursor. */
#ifndef TL_API_PEOPLE_H
#define TL_API_PEOPLE_H
#include <civetweb.h>
#include "server/app.h"

handler_fn api_sessions;
handler_fn api_session;
handler_fn api_users;
handler_fn api_user;
handler_fn api_scores_summary;

#endif
