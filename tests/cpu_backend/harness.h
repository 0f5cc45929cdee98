/* Test harness for the CPU backend suite: opens plume-backend-cpu.so from
 * $PLUME_PLUGIN_PATH the way the core does (dlopen + plume_plugin_entry),
 * loads a model (the tiny synthetic one from tests/util or a real file),
 * creates a context and a KV pool, and runs single- or multi-sequence
 * batches. A double-precision reference forward is in reference.c. */
#ifndef PLUME_TEST_CPU_HARNESS_H
#define PLUME_TEST_CPU_HARNESS_H

#include <stdint.h>

#include "error.h"
#include "model.h"
#include "plume/backend.h"
#include "tiny_model.h"

struct be {
	void *dl;
	const struct plume_plugin_desc *desc;
	const struct plume_backend_ops *ops;
	struct plume_config *view;
	void *ctx;
	struct plume_model *model;
	struct plume_model_desc md;     /* a copy the tests may alter (rope type, flags) */
	struct plume_error err;
	uint32_t block_size, n_blocks;
	uint32_t max_seqs;              /* passed to create (engine params, ABI 1.2); 0 = unknown */
};

/* Open the plugin and a model file; fills b->md. Criterion-asserts on failure. */
void be_open_file(struct be *b, const char *path);
/* Write the tiny model with opts to a temporary file and open it. */
void be_open_tiny(struct be *b, const struct tu_tiny_opts *opts);
/* create (n_threads, isa: an isa name such as "avx2", or one "key=value"
 * option; NULL: defaults), load_model(b->md), kv_init. Returns the first
 * failing status (message in b->err). */
int be_start(struct be *b, int n_threads, const char *isa, uint32_t kv_type, uint32_t n_blocks,
	     uint32_t block_size);
void be_close(struct be *b);

/* One sequence: tokens[0..n) at positions pos0.., table of n_tab blocks;
 * logits of every token of the batch into logits [n][n_vocab] (or only the
 * last one when last_only). Returns forward's status. */
int be_run_seq(struct be *b, const int32_t *tokens, uint32_t n, int32_t pos0,
	       const uint32_t *table, uint32_t n_tab, int last_only, float *logits);

/* A batch of n tokens over n_seqs sequences (seq[i] indexes tables and
 * n_blocks), logits of the n_logits tokens in idx into logits. Returns
 * forward's status. */
int be_run_batch(struct be *b, uint32_t n, const int32_t *tokens, const int32_t *pos,
		 const uint32_t *seq, uint32_t n_seqs, const uint32_t *const *tables,
		 const uint32_t *n_blocks, uint32_t n_logits, const uint32_t *idx, float *logits);

/* tables 0, 1, 2, ... for sequence s: blocks s*per .. s*per+per-1 */
void be_identity_table(uint32_t *table, uint32_t n, uint32_t first);

/* max |a - b| over n and max |b| */
double max_abs_diff(const float *a, const double *b, int64_t n, double *max_ref);
double max_abs_diff_ff(const float *a, const float *b, int64_t n);

/* ---- reference.c ---- */
struct ref_opts {
	int quant_act;  /* quantize matmul inputs to the weight's vec_dot type (as the backend) */
	int kv_f16;     /* round K, V, the query and the softmax weights to F16 */
};

/* Naive forward in double over one sequence at positions 0..n-1; logits of
 * every position into logits [n][n_vocab] and final normed hidden states into
 * hidden [n][n_embd] (may be NULL). 0 or -1 (unsupported type, no memory). */
int ref_forward(const struct plume_model_desc *m, const int32_t *tokens, int n,
		const struct ref_opts *o, double *logits, double *hidden);

/* RoPE of one head vector in place, in double: NORM (adjacent pairs) or
 * NEOX (halves), n_rot dims at position pos. */
void ref_rope(double *x, int n_rot, int rope_type, double pos, double base, double freq_scale,
	      const float *freq_factors);

#endif
