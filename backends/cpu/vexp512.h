/* llama.cpp's vectorised exp (go_expf in ggml_order.c) on 16 lanes, for the
 * AVX-512 paths of the attention softmax and the SiLU product: the same
 * operations, fused multiply-adds included, lane by lane, so each lane equals
 * go_expf wherever 2^n is a normal number; *ok marks those lanes, the others
 * (saturation, subnormal results, NaN) must go through go_expf. Include in
 * a file compiled for x86-64 with GCC; the function carries its own target. */
#ifndef PLUME_CPU_VEXP512_H
#define PLUME_CPU_VEXP512_H

#include <immintrin.h>

__attribute__((target("avx512f,fma"), always_inline)) static inline __m512
vexp512(__m512 x, __mmask16 *ok)
{
	const __m512 r = _mm512_set1_ps(0x1.8p23f);
	__m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
	__m512 n = _mm512_sub_ps(z, r);
	__m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
				    _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
	__m512 u = _mm512_mul_ps(b, b);
	__m512 j = _mm512_fmadd_ps(
		_mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b,
						_mm512_set1_ps(0x1.573e2ep-5f)),
				u,
				_mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b,
						_mm512_set1_ps(0x1.fffdb6p-2f))),
		u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
	__m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);

	*ok = _mm512_cmp_ps_mask(n, _mm512_set1_ps(-125.0f), _CMP_GE_OQ) &
	      _mm512_cmp_ps_mask(n, _mm512_set1_ps(127.0f), _CMP_LE_OQ);
	return _mm512_mul_ps(j, _mm512_castsi512_ps(e));
}

#endif
