/* The vocabulary index shared by the tokenizer plugins (vocab_index.h). */
#include "vocab_index.h"

#include <string.h>

/* Texts llama.cpp treats as end of generation (llama-vocab.cpp), and the
 * fill-in-the-middle pad/repo/separator tokens it adds to that set. */
static const char *const eog_texts[] = {
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	"<｜end▁of▁sentence｜>", "[e~[",
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

int tok_vocab_index_init(struct tok_vocab_index *x, const struct plume_host *host,
			 const struct plume_vocab *v)
{
	memset(x, 0, sizeof(*x));
	x->v = v;
	x->mask = tok_table_size(v->n_tokens) - 1;
	x->slots = host->calloc(x->mask + 1, sizeof(uint32_t));
	x->specials = host->calloc(v->n_tokens ? v->n_tokens : 1, sizeof(int32_t));
	if (!x->slots || !x->specials) {
		tok_vocab_index_fini(x, host);
		x->v = v;
		return PLUME_ERR_NOMEM;
	}
	for (uint32_t id = 0; id < v->n_tokens; id++) {
		uint32_t i = tok_hash(v->tokens[id].ptr, v->tokens[id].len) & x->mask;
		int32_t t = tok_type(v, (int32_t)id);

		if (tok_vocab_find(x, v->tokens[id].ptr, v->tokens[id].len) >= 0)
			continue; /* repeated text: the first id wins */
		while (x->slots[i])
			i = (i + 1) & x->mask;
		x->slots[i] = id + 1;
		if ((t == PLUME_TOKEN_CONTROL || t == PLUME_TOKEN_USER_DEFINED ||
		     t == PLUME_TOKEN_UNKNOWN) && v->tokens[id].len)
			x->specials[x->n_specials++] = (int32_t)id;
	}
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
	eog_add(x, v->eos_id);
	eog_add(x, v->eot_id);
	eog_add(x, v->eom_id);
	for (size_t k = 0; k < sizeof(eog_texts) / sizeof(eog_texts[0]); k++)
		eog_add(x, tok_vocab_find(x, eog_texts[k], strlen(eog_texts[k])));
	return 0;
}

void tok_vocab_index_fini(struct tok_vocab_index *x, const struct plume_host *host)
{
	host->free(x->slots);
	host->free(x->specials);
	memset(x, 0, sizeof(*x));
}
