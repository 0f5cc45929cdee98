/* Lists of strings in config values: "a", "b\n" with C escapes (\n \t \r
 * \\ \" \xHH); a value without quotes is one string taken literally. */
#ifndef PLUME_CORE_STRLIST_H
#define PLUME_CORE_STRLIST_H

#include <stddef.h>

#include "error.h"

/* *out: malloc'ed array of malloc'ed strings; free with plume_strlist_free. */
int plume_strlist_parse(const char *value, const char *what, char ***out, size_t *n,
			struct plume_error *err);
void plume_strlist_free(char **list, size_t n);



/* Expand ${NAME} from the environment and a leading "~/" ($HOME).
 * ${PLUME_MODEL_DIR} and ${PLUME_CACHE} default to the plume cache
 * ($XDG_CACHE_HOME or ~/.cache, then /plume[/models]) when unset.
 * Returns a malloc'ed string or NULL (out of memory). */
char *plume_expand_path(const char *s);
#endif
