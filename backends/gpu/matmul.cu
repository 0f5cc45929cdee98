/* Quantized matrix products and the embedding lookup. Weights stay in their
 * GGUF type on the device; each warp owns one output row, its lanes stride
 * over the row's 32-element units (quant.cuh), dequantize a unit into
 * registers and multiply it with up to NT activation rows (float), then
 * reduce across the warp (any warpSize). Decode uses NT = 1, prefill NT = 8
 * so a weight unit is read once per 8 tokens. */
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
		      int64_t ntok, gpuStream_t s, int warp)
{
	int rows_per_block = MM_THREADS / warp;
	size_t rb = gq_row_bytes(T, w->k);

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
	       int64_t ntok, gpuStream_t s)
{
	int warp = gpu_warp_size();

	if (w->k % 32 || ldx % 4)
		return PLUME_ERR_UNSUPPORTED;
	switch (w->type) {
#define X(t) case t: launch_mm<t>(w, x, ldx, y, ldy, ntok, s, warp); break;
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
