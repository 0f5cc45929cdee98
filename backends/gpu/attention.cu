/* Paged attention over the F16 KV cache. A token's position j lives in block
 * tables[tab[t] + j / block_size], slot j % block_size; a cache row holds
 * n_head_kv * head_dim halves. kv_write stores the batch's K/V rows there;
 * attention runs one thread block per (token, query head): scores in shared
 * memory, block-wide max and sum, then the weighted sum of V. As on the CPU
 * the query and the softmax weights are rounded to F16. */
#include "gpu.h"

#define AT_THREADS 512
#define AT_MAXD 8 /* head_dim <= AT_MAXD * warpSize */

static __device__ __forceinline__ int64_t kv_row(const struct gpu_attn_p &p, int64_t t, int64_t j)
{
	return (int64_t)p.tables[p.tab[t] + j / p.block_size] * p.block_size + j % p.block_size;
}

__global__ void k_kv_write(__half *kc, __half *vc, const float *k, const float *v, int64_t T,
			   struct gpu_attn_p p)
{
	int64_t dk = (int64_t)p.n_head_kv * p.head_dim;
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x, t = i / dk, d = i % dk, r;

	if (t >= T)
		return;
	r = kv_row(p, t, p.pos[t]);
	kc[r * dk + d] = __float2half(k[t * p.ldk + d]);
	vc[r * dk + d] = __float2half(v[t * p.ldk + d]);
}

void gpu_kv_write(__half *kc, __half *vc, const float *k, const float *v, int64_t T,
		  const struct gpu_attn_p *p, gpuStream_t s)
{
	int64_t n = T * p->n_head_kv * p->head_dim;

	k_kv_write<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(kc, vc, k, v, T, *p);
}

__global__ void k_attention(float *out, const float *q, const __half *kc, const __half *vc,
			    struct gpu_attn_p p)
{
	extern __shared__ float sh[]; /* [head_dim] query, [ctx] scores, [warps][head_dim] */
	__shared__ float red[32];
	int64_t t = blockIdx.x;
	int h = blockIdx.y, g = h / (p.n_head / p.n_head_kv), hd = p.head_dim;
	int64_t dk = (int64_t)p.n_head_kv * hd, n_ctx = p.ctx_len[t];
	/* sliding window: the positions llama.cpp masks are skipped */
	int64_t lo = p.window > 0 && n_ctx > p.window ? n_ctx - p.window : 0;
	int lane = threadIdx.x % warpSize, w = threadIdx.x / warpSize, nw = blockDim.x / warpSize;
	float *qs = sh, *sc = sh + hd, mx = -INFINITY, sum = 0.0f;

	for (int d = threadIdx.x; d < hd; d += blockDim.x)
		qs[d] = __half2float(__float2half(q[t * p.ldq + (int64_t)h * hd + d]));
	__syncthreads();
	for (int64_t j = lo + w; j < n_ctx; j += nw) {
		const __half *kr = kc + kv_row(p, t, j) * dk + (int64_t)g * hd;
		float s = 0.0f;

		for (int d = lane; d < hd; d += warpSize)
			s += __half2float(kr[d]) * qs[d];
		s = gpu_warp_sum(s) * p.scale;
		if (lane == 0)
			sc[j] = s;
	}
	__syncthreads();
	for (int64_t j = lo + threadIdx.x; j < n_ctx; j += blockDim.x)
		mx = fmaxf(mx, sc[j]);
	mx = gpu_block_max(mx, red);
	__syncthreads();
	for (int64_t j = lo + threadIdx.x; j < n_ctx; j += blockDim.x) {
		float e = expf(sc[j] - mx);

		sc[j] = e;
		sum += e;
	}
	sum = gpu_block_sum(sum, red);
	/* weighted sum of V: warps split the positions, lanes the dims (up to
	 * AT_MAXD per lane), then the warps' partial sums meet in shared memory */
	{
		float acc[AT_MAXD], inv = 1.0f / sum;
		float *part = sc + n_ctx; /* [nw][hd] */

#pragma unroll
		for (int i = 0; i < AT_MAXD; i++)
			acc[i] = 0.0f;
		for (int64_t j = lo + w; j < n_ctx; j += nw) {
			const __half *vr = vc + kv_row(p, t, j) * dk + (int64_t)g * hd;
			float wj = __half2float(__float2half(sc[j] * inv));

#pragma unroll
			for (int i = 0; i < AT_MAXD; i++) {
				int d = lane + i * warpSize;

				if (d < hd)
					acc[i] += wj * __half2float(vr[d]);
			}
		}
#pragma unroll
		for (int i = 0; i < AT_MAXD; i++) {
			int d = lane + i * warpSize;

			if (d < hd)
				part[w * hd + d] = acc[i];
		}
		__syncthreads();
		for (int d = threadIdx.x; d < hd; d += blockDim.x) {
			float o = 0.0f;

			for (int i = 0; i < nw; i++)
				o += part[i * hd + d];
			out[t * p.ldo + (int64_t)h * hd + d] = o;
		}
	}
}

int gpu_attention(float *out, const float *q, const __half *kc, const __half *vc, int64_t T,
		  int max_ctx, const struct gpu_attn_p *p, gpuStream_t s)
{
	size_t shm = ((size_t)p->head_dim * (1 + AT_THREADS / 32) + (size_t)max_ctx) * sizeof(float);

	if (shm > 48 * 1024 || p->head_dim > AT_MAXD * 32)
		return PLUME_ERR_UNSUPPORTED; /* longer contexts need a tiled kernel */
	k_attention<<<dim3((unsigned)T, (unsigned)p->n_head), AT_THREADS, shm, s>>>(out, q, kc, vc, *p);
	return gpuGetLastError() == gpuSuccess ? PLUME_OK : PLUME_ERR_IO;
}
