/* Matrix products for decode batches of several sequences (beam search,
 * contrastive candidates, parallel samples) through weights interleaved
 * 16 rows at a time.
 *
 * A decode step of n sequences multiplies every weight by n activation
 * rows. The one-sequence kernels keep llama.cpp's arithmetic (per block and
 * row: an 8-lane integer sum, its conversion, the scale product and a fused
 * multiply-add over 8 lanes), which costs the same float work per row as a
 * matrix-vector product: four rows cost nearly four times one. Here the
 * weights are repacked once (the first time a multi-sequence batch needs
 * them) so that one 512-bit lane holds one weight row:
 *
 *   tile = one 32-element block of 16 consecutive rows:
 *     d[16]  fp16 scales                       (all types)
 *     m[16]  fp16 mins                         (Q4_1)
 *     q      Q4_0/Q4_1/Q5_0: 4 x 64 bytes, chunk i lane l = row l's quant
 *              bytes 4i..4i+3 (low nibbles: elements 4i..4i+3, high
 *              nibbles: 16+4i..16+4i+3);
 *            Q8_0: 8 x 64 bytes, chunk g lane l = row l's quants 4g..4g+3
 *              plus 128 (unsigned);
 *     h[8]   Q5_0: 64-bit masks, bit 4l+j of mask g = fifth bit of row l's
 *              element 4g+j.
 *   Tiles of one row group follow each other block by block; groups follow
 *   each other. A tile has exactly the bytes of its 16 source blocks.
 *
 * Per block and activation row, eight vpdpbusd with the activation's four
 * bytes broadcast give 16 rows' exact integer block sums; then one
 * conversion, one scale product and one fused multiply-add serve 16 rows.
 * The arithmetic of one output (row o, activation row t) is, in order:
 *
 *   acc = 0; mins = 0
 *   for each block b:
 *       isum = sum over the 32 elements of q_w * q_a          (exact)
 *       acc  = fma(d_w[b] * d_a[b], (float)isum, acc)
 *       mins = fma(m_w[b], s_a[b], mins)                      (Q4_1)
 *   y = acc + mins                                            (Q4_1; else acc)
 *
 * cpu_ilv_ref() computes exactly that for tests. It is not llama.cpp's
 * order, so results differ from the one-sequence path by float rounding;
 * each output depends only on its own weight row and activation row, not
 * on the batch's other rows, its size or the thread split. */
#include <math.h>
#include <stdlib.h>

#include "kernels_impl.h"

/* K-quant tiles (one 256-element super-block of 16 rows):
 *   Q4_K: d[16], dmin[16] fp16; sc[8][16], m[8][16] bytes (sub-block j's
 *         6-bit scale and min of each row); then per sub-block pair p
 *         8 x 64 bytes, chunk i lane l = row l's qs bytes 32p+4i..32p+4i+3
 *         (low nibbles: sub-block 2p, elements 4i..4i+3; high: 2p+1);
 *   Q6_K: d[16] fp16; sc[16][16] signed bytes; then per 16-element
 *         sub-block j 4 x 64 bytes, chunk i lane l = row l's 6-bit values
 *         of elements 16j+4i..16j+4i+3 as bytes 0..63 (Q6_K's ql/qh split
 *         undone, so 4384 bytes for 3360 of source). */
enum { KT4_SC = 64, KT4_M = 64 + 128, KT4_Q = 64 + 256, KT6_SC = 32, KT6_Q = 32 + 256 };

static size_t ilv_tile_bytes(uint32_t wtype)
{
	switch (wtype) {
	case PLUME_DTYPE_Q4_0: return 16 * 18;
	case PLUME_DTYPE_Q4_1: return 16 * 20;
	case PLUME_DTYPE_Q5_0: return 16 * 22;
	case PLUME_DTYPE_Q8_0: return 16 * 34;
	case PLUME_DTYPE_Q4_K: return KT4_Q + 2048;
	case PLUME_DTYPE_Q6_K: return KT6_Q + 4096;
	default: return 0;
	}
}

static int64_t ilv_block_elems(uint32_t wtype)
{
	return wtype == PLUME_DTYPE_Q4_K || wtype == PLUME_DTYPE_Q6_K ? 256 : 32;
}

size_t cpu_ilv_bytes(uint32_t wtype, int64_t n_rows, int64_t k)
{
	size_t tb = ilv_tile_bytes(wtype);

	if (!tb || n_rows <= 0 || n_rows % 16 || k <= 0 || k % ilv_block_elems(wtype))
		return 0;
	return (size_t)(n_rows / 16) * (size_t)(k / ilv_block_elems(wtype)) * tb;
}

int cpu_ilv_supported(void)
{
	return cpu_isa_active() >= CPU_ISA_AVX2;
}

int cpu_ilv_runs(uint32_t wtype)
{
	switch (wtype) {
	case PLUME_DTYPE_Q4_0: case PLUME_DTYPE_Q4_1: case PLUME_DTYPE_Q5_0: case PLUME_DTYPE_Q8_0:
		return cpu_isa_active() >= CPU_ISA_AVX2;
	case PLUME_DTYPE_Q4_K: case PLUME_DTYPE_Q6_K:
		return cpu_isa_active() >= CPU_ISA_AVX512;
	default:
		return 0;
	}
}

/* quant bytes offset and scale/min layout of a source block */
static void ilv_pack_tile(uint32_t t, const uint8_t *const *src, uint8_t *dst)
{
	size_t qoff = t == PLUME_DTYPE_Q4_1 ? 4 : t == PLUME_DTYPE_Q5_0 ? 6 : 2;
	uint8_t *q = dst + (t == PLUME_DTYPE_Q4_1 ? 64 : 32);
	int chunks = t == PLUME_DTYPE_Q8_0 ? 8 : 4;

	for (int l = 0; l < 16; l++) {
		memcpy(dst + 2 * l, src[l], 2);
		if (t == PLUME_DTYPE_Q4_1)
			memcpy(dst + 32 + 2 * l, src[l] + 2, 2);
		for (int c = 0; c < chunks; c++) {
			uint32_t v;

			memcpy(&v, src[l] + qoff + 4 * c, 4);
			if (t == PLUME_DTYPE_Q8_0)
				v ^= 0x80808080u;
			memcpy(q + 64 * c + 4 * l, &v, 4);
		}
	}
	if (t == PLUME_DTYPE_Q5_0) {
		uint8_t *h = q + 4 * 64;

		for (int g = 0; g < 8; g++) {
			uint64_t mask = 0;

			for (int l = 0; l < 16; l++) {
				uint32_t qh;

				memcpy(&qh, src[l] + 2, 4);
				for (int j = 0; j < 4; j++)
					mask |= (uint64_t)((qh >> (4 * g + j)) & 1) << (4 * l + j);
			}
			memcpy(h + 8 * g, &mask, 8);
		}
	}
}

/* Q6_K element e's 6-bit value (0..63) */
static int q6k_value(const uint8_t *x, int e)
{
	const uint8_t *ql = x + 64 * (e / 128), *qh = x + 128 + 32 * (e / 128);
	int r = e % 128, l = r % 32, quarter = r / 32;
	int lo = quarter % 2 ? ql[l + 32] : ql[l];

	lo = quarter >= 2 ? lo >> 4 : lo & 15;
	return lo | (((qh[l] >> (2 * quarter)) & 3) << 4);
}

static void ilv_pack_ktile(uint32_t t, const uint8_t *const *src, uint8_t *dst)
{
	for (int l = 0; l < 16; l++) {
		const uint8_t *x = src[l];

		if (t == PLUME_DTYPE_Q4_K) {
			memcpy(dst + 2 * l, x, 2);
			memcpy(dst + 32 + 2 * l, x + 2, 2);
			for (int j = 0; j < 8; j++) {
				int sc, m;

				cpu_k_scale_min(x + 4, j, &sc, &m);
				dst[KT4_SC + 16 * j + l] = (uint8_t)sc;
				dst[KT4_M + 16 * j + l] = (uint8_t)m;
			}
			for (int p = 0; p < 4; p++)
				for (int i = 0; i < 8; i++)
					memcpy(dst + KT4_Q + 512 * p + 64 * i + 4 * l, x + 16 + 32 * p + 4 * i, 4);
		} else {
			memcpy(dst + 2 * l, x + 208, 2);
			for (int j = 0; j < 16; j++)
				dst[KT6_SC + 16 * j + l] = x[192 + j];
			for (int e = 0; e < 256; e++)
				dst[KT6_Q + 256 * (e / 16) + 64 * (e % 16 / 4) + 4 * l + e % 4] =
					(uint8_t)q6k_value(x, e);
		}
	}
}

void cpu_ilv_pack(uint32_t wtype, int64_t k, const void *w, size_t w_row_bytes, int64_t g0,
		  int64_t g1, void *dst)
{
	const size_t tb = ilv_tile_bytes(wtype), bb = cpu_type_block_bytes(wtype);
	const int64_t nb = k / ilv_block_elems(wtype);
	const int kq = wtype == PLUME_DTYPE_Q4_K || wtype == PLUME_DTYPE_Q6_K;
	const uint8_t *W = w;

	for (int64_t g = g0; g < g1; g++)
		for (int64_t b = 0; b < nb; b++) {
			const uint8_t *src[16];

			for (int l = 0; l < 16; l++)
				src[l] = W + (size_t)(16 * g + l) * w_row_bytes + (size_t)b * bb;
			(kq ? ilv_pack_ktile : ilv_pack_tile)(
				wtype, src, (uint8_t *)dst + ((size_t)g * (size_t)nb + (size_t)b) * tb);
		}
}

/* The K-quant arithmetic of one output: per super-block the exact integer
 * sums isum = sum_j sc_j * sum_{e in j} q_e a_e (Q6_K: q_e - 32, by the
 * activation's 16-element sums) and Q4_K's msum = sum_j m_j * (its two
 * 16-element sums), then acc = fma(d_w * d_a, isum, acc) and Q4_K's
 * mins = fma(dmin_w * d_a, msum, mins); y = acc - mins (Q6_K: acc). */
static float ilv_ref_k(uint32_t wtype, int64_t k, const uint8_t *x, const uint8_t *y)
{
	float acc = 0.0f, mins = 0.0f;

	for (int64_t b = 0; b < k / 256; b++, x += cpu_type_block_bytes(wtype), y += 292) {
		const int8_t *aq = (const int8_t *)(y + 4);
		int16_t bs[16];
		float da;
		int32_t isum = 0, msum = 0;

		memcpy(&da, y, 4);
		memcpy(bs, y + 260, 32);
		if (wtype == PLUME_DTYPE_Q4_K) {
			for (int j = 0; j < 8; j++) {
				int sc, m;
				int32_t sub = 0;

				cpu_k_scale_min(x + 4, j, &sc, &m);
				for (int e = 0; e < 32; e++) {
					uint8_t byte = x[16 + 32 * (j / 2) + e];

					sub += (j % 2 ? byte >> 4 : byte & 15) * aq[32 * j + e];
				}
				isum += sc * sub;
				msum += m * (bs[2 * j] + bs[2 * j + 1]);
			}
			acc = fmaf(h2f(x) * da, (float)isum, acc);
			mins = fmaf(h2f(x + 2) * da, (float)msum, mins);
		} else {
			for (int j = 0; j < 16; j++) {
				int32_t sub = -32 * bs[j];

				for (int e = 16 * j; e < 16 * j + 16; e++)
					sub += q6k_value(x, e) * aq[e];
				isum += (int8_t)x[192 + j] * sub;
			}
			acc = fmaf(h2f(x + 208) * da, (float)isum, acc);
		}
	}
	return wtype == PLUME_DTYPE_Q4_K ? acc - mins : acc;
}

float cpu_ilv_ref(uint32_t wtype, int64_t k, const void *w_row, const void *act_row)
{
	const uint8_t *x = w_row, *y = act_row;
	const size_t bb = cpu_type_block_bytes(wtype), ab = wtype == PLUME_DTYPE_Q4_1 ? 36 : 34;
	const size_t aq = wtype == PLUME_DTYPE_Q4_1 ? 4 : 2;
	float acc = 0.0f, mins = 0.0f;

	if (wtype == PLUME_DTYPE_Q4_K || wtype == PLUME_DTYPE_Q6_K)
		return ilv_ref_k(wtype, k, x, y);
	for (int64_t b = 0; b < k / 32; b++, x += bb, y += ab) {
		int32_t isum = 0;

		for (int e = 0; e < 32; e++) {
			int q;

			switch (wtype) {
			case PLUME_DTYPE_Q4_0:
				q = (e < 16 ? x[2 + e] & 15 : x[2 + e - 16] >> 4) - 8;
				break;
			case PLUME_DTYPE_Q4_1:
				q = e < 16 ? x[4 + e] & 15 : x[4 + e - 16] >> 4;
				break;
			case PLUME_DTYPE_Q5_0: {
				uint32_t qh;

				memcpy(&qh, x + 2, 4);
				q = ((e < 16 ? x[6 + e] & 15 : x[6 + e - 16] >> 4) | (int)(((qh >> e) & 1) << 4)) - 16;
				break;
			}
			default:
				q = (int8_t)x[2 + e];
			}
			isum += q * (int8_t)y[aq + e];
		}
		acc = fmaf(h2f(x) * h2f(y), (float)isum, acc);
		if (wtype == PLUME_DTYPE_Q4_1)
			mins = fmaf(h2f(x + 2), h2f(y + 2), mins);
	}
	return wtype == PLUME_DTYPE_Q4_1 ? acc + mins : acc;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TGT __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define INL __attribute__((always_inline)) inline

enum { ILV_MAX_ROWS = 6 }; /* activation rows per pass over a row group */

/* Per activation row and block: the scale, Q8_1's s (Q4_1), and the
 * integer correction -c * (sum of the block's quants) that turns the
 * unsigned weight form u = q + c back into q (Q4_0 c = 8, Q5_0 16, Q8_0 128). */
struct ilv_act {
	float *d, *s;
	int32_t *corr;
};

static int ilv_bias(uint32_t t)
{
	return t == PLUME_DTYPE_Q4_0 ? 8 : t == PLUME_DTYPE_Q5_0 ? 16 : t == PLUME_DTYPE_Q8_0 ? 128 : 0;
}

/* K-quants: d, and per super-block 16 integers: Q4_K the 32-element sums
 * (j < 8) for the mins, Q6_K -32 * each 16-element sum (the offset of q) */
static void ilv_act_prep_k(uint32_t t, int64_t nb, const uint8_t *a, struct ilv_act *p)
{
	for (int64_t b = 0; b < nb; b++, a += 292) {
		int16_t bs[16];

		memcpy(&p->d[b], a, 4);
		memcpy(bs, a + 260, 32);
		for (int j = 0; j < 16; j++)
			p->corr[16 * b + j] = t == PLUME_DTYPE_Q4_K ? (j < 8 ? bs[2 * j] + bs[2 * j + 1] : 0)
								   : -32 * bs[j];
	}
}

static void ilv_act_prep(uint32_t t, int64_t nb, const uint8_t *a, struct ilv_act *p)
{
	const size_t ab = t == PLUME_DTYPE_Q4_1 ? 36 : 34, aq = t == PLUME_DTYPE_Q4_1 ? 4 : 2;
	const int c = ilv_bias(t);

	for (int64_t b = 0; b < nb; b++, a += ab) {
		int32_t sum = 0;

		p->d[b] = h2f(a);
		if (t == PLUME_DTYPE_Q4_1)
			p->s[b] = h2f(a + 2);
		for (int e = 0; e < 32; e++)
			sum += (int8_t)a[aq + e];
		p->corr[b] = -c * sum;
	}
}

static inline int32_t ld32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* One 16-row group against NA activation rows: y[t*ldy + 0..15]. */
TGT static INL void ilv_group(uint32_t t, int NA, int64_t nb, const uint8_t *tile, size_t tb,
			      const uint8_t *act, size_t act_row, const struct ilv_act *ap, float *y,
			      int64_t ldy)
{
	const size_t ab = t == PLUME_DTYPE_Q4_1 ? 36 : 34, aq = t == PLUME_DTYPE_Q4_1 ? 4 : 2;
	const size_t qo = t == PLUME_DTYPE_Q4_1 ? 64 : 32;
	const __m512i lo4 = _mm512_set1_epi8(15), b16 = _mm512_set1_epi8(16);
	__m512 acc[ILV_MAX_ROWS], mins[ILV_MAX_ROWS];

	for (int a = 0; a < NA; a++)
		acc[a] = mins[a] = _mm512_setzero_ps();
	for (int64_t b = 0; b < nb; b++, tile += tb) {
		const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)tile));
		__m512 mw = _mm512_setzero_ps();
		__m512i w[8];

		if (t == PLUME_DTYPE_Q4_1)
			mw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(tile + 32)));
		if (t == PLUME_DTYPE_Q8_0) {
			for (int g = 0; g < 8; g++)
				w[g] = _mm512_loadu_si512(tile + qo + 64 * g);
		} else {
			for (int i = 0; i < 4; i++) {
				__m512i v = _mm512_loadu_si512(tile + qo + 64 * i);

				w[i] = _mm512_and_si512(v, lo4);
				w[4 + i] = _mm512_and_si512(_mm512_srli_epi16(v, 4), lo4);
			}
			if (t == PLUME_DTYPE_Q5_0)
				for (int g = 0; g < 8; g++) {
					uint64_t m;

					memcpy(&m, tile + qo + 256 + 8 * g, 8);
					w[g] = _mm512_mask_add_epi8(w[g], (__mmask64)m, w[g], b16);
				}
		}
		for (int a = 0; a < NA; a++) {
			const uint8_t *q = act + (size_t)a * act_row + (size_t)b * ab + aq;
			__m512i s0 = t == PLUME_DTYPE_Q4_1 ? _mm512_setzero_si512()
							   : _mm512_set1_epi32(ap[a].corr[b]);
			__m512i s1 = _mm512_setzero_si512();

			s0 = _mm512_dpbusd_epi32(s0, w[0], _mm512_set1_epi32(ld32(q)));
			s1 = _mm512_dpbusd_epi32(s1, w[1], _mm512_set1_epi32(ld32(q + 4)));
			s0 = _mm512_dpbusd_epi32(s0, w[2], _mm512_set1_epi32(ld32(q + 8)));
			s1 = _mm512_dpbusd_epi32(s1, w[3], _mm512_set1_epi32(ld32(q + 12)));
			s0 = _mm512_dpbusd_epi32(s0, w[4], _mm512_set1_epi32(ld32(q + 16)));
			s1 = _mm512_dpbusd_epi32(s1, w[5], _mm512_set1_epi32(ld32(q + 20)));
			s0 = _mm512_dpbusd_epi32(s0, w[6], _mm512_set1_epi32(ld32(q + 24)));
			s1 = _mm512_dpbusd_epi32(s1, w[7], _mm512_set1_epi32(ld32(q + 28)));
			acc[a] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(ap[a].d[b])),
						 _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), acc[a]);
			if (t == PLUME_DTYPE_Q4_1)
				mins[a] = _mm512_fmadd_ps(mw, _mm512_set1_ps(ap[a].s[b]), mins[a]);
		}
	}
	for (int a = 0; a < NA; a++)
		_mm512_storeu_ps(y + a * ldy,
				 t == PLUME_DTYPE_Q4_1 ? _mm512_add_ps(acc[a], mins[a]) : acc[a]);
}


/* One 16-row group of Q4_K or Q6_K against NA activation rows (callers
 * pass at most 4: more would spill the per-row sums). */
TGT static INL void ilv_kgroup(uint32_t t, int NA, int64_t nb, const uint8_t *tile, size_t tb,
			       const uint8_t *act, size_t act_row, const struct ilv_act *ap, float *y,
			       int64_t ldy)
{
	const __m512i lo4 = _mm512_set1_epi8(15);
	__m512 acc[ILV_MAX_ROWS], mins[ILV_MAX_ROWS];

	for (int a = 0; a < NA; a++)
		acc[a] = mins[a] = _mm512_setzero_ps();
	for (int64_t b = 0; b < nb; b++, tile += tb) {
		const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)tile));
		__m512i isum[ILV_MAX_ROWS];

		for (int a = 0; a < NA; a++)
			isum[a] = _mm512_setzero_si512();
		if (t == PLUME_DTYPE_Q4_K) {
			for (int p = 0; p < 4; p++) {
				const __m512i sc0 = _mm512_cvtepu8_epi32(
					_mm_loadu_si128((const __m128i *)(tile + KT4_SC + 16 * (2 * p))));
				const __m512i sc1 = _mm512_cvtepu8_epi32(
					_mm_loadu_si128((const __m128i *)(tile + KT4_SC + 16 * (2 * p + 1))));
				__m512i s0[ILV_MAX_ROWS], s1[ILV_MAX_ROWS];

				for (int a = 0; a < NA; a++)
					s0[a] = s1[a] = _mm512_setzero_si512();
				for (int i = 0; i < 8; i++) {
					const __m512i v = _mm512_loadu_si512(tile + KT4_Q + 512 * p + 64 * i);
					const __m512i wl = _mm512_and_si512(v, lo4);
					const __m512i wh = _mm512_and_si512(_mm512_srli_epi16(v, 4), lo4);

					for (int a = 0; a < NA; a++) {
						const uint8_t *q = act + (size_t)a * act_row + (size_t)b * 292 + 4 + 64 * p;

						s0[a] = _mm512_dpbusd_epi32(s0[a], wl, _mm512_set1_epi32(ld32(q + 4 * i)));
						s1[a] = _mm512_dpbusd_epi32(s1[a], wh,
									    _mm512_set1_epi32(ld32(q + 32 + 4 * i)));
					}
				}
				for (int a = 0; a < NA; a++)
					isum[a] = _mm512_add_epi32(isum[a],
								   _mm512_add_epi32(_mm512_mullo_epi32(s0[a], sc0),
										    _mm512_mullo_epi32(s1[a], sc1)));
			}
			for (int a = 0; a < NA; a++) {
				const int32_t *bs = ap[a].corr + 16 * b;
				__m512i m = _mm512_setzero_si512();

				for (int j = 0; j < 8; j++)
					m = _mm512_add_epi32(m, _mm512_mullo_epi32(
									_mm512_cvtepu8_epi32(_mm_loadu_si128(
										(const __m128i *)(tile + KT4_M + 16 * j))),
									_mm512_set1_epi32(bs[j])));
				mins[a] = _mm512_fmadd_ps(
					_mm512_mul_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(tile + 32))),
						      _mm512_set1_ps(ap[a].d[b])),
					_mm512_cvtepi32_ps(m), mins[a]);
			}
		} else {
			for (int j = 0; j < 16; j++) {
				const __m512i sc = _mm512_cvtepi8_epi32(
					_mm_loadu_si128((const __m128i *)(tile + KT6_SC + 16 * j)));
				__m512i w[4];

				for (int i = 0; i < 4; i++)
					w[i] = _mm512_loadu_si512(tile + KT6_Q + 256 * j + 64 * i);
				for (int a = 0; a < NA; a++) {
					const uint8_t *q = act + (size_t)a * act_row + (size_t)b * 292 + 4 + 16 * j;
					__m512i s = _mm512_set1_epi32(ap[a].corr[16 * b + j]);

					for (int i = 0; i < 4; i++)
						s = _mm512_dpbusd_epi32(s, w[i], _mm512_set1_epi32(ld32(q + 4 * i)));
					isum[a] = _mm512_add_epi32(isum[a], _mm512_mullo_epi32(s, sc));
				}
			}
		}
		for (int a = 0; a < NA; a++)
			acc[a] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(ap[a].d[b])),
						 _mm512_cvtepi32_ps(isum[a]), acc[a]);
	}
	for (int a = 0; a < NA; a++)
		_mm512_storeu_ps(y + a * ldy,
				 t == PLUME_DTYPE_Q4_K ? _mm512_sub_ps(acc[a], mins[a]) : acc[a]);
}

/* The row-group function NAME of type T (target ATTR): kernel KERN
 * inlined for each NA. */
#define ILV_GROUP_FN(ATTR, NAME, T, KERN)                                                      \
	ATTR static void NAME(int NA, int64_t nb, const uint8_t *tile, const uint8_t *act,     \
			      size_t act_row, const struct ilv_act *ap, float *y, int64_t ldy) \
	{                                                                                      \
		const size_t tb = ilv_tile_bytes(T);                                           \
		switch (NA) {                                                                  \
		case 1: KERN(T, 1, nb, tile, tb, act, act_row, ap, y, ldy); break;             \
		case 2: KERN(T, 2, nb, tile, tb, act, act_row, ap, y, ldy); break;             \
		case 3: KERN(T, 3, nb, tile, tb, act, act_row, ap, y, ldy); break;             \
		case 4: KERN(T, 4, nb, tile, tb, act, act_row, ap, y, ldy); break;             \
		case 5: KERN(T, 5, nb, tile, tb, act, act_row, ap, y, ldy); break;             \
		default: KERN(T, 6, nb, tile, tb, act, act_row, ap, y, ldy); break;            \
		}                                                                              \
	}
ILV_GROUP_FN(TGT, ilv_group_q4_0, PLUME_DTYPE_Q4_0, ilv_group)
ILV_GROUP_FN(TGT, ilv_group_q4_1, PLUME_DTYPE_Q4_1, ilv_group)
ILV_GROUP_FN(TGT, ilv_group_q5_0, PLUME_DTYPE_Q5_0, ilv_group)
ILV_GROUP_FN(TGT, ilv_group_q8_0, PLUME_DTYPE_Q8_0, ilv_group)
ILV_GROUP_FN(TGT, ilv_group_q4_k, PLUME_DTYPE_Q4_K, ilv_kgroup)
ILV_GROUP_FN(TGT, ilv_group_q6_k, PLUME_DTYPE_Q6_K, ilv_kgroup)

/* ---- AVX2 (no VNNI): the same tiles and the same arithmetic per output,
 * so the same bits as the AVX-512 kernel. Eight rows per 256-bit vector, the
 * two halves of a tile one after the other; a group's four-byte sums by
 * vpmaddubsw then vpmaddwd (no pair sum can saturate: weights below 32, or
 * Q8_0 through |q| and the activation's sign, at most 2 * 128 * 127). */
#define TGT2 __attribute__((target("avx2,fma,f16c")))

TGT2 static INL void ilv_group2(uint32_t t, int NA, int64_t nb, const uint8_t *tile, size_t tb,
				const uint8_t *act, size_t act_row, const struct ilv_act *ap,
				float *y, int64_t ldy)
{
	const size_t ab = t == PLUME_DTYPE_Q4_1 ? 36 : 34, aq = t == PLUME_DTYPE_Q4_1 ? 4 : 2;
	const size_t qo = t == PLUME_DTYPE_Q4_1 ? 64 : 32;
	const __m256i lo4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
	const __m256i b16 = _mm256_set1_epi8(16), flip = _mm256_set1_epi8((char)0x80);
	/* byte i of a 32-bit mask broadcast: selects bit i % 8 of mask byte i / 8 */
	const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
					      2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
	const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);

	for (int half = 0; half < 2; half++) {
		const uint8_t *tl = tile;
		__m256 acc[ILV_MAX_ROWS], mins[ILV_MAX_ROWS];

		for (int a = 0; a < NA; a++)
			acc[a] = mins[a] = _mm256_setzero_ps();
		for (int64_t b = 0; b < nb; b++, tl += tb) {
			const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(tl + 16 * half)));
			__m256 mw = _mm256_setzero_ps();
			__m256i w[8];

			if (t == PLUME_DTYPE_Q4_1)
				mw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(tl + 32 + 16 * half)));
			if (t == PLUME_DTYPE_Q8_0) {
				for (int g = 0; g < 8; g++)
					w[g] = _mm256_xor_si256(
						_mm256_loadu_si256((const __m256i *)(tl + qo + 64 * g + 32 * half)), flip);
			} else {
				for (int i = 0; i < 4; i++) {
					__m256i v = _mm256_loadu_si256((const __m256i *)(tl + qo + 64 * i + 32 * half));

					w[i] = _mm256_and_si256(v, lo4);
					w[4 + i] = _mm256_and_si256(_mm256_srli_epi16(v, 4), lo4);
				}
				if (t == PLUME_DTYPE_Q5_0)
					for (int g = 0; g < 8; g++) {
						uint32_t m;
						__m256i sel;

						memcpy(&m, tl + qo + 256 + 8 * g + 4 * half, 4);
						sel = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)m), pick), bit);
						sel = _mm256_cmpeq_epi8(sel, bit);
						w[g] = _mm256_add_epi8(w[g], _mm256_and_si256(sel, b16));
					}
			}
			for (int a = 0; a < NA; a++) {
				const uint8_t *q = act + (size_t)a * act_row + (size_t)b * ab + aq;
				__m256i s = t == PLUME_DTYPE_Q4_1 || t == PLUME_DTYPE_Q8_0
						    ? _mm256_setzero_si256()
						    : _mm256_set1_epi32(ap[a].corr[b]);

				for (int g = 0; g < 8; g++) {
					__m256i x = _mm256_set1_epi32(ld32(q + 4 * g)), p;

					if (t == PLUME_DTYPE_Q8_0)
						p = _mm256_maddubs_epi16(_mm256_abs_epi8(w[g]), _mm256_sign_epi8(x, w[g]));
					else
						p = _mm256_maddubs_epi16(w[g], x);
					s = _mm256_add_epi32(s, _mm256_madd_epi16(p, ones));
				}
				acc[a] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(ap[a].d[b])),
							 _mm256_cvtepi32_ps(s), acc[a]);
				if (t == PLUME_DTYPE_Q4_1)
					mins[a] = _mm256_fmadd_ps(mw, _mm256_set1_ps(ap[a].s[b]), mins[a]);
			}
		}
		for (int a = 0; a < NA; a++)
			_mm256_storeu_ps(y + a * ldy + 8 * half,
					 t == PLUME_DTYPE_Q4_1 ? _mm256_add_ps(acc[a], mins[a]) : acc[a]);
	}
}

ILV_GROUP_FN(TGT2, ilv_group2_q4_0, PLUME_DTYPE_Q4_0, ilv_group2)
ILV_GROUP_FN(TGT2, ilv_group2_q4_1, PLUME_DTYPE_Q4_1, ilv_group2)
ILV_GROUP_FN(TGT2, ilv_group2_q5_0, PLUME_DTYPE_Q5_0, ilv_group2)
ILV_GROUP_FN(TGT2, ilv_group2_q8_0, PLUME_DTYPE_Q8_0, ilv_group2)

typedef void (*ilv_group_fn)(int NA, int64_t nb, const uint8_t *tile, const uint8_t *act,
			     size_t act_row, const struct ilv_act *ap, float *y, int64_t ldy);

int cpu_ilv_gemm(uint32_t wtype, int64_t k, const void *packed, int64_t g0, int64_t g1,
		 const void *act, size_t act_row_bytes, int64_t n_tok, float *y, int64_t ldy)
{
	const int v512 = cpu_isa_active() >= CPU_ISA_AVX512;
	ilv_group_fn fn = wtype == PLUME_DTYPE_Q4_0 ? (v512 ? ilv_group_q4_0 : ilv_group2_q4_0)
			: wtype == PLUME_DTYPE_Q4_1 ? (v512 ? ilv_group_q4_1 : ilv_group2_q4_1)
			: wtype == PLUME_DTYPE_Q5_0 ? (v512 ? ilv_group_q5_0 : ilv_group2_q5_0)
			: wtype == PLUME_DTYPE_Q8_0 ? (v512 ? ilv_group_q8_0 : ilv_group2_q8_0)
			: wtype == PLUME_DTYPE_Q4_K ? ilv_group_q4_k
			: wtype == PLUME_DTYPE_Q6_K ? ilv_group_q6_k : NULL;
	const int kq = wtype == PLUME_DTYPE_Q4_K || wtype == PLUME_DTYPE_Q6_K;
	const int64_t nb = k / ilv_block_elems(wtype);
	const int max_rows = kq || !v512 ? 4 : ILV_MAX_ROWS;
	const size_t tb = ilv_tile_bytes(wtype);
	struct ilv_act ap[ILV_MAX_ROWS];
	/* per-row activation prep; on the stack up to 64 blocks (k = 2048, or
	 * 16384 for the K-quants), the common case of every decode step */
	float fstack[2 * ILV_MAX_ROWS * 64], *fbuf = fstack;
	int32_t istack[ILV_MAX_ROWS * 16 * 64], *ibuf = istack;

	if (!fn || !cpu_ilv_runs(wtype) || k % ilv_block_elems(wtype) || n_tok < 1)
		return 0;
	if (nb > 64) {
		fbuf = malloc(sizeof(float) * 2 * ILV_MAX_ROWS * (size_t)nb);
		ibuf = malloc(sizeof(int32_t) * ILV_MAX_ROWS * 16 * (size_t)nb);
		if (!fbuf || !ibuf) {
			free(fbuf);
			free(ibuf);
			return 0;
		}
	}
	for (int a = 0; a < ILV_MAX_ROWS; a++)
		ap[a] = (struct ilv_act){fbuf + (size_t)(2 * a) * nb, fbuf + (size_t)(2 * a + 1) * nb,
					 ibuf + (size_t)a * 16 * nb};
	/* passes of at most ILV_MAX_ROWS activation rows, as even as possible */
	for (int64_t t0 = 0, passes = (n_tok + max_rows - 1) / max_rows; t0 < n_tok; passes--) {
		int NA = (int)((n_tok - t0 + passes - 1) / passes);
		const uint8_t *A = (const uint8_t *)act + (size_t)t0 * act_row_bytes;

		for (int a = 0; a < NA; a++)
			(kq ? ilv_act_prep_k : ilv_act_prep)(wtype, nb, A + (size_t)a * act_row_bytes, &ap[a]);
		for (int64_t g = g0; g < g1; g++)
			fn(NA, nb, (const uint8_t *)packed + (size_t)g * (size_t)nb * tb, A, act_row_bytes,
			   ap, y + t0 * ldy + 16 * g, ldy);
		t0 += NA;
	}
	if (fbuf != fstack) {
		free(fbuf);
		free(ibuf);
	}
	return 1;
}

#else

int cpu_ilv_gemm(uint32_t wtype, int64_t k, const void *packed, int64_t g0, int64_t g1,
		 const void *act, size_t act_row_bytes, int64_t n_tok, float *y, int64_t ldy)
{
	(void)wtype, (void)k, (void)packed, (void)g0, (void)g1, (void)act, (void)act_row_bytes;
	(void)n_tok, (void)y, (void)ldy;
	return 0;
}

#endif
