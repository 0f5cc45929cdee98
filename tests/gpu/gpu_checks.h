/* GPU backend checks shared by the Criterion suite (test_gpu.c, run in CI,
 * skipped without a device) and the standalone driver gpu_check (run on a
 * GPU machine by scripts/gpu-check.sh, where Criterion is not installed).
 * Every check returns 0 when it passed, 1 when it failed, and writes one
 * line per finding into a report buffer. */
#ifndef PLUME_TEST_GPU_CHECKS_H
#define PLUME_TEST_GPU_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "plume/backend.h"

struct gc_be {
	void *dl;
	const struct plume_plugin_desc *desc;
	const struct plume_backend_ops *ops;
	struct plume_config *view;
	void *ctx;
};

/* selftest.cu (linked from plume_gpu_selftest) */
int gpu_selftest_device_count(char *msg, size_t msg_size);
int gpu_selftest_matmul(uint32_t type, const void *w, int64_t k, int64_t n, const float *x,
			int64_t T, float *y, char *msg, size_t msg_size);

/* dlopen $PLUME_PLUGIN_PATH/plume-backend-NAME.so. 0 or -1 (msg says why). */
int gc_open(struct gc_be *b, const char *name, char *msg, size_t n);
/* create + load_model + kv_init(n_blocks of 16, f16); the status of the
 * first failing call, its message in msg. */
int gc_start(struct gc_be *b, const struct plume_model_desc *md, uint32_t n_blocks, char *msg,
	     size_t n);
void gc_close(struct gc_be *b);

/* Matrix product of every weight type vs the CPU dequantization (double
 * accumulation) on random data; T = 1 (matvec) and T = 9 (matmul). */
int gc_check_matmul_types(char *rep, size_t n);
/* Tiny synthetic model with block weights of `wtype`: prefill logits of 20
 * tokens, then 12 greedy decode steps, GPU vs CPU backend. */
int gc_check_forward(uint32_t wtype, char *rep, size_t n);
/* The same on a model file: prompt prefill and `steps` greedy tokens. */
int gc_check_forward_file(const char *path, int steps, char *rep, size_t n);
/* The cuda backend on a model file vs llama.cpp's golden file
 * (tests/data/golden/smollm2_q4_1.json): teacher-forced argmax after every
 * token must equal llama.cpp's wherever its top-2 gap is >= 0.5, and free
 * greedy runs must agree up to llama.cpp's first gap < 0.5. */
int gc_check_golden(const char *model_path, const char *golden_path, char *rep, size_t n);
/* Prefill and batch-1 decode throughput on the SmolLM2-135M shapes (synthetic
 * Q4_1 weights, vocab 320) or a model file when path is non-NULL. */
int gc_bench(const char *backend, const char *path, int n_prompt, int n_gen, char *rep, size_t n);

#endif
