/* annot.h: annotations (issue 14 item 4): score configs (schema/009) and the
 * rules an annotation (a score with source "annotation") follows: its value
 * fits its config, and only annotations may be edited or deleted. Writes go
 * through the writer (writer_exec); a changed score takes a new change
 * sequence number so replication sends its new state. */
#ifndef TL_ANNOT_H
#define TL_ANNOT_H
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include "base/err.h"
#include "ingest/span.h"
#include "store/writer.h"

#define ANNOT_SOURCE "annotation"
#define ANNOT_CATEGORIES_MAX 100     /* allowed categories per config */
#define ANNOT_CATEGORY_MAX 200       /* bytes per category */
#define ANNOT_COMMENT_MAX 10000      /* bytes of an edited comment or label */

struct score_config {
	const char *name;            /* 1..SPAN_MAX_NAME bytes */
	const char *type;            /* "numeric", "boolean" or "categorical" */
	int has_min, has_max;        /* numeric only */
	double min, max;
	const cJSON *categories;     /* categorical: array of 1..ANNOT_CATEGORIES_MAX strings */
	const char *description;     /* NULL: none */
};

/* What PATCH /api/scores/{id} changes: each field only when its has_ flag is set. */
struct score_edit {
	const char *id;
	int has_value, has_string, has_comment;
	int value_null;              /* has_value: set value to NULL */
	double value;
	const char *string_value;    /* NULL clears */
	const char *comment;         /* NULL clears */
};

/* Creates or replaces config c (by name). Returns ERR_OK, ERR_BAD_INPUT
 * (err names the field: unknown type, min > max, bad categories), or the
 * writer's error. */
enum err annot_config_put(struct writer *w, const struct score_config *c, char *err, size_t errlen);
/* Deletes config name; ERR_NOT_FOUND if there is none. Annotations made
 * under it stay. */
enum err annot_config_delete(struct writer *w, const char *name, char *err, size_t errlen);
/* {"items":[{name, type, min, max, categories, description, created_at}]} by name. */
enum err annot_configs_json(sqlite3 *db, cJSON **out);
/* Checks annotation s (source "annotation"; any other score passes) against
 * the config of its name, if any, and sets its score_type to the config's.
 * Returns ERR_OK or ERR_BAD_INPUT with err naming the config. */
enum err annot_check(sqlite3 *db, struct score *s, char *err, size_t errlen);
/* annot_check on every annotation of b, on reader db (NULL: the store
 * could not be opened, an error only if b holds an annotation). Returns
 * ERR_OK, ERR_BAD_INPUT naming the score's index and config, or ERR_STORE. */
enum err annot_check_batch(sqlite3 *db, struct span_batch *b, char *err, size_t errlen);
/* Applies e to annotation e->id, checked against its config, with a new
 * change sequence number. ERR_NOT_FOUND (no such score), ERR_FORBIDDEN (not
 * an annotation), ERR_BAD_INPUT (config violated), with err filled. */
enum err annot_score_edit(struct writer *w, const struct score_edit *e, char *err, size_t errlen);
/* Deletes annotation id and logs it in deletions (with its score_id) so
 * replication deletes it on the targets; errors as annot_score_edit. */
enum err annot_score_delete(struct writer *w, const char *id, char *err, size_t errlen);

#endif
