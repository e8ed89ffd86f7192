/* api_annot.h: annotations over HTTP (issue 14 item 4): score configs,
 * editing and deleting annotations (scores with source "annotation"), and
 * the config check POST /api/scores runs on annotations before they are
 * written. The rules are store/annot.h's. */
#ifndef TL_API_ANNOT_H
#define TL_API_ANNOT_H
#include <civetweb.h>
#include "ingest/span.h"
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
/* Checks every annotation of b against its config (annot_check) on this
 * thread's reader. Returns ERR_OK, ERR_BAD_INPUT naming the score's index
 * and config, or ERR_STORE, with err filled. */
enum err api_annot_check_batch(struct app *app, struct span_batch *b, char *err, size_t errlen);

#endif
