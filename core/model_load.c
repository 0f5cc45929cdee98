/* Model loading: the validated GGUF file -> model descriptor (architecture
 * flags, hyper-parameters, per-layer tensors with shape checks) and the
 * vocabulary handed to tokenizers. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 512

struct plume_model {
	struct plume_gguf *g;
	struct plume_model_desc desc;
	struct plume_layer *layers;
	int has_desc;
	struct plume_vocab vocab;
	int has_vocab;
	struct plume_str *tokens;
	struct plume_str *merges;
	float *scores;
	int32_t *types;
	char *model_name, *pre, *arch, *name, *chat_template;
};

static char *dup_str(struct plume_str s)
{
	char *p = malloc(s.len + 1);

	if (p) {
		memcpy(p, s.ptr, s.len);
		p[s.len] = '\0';
	}
	return p;
}

/* ---- hyper-parameters ------------------------------------------------- */

struct hp {
	struct plume_model *m;
	const char *arch;
	struct plume_error *err;
};

static int hp_u32(struct hp *h, const char *suffix, uint32_t *out, int required, uint32_t def)
{
	char key[160];
	int rc;

	snprintf(key, sizeof(key), "%s.%s", h->arch, suffix);
	rc = plume_gguf_get_u32(h->m->g, key, out, h->err);
	if (rc == PLUME_ERR_NOTFOUND) {
		if (required)
			return plume_error_set(h->err, PLUME_ERR_INVALID, "%s: required key %s is missing",
					       plume_gguf_path(h->m->g), key);
		*out = def;
		return 0;
	}
	return rc;
}

static int hp_f32(struct hp *h, const char *suffix, float *out, int required, float def)
{
	char key[160];
	int rc;

	snprintf(key, sizeof(key), "%s.%s", h->arch, suffix);
	rc = plume_gguf_get_f32(h->m->g, key, out, h->err);
	if (rc == PLUME_ERR_NOTFOUND) {
		if (required)
			return plume_error_set(h->err, PLUME_ERR_INVALID, "%s: required key %s is missing",
					       plume_gguf_path(h->m->g), key);
		*out = def;
		return 0;
	}
	return rc;
}

static int hp_present(struct hp *h, const char *suffix)
{
	char key[160];

	snprintf(key, sizeof(key), "%s.%s", h->arch, suffix);
	return plume_gguf_find(h->m->g, key) >= 0;
}

/* A per-layer value stored as a scalar or as an array of n_layer. */
static int hp_per_layer(struct hp *h, const char *suffix, uint32_t n_layer, uint32_t *vals,
			int required, uint32_t def)
{
	char key[160];
	int64_t i;

	snprintf(key, sizeof(key), "%s.%s", h->arch, suffix);
	i = plume_gguf_find(h->m->g, key);
	if (i >= 0 && plume_gguf_kv_type(h->m->g, i) == GGUF_TYPE_ARRAY) {
		uint32_t at = plume_gguf_arr_type(h->m->g, i);
		const uint8_t *d = plume_gguf_arr_data(h->m->g, i);

		if (plume_gguf_arr_n(h->m->g, i) != n_layer ||
		    (at != GGUF_TYPE_UINT32 && at != GGUF_TYPE_INT32))
			return plume_error_set(h->err, PLUME_ERR_INVALID,
					       "%s: key %s: expected %u 32-bit integers",
					       plume_gguf_path(h->m->g), key, n_layer);
		for (uint32_t l = 0; l < n_layer; l++) {
			int32_t v;

			memcpy(&v, d + 4 * l, 4);
			if (v < 0)
				return plume_error_set(h->err, PLUME_ERR_INVALID, "%s: key %s[%u] = %d",
						       plume_gguf_path(h->m->g), key, l, v);
			vals[l] = (uint32_t)v;
		}
		return 0;
	}
	{
		uint32_t v;
		int rc = hp_u32(h, suffix, &v, required, def);

		if (rc)
			return rc;
		for (uint32_t l = 0; l < n_layer; l++)
			vals[l] = v;
	}
	return 0;
}

/* ---- tensors ---------------------------------------------------------- */

static void shape_str(char *buf, size_t cap, const int64_t *ne, uint32_t n_dims)
{
	int n = snprintf(buf, cap, "[");

	for (uint32_t d = 0; d < n_dims && n > 0 && (size_t)n < cap; d++)
		n += snprintf(buf + n, cap - (size_t)n, "%s%lld", d ? ", " : "", (long long)ne[d]);
	if (n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, "]");
}

static int tensor(struct plume_model *m, const char *name, int required, int64_t ne0, int64_t ne1,
		  const struct plume_tensor **out, struct plume_error *err)
{
	const struct plume_tensor *t = plume_gguf_find_tensor(m->g, name);

	*out = NULL;
	if (!t) {
		if (required)
			return plume_error_set(err, PLUME_ERR_INVALID, "%s: required tensor '%s' is missing",
					       plume_gguf_path(m->g), name);
		return 0;
	}
	if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != 1 || t->ne[3] != 1) {
		char got[96], want[64];

		shape_str(got, sizeof(got), t->ne, t->n_dims);
		shape_str(want, sizeof(want), (int64_t[]){ne0, ne1, 1, 1}, ne1 == 1 ? 1 : 2);
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s: tensor '%s' has shape %s, expected %s",
				       plume_gguf_path(m->g), name, got, want);
	}
	*out = t;
	return 0;
}

/* Norms, biases and rope factors are read as F32 by every backend. */
static int want_f32(struct plume_model *m, const struct plume_tensor *t, struct plume_error *err)
{
	if (!t || t->type == PLUME_DTYPE_F32)
		return 0;
	return plume_error_set(err, PLUME_ERR_UNSUPPORTED, "%s: tensor '%s' has type %s, expected F32",
			       plume_gguf_path(m->g), t->name, plume_dtype_name(t->type));
}

static int layer_tensors(struct plume_model *m, uint32_t il, struct plume_error *err)
{
	struct plume_model_desc *d = &m->desc;
	struct plume_layer *L = &m->layers[il];
	int64_t q = (int64_t)L->n_head * d->head_dim_k, k = (int64_t)L->n_head_kv * d->head_dim_k;
	int64_t v = (int64_t)L->n_head_kv * d->head_dim_v, e = d->n_embd, ff = L->n_ff;
	int qkb = !!(d->flags & PLUME_MODEL_QKV_BIAS), qkn = !!(d->flags & PLUME_MODEL_QK_NORM);
	int post = !!(d->flags & PLUME_MODEL_POST_NORMS);
	char n[96];
	int rc = 0;

#define T(field, suffix, req, a, b)                                                \
	do {                                                                       \
		snprintf(n, sizeof(n), "blk.%u.%s", il, suffix);                   \
		if ((rc = tensor(m, n, req, a, b, &L->field, err)))                \
			return rc;                                                 \
	} while (0)
	T(attn_norm, "attn_norm.weight", 1, e, 1);
	T(wq, "attn_q.weight", 1, e, q);
	T(wk, "attn_k.weight", 1, e, k);
	T(wv, "attn_v.weight", 1, e, v);
	T(wo, "attn_output.weight", 1, q / d->head_dim_k * d->head_dim_v, e);
	T(bq, "attn_q.bias", qkb, q, 1);
	T(bk, "attn_k.bias", qkb, k, 1);
	T(bv, "attn_v.bias", qkb, v, 1);
	T(bo, "attn_output.bias", 0, e, 1);
	T(q_norm, "attn_q_norm.weight", qkn, d->head_dim_k, 1);
	T(k_norm, "attn_k_norm.weight", qkn, d->head_dim_k, 1);
	T(attn_post_norm, "post_attention_norm.weight", post, e, 1);
	T(ffn_norm, "ffn_norm.weight", 1, e, 1);
	T(ffn_gate, "ffn_gate.weight", 1, e, ff);
	T(ffn_up, "ffn_up.weight", 1, e, ff);
	T(ffn_down, "ffn_down.weight", 1, ff, e);
	T(ffn_post_norm, "post_ffw_norm.weight", post, e, 1);
#undef T
	{
		const struct plume_tensor *v1[] = {L->attn_norm, L->ffn_norm, L->bq, L->bk, L->bv,
						   L->bo, L->q_norm, L->k_norm, L->attn_post_norm,
						   L->ffn_post_norm};

		for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++)
			if ((rc = want_f32(m, v1[i], err)))
				return rc;
	}
	return 0;
}

static int arch_of(const char *name, uint32_t *arch, uint32_t *flags, uint32_t *rope)
{
	*flags = 0;
	*rope = PLUME_ROPE_NEOX;
	if (!strcmp(name, "llama")) {
		*arch = PLUME_ARCH_LLAMA;
		*rope = PLUME_ROPE_NORM;
	} else if (!strcmp(name, "qwen2")) {
		*arch = PLUME_ARCH_QWEN2;
		*flags = PLUME_MODEL_QKV_BIAS;
	} else if (!strcmp(name, "qwen3")) {
		*arch = PLUME_ARCH_QWEN3;
		*flags = PLUME_MODEL_QK_NORM;
	} else if (!strcmp(name, "gemma3")) {
		*arch = PLUME_ARCH_GEMMA3;
		*flags = PLUME_MODEL_QK_NORM | PLUME_MODEL_POST_NORMS | PLUME_MODEL_GELU_FFN |
			 PLUME_MODEL_EMBD_SCALE | PLUME_MODEL_SLIDING_WINDOW | PLUME_MODEL_QUERY_SCALE;
	} else {
		return -1;
	}
	return 0;
}

static int build_desc(struct plume_model *m, struct plume_error *err)
{
	struct plume_model_desc *d = &m->desc;
	struct hp h = {m, m->arch, err};
	uint32_t *heads = NULL, *heads_kv = NULL, *ffs = NULL, n_layer;
	char *scaling = NULL;
	int rc;

	memset(d, 0, sizeof(*d));
	d->size = sizeof(*d);
	d->abi_minor = PLUME_ABI_MINOR;
	d->arch_name = m->arch;
	if (arch_of(m->arch, &d->arch, &d->flags, &d->rope_type))
		return plume_error_set(err, PLUME_ERR_UNSUPPORTED,
				       "%s: architecture '%s' is not supported (supported: llama, qwen2, qwen3, gemma3)",
				       plume_gguf_path(m->g), m->arch);
	if ((rc = hp_u32(&h, "block_count", &n_layer, 1, 0)) ||
	    (rc = hp_u32(&h, "embedding_length", &d->n_embd, 1, 0)) ||
	    (rc = hp_u32(&h, "context_length", &d->n_ctx_train, 1, 0)))
		return rc;
	if (n_layer < 1 || n_layer > MAX_LAYERS)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: %s.block_count = %u (expected 1..%d)",
				       plume_gguf_path(m->g), m->arch, n_layer, MAX_LAYERS);
	if (d->n_embd < 1 || d->n_embd > 1 << 16)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: %s.embedding_length = %u",
				       plume_gguf_path(m->g), m->arch, d->n_embd);
	d->n_layer = n_layer;
	heads = calloc(n_layer, sizeof(*heads));
	heads_kv = calloc(n_layer, sizeof(*heads_kv));
	ffs = calloc(n_layer, sizeof(*ffs));
	m->layers = calloc(n_layer, sizeof(*m->layers));
	if (!heads || !heads_kv || !ffs || !m->layers) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = hp_per_layer(&h, "attention.head_count", n_layer, heads, 1, 0)) ||
	    (rc = hp_per_layer(&h, "attention.head_count_kv", n_layer, heads_kv, 0, 0)) ||
	    (rc = hp_per_layer(&h, "feed_forward_length", n_layer, ffs, 1, 0)))
		goto out;
	/* head_count_kv absent: no grouping (as many KV heads as query heads) */
	if (!hp_present(&h, "attention.head_count_kv"))
		memcpy(heads_kv, heads, n_layer * sizeof(*heads));
	for (uint32_t l = 0; l < n_layer; l++) {
		if (!ffs[l] || ffs[l] > 1u << 20) {
			rc = plume_error_set(err, PLUME_ERR_INVALID,
					     "%s: layer %u: %s.feed_forward_length = %u (expected 1..2^20)",
					     plume_gguf_path(m->g), l, m->arch, ffs[l]);
			goto out;
		}
		if (!heads[l] || heads[l] > 1024 || !heads_kv[l] || heads[l] % heads_kv[l]) {
			rc = plume_error_set(err, PLUME_ERR_INVALID,
					     "%s: layer %u: %u heads and %u kv heads (kv heads must divide heads)",
					     plume_gguf_path(m->g), l, heads[l], heads_kv[l]);
			goto out;
		}
		m->layers[l].n_head = heads[l];
		m->layers[l].n_head_kv = heads_kv[l];
		m->layers[l].n_ff = ffs[l];
		if (heads[l] > d->n_head)
			d->n_head = heads[l];
		if (heads_kv[l] > d->n_head_kv)
			d->n_head_kv = heads_kv[l];
		if (ffs[l] > d->n_ff)
			d->n_ff = ffs[l];
	}
	if (!hp_present(&h, "attention.key_length") && d->n_embd % d->n_head) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: %s.embedding_length %u is not a multiple of %u heads and %s.attention.key_length is absent",
				     plume_gguf_path(m->g), m->arch, d->n_embd, d->n_head, m->arch);
		goto out;
	}
	if ((rc = hp_u32(&h, "attention.key_length", &d->head_dim_k, 0, d->n_embd / d->n_head)) ||
	    (rc = hp_u32(&h, "attention.value_length", &d->head_dim_v, 0, d->n_embd / d->n_head)) ||
	    (rc = hp_u32(&h, "rope.dimension_count", &d->n_rot, 0, d->head_dim_k)) ||
	    (rc = hp_f32(&h, "attention.layer_norm_rms_epsilon", &d->norm_eps, 1, 0)) ||
	    (rc = hp_f32(&h, "rope.freq_base", &d->rope_freq_base, 0, 10000.0f)))
		goto out;
	if (!d->head_dim_k || d->head_dim_k % 2 || d->head_dim_k > 4096 || !d->head_dim_v ||
	    d->head_dim_v > 4096 || !d->n_rot || d->n_rot > d->head_dim_k || d->n_rot % 2) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: head size %u/%u with %u rotary dimensions (even, rotary <= head size <= 4096)",
				     plume_gguf_path(m->g), d->head_dim_k, d->head_dim_v, d->n_rot);
		goto out;
	}
	if (!(d->rope_freq_base > 0) || !isfinite(d->rope_freq_base) || !(d->norm_eps > 0) ||
	    !isfinite(d->norm_eps)) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: rope.freq_base %g and rms epsilon %g must be positive and finite",
				     plume_gguf_path(m->g), d->rope_freq_base, d->norm_eps);
		goto out;
	}
	d->rope_freq_scale = 1.0f;
	{
		char key[160];
		struct plume_str s;
		float factor = 0;

		snprintf(key, sizeof(key), "%s.rope.scaling.type", m->arch);
		if (!plume_gguf_get_str(m->g, key, &s, NULL)) {
			scaling = dup_str(s);
			if (scaling && strcmp(scaling, "none") && strcmp(scaling, "linear")) {
				rc = plume_error_set(err, PLUME_ERR_UNSUPPORTED,
						     "%s: rope scaling '%s' is not supported (none, linear)",
						     plume_gguf_path(m->g), scaling);
				goto out;
			}
		}
		if ((rc = hp_f32(&h, "rope.scaling.factor", &factor, 0, 0)))
			goto out;
		if (factor > 0 && isfinite(factor) && (!scaling || strcmp(scaling, "none")))
			d->rope_freq_scale = 1.0f / factor;
	}
	d->attn_scale = 1.0f / sqrtf((float)d->head_dim_k);
	if (d->flags & PLUME_MODEL_SLIDING_WINDOW) {
		if ((rc = hp_u32(&h, "attention.sliding_window", &d->sliding_window, 1, 0)))
			goto out;
		uint32_t pattern = 6;

		/* llama.cpp's defaults for gemma3: base 10000 on the sliding-window
		 * layers, every sixth layer global (pattern 6: layers 5, 11, ...) */
		if ((rc = hp_f32(&h, "rope.freq_base_swa", &d->rope_freq_base_swa, 0, 10000.0f)) ||
		    (rc = hp_u32(&h, "attention.sliding_window_pattern", &pattern, 0, 6)))
			goto out;
		if (!(d->rope_freq_base_swa > 0) || !isfinite(d->rope_freq_base_swa)) {
			rc = plume_error_set(err, PLUME_ERR_INVALID, "%s: %s.rope.freq_base_swa = %g",
					     plume_gguf_path(m->g), m->arch, d->rope_freq_base_swa);
			goto out;
		}
		for (uint32_t l = 0; l < n_layer; l++)
			m->layers[l].is_swa = pattern == 0 || l % pattern < pattern - 1;
	}
	{
		float softcap = 0;

		if ((rc = hp_f32(&h, "final_logit_softcapping", &softcap, 0, 0)))
			goto out;
		if (softcap != 0) {
			rc = plume_error_set(err, PLUME_ERR_UNSUPPORTED,
					     "%s: %s.final_logit_softcapping = %g is not supported",
					     plume_gguf_path(m->g), m->arch, softcap);
			goto out;
		}
	}
	if (d->flags & PLUME_MODEL_EMBD_SCALE)
		d->embd_scale = sqrtf((float)d->n_embd);

	{
		/* n_vocab: the tokenizer's count when present, else token_embd's rows */
		const struct plume_tensor *te = plume_gguf_find_tensor(m->g, "token_embd.weight");
		int64_t n_vocab = m->has_vocab ? m->vocab.n_tokens : te ? te->ne[1] : 0;

		if ((rc = tensor(m, "token_embd.weight", 1, d->n_embd, n_vocab, &d->tok_embd, err)))
			goto out;
		if (n_vocab < 1 || n_vocab > INT32_MAX) {
			rc = plume_error_set(err, PLUME_ERR_INVALID, "%s: %lld vocabulary rows",
					     plume_gguf_path(m->g), (long long)n_vocab);
			goto out;
		}
		d->n_vocab = (uint32_t)n_vocab;
	}
	if ((rc = tensor(m, "output_norm.weight", 1, d->n_embd, 1, &d->output_norm, err)) ||
	    (rc = tensor(m, "output.weight", 0, d->n_embd, d->n_vocab, &d->output, err)) ||
	    (rc = tensor(m, "rope_freqs.weight", 0, d->n_rot / 2, 1, &d->rope_freqs, err)))
		goto out;
	if ((rc = want_f32(m, d->output_norm, err)) || (rc = want_f32(m, d->rope_freqs, err)))
		goto out;
	if (!d->output) {
		d->output = d->tok_embd;
		d->flags |= PLUME_MODEL_TIED_OUTPUT;
	}
	for (uint32_t l = 0; l < n_layer; l++)
		if ((rc = layer_tensors(m, l, err)))
			goto out;
	d->layers = m->layers;
	d->layer_size = sizeof(struct plume_layer);
	d->tensors = plume_gguf_tensor(m->g, 0);
	d->n_tensors = (uint32_t)plume_gguf_n_tensors(m->g);
	d->name = m->name;
	m->has_desc = 1;
out:
	free(heads);
	free(heads_kv);
	free(ffs);
	free(scaling);
	return rc;
}

/* ---- vocabulary ------------------------------------------------------- */

static int meta_string(const void *meta, const char *key, struct plume_str *out)
{
	return plume_gguf_get_str(meta, key, out, NULL) ? PLUME_ERR_NOTFOUND : 0;
}

static int meta_int(const void *meta, const char *key, int64_t *out)
{
	return plume_gguf_get_i64(meta, key, out, NULL) ? PLUME_ERR_NOTFOUND : 0;
}

static int meta_array(const void *meta, const char *key, uint32_t *elem_type, uint64_t *n,
		      const void **data)
{
	int64_t i = plume_gguf_find(meta, key);

	if (i < 0 || plume_gguf_kv_type(meta, i) != GGUF_TYPE_ARRAY)
		return PLUME_ERR_NOTFOUND;
	*elem_type = plume_gguf_arr_type(meta, i);
	*n = plume_gguf_arr_n(meta, i);
	*data = plume_gguf_arr_data(meta, i);
	return 0;
}

static int32_t special_id(struct plume_model *m, const char *key, uint32_t n_tokens)
{
	int64_t v;

	if (plume_gguf_get_i64(m->g, key, &v, NULL))
		return -1;
	return v >= 0 && v < n_tokens ? (int32_t)v : -1;
}

static int32_t flag(struct plume_model *m, const char *key)
{
	int b;

	return plume_gguf_get_bool(m->g, key, &b, NULL) ? -1 : b;
}

/* Element j of numeric array kv i as a double (integer or float types). */
static double num_at(const uint8_t *d, uint32_t type, uint64_t j)
{
	switch (type) {
	case GGUF_TYPE_UINT8: return d[j];
	case GGUF_TYPE_INT8: return (int8_t)d[j];
	case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, d + 2 * j, 2); return v; }
	case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, d + 2 * j, 2); return v; }
	case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, d + 4 * j, 4); return v; }
	case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, d + 4 * j, 4); return v; }
	case GGUF_TYPE_FLOAT32: { float v; memcpy(&v, d + 4 * j, 4); return v; }
	case GGUF_TYPE_UINT64: { uint64_t v; memcpy(&v, d + 8 * j, 8); return (double)v; }
	case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, d + 8 * j, 8); return (double)v; }
	case GGUF_TYPE_FLOAT64: { double v; memcpy(&v, d + 8 * j, 8); return v; }
	}
	return 0;
}

/* Copy the first n elements of numeric array kv i as float (as_int 0) or
 * int32 (as_int 1: integer element types only) into a new *out. */
static int numeric_copy(struct plume_model *m, int64_t i, uint64_t n, int as_int, void *outp,
			struct plume_error *err)
{
	const struct plume_gguf *g = m->g;
	uint32_t at = plume_gguf_arr_type(g, i);
	const uint8_t *d = plume_gguf_arr_data(g, i);
	int is_float = at == GGUF_TYPE_FLOAT32 || at == GGUF_TYPE_FLOAT64;
	void *out;

	if (plume_gguf_kv_type(g, i) != GGUF_TYPE_ARRAY || plume_gguf_arr_n(g, i) < n ||
	    at == GGUF_TYPE_STRING || at == GGUF_TYPE_BOOL || (as_int && is_float)) {
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: %s: expected %llu %s values",
				       plume_gguf_path(g), plume_gguf_key(g, i),
				       (unsigned long long)n, as_int ? "integer" : "numeric");
	}
	out = malloc(n * 4);
	if (!out)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	for (uint64_t j = 0; j < n; j++) {
		double v = num_at(d, at, j);

		if (as_int)
			((int32_t *)out)[j] = v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v;
		else
			((float *)out)[j] = (float)v;
	}
	memcpy(outp, &out, sizeof(out));
	return 0;
}

static int build_vocab(struct plume_model *m, struct plume_error *err)
{
	struct plume_vocab *v = &m->vocab;
	int64_t it = plume_gguf_find(m->g, "tokenizer.ggml.tokens");
	int64_t im = plume_gguf_find(m->g, "tokenizer.ggml.merges");
	int64_t is = plume_gguf_find(m->g, "tokenizer.ggml.scores");
	int64_t itt = plume_gguf_find(m->g, "tokenizer.ggml.token_type");
	const char *path = plume_gguf_path(m->g);
	struct plume_str s;
	uint64_t n;

	if (it < 0)
		return 0;
	if (plume_gguf_kv_type(m->g, it) != GGUF_TYPE_ARRAY ||
	    plume_gguf_arr_type(m->g, it) != GGUF_TYPE_STRING)
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s: tokenizer.ggml.tokens is not an array of strings", path);
	n = plume_gguf_arr_n(m->g, it);
	if (!n || n > INT32_MAX)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: tokenizer.ggml.tokens has %llu entries",
				       path, (unsigned long long)n);
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	v->abi_minor = PLUME_ABI_MINOR;
	v->n_tokens = (uint32_t)n;
	m->tokens = malloc(n * sizeof(*m->tokens));
	if (!m->tokens)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		m->tokens[i] = plume_gguf_arr_str(m->g, it, i);
	v->tokens = m->tokens;
	if (im >= 0) {
		uint64_t nm;

		if (plume_gguf_kv_type(m->g, im) != GGUF_TYPE_ARRAY ||
		    plume_gguf_arr_type(m->g, im) != GGUF_TYPE_STRING)
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: tokenizer.ggml.merges is not an array of strings", path);
		nm = plume_gguf_arr_n(m->g, im);
		m->merges = malloc((nm ? nm : 1) * sizeof(*m->merges));
		if (!m->merges)
			return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		for (uint64_t i = 0; i < nm; i++)
			m->merges[i] = plume_gguf_arr_str(m->g, im, i);
		v->merges = m->merges;
		v->n_merges = (uint32_t)nm;
	}
	if (is >= 0) {
		int rc = numeric_copy(m, is, n, 0, &m->scores, err);

		if (rc)
			return rc;
		v->scores = m->scores;
	}
	if (itt >= 0) {
		int rc = numeric_copy(m, itt, n, 1, &m->types, err);

		if (rc)
			return rc;
		v->token_types = m->types;
	}
	if (!plume_gguf_get_str(m->g, "tokenizer.ggml.model", &s, NULL)) {
		m->model_name = dup_str(s);
		if (!m->model_name)
			return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	}
	if (!plume_gguf_get_str(m->g, "tokenizer.ggml.pre", &s, NULL)) {
		m->pre = dup_str(s);
		if (!m->pre)
			return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	}
	v->model = m->model_name;
	v->pre = m->pre;
	v->bos_id = special_id(m, "tokenizer.ggml.bos_token_id", v->n_tokens);
	v->eos_id = special_id(m, "tokenizer.ggml.eos_token_id", v->n_tokens);
	v->unk_id = special_id(m, "tokenizer.ggml.unknown_token_id", v->n_tokens);
	v->pad_id = special_id(m, "tokenizer.ggml.padding_token_id", v->n_tokens);
	v->sep_id = special_id(m, "tokenizer.ggml.seperator_token_id", v->n_tokens);
	v->eot_id = special_id(m, "tokenizer.ggml.eot_token_id", v->n_tokens);
	v->eom_id = special_id(m, "tokenizer.ggml.eom_token_id", v->n_tokens);
	v->add_bos = flag(m, "tokenizer.ggml.add_bos_token");
	v->add_eos = flag(m, "tokenizer.ggml.add_eos_token");
	v->add_space_prefix = flag(m, "tokenizer.ggml.add_space_prefix");
	v->meta = m->g;
	v->meta_string = meta_string;
	v->meta_int = meta_int;
	v->meta_array = meta_array;
	m->has_vocab = 1;
	return 0;
}

int plume_model_load(const char *path, uint32_t flags, struct plume_model **out,
		     struct plume_error *err)
{
	struct plume_model *m = calloc(1, sizeof(*m));
	struct plume_str s;
	int rc;

	if (!m)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	rc = plume_gguf_open(path, &m->g, err);
	if (rc)
		goto fail;
	if (!plume_gguf_get_str(m->g, "tokenizer.chat_template", &s, NULL) &&
	    !(m->chat_template = dup_str(s))) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto fail;
	}
	rc = build_vocab(m, err);
	if (rc)
		goto fail;
	if (!(flags & PLUME_MODEL_LOAD_VOCAB_ONLY)) {
		rc = plume_gguf_get_str(m->g, "general.architecture", &s, err);
		if (rc == PLUME_ERR_NOTFOUND)
			rc = plume_error_set(err, PLUME_ERR_INVALID,
					     "%s: general.architecture is missing", path);
		if (rc)
			goto fail;
		m->arch = dup_str(s);
		if (!plume_gguf_get_str(m->g, "general.name", &s, NULL))
			m->name = dup_str(s);
		else
			m->name = strdup(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
		if (!m->arch || !m->name) {
			rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
			goto fail;
		}
		rc = build_desc(m, err);
		if (rc)
			goto fail;
	}
	*out = m;
	return PLUME_OK;
fail:
	plume_model_free(m);
	return rc;
}

void plume_model_free(struct plume_model *m)
{
	if (!m)
		return;
	free(m->layers);
	free(m->tokens);
	free(m->merges);
	free(m->scores);
	free(m->types);
	free(m->model_name);
	free(m->pre);
	free(m->arch);
	free(m->name);
	free(m->chat_template);
	plume_gguf_close(m->g);
	free(m);
}

const struct plume_gguf *plume_model_gguf(const struct plume_model *m) { return m->g; }

const struct plume_model_desc *plume_model_desc(const struct plume_model *m)
{
	return m->has_desc ? &m->desc : NULL;
}

const struct plume_vocab *plume_model_vocab(const struct plume_model *m)
{
	return m->has_vocab ? &m->vocab : NULL;
}

const char *plume_model_chat_template(const struct plume_model *m) { return m->chat_template; }
