/* CPU numeric kernels: element conversions, per-type dequantization,
 * activation quantization and quantized dot products / matrix products that
 * reproduce llama.cpp's CPU arithmetic (activations are quantized once per row
 * to the weight type's "vec_dot type": Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for
 * Q4_1/Q5_1, Q8_K for the K-quants, F16 for F16, BF16 for BF16, F32 for F32;
 * see reference notes in docs/quantization.md).
 *
 * Every entry dispatches at run time to the best implementation this CPU
 * supports (AVX-512 VNNI, AVX2, portable C); cpu_kernels_force() pins one for
 * tests. Results of the SIMD paths equal the portable path's up to float
 * summation order (integer block dots are exact). Internal to the CPU
 * backend (hidden symbols). */
#ifndef PLUME_CPU_KERNELS_H
#define PLUME_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "plume/model.h"

/* ---- scalar conversions ---- */
float cpu_fp16_to_fp32(uint16_t h);
uint16_t cpu_fp32_to_fp16(float f);          /* round to nearest even */
float cpu_bf16_to_fp32(uint16_t h);
uint16_t cpu_fp32_to_bf16(float f);          /* round to nearest even, NaN quieted */

/* ---- type traits ---- */
/* 1 when `type` is a weight type these kernels support (F32, F16, BF16,
 * Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K; Q2_K and Q3_K when
 * implemented). */
int cpu_type_supported(uint32_t type);
int64_t cpu_type_block_elems(uint32_t type);  /* 1, 32 or 256 */
size_t cpu_type_block_bytes(uint32_t type);
size_t cpu_row_bytes(uint32_t type, int64_t n); /* n % block_elems == 0 */
/* The activation format a weight type's dot product consumes. */
uint32_t cpu_vec_dot_type(uint32_t weight_type);

/* ---- rows ---- */
/* dst[0..n) = dequantized src row; n % block_elems == 0. */
void cpu_dequant_row(uint32_t type, const void *src, float *dst, int64_t n);
/* Quantize one activation row of n floats into `act_type` (a vec_dot type),
 * exactly as llama.cpp's CPU path does on x86. */
void cpu_quantize_row(uint32_t act_type, const float *x, void *dst, int64_t n);

/* Dot product of one weight row (type wtype) with one activation row already
 * quantized to cpu_vec_dot_type(wtype); n elements. */
float cpu_vec_dot(uint32_t wtype, int64_t n, const void *w_row, const void *act_row);

/* Matrix product over a slice of output rows:
 *   y[t*ldy + o] = dot(W row o, act row t)   for o in [o0, o1), t in [0, n_tok)
 * W is row-major with w_row_bytes per row (cpu_row_bytes(wtype, k)) and
 * n_rows rows in all; act rows are act_row_bytes apart (cpu_row_bytes(
 * vec_dot_type, k)). Blocks over several tokens so each weight row is read
 * once per token block. Callers split [0, n_rows) across threads.
 * Where llama.cpp repacks a weight at load (Q4_K with n_rows % 8 == 0 on
 * AVX2 CPUs: its 8x8 interleaved gemv/gemm kernels), the sums follow that
 * kernel's order instead of vec_dot's. */
void cpu_gemm(uint32_t wtype, int64_t k, const void *w, size_t w_row_bytes, int64_t n_rows,
	      int64_t o0, int64_t o1, const void *act, size_t act_row_bytes,
	      int64_t n_tok, float *y, int64_t ldy);
/* One row of that repacked-order Q4_K product (for tests): the
 * matrix-vector order, and the matrix-matrix order of rows in groups of 4. */
float cpu_vec_dot_q4_k_repacked(int64_t n, const void *w_row, const void *act_row);
float cpu_vec_dot_q4_k_repacked_gemm(int64_t n, const void *w_row, const void *act_row);
/* One row of the tiled-order K-quant product (Q3_K..Q6_K; for tests). */
float cpu_vec_dot_kq_tiled(uint32_t wtype, int64_t n, const void *w_row, const void *act_row);

/* ---- decode batches of several sequences (batch.c) ----
 * Q4_0/Q4_1/Q5_0/Q8_0 (and Q4_K/Q6_K) weights repacked 16 rows at a time,
 * one row per 512-bit lane, so that a block's integer sums for 16 rows take
 * eight vpdpbusd and its float work one conversion, multiply and fused
 * multiply-add (AVX-512 VNNI; AVX2 takes the rows eight at a time). Not llama.cpp's order: each output equals
 * cpu_ilv_ref() of its row, whatever the batch, not the one-sequence
 * kernels' bits. */
/* Bytes of the packed copy; 0 when the type or shape cannot be packed
 * (n_rows % 16, k % 32). */
size_t cpu_ilv_bytes(uint32_t wtype, int64_t n_rows, int64_t k);
/* 1 when a batch kernel runs on this CPU with the active ISA (AVX2 or
 * AVX-512: the 32-element types; AVX-512 VNNI: Q4_K and Q6_K too), and
 * for which weight type. Every ISA gives the same bits. */
int cpu_ilv_supported(void);
int cpu_ilv_runs(uint32_t wtype);
/* Pack row groups [g0, g1) (rows 16*g0 .. 16*g1) of W into dst (the whole
 * packed copy; groups land at their own offsets, so threads may split). */
void cpu_ilv_pack(uint32_t wtype, int64_t k, const void *w, size_t w_row_bytes, int64_t g0,
		  int64_t g1, void *dst);
/* y[t*ldy + o] for o in [16*g0, 16*g1), t in [0, n_tok); activation rows
 * quantized to cpu_vec_dot_type(wtype). Returns 0 (nothing written) when
 * unsupported here or out of memory. */
int cpu_ilv_gemm(uint32_t wtype, int64_t k, const void *packed, int64_t g0, int64_t g1,
		 const void *act, size_t act_row_bytes, int64_t n_tok, float *y, int64_t ldy);
/* The arithmetic of one output, portable (tests). */
float cpu_ilv_ref(uint32_t wtype, int64_t k, const void *w_row, const void *act_row);

/* ---- dispatch ---- */
enum cpu_isa { CPU_ISA_AUTO = 0, CPU_ISA_SCALAR = 1, CPU_ISA_AVX2 = 2, CPU_ISA_AVX512 = 3 };
/* Pin the implementation (tests); returns the ISA actually in use (a request
 * the CPU cannot run falls back to the best it can). */
int cpu_kernels_force(int isa);
const char *cpu_kernels_isa_name(void);

#endif
