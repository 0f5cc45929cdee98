/* The vocabulary index shared by the tokenizer plugins (vocab_index.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <string.h>

#include "vocab_index.h"

/* Texts llama.cpp treats as end of generation (llama-vocab.cpp), and the
 * fill-in-the-middle pad/repo/separator tokens it adds to that set. */
static const char *const eog_texts[] = {
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	"<｜end▁of▁sentence｜>", "[e~[",
#define N_EOG_TEXTS 22 /* the texts above: made CONTROL; the fim ones below are not */
	/* fim pad */ "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
	/* fim rep */ "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
	/* fim sep */ "<|file_sep|>",
};

uint32_t tok_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

uint32_t tok_table_size(uint32_t n)
{
	uint32_t s = 1024;

	while (s < n * 2)
		s *= 2;
	return s;
}

int32_t tok_vocab_find(const struct tok_vocab_index *x, const char *s, size_t n)
{
	for (uint32_t i = tok_hash(s, n) & x->mask;; i = (i + 1) & x->mask) {
		uint32_t v = x->slots[i];
		const struct plume_str *t;

		if (!v)
			return -1;
		t = &x->v->tokens[v - 1];
		if (t->len == n && !memcmp(t->ptr, s, n))
			return (int32_t)(v - 1);
	}
}

static void eog_add(struct tok_vocab_index *x, int32_t id)
{
	if (id < 0 || (uint32_t)id >= x->v->n_tokens || x->n_eog >= TOK_MAX_EOG)
		return;
	for (uint32_t i = 0; i < x->n_eog; i++)
		if (x->eog[i] == id)
			return;
	x->eog[x->n_eog++] = id;
}

static int longer_first(const struct plume_vocab *v, int32_t a, int32_t b)
{
	uint64_t la = v->tokens[a].len, lb = v->tokens[b].len;

	return la > lb ? -1 : la < lb ? 1 : (a > b) - (a < b);
}

static int is_special(int32_t t)
{
	return t == PLUME_TOKEN_CONTROL || t == PLUME_TOKEN_USER_DEFINED || t == PLUME_TOKEN_UNKNOWN;
}

/* llama.cpp: end-of-generation texts become CONTROL; with a
 * <|tool_response> or <|plamo:eos|> end token, </s> is normal instead. */
static void eog_texts_apply(struct tok_vocab_index *x)
{
	int32_t s_id = -1;
	int normal_s = 0;

	for (size_t k = 0; k < sizeof(eog_texts) / sizeof(eog_texts[0]); k++) {
		int32_t id = tok_vocab_find(x, eog_texts[k], strlen(eog_texts[k]));

		if (id < 0)
			continue;
		eog_add(x, id);
		if (k < N_EOG_TEXTS)
			x->types[id] = PLUME_TOKEN_CONTROL;
		if (!strcmp(eog_texts[k], "</s>"))
			s_id = id;
	}
	if (tok_vocab_find(x, "<|tool_response>", 16) >= 0 || tok_vocab_find(x, "<|plamo:eos|>", 13) >= 0)
		normal_s = 1;
	if (normal_s && s_id >= 0) {
		uint32_t j = 0;

		x->types[s_id] = PLUME_TOKEN_NORMAL;
		for (uint32_t i = 0; i < x->n_eog; i++)
			if (x->eog[i] != s_id)
				x->eog[j++] = x->eog[i];
		x->n_eog = j;
	}
}

int tok_vocab_index_init(struct tok_vocab_index *x, const struct plume_host *host,
			 const struct plume_vocab *v)
{
	memset(x, 0, sizeof(*x));
	x->v = v;
	x->mask = tok_table_size(v->n_tokens) - 1;
	x->slots = host->calloc(x->mask + 1, sizeof(uint32_t));
	x->types = host->calloc(v->n_tokens ? v->n_tokens : 1, sizeof(int32_t));
	x->specials = host->calloc(v->n_tokens ? v->n_tokens : 1, sizeof(int32_t));
	if (!x->slots || !x->types || !x->specials) {
		tok_vocab_index_fini(x, host);
		x->v = v;
		return PLUME_ERR_NOMEM;
	}
	for (uint32_t id = 0; id < v->n_tokens; id++) {
		uint32_t i = tok_hash(v->tokens[id].ptr, v->tokens[id].len) & x->mask;

		x->types[id] = tok_type(v, (int32_t)id);
		if (tok_vocab_find(x, v->tokens[id].ptr, v->tokens[id].len) >= 0)
			continue; /* repeated text: the first id wins */
		while (x->slots[i])
			i = (i + 1) & x->mask;
		x->slots[i] = id + 1;
	}
	eog_add(x, v->eos_id);
	eog_add(x, v->eot_id);
	eog_add(x, v->eom_id);
	eog_texts_apply(x);
	for (uint32_t id = 0; id < v->n_tokens; id++)
		if (is_special(x->types[id]) && v->tokens[id].len)
			x->specials[x->n_specials++] = (int32_t)id;
	/* longest first (insertion sort: special tokens are few) */
	for (uint32_t i = 1; i < x->n_specials; i++) {
		int32_t s = x->specials[i];
		uint32_t j = i;

		while (j > 0 && longer_first(v, x->specials[j - 1], s) > 0) {
			x->specials[j] = x->specials[j - 1];
			j--;
		}
		x->specials[j] = s;
	}
	return 0;
}

void tok_vocab_index_fini(struct tok_vocab_index *x, const struct plume_host *host)
{
	host->free(x->slots);
	host->free(x->types);
	host->free(x->specials);
	memset(x, 0, sizeof(*x));
}

static int is_special_type(int32_t t, int parse_special)
{
	return t == PLUME_TOKEN_USER_DEFINED ||
	       (parse_special && (t == PLUME_TOKEN_CONTROL || t == PLUME_TOKEN_UNKNOWN));
}

/* Split raw fragment f at every occurrence of token id (left to right,
 * non-overlapping) into out[*n..]; out has room for all pieces. */
static void split_frag(const struct plume_vocab *v, const char *text, struct tok_frag f,
		       int32_t id, const uint8_t *rstrip, struct tok_frag *out, size_t *n)
{
	const struct plume_str *t = &v->tokens[id];
	size_t pos = f.off, end = f.off + f.len;
	const char *q;

	while (pos < end && (q = memmem(text + pos, end - pos, t->ptr, t->len))) {
		size_t at = (size_t)(q - text);

		if (at > pos)
			out[(*n)++] = (struct tok_frag){pos, at - pos, -1};
		out[(*n)++] = (struct tok_frag){at, t->len, id};
		pos = at + t->len;
		if (rstrip && rstrip[id])
			while (pos < end && isspace((unsigned char)text[pos]))
				pos++;
	}
	if (pos < end)
		out[(*n)++] = (struct tok_frag){pos, end - pos, -1};
}

int tok_partition(const struct tok_vocab_index *x, const struct plume_host *host,
		  const char *text, size_t n, int parse_special, const uint8_t *rstrip,
		  struct tok_frag **frags, size_t *n_frags)
{
	struct tok_frag *cur, *next = NULL, *t;
	size_t n_cur = 1, cap = 1;

	*frags = NULL;
	*n_frags = 0;
	if (!n)
		return 0;
	cur = host->alloc(sizeof(*cur));
	if (!cur)
		return PLUME_ERR_NOMEM;
	cur[0] = (struct tok_frag){0, n, -1};
	for (uint32_t k = 0; k < x->n_specials; k++) {
		int32_t id = x->specials[k];
		size_t n_next = 0, need = n_cur;
		const struct plume_str *tok = &x->v->tokens[id];

		if (!is_special_type(x->types[id], parse_special) || !tok->len)
			continue;
		/* an upper bound: each raw fragment gains 2 pieces per match */
		for (size_t i = 0; i < n_cur; i++)
			if (cur[i].id < 0 && cur[i].len >= tok->len &&
			    memmem(text + cur[i].off, cur[i].len, tok->ptr, tok->len))
				need += 2 * (cur[i].len / tok->len);
		if (need == n_cur)
			continue;
		if (need > cap || !next) {
			t = host->realloc(next, need * sizeof(*next));
			if (!t)
				goto nomem;
			next = t;
			t = host->realloc(cur, need * sizeof(*cur));
			if (!t)
				goto nomem;
			cur = t;
			cap = need;
		}
		for (size_t i = 0; i < n_cur; i++) {
			if (cur[i].id >= 0 || cur[i].len < tok->len)
				next[n_next++] = cur[i];
			else
				split_frag(x->v, text, cur[i], id, rstrip, next, &n_next);
		}
		t = cur;
		cur = next;
		next = t;
		n_cur = n_next;
	}
	host->free(next);
	*frags = cur;
	*n_frags = n_cur;
	return 0;
nomem:
	host->free(cur);
	host->free(next);
	return PLUME_ERR_NOMEM;
}
