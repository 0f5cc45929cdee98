/* Model loading: the tiny model from tests/util gives the descriptor and
 * vocabulary it was written with (every weight type, tied and untied,
 * llama/qwen2/qwen3/gemma3); broken models give clear errors; the real
 * SmolLM2 file (when present) loads with its known hyper-parameters. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf_writer.h"
#include "model.h"
#include "tiny_model.h"

static struct plume_error err;

static int load_tiny(const struct tu_tiny_opts *o, uint32_t flags, struct plume_model **m)
{
	char path[256];
	int rc;

	tu_tmp_path(path, sizeof(path), "tiny");
	cr_assert_eq(tu_write_tiny_llama(path, o), 0, "cannot write the tiny model");
	*m = NULL;
	plume_error_clear(&err);
	rc = plume_model_load(path, flags, m, &err);
	unlink(path);
	return rc;
}

static struct plume_model *tiny_ok(const struct tu_tiny_opts *o)
{
	struct plume_model *m;

	cr_assert_eq(load_tiny(o, 0, &m), 0, "load failed: %s", err.msg);
	cr_assert_not_null(plume_model_desc(m));
	return m;
}

static void expect_fail(const struct tu_tiny_opts *o, int status, const char *what)
{
	struct plume_model *m;
	int rc = load_tiny(o, 0, &m);

	cr_expect_eq(rc, status, "status %d (%s)", rc, err.msg);
	cr_expect_null(m);
	cr_expect(strstr(err.msg, what) != NULL, "message '%s' lacks '%s'", err.msg, what);
	cr_expect(strstr(err.msg, "plume-test-") != NULL, "message '%s' lacks the file", err.msg);
}

static void expect_shape(const struct plume_tensor *t, int64_t ne0, int64_t ne1)
{
	cr_assert_not_null(t);
	cr_expect_eq(t->ne[0], ne0, "%s ne0 %lld", t->name, (long long)t->ne[0]);
	cr_expect_eq(t->ne[1], ne1, "%s ne1 %lld", t->name, (long long)t->ne[1]);
}

Test(model, tiny_llama_gives_its_descriptor)
{
	struct plume_model *m = tiny_ok(NULL);
	const struct plume_model_desc *d = plume_model_desc(m);

	cr_expect_eq(d->size, sizeof(*d));
	cr_expect_str_eq(d->arch_name, "llama");
	cr_expect_str_eq(d->name, "tiny");
	cr_expect_eq(d->arch, PLUME_ARCH_LLAMA);
	cr_expect_eq(d->rope_type, PLUME_ROPE_NORM);
	cr_expect_eq(d->flags, 0);
	cr_expect_eq(d->n_vocab, 320);
	cr_expect_eq(d->n_embd, 64);
	cr_expect_eq(d->n_layer, 2);
	cr_expect_eq(d->n_head, 4);
	cr_expect_eq(d->n_head_kv, 2);
	cr_expect_eq(d->head_dim_k, 16);
	cr_expect_eq(d->head_dim_v, 16);
	cr_expect_eq(d->n_ff, 128);
	cr_expect_eq(d->n_rot, 16);
	cr_expect_eq(d->n_ctx_train, 256);
	cr_expect_float_eq(d->norm_eps, 1e-5f, 1e-12f);
	cr_expect_eq(d->rope_freq_base, 10000.0f);
	cr_expect_eq(d->rope_freq_scale, 1.0f);
	cr_expect_float_eq(d->attn_scale, 0.25f, 1e-7f);
	expect_shape(d->tok_embd, 64, 320);
	expect_shape(d->output, 64, 320);
	cr_expect_neq(d->output, d->tok_embd);
	expect_shape(d->output_norm, 64, 1);
	cr_expect_null(d->rope_freqs);
	cr_expect_eq(d->layer_size, sizeof(struct plume_layer));
	cr_expect_eq(d->n_tensors, 3 + 2 * 9);
	for (uint32_t l = 0; l < d->n_layer; l++) {
		const struct plume_layer *L = plume_model_layer(d, l);

		cr_expect_eq(L->n_head, 4);
		cr_expect_eq(L->n_head_kv, 2);
		cr_expect_eq(L->n_ff, 128);
		cr_expect_eq(L->is_swa, 0);
		expect_shape(L->attn_norm, 64, 1);
		expect_shape(L->wq, 64, 64);
		expect_shape(L->wk, 64, 32);
		expect_shape(L->wv, 64, 32);
		expect_shape(L->wo, 64, 64);
		expect_shape(L->ffn_norm, 64, 1);
		expect_shape(L->ffn_gate, 64, 128);
		expect_shape(L->ffn_up, 64, 128);
		expect_shape(L->ffn_down, 128, 64);
		cr_expect(!L->bq && !L->bk && !L->bv && !L->bo && !L->q_norm && !L->k_norm &&
			  !L->attn_post_norm && !L->ffn_post_norm);
		cr_expect_eq(L->wq->type, PLUME_DTYPE_F32);
	}
	/* norms near 1, finite */
	for (int i = 0; i < 64; i++) {
		float v = ((const float *)plume_model_layer(d, 1)->ffn_norm->data)[i];

		cr_expect(v > 0.85f && v < 1.15f, "norm value %g", v);
	}
	plume_model_free(m);
}

Test(model, tiny_tied_output_reuses_token_embd)
{
	struct plume_model *m = tiny_ok(&(struct tu_tiny_opts){.tied = 1});
	const struct plume_model_desc *d = plume_model_desc(m);

	cr_expect(d->flags & PLUME_MODEL_TIED_OUTPUT);
	cr_expect_eq(d->output, d->tok_embd);
	cr_expect_null(plume_gguf_find_tensor(plume_model_gguf(m), "output.weight"));
	plume_model_free(m);
}

/* Every scale of every block of t is finite and small. */
static void check_block_scales(const struct plume_tensor *t, size_t block, size_t n_scales)
{
	const uint8_t *p = t->data;

	cr_assert_eq(t->n_bytes % block, 0);
	for (size_t b = 0; b < t->n_bytes / block; b++)
		for (size_t k = 0; k < n_scales; k++) {
			uint16_t h;
			float f;

			memcpy(&h, p + b * block + 2 * k, 2);
			f = tu_f32_from_fp16(h);
			cr_assert(isfinite(f) && fabsf(f) < 1.0f, "%s block %zu scale %g", t->name, b, f);
		}
}

Test(model, tiny_weight_types_are_written_as_asked)
{
	static const uint32_t types[] = {PLUME_DTYPE_F16, PLUME_DTYPE_BF16, PLUME_DTYPE_Q4_0,
					 PLUME_DTYPE_Q4_1, PLUME_DTYPE_Q8_0};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct plume_model *m = tiny_ok(&(struct tu_tiny_opts){
			.weight_type = types[i], .embd_type = PLUME_DTYPE_Q8_0, .tied = 1});
		const struct plume_model_desc *d = plume_model_desc(m);
		const struct plume_layer *L = plume_model_layer(d, 0);

		cr_expect_eq(L->wq->type, types[i]);
		cr_expect_eq(L->ffn_down->type, types[i]);
		cr_expect_eq(L->attn_norm->type, PLUME_DTYPE_F32);
		cr_expect_eq(d->tok_embd->type, PLUME_DTYPE_Q8_0);
		check_block_scales(d->tok_embd, 34, 1);
		if (types[i] == PLUME_DTYPE_Q4_0)
			check_block_scales(L->wq, 18, 1);
		if (types[i] == PLUME_DTYPE_Q4_1)
			check_block_scales(L->ffn_up, 20, 2);
		if (types[i] == PLUME_DTYPE_Q8_0)
			check_block_scales(L->wo, 34, 1);
		if (types[i] == PLUME_DTYPE_F16)
			check_block_scales(L->wk, 2, 1);
		plume_model_free(m);
	}
}

Test(model, tiny_model_is_deterministic_per_seed)
{
	struct plume_model *a = tiny_ok(NULL), *b = tiny_ok(NULL);
	struct plume_model *c = tiny_ok(&(struct tu_tiny_opts){.seed = 99});
	const struct plume_tensor *ta = plume_model_desc(a)->tok_embd;

	cr_expect_eq(memcmp(ta->data, plume_model_desc(b)->tok_embd->data, ta->n_bytes), 0);
	cr_expect_neq(memcmp(ta->data, plume_model_desc(c)->tok_embd->data, ta->n_bytes), 0);
	plume_model_free(a);
	plume_model_free(b);
	plume_model_free(c);
}

Test(model, tiny_vocabulary)
{
	struct plume_model *m = tiny_ok(NULL);
	const struct plume_vocab *v = plume_model_vocab(m);
	struct plume_str s;
	int64_t n;
	uint32_t et;
	uint64_t count;
	const void *data;

	cr_assert_not_null(v);
	cr_expect_eq(v->size, sizeof(*v));
	cr_expect_str_eq(v->model, "gpt2");
	cr_expect_str_eq(v->pre, "gpt-2");
	cr_expect_eq(v->n_tokens, TU_TINY_N_VOCAB);
	cr_expect_eq(v->n_merges, TU_TINY_N_MERGES);
	cr_expect_eq(v->bos_id, TU_TINY_BOS);
	cr_expect_eq(v->eos_id, TU_TINY_EOS);
	cr_expect_eq(v->pad_id, TU_TINY_EOT_TEXT);
	cr_expect_eq(v->unk_id, -1);
	cr_expect_eq(v->eot_id, -1);
	cr_expect_eq(v->add_bos, 0);
	cr_expect_eq(v->add_eos, 0);
	cr_expect_eq(v->add_space_prefix, -1);
	cr_expect_null(v->scores);
	cr_assert_not_null(v->token_types);
	cr_expect_eq(v->token_types[TU_TINY_BOS], 3);
	cr_expect_eq(v->token_types[65], 1);
	cr_expect_eq(v->tokens[32].len, 2);
	cr_expect_eq(memcmp(v->tokens[32].ptr, "\xc4\xa0", 2), 0); /* "Ġ" */
	cr_expect_eq(v->tokens[65].len, 1);
	cr_expect_eq(v->tokens[65].ptr[0], 'A');
	cr_expect_eq(v->merges[0].len, strlen(tu_tiny_merge(0)));
	cr_expect_eq(memcmp(v->merges[0].ptr, tu_tiny_merge(0), v->merges[0].len), 0);
	cr_expect(strstr(plume_model_chat_template(m), "<|im_start|>") != NULL);

	cr_expect_eq(v->meta_string(v->meta, "general.architecture", &s), 0);
	cr_expect_eq(s.len, 5);
	cr_expect_eq(v->meta_int(v->meta, "llama.block_count", &n), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(v->meta_array(v->meta, "tokenizer.ggml.merges", &et, &count, &data), 0);
	cr_expect_eq(et, GGUF_TYPE_STRING);
	cr_expect_eq(count, TU_TINY_N_MERGES);
	cr_expect_eq(v->meta_string(v->meta, "absent", &s), PLUME_ERR_NOTFOUND);
	cr_expect_eq(v->meta_int(v->meta, "general.architecture", &n), PLUME_ERR_NOTFOUND);
	cr_expect_eq(v->meta_array(v->meta, "llama.block_count", &et, &count, &data),
		     PLUME_ERR_NOTFOUND);
	plume_model_free(m);
}

Test(model, tiny_vocabulary_merges_are_consistent)
{
	/* each merge joins two existing tokens into token 256 + rank */
	for (int i = 0; i < TU_TINY_N_MERGES; i++) {
		const char *mg = tu_tiny_merge(i), *sp = strchr(mg, ' ');
		char left[32], right[32], joined[64];
		int found_l = 0, found_r = 0;

		cr_assert_not_null(sp);
		snprintf(left, sizeof(left), "%.*s", (int)(sp - mg), mg);
		snprintf(right, sizeof(right), "%s", sp + 1);
		snprintf(joined, sizeof(joined), "%s%s", left, right);
		for (int t = 0; t < 256 + i; t++) {
			found_l |= !strcmp(tu_tiny_token(t), left);
			found_r |= !strcmp(tu_tiny_token(t), right);
			cr_expect(strcmp(tu_tiny_token(t), joined), "merge %d duplicates token %d", i, t);
		}
		cr_expect(found_l && found_r, "merge %d '%s' joins unknown tokens", i, mg);
		cr_expect_str_eq(tu_tiny_token(256 + i), joined);
	}
}

Test(model, vocab_only_file_loads_with_vocab_only_flag)
{
	struct tu_tiny_opts o = {.vocab_only = 1};
	struct plume_model *m;

	cr_assert_eq(load_tiny(&o, PLUME_MODEL_LOAD_VOCAB_ONLY, &m), 0, "%s", err.msg);
	cr_expect_null(plume_model_desc(m));
	cr_assert_not_null(plume_model_vocab(m));
	cr_expect_eq(plume_model_vocab(m)->n_tokens, TU_TINY_N_VOCAB);
	plume_model_free(m);
	expect_fail(&o, PLUME_ERR_INVALID, "required key llama.block_count is missing");
}

Test(model, file_without_vocabulary_has_none)
{
	struct plume_model *m = tiny_ok(&(struct tu_tiny_opts){.no_vocab = 1});

	cr_expect_null(plume_model_vocab(m));
	cr_expect_null(plume_model_chat_template(m));
	cr_expect_eq(plume_model_desc(m)->n_vocab, 320);
	plume_model_free(m);
}

Test(model, rope_freqs_tensor_is_picked_up)
{
	struct plume_model *m = tiny_ok(&(struct tu_tiny_opts){.rope_freqs = 1});
	const struct plume_model_desc *d = plume_model_desc(m);

	expect_shape(d->rope_freqs, 8, 1);
	plume_model_free(m);
}

Test(model, missing_required_tensor_is_named)
{
	expect_fail(&(struct tu_tiny_opts){.omit_tensor = "blk.1.ffn_down.weight"},
		    PLUME_ERR_INVALID, "required tensor 'blk.1.ffn_down.weight' is missing");
	expect_fail(&(struct tu_tiny_opts){.omit_tensor = "token_embd.weight"},
		    PLUME_ERR_INVALID, "required tensor 'token_embd.weight' is missing");
}

Test(model, wrong_shape_names_tensor_got_and_expected)
{
	expect_fail(&(struct tu_tiny_opts){.bad_shape = "blk.0.attn_k.weight"}, PLUME_ERR_INVALID,
		    "tensor 'blk.0.attn_k.weight' has shape [96, 32], expected [64, 32]");
	expect_fail(&(struct tu_tiny_opts){.bad_shape = "output_norm.weight"}, PLUME_ERR_INVALID,
		    "tensor 'output_norm.weight' has shape [96], expected [64]");
}

Test(model, unknown_architecture_is_an_error)
{
	expect_fail(&(struct tu_tiny_opts){.arch = "mamba"}, PLUME_ERR_UNSUPPORTED,
		    "architecture 'mamba' is not supported");
}

Test(model, absurd_block_count_is_rejected_before_allocating)
{
	expect_fail(&(struct tu_tiny_opts){.block_count = 100000}, PLUME_ERR_INVALID,
		    "llama.block_count = 100000 (expected 1..512)");
}

Test(model, extra_block_count_finds_missing_layer)
{
	expect_fail(&(struct tu_tiny_opts){.block_count = 3}, PLUME_ERR_INVALID,
		    "required tensor 'blk.2.attn_norm.weight' is missing");
}

Test(model, qwen2_has_qkv_biases_and_neox_rope)
{
	struct plume_model *m = tiny_ok(&(struct tu_tiny_opts){.arch = "qwen2"});
	const struct plume_model_desc *d = plume_model_desc(m);
	const struct plume_layer *L = plume_model_layer(d, 1);

	cr_expect_eq(d->arch, PLUME_ARCH_QWEN2);
	cr_expect_eq(d->rope_type, PLUME_ROPE_NEOX);
	cr_expect(d->flags & PLUME_MODEL_QKV_BIAS);
	expect_shape(L->bq, 64, 1);
	expect_shape(L->bk, 32, 1);
	expect_shape(L->bv, 32, 1);
	cr_expect_null(L->bo);
	plume_model_free(m);
	expect_fail(&(struct tu_tiny_opts){.arch = "qwen2", .omit_tensor = "blk.0.attn_v.bias"},
		    PLUME_ERR_INVALID, "required tensor 'blk.0.attn_v.bias' is missing");
}

Test(model, qwen3_has_qk_norms)
{
	struct plume_model *m = tiny_ok(&(struct tu_tiny_opts){.arch = "qwen3"});
	const struct plume_model_desc *d = plume_model_desc(m);
	const struct plume_layer *L = plume_model_layer(d, 0);

	cr_expect_eq(d->arch, PLUME_ARCH_QWEN3);
	cr_expect_eq(d->rope_type, PLUME_ROPE_NEOX);
	cr_expect_eq(d->flags, PLUME_MODEL_QK_NORM);
	expect_shape(L->q_norm, 16, 1);
	expect_shape(L->k_norm, 16, 1);
	plume_model_free(m);
}

Test(model, gemma3_flags_window_and_layer_pattern)
{
	struct plume_model *m = tiny_ok(&(struct tu_tiny_opts){.arch = "gemma3", .n_layer = 7,
							       .tied = 1});
	const struct plume_model_desc *d = plume_model_desc(m);
	uint32_t want = PLUME_MODEL_QK_NORM | PLUME_MODEL_POST_NORMS | PLUME_MODEL_GELU_FFN |
			PLUME_MODEL_EMBD_SCALE | PLUME_MODEL_SLIDING_WINDOW | PLUME_MODEL_QUERY_SCALE |
			PLUME_MODEL_TIED_OUTPUT;

	cr_expect_eq(d->arch, PLUME_ARCH_GEMMA3);
	cr_expect_eq(d->rope_type, PLUME_ROPE_NEOX);
	cr_expect_eq(d->flags, want, "flags %#x", d->flags);
	cr_expect_eq(d->sliding_window, 64);
	cr_expect_float_eq(d->embd_scale, 8.0f, 1e-6f);
	cr_expect_eq(d->rope_freq_base_swa, 10000.0f);
	cr_expect_float_eq(d->attn_scale, 0.25f, 1e-7f);
	for (uint32_t l = 0; l < 7; l++) {
		const struct plume_layer *L = plume_model_layer(d, l);

		cr_expect_eq(L->is_swa, l != 5, "layer %u is_swa %u", l, L->is_swa);
		expect_shape(L->attn_post_norm, 64, 1);
		expect_shape(L->ffn_post_norm, 64, 1);
	}
	plume_model_free(m);
}

/* ---- the real default model ------------------------------------------- */

Test(model, smollm2_loads_with_known_hparams)
{
	const char *dir = getenv("PLUME_MODEL_DIR"), *home = getenv("HOME");
	char path[1024];
	struct plume_model *m;
	const struct plume_model_desc *d;
	const struct plume_vocab *v;

	if (dir && *dir)
		snprintf(path, sizeof(path), "%s/SmolLM2-135M-Instruct.Q4_1.gguf", dir);
	else
		snprintf(path, sizeof(path), "%s/.cache/plume/models/SmolLM2-135M-Instruct.Q4_1.gguf",
			 home ? home : "");
	if (access(path, R_OK)) {
		printf("SKIPPED: %s is absent (set PLUME_MODEL_DIR)\n", path);
		cr_skip_test("model file %s is absent", path);
	}
	cr_assert_eq(plume_model_load(path, 0, &m, &err), 0, "%s", err.msg);
	d = plume_model_desc(m);
	v = plume_model_vocab(m);
	cr_expect_eq(d->arch, PLUME_ARCH_LLAMA);
	cr_expect_eq(d->rope_type, PLUME_ROPE_NORM);
	cr_expect_eq(d->n_layer, 30);
	cr_expect_eq(d->n_embd, 576);
	cr_expect_eq(d->n_head, 9);
	cr_expect_eq(d->n_head_kv, 3);
	cr_expect_eq(d->head_dim_k, 64);
	cr_expect_eq(d->n_rot, 64);
	cr_expect_eq(d->n_ff, 1536);
	cr_expect_eq(d->n_vocab, 49152);
	cr_expect_eq(d->rope_freq_base, 100000.0f);
	cr_expect(d->flags & PLUME_MODEL_TIED_OUTPUT);
	cr_expect_eq(d->output, d->tok_embd);
	cr_expect_eq(d->tok_embd->type, PLUME_DTYPE_Q8_0);
	cr_expect_eq(plume_model_layer(d, 29)->wq->type, PLUME_DTYPE_Q4_1);
	cr_expect_eq(plume_model_layer(d, 0)->attn_norm->type, PLUME_DTYPE_F32);
	cr_assert_not_null(v);
	cr_expect_eq(v->n_tokens, 49152);
	cr_expect_eq(v->n_merges, 48900);
	cr_expect_eq(v->bos_id, 1);
	cr_expect_eq(v->eos_id, 2);
	cr_expect_eq(v->add_bos, 0);
	cr_expect_str_eq(v->model, "gpt2");
	cr_expect_str_eq(v->pre, "smollm");
	cr_assert_not_null(plume_model_chat_template(m));
	cr_expect(strstr(plume_model_chat_template(m), "<|im_start|>") != NULL);
	plume_model_free(m);
}
