/* Activation quantizers with AVX-512 (Q8_0/Q8_1 per 32-element block) and
 * F16C (F16 rows): the same results as quant.c's portable versions, which
 * follow llama.cpp's x86 quantize_row_q8_0/q8_1 (max and integer sums are
 * exact in any order; x * id is one rounding either way; the rounding to
 * integers is half-to-even, as nearbyintf; vcvtps2ph rounds to nearest
 * even as cpu_fp32_to_fp16 does). */
#include "kernels_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TGT512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")))
#define TGTF16C __attribute__((target("avx2,f16c")))

TGT512 void cpu_quant_q8_avx512(const float *x, uint8_t *y, int64_t n, int with_sum)
{
	size_t bs = with_sum ? 36 : 34;
	int off = with_sum ? 4 : 2;

	for (int64_t i = 0; i < n / 32; i++, x += 32, y += bs) {
		__m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
		float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
		float d = amax / 127.f, id = amax != 0.0f ? 127.f / amax : 0.0f;
		__m512 vid = _mm512_set1_ps(id);
		__m512i qa = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(a, vid),
					_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
		__m512i qb = _mm512_cvtps_epi32(_mm512_roundscale_ps(_mm512_mul_ps(b, vid),
					_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
		uint16_t h = cpu_fp32_to_fp16(d);

		memcpy(y, &h, 2);
		_mm_storeu_si128((__m128i *)(y + off), _mm512_cvtepi32_epi8(qa));
		_mm_storeu_si128((__m128i *)(y + off + 16), _mm512_cvtepi32_epi8(qb));
		if (with_sum) {
			int sum = _mm512_reduce_add_epi32(_mm512_add_epi32(qa, qb));

			h = cpu_fp32_to_fp16(d * (float)sum);
			memcpy(y + 2, &h, 2);
		}
	}
}

/* Q8_K as quantize_row_q8_K_ref (what x86 runs): the signed value of
 * largest magnitude (its first occurrence), iscale = -127 / max, each
 * iscale * x rounded half to even (exact for |v| < 2^22, as ggml's
 * nearest_int), capped at 127, 16-element sums, d = 1 / iscale. */
TGT512 void cpu_quant_q8k_avx512(const float *x, uint8_t *y, int64_t n)
{
	for (int64_t i = 0; i < n / 256; i++, x += 256, y += 292) {
		__m512 am = _mm512_setzero_ps();
		float amax, max = 0.0f, iscale, d;
		int8_t *qs = (int8_t *)(y + 4);

		for (int j = 0; j < 256; j += 16)
			am = _mm512_max_ps(am, _mm512_abs_ps(_mm512_loadu_ps(x + j)));
		amax = _mm512_reduce_max_ps(am);
		if (amax == 0.0f) {
			memset(y, 0, 292);
			continue;
		}
		for (int j = 0; j < 256; j += 16) {
			__mmask16 m = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(x + j)),
							 _mm512_set1_ps(amax), _CMP_EQ_OQ);

			if (m) {
				max = x[j + __builtin_ctz(m)];
				break;
			}
		}
		iscale = -127.f / max;
		for (int g = 0; g < 16; g++) {
			__m512 v = _mm512_mul_ps(_mm512_set1_ps(iscale), _mm512_loadu_ps(x + 16 * g));
			__m512i q = _mm512_cvtps_epi32(_mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT |
									      _MM_FROUND_NO_EXC));
			int16_t s16;

			q = _mm512_min_epi32(q, _mm512_set1_epi32(127));
			_mm_storeu_si128((__m128i *)(qs + 16 * g), _mm512_cvtepi32_epi8(q));
			s16 = (int16_t)_mm512_reduce_add_epi32(q);
			memcpy(y + 260 + 2 * g, &s16, 2);
		}
		d = 1.0f / iscale;
		memcpy(y, &d, 4);
	}
}

TGTF16C void cpu_quant_f16_f16c(const float *x, uint8_t *y, int64_t n)
{
	int64_t i = 0;

	for (; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *)(y + 2 * i),
				 _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
	for (; i < n; i++) {
		uint16_t h = cpu_fp32_to_fp16(x[i]);

		memcpy(y + 2 * i, &h, 2);
	}
}
#endif
