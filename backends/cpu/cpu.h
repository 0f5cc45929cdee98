/* The CPU backend's context and the forward's internal entry points. */
#ifndef PLUME_CPU_H
#define PLUME_CPU_H

#include "kernels.h"
#include "plume/backend.h"
#include "threadpool.h"

struct cpu_ctx {
	const struct plume_host *host;
	struct pool *pool;
	int n_threads;
	char device[160];
	const struct plume_model_desc *m;

	/* KV pool: per layer, K and V as [n_blocks][block_size][n_head_kv][head_dim] */
	uint32_t kv_type;          /* PLUME_KV_F16 or PLUME_KV_F32 */
	uint32_t n_blocks, block_size;
	uint32_t n_blocks_swa;     /* > 0: the sliding-window layers have their own pool */
	size_t kv_row_k, kv_row_v; /* bytes of one token's K / V in one layer */
	uint8_t **k, **v;          /* [n_layer] */

	float *f16; /* [65536]: every F16 bit pattern as float (exact) */
	uint16_t *gelu_f16; /* [65536]: GELU of every F16 input, as F16 (ggml's table) */
	int f16c;   /* the CPU has AVX2, FMA and F16C and isa is not scalar */

	/* Decode batches of several sequences: weights packed for the batch
	 * kernel (kernels.h, cpu_ilv_*) the first time such a batch needs
	 * them, in an open-addressed table keyed by tensor. batch_exact: the
	 * option batched_decode = exact keeps llama.cpp's per-row kernels. */
	struct cpu_ilv {
		const struct plume_tensor *t;
		void *p; /* NULL: could not be packed (no memory); exact path */
	} *ilv;
	uint32_t ilv_cap;
	int batch_exact;
	uint32_t max_seqs; /* the engine's most live sequences (0: unknown) */

	/* scratch, grown on demand (host memory, 64-byte aligned) */
	void *scratch;
	size_t scratch_size;
};

void *cpu_aligned_alloc(struct cpu_ctx *c, size_t n);
void cpu_aligned_free(struct cpu_ctx *c, void *p);

int cpu_forward(struct cpu_ctx *c, const struct plume_batch *b, struct plume_error *err);
/* The decode-batch kernel's copy of w, packed on first use by the pool;
 * NULL when w has no batch kernel or memory is short. */
const void *cpu_ilv_weights(struct cpu_ctx *c, const struct plume_tensor *w);

#endif
