/* Per-row and per-element kernels of the forward: RMSNorm (plain and over
 * gathered rows), residual add, bias, SwiGLU, RoPE (NORM: adjacent pairs,
 * NEOX: halves). Sums of squares are reduced per block in float. */
#include "gpu.h"

#define EW_THREADS 256

__global__ void k_rmsnorm(float *y, const float *x, const int32_t *idx, const float *w, int64_t n,
			  int64_t ldx, int64_t ldy, float eps)
{
	__shared__ float red[32];
	int64_t r = blockIdx.x, src = idx ? idx[r] : r;
	const float *xr = x + src * ldx;
	float *yr = y + r * ldy;
	float ss = 0.0f, scale;

	for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
		ss += xr[i] * xr[i];
	ss = gpu_block_sum(ss, red);
	scale = rsqrtf(ss / (float)n + eps);
	for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
		yr[i] = xr[i] * scale * w[i];
}

void gpu_rmsnorm(float *y, const float *x, const float *w, int64_t rows, int64_t n, int64_t ldx,
		 int64_t ldy, float eps, gpuStream_t s)
{
	k_rmsnorm<<<(unsigned)rows, n < EW_THREADS ? 64 : EW_THREADS, 0, s>>>(y, x, NULL, w, n, ldx,
									       ldy, eps);
}

void gpu_rmsnorm_rows(float *y, const float *x, const int32_t *idx, const float *w, int64_t rows,
		      int64_t n, float eps, gpuStream_t s)
{
	k_rmsnorm<<<(unsigned)rows, EW_THREADS, 0, s>>>(y, x, idx, w, n, n, n, eps);
}

__global__ void k_add(float *y, const float *x, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		y[i] += x[i];
}

void gpu_add(float *y, const float *x, int64_t n, gpuStream_t s)
{
	k_add<<<(unsigned)((n + EW_THREADS - 1) / EW_THREADS), EW_THREADS, 0, s>>>(y, x, n);
}

__global__ void k_add_bias(float *y, const float *b, int64_t T, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < T * n)
		y[i] += b[i % n];
}

void gpu_add_bias(float *y, const float *b, int64_t T, int64_t n, gpuStream_t s)
{
	k_add_bias<<<(unsigned)((T * n + EW_THREADS - 1) / EW_THREADS), EW_THREADS, 0, s>>>(y, b, T, n);
}

__global__ void k_swiglu(float *g, const float *u, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n) {
		float x = g[i];

		g[i] = x / (1.0f + expf(-x)) * u[i];
	}
}

void gpu_swiglu(float *g, const float *u, int64_t n, gpuStream_t s)
{
	k_swiglu<<<(unsigned)((n + EW_THREADS - 1) / EW_THREADS), EW_THREADS, 0, s>>>(g, u, n);
}

__global__ void k_geglu(float *g, const float *u, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n) {
		float x = g[i], y;

		if (x <= -10.0f) {
			y = 0.0f;
		} else if (x >= 10.0f) {
			y = x;
		} else {
			float h = __half2float(__float2half(x));

			y = 0.5f * h * (1.0f + tanhf(0.79788456080286535587989211986876f * h *
						     (1.0f + 0.044715f * h * h)));
			y = __half2float(__float2half(y));
		}
		g[i] = y * u[i];
	}
}

void gpu_geglu(float *g, const float *u, int64_t n, gpuStream_t s)
{
	k_geglu<<<(unsigned)((n + EW_THREADS - 1) / EW_THREADS), EW_THREADS, 0, s>>>(g, u, n);
}

__global__ void k_scale(float *x, float a, int64_t n)
{
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		x[i] *= a;
}

void gpu_scale(float *x, float a, int64_t n, gpuStream_t s)
{
	k_scale<<<(unsigned)((n + EW_THREADS - 1) / EW_THREADS), EW_THREADS, 0, s>>>(x, a, n);
}

/* one thread per (token, head, rotated pair) */
__global__ void k_rope(float *v, const int32_t *pos, int64_t T, int n_head, int64_t ld,
		       struct gpu_rope_p p)
{
	int half = p.n_rot / 2;
	int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
	int64_t t = i / ((int64_t)n_head * half);
	int h = (int)(i / half % n_head), j = (int)(i % half);
	float theta, cs, sn, x0, x1;
	float *x;
	int a, b;

	if (t >= T)
		return;
	theta = (float)pos[t] * powf(p.theta_scale, (float)j);
	if (p.freq_factors)
		theta /= p.freq_factors[j];
	theta *= p.freq_scale;
	sincosf(theta, &sn, &cs);
	x = v + t * ld + (int64_t)h * p.head_dim;
	a = p.rope_type == PLUME_ROPE_NEOX ? j : 2 * j;
	b = p.rope_type == PLUME_ROPE_NEOX ? j + half : 2 * j + 1;
	x0 = x[a];
	x1 = x[b];
	x[a] = x0 * cs - x1 * sn;
	x[b] = x0 * sn + x1 * cs;
}

void gpu_rope(float *v, const int32_t *pos, int64_t T, int n_head, int64_t ld,
	      const struct gpu_rope_p *p, gpuStream_t s)
{
	int64_t n = T * n_head * (p->n_rot / 2);

	k_rope<<<(unsigned)((n + EW_THREADS - 1) / EW_THREADS), EW_THREADS, 0, s>>>(v, pos, T, n_head,
										   ld, *p);
}
