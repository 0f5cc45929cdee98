/* A minimal JSON reader for the golden test: parses a whole document into a
 * tree of values (objects keep their keys in order), enough for the
 * reference data in tests/data/golden and for the plume CLI's --json output.
 * Strings are decoded to UTF-8 (\uXXXX escapes and surrogate pairs included).
 * Not a general-purpose library: no streaming, no duplicate-key checks. */
#ifndef PLUME_TEST_JSON_H
#define PLUME_TEST_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	double num;	       /* JSON_NUM, JSON_BOOL (0 or 1) */
	char *str;	       /* JSON_STR: NUL-terminated UTF-8, owned */
	size_t n;	       /* JSON_ARR, JSON_OBJ: number of members */
	struct json *items;    /* (n) members, owned */
	char **keys;	       /* JSON_OBJ: (n) keys, owned */
};

/* Parses text into *out (free with json_free). Returns 0, or -1 with a
 * one-line message naming the byte offset in err. */
int json_parse(const char *text, struct json *out, char *err, size_t err_size);
void json_free(struct json *v);

/* Member of an object by key, or NULL (also when v is not an object). */
const struct json *json_get(const struct json *v, const char *key);
/* Element i of an array, or NULL. */
const struct json *json_at(const struct json *v, size_t i);

#endif
