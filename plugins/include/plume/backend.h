/* plume plugin ABI: compute backends (cpu, cuda, hip).
 *
 * A backend runs whole forward passes (architecture D2): open a device, load
 * the weights of a model descriptor, allocate a pool of KV blocks, run one
 * forward over a batch of tokens from several sequences, copy KV blocks for
 * copy-on-write forks. The host owns the block tables (which block holds which
 * positions of which sequence, reference counts, forks); the backend owns the
 * block memory and its layout.
 *
 * KV addressing: position p of a sequence lives in block
 * table[p / block_size], slot p % block_size, in every layer. */
#ifndef PLUME_BACKEND_H
#define PLUME_BACKEND_H

#include "plume/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum plume_kv_type {
	PLUME_KV_F16 = 1,        /* default */
	PLUME_KV_F32 = 0,
	PLUME_KV_Q8_0 = 8,
};

/* Filled by get_info(). Strings are owned by the backend and live as long as
 * its context. */
struct plume_backend_info {
	uint32_t size, abi_minor;
	const char *device_name;   /* "AMD EPYC ... (2 threads)", "NVIDIA H100 80GB HBM3" */
	uint64_t mem_total;        /* bytes of device memory, 0 if unknown */
	uint64_t mem_free;         /* bytes free now, 0 if unknown */
	uint32_t max_batch_tokens; /* largest n_tokens forward() accepts; 0 = no limit */
};

/* KV pool request, given to kv_init(). */
struct plume_kv_desc {
	uint32_t size, abi_minor;
	uint32_t n_blocks;         /* blocks in the pool, ids 0..n_blocks-1 */
	uint32_t block_size;       /* tokens per block (16 by default) */
	uint32_t type;             /* enum plume_kv_type */
	/* ABI 1.1: blocks of a second pool that holds the sliding-window
	 * layers' K/V (ids 0..n_blocks_swa-1); 0: one pool holds every layer.
	 * Only sent to a backend with kv_block_bytes_swa. */
	uint32_t n_blocks_swa;
};

/* A block-table entry for a block the host has released because no query
 * can attend to it any more (sliding-window pool only). */
#define PLUME_KV_NO_BLOCK 0xffffffffu

/* One forward. Tokens of one sequence appear in increasing position order;
 * a token at position p attends to positions 0..p of its own sequence (the
 * ones already in the cache and those of this batch). The backend writes the
 * batch's K/V into the slots the block tables name; the host guarantees those
 * blocks are exclusively owned by that sequence (copy-on-write done). */
struct plume_batch {
	uint32_t size, abi_minor;
	uint32_t n_tokens;              /* >= 1 */
	const int32_t *tokens;          /* [n_tokens] token ids */
	const int32_t *positions;       /* [n_tokens] position within its sequence */
	const uint32_t *seq;            /* [n_tokens] index into the sequence arrays below */

	uint32_t n_seqs;                /* sequences in this batch */
	const uint32_t *const *block_tables; /* [n_seqs] -> block ids covering 0..n_past */
	const uint32_t *n_blocks;       /* [n_seqs] entries in each table */

	/* Outputs, host memory, written by forward(): */
	uint32_t n_logits;              /* rows wanted */
	const uint32_t *logits_idx;     /* [n_logits] indices into tokens[] */
	float *logits;                  /* [n_logits][n_vocab] */
	uint32_t n_hidden;              /* final hidden states wanted (0 = none) */
	const uint32_t *hidden_idx;     /* [n_hidden] indices into tokens[] */
	float *hidden;                  /* [n_hidden][n_embd]: after the final norm, before the output projection */
	/* ABI 1.1, with a sliding-window pool (n_blocks_swa > 0): per
	 * sequence, the sliding-window layers' block table, indexed like
	 * block_tables (n_blocks entries); entries below the window of every
	 * query in the batch may be PLUME_KV_NO_BLOCK. NULL otherwise. */
	const uint32_t *const *swa_block_tables;
};

struct plume_backend_ops {
	uint32_t size, abi_minor;

	/* Open the device. PLUME_ERR_NODEVICE with a one-line reason when the
	 * device or its driver is absent. cfg is the [backend.NAME] section. */
	int (*create)(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, void **ctx,
		      struct plume_error *err);
	void (*destroy)(void *ctx);

	int (*get_info)(void *ctx, struct plume_backend_info *info);

	/* Load (upload, repack) every weight the forward needs. The descriptor
	 * and its tensor data stay valid until destroy(). Checks memory before
	 * allocating: not enough is PLUME_ERR_NOMEM with the sizes in the
	 * message. An unsupported type or architecture is PLUME_ERR_UNSUPPORTED
	 * naming the tensor. */
	int (*load_model)(void *ctx, const struct plume_model_desc *model,
			  struct plume_error *err);

	/* Bytes one KV block takes (all layers, K and V), so that the host can
	 * size the pool. Valid after load_model. */
	int (*kv_block_bytes)(void *ctx, uint32_t block_size, uint32_t type,
			      uint64_t *n_bytes, struct plume_error *err);

	/* Allocate the KV pool; a second call replaces the first. */
	int (*kv_init)(void *ctx, const struct plume_kv_desc *kv, struct plume_error *err);

	/* Copy whole blocks: dst[i] <- src[i] in every layer (copy-on-write). */
	int (*kv_copy)(void *ctx, const uint32_t *src, const uint32_t *dst, uint32_t n,
		       struct plume_error *err);

	int (*forward)(void *ctx, const struct plume_batch *batch, struct plume_error *err);

	/* Catch-all for requests added later; PLUME_ERR_NOTFOUND for unknown
	 * ones. Optional: NULL means every request is unknown. */
	int (*control)(void *ctx, const char *request, void *arg, struct plume_error *err);

	/* ABI 1.1, optional (NULL: one pool for every layer). For a model with
	 * sliding-window layers: bytes one block takes in the global layers'
	 * pool and in the sliding-window layers' pool, so that the host can
	 * keep only a window's worth of blocks for the latter. */
	int (*kv_block_bytes_swa)(void *ctx, uint32_t block_size, uint32_t type,
				  uint64_t *global_bytes, uint64_t *swa_bytes,
				  struct plume_error *err);
	/* ABI 1.1, required with kv_block_bytes_swa: kv_copy for the
	 * sliding-window pool's blocks. */
	int (*kv_copy_swa)(void *ctx, const uint32_t *src, const uint32_t *dst, uint32_t n,
			   struct plume_error *err);
};

#ifdef __cplusplus
}
#endif
#endif /* PLUME_BACKEND_H */
