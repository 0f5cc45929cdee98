/* AVX-512 VNNI dot products: the 32-element block types with vpdpbusd on
 * 256-bit vectors (AVX512VL), bit-identical to the AVX2 versions (same int32
 * lanes, same float order; see dot_x86_q32.h); F32 and F16 on 512-bit
 * vectors in ggml_vec_dot_f32/_f16's order. Types not here fall back to
 * the AVX2 table. Chosen at run time; the binary runs on any x86-64. */
#include "kernels_impl.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TGT __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define MUL_SUM_US8(u, s) _mm256_dpbusd_epi32(_mm256_setzero_si256(), (u), (s))
#define Q32_FN(name) vnni_##name
#include "dot_x86_q32.h"

#define TGT512 __attribute__((target("avx2,fma,f16c,avx512f")))

/* F32 and F16 in ggml_vec_dot_f32/_f16's AVX-512 order: four 16-lane fma
 * accumulators over 64-element steps, reduced (0+2, 1+3), (0+1), then
 * across lanes; leftovers added one by one (F32 in float, F16 in double). */
TGT512 static __m512 reduce4(__m512 *acc)
{
	acc[0] = _mm512_add_ps(acc[0], acc[2]);
	acc[1] = _mm512_add_ps(acc[1], acc[3]);
	return _mm512_add_ps(acc[0], acc[1]);
}

TGT512 static float dot_f32(int64_t n, const void *w, const void *a)
{
	const float *x = w, *y = a;
	__m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
			 _mm512_setzero_ps()};
	int64_t np = n & ~(int64_t)63;
	float sum;

	for (int64_t i = 0; i < np; i += 64)
		for (int j = 0; j < 4; j++)
			acc[j] = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16 * j),
						 _mm512_loadu_ps(y + i + 16 * j), acc[j]);
	sum = _mm512_reduce_add_ps(reduce4(acc));
	for (int64_t i = np; i < n; i++)
		sum += x[i] * y[i];
	return sum;
}

TGT512 static float dot_f16(int64_t n, const void *w, const void *a)
{
	const uint16_t *x = w, *y = a;
	__m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
			 _mm512_setzero_ps()};
	int64_t np = n & ~(int64_t)63;
	double sum;

	for (int64_t i = 0; i < np; i += 64)
		for (int j = 0; j < 4; j++) {
			__m512 vx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i + 16 * j)));
			__m512 vy = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(y + i + 16 * j)));

			acc[j] = _mm512_fmadd_ps(vx, vy, acc[j]);
		}
	sum = _mm512_reduce_add_ps(reduce4(acc));
	for (int64_t i = np; i < n; i++)
		sum += (double)(h2f(x + i) * h2f(y + i));
	return (float)sum;
}

cpu_dot_fn cpu_dot_avx512(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_Q4_0: return vnni_dot_q4_0;
	case PLUME_DTYPE_Q4_1: return vnni_dot_q4_1;
	case PLUME_DTYPE_Q5_0: return vnni_dot_q5_0;
	case PLUME_DTYPE_Q5_1: return vnni_dot_q5_1;
	case PLUME_DTYPE_Q8_0: return vnni_dot_q8_0;
	case PLUME_DTYPE_F32: return dot_f32;
	case PLUME_DTYPE_F16: return dot_f16;
	default: return NULL;
	}
}
cpu_dot4_fn cpu_dot4_avx512(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_Q4_1: return vnni_dot4_q4_1;
	case PLUME_DTYPE_Q8_0: return vnni_dot4_q8_0;
	case PLUME_DTYPE_Q5_0: return vnni_dot4_q5_0;
	default: return NULL;
	}
}
#else
cpu_dot_fn cpu_dot_avx512(uint32_t t)
{
	(void)t;
	return NULL;
}

cpu_dot4_fn cpu_dot4_avx512(uint32_t t)
{
	(void)t;
	return NULL;
}
#endif
