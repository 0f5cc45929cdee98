/* Reductions and elementary functions in the exact floating-point order of
 * llama.cpp's x86 (AVX-512) CPU kernels, so that plume reproduces its logits
 * bit for bit where it matters for greedy decoding (docs/cpu-backend.md):
 *  - exp as a degree-5 polynomial on a 2^n range reduction (llama.cpp's
 *    vectorised expf), used by the softmax and SiLU;
 *  - a 16-lane horizontal sum in the tree order of _mm512_reduce_add_ps;
 *  - F16 dot products either as ggml_vec_dot_f16 (4 accumulators of 16 lanes
 *    over 64-element steps; single-token batches) or as llamafile's tinyBLAS
 *    (one accumulator of 16 lanes; batches of two or more tokens). */
#ifndef PLUME_CPU_GGML_ORDER_H
#define PLUME_CPU_GGML_ORDER_H

#include <stdint.h>

/* Functions that call fmaf in loops: built twice, with and without the FMA
 * instruction (fmaf is exact either way; without this GCC calls libm's). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define FMA_CLONES
#endif

float go_expf(float x);
float go_silu(float x);
/* GELU (tanh form) as ggml's CPU path computes it in the gated FFN: through a
 * table of every F16 input (tab: [65536] F16 results, go_gelu_table) for
 * -10 < x < 10, 0 below, x above. */
void go_gelu_table(uint16_t *tab);
float go_gelu(const uint16_t *tab, float x);
/* sum of 16 lanes as _mm512_reduce_add_ps adds them */
float go_hsum16(const float *v);
/* dot of n floats (already rounded to f16 values); n % 16 == 0 for tinyblas */
float go_dot_vecdot(const float *x, const float *y, int64_t n);
float go_dot_tinyblas(const float *x, const float *y, int64_t n);

#endif
