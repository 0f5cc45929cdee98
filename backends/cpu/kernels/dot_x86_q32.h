/* Dot products of the 32-element block types (Q4_0, Q4_1, Q5_0, Q8_0)
 * against Q8_0/Q8_1 activations, written once and compiled twice: by
 * dot_avx2.c (u8 x s8 sums with maddubs + madd) and by dot_avx512.c (the same
 * sums with AVX-512 VNNI vpdpbusd). Both produce the same 8 int32 lanes per
 * block (lane i = bytes 4i..4i+3), converted to float and accumulated with
 * one fused multiply-add per block as llama.cpp's x86 kernels do, so the two
 * ISAs agree bit for bit. The includer defines TGT (a target attribute),
 * MUL_SUM_US8(u, s) (8 int32 lane sums of u8 x s8) and Q32_FN(name). */

/* fp16 field -> float with F16C (exact, like cpu_fp16_to_fp32, but one
 * instruction instead of a branchy bit conversion) */
TGT static inline float Q32_FN(hf)(const uint8_t *p)
{
	uint16_t h;

	memcpy(&h, p, 2);
	return _cvtsh_ss(h);
}

TGT static inline float Q32_FN(hsum8)(__m256 v)
{
	__m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);

	lo = _mm_add_ps(lo, hi);
	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
	return _mm_cvtss_f32(lo);
}

/* 32 unsigned nibbles of a 16-byte block as bytes: low nibbles first. */
TGT static inline __m256i Q32_FN(nibbles)(const uint8_t *p)
{
	__m128i b = _mm_loadu_si128((const __m128i *)p);
	__m256i v = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);

	return _mm256_and_si256(v, _mm256_set1_epi8(15));
}

/* byte j = 0xFF where bit j of the 32-bit word at p is set, else 0 */
TGT static inline __m256i Q32_FN(bits_to_bytes)(const uint8_t *p)
{
	uint32_t w;
	__m256i idx = _mm256_set_epi64x(0x0303030303030303ll, 0x0202020202020202ll,
					0x0101010101010101ll, 0);
	__m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
	__m256i v;

	memcpy(&w, p, 4);
	v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)w), idx);
	return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

/* the 32 signed values of a Q4_0 block (q - 8) and of a Q5_0 block (q - 16:
 * the nibble, or the nibble | 0xF0 where the fifth bit is clear) */
TGT static inline __m256i Q32_FN(q4_0_values)(const uint8_t *x)
{
	return _mm256_sub_epi8(Q32_FN(nibbles)(x + 2), _mm256_set1_epi8(8));
}

TGT static inline __m256i Q32_FN(q5_0_values)(const uint8_t *x)
{
	__m256i hi = _mm256_andnot_si256(Q32_FN(bits_to_bytes)(x + 2), _mm256_set1_epi8((char)0xF0));

	return _mm256_or_si256(Q32_FN(nibbles)(x + 6), hi);
}

TGT static inline __m256 Q32_FN(mul_sum_us8)(__m256i u, __m256i s)
{
	return _mm256_cvtepi32_ps(MUL_SUM_US8(u, s));
}

/* signed x signed through |a| * (b * sign(a)) */
TGT static inline __m256 Q32_FN(mul_sum_ss8)(__m256i a, __m256i b)
{
	return Q32_FN(mul_sum_us8)(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

TGT static float Q32_FN(dot_q4_0)(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();

	for (int64_t b = 0; b < n / 32; b++, x += 18, y += 34) {
		__m256i qx = Q32_FN(q4_0_values)(x);
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		__m256 d = _mm256_set1_ps(Q32_FN(hf)(x) * Q32_FN(hf)(y));

		acc = _mm256_fmadd_ps(d, Q32_FN(mul_sum_ss8)(qx, qy), acc);
	}
	return Q32_FN(hsum8)(acc);
}

/* sum d_w d_a isum + m_w s_a: the m*s terms summed apart, added at the end */
TGT static float Q32_FN(dot_q4_1)(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();
	float summs = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 20, y += 36) {
		__m256i qx = Q32_FN(nibbles)(x + 4);
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 4));
		__m256 d = _mm256_set1_ps(Q32_FN(hf)(x) * Q32_FN(hf)(y));

		summs += Q32_FN(hf)(x + 2) * Q32_FN(hf)(y + 2);
		acc = _mm256_fmadd_ps(d, Q32_FN(mul_sum_us8)(qx, qy), acc);
	}
	return Q32_FN(hsum8)(acc) + summs;
}

/* q - 16 as a signed byte: the nibble, or the nibble | 0xF0 where the fifth
 * bit is clear */
TGT static float Q32_FN(dot_q5_0)(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();

	for (int64_t b = 0; b < n / 32; b++, x += 22, y += 34) {
		__m256i qx = Q32_FN(q5_0_values)(x);
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		__m256 d = _mm256_set1_ps(Q32_FN(hf)(x) * Q32_FN(hf)(y));

		acc = _mm256_fmadd_ps(d, Q32_FN(mul_sum_ss8)(qx, qy), acc);
	}
	return Q32_FN(hsum8)(acc);
}

/* Q5_1: the nibble | fifth bit << 4 (unsigned), times d_w * d_a per block,
 * plus the m_w * s_a terms summed apart (as dot_q4_1) */
TGT static float Q32_FN(dot_q5_1)(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();
	float summs = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 24, y += 36) {
		__m256i hi = _mm256_and_si256(Q32_FN(bits_to_bytes)(x + 4), _mm256_set1_epi8(0x10));
		__m256i qx = _mm256_or_si256(Q32_FN(nibbles)(x + 8), hi);
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 4));
		__m256 d = _mm256_mul_ps(_mm256_set1_ps(Q32_FN(hf)(x)), _mm256_set1_ps(Q32_FN(hf)(y)));

		summs += Q32_FN(hf)(x + 2) * Q32_FN(hf)(y + 2);
		acc = _mm256_fmadd_ps(Q32_FN(mul_sum_us8)(qx, qy), d, acc);
	}
	return Q32_FN(hsum8)(acc) + summs;
}

TGT static float Q32_FN(dot_q8_0)(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	__m256 acc = _mm256_setzero_ps();

	for (int64_t b = 0; b < n / 32; b++, x += 34, y += 34) {
		__m256i qx = _mm256_loadu_si256((const __m256i *)(x + 2));
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		__m256 d = _mm256_set1_ps(Q32_FN(hf)(x) * Q32_FN(hf)(y));

		acc = _mm256_fmadd_ps(d, Q32_FN(mul_sum_ss8)(qx, qy), acc);
	}
	return Q32_FN(hsum8)(acc);
}

/* Four activation rows (a, a + a_stride, ...) against one weight row: the
 * weight block is unpacked once for the four tokens; each token's sums are
 * exactly those of the one-row functions above (same lanes, same order). */
TGT static void Q32_FN(dot4_q4_1)(int64_t n, const void *w, const void *a, size_t a_stride,
				  float *out)
{
	const uint8_t *x = w, *y = a;
	__m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
			 _mm256_setzero_ps()};
	float summs[4] = {0, 0, 0, 0};

	for (int64_t b = 0; b < n / 32; b++, x += 20, y += 36) {
		__m256i qx = Q32_FN(nibbles)(x + 4);
		float dx = Q32_FN(hf)(x), mx = Q32_FN(hf)(x + 2);

		for (int t = 0; t < 4; t++) {
			const uint8_t *yt = y + (size_t)t * a_stride;
			__m256i qy = _mm256_loadu_si256((const __m256i *)(yt + 4));
			__m256 d = _mm256_set1_ps(dx * Q32_FN(hf)(yt));

			summs[t] += mx * Q32_FN(hf)(yt + 2);
			acc[t] = _mm256_fmadd_ps(d, Q32_FN(mul_sum_us8)(qx, qy), acc[t]);
		}
	}
	for (int t = 0; t < 4; t++)
		out[t] = Q32_FN(hsum8)(acc[t]) + summs[t];
}

/* Q5_0 against four activation rows: the weight block unpacked once, each
 * row's lanes as Q32_FN(dot_q5_0) computes them (same bits). */
TGT static void Q32_FN(dot4_q5_0)(int64_t n, const void *w, const void *a, size_t a_stride,
				  float *out)
{
	const uint8_t *x = w, *y = a;
	__m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
			 _mm256_setzero_ps()};

	for (int64_t b = 0; b < n / 32; b++, x += 22, y += 34) {
		__m256i qx = Q32_FN(q5_0_values)(x);
		__m256i ax = _mm256_sign_epi8(qx, qx);
		float dx = Q32_FN(hf)(x);

		for (int t = 0; t < 4; t++) {
			const uint8_t *yt = y + (size_t)t * a_stride;
			__m256i qy = _mm256_loadu_si256((const __m256i *)(yt + 2));
			__m256 d = _mm256_set1_ps(dx * Q32_FN(hf)(yt));

			acc[t] = _mm256_fmadd_ps(d, Q32_FN(mul_sum_us8)(ax, _mm256_sign_epi8(qy, qx)),
						 acc[t]);
		}
	}
	for (int t = 0; t < 4; t++)
		out[t] = Q32_FN(hsum8)(acc[t]);
}

TGT static void Q32_FN(dot4_q8_0)(int64_t n, const void *w, const void *a, size_t a_stride,
				  float *out)
{
	const uint8_t *x = w, *y = a;
	__m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
			 _mm256_setzero_ps()};

	for (int64_t b = 0; b < n / 32; b++, x += 34, y += 34) {
		__m256i qx = _mm256_loadu_si256((const __m256i *)(x + 2));
		__m256i ax = _mm256_sign_epi8(qx, qx);
		float dx = Q32_FN(hf)(x);

		for (int t = 0; t < 4; t++) {
			const uint8_t *yt = y + (size_t)t * a_stride;
			__m256i qy = _mm256_loadu_si256((const __m256i *)(yt + 2));
			__m256 d = _mm256_set1_ps(dx * Q32_FN(hf)(yt));

			acc[t] = _mm256_fmadd_ps(d, Q32_FN(mul_sum_us8)(ax, _mm256_sign_epi8(qy, qx)),
						 acc[t]);
		}
	}
	for (int t = 0; t < 4; t++)
		out[t] = Q32_FN(hsum8)(acc[t]);
}

/* Four weight rows (w, w + w_stride, ...) against one activation row: four
 * independent accumulation chains (the one-row kernels wait on their single
 * fused multiply-add chain), the activation block loaded and its scales
 * widened once for the four; each row's sums are exactly the one-row
 * kernel's. */
TGT __attribute__((unused)) static void Q32_FN(wdot4_q4_1)(int64_t n, const void *w, size_t w_stride,
							 const void *a, float *out)
{
	const uint8_t *x = w, *y = a;
	__m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
			 _mm256_setzero_ps()};
	float summs[4] = {0, 0, 0, 0};

	for (int64_t b = 0; b < n / 32; b++, x += 20, y += 36) {
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 4));
		float dy = Q32_FN(hf)(y), sy = Q32_FN(hf)(y + 2);

		for (int r = 0; r < 4; r++) {
			const uint8_t *xr = x + (size_t)r * w_stride;
			__m256 d = _mm256_set1_ps(Q32_FN(hf)(xr) * dy);

			summs[r] += Q32_FN(hf)(xr + 2) * sy;
			acc[r] = _mm256_fmadd_ps(d, Q32_FN(mul_sum_us8)(Q32_FN(nibbles)(xr + 4), qy), acc[r]);
		}
	}
	for (int r = 0; r < 4; r++)
		out[r] = Q32_FN(hsum8)(acc[r]) + summs[r];
}

TGT __attribute__((unused)) static void Q32_FN(wdot4_q4_0)(int64_t n, const void *w, size_t w_stride,
							 const void *a, float *out)
{
	const uint8_t *x = w, *y = a;
	__m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
			 _mm256_setzero_ps()};

	for (int64_t b = 0; b < n / 32; b++, x += 18, y += 34) {
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		float dy = Q32_FN(hf)(y);

		for (int r = 0; r < 4; r++) {
			const uint8_t *xr = x + (size_t)r * w_stride;
			__m256i qx = Q32_FN(q4_0_values)(xr);
			__m256 d = _mm256_set1_ps(Q32_FN(hf)(xr) * dy);

			acc[r] = _mm256_fmadd_ps(d, Q32_FN(mul_sum_ss8)(qx, qy), acc[r]);
		}
	}
	for (int r = 0; r < 4; r++)
		out[r] = Q32_FN(hsum8)(acc[r]);
}

TGT __attribute__((unused)) static void Q32_FN(wdot4_q5_0)(int64_t n, const void *w, size_t w_stride,
							 const void *a, float *out)
{
	const uint8_t *x = w, *y = a;
	__m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
			 _mm256_setzero_ps()};

	for (int64_t b = 0; b < n / 32; b++, x += 22, y += 34) {
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		float dy = Q32_FN(hf)(y);

		for (int r = 0; r < 4; r++) {
			const uint8_t *xr = x + (size_t)r * w_stride;
			__m256i qx = Q32_FN(q5_0_values)(xr);
			__m256 d = _mm256_set1_ps(Q32_FN(hf)(xr) * dy);

			acc[r] = _mm256_fmadd_ps(d, Q32_FN(mul_sum_ss8)(qx, qy), acc[r]);
		}
	}
	for (int r = 0; r < 4; r++)
		out[r] = Q32_FN(hsum8)(acc[r]);
}

TGT __attribute__((unused)) static void Q32_FN(wdot4_q8_0)(int64_t n, const void *w, size_t w_stride,
							 const void *a, float *out)
{
	const uint8_t *x = w, *y = a;
	__m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
			 _mm256_setzero_ps()};

	for (int64_t b = 0; b < n / 32; b++, x += 34, y += 34) {
		__m256i qy = _mm256_loadu_si256((const __m256i *)(y + 2));
		float dy = Q32_FN(hf)(y);

		for (int r = 0; r < 4; r++) {
			const uint8_t *xr = x + (size_t)r * w_stride;
			__m256i qx = _mm256_loadu_si256((const __m256i *)(xr + 2));
			__m256 d = _mm256_set1_ps(Q32_FN(hf)(xr) * dy);

			acc[r] = _mm256_fmadd_ps(d, Q32_FN(mul_sum_ss8)(qx, qy), acc[r]);
		}
	}
	for (int r = 0; r < 4; r++)
		out[r] = Q32_FN(hsum8)(acc[r]);
}
