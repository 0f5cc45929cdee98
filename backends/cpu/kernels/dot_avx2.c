/* AVX2 + FMA dot products for the hot weight types (integer block sums in
 * 16-bit/32-bit lanes, per-block scaling in float). Built with target
 * attributes and chosen at run time, so the binary runs on any x86-64. */
#include "kernels_impl.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline float hsum8(__m256 v)
{
	__m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);

	lo = _mm_add_ps(lo, hi);
	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
	return _mm_cvtss_f32(lo);
}

/* 32 unsigned nibbles of a 16-byte block as bytes: low nibbles first. */
AVX2 static inline __m256i nibbles(const uint8_t *p)
{
	__m128i b = _mm_loadu_si128((const __m128i *)p);
	__m256i v = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);

	return _mm256_and_si256(v, _mm256_set1_epi8(15));
}

/* sum of u8 x i8 products, as 8 int32 lanes -> float */
AVX2 static inline __m256 mul_sum_us8(__m256i u, __m256i s)
{
	__m256i p16 = _mm256_maddubs_epi16(u, s);
	__m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));

	return _mm256_cvtepi32_ps(p32);
}

AVX2 static inline __m256 mul_sum_ss8(__m256i a, __m256i b)
{
	/* sign trick: |a| * (b * sign(a)) */
	__m256i ua = _mm256_sign_epi8(a, a), sb = _mm256_sign_epi8(b, a);

	return mul_sum_us8(ua, sb);
}

AVX2 static float dot_q4_1(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();
	float summs = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 20, y += 36) {
		__m256i qx = nibbles(x + 4);
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 4));
		__m256 d = _mm256_set1_ps(h2f(x) * h2f(y));

		summs += h2f(x + 2) * h2f(y + 2);
		acc = _mm256_fmadd_ps(d, mul_sum_us8(qx, qy), acc);
	}
	return hsum8(acc) + summs;
}

AVX2 static float dot_q4_0(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();

	for (int64_t b = 0; b < n / 32; b++, x += 18, y += 34) {
		__m256i qx = _mm256_sub_epi8(nibbles(x + 2), _mm256_set1_epi8(8));
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		__m256 d = _mm256_set1_ps(h2f(x) * h2f(y));

		acc = _mm256_fmadd_ps(d, mul_sum_ss8(qx, qy), acc);
	}
	return hsum8(acc);
}

AVX2 static float dot_q8_0(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();

	for (int64_t b = 0; b < n / 32; b++, x += 34, y += 34) {
		__m256i qx = _mm256_loadu_si256((const __m256i *)(x + 2));
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		__m256 d = _mm256_set1_ps(h2f(x) * h2f(y));

		acc = _mm256_fmadd_ps(d, mul_sum_ss8(qx, qy), acc);
	}
	return hsum8(acc);
}

AVX2 static float dot_f32(int64_t n, const void *w, const void *a)
{
	const float *x = w, *y = a;
	__m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
	int64_t i = 0;
	float tail = 0;

	for (; i + 16 <= n; i += 16) {
		acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc0);
		acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), acc1);
	}
	for (; i < n; i++)
		tail += x[i] * y[i];
	return hsum8(_mm256_add_ps(acc0, acc1)) + tail;
}

AVX2 static float dot_f16(int64_t n, const void *w, const void *a)
{
	const uint16_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();
	int64_t i = 0;
	float tail = 0;

	for (; i + 8 <= n; i += 8) {
		__m256 vx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
		__m256 vy = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i)));

		acc = _mm256_fmadd_ps(vx, vy, acc);
	}
	for (; i < n; i++)
		tail += h2f(x + i) * h2f(y + i);
	return hsum8(acc) + tail;
}

cpu_dot_fn cpu_dot_avx2(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_Q4_0: return dot_q4_0;
	case PLUME_DTYPE_Q4_1: return dot_q4_1;
	case PLUME_DTYPE_Q8_0: return dot_q8_0;
	case PLUME_DTYPE_F32: return dot_f32;
	case PLUME_DTYPE_F16: return dot_f16;
	default: return NULL;
	}
}
#else
cpu_dot_fn cpu_dot_avx2(uint32_t t)
{
	return NULL;
}
#endif
