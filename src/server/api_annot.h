/* api_annot.h: annotations over HTTP (issue 14 item 4): score configs,
 * editing and deleting annotations (scores with source "annotation"). The
 * rules are store/annot.h's; POST /api/scores checks annotations against
 * their config in receive.c (annot_check_batch). */
#ifndef TL_API_ANNOT_H
#define TL_API_ANNOT_H
#include <civetweb.h>
#include "server/app.h"

/* GET /api/score-configs: {"items":[configs]} by name. */
handler_fn api_score_configs;
/* POST /api/score-configs: creates or replaces a config by name; 200 with
 * the configs, 400 naming a bad field. */
handler_fn api_score_config_put;
/* DELETE /api/score-configs/{name}: 200 {"deleted":1}, 404 if none. */
handler_fn api_score_config_delete;
/* PATCH /api/scores/{id}: changes value, string_value and/or comment of an
 * annotation; 403 for any other score, 400 when its config is violated. */
handler_fn api_score_patch;
/* DELETE /api/scores/{id}: deletes an annotation; 403 for any other score. */
handler_fn api_score_delete;

#endif
