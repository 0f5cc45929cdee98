/* Device-side dequantization of GGUF weight types, 32 elements ("a unit") at
 * a time: unit u of a row is elements [32u, 32u + 32). For the 32-element
 * block types a unit is one block; the K-quants (256-element super-blocks)
 * hold 8 units each. Byte layouts follow reference/gguf.md §2. Every matrix
 * kernel reads the weights in their GGUF type through these functions. */
#ifndef PLUME_GPU_QUANT_CUH
#define PLUME_GPU_QUANT_CUH

#include <stdint.h>

#include "gpu_compat.h"

enum {
	GQ_F32 = 0, GQ_F16 = 1, GQ_Q4_0 = 2, GQ_Q4_1 = 3, GQ_Q5_0 = 6, GQ_Q5_1 = 7,
	GQ_Q8_0 = 8, GQ_Q4_K = 12, GQ_Q5_K = 13, GQ_Q6_K = 14, GQ_BF16 = 30,
};

static __device__ __forceinline__ float gq_h(const uint8_t *p)
{
	uint16_t u = (uint16_t)(p[0] | (p[1] << 8));

	return __half2float(*(const __half *)&u);
}

static __device__ __forceinline__ float gq_bf(const uint8_t *p)
{
	uint32_t u = (uint32_t)(p[0] | (p[1] << 8)) << 16;

	return __uint_as_float(u);
}

/* K-quant 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes. */
static __device__ __forceinline__ void gq_scale_min_k4(int j, const uint8_t *q, int *sc, int *m)
{
	if (j < 4) {
		*sc = q[j] & 63;
		*m = q[j + 4] & 63;
	} else {
		*sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
		*m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
	}
}

/* Bytes of one row of n elements (n a multiple of the block size). */
static __host__ __device__ inline size_t gq_row_bytes(uint32_t type, int64_t n)
{
	switch (type) {
	case GQ_F32: return (size_t)n * 4;
	case GQ_F16: case GQ_BF16: return (size_t)n * 2;
	case GQ_Q4_0: return (size_t)(n / 32) * 18;
	case GQ_Q4_1: return (size_t)(n / 32) * 20;
	case GQ_Q5_0: return (size_t)(n / 32) * 22;
	case GQ_Q5_1: return (size_t)(n / 32) * 24;
	case GQ_Q8_0: return (size_t)(n / 32) * 34;
	case GQ_Q4_K: return (size_t)(n / 256) * 144;
	case GQ_Q5_K: return (size_t)(n / 256) * 176;
	case GQ_Q6_K: return (size_t)(n / 256) * 210;
	}
	return 0;
}

static __host__ __device__ inline int gq_block_elems(uint32_t type)
{
	switch (type) {
	case GQ_F32: case GQ_F16: case GQ_BF16: return 1;
	case GQ_Q4_K: case GQ_Q5_K: case GQ_Q6_K: return 256;
	}
	return 32;
}

/* y[0..32) = unit u of a row starting at `row`, in type T. */
template <int T>
static __device__ __forceinline__ void gq_unit(const uint8_t *row, int u, float *y)
{
	if (T == GQ_F32) {
		const float *p = (const float *)row + 32 * u;
#pragma unroll
		for (int l = 0; l < 32; l++)
			y[l] = p[l];
	} else if (T == GQ_F16) {
		const __half *p = (const __half *)row + 32 * u;
#pragma unroll
		for (int l = 0; l < 32; l++)
			y[l] = __half2float(p[l]);
	} else if (T == GQ_BF16) {
		const uint8_t *p = row + 64 * u;
#pragma unroll
		for (int l = 0; l < 32; l++)
			y[l] = gq_bf(p + 2 * l);
	} else if (T == GQ_Q4_0 || T == GQ_Q4_1) {
		const uint8_t *b = row + (T == GQ_Q4_0 ? 18 : 20) * u;
		const uint8_t *qs = b + (T == GQ_Q4_0 ? 2 : 4);
		float d = gq_h(b), m = T == GQ_Q4_1 ? gq_h(b + 2) : -8.0f * d;
#pragma unroll
		for (int l = 0; l < 16; l++) {
			y[l] = (float)(qs[l] & 0xF) * d + m;
			y[l + 16] = (float)(qs[l] >> 4) * d + m;
		}
	} else if (T == GQ_Q5_0 || T == GQ_Q5_1) {
		const uint8_t *b = row + (T == GQ_Q5_0 ? 22 : 24) * u;
		int o = T == GQ_Q5_0 ? 2 : 4;
		uint32_t qh = (uint32_t)b[o] | ((uint32_t)b[o + 1] << 8) | ((uint32_t)b[o + 2] << 16) |
			      ((uint32_t)b[o + 3] << 24);
		const uint8_t *qs = b + o + 4;
		float d = gq_h(b), m = T == GQ_Q5_1 ? gq_h(b + 2) : -16.0f * d;
#pragma unroll
		for (int l = 0; l < 16; l++) {
			int x0 = (qs[l] & 0xF) | (((qh >> l) << 4) & 0x10);
			int x1 = (qs[l] >> 4) | ((qh >> (l + 12)) & 0x10);

			y[l] = (float)x0 * d + m;
			y[l + 16] = (float)x1 * d + m;
		}
	} else if (T == GQ_Q8_0) {
		const uint8_t *b = row + 34 * u;
		const int8_t *qs = (const int8_t *)(b + 2);
		float d = gq_h(b);
#pragma unroll
		for (int l = 0; l < 32; l++)
			y[l] = (float)qs[l] * d;
	} else if (T == GQ_Q4_K || T == GQ_Q5_K) {
		const uint8_t *b = row + (T == GQ_Q4_K ? 144 : 176) * (u / 8);
		int j = u % 8, sc, mn;
		const uint8_t *qs = b + (T == GQ_Q4_K ? 16 : 48) + 32 * (j / 2);
		const uint8_t *qh = b + 16;
		float d, m;

		gq_scale_min_k4(j, b + 4, &sc, &mn);
		d = gq_h(b) * (float)sc;
		m = gq_h(b + 2) * (float)mn;
#pragma unroll
		for (int l = 0; l < 32; l++) {
			int q = (j & 1) ? (qs[l] >> 4) : (qs[l] & 0xF);

			if (T == GQ_Q5_K)
				q += ((qh[l] >> j) & 1) << 4;
			y[l] = d * (float)q - m;
		}
	} else if (T == GQ_Q6_K) {
		const uint8_t *b = row + 210 * (u / 8);
		int j = u % 8, h = j / 4, k = j % 4;
		const uint8_t *ql = b + 64 * h + (k & 1) * 32, *qh = b + 128 + 32 * h;
		const int8_t *sc = (const int8_t *)(b + 192) + 8 * h + 2 * k;
		float d = gq_h(b + 208);
#pragma unroll
		for (int l = 0; l < 32; l++) {
			int lo = (k >= 2) ? (ql[l] >> 4) : (ql[l] & 0xF);
			int q = (lo | (((qh[l] >> (2 * k)) & 3) << 4)) - 32;

			y[l] = d * (float)sc[l / 16] * (float)q;
		}
	}
}

#endif
