/* The GPU backend's context and the launchers of its kernel families, shared
 * by the CUDA and HIP builds (one source tree, see gpu_compat.h). Device
 * memory never leaves the plugin: the core sees only host arrays. */
#ifndef PLUME_GPU_H
#define PLUME_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "gpu_compat.h"
#include "plume/backend.h"

/* Check a runtime call; on failure fill err with file:line and the
 * runtime's message and jump to `fail` with rc set. */
#define GPU_CHECK(c, call)                                                              \
	do {                                                                            \
		gpuError_t e_ = (call);                                                 \
		if (e_ != gpuSuccess) {                                                 \
			rc = (c)->host->error(err, PLUME_ERR_IO, GPU_NAME ": %s at %s:%d: %s", \
					      #call, __FILE__, __LINE__, gpuGetErrorString(e_)); \
			goto fail;                                                      \
		}                                                                       \
	} while (0)

struct gpu_w {                  /* a weight on the device */
	const uint8_t *d;       /* device bytes, GGUF layout */
	uint32_t type;
	int64_t k, n;           /* row length, rows */
};

struct gpu_layer {
	struct gpu_w wq, wk, wv, wo, gate, up, down;
	const float *attn_norm, *ffn_norm, *bq, *bk, *bv, *bo, *q_norm, *k_norm;
	const float *attn_post_norm, *ffn_post_norm;   /* POST_NORMS (gemma3) */
	uint32_t n_head, n_head_kv, n_ff;
	uint32_t is_swa;        /* sliding-window layer (SLIDING_WINDOW) */
};

/* A captured forward (kernels only, no copies), replayed while the batch
 * shape and the buffers it names are the same. */
struct gpu_graph {
	int64_t n_tokens;
	uint32_t n_logits;
	int ctx_bucket;                 /* attention context rounded up: sets shared memory */
	const void *scratch, *kv, *weights;
	gpuGraphExec_t exec;
	uint64_t last_use;
};

#define GPU_N_GRAPHS 8
#define GPU_CTX_BUCKET 256

struct gpu_ctx {
	const struct plume_host *host;
	int device;
	char name[256];
	gpuStream_t stream;
	const struct plume_model_desc *m;
	uint8_t *weights;               /* one allocation for every weight */
	struct gpu_layer *layers;       /* host array [n_layer] */
	struct gpu_w tok_embd, output;
	const float *output_norm, *rope_freqs;
	/* paged KV cache, F16: [n_blocks * block_size][n_head_kv * head_dim] per layer */
	__half *kv;                     /* one allocation: K of every layer, then V */
	uint32_t n_blocks, block_size;
	size_t kv_layer_elems;          /* elements of K (or V) of one layer */
	/* forward scratch, grown on demand */
	uint8_t *scratch;
	size_t scratch_size;
	int32_t *h_meta;                /* host staging of the per-token metadata */
	size_t h_meta_size;
	int use_graphs;                 /* [backend.NAME] graphs */
	struct gpu_graph graphs[GPU_N_GRAPHS];
	uint64_t n_forwards;
};

/* Drop every captured graph (weights, KV pool or scratch replaced). */
void gpu_graphs_clear(struct gpu_ctx *c);
/* warpSize of the current device; call once outside any capture. */
int gpu_warp_size(void);

/* matmul.cu: y[t][o] = sum_i W[o][i] x[t][i] for t < T, o < W.n.
 * ldx/ldy are row strides in floats. With qbuf (device scratch of
 * gpu_matmul_qbuf_bytes(W.k, T) bytes), Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 weights
 * multiply x quantized to Q8_1/Q8_0 blocks with integer dot products, as the
 * CPU backend; without it (NULL) every type multiplies float x. */
int gpu_matmul(const struct gpu_w *w, const float *x, int64_t ldx, float *y, int64_t ldy,
	       int64_t T, gpuStream_t s, uint8_t *qbuf);
size_t gpu_matmul_qbuf_bytes(int64_t k, int64_t T);
/* x[t] = row tok[t] of the embedding, dequantized. */
int gpu_embed(const struct gpu_w *w, const int32_t *tok, float *x, int64_t T, gpuStream_t s);
int gpu_type_supported(uint32_t type);

/* elementwise.cu */
void gpu_rmsnorm(float *y, const float *x, const float *w, int64_t rows, int64_t n,
		 int64_t ldx, int64_t ldy, float eps, gpuStream_t s);
/* y[rows][n] = rmsnorm(x[idx[r]]) for gathered rows */
void gpu_rmsnorm_rows(float *y, const float *x, const int32_t *idx, const float *w, int64_t rows,
		      int64_t n, float eps, gpuStream_t s);
void gpu_add(float *y, const float *x, int64_t n, gpuStream_t s);
void gpu_add_bias(float *y, const float *b, int64_t T, int64_t n, gpuStream_t s);
void gpu_swiglu(float *g, const float *u, int64_t n, gpuStream_t s);
/* g = GELU-tanh(g) * u, with the input and the GELU value rounded to F16 for
 * -10 < g < 10 as llama.cpp's CPU table does (GELU_FFN) */
void gpu_geglu(float *g, const float *u, int64_t n, gpuStream_t s);
/* x *= a (embedding scale, query pre-scaling) */
void gpu_scale(float *x, float a, int64_t n, gpuStream_t s);
struct gpu_rope_p {
	int n_rot, rope_type, head_dim;
	float theta_scale, freq_scale;
	const float *freq_factors;      /* device, [n_rot/2] or NULL */
};
void gpu_rope(float *v, const int32_t *pos, int64_t T, int n_head, int64_t ld,
	      const struct gpu_rope_p *p, gpuStream_t s);

/* attention.cu */
struct gpu_attn_p {
	int n_head, n_head_kv, head_dim, block_size;
	int window;                     /* > 0: a query at p sees p - window < j <= p */
	float scale;
	int64_t ldq, ldk, ldo;          /* row strides of q, k/v and out */
	const int32_t *pos;             /* [T] */
	const int32_t *tab;             /* [T] offset of the token's table in tables */
	const int32_t *tables;          /* concatenated block tables */
	const int32_t *ctx_len;         /* [T] positions attended: pos + 1 */
};
void gpu_kv_write(__half *kc, __half *vc, const float *k, const float *v, int64_t T,
		  const struct gpu_attn_p *p, gpuStream_t s);
int gpu_attention(float *out, const float *q, const __half *kc, const __half *vc, int64_t T,
		  int max_ctx, const struct gpu_attn_p *p, gpuStream_t s);

/* forward.cu */
int gpu_forward(struct gpu_ctx *c, const struct plume_batch *b, struct plume_error *err);

#endif
