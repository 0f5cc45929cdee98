/* AVX-512 attention over an F16 cache (see attention.h). Every value is
 * computed with the operations of forward.c's scalar loop, in its order:
 *  - score of key j: the query rounded to F16, K widened exactly, one
 *    16-lane FMA chain over the head (tinyBLAS) or four chains over 64-element
 *    steps summed (a0 + a2) + (a1 + a3) (ggml_vec_dot_f16), the lanes added in
 *    _mm512_reduce_add_ps's tree (go_hsum16), times kq_scale. Sixteen keys
 *    are reduced together: the four shuffle-and-add steps below perform, for
 *    each key, exactly the additions of that tree;
 *  - softmax: the maximum (the same value in any order), go_expf's operations
 *    on 16 lanes (a lane whose 2^n would not be a normal number goes through
 *    go_expf itself), each aligned chunk of 16 positions summed in the same
 *    tree and accumulated in double in position order;
 *  - weights sc * inv rounded to F16 (vcvtps2ph rounds to nearest even, as
 *    cpu_fp32_to_fp16), then per chain (position mod 16, or mod 64 for
 *    single-token batches) an FMA chain over the chain's positions in
 *    increasing order, and the chains summed in the same tree. */
#include "attention.h"
#include "ggml_order.h"

#include <math.h>
#include <string.h>

#define MAXH CPU_ATTN_MAX_HEADS

size_t cpu_attn_ws_floats(int64_t hd, int64_t hv, int64_t n_pos)
{
	int64_t npos = (n_pos + 15) / 16 * 16;

	return (size_t)(MAXH * hd + hd + MAXH * npos + MAXH * 64 * hv);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include "vexp512.h"

#define TGT __attribute__((target("avx512f,fma,f16c")))
#define AI __attribute__((always_inline)) inline

int cpu_attn_f16_available(void)
{
	static int v = -1;

	if (v < 0) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") &&
		    __builtin_cpu_supports("f16c");
	}
	return v;
}

/* ---- sixteen horizontal sums at once ----------------------------------
 * go_hsum16(v) = (b0 + b2) + (b1 + b3), b_i = a_{i+4} + a_i, a_i = v_{i+8} + v_i.
 * step1: [a(A) | a(B)]; step2: [b(A) | b(B) | b(C) | b(D)]; step3: per
 * 128-bit lane [b0+b2, b1+b3] of two keys; step4: their sum. */
TGT static AI __m512 step1(__m512 a, __m512 b)
{
	return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
			     _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}

TGT static AI __m512 step2(__m512 a, __m512 b)
{
	return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
			     _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

TGT static AI __m512 step3(__m512 a, __m512 b)
{
	return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
			     _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}

TGT static AI __m512 step4(__m512 a, __m512 b)
{
	return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
			     _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

/* lane k of the result: go_hsum16 of v[k] */
TGT static AI __m512 hsum16x16(const __m512 *v)
{
	__m512 r[4];

	for (int e = 0; e < 4; e++)
		r[e] = step2(step1(v[e], v[e + 4]), step1(v[e + 8], v[e + 12]));
	return step4(step3(r[0], r[1]), step3(r[2], r[3]));
}

/* go_hsum16 of sixteen vectors lane by lane (vertical adds) */
TGT static AI __m512 hsum16_vert(const __m512 *v)
{
	__m512 a[8], b[4];

	for (int i = 0; i < 8; i++)
		a[i] = _mm512_add_ps(v[i + 8], v[i]);
	for (int i = 0; i < 4; i++)
		b[i] = _mm512_add_ps(a[i + 4], a[i]);
	return _mm512_add_ps(_mm512_add_ps(b[0], b[2]), _mm512_add_ps(b[1], b[3]));
}

TGT static AI __m512 round_f16v(__m512 x)
{
	return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}


/* positions j0..j0+15 that lie in lo..p */
static inline __mmask16 chunk_mask(int64_t j0, int64_t lo, int64_t p)
{
	unsigned m = 0xffff;

	if (j0 < lo)
		m &= 0xffffu << (lo - j0);
	if (j0 + 15 > p)
		m &= 0xffffu >> (j0 + 15 - p);
	return (__mmask16)m;
}

/* Scores straight from the F16 rows, for NH heads, K widened once for all
 * heads: round e takes the keys e, e + 4, e + 8, e + 12 and leaves
 * hsum16x16's r[e] per head. tinyBLAS order: one FMA chain per key and head
 * over the 16-element steps; ggml_vec_dot_f16's (VD, hd % 64 == 0): four
 * chains over 64-element steps, summed (a0 + a2) + (a1 + a3). */
TGT static AI void score_round(int NH, int VD, const uint16_t *const *kp, int e, const float *qv,
			       int64_t hd, __m512 *r)
{
	__m512 v[MAXH][4];

	if (!VD) {
		for (int h = 0; h < NH; h++)
			for (int i = 0; i < 4; i++)
				v[h][i] = _mm512_setzero_ps();
		for (int64_t d = 0; d < hd; d += 16) {
			__m512 x[4];

			for (int i = 0; i < 4; i++)
				x[i] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(kp[e + 4 * i] + d)));
			for (int h = 0; h < NH; h++) {
				__m512 q = _mm512_loadu_ps(qv + h * hd + d);

				for (int i = 0; i < 4; i++)
					v[h][i] = _mm512_fmadd_ps(x[i], q, v[h][i]);
			}
		}
	} else {
		for (int i = 0; i < 4; i++) {
			const uint16_t *kr = kp[e + 4 * i];
			__m512 a[MAXH][4];

			for (int h = 0; h < NH; h++)
				for (int l = 0; l < 4; l++)
					a[h][l] = _mm512_setzero_ps();
			for (int64_t d = 0; d < hd; d += 64) {
				__m512 x[4];

				for (int l = 0; l < 4; l++)
					x[l] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(kr + d + 16 * l)));
				for (int h = 0; h < NH; h++)
					for (int l = 0; l < 4; l++)
						a[h][l] = _mm512_fmadd_ps(x[l], _mm512_loadu_ps(qv + h * hd + d + 16 * l),
									  a[h][l]);
			}
			for (int h = 0; h < NH; h++)
				v[h][i] = _mm512_add_ps(_mm512_add_ps(a[h][0], a[h][2]),
							_mm512_add_ps(a[h][1], a[h][3]));
		}
	}
	for (int h = 0; h < NH; h++)
		r[h] = step2(step1(v[h][0], v[h][1]), step1(v[h][2], v[h][3]));
}

/* s[h]: the 16 scores of the keys kp[0..15] against head h's query */
TGT static AI void score16(int NH, int VD, const uint16_t *const *kp, const float *qv, int64_t hd,
			   __m512 *s)
{
	__m512 r0[MAXH], r1[MAXH], u1[MAXH];

	score_round(NH, VD, kp, 0, qv, hd, r0);
	score_round(NH, VD, kp, 1, qv, hd, r1);
	for (int h = 0; h < NH; h++)
		u1[h] = step3(r0[h], r1[h]);
	score_round(NH, VD, kp, 2, qv, hd, r0);
	score_round(NH, VD, kp, 3, qv, hd, r1);
	for (int h = 0; h < NH; h++)
		s[h] = step4(u1[h], step3(r0[h], r1[h]));
}

/* One accumulator chain (positions js, js + P, .. <= p) for NH heads and NV
 * vectors of 16 dims starting at dc; the results go to cb[h * cbs + 16 v]. */
TGT static AI void vchain(int NH, int NV, const uint16_t *const *vr, const float *w, int64_t ws,
			  int64_t js, int64_t p, int64_t P, int64_t dc, float *cb, int64_t cbs)
{
	__m512 acc[MAXH][4];

	for (int h = 0; h < NH; h++)
		for (int v = 0; v < NV; v++)
			acc[h][v] = _mm512_setzero_ps();
	for (int64_t j = js; j <= p; j += P) {
		const uint16_t *r = vr[j] + dc;
		__m512 wv[MAXH];

		for (int h = 0; h < NH; h++)
			wv[h] = _mm512_set1_ps(w[h * ws + j]);
		for (int v = 0; v < NV; v++) {
			__m512 x = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(r + 16 * v)));

			for (int h = 0; h < NH; h++)
				acc[h][v] = _mm512_fmadd_ps(x, wv[h], acc[h][v]);
		}
	}
	for (int h = 0; h < NH; h++)
		for (int v = 0; v < NV; v++)
			_mm512_storeu_ps(cb + h * cbs + 16 * v, acc[h][v]);
}

/* Ask for the K rows of the next 16 positions (to L1) and the V rows of
 * these 16 (to L2, for the weighted sum after the softmax): the rows are
 * spread over the cache's blocks, and a single-token batch or a long
 * context reads them from memory. Always inlined: as a function of its own
 * GCC finds it free of side effects and drops the calls. */
static AI void prefetch_lines(const void *p, size_t n, int hint_t0)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + n;

	for (; a < end; a += 64) {
		if (hint_t0)
			_mm_prefetch((const char *)a, _MM_HINT_T0);
		else
			_mm_prefetch((const char *)a, _MM_HINT_T1);
	}
}

static AI void prefetch_rows(const struct cpu_attn_job *jb, int64_t j0, int64_t lo, int64_t p)
{
	size_t kbytes = (size_t)jb->hd * 2, vbytes = (size_t)jb->hv * 2;

	for (int k = 0; k < 16; k++) {
		int64_t jk = j0 + 16 + k, jv = j0 + k;

		if (jk >= lo && jk <= p)
			prefetch_lines(jb->k[jk], kbytes, 1);
		if (jv >= lo && jv <= p)
			prefetch_lines(jb->v[jv], vbytes, 0);
	}
}

TGT void cpu_attn_f16(const struct cpu_attn_job *jb)
{
	const int64_t hd = jb->hd, hv = jb->hv, lo = jb->lo, p = jb->p;
	const int nh = jb->n_head, tiny = jb->tiny;
	const int64_t npos = (p + 16) / 16 * 16, P = tiny ? 16 : 64;
	float *qv = jb->ws, *zf = qv + MAXH * hd, *sc = zf + hd, *cb = sc + MAXH * npos;
	const __m512 scale = _mm512_set1_ps(jb->kq_scale);
	/* a prefill's rows are mostly in L2 already: prefetching would cost
	 * more than it saves */
	const int pf = !tiny || p - lo >= 1024;
	__m512 maxv[MAXH];

	for (int h = 0; h < nh; h++) {
		for (int64_t d = 0; d < hd; d += 16)
			_mm512_storeu_ps(qv + h * hd + d, round_f16v(_mm512_loadu_ps(jb->q[h] + d)));
		maxv[h] = _mm512_set1_ps(-INFINITY);
	}

	/* scores, 16 aligned positions at a time; positions outside lo..p
	 * are scored against a zero row and masked */
	{
		uint16_t *zero = (uint16_t *)zf; /* a zero K row */
		const uint16_t *kp[16];

		memset(zero, 0, (size_t)hd * sizeof(uint16_t));
		for (int64_t j0 = lo / 16 * 16; j0 <= p; j0 += 16) {
			__mmask16 m = chunk_mask(j0, lo, p);
			__m512 s[MAXH];

			for (int k = 0; k < 16; k++)
				kp[k] = m >> k & 1 ? jb->k[j0 + k] : zero;
			if (pf)
				prefetch_rows(jb, j0, lo, p);
			switch (nh * 2 + !tiny) {
			case 2: score16(1, 0, kp, qv, hd, s); break;
			case 3: score16(1, 1, kp, qv, hd, s); break;
			case 4: score16(2, 0, kp, qv, hd, s); break;
			case 5: score16(2, 1, kp, qv, hd, s); break;
			case 6: score16(3, 0, kp, qv, hd, s); break;
			case 7: score16(3, 1, kp, qv, hd, s); break;
			case 8: score16(4, 0, kp, qv, hd, s); break;
			default: score16(4, 1, kp, qv, hd, s); break;
			}
			for (int h = 0; h < nh; h++) {
				s[h] = _mm512_mul_ps(s[h], scale);
				_mm512_storeu_ps(sc + h * npos + j0, s[h]);
				maxv[h] = _mm512_mask_max_ps(maxv[h], m, s[h], maxv[h]);
			}
		}
	}

	/* softmax, then the weights rounded to F16 */
	for (int h = 0; h < nh; h++) {
		float *s = sc + h * npos;
		__m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(maxv[h]));
		double sum = 0.0;
		__m512 inv;

		for (int64_t j0 = lo / 16 * 16; j0 <= p; j0 += 16) {
			__mmask16 m = chunk_mask(j0, lo, p), ok;
			__m512 x = _mm512_sub_ps(_mm512_loadu_ps(s + j0), mx);
			__m512 e = vexp512(x, &ok);

			if ((ok & m) != m) {
				float t[16];

				_mm512_storeu_ps(t, x);
				for (int l = 0; l < 16; l++)
					t[l] = m >> l & 1 ? go_expf(t[l]) : 0.0f;
				e = _mm512_loadu_ps(t);
			}
			_mm512_storeu_ps(s + j0, _mm512_maskz_mov_ps(m, e));
		}
		/* the sums of 16 chunks at a time, added in position order */
		for (int64_t g0 = lo / 16 * 16; g0 <= p; g0 += 256) {
			int nc = (int)((p - g0) / 16 + 1 < 16 ? (p - g0) / 16 + 1 : 16);
			__m512 e[16];
			float cs[16];

			for (int i = 0; i < 16; i++)
				e[i] = i < nc ? _mm512_loadu_ps(s + g0 + 16 * i) : _mm512_setzero_ps();
			_mm512_storeu_ps(cs, hsum16x16(e));
			for (int i = 0; i < nc; i++)
				sum += (double)cs[i];
		}
		inv = _mm512_set1_ps((float)(1.0 / sum));
		for (int64_t j0 = lo / 16 * 16; j0 <= p; j0 += 16)
			_mm512_storeu_ps(s + j0, round_f16v(_mm512_mul_ps(_mm512_loadu_ps(s + j0), inv)));
	}

	/* weighted sum of V: chain c holds the positions j = c (mod P); each
	 * chain runs over all the output dims (64 at a time) before the next, so
	 * a V row is used whole while it is in L1 */
	for (int64_t c = 0; c < P; c++) {
		int64_t js = lo + ((c - lo % P) % P + P) % P;

		for (int64_t dc = 0; dc < hv; dc += 64) {
			int nv = hv - dc >= 64 ? 4 : (int)((hv - dc) / 16);
			float *cbc = cb + c * hv + dc;

#define VCH(H, V) \
	case (H) * 8 + (V): vchain(H, V, jb->v, sc, npos, js, p, P, dc, cbc, P * hv); break
			switch (nh * 8 + nv) {
				VCH(1, 1); VCH(1, 2); VCH(1, 3); VCH(1, 4);
				VCH(2, 1); VCH(2, 2); VCH(2, 3); VCH(2, 4);
				VCH(3, 1); VCH(3, 2); VCH(3, 3); VCH(3, 4);
				VCH(4, 1); VCH(4, 2); VCH(4, 3); VCH(4, 4);
			default:
				break;
			}
#undef VCH
		}
	}
	for (int h = 0; h < nh; h++)
		for (int64_t d = 0; d < hv; d += 16) {
			const float *ch = cb + h * P * hv + d;
			__m512 lanes[16];

			for (int l = 0; l < 16; l++) {
				if (tiny) {
					lanes[l] = _mm512_loadu_ps(ch + l * hv);
				} else {
					__m512 a0 = _mm512_loadu_ps(ch + (0 * 16 + l) * hv);
					__m512 a1 = _mm512_loadu_ps(ch + (1 * 16 + l) * hv);
					__m512 a2 = _mm512_loadu_ps(ch + (2 * 16 + l) * hv);
					__m512 a3 = _mm512_loadu_ps(ch + (3 * 16 + l) * hv);

					lanes[l] = _mm512_add_ps(_mm512_add_ps(a0, a2), _mm512_add_ps(a1, a3));
				}
			}
			_mm512_storeu_ps(jb->out[h] + d, hsum16_vert(lanes));
		}
}
#else
int cpu_attn_f16_available(void)
{
	return 0;
}

void cpu_attn_f16(const struct cpu_attn_job *j)
{
	(void)j;
}
#endif
