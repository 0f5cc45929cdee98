/* Hand-written pre-tokenizer splitters equivalent to llama.cpp's regexes:
 * GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
 * `\p{N}` (each number character on its own), and Llama 3's
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 * (Qwen2: single digits), and llama.cpp's "default" list (punctuation runs,
 * GPT-2, \p{N}+, [0-9]{3}, each re-splitting the previous pieces). */
#include "pretok.h"

#include <string.h>

#include "unicode.h"

static const struct pretok table[] = {
	{"smollm", PRETOK_DIGITS_GPT2, 0, 0},
	{"starcoder", PRETOK_DIGITS_GPT2, 0, 1},
	{"refact", PRETOK_DIGITS_GPT2, 0, 1},
	{"command-r", PRETOK_DIGITS_GPT2, 0, 0},
	{"gpt-2", PRETOK_GPT2, 0, 1},
	{"phi-2", PRETOK_GPT2, 0, 1},
	{"mpt", PRETOK_GPT2, 0, 1},
	{"olmo", PRETOK_GPT2, 0, 1},
	{"jais", PRETOK_GPT2, 0, 1},
	{"llama3", PRETOK_LLAMA3, 1, 1},
	{"llama-v3", PRETOK_LLAMA3, 1, 1},
	{"llama-bpe", PRETOK_LLAMA3, 1, 1},
	{"dbrx", PRETOK_LLAMA3, 0, 1},
	{"smaug-bpe", PRETOK_LLAMA3, 0, 1},
	{"qwen2", PRETOK_QWEN2, 0, 0},
	{"deepseek-r1-qwen", PRETOK_QWEN2, 0, 0},
	{"stablelm2", PRETOK_QWEN2, 0, 0},
	{"default", PRETOK_DEFAULT, 0, 1},
};

const struct pretok *pretok_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

/* Decoded characters of one fragment. */
struct chars {
	uint32_t *cp;
	unsigned *fl;
	size_t *off;   /* byte offset of each char; off[n] = end */
	size_t n;
};

static int push(struct span_list *out, size_t off, size_t len, void *(*re)(void *, size_t))
{
	if (!len)
		return 0;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64;
		struct span *v = re(out->v, cap * sizeof(*v));

		if (!v)
			return -1;
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = (struct span){off, len};
	return 0;
}

#define L(i) (c->fl[i] & UC_LETTER)
#define N(i) (c->fl[i] & UC_NUMBER)
#define S(i) (c->fl[i] & UC_SPACE)

static inline uint32_t lower(uint32_t cp)
{
	return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
}

/* Contraction at i ('s 't 'm 'd 're 've 'll); returns chars taken or 0. */
static size_t contraction(const struct chars *c, size_t i, size_t end, int icase)
{
	uint32_t a, b;

	if (c->cp[i] != '\'' || i + 1 >= end)
		return 0;
	a = icase ? lower(c->cp[i + 1]) : c->cp[i + 1];
	if (a == 's' || a == 't' || a == 'm' || a == 'd')
		return 2;
	if (i + 2 >= end)
		return 0;
	b = icase ? lower(c->cp[i + 2]) : c->cp[i + 2];
	if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
		return 3;
	return 0;
}

/* \s+(?!\S) then \s+: a whitespace run followed by a non-space keeps its
 * last character for the next word. */
static size_t spaces(const struct chars *c, size_t i, size_t end)
{
	size_t j = i;

	while (j < end && S(j))
		j++;
	if (j < end && j - i > 1)
		return j - i - 1;
	return j - i;
}

static size_t gpt2_word(const struct chars *c, size_t i, size_t end)
{
	size_t j, k;

	if ((k = contraction(c, i, end, 0)))
		return k;
	j = i + (c->cp[i] == ' ' && i + 1 < end ? 1 : 0);
	if (L(j) && !S(j)) {
		while (j < end && L(j))
			j++;
		return j - i;
	}
	if (N(j)) {
		while (j < end && N(j))
			j++;
		return j - i;
	}
	if (!S(j) && !L(j) && !N(j)) {
		while (j < end && !S(j) && !L(j) && !N(j))
			j++;
		return j - i;
	}
	return spaces(c, i, end);
}

static size_t llama3_word(const struct chars *c, size_t i, size_t end, size_t max_digits)
{
	size_t j, k;

	if ((k = contraction(c, i, end, 1)))
		return k;
	/* [^\r\n\p{L}\p{N}]?\p{L}+ */
	j = i;
	if (!L(j) && !N(j) && c->cp[j] != '\r' && c->cp[j] != '\n' && j + 1 < end && L(j + 1))
		j++;
	if (L(j)) {
		while (j < end && L(j))
			j++;
		return j - i;
	}
	/* \p{N}{1,n} */
	if (N(i)) {
		for (j = i; j < end && N(j) && j - i < max_digits; j++)
			;
		return j - i;
	}
	/* ` ?[^\s\p{L}\p{N}]+[\r\n]*` */
	j = i + (c->cp[i] == ' ' && i + 1 < end ? 1 : 0);
	if (!S(j) && !L(j) && !N(j)) {
		while (j < end && !S(j) && !L(j) && !N(j))
			j++;
		while (j < end && (c->cp[j] == '\r' || c->cp[j] == '\n'))
			j++;
		return j - i;
	}
	/* \s*[\r\n]+ : the longest whitespace prefix ending in CR/LF */
	{
		size_t last = 0;

		for (j = i; j < end && S(j); j++)
			if (c->cp[j] == '\r' || c->cp[j] == '\n')
				last = j + 1;
		if (last)
			return last - i;
	}
	if (S(i))
		return spaces(c, i, end);
	return 1;
}

/* ---- the "default" list: regexes applied in sequence, each re-splitting
 * every piece so far; text between matches stays a word of its own ---- */

struct piece_list {
	size_t *v; /* piece i is chars [v[i], v[i + 1]) */
	size_t n, cap;
};

typedef size_t (*matcher_fn)(const struct chars *c, size_t i, size_t end);

static int cut(struct piece_list *p, size_t at, void *(*re)(void *, size_t))
{
	if (p->n && p->v[p->n - 1] == at)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		size_t *v = re(p->v, cap * sizeof(*v));

		if (!v)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = at;
	return 0;
}

/* Re-split every piece of in (cuts, ending with c->n) into out. */
static int refine(const struct chars *c, const struct piece_list *in, matcher_fn m,
		  struct piece_list *out, void *(*re)(void *, size_t))
{
	int rc;

	out->n = 0;
	rc = cut(out, 0, re);
	for (size_t p = 0; p + 1 < in->n && !rc; p++) {
		size_t i = in->v[p], end = in->v[p + 1];

		while (i < end && !rc) {
			size_t k = m(c, i, end);

			if (!k) {
				i++; /* a gap character: joins the gap word */
				continue;
			}
			rc = cut(out, i, re) || cut(out, i + k, re);
			i += k;
		}
		if (!rc)
			rc = cut(out, end, re);
	}
	return rc;
}

/* [\p{P}\$\+<=>\^~\|]+ */
static size_t m_punct(const struct chars *c, size_t i, size_t end)
{
	size_t j = i;

	while (j < end && ((c->fl[j] & UC_PUNCT) || (c->cp[j] && c->cp[j] < 128 &&
						      strchr("$+<=>^~|", (int)c->cp[j]))))
		j++;
	return j - i;
}

static size_t m_gpt2(const struct chars *c, size_t i, size_t end)
{
	return gpt2_word(c, i, end);
}

/* \p{N}+ */
static size_t m_numbers(const struct chars *c, size_t i, size_t end)
{
	size_t j = i;

	while (j < end && N(j))
		j++;
	return j - i;
}

/* [0-9][0-9][0-9] */
static size_t m_digits3(const struct chars *c, size_t i, size_t end)
{
	for (size_t j = i; j < i + 3; j++)
		if (j >= end || c->cp[j] < '0' || c->cp[j] > '9')
			return 0;
	return 3;
}

static int split_default(const struct chars *c, size_t base, struct span_list *out,
			 void *(*re)(void *, size_t))
{
	static const matcher_fn steps[] = {m_punct, m_gpt2, m_numbers, m_digits3};
	struct piece_list a = {0}, b = {0}, *cur = &a, *next = &b;
	int rc = cut(&a, 0, re) || cut(&a, c->n, re);

	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]) && !rc; s++) {
		struct piece_list *t;

		rc = refine(c, cur, steps[s], next, re);
		t = cur;
		cur = next;
		next = t;
	}
	for (size_t p = 0; p + 1 < cur->n && !rc; p++)
		rc = push(out, base + c->off[cur->v[p]], c->off[cur->v[p + 1]] - c->off[cur->v[p]], re);
	re(a.v, 0);
	re(b.v, 0);
	return rc;
}

static int decode(const char *text, size_t n, struct chars *c, void *(*re)(void *, size_t))
{
	size_t i = 0;

	c->cp = re(NULL, (n + 1) * sizeof(*c->cp));
	c->fl = re(NULL, (n + 1) * sizeof(*c->fl));
	c->off = re(NULL, (n + 1) * sizeof(*c->off));
	c->n = 0;
	if (!c->cp || !c->fl || !c->off)
		return -1;
	while (i < n) {
		int bad;
		size_t len = uc_decode((const unsigned char *)text + i, n - i, &c->cp[c->n], &bad);

		c->fl[c->n] = bad ? UC_INVALID : uc_flags(c->cp[c->n]);
		c->off[c->n++] = i;
		i += len;
	}
	c->off[c->n] = n;
	c->fl[c->n] = 0;
	c->cp[c->n] = 0;
	return 0;
}

int pretok_split(const struct pretok *p, const char *text, size_t n, size_t base,
		 struct span_list *out, void *(*re)(void *, size_t))
{
	struct chars c = {0};
	int rc = 0;

	if (decode(text, n, &c, re)) {
		rc = -1;
		goto out;
	}
	if (p->kind == PRETOK_DEFAULT) {
		rc = split_default(&c, base, out, re);
		goto out;
	}
	for (size_t i = 0; i < c.n && !rc;) {
		size_t end = c.n, k;

		if (p->kind == PRETOK_DIGITS_GPT2) {
			/* \p{N} first: a number character is a word; the text
			 * between number characters is split by GPT-2. */
			if (c.fl[i] & UC_NUMBER) {
				rc = push(out, base + c.off[i], c.off[i + 1] - c.off[i], re);
				i++;
				continue;
			}
			for (end = i; end < c.n && !(c.fl[end] & UC_NUMBER); end++)
				;
			while (i < end && !rc) {
				k = gpt2_word(&c, i, end);
				rc = push(out, base + c.off[i], c.off[i + k] - c.off[i], re);
				i += k;
			}
			continue;
		}
		if (p->kind == PRETOK_GPT2)
			k = gpt2_word(&c, i, end);
		else
			k = llama3_word(&c, i, end, p->kind == PRETOK_LLAMA3 ? 3 : 1);
		rc = push(out, base + c.off[i], c.off[i + k] - c.off[i], re);
		i += k;
	}
out:
	re(c.cp, 0);
	re(c.fl, 0);
	re(c.off, 0);
	return rc;
}
