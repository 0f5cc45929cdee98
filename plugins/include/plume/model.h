/* plume plugin ABI: the model descriptor the host hands a backend.
 *
 * The host maps the GGUF file, validates it, and describes the model here:
 * architecture flags, hyper-parameters and typed views of the tensors. Tensor
 * data stays in the host's mapping; a backend reads it during load_model()
 * and may keep pointing at it until the model is unloaded (the mapping lives
 * until the backend is destroyed). Nothing here is written by a backend. */
#ifndef PLUME_MODEL_H
#define PLUME_MODEL_H

#include "plume/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tensor element types: the ggml/GGUF type ids (reference/gguf.md §2.1). */
enum plume_dtype {
	PLUME_DTYPE_F32 = 0,
	PLUME_DTYPE_F16 = 1,
	PLUME_DTYPE_Q4_0 = 2,
	PLUME_DTYPE_Q4_1 = 3,
	PLUME_DTYPE_Q5_0 = 6,
	PLUME_DTYPE_Q5_1 = 7,
	PLUME_DTYPE_Q8_0 = 8,
	PLUME_DTYPE_Q8_1 = 9,
	PLUME_DTYPE_Q2_K = 10,
	PLUME_DTYPE_Q3_K = 11,
	PLUME_DTYPE_Q4_K = 12,
	PLUME_DTYPE_Q5_K = 13,
	PLUME_DTYPE_Q6_K = 14,
	PLUME_DTYPE_Q8_K = 15,
	PLUME_DTYPE_BF16 = 30,
};

/* A typed view of one tensor in the host's mapping. ne[] is in ggml order:
 * ne[0] is the contiguous row length; a weight with ne = {in, out} is `out`
 * rows of `in` elements (PyTorch Linear layout). */
struct plume_tensor {
	const char *name;        /* NUL-terminated, owned by the host */
	uint32_t type;           /* enum plume_dtype */
	uint32_t n_dims;         /* 1..4 */
	int64_t ne[4];           /* unused dims are 1 */
	const void *data;        /* host memory, >= 32-byte aligned; read-only */
	uint64_t n_bytes;        /* exact size of data */
};

enum plume_arch {
	PLUME_ARCH_LLAMA = 1,    /* Llama 2/3, Mistral, SmolLM, TinyLlama */
	PLUME_ARCH_QWEN2 = 2,
	PLUME_ARCH_QWEN3 = 3,
	PLUME_ARCH_GEMMA3 = 4,
};

enum plume_rope_type {
	PLUME_ROPE_NORM = 0,     /* rotate adjacent pairs (v[2i], v[2i+1]) */
	PLUME_ROPE_NEOX = 2,     /* rotate halves (v[i], v[i + n_rot/2]) */
};

/* Architecture flags: what the forward must do beyond the llama baseline. */
enum plume_model_flag {
	PLUME_MODEL_TIED_OUTPUT = 1u << 0,   /* output projection is tok_embd */
	PLUME_MODEL_QKV_BIAS = 1u << 1,      /* q/k/v biases present (qwen2) */
	PLUME_MODEL_QK_NORM = 1u << 2,       /* per-head RMSNorm on q and k before RoPE */
	PLUME_MODEL_POST_NORMS = 1u << 3,    /* norms after attention and FFN outputs (gemma3) */
	PLUME_MODEL_GELU_FFN = 1u << 4,      /* gate activation GELU-tanh instead of SiLU */
	PLUME_MODEL_EMBD_SCALE = 1u << 5,    /* multiply embeddings by embd_scale */
	PLUME_MODEL_SLIDING_WINDOW = 1u << 6,/* some layers use windowed attention */
	PLUME_MODEL_QUERY_SCALE = 1u << 7,   /* ABI 1.1: q *= attn_scale before attention, q·k unscaled (gemma3) */
};

/* Per-layer tensors; NULL where the architecture has none. Strided by
 * plume_model_desc.layer_size so the struct can grow. */
struct plume_layer {
	const struct plume_tensor *attn_norm;   /* [n_embd] F32 */
	const struct plume_tensor *wq;          /* [n_embd, n_head*head_dim_k] */
	const struct plume_tensor *wk;          /* [n_embd, n_head_kv*head_dim_k] */
	const struct plume_tensor *wv;          /* [n_embd, n_head_kv*head_dim_v] */
	const struct plume_tensor *wo;          /* [n_head*head_dim_v, n_embd] */
	const struct plume_tensor *bq, *bk, *bv, *bo;  /* optional biases, F32 */
	const struct plume_tensor *q_norm;      /* [head_dim_k] with QK_NORM */
	const struct plume_tensor *k_norm;      /* [head_dim_k] with QK_NORM */
	const struct plume_tensor *attn_post_norm; /* [n_embd] with POST_NORMS */
	const struct plume_tensor *ffn_norm;    /* [n_embd] F32 */
	const struct plume_tensor *ffn_gate;    /* [n_embd, n_ff] */
	const struct plume_tensor *ffn_up;      /* [n_embd, n_ff] */
	const struct plume_tensor *ffn_down;    /* [n_ff, n_embd] */
	const struct plume_tensor *ffn_post_norm; /* [n_embd] with POST_NORMS */
	uint32_t n_head;         /* this layer's query heads */
	uint32_t n_head_kv;      /* this layer's KV heads */
	uint32_t n_ff;           /* this layer's FFN width */
	uint32_t is_swa;         /* 1: sliding-window layer (uses rope_freq_base_swa) */
};

struct plume_model_desc {
	uint32_t size, abi_minor;
	const char *arch_name;   /* general.architecture, "llama" */
	uint32_t arch;           /* enum plume_arch */
	uint32_t flags;          /* enum plume_model_flag bits */
	const char *name;        /* general.name or the file's base name */

	uint32_t n_vocab;        /* rows of tok_embd */
	uint32_t n_embd;
	uint32_t n_layer;
	uint32_t n_head;         /* max over layers */
	uint32_t n_head_kv;      /* max over layers */
	uint32_t head_dim_k;
	uint32_t head_dim_v;
	uint32_t n_ff;           /* max over layers */
	uint32_t n_rot;          /* rotated dims per head (<= head_dim_k, even) */
	uint32_t n_ctx_train;
	uint32_t rope_type;      /* enum plume_rope_type */
	float norm_eps;          /* RMSNorm epsilon */
	float rope_freq_base;
	float rope_freq_scale;   /* 1/linear factor; 1 = none */
	float rope_freq_base_swa;/* with SLIDING_WINDOW: base for is_swa layers */
	uint32_t sliding_window; /* with SLIDING_WINDOW: window in tokens */
	float embd_scale;        /* with EMBD_SCALE */
	float attn_scale;        /* q·k scale; 1/sqrt(head_dim_k) for llama */

	const struct plume_tensor *tok_embd;    /* [n_embd, n_vocab] */
	const struct plume_tensor *output_norm; /* [n_embd] F32 */
	const struct plume_tensor *output;      /* [n_embd, n_vocab]; == tok_embd when tied */
	const struct plume_tensor *rope_freqs;  /* optional [n_rot/2] F32: θ_i divided by it */

	const struct plume_layer *layers;       /* n_layer entries, strided by layer_size */
	uint32_t layer_size;                    /* sizeof(struct plume_layer) as built by the host */

	const struct plume_tensor *tensors;     /* every tensor of the file */
	uint32_t n_tensors;
};

static inline const struct plume_layer *
plume_model_layer(const struct plume_model_desc *m, uint32_t il)
{
	return (const struct plume_layer *)((const char *)m->layers + (size_t)il * m->layer_size);
}

#ifdef __cplusplus
}
#endif
#endif /* PLUME_MODEL_H */
