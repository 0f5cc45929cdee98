/* Quantized matrix products and the embedding lookup. Weights stay in their
 * GGUF type on the device; each warp owns one output row, its lanes stride
 * over the row's 32-element units (quant.cuh), dequantize a unit into
 * registers and multiply it with up to NT activation rows (float), then
 * reduce across the warp (any warpSize). Decode uses NT = 1, prefill NT = 8
 * so a weight unit is read once per 8 tokens. For Q4_0/Q4_1/Q5_0/Q5_1/Q8_0
 * weights (with a scratch qbuf) the activations are first quantized to Q8_1
 * blocks and the units multiplied with integer dot products, as the CPU
 * backend does (k_quant_q8_1, k_matmul_q8). */
#include "gpu.h"
#include "quant.cuh"

#define MM_THREADS 256

template <int T, int NT>
__global__ void k_matmul(const uint8_t *w, size_t row_bytes, int64_t k, int64_t n,
			 const float *x, int64_t ldx, float *y, int64_t ldy, int64_t ntok)
{
	int warps = blockDim.x / warpSize, lane = threadIdx.x % warpSize;
	int64_t o = (int64_t)blockIdx.x * warps + threadIdx.x / warpSize;
	int64_t t0 = (int64_t)blockIdx.y * NT;
	int units = (int)(k / 32);
	const uint8_t *row = w + o * row_bytes;
	float acc[NT];

	if (o >= n)
		return; /* whole warps leave together: o is per warp */
#pragma unroll
	for (int t = 0; t < NT; t++)
		acc[t] = 0.0f;
	for (int u = lane; u < units; u += warpSize) {
		float wv[32];

		gq_unit<T>(row, u, wv);
#pragma unroll
		for (int t = 0; t < NT; t++) {
			if (t0 + t < ntok) {
				const float4 *xp = (const float4 *)(x + (t0 + t) * ldx + 32 * u);
				float s = 0.0f;
#pragma unroll
				for (int l = 0; l < 8; l++) {
					float4 v = xp[l];

					s += wv[4 * l] * v.x + wv[4 * l + 1] * v.y + wv[4 * l + 2] * v.z +
					     wv[4 * l + 3] * v.w;
				}
				acc[t] += s;
			}
		}
	}
#pragma unroll
	for (int t = 0; t < NT; t++) {
		float s = gpu_warp_sum(acc[t]);

		if (lane == 0 && t0 + t < ntok)
			y[(t0 + t) * ldy + o] = s;
	}
}

/* Activation quantization, as the CPU backend (backends/cpu/kernels/quant.c)
 * and llama.cpp: per 32 elements amax, d = amax / 127 (stored as fp16),
 * q = round-half-even(x * 127 / amax), s = fp16(d * sum q). One 36-byte
 * Q8_1 layout (d, s, 32 int8) serves the Q8_0 dot too (same d and q). One
 * thread per block; each activation row is quantized once per product. */
#define GQ8_BYTES 36

__global__ void k_quant_q8_1(const float *x, int64_t ldx, int64_t k, int64_t ntok, uint8_t *qx)
{
	int64_t units = k / 32, i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	int64_t t = i / units, u = i % units;
	const float4 *xp;
	float v[32], amax = 0.0f, d, id;
	uint8_t *b;
	int sum = 0;

	if (t >= ntok)
		return;
	xp = (const float4 *)(x + t * ldx + 32 * u);
#pragma unroll
	for (int l = 0; l < 8; l++) {
		float4 f = xp[l];

		v[4 * l] = f.x;
		v[4 * l + 1] = f.y;
		v[4 * l + 2] = f.z;
		v[4 * l + 3] = f.w;
	}
#pragma unroll
	for (int l = 0; l < 32; l++)
		amax = fmaxf(amax, fabsf(v[l]));
	d = __fdiv_rn(amax, 127.0f);
	id = amax != 0.0f ? __fdiv_rn(127.0f, amax) : 0.0f;
	b = qx + i * GQ8_BYTES;
	{
		int *qi = (int *)(b + 4);

#pragma unroll
		for (int l = 0; l < 8; l++) {
			uint32_t p = 0;

#pragma unroll
			for (int j = 0; j < 4; j++) {
				int q = __float2int_rn(__fmul_rn(v[4 * l + j], id));

				sum += q;
				p |= (uint32_t)(q & 0xFF) << (8 * j);
			}
			qi[l] = (int)p;
		}
	}
	((__half *)b)[0] = __float2half_rn(d);
	((__half *)b)[1] = __float2half_rn(__fmul_rn(d, (float)sum));
}

/* The weight unit u as 8 packed 4-byte groups of unsigned (Q4_*, Q5_*) or
 * signed (Q8_0) byte quants in element order, its scale d, its offset: m
 * (Q4_1, Q5_1: added as m * s_a) or the constant subtracted from every quant
 * (Q4_0: 8, Q5_0: 16). */
template <int T>
static __device__ __forceinline__ void gq_unit_i8(const uint8_t *row, int u, int *wq, float *d,
						  float *m, int *off)
{
	if (T == GQ_Q4_0 || T == GQ_Q4_1) {
		const uint8_t *b = row + (T == GQ_Q4_0 ? 18 : 20) * u;
		const uint8_t *qs = b + (T == GQ_Q4_0 ? 2 : 4);

		*d = gq_h(b);
		*m = T == GQ_Q4_1 ? gq_h(b + 2) : 0.0f;
		*off = T == GQ_Q4_0 ? 8 : 0;
#pragma unroll
		for (int l = 0; l < 4; l++) {
			uint32_t v = (uint32_t)qs[4 * l] | ((uint32_t)qs[4 * l + 1] << 8) |
				     ((uint32_t)qs[4 * l + 2] << 16) | ((uint32_t)qs[4 * l + 3] << 24);

			wq[l] = (int)(v & 0x0F0F0F0Fu);
			wq[l + 4] = (int)((v >> 4) & 0x0F0F0F0Fu);
		}
	} else if (T == GQ_Q5_0 || T == GQ_Q5_1) {
		const uint8_t *b = row + (T == GQ_Q5_0 ? 22 : 24) * u;
		int o = T == GQ_Q5_0 ? 2 : 4;
		uint32_t qh = (uint32_t)b[o] | ((uint32_t)b[o + 1] << 8) | ((uint32_t)b[o + 2] << 16) |
			      ((uint32_t)b[o + 3] << 24);
		const uint8_t *qs = b + o + 4;

		*d = gq_h(b);
		*m = T == GQ_Q5_1 ? gq_h(b + 2) : 0.0f;
		*off = T == GQ_Q5_0 ? 16 : 0;
#pragma unroll
		for (int l = 0; l < 4; l++) {
			int lo = 0, hi = 0;

#pragma unroll
			for (int j = 0; j < 4; j++) {
				int e = 4 * l + j;
				int x0 = (qs[e] & 0xF) | (((qh >> e) << 4) & 0x10);
				int x1 = (qs[e] >> 4) | ((qh >> (e + 12)) & 0x10);

				lo |= x0 << (8 * j);
				hi |= x1 << (8 * j);
			}
			wq[l] = lo;
			wq[l + 4] = hi;
		}
	} else { /* GQ_Q8_0 */
		const uint8_t *b = row + 34 * u;
		const uint16_t *qs = (const uint16_t *)(b + 2);

		*d = gq_h(b);
		*m = 0.0f;
		*off = 0;
#pragma unroll
		for (int l = 0; l < 8; l++)
			wq[l] = (int)((uint32_t)qs[2 * l] | ((uint32_t)qs[2 * l + 1] << 16));
	}
}

/* Integer-dot matrix product of a 32-block weight type with activations
 * quantized by k_quant_q8_1: per block d_w * d_a * sum(q_w q_a) (minus
 * off * d_w * d_a * sum q_a, plus m_w * s_a), as the CPU backend. */
template <int T, int NT>
__global__ void k_matmul_q8(const uint8_t *w, size_t row_bytes, int64_t k, int64_t n,
			    const uint8_t *qx, float *y, int64_t ldy, int64_t ntok)
{
	int warps = blockDim.x / warpSize, lane = threadIdx.x % warpSize;
	int64_t o = (int64_t)blockIdx.x * warps + threadIdx.x / warpSize;
	int64_t t0 = (int64_t)blockIdx.y * NT;
	int units = (int)(k / 32);
	const uint8_t *row = w + o * row_bytes;
	float acc[NT];

	if (o >= n)
		return; /* whole warps leave together: o is per warp */
#pragma unroll
	for (int t = 0; t < NT; t++)
		acc[t] = 0.0f;
	for (int u = lane; u < units; u += warpSize) {
		int wq[8], off;
		float dw, mw;

		gq_unit_i8<T>(row, u, wq, &dw, &mw, &off);
#pragma unroll
		for (int t = 0; t < NT; t++) {
			if (t0 + t < ntok) {
				const uint8_t *a = qx + ((t0 + t) * units + u) * GQ8_BYTES;
				const int *aq = (const int *)(a + 4);
				int si = 0, sa = 0;

#pragma unroll
				for (int l = 0; l < 8; l++) {
					int av = aq[l];

					si = gpu_dp4a(wq[l], av, si);
					if (T == GQ_Q4_0 || T == GQ_Q5_0)
						sa = gpu_dp4a(0x01010101, av, sa);
				}
				if (T == GQ_Q4_0 || T == GQ_Q5_0)
					si -= off * sa;
				if (T == GQ_Q4_1 || T == GQ_Q5_1)
					acc[t] += (dw * gq_h(a)) * (float)si + mw * gq_h(a + 2);
				else
					acc[t] += (float)si * (dw * gq_h(a));
			}
		}
	}
#pragma unroll
	for (int t = 0; t < NT; t++) {
		float s = gpu_warp_sum(acc[t]);

		if (lane == 0 && t0 + t < ntok)
			y[(t0 + t) * ldy + o] = s;
	}
}

static int gq_int_dot(uint32_t type)
{
	return type == GQ_Q4_0 || type == GQ_Q4_1 || type == GQ_Q5_0 || type == GQ_Q5_1 ||
	       type == GQ_Q8_0;
}

size_t gpu_matmul_qbuf_bytes(int64_t k, int64_t ntok)
{
	return (size_t)(k / 32) * GQ8_BYTES * (size_t)ntok;
}

template <int T>
__global__ void k_embed(const uint8_t *w, size_t row_bytes, int64_t k, const int32_t *tok, float *x)
{
	int64_t t = blockIdx.y;
	int u = blockIdx.x * blockDim.x + threadIdx.x;
	float v[32];

	if (u >= k / 32)
		return;
	gq_unit<T>(w + (size_t)tok[t] * row_bytes, u, v);
#pragma unroll
	for (int l = 0; l < 32; l++)
		x[t * k + 32 * u + l] = v[l];
}

template <int T>
static void launch_mm(const struct gpu_w *w, const float *x, int64_t ldx, float *y, int64_t ldy,
		      int64_t ntok, gpuStream_t s, int warp, uint8_t *qbuf)
{
	int rows_per_block = MM_THREADS / warp;
	size_t rb = gq_row_bytes(T, w->k);

	if (qbuf && gq_int_dot(T)) {
		int64_t nb = ntok * (w->k / 32);
		dim3 grid((unsigned)((w->n + rows_per_block - 1) / rows_per_block),
			  (unsigned)(ntok == 1 ? 1 : (ntok + 7) / 8));

		k_quant_q8_1<<<(unsigned)((nb + 127) / 128), 128, 0, s>>>(x, ldx, w->k, ntok, qbuf);
		if (ntok == 1)
			k_matmul_q8<T, 1><<<grid, MM_THREADS, 0, s>>>(w->d, rb, w->k, w->n, qbuf, y,
								      ldy, ntok);
		else
			k_matmul_q8<T, 8><<<grid, MM_THREADS, 0, s>>>(w->d, rb, w->k, w->n, qbuf, y,
								      ldy, ntok);
		return;
	}
	if (ntok == 1) {
		dim3 grid((unsigned)((w->n + rows_per_block - 1) / rows_per_block), 1);

		k_matmul<T, 1><<<grid, MM_THREADS, 0, s>>>(w->d, rb, w->k, w->n, x, ldx, y, ldy, ntok);
	} else {
		dim3 grid((unsigned)((w->n + rows_per_block - 1) / rows_per_block),
			  (unsigned)((ntok + 7) / 8));

		k_matmul<T, 8><<<grid, MM_THREADS, 0, s>>>(w->d, rb, w->k, w->n, x, ldx, y, ldy, ntok);
	}
}

template <int T>
static void launch_embed(const struct gpu_w *w, const int32_t *tok, float *x, int64_t ntok,
			 gpuStream_t s)
{
	int units = (int)(w->k / 32);
	dim3 grid((unsigned)((units + 63) / 64), (unsigned)ntok);

	k_embed<T><<<grid, 64, 0, s>>>(w->d, gq_row_bytes(T, w->k), w->k, tok, x);
}

static int g_warp; /* warpSize of the device in use, read once */

int gpu_warp_size(void)
{
	if (!g_warp) {
		gpuDeviceProp p;
		int dev = 0;

#if defined(PLUME_GPU_HIP)
		(void)hipGetDevice(&dev);
#else
		cudaGetDevice(&dev);
#endif
		g_warp = gpuGetDeviceProperties(&p, dev) == gpuSuccess ? p.warpSize : 32;
	}
	return g_warp;
}

#define GPU_TYPES(X) X(GQ_F32) X(GQ_F16) X(GQ_BF16) X(GQ_Q4_0) X(GQ_Q4_1) X(GQ_Q5_0) \
	X(GQ_Q5_1) X(GQ_Q8_0) X(GQ_Q4_K) X(GQ_Q5_K) X(GQ_Q6_K)

int gpu_type_supported(uint32_t type)
{
	switch (type) {
#define X(t) case t:
		GPU_TYPES(X)
#undef X
		return 1;
	}
	return 0;
}

int gpu_matmul(const struct gpu_w *w, const float *x, int64_t ldx, float *y, int64_t ldy,
	       int64_t ntok, gpuStream_t s, uint8_t *qbuf)
{
	int warp = gpu_warp_size();

	if (w->k % 32 || ldx % 4)
		return PLUME_ERR_UNSUPPORTED;
	switch (w->type) {
#define X(t) case t: launch_mm<t>(w, x, ldx, y, ldy, ntok, s, warp, qbuf); break;
		GPU_TYPES(X)
#undef X
	default:
		return PLUME_ERR_UNSUPPORTED;
	}
	return gpuGetLastError() == gpuSuccess ? PLUME_OK : PLUME_ERR_IO;
}

int gpu_embed(const struct gpu_w *w, const int32_t *tok, float *x, int64_t ntok, gpuStream_t s)
{
	if (w->k % 32)
		return PLUME_ERR_UNSUPPORTED;
	switch (w->type) {
#define X(t) case t: launch_embed<t>(w, tok, x, ntok, s); break;
		GPU_TYPES(X)
#undef X
	default:
		return PLUME_ERR_UNSUPPORTED;
	}
	return gpuGetLastError() == gpuSuccess ? PLUME_OK : PLUME_ERR_IO;
}
