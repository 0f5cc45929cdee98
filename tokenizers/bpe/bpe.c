/* Byte-level BPE tokenizer plugin (GPT-2 family: SmolLM, Llama 3, Qwen2,
 * StarCoder, ...), exact against llama.cpp (docs/tokenizers.md). This file:
 * the descriptor and option `pre`, create (token and merge hash maps, the
 * GPT-2 byte map, special tokens sorted longest first, the end-of-generation
 * set), get_info. Encoding: encode.c; decoding: detok.c; pre-tokenizers:
 * pretok.c. Invalid UTF-8 input never fails: as in llama.cpp, each byte
 * that starts no sequence becomes U+FFFD (valid UTF-8 round-trips). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "bpe.h"
#include "unicode.h"

/* ---- hash map from byte strings to int ------------------------------ */

static uint32_t fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static const struct plume_host *g_host;

void *hre(void *p, size_t n)
{
	if (!n) {
		g_host->free(p);
		return NULL;
	}
	return g_host->realloc(p, n);
}

int32_t tok_find(const struct bpe *b, const char *s, size_t n)
{
	uint32_t i = fnv(s, n) & b->tok_mask;

	for (;; i = (i + 1) & b->tok_mask) {
		uint32_t v = b->tok_slots[i];
		const struct plume_str *t;

		if (!v)
			return -1;
		t = &b->v->tokens[v - 1];
		if (t->len == n && !memcmp(t->ptr, s, n))
			return (int32_t)(v - 1);
	}
}

/* Merge "left right": look up by the two parts without building the key. */
int32_t merge_rank(const struct bpe *b, const char *l, size_t ln, const char *r, size_t rn)
{
	uint32_t h = 2166136261u, i;

	for (size_t k = 0; k < ln; k++)
		h = (h ^ (unsigned char)l[k]) * 16777619u;
	h = (h ^ (unsigned char)' ') * 16777619u;
	for (size_t k = 0; k < rn; k++)
		h = (h ^ (unsigned char)r[k]) * 16777619u;
	for (i = h & b->merge_mask;; i = (i + 1) & b->merge_mask) {
		uint32_t v = b->merge_slots[i];
		const struct plume_str *m;

		if (!v)
			return -1;
		m = &b->v->merges[v - 1];
		if (m->len == ln + 1 + rn && !memcmp(m->ptr, l, ln) && m->ptr[ln] == ' ' &&
		    !memcmp(m->ptr + ln + 1, r, rn))
			return (int32_t)(v - 1);
	}
}

static uint32_t table_size(uint32_t n)
{
	uint32_t s = 1024;

	while (s < n * 2)
		s *= 2;
	return s;
}

static void byte_map(struct bpe *b)
{
	uint32_t next = 256;

	memset(b->cp_byte, 0xFF, sizeof(b->cp_byte));
	for (int c = 0; c < 256; c++) {
		uint32_t cp;

		if ((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))
			cp = (uint32_t)c;
		else
			cp = next++;
		b->byte_len[c] = (uint8_t)uc_encode(cp, b->byte_utf8[c]);
		b->cp_byte[cp] = (int16_t)c;
	}
}

static int special_cmp_len(const struct bpe *b, int32_t x, int32_t y)
{
	uint64_t lx = b->v->tokens[x].len, ly = b->v->tokens[y].len;

	return lx > ly ? -1 : lx < ly ? 1 : (x > y) - (x < y);
}

static void eog_add(struct bpe *b, int32_t id)
{
	if (id < 0 || b->n_eog >= 16)
		return;
	for (uint32_t i = 0; i < b->n_eog; i++)
		if (b->eog[i] == id)
			return;
	b->eog[b->n_eog++] = id;
}

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

static void bpe_destroy(void *ctx);

static int bpe_create(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, const struct plume_vocab *v,
		      void **out, struct plume_error *err)
{
	struct bpe *b;
	const char *pre_opt = "";

	g_host = host;
	if (!v->model || strcmp(v->model, "gpt2"))
		return host->error(err, PLUME_ERR_UNSUPPORTED,
				   "bpe: vocabulary model '%s' is not byte-level bpe (gpt2)",
				   v->model ? v->model : "(absent)");
	host->config_string(cfg, "pre", &pre_opt);
	b = host->calloc(1, sizeof(*b));
	if (!b)
		return host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory");
	b->host = host;
	b->v = v;
	snprintf(b->pre_name, sizeof(b->pre_name), "%s",
		 *pre_opt ? pre_opt : v->pre && *v->pre ? v->pre : "default");
	if (!*pre_opt && !(v->pre && *v->pre))
		host->log(PLUME_LOG_WARN, "bpe",
			  "vocabulary has no tokenizer.ggml.pre: using 'default' (as llama.cpp)");
	b->pre = pretok_find(b->pre_name);
	if (!b->pre) {
		int rc = host->error(err, PLUME_ERR_UNSUPPORTED,
				     "bpe: pre-tokenizer '%s' (tokenizer.ggml.pre) is not known; set [tokenizer.bpe] pre = one of smollm, gpt-2, default, llama3, qwen2, starcoder, ...",
				     b->pre_name);

		bpe_destroy(b);
		return rc;
	}
	byte_map(b);
	b->tok_mask = table_size(v->n_tokens) - 1;
	b->merge_mask = table_size(v->n_merges) - 1;
	b->tok_slots = host->calloc(b->tok_mask + 1, sizeof(uint32_t));
	b->merge_slots = host->calloc(b->merge_mask + 1, sizeof(uint32_t));
	b->specials = host->calloc(v->n_tokens, sizeof(int32_t));
	if (!b->tok_slots || !b->merge_slots || !b->specials) {
		bpe_destroy(b);
		return host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory");
	}
	for (uint32_t id = 0; id < v->n_tokens; id++) {
		uint32_t i = fnv(v->tokens[id].ptr, v->tokens[id].len) & b->tok_mask;

		if (tok_find(b, v->tokens[id].ptr, v->tokens[id].len) >= 0)
			continue; /* duplicate text: the first id wins */
		while (b->tok_slots[i])
			i = (i + 1) & b->tok_mask;
		b->tok_slots[i] = id + 1;
		if (v->token_types && (v->token_types[id] == PLUME_TOKEN_CONTROL ||
				       v->token_types[id] == PLUME_TOKEN_USER_DEFINED ||
				       v->token_types[id] == PLUME_TOKEN_UNKNOWN) && v->tokens[id].len)
			b->specials[b->n_specials++] = (int32_t)id;
	}
	for (uint32_t r = 0; r < v->n_merges; r++) {
		const struct plume_str *m = &v->merges[r];
		const char *sp = memchr(m->ptr, ' ', m->len);
		uint32_t i;

		if (!sp)
			continue;
		if (merge_rank(b, m->ptr, (size_t)(sp - m->ptr), sp + 1,
			       m->len - (size_t)(sp - m->ptr) - 1) >= 0)
			continue;
		for (i = fnv(m->ptr, m->len) & b->merge_mask; b->merge_slots[i];
		     i = (i + 1) & b->merge_mask)
			;
		b->merge_slots[i] = r + 1;
	}
	/* specials by text length, descending (insertion sort is fine: few) */
	for (uint32_t i = 1; i < b->n_specials; i++) {
		int32_t x = b->specials[i];
		uint32_t j = i;

		while (j > 0 && special_cmp_len(b, b->specials[j - 1], x) > 0) {
			b->specials[j] = b->specials[j - 1];
			j--;
		}
		b->specials[j] = x;
	}
	/* end of generation: eos, eot, eom and the texts llama.cpp detects */
	eog_add(b, v->eos_id);
	eog_add(b, v->eot_id);
	eog_add(b, v->eom_id);
	for (size_t k = 0; k < sizeof(eog_texts) / sizeof(eog_texts[0]); k++) {
		int32_t id = tok_find(b, eog_texts[k], strlen(eog_texts[k]));

		if (id >= 0)
			eog_add(b, id);
	}
	b->add_bos = v->add_bos >= 0 ? v->add_bos : b->pre->ignore_merges; /* the llama3 names */
	b->add_eos = v->add_eos >= 0 ? v->add_eos : 0;
	if (b->add_bos && v->bos_id < 0)
		b->add_bos = 0;
	b->info.size = sizeof(b->info);
	b->info.abi_minor = PLUME_ABI_MINOR;
	b->info.n_vocab = v->n_tokens;
	b->info.bos_id = v->bos_id;
	b->info.eos_id = v->eos_id;
	b->info.add_bos = b->add_bos;
	b->info.add_eos = b->add_eos;
	b->info.eog_ids = b->eog;
	b->info.n_eog = b->n_eog;
	b->info.pre = b->pre_name;
	*out = b;
	return PLUME_OK;
}

static void bpe_destroy(void *ctx)
{
	struct bpe *b = ctx;

	if (!b)
		return;
	b->host->free(b->tok_slots);
	b->host->free(b->merge_slots);
	b->host->free(b->specials);
	b->host->free(b);
}

static int bpe_get_info(void *ctx, struct plume_tokenizer_info *info)
{
	struct bpe *b = ctx;
	uint32_t n = info->size < sizeof(b->info) ? info->size : (uint32_t)sizeof(b->info);

	memcpy(info, &b->info, n);
	info->size = n;
	return PLUME_OK;
}

static const struct plume_tokenizer_ops bpe_ops = {
	.size = sizeof(struct plume_tokenizer_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = bpe_create,
	.destroy = bpe_destroy,
	.get_info = bpe_get_info,
	.encode = bpe_encode,
	.piece = bpe_piece,
	.decode = bpe_decode,
};

static const struct plume_option bpe_options[] = {
	{"pre", PLUME_OPT_STRING, "", 1, 0, NULL,
	 "pre-tokenizer to use instead of tokenizer.ggml.pre (smollm, gpt-2, llama3, qwen2, ...)"},
};

static const struct plume_plugin_desc bpe_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_TOKENIZER,
	.name = "bpe",
	.version = "0.1.0",
	.description = "byte-level BPE (GPT-2 family) as llama.cpp tokenizes it",
	.options = bpe_options,
	.n_options = 1,
	.option_size = sizeof(struct plume_option),
	.ops = &bpe_ops,
};

PLUME_PLUGIN_DEFINE(bpe_desc)
