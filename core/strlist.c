/* Quoted string lists for config values such as generate.stop. */
#include "strlist.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void plume_strlist_free(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int plume_strlist_parse(const char *value, const char *what, char ***out, size_t *n,
			struct plume_error *err)
{
	size_t len = strlen(value), count = 0;
	char **list = calloc(len / 2 + 2, sizeof(char *));
	const char *p = value;

	*out = NULL;
	*n = 0;
	if (!list)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		goto done;
	if (*p != '"') {
		list[count] = strdup(value);
		if (!list[count++])
			goto nomem;
		goto done;
	}
	while (*p) {
		char *s, *d;

		if (*p != '"') {
			plume_strlist_free(list, count);
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: expected '\"' at column %zu of '%s'", what,
					       (size_t)(p - value) + 1, value);
		}
		s = d = malloc(len + 1);
		if (!s)
			goto nomem;
		list[count++] = s;
		for (p++; *p && *p != '"'; p++) {
			if (*p != '\\') {
				*d++ = *p;
				continue;
			}
			p++;
			switch (*p) {
			case 'n': *d++ = '\n'; break;
			case 't': *d++ = '\t'; break;
			case 'r': *d++ = '\r'; break;
			case '\\': *d++ = '\\'; break;
			case '"': *d++ = '"'; break;
			case 'x':
				if (hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
					*d++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
					p += 2;
					break;
				}
				/* fall through */
			default:
				plume_strlist_free(list, count);
				return plume_error_set(err, PLUME_ERR_INVALID,
						       "%s: bad escape at column %zu of '%s'", what,
						       (size_t)(p - value) + 1, value);
			}
		}
		if (*p != '"') {
			plume_strlist_free(list, count);
			return plume_error_set(err, PLUME_ERR_INVALID, "%s: unterminated string in '%s'",
					       what, value);
		}
		*d = '\0';
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
		}
	}
done:
	*out = list;
	*n = count;
	return PLUME_OK;
nomem:
	plume_strlist_free(list, count);
	return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
}

static const char *env_or_default(const char *name, char *buf, size_t cap)
{
	const char *v = getenv(name);
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (v && *v)
		return v;
	if (!strcmp(name, "PLUME_CACHE") || !strcmp(name, "PLUME_MODEL_DIR")) {
		const char *pc = getenv("PLUME_CACHE");

		if (pc && *pc)
			snprintf(buf, cap, "%s", pc);
		else if (xdg && *xdg)
			snprintf(buf, cap, "%s/plume", xdg);
		else
			snprintf(buf, cap, "%s/.cache/plume", home ? home : "/tmp");
		if (!strcmp(name, "PLUME_MODEL_DIR"))
			strncat(buf, "/models", cap - strlen(buf) - 1);
		return buf;
	}
	return "";
}

char *plume_expand_path(const char *s)
{
	size_t cap = strlen(s) + 1024, n = 0;
	char *out = malloc(cap), tmp[1024];

	if (!out)
		return NULL;
	if (s[0] == '~' && s[1] == '/') {
		const char *home = getenv("HOME");

		n = (size_t)snprintf(out, cap, "%s", home ? home : "");
		s++;
	}
	while (*s) {
		const char *close;

		if (s[0] == '$' && s[1] == '{' && (close = strchr(s, '}'))) {
			char name[128];
			const char *v;
			size_t vl;

			snprintf(name, sizeof(name), "%.*s", (int)(close - s - 2), s + 2);
			v = env_or_default(name, tmp, sizeof(tmp));
			vl = strlen(v);
			if (n + vl + strlen(close) + 1 > cap) {
				char *no;

				cap = n + vl + strlen(close) + 1024;
				no = realloc(out, cap);
				if (!no) {
					free(out);
					return NULL;
				}
				out = no;
			}
			memcpy(out + n, v, vl);
			n += vl;
			s = close + 1;
			continue;
		}
		if (n + 2 > cap) {
			char *no = realloc(out, cap *= 2);

			if (!no) {
				free(out);
				return NULL;
			}
			out = no;
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
	return out;
}
