/* Scalar emulation of llama.cpp's AVX-512 reduction orders and its
 * vectorised exp (see ggml_order.h). fmaf is exact, so these give the same
 * bits as the vector code on any x86-64; target_clones lets GCC use the FMA
 * instruction where the CPU has it. */
#include "ggml_order.h"
#include "kernels.h"

#include <math.h>
#include <stdint.h>

FMA_CLONES float go_expf(float x)
{
	const float r = 0x1.8p23f;
	float z = fmaf(x, 0x1.715476p+0f, r);
	float n = z - r;
	float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
	float u = b * b;
	float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
			    fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
		       u, fmaf(0x1.ffffecp-1f, b, 1.0f));

	if (!(fabsf(n) <= 192.0f)) /* > 192 or NaN: saturate */
		return n <= 0.0f ? 0.0f : INFINITY;
	/* j * 2^n: a product by a power of two is exact while the result is a
	 * normal number (j < 2); ldexpf rounds the subnormal and huge cases */
	if (n >= -125.0f && n <= 127.0f) {
		union {
			uint32_t u;
			float f;
		} p = {.u = (uint32_t)((int)n + 127) << 23};

		return j * p.f;
	}
	return ldexpf(j, (int)n);
}

/* ggml's gelu_f32 with the multiply-add GCC contracts under -march=native */
static float gelu_f32(float x)
{
	const float a = 0.044715f, k = 0.79788456080286535587989211986876f;

	return 0.5f * x * (1.0f + tanhf(k * x * fmaf(a * x, x, 1.0f)));
}

void go_gelu_table(uint16_t *tab)
{
	for (uint32_t h = 0; h < 65536; h++)
		tab[h] = cpu_fp32_to_fp16(gelu_f32(cpu_fp16_to_fp32((uint16_t)h)));
}

float go_gelu(const uint16_t *tab, float x)
{
	if (x <= -10.0f)
		return 0.0f;
	if (x >= 10.0f)
		return x;
	return cpu_fp16_to_fp32(tab[cpu_fp32_to_fp16(x)]);
}

float go_silu(float x)
{
	return x / (1.0f + go_expf(0.0f - x));
}

float go_hsum16(const float *v)
{
	float a[8], b[4];

	for (int i = 0; i < 8; i++)
		a[i] = v[i + 8] + v[i];
	for (int i = 0; i < 4; i++)
		b[i] = a[i + 4] + a[i];
	return (b[0] + b[2]) + (b[1] + b[3]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_512 1
#define T512 __attribute__((target("avx512f,fma")))

/* The same sums on 512-bit vectors: lane l of an accumulator is acc[l]
 * above, and _mm512_reduce_add_ps adds the lanes in go_hsum16's tree. */
T512 static float vecdot_512(const float *x, const float *y, int64_t n)
{
	__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
	int64_t np = n & ~(int64_t)63;
	double sum;

	for (int64_t i = 0; i < np; i += 64) {
		a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
		a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
		a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(y + i + 32), a2);
		a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(y + i + 48), a3);
	}
	a0 = _mm512_add_ps(a0, a2);
	a1 = _mm512_add_ps(a1, a3);
	sum = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
	for (int64_t i = np; i < n; i++)
		sum += (double)(x[i] * y[i]);
	return (float)sum;
}

T512 static float tinyblas_512(const float *x, const float *y, int64_t n)
{
	__m512 acc = _mm512_setzero_ps();

	for (int64_t i = 0; i + 16 <= n; i += 16)
		acc = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc);
	return _mm512_reduce_add_ps(acc);
}

static int have_512(void)
{
	static int v = -1;

	if (v < 0) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
	}
	return v;
}
#else
#define HAVE_512 0
#endif

FMA_CLONES static float vecdot_scalar(const float *x, const float *y, int64_t n);
FMA_CLONES static float tinyblas_scalar(const float *x, const float *y, int64_t n);

float go_dot_vecdot(const float *x, const float *y, int64_t n)
{
#if HAVE_512
	if (have_512())
		return vecdot_512(x, y, n);
#endif
	return vecdot_scalar(x, y, n);
}

float go_dot_tinyblas(const float *x, const float *y, int64_t n)
{
#if HAVE_512
	if (have_512())
		return tinyblas_512(x, y, n);
#endif
	return tinyblas_scalar(x, y, n);
}

FMA_CLONES static float vecdot_scalar(const float *x, const float *y, int64_t n)
{
	float acc[4][16] = {{0}};
	int64_t np = n & ~(int64_t)63;
	double sum;

	for (int64_t i = 0; i < np; i += 64)
		for (int j = 0; j < 4; j++)
			for (int l = 0; l < 16; l++)
				acc[j][l] = fmaf(x[i + 16 * j + l], y[i + 16 * j + l], acc[j][l]);
	for (int l = 0; l < 16; l++) {
		acc[0][l] = acc[0][l] + acc[2][l];
		acc[1][l] = acc[1][l] + acc[3][l];
	}
	for (int l = 0; l < 16; l++)
		acc[0][l] = acc[0][l] + acc[1][l];
	sum = go_hsum16(acc[0]);
	for (int64_t i = np; i < n; i++)
		sum += (double)(x[i] * y[i]);
	return (float)sum;
}

FMA_CLONES static float tinyblas_scalar(const float *x, const float *y, int64_t n)
{
	float acc[16] = {0};

	for (int64_t i = 0; i + 16 <= n; i += 16)
		for (int l = 0; l < 16; l++)
			acc[l] = fmaf(x[i + l], y[i + l], acc[l]);
	return go_hsum16(acc);
}
