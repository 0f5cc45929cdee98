/* AVX2 + FMA dot products for the hot weight types (integer block sums in
 * 16-bit/32-bit lanes, per-block scaling in float, in the lane and summation
 * order of llama.cpp's x86 kernels). Built with target
 * attributes and chosen at run time, so the binary runs on any x86-64. */
#include <math.h>

#include "kernels_impl.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define TGT AVX2
#define MUL_SUM_US8(u, s) _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1))
#define Q32_FN(name) name
#include "dot_x86_q32.h"

/* Q4_K in llama.cpp's AVX2 order: per block 8 int32 lanes of
 * scale * (4-byte partial sums) over the 8 sub-blocks, one fma with
 * d = d_a * d_w; the mins in 4 float lanes (sub-block pairs) with
 * -d_a * dmin; both reduced at the end. */
AVX2 static float dot_q4_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();
	__m128 acc_m = _mm_setzero_ps();
	const __m256i m4 = _mm256_set1_epi8(15);

	for (int64_t b = 0; b < n / 256; b++, x += 144, y += 292) {
		const int8_t *q8 = (const int8_t *)(y + 4);
		const uint8_t *q4 = x + 16;
		float yd, d, dmin;
		int sc[8], m[8], pm[4];
		__m256i sumi = _mm256_setzero_si256();

		memcpy(&yd, y, 4);
		d = yd * hf(x);
		dmin = -yd * hf(x + 2);
		cpu_k_scales_mins(x + 4, sc, m);
		for (int k = 0; k < 4; k++) {
			int16_t bs[4];

			memcpy(bs, y + 260 + 8 * k, 8);
			pm[k] = m[2 * k] * (bs[0] + bs[1]) + m[2 * k + 1] * (bs[2] + bs[3]);
		}
		acc_m = _mm_fmadd_ps(_mm_set1_ps(dmin),
				     _mm_cvtepi32_ps(_mm_setr_epi32(pm[0], pm[1], pm[2], pm[3])), acc_m);
		for (int j = 0; j < 4; j++, q4 += 32, q8 += 64) {
			__m256i bits = _mm256_loadu_si256((const __m256i *)q4);
			__m256i lo = _mm256_and_si256(bits, m4);
			__m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
			__m256i pl = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)q8));
			__m256i ph = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 32)));

			pl = _mm256_madd_epi16(_mm256_set1_epi16((short)sc[2 * j]), pl);
			ph = _mm256_madd_epi16(_mm256_set1_epi16((short)sc[2 * j + 1]), ph);
			sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
		}
		acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
	}
	acc_m = _mm_add_ps(acc_m, _mm_movehl_ps(acc_m, acc_m));
	acc_m = _mm_add_ss(acc_m, _mm_movehdup_ps(acc_m));
	return hsum8(acc) + _mm_cvtss_f32(acc_m);
}

AVX2 static int32_t hsum_i32x8(__m256i v)
{
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));

	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
	return _mm_cvtsi128_si32(s);
}

/* A Q6_K block unpacked: the 256 unsigned 6-bit values as 8 x 32 bytes
 * (q[i]: elements 32i..32i+31), the 16-bit broadcasts of each 32's two
 * scales (scl[i]: scale 2i in the low half, 2i+1 in the high half), and the
 * 16 scales widened for the bsum correction. */
struct q6k_unpacked {
	__m256i q[8], scl[8], sc16;
};

AVX2 static inline void q6k_unpack(const uint8_t *x, struct q6k_unpacked *u)
{
	const int8_t *sc = (const int8_t *)(x + 192);
	const uint8_t *ql = x, *qh = x + 128;
	const __m256i m15 = _mm256_set1_epi8(15), m3 = _mm256_set1_epi8(3);

	u->sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
	for (int j = 0; j < 2; j++, ql += 64, qh += 32) {
		__m256i b1 = _mm256_loadu_si256((const __m256i *)ql);
		__m256i b2 = _mm256_loadu_si256((const __m256i *)(ql + 32));
		__m256i h = _mm256_loadu_si256((const __m256i *)qh);

		u->q[4 * j + 0] = _mm256_or_si256(_mm256_and_si256(b1, m15),
						  _mm256_slli_epi16(_mm256_and_si256(h, m3), 4));
		u->q[4 * j + 1] = _mm256_or_si256(_mm256_and_si256(b2, m15),
						  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m3), 4));
		u->q[4 * j + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m15),
						  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m3), 4));
		u->q[4 * j + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m15),
						  _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m3), 4));
		for (int g = 0; g < 4; g++) {
			int s = 8 * j + 2 * g;

			u->scl[4 * j + g] = _mm256_set_m128i(_mm_set1_epi16(sc[s + 1]), _mm_set1_epi16(sc[s]));
		}
	}
}

/* 8 int32 lanes of scale * (q - 32) * q8 against the Q8_K block y, in the
 * lanes of llama.cpp's AVX2 kernel (32 * scale * bsum subtracted per lane). */
AVX2 static inline __m256i q6k_lanes(const struct q6k_unpacked *u, const uint8_t *y)
{
	const int8_t *q8 = (const int8_t *)(y + 4);
	__m256i bsums = _mm256_loadu_si256((const __m256i *)(y + 260));
	__m256i sub = _mm256_slli_epi32(_mm256_madd_epi16(bsums, u->sc16), 5);
	__m256i sumi = _mm256_setzero_si256();

	for (int i = 0; i < 8; i++) {
		__m256i p = _mm256_maddubs_epi16(u->q[i], _mm256_loadu_si256((const __m256i *)(q8 + 32 * i)));

		sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(u->scl[i], p));
	}
	return _mm256_sub_epi32(sumi, sub);
}

/* Q6_K in llama.cpp's AVX2 order: unsigned 6-bit values times q8, scaled
 * per 16 elements, minus 32 * sum(scale * bsum) per lane pair; one fma per
 * block. */
AVX2 static float dot_q6_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();

	for (int64_t b = 0; b < n / 256; b++, x += 210, y += 292) {
		struct q6k_unpacked u;
		float yd;

		memcpy(&yd, y, 4);
		q6k_unpack(x, &u);
		acc = _mm256_fmadd_ps(_mm256_set1_ps(yd * hf(x + 208)),
				      _mm256_cvtepi32_ps(q6k_lanes(&u, y)), acc);
	}
	return hsum8(acc);
}

/* The 8 lanes of one Q5_K block (exact integers), lane i the sum over the
 * eight sub-blocks of scale * (products at bytes 4i..4i+3 of the
 * sub-block), and its min sum (min * bsum, exact). */
AVX2 static inline __m256i q5k_lanes(const uint8_t *x, const uint8_t *y, int *msum)
{
	const int8_t *q8 = (const int8_t *)(y + 4);
	const __m256i m4 = _mm256_set1_epi8(15), one = _mm256_set1_epi8(1);
	__m256i qh = _mm256_loadu_si256((const __m256i *)(x + 16)), sumi = _mm256_setzero_si256();
	int16_t bs[16];
	int sc[8], m[8];

	memcpy(bs, y + 260, 32);
	*msum = 0;
	cpu_k_scales_mins(x + 4, sc, m);
	for (int k = 0; k < 8; k++)
		*msum += m[k] * (bs[2 * k] + bs[2 * k + 1]);
	for (int j = 0; j < 4; j++) {
		__m256i q5 = _mm256_loadu_si256((const __m256i *)(x + 48 + 32 * j));
		__m256i h0 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * j), one);
		__m256i h1 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * j + 1), one);
		__m256i lo = _mm256_add_epi8(_mm256_and_si256(q5, m4), _mm256_slli_epi16(h0, 4));
		__m256i hi = _mm256_add_epi8(_mm256_and_si256(_mm256_srli_epi16(q5, 4), m4),
					     _mm256_slli_epi16(h1, 4));
		__m256i p0 = _mm256_madd_epi16(_mm256_set1_epi16((short)sc[2 * j]),
					       _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j))));
		__m256i p1 = _mm256_madd_epi16(_mm256_set1_epi16((short)sc[2 * j + 1]),
					       _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j + 32))));

		sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p0, p1));
	}
	return sumi;
}

AVX2 void cpu_q5k_sums_avx2(const uint8_t *x, const uint8_t *y, int32_t *isum, int32_t *msum)
{
	int m;

	*isum = hsum_i32x8(q5k_lanes(x, y, &m));
	*msum = m;
}

/* Q5_K in llama.cpp's AVX2 order: the lanes above, one fma per block with
 * d = d_a * d_w; the min sum folded into a float with -d_a * dmin; the
 * 8-lane sum plus that at the end. */
AVX2 static float dot_q5_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();
	float summs = 0.0f;

	for (int64_t b = 0; b < n / 256; b++, x += 176, y += 292) {
		float yd;
		int msum;
		__m256i sumi = q5k_lanes(x, y, &msum);

		memcpy(&yd, y, 4);
		summs = fmaf(-yd * hf(x + 2), (float)msum, summs);
		acc = _mm256_fmadd_ps(_mm256_set1_ps(yd * hf(x)), _mm256_cvtepi32_ps(sumi), acc);
	}
	return hsum8(acc) + summs;
}

/* Q2_K in llama.cpp's AVX2 order: per block first the mins, 8 int32 lanes
 * of min * bsum (two 16-element groups a lane) folded with -d_a * dmin, then
 * the scaled sums in the lanes of dot_q3_k folded with d_a * d, both into
 * one 8-lane accumulator; the lanes summed at the end. */
AVX2 static float dot_q2_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();
	const __m256i m3 = _mm256_set1_epi8(3);

	for (int64_t b = 0; b < n / 256; b++, x += 84, y += 292) {
		const int8_t *q8 = (const int8_t *)(y + 4);
		__m128i sm = _mm_loadu_si128((const __m128i *)x);
		__m256i sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(sm, _mm_set1_epi8(15)));
		__m256i mn16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sm, 4), _mm_set1_epi8(15)));
		__m256i prod = _mm256_madd_epi16(mn16, _mm256_loadu_si256((const __m256i *)(y + 260)));
		__m256i sumi = _mm256_setzero_si256();
		int16_t sc[16];
		float yd;

		memcpy(&yd, y, 4);
		_mm256_storeu_si256((__m256i *)sc, sc16);
		acc = _mm256_fmadd_ps(_mm256_set1_ps(-yd * hf(x + 82)), _mm256_cvtepi32_ps(prod), acc);
		for (int j = 0; j < 2; j++) {
			__m256i q2 = _mm256_loadu_si256((const __m256i *)(x + 16 + 32 * j));

			for (int k = 0; k < 4; k++) {
				int g = 8 * j + 2 * k;
				__m256i v = _mm256_and_si256(_mm256_srli_epi16(q2, 2 * k), m3);
				__m256i p = _mm256_maddubs_epi16(v, _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 32 * k)));
				__m256i scv = _mm256_set_m128i(_mm_set1_epi16(sc[g + 1]), _mm_set1_epi16(sc[g]));

				sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(scv, p));
			}
		}
		acc = _mm256_fmadd_ps(_mm256_set1_ps(yd * hf(x + 80)), _mm256_cvtepi32_ps(sumi), acc);
	}
	return hsum8(acc);
}

/* The 8 lanes of one Q3_K block (exact integers): lane i the sum over the
 * 16 groups of 16 of scale * (products at bytes 4i..4i+3 of each 32-element
 * run; a run's first 16 bytes take one scale, the next 16 the next). */
AVX2 static inline __m256i q3k_lanes(const uint8_t *x, const uint8_t *y)
{
	const int8_t *q8 = (const int8_t *)(y + 4);
	const uint8_t *S = x + 96;
	const __m256i m3 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
	__m256i hm = _mm256_loadu_si256((const __m256i *)x), sumi = _mm256_setzero_si256();
	int sc[16];

	for (int i = 0; i < 16; i++) {
		int lo = i < 8 ? S[i] & 15 : S[i - 8] >> 4;
		int hi = (S[8 + (i & 3)] >> (2 * (i >> 2))) & 3;

		sc[i] = (lo | hi << 4) - 32;
	}
	for (int j = 0; j < 2; j++) {
		__m256i q3 = _mm256_loadu_si256((const __m256i *)(x + 32 + 32 * j));

		for (int k = 0; k < 4; k++) {
			int g = 8 * j + 2 * k;
			__m256i low = _mm256_and_si256(_mm256_srli_epi16(q3, 2 * k), m3);
			__m256i hb = _mm256_and_si256(_mm256_srli_epi16(hm, 4 * j + k), one);
			/* low - 4 where the high bit is clear: -4..3 */
			__m256i v = _mm256_sub_epi8(_mm256_add_epi8(low, _mm256_slli_epi16(hb, 2)),
						    _mm256_set1_epi8(4));
			__m256i q = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 32 * k));
			__m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(q, v));
			__m256i scv = _mm256_set_m128i(_mm_set1_epi16((short)sc[g + 1]),
						       _mm_set1_epi16((short)sc[g]));

			sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(scv, p));
		}
	}
	return sumi;
}

AVX2 int32_t cpu_q3k_sum_avx2(const uint8_t *x, const uint8_t *y)
{
	return hsum_i32x8(q3k_lanes(x, y));
}

/* Q3_K in llama.cpp's AVX2 order: the lanes above, one fma per block with
 * d = d_a * d_w, the 8 lanes summed at the end. */
AVX2 static float dot_q3_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();

	for (int64_t b = 0; b < n / 256; b++, x += 110, y += 292) {
		float yd;

		memcpy(&yd, y, 4);
		acc = _mm256_fmadd_ps(_mm256_set1_ps(yd * hf(x + 108)), _mm256_cvtepi32_ps(q3k_lanes(x, y)),
				      acc);
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

/* A Q4_K block unpacked: low and high nibbles of each 64-element pair of
 * sub-blocks, the 6-bit scales and mins. */
struct q4k_unpacked {
	__m256i lo[4], hi[4];
	int sc[8], m[8];
};

AVX2 static inline void q4k_unpack(const uint8_t *x, struct q4k_unpacked *u)
{
	const __m256i m4 = _mm256_set1_epi8(15);

	cpu_k_scales_mins(x + 4, u->sc, u->m);
	for (int j = 0; j < 4; j++) {
		__m256i bits = _mm256_loadu_si256((const __m256i *)(x + 16 + 32 * j));

		u->lo[j] = _mm256_and_si256(bits, m4);
		u->hi[j] = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
	}
}

AVX2 static inline void q4k_pair_sums(const struct q4k_unpacked *u, const uint8_t *y,
				      int32_t isum[4], int32_t msum[4])
{
	const int8_t *q8 = (const int8_t *)(y + 4);
	int16_t bs[16];

	memcpy(bs, y + 260, 32);
	for (int j = 0; j < 4; j++, q8 += 64) {
		__m256i pl = _mm256_maddubs_epi16(u->lo[j], _mm256_loadu_si256((const __m256i *)q8));
		__m256i ph = _mm256_maddubs_epi16(u->hi[j], _mm256_loadu_si256((const __m256i *)(q8 + 32)));

		pl = _mm256_madd_epi16(_mm256_set1_epi16((short)u->sc[2 * j]), pl);
		ph = _mm256_madd_epi16(_mm256_set1_epi16((short)u->sc[2 * j + 1]), ph);
		isum[j] = hsum_i32x8(_mm256_add_epi32(pl, ph));
		msum[j] = u->m[2 * j] * (bs[4 * j] + bs[4 * j + 1]) +
			  u->m[2 * j + 1] * (bs[4 * j + 2] + bs[4 * j + 3]);
	}
}

AVX2 void cpu_q4k_sums_avx2(const uint8_t *x, const uint8_t *y, int32_t isum[4], int32_t msum[4])
{
	struct q4k_unpacked u;

	q4k_unpack(x, &u);
	q4k_pair_sums(&u, y, isum, msum);
}

/* The same for four activation rows a_stride bytes apart: the weight block
 * unpacked once. */
AVX2 void cpu_q4k_sums4_avx2(const uint8_t *x, const uint8_t *y, size_t a_stride,
			     int32_t isum[4][4], int32_t msum[4][4])
{
	struct q4k_unpacked u;

	q4k_unpack(x, &u);
	for (int t = 0; t < 4; t++)
		q4k_pair_sums(&u, y + (size_t)t * a_stride, isum[t], msum[t]);
}

AVX2 int32_t cpu_q6k_sum_avx2(const uint8_t *x, const uint8_t *y)
{
	struct q6k_unpacked u;

	q6k_unpack(x, &u);
	return hsum_i32x8(q6k_lanes(&u, y));
}

/* The same for four activation rows a_stride bytes apart. */
AVX2 void cpu_q6k_sums4_avx2(const uint8_t *x, const uint8_t *y, size_t a_stride, int32_t out[4])
{
	struct q6k_unpacked u;

	q6k_unpack(x, &u);
	for (int t = 0; t < 4; t++)
		out[t] = hsum_i32x8(q6k_lanes(&u, y + (size_t)t * a_stride));
}

cpu_dot_fn cpu_dot_avx2(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_Q4_0: return dot_q4_0;
	case PLUME_DTYPE_Q4_1: return dot_q4_1;
	case PLUME_DTYPE_Q5_0: return dot_q5_0;
	case PLUME_DTYPE_Q5_1: return dot_q5_1;
	case PLUME_DTYPE_Q8_0: return dot_q8_0;
	case PLUME_DTYPE_Q2_K: return dot_q2_k;
	case PLUME_DTYPE_Q3_K: return dot_q3_k;
	case PLUME_DTYPE_Q4_K: return dot_q4_k;
	case PLUME_DTYPE_Q5_K: return dot_q5_k;
	case PLUME_DTYPE_Q6_K: return dot_q6_k;
	case PLUME_DTYPE_F32: return dot_f32;
	case PLUME_DTYPE_F16: return dot_f16;
	default: return NULL;
	}
}
cpu_wdot4_fn cpu_wdot4_avx2(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_Q4_0: return wdot4_q4_0;
	case PLUME_DTYPE_Q4_1: return wdot4_q4_1;
	case PLUME_DTYPE_Q5_0: return wdot4_q5_0;
	case PLUME_DTYPE_Q8_0: return wdot4_q8_0;
	default: return NULL;
	}
}

cpu_dot4_fn cpu_dot4_avx2(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_Q4_1: return dot4_q4_1;
	case PLUME_DTYPE_Q8_0: return dot4_q8_0;
	case PLUME_DTYPE_Q5_0: return dot4_q5_0;
	default: return NULL;
	}
}
#else
void cpu_q4k_sums_avx2(const uint8_t *x, const uint8_t *y, int32_t isum[4], int32_t msum[4])
{
	(void)x;
	(void)y;
	for (int j = 0; j < 4; j++)
		isum[j] = msum[j] = 0;
}

void cpu_q4k_sums4_avx2(const uint8_t *x, const uint8_t *y, size_t a_stride,
			int32_t isum[4][4], int32_t msum[4][4])
{
	(void)x;
	(void)y;
	(void)a_stride;
	memset(isum, 0, 16 * sizeof(int32_t));
	memset(msum, 0, 16 * sizeof(int32_t));
}

void cpu_q6k_sums4_avx2(const uint8_t *x, const uint8_t *y, size_t a_stride, int32_t out[4])
{
	(void)x;
	(void)y;
	(void)a_stride;
	memset(out, 0, 4 * sizeof(int32_t));
}

int32_t cpu_q6k_sum_avx2(const uint8_t *x, const uint8_t *y)
{
	(void)x;
	(void)y;
	return 0;
}

cpu_dot_fn cpu_dot_avx2(uint32_t t)
{
	(void)t;
	return NULL;
}

cpu_dot4_fn cpu_dot4_avx2(uint32_t t)
{
	(void)t;
	return NULL;
}

cpu_wdot4_fn cpu_wdot4_avx2(uint32_t t)
{
	(void)t;
	return NULL;
}

int32_t cpu_q3k_sum_avx2(const uint8_t *x, const uint8_t *y)
{
	(void)x;
	(void)y;
	return 0;
}

void cpu_q5k_sums_avx2(const uint8_t *x, const uint8_t *y, int32_t *isum, int32_t *msum)
{
	(void)x;
	(void)y;
	*isum = *msum = 0;
}
#endif
