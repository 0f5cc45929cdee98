/* `plume info` output (plume_model_print_info): the JSON mode is one valid
 * JSON object with the documented fields, whatever the strings contain; the
 * text mode lists general.* first, summarises long arrays and totals the
 * tensor table. A small strict JSON checker lives here. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf_writer.h"
#include "model.h"

/* ---- minimal JSON validator (RFC 8259 grammar, strict) ----------------- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 5;
				continue;
			}
			if (!*p || !strchr("\"\\/bfnrt", *p))
				return NULL;
		}
		p++;
	}
	return p + 1;
}

static const char *number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

static const char *container(const char *p, int depth, char close, int keys)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = string(ws(p));
			if (!p)
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *value(const char *p, int depth)
{
	p = ws(p);
	if (depth > 64)
		return NULL;
	switch (*p) {
	case '{': return container(p, depth, '}', 1);
	case '[': return container(p, depth, ']', 0);
	case '"': return string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default: return number(p);
	}
}

static int json_valid(const char *s)
{
	const char *p = value(s, 0);

	return p && *ws(p) == '\0';
}

/* ---- helpers ----------------------------------------------------------- */

/* Write w, open it, print info into a string (caller frees). */
static char *info_of(struct tu_gguf *w, int json)
{
	char path[256];
	struct plume_error err;
	struct plume_gguf *g;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	tu_tmp_path(path, sizeof(path), "info");
	cr_assert_eq(tu_gguf_write(w, path, NULL), 0);
	tu_gguf_free(w);
	cr_assert_eq(plume_gguf_open(path, &g, &err), 0, "%s", err.msg);
	unlink(path);
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	plume_model_print_info(g, f, json);
	fclose(f);
	plume_gguf_close(g);
	return buf;
}

static struct tu_gguf *awkward(void)
{
	struct tu_gguf *w = tu_gguf_new();
	const char *toks[40];
	const char *few[] = {"a\"b", "c\\d", "\x01\n", "\xff\xfe"};
	float fl[3] = {1.5f, NAN, INFINITY};
	char name[32];

	for (int i = 0; i < 40; i++)
		toks[i] = i % 2 ? "tok" : "\xc4\xa0the";
	tu_gguf_kv_str(w, "general.name", "quote \" backslash \\ tab \t nl \n ctrl \x02 bad \xc3");
	tu_gguf_kv_str(w, "zz.long", "a long string that goes on and on, past any reasonable width for a single line of output in the text mode");
	tu_gguf_kv_arr_str(w, "tokenizer.ggml.tokens", toks, 40);
	tu_gguf_kv_arr_str(w, "few", few, 4);
	tu_gguf_kv_arr(w, "floats", TU_F32, fl, 3);
	tu_gguf_kv_f32(w, "nan", NAN);
	tu_gguf_kv_f64(w, "neg_inf", -INFINITY);
	tu_gguf_kv_bool(w, "flag", 1);
	tu_gguf_kv_i64(w, "i", -5);
	tu_gguf_kv_str(w, "general.architecture", "llama");
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "t\"%d", i);
		tu_gguf_tensor(w, name, i == 2 ? PLUME_DTYPE_Q8_0 : PLUME_DTYPE_F32, 2,
			       (int64_t[]){32, 2}, NULL, i == 2 ? 68 : 256);
	}
	return w;
}

Test(info, json_is_one_valid_object_with_the_documented_fields)
{
	char *s = info_of(awkward(), 1);

	cr_expect(json_valid(s), "invalid JSON:\n%s", s);
	cr_expect_eq(s[0], '{');
	cr_expect(strstr(s, "\"path\":") != NULL);
	cr_expect(strstr(s, "\"version\":3") != NULL, "%s", s);
	cr_expect(strstr(s, "\"metadata\":{") != NULL);
	cr_expect(strstr(s, "\"tensors\":[") != NULL);
	/* arrays longer than 16 are summarised, shorter ones listed */
	cr_expect(strstr(s, "\"tokenizer.ggml.tokens\":{\"type\":\"string\",\"n\":40}") != NULL, "%s", s);
	cr_expect(strstr(s, "\"few\":[\"a\\\"b\",\"c\\\\d\"") != NULL, "%s", s);
	cr_expect(strstr(s, "\"name\":\"t\\\"2\",\"type\":\"Q8_0\",\"shape\":[32,2],\"offset\":512,\"bytes\":68") != NULL,
		  "%s", s);
	free(s);
}

Test(info, text_lists_general_keys_first_and_totals)
{
	char *s = info_of(awkward(), 0);
	char *gen = strstr(s, "general.architecture"), *other = strstr(s, "tokenizer.ggml.tokens");

	cr_assert(gen && other, "%s", s);
	cr_expect(gen < other, "general.* keys are not first:\n%s", s);
	cr_expect(strstr(s, "[string × 40]") != NULL, "%s", s);
	cr_expect(strstr(s, "…") != NULL, "long values are not cut:\n%s", s);
	cr_expect(strstr(s, "3 tensors") != NULL, "%s", s);
	cr_expect(strstr(s, "F32 2") != NULL, "per-type totals missing:\n%s", s);
	cr_expect(strstr(s, "Q8_0 1") != NULL, "per-type totals missing:\n%s", s);
	free(s);
}
