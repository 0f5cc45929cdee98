/* The gated feed-forward's activation product g = act(g) * u over a row
 * range, in llama.cpp's arithmetic: SiLU as x / (1 + exp(-x)) with ggml's
 * polynomial exp (go_silu), GELU through ggml's F16 table (go_gelu). The
 * AVX-512 path computes the same polynomial with the same fused
 * multiply-adds lane by lane (same bits); lanes whose exponent leaves the
 * normal range take the scalar go_expf. */
#include "glu.h"

#include "ggml_order.h"
#include "kernels_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include "vexp512.h"

#define TGT __attribute__((target("avx2,fma,f16c,avx512f,avx512bw")))

/* go_silu on 16 lanes */
TGT static __m512 silu16(__m512 x)
{
	__m512 nx = _mm512_sub_ps(_mm512_setzero_ps(), x);
	__mmask16 ok;
	__m512 ex = vexp512(nx, &ok);

	if (ok != 0xFFFF) { /* saturated, subnormal or NaN lanes: the scalar exp */
		float xs[16], es[16];

		_mm512_storeu_ps(xs, nx);
		_mm512_storeu_ps(es, ex);
		for (int l = 0; l < 16; l++)
			if (!(ok >> l & 1))
				es[l] = go_expf(xs[l]);
		ex = _mm512_loadu_ps(es);
	}
	return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), ex));
}

/* go_gelu on 16 lanes: |x| < 10 through the table (F16 round to nearest
 * even, one gather; the table has two padding entries, see cpu_glu), 0 at
 * or below -10, x at or above 10; NaN lanes take the scalar path. */
TGT static __m512 gelu16(const uint16_t *tab, __m512 x)
{
	__m256i h = _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m512i t = _mm512_i32gather_epi32(_mm512_cvtepu16_epi32(h), (const void *)tab, 2);
	__m512 v = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(t));
	__mmask16 lo = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-10.0f), _CMP_LE_OQ);
	__mmask16 hi = _mm512_cmp_ps_mask(x, _mm512_set1_ps(10.0f), _CMP_GE_OQ);
	__mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);

	v = _mm512_mask_mov_ps(_mm512_maskz_mov_ps((__mmask16)~lo, v), hi, x);
	if (nan) {
		float xs[16], vs[16];

		_mm512_storeu_ps(xs, x);
		_mm512_storeu_ps(vs, v);
		for (int l = 0; l < 16; l++)
			if (nan >> l & 1)
				vs[l] = go_gelu(tab, xs[l]);
		v = _mm512_loadu_ps(vs);
	}
	return v;
}

TGT static void gelu_mul_512(const uint16_t *tab, float *g, const float *u, int64_t n)
{
	int64_t i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(g + i, _mm512_mul_ps(gelu16(tab, _mm512_loadu_ps(g + i)),
						      _mm512_loadu_ps(u + i)));
	for (; i < n; i++)
		g[i] = go_gelu(tab, g[i]) * u[i];
}

TGT static void silu_mul_512(float *g, const float *u, int64_t n)
{
	int64_t i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(g + i, _mm512_mul_ps(silu16(_mm512_loadu_ps(g + i)),
						      _mm512_loadu_ps(u + i)));
	for (; i < n; i++)
		g[i] = go_silu(g[i]) * u[i];
}
#endif

void cpu_glu(int gelu, const uint16_t *gelu_tab, float *g, const float *u, int64_t n)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (cpu_isa_active() >= CPU_ISA_AVX512) {
		if (gelu)
			gelu_mul_512(gelu_tab, g, u, n);
		else
			silu_mul_512(g, u, n);
		return;
	}
#endif
	if (gelu) {
		for (int64_t i = 0; i < n; i++)
			g[i] = go_gelu(gelu_tab, g[i]) * u[i];
		return;
	}
	for (int64_t i = 0; i < n; i++)
		g[i] = go_silu(g[i]) * u[i];
}
