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

/* Q4_1 against eight activation rows: two rows per 512-bit vector (row 2p
 * in the low 8 lanes, 2p + 1 in the high 8), so each vpdpbusd, conversion and
 * fused multiply-add serves two rows; every lane sees the same operations in
 * the same order as vnni_dot_q4_1 (same bits). The mins term runs as one
 * 8-lane fused multiply-add per block, as the one-row kernel's contracted
 * scalar one. */
TGT static void vnni_dot8_q4_1(int64_t n, const void *w, const void *a, size_t a_stride, float *out)
{
	const uint8_t *x = w, *y = a;
	__m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
			 _mm512_setzero_ps()};
	__m256 summs = _mm256_setzero_ps();
	const __m512i sel[4] = {
		_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
		_mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
		_mm512_set_epi32(5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4),
		_mm512_set_epi32(7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6)};

	for (int64_t b = 0; b < n / 32; b++, x += 20, y += 36) {
		__m512i qx = _mm512_broadcast_i64x4(vnni_nibbles(x + 4));
		float dy[8], sy[8];
		__m512 d;

		for (int t = 0; t < 8; t++) {
			dy[t] = vnni_hf(y + (size_t)t * a_stride);
			sy[t] = vnni_hf(y + (size_t)t * a_stride + 2);
		}
		summs = _mm256_fmadd_ps(_mm256_set1_ps(vnni_hf(x + 2)), _mm256_loadu_ps(sy), summs);
		d = _mm512_castps256_ps512(_mm256_mul_ps(_mm256_set1_ps(vnni_hf(x)), _mm256_loadu_ps(dy)));
		for (int p = 0; p < 4; p++) {
			const uint8_t *y0 = y + (size_t)(2 * p) * a_stride;
			__m512i qy = _mm512_inserti64x4(
				_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(y0 + 4))),
				_mm256_loadu_si256((const __m256i *)(y0 + a_stride + 4)), 1);
			__m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), qx, qy);

			acc[p] = _mm512_fmadd_ps(_mm512_permutexvar_ps(sel[p], d), _mm512_cvtepi32_ps(s),
						 acc[p]);
		}
	}
	{
		float sm[8];

		_mm256_storeu_ps(sm, summs);
		for (int p = 0; p < 4; p++) {
			__m256 lo = _mm512_castps512_ps256(acc[p]);
			__m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[p]), 1));

			out[2 * p] = vnni_hsum8(lo) + sm[2 * p];
			out[2 * p + 1] = vnni_hsum8(hi) + sm[2 * p + 1];
		}
	}
}

/* Q5_0 against eight activation rows, two per 512-bit vector, with the
 * lanes of vnni_dot_q5_0: |q5| times q8 carrying q5's sign (a masked
 * negation, as _mm256_sign_epi8 does it; q8 is never -128), vpdpbusd,
 * conversion, one fused multiply-add by d_w * d_a per block. */
TGT static void vnni_dot8_q5_0(int64_t n, const void *w, const void *a, size_t a_stride, float *out)
{
	const uint8_t *x = w, *y = a;
	__m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
			 _mm512_setzero_ps()};
	const __m512i sel[4] = {
		_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
		_mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
		_mm512_set_epi32(5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4),
		_mm512_set_epi32(7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6)};

	for (int64_t b = 0; b < n / 32; b++, x += 22, y += 34) {
		__m256i hi = _mm256_andnot_si256(vnni_bits_to_bytes(x + 2), _mm256_set1_epi8((char)0xF0));
		__m512i qx = _mm512_broadcast_i64x4(_mm256_or_si256(vnni_nibbles(x + 6), hi));
		__m512i ax = _mm512_abs_epi8(qx);
		__mmask64 neg = _mm512_movepi8_mask(qx);
		float dy[8];
		__m512 d;

		for (int t = 0; t < 8; t++)
			dy[t] = vnni_hf(y + (size_t)t * a_stride);
		d = _mm512_castps256_ps512(_mm256_mul_ps(_mm256_set1_ps(vnni_hf(x)), _mm256_loadu_ps(dy)));
		for (int p = 0; p < 4; p++) {
			const uint8_t *y0 = y + (size_t)(2 * p) * a_stride;
			__m512i qy = _mm512_inserti64x4(
				_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(y0 + 2))),
				_mm256_loadu_si256((const __m256i *)(y0 + a_stride + 2)), 1);
			__m512i sy = _mm512_mask_sub_epi8(qy, neg, _mm512_setzero_si512(), qy);
			__m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ax, sy);

			acc[p] = _mm512_fmadd_ps(_mm512_permutexvar_ps(sel[p], d), _mm512_cvtepi32_ps(s),
						 acc[p]);
		}
	}
	for (int p = 0; p < 4; p++) {
		__m256 lo = _mm512_castps512_ps256(acc[p]);
		__m256 hi2 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[p]), 1));

		out[2 * p] = vnni_hsum8(lo);
		out[2 * p + 1] = vnni_hsum8(hi2);
	}
}

cpu_dot4_fn cpu_dot8_avx512(uint32_t t)
{
	return t == PLUME_DTYPE_Q4_1 ? vnni_dot8_q4_1 : t == PLUME_DTYPE_Q5_0 ? vnni_dot8_q5_0 : NULL;
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
cpu_dot4_fn cpu_dot8_avx512(uint32_t t)
{
	(void)t;
	return NULL;
}

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
