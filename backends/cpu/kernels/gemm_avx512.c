/* Matrix products of the 32-element block types (Q4_0, Q4_1, Q5_0, Q8_0)
 * against several activation rows at once, with AVX-512 VNNI, in exactly
 * llama.cpp's per-element arithmetic (the lanes and order of
 * dot_x86_q32.h's one-row kernels, so the same bits).
 *
 * The activation rows (Q8_0 / Q8_1 blocks) are first rearranged into a
 * "panel" per group of G rows (G = 8, 4 or 2), block by block:
 *   - quants of rows 2p and 2p+1 side by side (64 bytes per pair), so one
 *     512-bit vpdpbusd serves two rows against one weight block;
 *   - each row's scale widened to float and repeated over its 8 lanes;
 *   - a per-lane integer correction that turns the unsigned weight form
 *     u = q + c (what vpdpbusd multiplies) back into q: -c * (sum of the
 *     lane's four activation bytes); zero for Q4_1 (already unsigned);
 *   - for Q8_1, each row's s = d * sum(q) widened to float (Q4_1's min term).
 * Each weight block is then unpacked once per group, and every row costs one
 * vpdpbusd, one conversion, one multiply (d_w * d_a) and one fused
 * multiply-add per pair of rows: no scalar fp16 conversions, shuffles or
 * broadcasts per row. The integer lane sums are exact whatever the method,
 * and d_w * d_a, the fused multiply-add per block and the final 8-lane sum
 * (plus the min term for Q4_1) are the one-row kernels' operations. */
#include <stdlib.h>

#include "kernels_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TGT __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define INL __attribute__((always_inline)) inline

enum { PAIR_Q = 0, PAIR_D = 64, PAIR_C = 128, PAIR_BYTES = 192 };

/* 64-byte aligned scratch (aligned_alloc wants a multiple of the alignment) */
static void *kalloc(size_t n)
{
	return aligned_alloc(64, (n + 63) & ~(size_t)63);
}

/* bytes of one block of a G-row group: G/2 pairs, then 8 floats of s */
static inline size_t panel_block_bytes(int G)
{
	return (size_t)(G / 2) * PAIR_BYTES + 64;
}

/* c in u = q + c for the weight type's unsigned form */
static int type_bias(uint32_t wtype)
{
	switch (wtype) {
	case PLUME_DTYPE_Q4_0: return 8;
	case PLUME_DTYPE_Q5_0: return 16;
	case PLUME_DTYPE_Q8_0: return 128;
	default: return 0;
	}
}

/* Rearrange G activation rows (Q8_0 or Q8_1 per q81) into a panel. */
TGT static void panel_build(int G, int q81, int bias, int64_t nb, const uint8_t *act,
			    size_t act_row, uint8_t *dst)
{
	size_t ab = q81 ? 36 : 34, qoff = q81 ? 4 : 2, bb = panel_block_bytes(G);

	for (int64_t b = 0; b < nb; b++) {
		uint8_t *pb = dst + (size_t)b * bb;
		float *s = (float *)(pb + (size_t)(G / 2) * PAIR_BYTES);

		for (int r = 0; r < G; r++) {
			const uint8_t *y = act + (size_t)r * act_row + (size_t)b * ab;
			uint8_t *pp = pb + (size_t)(r / 2) * PAIR_BYTES;
			int half = r % 2;
			__m256i q = _mm256_loadu_si256((const __m256i *)(y + qoff));
			/* lane sums of the bytes: dpbusd of 1s with q */
			__m256i ls = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), q);

			_mm256_storeu_si256((__m256i *)(pp + PAIR_Q + 32 * half), q);
			_mm256_storeu_ps((float *)(pp + PAIR_D) + 8 * half, _mm256_set1_ps(h2f(y)));
			_mm256_storeu_si256((__m256i *)(pp + PAIR_C + 32 * half),
					    _mm256_mullo_epi32(ls, _mm256_set1_epi32(-bias)));
			s[r] = q81 ? h2f(y + 2) : 0.0f;
		}
		for (int r = G; r < 16; r++)
			s[r] = 0.0f;
	}
}

/* Two rows' 8-lane sums (low and high halves) in hsum_float_8's order. */
TGT static INL void hsum_pair(__m512 v, float *lo, float *hi)
{
	__m256 a = _mm512_castps512_ps256(v);
	__m256 b = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
	__m128 x = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
	__m128 z = _mm_add_ps(_mm256_castps256_ps128(b), _mm256_extractf128_ps(b, 1));

	x = _mm_add_ps(x, _mm_movehl_ps(x, x));
	x = _mm_add_ss(x, _mm_movehdup_ps(x));
	z = _mm_add_ps(z, _mm_movehl_ps(z, z));
	z = _mm_add_ss(z, _mm_movehdup_ps(z));
	*lo = _mm_cvtss_f32(x);
	*hi = _mm_cvtss_f32(z);
}

TGT static INL __m512 bcast_h(const uint8_t *p)
{
	uint16_t h;

	memcpy(&h, p, 2);
	return _mm512_cvtph_ps(_mm256_set1_epi16((short)h));
}

/* The weight block (type t) as unsigned bytes u = q + c, in both halves. */
TGT static INL __m512i unpack_u(uint32_t t, const uint8_t *x)
{
	const __m512i shift = _mm512_set_epi64(0x0004000400040004ll, 0x0004000400040004ll, 0, 0,
					       0x0004000400040004ll, 0x0004000400040004ll, 0, 0);
	__m512i v;
	uint32_t qh;

	switch (t) {
	case PLUME_DTYPE_Q8_0:
		v = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + 2)));
		return _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
	case PLUME_DTYPE_Q4_0:
		v = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(x + 2)));
		return _mm512_and_si512(_mm512_srlv_epi16(v, shift), _mm512_set1_epi8(15));
	case PLUME_DTYPE_Q4_1:
		v = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(x + 4)));
		return _mm512_and_si512(_mm512_srlv_epi16(v, shift), _mm512_set1_epi8(15));
	default: /* Q5_0: nibble | fifth bit << 4 */
		v = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(x + 6)));
		v = _mm512_and_si512(_mm512_srlv_epi16(v, shift), _mm512_set1_epi8(15));
		memcpy(&qh, x + 2, 4);
		return _mm512_or_si512(v, _mm512_maskz_mov_epi8(((__mmask64)qh << 32) | qh,
								 _mm512_set1_epi8(16)));
	}
}

/* One weight row against a G-row panel; out[G]. */
TGT static INL void panel_row(uint32_t t, int G, int64_t nb, const uint8_t *x, size_t wb,
			      const uint8_t *pan, float *out)
{
	__m512 acc[8];
	__m512 summs = _mm512_setzero_ps();
	const size_t bb = panel_block_bytes(G);
	const int P = G / 2, has_c = t != PLUME_DTYPE_Q4_1;

	for (int p = 0; p < P; p++)
		acc[p] = _mm512_setzero_ps();

	for (int64_t b = 0; b < nb; b++, x += wb, pan += bb) {
		__m512i u = unpack_u(t, x);
		__m512 dx = bcast_h(x);

		if (t == PLUME_DTYPE_Q4_1)
			summs = _mm512_fmadd_ps(bcast_h(x + 2),
						 _mm512_loadu_ps((const float *)(pan + P * PAIR_BYTES)), summs);
		for (int p = 0; p < P; p++) {
			const uint8_t *pp = pan + (size_t)p * PAIR_BYTES;
			__m512i c = has_c ? _mm512_loadu_si512(pp + PAIR_C) : _mm512_setzero_si512();
			__m512i s = _mm512_dpbusd_epi32(c, u, _mm512_loadu_si512(pp + PAIR_Q));
			__m512 d = _mm512_mul_ps(dx, _mm512_loadu_ps((const float *)(pp + PAIR_D)));

			acc[p] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc[p]);
		}
	}
	for (int p = 0; p < P; p++)
		hsum_pair(acc[p], &out[2 * p], &out[2 * p + 1]);
	if (t == PLUME_DTYPE_Q4_1) {
		float sm[16];

		_mm512_storeu_ps(sm, summs);
		for (int r = 0; r < G; r++)
			out[r] += sm[r];
	}
}

/* Two weight rows (x0, x1) against a G-row panel: each panel load serves
 * both; every row's sums are exactly panel_row's. out0[G], out1[G]. */
TGT static INL void panel_row2(uint32_t t, int G, int64_t nb, const uint8_t *x0,
			       const uint8_t *x1, size_t wb, const uint8_t *pan, float *out0,
			       float *out1)
{
	__m512 a0[8], a1[8];
	__m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
	const size_t bb = panel_block_bytes(G);
	const int P = G / 2, has_c = t != PLUME_DTYPE_Q4_1;

	for (int p = 0; p < P; p++)
		a0[p] = a1[p] = _mm512_setzero_ps();
	for (int64_t b = 0; b < nb; b++, x0 += wb, x1 += wb, pan += bb) {
		__m512i u0 = unpack_u(t, x0), u1 = unpack_u(t, x1);
		__m512 d0 = bcast_h(x0), d1 = bcast_h(x1);

		if (t == PLUME_DTYPE_Q4_1) {
			__m512 sy = _mm512_loadu_ps((const float *)(pan + P * PAIR_BYTES));

			m0 = _mm512_fmadd_ps(bcast_h(x0 + 2), sy, m0);
			m1 = _mm512_fmadd_ps(bcast_h(x1 + 2), sy, m1);
		}
		for (int p = 0; p < P; p++) {
			const uint8_t *pp = pan + (size_t)p * PAIR_BYTES;
			__m512i c = has_c ? _mm512_loadu_si512(pp + PAIR_C) : _mm512_setzero_si512();
			__m512i q = _mm512_loadu_si512(pp + PAIR_Q);
			__m512 dy = _mm512_loadu_ps((const float *)(pp + PAIR_D));
			__m512i s0 = _mm512_dpbusd_epi32(c, u0, q), s1 = _mm512_dpbusd_epi32(c, u1, q);

			a0[p] = _mm512_fmadd_ps(_mm512_mul_ps(d0, dy), _mm512_cvtepi32_ps(s0), a0[p]);
			a1[p] = _mm512_fmadd_ps(_mm512_mul_ps(d1, dy), _mm512_cvtepi32_ps(s1), a1[p]);
		}
	}
	for (int p = 0; p < P; p++) {
		hsum_pair(a0[p], &out0[2 * p], &out0[2 * p + 1]);
		hsum_pair(a1[p], &out1[2 * p], &out1[2 * p + 1]);
	}
	if (t == PLUME_DTYPE_Q4_1) {
		float s0[16], s1[16];

		_mm512_storeu_ps(s0, m0);
		_mm512_storeu_ps(s1, m1);
		for (int r = 0; r < G; r++) {
			out0[r] += s0[r];
			out1[r] += s1[r];
		}
	}
}

#define PANEL_FN(T, tn)                                                                        \
	TGT static void panel_##tn(int G, int64_t nb, const uint8_t *x, const uint8_t *pan,   \
				   float *out)                                                \
	{                                                                                      \
		const size_t wb = cpu_type_block_bytes(T);                                     \
		if (G == 16)                                                                   \
			panel_row(T, 16, nb, x, wb, pan, out);                                 \
		else if (G == 8)                                                               \
			panel_row(T, 8, nb, x, wb, pan, out);                                  \
		else if (G == 4)                                                               \
			panel_row(T, 4, nb, x, wb, pan, out);                                  \
		else                                                                           \
			panel_row(T, 2, nb, x, wb, pan, out);                                  \
	}
#define PANEL2_FN(T, tn)                                                                       \
	TGT static void panel2_##tn(int G, int64_t nb, const uint8_t *x0, const uint8_t *x1,  \
				    const uint8_t *pan, float *o0, float *o1)                 \
	{                                                                                      \
		const size_t wb = cpu_type_block_bytes(T);                                     \
		if (G == 16)                                                                   \
			panel_row2(T, 16, nb, x0, x1, wb, pan, o0, o1);                        \
		else if (G == 8)                                                               \
			panel_row2(T, 8, nb, x0, x1, wb, pan, o0, o1);                         \
		else if (G == 4)                                                               \
			panel_row2(T, 4, nb, x0, x1, wb, pan, o0, o1);                         \
		else                                                                           \
			panel_row2(T, 2, nb, x0, x1, wb, pan, o0, o1);                         \
	}
PANEL2_FN(PLUME_DTYPE_Q4_0, q4_0)
PANEL2_FN(PLUME_DTYPE_Q4_1, q4_1)
PANEL2_FN(PLUME_DTYPE_Q5_0, q5_0)
PANEL2_FN(PLUME_DTYPE_Q8_0, q8_0)
PANEL_FN(PLUME_DTYPE_Q4_0, q4_0)
PANEL_FN(PLUME_DTYPE_Q4_1, q4_1)
PANEL_FN(PLUME_DTYPE_Q5_0, q5_0)
PANEL_FN(PLUME_DTYPE_Q8_0, q8_0)

typedef void (*panel_fn)(int G, int64_t nb, const uint8_t *x, const uint8_t *pan, float *out);
typedef void (*panel2_fn)(int G, int64_t nb, const uint8_t *x0, const uint8_t *x1,
			  const uint8_t *pan, float *o0, float *o1);

/* Up to 64 groups (1024 tokens) with one panel. */
static int64_t panel_chunk(panel_fn fn, panel2_fn fn2, uint32_t wtype, int64_t k, const uint8_t *W,
			   size_t w_row_bytes, int64_t o0, int64_t o1, const uint8_t *A,
			   size_t act_row_bytes, int64_t n_tok, float *y, int64_t ldy)
{
	int64_t nb = k / 32, n_grp = 0, t = 0;
	int64_t g_tok[64];
	int g_rows[64];
	size_t g_off[64], total = 0;
	uint8_t *pan;

	/* groups of 16 rows, then one of 8, 4 and 2 for what is left */
	while (n_grp < 64 && n_tok - t >= 2) {
		int G = n_tok - t >= 16 ? 16 : n_tok - t >= 8 ? 8 : n_tok - t >= 4 ? 4 : 2;

		g_tok[n_grp] = t;
		g_rows[n_grp] = G;
		g_off[n_grp] = total;
		total += panel_block_bytes(G) * (size_t)nb;
		t += G;
		n_grp++;
	}
	pan = kalloc((total + 63) & ~(size_t)63);
	if (!pan)
		return 0;
	for (int64_t g = 0; g < n_grp; g++)
		panel_build(g_rows[g], wtype == PLUME_DTYPE_Q4_1, type_bias(wtype), nb,
			    A + (size_t)g_tok[g] * act_row_bytes, act_row_bytes, pan + g_off[g]);
	/* 16 weight rows stay in cache while every group streams past them */
	for (int64_t ob = o0; ob < o1; ob += 16) {
		int64_t oe = ob + 16 < o1 ? ob + 16 : o1;

		for (int64_t g = 0; g < n_grp; g++) {
			int64_t o = ob;

			for (; o + 2 <= oe; o += 2) {
				float r0[16], r1[16];

				/* one small group (decode batches) streams the
				 * weights from memory: fetch the rows a few pairs
				 * ahead in address order, as cpu_gemv_avx512 */
				if (n_grp == 1 && o + 8 + 2 <= o1)
					for (size_t off = 0; off < 2 * w_row_bytes; off += 64)
						_mm_prefetch((const char *)W + (size_t)(o + 8) * w_row_bytes + off,
							     _MM_HINT_T0);

				fn2(g_rows[g], nb, W + (size_t)o * w_row_bytes,
				    W + (size_t)(o + 1) * w_row_bytes, pan + g_off[g], r0, r1);
				for (int i = 0; i < g_rows[g]; i++) {
					y[(g_tok[g] + i) * ldy + o] = r0[i];
					y[(g_tok[g] + i) * ldy + o + 1] = r1[i];
				}
			}
			for (; o < oe; o++) {
				float r[16];

				fn(g_rows[g], nb, W + (size_t)o * w_row_bytes, pan + g_off[g], r);
				for (int i = 0; i < g_rows[g]; i++)
					y[(g_tok[g] + i) * ldy + o] = r[i];
			}
		}
	}
	free(pan);
	return t;
}

int64_t cpu_gemm_panel_avx512(uint32_t wtype, int64_t k, const uint8_t *W, size_t w_row_bytes,
			      int64_t o0, int64_t o1, const uint8_t *A, size_t act_row_bytes,
			      int64_t n_tok, float *y, int64_t ldy)
{
	panel_fn fn = wtype == PLUME_DTYPE_Q4_0 ? panel_q4_0
		    : wtype == PLUME_DTYPE_Q4_1 ? panel_q4_1
		    : wtype == PLUME_DTYPE_Q5_0 ? panel_q5_0
		    : wtype == PLUME_DTYPE_Q8_0 ? panel_q8_0 : NULL;
	panel2_fn fn2 = wtype == PLUME_DTYPE_Q4_0 ? panel2_q4_0
		      : wtype == PLUME_DTYPE_Q4_1 ? panel2_q4_1
		      : wtype == PLUME_DTYPE_Q5_0 ? panel2_q5_0 : panel2_q8_0;
	int64_t t = 0;

	if (!fn || k % 32)
		return 0;
	while (n_tok - t >= 2) {
		int64_t done = panel_chunk(fn, fn2, wtype, k, W, w_row_bytes, o0, o1,
					   A + (size_t)t * act_row_bytes, act_row_bytes, n_tok - t,
					   y + t * ldy, ldy);

		if (!done)
			break;
		t += done;
	}
	return t;
}

/* ---- one activation row: two weight rows per 512-bit vector ----------
 * Matrix-vector products (decode) are bound by one fused multiply-add chain
 * per weight row (4 cycles a block) and by per-block scalar work in the
 * one-row kernels. Here weight rows o and o + 1 share each vector (row o in
 * the low 8 lanes, o + 1 in the high 8), the activation's scales are
 * widened once per call, and four rows run as two independent chains. Every
 * lane still sees exactly the one-row kernel's operations. */

#ifndef GV_PF_GROUPS
#define GV_PF_GROUPS 2 /* prefetch distance, in groups of four rows */
#endif
#ifndef GV_PF_STEP
#define GV_PF_STEP 64
#endif

struct gv_act {
	const uint8_t *q;      /* the activation row (Q8_0 or Q8_1 blocks) */
	size_t ab, qoff;       /* block bytes, quants offset */
	float *dy, *sy;        /* [nb] widened scales (sy: Q8_1's s) */
	int32_t *corr;         /* [nb][16]: -c * lane sums, twice (types with a bias) */
};

/* Weight rows x0 (low half) and x1 (high half) as unsigned bytes u = q + c. */
TGT static INL __m512i unpack_u2(uint32_t t, const uint8_t *x0, const uint8_t *x1)
{
	const __m512i shift = _mm512_set_epi64(0x0004000400040004ll, 0x0004000400040004ll, 0, 0,
					       0x0004000400040004ll, 0x0004000400040004ll, 0, 0);
	__m512i v;
	uint32_t h0, h1;
	int off = t == PLUME_DTYPE_Q4_1 ? 4 : t == PLUME_DTYPE_Q5_0 ? 6 : 2;

	if (t == PLUME_DTYPE_Q8_0) {
		v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(x0 + 2))),
				       _mm256_loadu_si256((const __m256i *)(x1 + 2)), 1);
		return _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
	}
	v = _mm512_mask_broadcast_i32x4(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(x0 + off))),
					0xFF00, _mm_loadu_si128((const __m128i *)(x1 + off)));
	v = _mm512_and_si512(_mm512_srlv_epi16(v, shift), _mm512_set1_epi8(15));
	if (t == PLUME_DTYPE_Q5_0) {
		memcpy(&h0, x0 + 2, 4);
		memcpy(&h1, x1 + 2, 4);
		v = _mm512_or_si512(v, _mm512_maskz_mov_epi8(((__mmask64)h1 << 32) | h0,
							     _mm512_set1_epi8(16)));
	}
	return v;
}

/* [h(x0) x 8, h(x1) x 8] for the fp16 fields at x0 and x1 */
TGT static INL __m512 bcast_h2(const uint8_t *x0, const uint8_t *x1)
{
	uint16_t a, b;

	memcpy(&a, x0, 2);
	memcpy(&b, x1, 2);
	return _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16((short)b), _mm_set1_epi16((short)a)));
}

/* Weight rows x[0..2R) (R = 1 or 2 vectors of two rows) against one row. */
TGT static INL void gv_rows(uint32_t t, int R, int64_t nb, const uint8_t *const *x, size_t wb,
			    const struct gv_act *a, float *out)
{
	__m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
	__m128 summs = _mm_setzero_ps(); /* Q4_1: rows in lanes 0..2R-1 */
	const int has_c = t != PLUME_DTYPE_Q4_1;
	const uint8_t *xr[4] = {x[0], x[1], R > 1 ? x[2] : x[0], R > 1 ? x[3] : x[1]};

	for (int64_t b = 0; b < nb; b++) {
		size_t wo = (size_t)b * wb;
		__m512i y = _mm512_broadcast_i64x4(
			_mm256_loadu_si256((const __m256i *)(a->q + (size_t)b * a->ab + a->qoff)));
		__m512 dy = _mm512_set1_ps(a->dy[b]);

		if (t == PLUME_DTYPE_Q4_1) {
			uint16_t m[4];

			for (int r = 0; r < 2 * R; r++)
				memcpy(&m[r], xr[r] + wo + 2, 2);
			summs = _mm_fmadd_ps(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)m)),
					     _mm_set1_ps(a->sy[b]), summs);
		}
		for (int v = 0; v < R; v++) {
			const uint8_t *x0 = xr[2 * v] + wo, *x1 = xr[2 * v + 1] + wo;
			__m512i c = has_c ? _mm512_loadu_si512(a->corr + 16 * b) : _mm512_setzero_si512();
			__m512i s = _mm512_dpbusd_epi32(c, unpack_u2(t, x0, x1), y);

			acc[v] = _mm512_fmadd_ps(_mm512_mul_ps(bcast_h2(x0, x1), dy), _mm512_cvtepi32_ps(s),
						 acc[v]);
		}
	}
	for (int v = 0; v < R; v++)
		hsum_pair(acc[v], &out[2 * v], &out[2 * v + 1]);
	if (t == PLUME_DTYPE_Q4_1) {
		float sm[4];

		_mm_storeu_ps(sm, summs);
		for (int r = 0; r < 2 * R; r++)
			out[r] += sm[r];
	}
}

#define GV_FN(T, tn)                                                                           \
	TGT static void gv_##tn(int R, int64_t nb, const uint8_t *const *x,                   \
				const struct gv_act *a, float *out)                           \
	{                                                                                      \
		const size_t wb = cpu_type_block_bytes(T);                                     \
		if (R == 2)                                                                    \
			gv_rows(T, 2, nb, x, wb, a, out);                                      \
		else                                                                           \
			gv_rows(T, 1, nb, x, wb, a, out);                                      \
	}
GV_FN(PLUME_DTYPE_Q4_0, q4_0)
GV_FN(PLUME_DTYPE_Q4_1, q4_1)
GV_FN(PLUME_DTYPE_Q5_0, q5_0)
GV_FN(PLUME_DTYPE_Q8_0, q8_0)

typedef void (*gv_fn)(int R, int64_t nb, const uint8_t *const *x, const struct gv_act *a,
		      float *out);

TGT int cpu_gemv_avx512(uint32_t wtype, int64_t k, const uint8_t *W, size_t w_row_bytes,
			int64_t o0, int64_t o1, const uint8_t *act, float *y)
{
	gv_fn fn = wtype == PLUME_DTYPE_Q4_0 ? gv_q4_0
		 : wtype == PLUME_DTYPE_Q4_1 ? gv_q4_1
		 : wtype == PLUME_DTYPE_Q5_0 ? gv_q5_0
		 : wtype == PLUME_DTYPE_Q8_0 ? gv_q8_0 : NULL;
	int64_t nb = k / 32, o = o0;
	int q81 = wtype == PLUME_DTYPE_Q4_1, bias = type_bias(wtype);
	struct gv_act a = {act, q81 ? 36 : 34, q81 ? 4 : 2, NULL, NULL, NULL};
	void *mem;

	if (!fn || k % 32 || o1 - o0 < 2)
		return 0;
	mem = kalloc((size_t)nb * (64 + 8) + 64);
	if (!mem)
		return 0;
	a.corr = mem;
	a.dy = (float *)((uint8_t *)mem + (size_t)nb * 64);
	a.sy = a.dy + nb;
	for (int64_t b = 0; b < nb; b++) {
		const uint8_t *yb = act + (size_t)b * a.ab;
		__m256i q = _mm256_loadu_si256((const __m256i *)(yb + a.qoff));
		__m256i ls = _mm256_mullo_epi32(
			_mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), q),
			_mm256_set1_epi32(-bias));

		_mm512_store_si512(a.corr + 16 * b, _mm512_broadcast_i64x4(ls));
		a.dy[b] = h2f(yb);
		a.sy[b] = q81 ? h2f(yb + 2) : 0.0f;
	}
	for (; o + 4 <= o1; o += 4) {
		const uint8_t *x[4];
		const char *pf = (const char *)W + (size_t)(o + 4 * GV_PF_GROUPS) * w_row_bytes;

		/* the rows a few groups ahead, line by line in address order: the
		 * hardware prefetchers lose track of four interleaved streams */
		if (o + 4 * GV_PF_GROUPS + 4 <= o1)
			for (size_t off = 0; off < 4 * w_row_bytes; off += GV_PF_STEP)
				_mm_prefetch(pf + off, _MM_HINT_T0);

		for (int r = 0; r < 4; r++)
			x[r] = W + (size_t)(o + r) * w_row_bytes;
		fn(2, nb, x, &a, y + o);
	}
	for (; o + 2 <= o1; o += 2) {
		const uint8_t *x[2] = {W + (size_t)o * w_row_bytes, W + (size_t)(o + 1) * w_row_bytes};

		fn(1, nb, x, &a, y + o);
	}
	free(mem);
	return (int)(o - o0);
}

/* ---- Q4_K in llama.cpp's repacked matrix-matrix order -----------------
 * llama.cpp repacks Q4_K weights (rows in multiples of 8) and multiplies
 * activation rows in groups of four with its 8x8 gemm kernel: per row and
 * 64-element pair of sub-blocks j, the exact integer sums
 *   isum_j = sc[2j] * S(2j) + sc[2j+1] * S(2j+1)   (S: sum of q4 * q8)
 *   msum_j = m[2j] * B(2j) + m[2j+1] * B(2j+1)     (B: the Q8_K bsums)
 * each folded into its own float accumulator with a fused multiply-add by
 * d_w * d_y (dmin_w * d_y), j = 0..3 in order, the two subtracted at the
 * end (q4k_repacked4 in dot.c, the portable statement of it). Here the 256
 * weights of a block are unpacked once for four rows into four 64-byte
 * vectors (elements 64j..64j+63), vpdpbusd makes 4-element lane sums, which
 * fit in 16 bits, so a pack and a vpmaddwd apply the sub-block scales; the
 * float part runs on the four rows at once in a 128-bit vector. */

struct q4k_prep {
	float yd[4];     /* d_y of the four rows */
	int32_t B[8][4]; /* B(s) per sub-block s and row */
};

TGT static void q4k_prepare(int64_t nb, const uint8_t *A, size_t act_row, struct q4k_prep *p)
{
	for (int64_t b = 0; b < nb; b++)
		for (int r = 0; r < 4; r++) {
			const uint8_t *y = A + (size_t)r * act_row + (size_t)b * 292;
			int16_t bs[16];

			memcpy(&p[b].yd[r], y, 4);
			memcpy(bs, y + 260, 32);
			for (int s = 0; s < 8; s++)
				p[b].B[s][r] = bs[2 * s] + bs[2 * s + 1];
		}
}

/* 16 int32 lanes -> the sums of 128-bit lanes, i.e. [l0+l4+l8+l12, ...] */
TGT static INL __m128i fold4(__m512i v)
{
	__m256i h = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));

	return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* The weight side of one block, unpacked once per 16 output rows and reused
 * by every group of four activation rows. */
struct q4k_wblk {
	__m512i S01, S23;   /* sub-block scales laid out for the packed sums */
	__m128i m[2];       /* mins m[0..3], m[4..7] */
	float dw, dmw;      /* d and dmin */
};

TGT static void q4k_wprep(int64_t nb, const uint8_t *x, size_t block_bytes, struct q4k_wblk *w)
{
	/* packs(v0, v1) puts, per 128-bit lane k, 4 words of v0 then 4 of v1;
	 * lanes 0-1 of a vector hold sub-block 2j, lanes 2-3 sub-block 2j+1 */
	const __m512i sel01 = _mm512_set_epi16(3, 3, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1,
					       2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0);
	const __m512i sel23 = _mm512_add_epi16(sel01, _mm512_set1_epi16(4));

	for (int64_t b = 0; b < nb; b++, x += block_bytes) {
		uint32_t u[3];
		uint16_t h[2];
		__m128i bytes;
		__m256i m32;
		__m512i v;

		/* the 12 bytes of 6-bit scales and mins as bytes sc0..7, m0..7
		 * (cpu_k_scale_min's rule, four at a time) */
		memcpy(u, x + 4, 12);
		bytes = _mm_set_epi32((int)(((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4)),
				      (int)(u[1] & 0x3f3f3f3fu),
				      (int)((u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4)),
				      (int)(u[0] & 0x3f3f3f3fu));
		v = _mm512_castsi128_si512(_mm_cvtepu8_epi16(bytes));
		m32 = _mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8));
		w[b].S01 = _mm512_permutexvar_epi16(sel01, v);
		w[b].S23 = _mm512_permutexvar_epi16(sel23, v);
		w[b].m[0] = _mm256_castsi256_si128(m32);
		w[b].m[1] = _mm256_extracti128_si256(m32, 1);
		memcpy(h, x, 4);
		w[b].dw = _cvtsh_ss(h[0]);
		w[b].dmw = _cvtsh_ss(h[1]);
	}
}

TGT static void q4k_row4(int64_t nb, const uint8_t *x, const void *wv, const uint8_t *A,
			 size_t act_row, const void *pv, float *out)
{
	const struct q4k_wblk *w = wv;
	const struct q4k_prep *p = pv;
	const __m512i shift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
	__m128 acc = _mm_setzero_ps(), accm = _mm_setzero_ps();

	for (int64_t b = 0; b < nb; b++, x += 144) {
		const int32_t *mv0 = (const int32_t *)&w[b].m[0], *mv1 = (const int32_t *)&w[b].m[1];
		__m512i u[4];
		__m128i is[4];
		__m128 ydv = _mm_loadu_ps(p[b].yd);
		__m128 dd = _mm_mul_ps(_mm_set1_ps(w[b].dw), ydv), dm = _mm_mul_ps(_mm_set1_ps(w[b].dmw), ydv);

		for (int j = 0; j < 4; j++) {
			__m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + 16 + 32 * j)));

			u[j] = _mm512_and_si512(_mm512_srlv_epi64(v, shift), _mm512_set1_epi8(15));
		}
		for (int r = 0; r < 4; r++) {
			const uint8_t *q = A + (size_t)r * act_row + (size_t)b * 292 + 4;
			__m512i v0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[0], _mm512_loadu_si512(q));
			__m512i v1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[1], _mm512_loadu_si512(q + 64));
			__m512i v2 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[2], _mm512_loadu_si512(q + 128));
			__m512i v3 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[3], _mm512_loadu_si512(q + 192));
			/* [j0, j0, j1, j1] and [j2, j2, j3, j3] per 128-bit lane */
			__m128i a = fold4(_mm512_madd_epi16(_mm512_packs_epi32(v0, v1), w[b].S01));
			__m128i c = fold4(_mm512_madd_epi16(_mm512_packs_epi32(v2, v3), w[b].S23));

			is[r] = _mm_hadd_epi32(a, c); /* isum_0..3 of row r */
		}
		{ /* rows into lanes: is[j] = [isum_j of rows 0..3] */
			__m128i t0 = _mm_unpacklo_epi32(is[0], is[1]), t1 = _mm_unpacklo_epi32(is[2], is[3]);
			__m128i t2 = _mm_unpackhi_epi32(is[0], is[1]), t3 = _mm_unpackhi_epi32(is[2], is[3]);

			is[0] = _mm_unpacklo_epi64(t0, t1);
			is[1] = _mm_unpackhi_epi64(t0, t1);
			is[2] = _mm_unpacklo_epi64(t2, t3);
			is[3] = _mm_unpackhi_epi64(t2, t3);
		}
		for (int j = 0; j < 4; j++) {
			const int32_t *m = j < 2 ? mv0 + 2 * j : mv1 + 2 * (j - 2);
			__m128i ms = _mm_add_epi32(
				_mm_mullo_epi32(_mm_set1_epi32(m[0]), _mm_loadu_si128((const __m128i *)p[b].B[2 * j])),
				_mm_mullo_epi32(_mm_set1_epi32(m[1]),
						_mm_loadu_si128((const __m128i *)p[b].B[2 * j + 1])));

			acc = _mm_fmadd_ps(_mm_cvtepi32_ps(is[j]), dd, acc);
			accm = _mm_fmadd_ps(_mm_cvtepi32_ps(ms), dm, accm);
		}
	}
	_mm_storeu_ps(out, _mm_sub_ps(acc, accm));
}

/* The matrix-vector order (one activation row: llama.cpp's repacked gemv):
 * per block one sum of all eight scaled sub-block sums and one of the mins,
 * acc = fma(float(isum), d_w * d_y, acc), likewise for the mins. Four weight
 * rows at a time share the activation block's loads; the next rows are
 * prefetched in address order (as cpu_gemv_avx512). */
TGT static void q4k_gemv4(int64_t nb, const uint8_t *x, size_t w_row_bytes, const uint8_t *y,
			  const struct q4k_prep *p, int r_prep, float *out)
{
	const __m512i shift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
	__m128 acc = _mm_setzero_ps(), accm = _mm_setzero_ps();

	for (int64_t b = 0; b < nb; b++) {
		const uint8_t *q = y + (size_t)b * 292 + 4;
		__m512i a0 = _mm512_loadu_si512(q), a1 = _mm512_loadu_si512(q + 64);
		__m512i a2 = _mm512_loadu_si512(q + 128), a3 = _mm512_loadu_si512(q + 192);
		__m256i B = _mm256_set_epi32(p[b].B[7][r_prep], p[b].B[6][r_prep], p[b].B[5][r_prep],
					     p[b].B[4][r_prep], p[b].B[3][r_prep], p[b].B[2][r_prep],
					     p[b].B[1][r_prep], p[b].B[0][r_prep]);
		__m128i tot[4], mt[4];
		float dw[4], dmw[4];

		for (int r = 0; r < 4; r++) {
			const uint8_t *xb = x + (size_t)r * w_row_bytes + (size_t)b * 144;
			struct q4k_wblk w;
			__m512i u[4], t;
			__m256i mm;

			q4k_wprep(1, xb, 144, &w);
			for (int j = 0; j < 4; j++) {
				__m512i v = _mm512_broadcast_i64x4(
					_mm256_loadu_si256((const __m256i *)(xb + 16 + 32 * j)));

				u[j] = _mm512_and_si512(_mm512_srlv_epi64(v, shift), _mm512_set1_epi8(15));
			}
			t = _mm512_add_epi32(
				_mm512_madd_epi16(_mm512_packs_epi32(
							  _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[0], a0),
							  _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[1], a1)),
						  w.S01),
				_mm512_madd_epi16(_mm512_packs_epi32(
							  _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[2], a2),
							  _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[3], a3)),
						  w.S23));
			tot[r] = fold4(t);
			mm = _mm256_mullo_epi32(_mm256_set_m128i(w.m[1], w.m[0]), B);
			mt[r] = _mm_add_epi32(_mm256_castsi256_si128(mm), _mm256_extracti128_si256(mm, 1));
			dw[r] = w.dw;
			dmw[r] = w.dmw;
		}
		{
			__m128i is = _mm_hadd_epi32(_mm_hadd_epi32(tot[0], tot[1]), _mm_hadd_epi32(tot[2], tot[3]));
			__m128i ms = _mm_hadd_epi32(_mm_hadd_epi32(mt[0], mt[1]), _mm_hadd_epi32(mt[2], mt[3]));
			__m128 yd = _mm_set1_ps(p[b].yd[r_prep]);

			acc = _mm_fmadd_ps(_mm_cvtepi32_ps(is), _mm_mul_ps(_mm_loadu_ps(dw), yd), acc);
			accm = _mm_fmadd_ps(_mm_cvtepi32_ps(ms), _mm_mul_ps(_mm_loadu_ps(dmw), yd), accm);
		}
	}
	_mm_storeu_ps(out, _mm_sub_ps(acc, accm));
}

/* One activation row against Q4_K rows [o0, o1) (n_rows % 8 == 0) in the
 * repacked gemv order; returns the rows computed (a multiple of 4). */
TGT int64_t cpu_gemv_q4k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
				int64_t o1, const uint8_t *act, float *y)
{
	int64_t nb = k / 256, o = o0;
	struct q4k_prep *p;

	if (k % 256 || o1 - o0 < 4)
		return 0;
	p = kalloc(((size_t)nb * sizeof(*p) + 63) & ~(size_t)63);
	if (!p)
		return 0;
	for (int64_t b = 0; b < nb; b++) {
		const uint8_t *yb = act + (size_t)b * 292;
		int16_t bs[16];

		memcpy(&p[b].yd[0], yb, 4);
		memcpy(bs, yb + 260, 32);
		for (int s2 = 0; s2 < 8; s2++)
			p[b].B[s2][0] = bs[2 * s2] + bs[2 * s2 + 1];
	}
	for (; o + 4 <= o1; o += 4) {
		const char *pf = (const char *)W + (size_t)(o + 4 * GV_PF_GROUPS) * w_row_bytes;

		if (o + 4 * GV_PF_GROUPS + 4 <= o1)
			for (size_t off = 0; off < 4 * w_row_bytes; off += GV_PF_STEP)
				_mm_prefetch(pf + off, _MM_HINT_T0);
		q4k_gemv4(nb, W + (size_t)o * w_row_bytes, w_row_bytes, act, p, 0, y + o);
	}
	free(p);
	return o - o0;
}

/* Groups of four activation rows against K-quant weights: per 16 output
 * rows the weight blocks are prepared once (wprep) and reused by every
 * group (row4). aprep: per group, nb activation block preparations of
 * aprep_bytes each (or NULL). */
typedef void (*kq_wprep_fn)(int64_t nb, const uint8_t *x, void *w);
typedef void (*kq_row4_fn)(int64_t nb, const uint8_t *x, const void *w, const uint8_t *A,
			   size_t act_row, const void *aprep, float *out);

static int64_t kq_groups4(kq_wprep_fn wprep, kq_row4_fn row4, size_t wblk_bytes, int64_t nb,
			  const uint8_t *W, size_t w_row_bytes, int64_t o0, int64_t o1,
			  const uint8_t *A, size_t act_row_bytes, int64_t ng, const uint8_t *aprep,
			  size_t aprep_bytes, float *y, int64_t ldy)
{
	uint8_t *wb = kalloc(16 * (size_t)nb * wblk_bytes);

	if (!wb)
		return 0;
	for (int64_t ob = o0; ob < o1; ob += 16) {
		int64_t oe = ob + 16 < o1 ? ob + 16 : o1;

		for (int64_t o = ob; o < oe; o++)
			wprep(nb, W + (size_t)o * w_row_bytes, wb + (size_t)(o - ob) * nb * wblk_bytes);
		for (int64_t g = 0; g < ng; g++)
			for (int64_t o = ob; o < oe; o++) {
				float r[4];

				row4(nb, W + (size_t)o * w_row_bytes, wb + (size_t)(o - ob) * nb * wblk_bytes,
				     A + (size_t)(4 * g) * act_row_bytes, act_row_bytes,
				     aprep ? aprep + (size_t)g * nb * aprep_bytes : NULL, r);
				for (int i = 0; i < 4; i++)
					y[(4 * g + i) * ldy + o] = r[i];
			}
	}
	free(wb);
	return 4 * ng;
}

TGT static void q4k_wprep_v(int64_t nb, const uint8_t *x, void *w)
{
	q4k_wprep(nb, x, 144, w);
}

/* Q5_K blocks (176 bytes) share Q4_K's header */
TGT static void q5k_wprep_v(int64_t nb, const uint8_t *x, void *w)
{
	q4k_wprep(nb, x, 176, w);
}

/* Q4_K and Q5_K share the activation side (d_y and the bsum pairs). */
static int64_t q45k_gemm(kq_wprep_fn wprep, kq_row4_fn row4, int64_t k, const uint8_t *W,
			 size_t w_row_bytes, int64_t o0, int64_t o1, const uint8_t *A,
			 size_t act_row_bytes, int64_t n_tok, float *y, int64_t ldy)
{
	int64_t nb = k / 256, ng = n_tok / 4, done;
	struct q4k_prep *p;

	if (k % 256 || ng == 0)
		return 0;
	p = kalloc((size_t)ng * (size_t)nb * sizeof(*p));
	if (!p)
		return 0;
	for (int64_t g = 0; g < ng; g++)
		q4k_prepare(nb, A + (size_t)(4 * g) * act_row_bytes, act_row_bytes, p + g * nb);
	done = kq_groups4(wprep, row4, sizeof(struct q4k_wblk), nb, W, w_row_bytes, o0, o1, A,
			  act_row_bytes, ng, (const uint8_t *)p, sizeof(*p), y, ldy);
	free(p);
	return done;
}

TGT int64_t cpu_gemm_q4k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
				int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
				float *y, int64_t ldy)
{
	return q45k_gemm(q4k_wprep_v, q4k_row4, k, W, w_row_bytes, o0, o1, A, act_row_bytes, n_tok,
			 y, ldy);
}

/* ---- Q5_K in llama.cpp's tiled order (8 or more activation rows) -------
 * Per block isum = sum of sc * q * q8 and msum = sum of m * bsum (exact),
 * r = fma(-dmin_w, msum, isum * d_w), acc = fma(r, d_y, acc) (kq_tiled in
 * dot.c). Q5_K's header (d, dmin, the 6-bit scales and mins) is Q4_K's, so
 * the weight preparation and the activation sums are Q4_K's; the 5-bit
 * values are unpacked once per block for four rows. */
TGT static void q5k_row4(int64_t nb, const uint8_t *x, const void *wv, const uint8_t *A,
			 size_t act_row, const void *pv, float *out)
{
	const struct q4k_wblk *w = wv;
	const struct q4k_prep *p = pv;
	const __m512i nshift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
	__m128 acc = _mm_setzero_ps();

	for (int64_t b = 0; b < nb; b++, x += 176) {
		const int32_t *mv = (const int32_t *)w[b].m;
		__m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + 16))), u[4];
		__m128i tot[4], ms = _mm_setzero_si128();

		/* elements 64j .. 64j + 64: the low then high nibbles of
		 * qs[32j .. 32j + 32], fifth bits 2j and 2j + 1 of qh */
		for (int j = 0; j < 4; j++) {
			__m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + 48 + 32 * j)));
			__m512i hs = _mm512_set_epi64(2 * j + 1, 2 * j + 1, 2 * j + 1, 2 * j + 1, 2 * j, 2 * j,
						      2 * j, 2 * j);
			__m512i h = _mm512_and_si512(_mm512_srlv_epi64(qh, hs), _mm512_set1_epi8(1));

			u[j] = _mm512_or_si512(_mm512_and_si512(_mm512_srlv_epi64(v, nshift), _mm512_set1_epi8(15)),
					       _mm512_slli_epi64(h, 4));
		}
		for (int r = 0; r < 4; r++) {
			const uint8_t *q = A + (size_t)r * act_row + (size_t)b * 292 + 4;
			__m512i v0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[0], _mm512_loadu_si512(q));
			__m512i v1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[1], _mm512_loadu_si512(q + 64));
			__m512i v2 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[2], _mm512_loadu_si512(q + 128));
			__m512i v3 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[3], _mm512_loadu_si512(q + 192));

			tot[r] = fold4(_mm512_add_epi32(_mm512_madd_epi16(_mm512_packs_epi32(v0, v1), w[b].S01),
							_mm512_madd_epi16(_mm512_packs_epi32(v2, v3), w[b].S23)));
		}
		for (int s2 = 0; s2 < 8; s2++)
			ms = _mm_add_epi32(ms, _mm_mullo_epi32(_mm_set1_epi32(mv[s2]),
							       _mm_loadu_si128((const __m128i *)p[b].B[s2])));
		{
			__m128i is = _mm_hadd_epi32(_mm_hadd_epi32(tot[0], tot[1]), _mm_hadd_epi32(tot[2], tot[3]));
			__m128 rr = _mm_fmadd_ps(_mm_set1_ps(-w[b].dmw), _mm_cvtepi32_ps(ms),
						 _mm_mul_ps(_mm_cvtepi32_ps(is), _mm_set1_ps(w[b].dw)));

			acc = _mm_fmadd_ps(rr, _mm_loadu_ps(p[b].yd), acc);
		}
	}
	_mm_storeu_ps(out, acc);
}

TGT int64_t cpu_gemm_q5k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
				int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
				float *y, int64_t ldy)
{
	return q45k_gemm(q5k_wprep_v, q5k_row4, k, W, w_row_bytes, o0, o1, A, act_row_bytes, n_tok,
			 y, ldy);
}

/* ---- Q6_K in llama.cpp's tiled order (8 or more activation rows) -------
 * Per block the exact sum isum = sum of sc[e/16] * (q_e - 32) * q8_e, then
 * acc = fma(float(isum) * d_w, d_y, acc) (kq_tiled in dot.c). The 6-bit
 * values are unpacked once per block for four activation rows into four
 * 64-element vectors; vpdpbusd lane sums (4 elements, < 2^15) are packed to
 * 16 bits and scaled per 16 elements by vpmaddwd; the 32 * sum(sc * bsum)
 * offset comes from the Q8_K block sums. */

struct q6k_wblk {
	__m512i S01, S23; /* sub-block scales laid out for the packed sums */
	__m256i sc16;     /* the 16 scales as 16-bit words */
	float dw;
};

TGT static void q6k_wprep(int64_t nb, const uint8_t *x, void *wv)
{
	struct q6k_wblk *w = wv;
	/* packs(v0, v1) puts, per 128-bit lane k, 4 words of v0 (sub-block k of
	 * the pair's first 64 elements) then 4 of v1 (sub-block 4 + k) */
	const __m512i sel01 = _mm512_set_epi16(7, 7, 7, 7, 3, 3, 3, 3, 6, 6, 6, 6, 2, 2, 2, 2,
					       5, 5, 5, 5, 1, 1, 1, 1, 4, 4, 4, 4, 0, 0, 0, 0);
	const __m512i sel23 = _mm512_add_epi16(sel01, _mm512_set1_epi16(8));

	for (int64_t b = 0; b < nb; b++, x += 210) {
		__m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + 192)));

		w[b].sc16 = sc;
		w[b].S01 = _mm512_permutexvar_epi16(sel01, _mm512_castsi256_si512(sc));
		w[b].S23 = _mm512_permutexvar_epi16(sel23, _mm512_castsi256_si512(sc));
		w[b].dw = h2f(x + 208);
	}
}

TGT static void q6k_row4(int64_t nb, const uint8_t *x, const void *wv, const uint8_t *A,
			 size_t act_row, const void *aprep, float *out)
{
	const struct q6k_wblk *w = wv;

	(void)aprep;
	__m128 acc = _mm_setzero_ps();

	for (int64_t b = 0; b < nb; b++, x += 210) {
		__m512i Q[4];
		__m128i tot[4];
		float yd[4];

		/* elements 128h + 64gp + [0, 64): the low (gp = 0) or high
		 * nibbles of ql[64h .. 64h + 64), two bits of qh[32h .. 32h + 32)
		 * shifted by 4gp (first 32) and 4gp + 2 (next 32) */
		for (int h = 0; h < 2; h++) {
			__m512i ql = _mm512_loadu_si512(x + 64 * h);
			__m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + 128 + 32 * h)));

			for (int gp = 0; gp < 2; gp++) {
				__m512i lo = _mm512_and_si512(gp ? _mm512_srli_epi64(ql, 4) : ql, _mm512_set1_epi8(15));
				__m512i sh = _mm512_set_epi64(4 * gp + 2, 4 * gp + 2, 4 * gp + 2, 4 * gp + 2,
							      4 * gp, 4 * gp, 4 * gp, 4 * gp);
				__m512i hb = _mm512_and_si512(_mm512_srlv_epi64(qh, sh), _mm512_set1_epi8(3));

				Q[2 * h + gp] = _mm512_or_si512(lo, _mm512_slli_epi64(hb, 4));
			}
		}
		for (int r = 0; r < 4; r++) {
			const uint8_t *y = A + (size_t)r * act_row + (size_t)b * 292;
			const uint8_t *q = y + 4;
			__m512i v0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), Q[0], _mm512_loadu_si512(q));
			__m512i v1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), Q[1], _mm512_loadu_si512(q + 64));
			__m512i v2 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), Q[2], _mm512_loadu_si512(q + 128));
			__m512i v3 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), Q[3], _mm512_loadu_si512(q + 192));
			__m512i t = _mm512_add_epi32(_mm512_madd_epi16(_mm512_packs_epi32(v0, v1), w[b].S01),
						     _mm512_madd_epi16(_mm512_packs_epi32(v2, v3), w[b].S23));
			__m256i off = _mm256_slli_epi32(
				_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(y + 260)), w[b].sc16), 5);

			t = _mm512_sub_epi32(t, _mm512_zextsi256_si512(off));
			tot[r] = fold4(t);
			memcpy(&yd[r], y, 4);
		}
		{
			__m128i s = _mm_hadd_epi32(_mm_hadd_epi32(tot[0], tot[1]), _mm_hadd_epi32(tot[2], tot[3]));
			__m128 rr = _mm_mul_ps(_mm_cvtepi32_ps(s), _mm_set1_ps(w[b].dw));

			acc = _mm_fmadd_ps(rr, _mm_loadu_ps(yd), acc);
		}
	}
	_mm_storeu_ps(out, acc);
}

TGT int64_t cpu_gemm_q6k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
				int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
				float *y, int64_t ldy)
{
	if (k % 256 || n_tok < 4)
		return 0;
	return kq_groups4(q6k_wprep, q6k_row4, sizeof(struct q6k_wblk), k / 256, W, w_row_bytes,
			  o0, o1, A, act_row_bytes, n_tok / 4, NULL, 0, y, ldy);
}
#else
int64_t cpu_gemm_q5k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
			    float *y, int64_t ldy)
{
	(void)k, (void)W, (void)w_row_bytes, (void)o0, (void)o1, (void)A, (void)act_row_bytes;
	(void)n_tok, (void)y, (void)ldy;
	return 0;
}

int64_t cpu_gemv_q4k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *act, float *y)
{
	(void)k, (void)W, (void)w_row_bytes, (void)o0, (void)o1, (void)act, (void)y;
	return 0;
}

int64_t cpu_gemm_q6k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
			    float *y, int64_t ldy)
{
	(void)k, (void)W, (void)w_row_bytes, (void)o0, (void)o1, (void)A, (void)act_row_bytes;
	(void)n_tok, (void)y, (void)ldy;
	return 0;
}

int64_t cpu_gemm_q4k_avx512(int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
			    int64_t o1, const uint8_t *A, size_t act_row_bytes, int64_t n_tok,
			    float *y, int64_t ldy)
{
	(void)k, (void)W, (void)w_row_bytes, (void)o0, (void)o1, (void)A, (void)act_row_bytes;
	(void)n_tok, (void)y, (void)ldy;
	return 0;
}

int cpu_gemv_avx512(uint32_t wtype, int64_t k, const uint8_t *W, size_t w_row_bytes, int64_t o0,
		    int64_t o1, const uint8_t *act, float *y)
{
	(void)wtype, (void)k, (void)W, (void)w_row_bytes, (void)o0, (void)o1, (void)act, (void)y;
	return 0;
}

int64_t cpu_gemm_panel_avx512(uint32_t wtype, int64_t k, const uint8_t *W, size_t w_row_bytes,
			      int64_t o0, int64_t o1, const uint8_t *A, size_t act_row_bytes,
			      int64_t n_tok, float *y, int64_t ldy)
{
	(void)wtype, (void)k, (void)W, (void)w_row_bytes, (void)o0, (void)o1, (void)A;
	(void)act_row_bytes, (void)n_tok, (void)y, (void)ldy;
	return 0;
}
#endif
