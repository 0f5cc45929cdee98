/* Internals shared by the kernel files: unaligned fp16 loads, the dot
 * product table per ISA. */
#ifndef PLUME_CPU_KERNELS_IMPL_H
#define PLUME_CPU_KERNELS_IMPL_H

#include <string.h>

#include "kernels.h"

static inline float h2f(const void *p)
{
	uint16_t h;

	memcpy(&h, p, 2);
	return cpu_fp16_to_fp32(h);
}

/* Q4_K/Q5_K 6-bit scale and min of sub-block k (0..7). */
void cpu_k_scale_min(const uint8_t *scales, int k, int *sc, int *m);

/* All eight scales and mins at once (the same rule, four bytes per word). */
static inline void cpu_k_scales_mins(const uint8_t *scales, int sc[8], int m[8])
{
	uint32_t u[3], w[4];

	memcpy(u, scales, 12);
	w[0] = u[0] & 0x3f3f3f3fu;
	w[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
	w[2] = u[1] & 0x3f3f3f3fu;
	w[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
	for (int k = 0; k < 8; k++) {
		sc[k] = (int)((w[k / 4] >> (8 * (k % 4))) & 0xFF);
		m[k] = (int)((w[2 + k / 4] >> (8 * (k % 4))) & 0xFF);
	}
}

/* One weight row against one activation row. */
typedef float (*cpu_dot_fn)(int64_t n, const void *w, const void *a);

cpu_dot_fn cpu_dot_scalar(uint32_t wtype);
cpu_dot_fn cpu_dot_avx2(uint32_t wtype);   /* NULL where not implemented */
cpu_dot_fn cpu_dot_avx512(uint32_t wtype); /* NULL: use the AVX2 one */

/* One weight row against four activation rows a_stride bytes apart; out[4].
 * Bit-identical to four calls of the one-row function of the same ISA. */
typedef void (*cpu_dot4_fn)(int64_t n, const void *w, const void *a, size_t a_stride, float *out);
cpu_dot4_fn cpu_dot4_avx2(uint32_t wtype);   /* NULL where not implemented */
cpu_dot4_fn cpu_dot4_avx512(uint32_t wtype);
/* Four weight rows w_stride bytes apart against one activation row; out[4].
 * Bit-identical to four calls of the one-row function of the same ISA. */
typedef void (*cpu_wdot4_fn)(int64_t n, const void *w, size_t w_stride, const void *a, float *out);
cpu_wdot4_fn cpu_wdot4_avx2(uint32_t wtype);   /* NULL where not implemented */

/* Exact integer sums of one K-quant block against one Q8_K block, with AVX2
 * (callers check the CPU has it; integer sums are the same in any order):
 * Q4_K per 64-element pair of sub-blocks, scale * q * q8 in isum[4] and
 * min * bsum in msum[4]; Q6_K over the block, scale * (q - 32) * q8. */
void cpu_q4k_sums_avx2(const uint8_t *x, const uint8_t *y, int32_t isum[4], int32_t msum[4]);
int32_t cpu_q6k_sum_avx2(const uint8_t *x, const uint8_t *y);
/* Q3_K: sum of scale * q * q8 over the block; Q5_K: that sum (isum) and
 * the sum of min * bsum (msum). AVX2, exact. */
int32_t cpu_q3k_sum_avx2(const uint8_t *x, const uint8_t *y);
void cpu_q5k_sums_avx2(const uint8_t *x, const uint8_t *y, int32_t *isum, int32_t *msum);
/* cpu_q6k_sum_avx2 for four activation rows a_stride bytes apart. */
void cpu_q6k_sums4_avx2(const uint8_t *x, const uint8_t *y, size_t a_stride, int32_t out[4]);
/* cpu_q4k_sums_avx2 for four activation rows a_stride bytes apart. */
void cpu_q4k_sums4_avx2(const uint8_t *x, const uint8_t *y, size_t a_stride,
			int32_t isum[4][4], int32_t msum[4][4]);

/* Products of Q4_0/Q4_1/Q5_0/Q8_0 weights with activation rows in groups of
 * 16, 8, 4 and 2 through a rearranged copy of the activations (AVX-512 VNNI;
 * same bits as the one-row kernels). Returns how many leading tokens it
 * computed (an even number; 0 for other types or without memory). */
/* The ISA the dispatch uses now (resolved; never CPU_ISA_AUTO). */
int cpu_isa_active(void);
/* Vector activation quantizers (same bytes as the portable ones). */
void cpu_quant_q8_avx512(const float *x, uint8_t *y, int64_t n, int with_sum);
void cpu_quant_f16_f16c(const float *x, uint8_t *y, int64_t n);
void cpu_quant_q8k_avx512(const float *x, uint8_t *y, int64_t n);

/* One activation row against weight rows [o0, o1) of Q4_0/Q4_1/Q5_0/Q8_0,
 * two rows per vector (AVX-512 VNNI; same bits as the one-row kernels):
 * y[o] for o in [o0, o0 + returned count); the count is even (0: not
 * handled). */
int cpu_gemv_avx512(uint32_t wtype, int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
		    int64_t o1, const uint8_t *act, float *y);

/* Q4_K weights (n_rows % 8 == 0) against activation rows in groups of four,
 * in llama.cpp's repacked gemm order (as q4k_repacked4 in dot.c; AVX-512
 * VNNI). Returns the tokens computed (a multiple of 4; 0: not handled). */
int64_t cpu_gemm_q4k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
			    float *y, int64_t ldy);

/* One activation row against Q4_K rows [o0, o1) (n_rows % 8 == 0) in the
 * repacked gemv order (cpu_vec_dot_q4_k_repacked's; AVX-512 VNNI). Returns
 * the rows computed from o0 on (a multiple of 4; 0: not handled). */
int64_t cpu_gemv_q4k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *act, float *y);

/* Q6_K against activation rows in groups of four in llama.cpp's tiled
 * order (as kq_tiled in dot.c; AVX-512 VNNI). Returns the tokens computed
 * (a multiple of 4; 0: not handled). */
int64_t cpu_gemm_q6k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
			    float *y, int64_t ldy);

/* Q5_K likewise (llama.cpp's tiled order, groups of four rows). */
int64_t cpu_gemm_q5k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
			    float *y, int64_t ldy);

int64_t cpu_gemm_panel_avx512(uint32_t wtype, int64_t k, const uint8_t *W, size_t w_row_bytes,
			      int64_t o0, int64_t o1, const uint8_t *A, size_t act_row_bytes,
			      int64_t n_tok, float *y, int64_t ldy);

#endif
