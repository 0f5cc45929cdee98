/* Hand-written pre-tokenizer splitters equivalent to llama.cpp's regexes:
 * GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
 * `\p{N}` (each number character on its own) then GPT-2, and Llama 3's
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 * (Qwen2: single digits; Qwen3.5: marks count as letters). The regex lists
 * (default, falcon, deepseek, bloom, ...) are in pretok_seq.c. */
#include <string.h>

#include "pretok_impl.h"

/* name, kind, ignore_merges, clean_spaces, add_bos, no_bos, spm_style: as llama.cpp's
 * llama_vocab::impl::load sets them (llama-vocab.cpp). */
static const struct pretok table[] = {
	{"default", PRETOK_DEFAULT, 0, 1, 0, 0, 0},
	/* \p{N} then GPT-2 */
	{"smollm", PRETOK_DIGITS_GPT2, 0, 0, 0, 0, 0},
	{"command-r", PRETOK_DIGITS_GPT2, 0, 0, 0, 0, 0},
	{"starcoder", PRETOK_DIGITS_GPT2, 0, 1, 0, 0, 0},
	{"refact", PRETOK_DIGITS_GPT2, 0, 1, 0, 0, 0},
	{"codeshell", PRETOK_DIGITS_GPT2, 0, 1, 0, 0, 0},
	{"exaone", PRETOK_DIGITS_GPT2, 0, 1, 0, 0, 0},
	{"minerva-7b", PRETOK_DIGITS_GPT2, 0, 1, 0, 0, 0},
	{"mellum2", PRETOK_DIGITS_GPT2, 0, 1, 0, 0, 0},
	/* GPT-2 */
	{"gpt-2", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"phi-2", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"mpt", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"olmo", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"jais", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"jina-es", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"jina-de", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"jina-v2-es", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"jina-v2-de", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"gigachat", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"a.x-4.0", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"mellum", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"modern-bert", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"exaone4", PRETOK_GPT2, 0, 1, 0, 0, 0},
	{"trillion", PRETOK_GPT2, 0, 0, 0, 0, 0},
	{"granite-docling", PRETOK_GPT2, 0, 0, 0, 0, 0},
	/* Llama 3 */
	{"llama3", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"llama-v3", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"llama-bpe", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"falcon3", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"falcon-h1", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"pixtral", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"midm-2.0", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"lfm2", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"jina-v5-nano", PRETOK_LLAMA3, 1, 1, 1, 0, 0},
	{"dbrx", PRETOK_LLAMA3, 0, 1, 0, 0, 0},
	{"smaug-bpe", PRETOK_LLAMA3, 0, 1, 0, 0, 0},
	{"chatglm-bpe", PRETOK_LLAMA3, 0, 1, 0, 1, 0},
	{"glm4", PRETOK_LLAMA3, 1, 1, 0, 1, 0},
	{"glm5", PRETOK_LLAMA3, 1, 1, 0, 1, 0},
	{"minicpm5", PRETOK_MINICPM5, 1, 1, 0, 0, 0},
	/* Llama 3 shape, single digits */
	{"qwen2", PRETOK_QWEN2, 0, 0, 0, 0, 0},
	{"deepseek-r1-qwen", PRETOK_QWEN2, 0, 0, 0, 0, 0},
	{"kormo", PRETOK_QWEN2, 0, 0, 0, 0, 0},
	{"f2llmv2", PRETOK_QWEN2, 0, 0, 0, 0, 0},
	{"hunyuan", PRETOK_QWEN2, 0, 0, 0, 0, 0},
	{"solar-open", PRETOK_QWEN2, 0, 0, 0, 0, 0},
	{"grok-2", PRETOK_QWEN2, 0, 0, 0, 0, 0},
	{"stablelm2", PRETOK_QWEN2, 0, 1, 0, 0, 0},
	{"megrez", PRETOK_QWEN2, 0, 1, 0, 0, 0},
	{"qwen35", PRETOK_QWEN35, 0, 0, 0, 0, 0},
	/* regex lists */
	{"falcon", PRETOK_FALCON, 0, 1, 0, 0, 0},
	{"deepseek-llm", PRETOK_DEEPSEEK_LLM, 0, 0, 0, 0, 0},
	{"deepseek-coder", PRETOK_DEEPSEEK_CODER, 0, 0, 0, 0, 0},
	{"bloom", PRETOK_BLOOM, 0, 1, 0, 0, 0},
	{"gpt3-finnish", PRETOK_BLOOM, 0, 1, 0, 0, 0},
	{"poro-chat", PRETOK_BLOOM, 0, 0, 0, 0, 0},
	{"viking", PRETOK_VIKING, 0, 0, 0, 0, 0},
	{"gpt-4o", PRETOK_GPT4O, 0, 0, 0, 0, 0},
	{"llama4", PRETOK_GPT4O, 0, 0, 0, 0, 0},
	{"kanana2", PRETOK_GPT4O, 0, 0, 0, 0, 0},
	{"talkie", PRETOK_GPT4O, 0, 0, 0, 0, 0},
	{"minimax-m2", PRETOK_GPT4O, 0, 0, 0, 0, 0},
	{"tekken", PRETOK_TEKKEN, 1, 0, 1, 0, 0},
	{"deepseek-v3", PRETOK_DEEPSEEK3, 0, 0, 0, 0, 0},
	{"hunyuan-dense", PRETOK_DEEPSEEK3, 0, 0, 0, 0, 0},
	{"joyai-llm", PRETOK_DEEPSEEK3, 0, 0, 0, 0, 0},
	{"hy_v4", PRETOK_DEEPSEEK3, 0, 0, 0, 0, 0},
	/* SentencePiece-style BPE */
	{"gemma4", PRETOK_NEWLINES, 0, 1, 0, 0, 1},
	{"granite-embed-multi-311m", PRETOK_NEWLINES, 0, 1, 0, 0, 1},
	{"sarvam-moe", PRETOK_NEWLINES, 0, 0, 0, 0, 1},
};

void pretok_names(char *buf, size_t n)
{
	size_t k = 0;

	if (!n)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && k < n; i++) {
		size_t l = strlen(table[i].name) + (i ? 2 : 0);

		if (k + l + 1 > n)
			break;
		memcpy(buf + k, i ? ", " : "", i ? 2 : 0);
		memcpy(buf + k + (i ? 2 : 0), table[i].name, strlen(table[i].name) + 1);
		k += l;
	}
}

const struct pretok *pretok_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

int pretok_push(struct span_list *out, size_t off, size_t len, realloc_fn re)
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

size_t pretok_gpt2_word(const struct chars *c, size_t i, size_t end)
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

size_t pretok_llama3_word(const struct chars *c, size_t i, size_t end, size_t max_digits, int marks)
{
	unsigned lm = UC_LETTER | (marks ? UC_MARK : 0); /* [\p{L}] or [\p{L}\p{M}] */
	size_t j, k;

#define LM(x) (c->fl[x] & lm)
	if ((k = contraction(c, i, end, 1)))
		return k;
	/* [^\r\n\p{L}\p{N}]?\p{L}+ */
	j = i;
	if (!LM(j) && !N(j) && c->cp[j] != '\r' && c->cp[j] != '\n' && j + 1 < end && LM(j + 1))
		j++;
	if (LM(j)) {
		while (j < end && LM(j))
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
	if (!S(j) && !LM(j) && !N(j)) {
		while (j < end && !S(j) && !LM(j) && !N(j))
			j++;
		while (j < end && (c->cp[j] == '\r' || c->cp[j] == '\n'))
			j++;
		return j - i;
	}
#undef LM
	if (S(i))
		return pretok_spaces_word(c, i, end);
	return 1;
}

size_t pretok_spaces_word(const struct chars *c, size_t i, size_t end)
{
	size_t j, last = 0;

	/* \s*[\r\n]+ : the longest whitespace prefix ending in CR/LF */
	for (j = i; j < end && S(j); j++)
		if (c->cp[j] == '\r' || c->cp[j] == '\n')
			last = j + 1;
	if (last)
		return last - i;
	return j > i ? spaces(c, i, end) : 0;
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
	if (p->kind >= PRETOK_FIRST_SEQ) {
		rc = pretok_split_seq(p->kind, &c, base, out, re);
		goto out;
	}
	for (size_t i = 0; i < c.n && !rc;) {
		size_t end = c.n, k;

		if (p->kind == PRETOK_DIGITS_GPT2) {
			/* \p{N} first: a number character is a word; the text
			 * between number characters is split by GPT-2. */
			if (c.fl[i] & UC_NUMBER) {
				rc = pretok_push(out, base + c.off[i], c.off[i + 1] - c.off[i], re);
				i++;
				continue;
			}
			for (end = i; end < c.n && !(c.fl[end] & UC_NUMBER); end++)
				;
			while (i < end && !rc) {
				k = pretok_gpt2_word(&c, i, end);
				rc = pretok_push(out, base + c.off[i], c.off[i + k] - c.off[i], re);
				i += k;
			}
			continue;
		}
		if (p->kind == PRETOK_NEWLINES) {
			/* [^\n]+|[\n]+ */
			int nl = c.cp[i] == '\n';

			for (k = i; k < end && (c.cp[k] == '\n') == nl; k++)
				;
			k -= i;
		} else if (p->kind == PRETOK_GPT2)
			k = pretok_gpt2_word(&c, i, end);
		else
			k = pretok_llama3_word(&c, i, end, p->kind == PRETOK_LLAMA3 ? 3 : 1,
					       p->kind == PRETOK_QWEN35);
		rc = pretok_push(out, base + c.off[i], c.off[i + k] - c.off[i], re);
		i += k;
	}
out:
	re(c.cp, 0);
	re(c.fl, 0);
	re(c.off, 0);
	return rc;
}
