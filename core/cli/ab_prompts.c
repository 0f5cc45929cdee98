/* plume ab: the prompts file, JSON Lines. Each non-blank line is one object
 * with "prompt" (string, required), "reference" (string, optional) and
 * "chat" (true/false, optional); other members are skipped whatever their
 * type. A small strict parser: any syntax error is one line naming
 * FILE:LINE and what was expected. */
#include <stdlib.h>
#include <string.h>

#include "ab.h"

struct jp {
	const char *s, *end;
	const char *path;
	size_t line;
	char msg[200];
};

static void ws(struct jp *j)
{
	while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\r'))
		j->s++;
}

static int fail(struct jp *j, const char *what)
{
	if (!j->msg[0])
		snprintf(j->msg, sizeof(j->msg), "%s", what);
	return -1;
}

static int put_utf8(char *o, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		o[(*n)++] = (char)c;
	} else if (c < 0x800) {
		o[(*n)++] = (char)(0xC0 | c >> 6);
		o[(*n)++] = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		o[(*n)++] = (char)(0xE0 | c >> 12);
		o[(*n)++] = (char)(0x80 | (c >> 6 & 0x3F));
		o[(*n)++] = (char)(0x80 | (c & 0x3F));
	} else {
		o[(*n)++] = (char)(0xF0 | c >> 18);
		o[(*n)++] = (char)(0x80 | (c >> 12 & 0x3F));
		o[(*n)++] = (char)(0x80 | (c >> 6 & 0x3F));
		o[(*n)++] = (char)(0x80 | (c & 0x3F));
	}
	return 0;
}

static int hex4(struct jp *j, uint32_t *out)
{
	uint32_t v = 0;

	if (j->end - j->s < 4)
		return fail(j, "a \\u escape needs four hex digits");
	for (int i = 0; i < 4; i++) {
		char c = *j->s++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return fail(j, "a \\u escape needs four hex digits");
	}
	*out = v;
	return 0;
}

/* A string at j->s (on the opening quote); *out malloc'ed when out. */
static int string(struct jp *j, char **out)
{
	char *o = malloc((size_t)(j->end - j->s) + 1);
	size_t n = 0;

	if (!o)
		return fail(j, "out of memory");
	j->s++;
	while (j->s < j->end && *j->s != '"') {
		unsigned char c = (unsigned char)*j->s++;

		if (c < 0x20) {
			free(o);
			return fail(j, "control character inside a string");
		}
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		if (j->s >= j->end)
			break;
		c = (unsigned char)*j->s++;
		switch (c) {
		case '"': case '\\': case '/': o[n++] = (char)c; break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u': {
			uint32_t u, lo;

			if (hex4(j, &u)) {
				free(o);
				return -1;
			}
			if (u >= 0xD800 && u < 0xDC00 && j->end - j->s >= 6 && j->s[0] == '\\' &&
			    j->s[1] == 'u') {
				j->s += 2;
				if (hex4(j, &lo)) {
					free(o);
					return -1;
				}
				if (lo >= 0xDC00 && lo < 0xE000)
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				else
					u = 0xFFFD;
			} else if (u >= 0xD800 && u < 0xE000) {
				u = 0xFFFD;
			}
			put_utf8(o, &n, u); /* at most 4 bytes for the 6+ read */
			break;
		}
		default:
			free(o);
			return fail(j, "unknown escape in a string");
		}
	}
	if (j->s >= j->end) {
		free(o);
		return fail(j, "unterminated string");
	}
	j->s++;
	o[n] = '\0';
	if (out)
		*out = o;
	else
		free(o);
	return 0;
}

static int value_skip(struct jp *j, int depth);

static int container_skip(struct jp *j, int depth, char close)
{
	j->s++;
	ws(j);
	if (j->s < j->end && *j->s == close) {
		j->s++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			ws(j);
			if (j->s >= j->end || *j->s != '"' || string(j, NULL))
				return fail(j, "expected a member name");
			ws(j);
			if (j->s >= j->end || *j->s++ != ':')
				return fail(j, "expected ':'");
		}
		if (value_skip(j, depth + 1))
			return -1;
		ws(j);
		if (j->s < j->end && *j->s == ',') {
			j->s++;
			continue;
		}
		if (j->s < j->end && *j->s == close) {
			j->s++;
			return 0;
		}
		return fail(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->s) < n || memcmp(j->s, word, n))
		return fail(j, "expected a JSON value");
	j->s += n;
	return 0;
}

static int value_skip(struct jp *j, int depth)
{
	ws(j);
	if (depth > 64)
		return fail(j, "nested too deeply");
	if (j->s >= j->end)
		return fail(j, "expected a JSON value");
	switch (*j->s) {
	case '"': return string(j, NULL);
	case '{': return container_skip(j, depth, '}');
	case '[': return container_skip(j, depth, ']');
	case 't': return literal(j, "true");
	case 'f': return literal(j, "false");
	case 'n': return literal(j, "null");
	default: {
		char *e;

		strtod(j->s, &e);
		if (e == j->s || e > j->end)
			return fail(j, "expected a JSON value");
		j->s = e;
		return 0;
	}
	}
}

static int parse_line(struct jp *j, struct ab_prompt *p)
{
	ws(j);
	if (j->s >= j->end || *j->s != '{')
		return fail(j, "expected a JSON object");
	j->s++;
	ws(j);
	if (j->s < j->end && *j->s == '}') {
		j->s++;
		goto done;
	}
	for (;;) {
		char *key = NULL;

		ws(j);
		if (j->s >= j->end || *j->s != '"' || string(j, &key))
			return fail(j, "expected a member name");
		ws(j);
		if (j->s >= j->end || *j->s++ != ':') {
			free(key);
			return fail(j, "expected ':'");
		}
		ws(j);
		if (!strcmp(key, "prompt") || !strcmp(key, "reference")) {
			char **dst = key[0] == 'p' ? &p->prompt : &p->reference;

			if (j->s >= j->end || *j->s != '"') {
				snprintf(j->msg, sizeof(j->msg), "\"%s\" must be a string", key);
				free(key);
				return -1;
			}
			free(*dst);
			*dst = NULL;
			if (string(j, dst)) {
				free(key);
				return -1;
			}
		} else if (!strcmp(key, "chat")) {
			if (j->s < j->end && *j->s == 't' && !literal(j, "true")) {
				p->chat = 1;
			} else if (j->s < j->end && *j->s == 'f' && !literal(j, "false")) {
				p->chat = 0;
			} else {
				free(key);
				snprintf(j->msg, sizeof(j->msg), "\"chat\" must be true or false");
				return -1;
			}
		} else if (value_skip(j, 0)) {
			free(key);
			return -1;
		}
		free(key);
		ws(j);
		if (j->s < j->end && *j->s == ',') {
			j->s++;
			continue;
		}
		if (j->s < j->end && *j->s == '}') {
			j->s++;
			break;
		}
		return fail(j, "expected ',' or '}'");
	}
done:
	ws(j);
	if (j->s != j->end)
		return fail(j, "text after the object");
	if (!p->prompt)
		return fail(j, "no \"prompt\" string");
	return 0;
}

void ab_prompts_free(struct ab_prompt *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].prompt);
		free(p[i].reference);
	}
	free(p);
}

int ab_prompts_read(const char *path, struct ab_prompt **out, size_t *n_out)
{
	size_t len, n = 0, cap = 0;
	char *text = read_all(path, &len);
	const char *s, *end;
	struct ab_prompt *v = NULL;
	struct jp j = {.path = path};

	if (!text)
		return cli_die("ab: cannot read prompts file '%s'", path);
	s = text;
	end = text + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		const char *t = s;

		j.line++;
		while (t < le && (*t == ' ' || *t == '\t' || *t == '\r'))
			t++;
		if (t < le) {
			if (n == cap) {
				struct ab_prompt *nv = realloc(v, (cap ? 2 * cap : 16) * sizeof(*v));

				if (!nv) {
					cli_die("out of memory");
					goto fail;
				}
				v = nv;
				cap = cap ? 2 * cap : 16;
			}
			memset(&v[n], 0, sizeof(v[n]));
			j.s = t;
			j.end = le;
			j.msg[0] = '\0';
			n++;
			if (parse_line(&j, &v[n - 1])) {
				cli_die("ab: %s:%zu: %s", path, j.line, j.msg);
				goto fail;
			}
		}
		s = le + (nl ? 1 : 0);
	}
	free(text);
	if (!n) {
		free(v);
		return cli_die("ab: %s: no prompts (JSON Lines, one {\"prompt\": \"...\"} per line)",
			       path);
	}
	*out = v;
	*n_out = n;
	return 0;
fail:
	free(text);
	ab_prompts_free(v, n);
	return 1;
}
