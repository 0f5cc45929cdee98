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
	return tok_vocab_find(&b->ix, s, n);
}

/* Merge "left right": look up by the two parts without building the key. */
int32_t merge_rank(const struct bpe *b, const char *l, size_t ln, const char *r, size_t rn)
{
	uint32_t h = tok_hash(l, ln), i;

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

static void bpe_destroy(void *ctx);

static int bpe_create(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, const struct plume_vocab *v,
		      void **out, struct plume_error *err)
{
	struct bpe *b;
	const char *pre_opt = "";

	g_host = host;
	if (!v->model || (strcmp(v->model, "gpt2") && strcmp(v->model, "gemma4")))
		return host->error(err, PLUME_ERR_UNSUPPORTED,
				   "bpe: vocabulary model '%s' is not bpe (gpt2, gemma4)",
				   v->model ? v->model : "(absent)");
	host->config_string(cfg, "pre", &pre_opt);
	b = host->calloc(1, sizeof(*b));
	if (!b)
		return host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory");
	b->host = host;
	b->v = v;
	/* llama.cpp: a gemma4 vocabulary always has the gemma4 pre-tokenizer */
	snprintf(b->pre_name, sizeof(b->pre_name), "%s",
		 *pre_opt			  ? pre_opt
		 : !strcmp(v->model, "gemma4") ? "gemma4"
		 : v->pre && *v->pre		  ? v->pre
						  : "default");
	if (!*pre_opt && !(v->pre && *v->pre) && strcmp(v->model, "gemma4"))
		host->log(PLUME_LOG_WARN, "bpe",
			  "vocabulary has no tokenizer.ggml.pre: using 'default' (as llama.cpp)");
	b->pre = pretok_find(b->pre_name);
	if (!b->pre) {
		char names[1024];
		int rc;

		pretok_names(names, sizeof(names));
		rc = host->error(err, PLUME_ERR_UNSUPPORTED,
				     "bpe: pre-tokenizer '%s' (tokenizer.ggml.pre) is not known; set [tokenizer.bpe] pre = one of %s",
				     b->pre_name, names);

		bpe_destroy(b);
		return rc;
	}
	b->spm_style = b->pre->spm_style;
	byte_map(b);
	b->merge_mask = tok_table_size(v->n_merges) - 1;
	b->merge_slots = host->calloc(b->merge_mask + 1, sizeof(uint32_t));
	if (tok_vocab_index_init(&b->ix, host, v) || !b->merge_slots) {
		bpe_destroy(b);
		return host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory");
	}
	for (uint32_t r = 0; r < v->n_merges; r++) {
		const struct plume_str *m = &v->merges[r];
		/* the separator is the first space after the first byte (llama.cpp) */
		const char *sp = m->len > 1 ? memchr(m->ptr + 1, ' ', m->len - 1) : NULL;
		uint32_t i;

		if (!sp)
			continue;
		if (merge_rank(b, m->ptr, (size_t)(sp - m->ptr), sp + 1,
			       m->len - (size_t)(sp - m->ptr) - 1) >= 0)
			continue;
		for (i = tok_hash(m->ptr, m->len) & b->merge_mask; b->merge_slots[i];
		     i = (i + 1) & b->merge_mask)
			;
		b->merge_slots[i] = r + 1;
	}
	b->bos_id = b->pre->no_bos ? -1 : v->bos_id;
	b->add_bos = v->add_bos >= 0 ? v->add_bos : b->pre->add_bos;
	b->add_eos = v->add_eos >= 0 ? v->add_eos : 0;
	if (b->add_bos && b->bos_id < 0)
		b->add_bos = 0;
	b->info.size = sizeof(b->info);
	b->info.abi_minor = PLUME_ABI_MINOR;
	b->info.n_vocab = v->n_tokens;
	b->info.bos_id = b->bos_id;
	b->info.eos_id = v->eos_id;
	b->info.add_bos = b->add_bos;
	b->info.add_eos = b->add_eos;
	b->info.eog_ids = b->ix.eog;
	b->info.n_eog = b->ix.n_eog;
	b->info.pre = b->pre_name;
	*out = b;
	return PLUME_OK;
}

static void bpe_destroy(void *ctx)
{
	struct bpe *b = ctx;

	if (!b)
		return;
	tok_vocab_index_fini(&b->ix, b->host);
	b->host->free(b->merge_slots);
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
