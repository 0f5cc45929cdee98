/* Minimal recursive-descent JSON reader for the golden test (see json.h). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
	const char *s, *p;
	char *err;
	size_t err_size;
};

static int fail(struct parser *ps, const char *what)
{
	snprintf(ps->err, ps->err_size, "json: %s at byte %zu", what, (size_t)(ps->p - ps->s));
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote; decodes into a fresh buffer (never longer than the
 * escaped source). */
static int parse_string(struct parser *ps, char **out)
{
	const char *end = ++ps->p;
	char *buf, *o;

	while (*end && *end != '"')
		end += (*end == '\\' && end[1]) ? 2 : 1;
	if (!*end)
		return fail(ps, "unterminated string");
	buf = o = malloc((size_t)(end - ps->p) + 1);
	if (!buf)
		return fail(ps, "out of memory");
	while (ps->p < end) {
		unsigned cp, lo;
		char c = *ps->p++;

		if (c != '\\') {
			*o++ = c;
			continue;
		}
		switch (c = *ps->p++) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case '"': case '\\': case '/': *o++ = c; break;
		case 'u':
			if (ps->p + 4 > end || hex4(ps->p, &cp))
				goto bad;
			ps->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && ps->p + 6 <= end && ps->p[0] == '\\' &&
			    ps->p[1] == 'u' && !hex4(ps->p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				ps->p += 6;
			}
			o += put_utf8(o, cp);
			break;
		default:
			goto bad;
		}
	}
	*o = 0;
	ps->p = end + 1;
	*out = buf;
	return 0;
bad:
	free(buf);
	return fail(ps, "bad escape in string");
}

static int parse_value(struct parser *ps, struct json *v, int depth);

/* Arrays and objects: members separated by commas up to the closing char. */
static int parse_members(struct parser *ps, struct json *v, int obj, int depth)
{
	size_t cap = 0;
	char close = obj ? '}' : ']';

	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (v->n == cap) {
			size_t nc = cap ? 2 * cap : 8;
			struct json *ni = realloc(v->items, nc * sizeof(*ni));

			if (!ni)
				return fail(ps, "out of memory");
			v->items = ni;
			if (obj) {
				char **nk = realloc(v->keys, nc * sizeof(*nk));

				if (!nk)
					return fail(ps, "out of memory");
				v->keys = nk;
			}
			cap = nc;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		skip_ws(ps);
		if (obj) {
			if (*ps->p != '"')
				return fail(ps, "expected a key");
			if (parse_string(ps, &v->keys[v->n]))
				return -1;
			skip_ws(ps);
			if (*ps->p++ != ':') {
				free(v->keys[v->n]);
				return fail(ps, "expected ':'");
			}
		}
		if (parse_value(ps, &v->items[v->n], depth + 1)) {
			json_free(&v->items[v->n]);
			if (obj)
				free(v->keys[v->n]);
			return -1;
		}
		v->n++;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p++ == close)
			return 0;
		return fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int parse_value(struct parser *ps, struct json *v, int depth)
{
	char *end;

	memset(v, 0, sizeof(*v));
	if (depth > MAX_DEPTH)
		return fail(ps, "nested too deep");
	skip_ws(ps);
	switch (*ps->p) {
	case '{':
		v->type = JSON_OBJ;
		return parse_members(ps, v, 1, depth);
	case '[':
		v->type = JSON_ARR;
		return parse_members(ps, v, 0, depth);
	case '"':
		v->type = JSON_STR;
		return parse_string(ps, &v->str);
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "null", 4)) {
			v->type = *ps->p == 't' ? JSON_BOOL : JSON_NULL;
			v->num = *ps->p == 't';
			ps->p += 4;
			return 0;
		}
		if (!strncmp(ps->p, "false", 5)) {
			v->type = JSON_BOOL;
			ps->p += 5;
			return 0;
		}
		return fail(ps, "unknown literal");
	default:
		v->num = strtod(ps->p, &end);
		if (end == ps->p)
			return fail(ps, "expected a value");
		v->type = JSON_NUM;
		ps->p = end;
		return 0;
	}
}

int json_parse(const char *text, struct json *out, char *err, size_t err_size)
{
	struct parser ps = {.s = text, .p = text, .err = err, .err_size = err_size};

	if (parse_value(&ps, out, 0))
		goto fail;
	skip_ws(&ps);
	if (*ps.p) {
		fail(&ps, "trailing characters");
		goto fail;
	}
	return 0;
fail:
	json_free(out);
	return -1;
}

void json_free(struct json *v)
{
	for (size_t i = 0; i < v->n; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

const struct json *json_get(const struct json *v, const char *key)
{
	if (!v || v->type != JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const struct json *json_at(const struct json *v, size_t i)
{
	if (!v || v->type != JSON_ARR || i >= v->n)
		return NULL;
	return &v->items[i];
}
