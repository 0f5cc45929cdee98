/* The logits toolkit the host exports to every strategy (plume/logits.h):
 * penalties and biases on full vocabulary vectors (Hugging Face semantics
 * for the repetition penalty and no-repeat n-gram, llama.cpp/OpenAI for
 * presence/frequency), llama.cpp's candidate filters, softmax/argmax, a
 * seeded xoshiro256** generator and the final inverse-CDF draw.
 * Allocation-free: sorting is qsort (O(n log n)); top-k and the first
 * tries of top-p are heap selections (O(n log k)); typical is a linear
 * merge. Candidate order is deterministic: logit descending, then id
 * ascending; NaN logits sort last.
 * Semantics and known divergences from llama.cpp: docs/strategies.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Id range handled per pass by the penalty helpers (stack tables). */
#define CHUNK_IDS 4096

/* ---- full vectors ----------------------------------------------------- */

static int32_t lt_argmax(const float *x, size_t n)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]) && (best == n || x[i] > x[best]))
			best = i;
	if (best == n) /* n == 0: -1; every entry NaN: 0 keeps callers in bounds */
		return n ? 0 : -1;
	return (int32_t)best;
}

/* ---- exp and max over long vectors ------------------------------------
 * log-softmax and softmax run over the whole vocabulary (49 152 to 262 144
 * entries) once per row and step: with beam search, four rows a step on
 * the host's thread while the backend's workers wait. So the exponential is
 * a fixed sequence of float operations (round to nearest multiple of ln 2,
 * two-part reduction, degree-7 Taylor polynomial in Horner form by fused
 * multiply-adds, scale by 2^n; 0 below -87), computed 16 lanes at a time
 * with AVX-512 where the CPU has it and one at a time otherwise: the same
 * operations, so the same bits either way. Its error is under 2 ulp of
 * expf (tests/logits). Sums of exps are 16 partial sums in double (entry i
 * into partial i % 16), added in order. */

#define EXP_LOG2E 1.44269504088896341f
#define EXP_LN2_HI 0.693145751953125f
#define EXP_LN2_LO 1.42860682030941723212e-6f
#define EXP_ROUND 12582912.0f /* 1.5 * 2^23: x + it - it rounds x to an integer */
#define EXP_MIN -87.0f

/* e^x for x <= 0 (NaN stays NaN) */
static inline float exp_neg(float x)
{
	if (isnan(x))
		return x;
	float c = x < EXP_MIN ? EXP_MIN : x;
	float n = fmaf(c, EXP_LOG2E, EXP_ROUND) - EXP_ROUND;
	float r = fmaf(n, -EXP_LN2_HI, c), p;
	uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
	float scale;

	r = fmaf(n, -EXP_LN2_LO, r);
	p = fmaf(1.0f / 5040, r, 1.0f / 720);
	p = fmaf(p, r, 1.0f / 120);
	p = fmaf(p, r, 1.0f / 24);
	p = fmaf(p, r, 1.0f / 6);
	p = fmaf(p, r, 0.5f);
	p = fmaf(p, r, 1.0f);
	p = fmaf(p, r, 1.0f);
	memcpy(&scale, &bits, 4);
	return x < EXP_MIN ? 0.0f : p * scale;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LT_X86 1
#define TGT512 __attribute__((target("avx512f,avx512dq,fma")))

static int lt_force_scalar;

static int lt_avx512(void)
{
	static int have = -1;

	if (have < 0)
		have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
		       __builtin_cpu_supports("fma");
	return have && !lt_force_scalar;
}

TGT512 static inline __m512 exp_neg16(__m512 x)
{
	const __m512 lo = _mm512_set1_ps(EXP_MIN), rnd = _mm512_set1_ps(EXP_ROUND);
	__mmask16 small = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
	__m512 c = _mm512_mask_mov_ps(x, small, lo);
	__m512 n = _mm512_sub_ps(_mm512_fmadd_ps(c, _mm512_set1_ps(EXP_LOG2E), rnd), rnd);
	__m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-EXP_LN2_HI), c), p;
	__m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);

	r = _mm512_fmadd_ps(n, _mm512_set1_ps(-EXP_LN2_LO), r);
	p = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 5040), r, _mm512_set1_ps(1.0f / 720));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
	return _mm512_maskz_mul_ps((__mmask16)~small, p, _mm512_castsi512_ps(bits));
}

/* part[16] += e^(x[i] - max) (entry i into part[i % 16]); out: the exps
 * (NULL: not stored) */
TGT512 static void exp_sums16(const float *x, float *out, size_t n, float max, double part[16])
{
	__m512d s0 = _mm512_loadu_pd(part), s1 = _mm512_loadu_pd(part + 8);
	const __m512 m = _mm512_set1_ps(max);

	for (size_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		__m512 e = _mm512_maskz_mov_ps(k, exp_neg16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), m)));

		if (out)
			_mm512_mask_storeu_ps(out + i, k, e);
		s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
		s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
	}
	_mm512_storeu_pd(part, s0);
	_mm512_storeu_pd(part + 8, s1);
}

/* max over non-NaN entries (vmaxps returns its second operand when the
 * first is NaN) and how many entries equal it */
TGT512 static float max_count16(const float *x, size_t n, size_t *n_max)
{
	__m512 acc = _mm512_set1_ps(-INFINITY);
	float max;
	size_t cnt = 0;

	for (size_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);

		acc = _mm512_mask_max_ps(acc, k, _mm512_maskz_loadu_ps(k, x + i), acc);
	}
	max = _mm512_reduce_max_ps(acc);
	for (size_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);

		cnt += (size_t)__builtin_popcount(
			_mm512_mask_cmp_ps_mask(k, _mm512_maskz_loadu_ps(k, x + i), _mm512_set1_ps(max), _CMP_EQ_OQ));
	}
	*n_max = cnt;
	return max;
}
#endif

/* Tests: 1 runs the portable loops even where AVX-512 is present. */
void plume_logits_force_scalar(int on)
{
#ifdef LT_X86
	lt_force_scalar = on;
#else
	(void)on;
#endif
}

/* sum of e^(x[i] - max) over the 16 partial sums; out as in exp_sums16 */
static double exp_sum(const float *x, float *out, size_t n, float max)
{
	double part[16] = {0}, sum = 0.0;

#ifdef LT_X86
	if (lt_avx512())
		exp_sums16(x, out, n, max, part);
	else
#endif
		for (size_t i = 0; i < n; i++) {
			float e = exp_neg(x[i] - max);

			if (out)
				out[i] = e;
			part[i % 16] += e;
		}
	for (int l = 0; l < 16; l++)
		sum += part[l];
	return sum;
}

/* max over non-NaN entries and how many entries equal it */
static float vec_max(const float *x, size_t n, size_t *n_max)
{
	float max = -INFINITY;
	size_t cnt = 0;

#ifdef LT_X86
	if (lt_avx512() && n)
		return max_count16(x, n, n_max);
#endif
	for (size_t i = 0; i < n; i++) {
		if (x[i] > max) {
			max = x[i];
			cnt = 1;
		} else if (x[i] == max) {
			cnt++;
		}
	}
	*n_max = cnt;
	return max;
}

/* Degenerate maxima (all -inf, or some +inf): the limit distribution is
 * uniform over the entries equal to the max (all entries if all -inf). */
static int vec_degenerate(float *x, size_t n, float max, size_t n_max, int log_space)
{
	float hit, miss;

	if (isfinite(max))
		return 0;
	if (max == -INFINITY)
		n_max = n;
	hit = log_space ? -logf((float)n_max) : 1.0f / (float)n_max;
	miss = log_space ? -INFINITY : 0.0f;
	for (size_t i = 0; i < n; i++)
		x[i] = (max == -INFINITY || x[i] == max) ? hit : miss;
	return 1;
}

static void lt_softmax(float *x, size_t n)
{
	size_t n_max;
	float max = vec_max(x, n, &n_max);
	double sum;

	if (!n || vec_degenerate(x, n, max, n_max, 0))
		return;
	sum = exp_sum(x, x, n, max);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(x[i] / sum);
}

static void lt_log_softmax(float *x, size_t n)
{
	size_t n_max;
	float max = vec_max(x, n, &n_max), lse;

	if (!n || vec_degenerate(x, n, max, n_max, 1))
		return;
	lse = (float)log(exp_sum(x, NULL, n, max));
	/* x - max - log(sum exp(x - max)), per element in float as HF does */
	for (size_t i = 0; i < n; i++)
		x[i] = (x[i] - max) - lse;
}

static double lt_log_sum_exp(const float *x, size_t n, float *max_out)
{
	size_t n_max;
	float max = vec_max(x, n, &n_max);

	*max_out = max;
	return log(exp_sum(x, NULL, n, max));
}

/* Each distinct id once; ids are handled in chunks with a stack table so
 * no allocation is needed whatever n and n_tokens are. */
static void lt_repetition_penalty(float *logits, size_t n, const int32_t *tokens,
				  size_t n_tokens, float penalty)
{
	unsigned char seen[CHUNK_IDS];

	if (!(penalty > 0.0f) || penalty == 1.0f || !n_tokens || !tokens)
		return;
	for (size_t base = 0; base < n; base += CHUNK_IDS) {
		memset(seen, 0, sizeof(seen));
		for (size_t i = 0; i < n_tokens; i++) {
			size_t t = (size_t)tokens[i], j = t - base;

			if (tokens[i] < 0 || t >= n || t < base || j >= CHUNK_IDS || seen[j])
				continue;
			seen[j] = 1;
			logits[t] = logits[t] < 0 ? logits[t] * penalty : logits[t] / penalty;
		}
	}
}

static void lt_presence_frequency(float *logits, size_t n, const int32_t *tokens, size_t n_tokens,
				  float presence, float frequency)
{
	uint32_t count[CHUNK_IDS];

	if ((presence == 0.0f && frequency == 0.0f) || !n_tokens || !tokens)
		return;
	for (size_t base = 0; base < n; base += CHUNK_IDS) {
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n_tokens; i++) {
			size_t t = (size_t)tokens[i];

			if (tokens[i] >= 0 && t < n && t >= base && t - base < CHUNK_IDS)
				count[t - base]++;
		}
		/* apply once per distinct id (its count is cleared after use) */
		for (size_t i = 0; i < n_tokens; i++) {
			size_t t = (size_t)tokens[i];
			uint32_t c;

			if (tokens[i] < 0 || t >= n || t < base || t - base >= CHUNK_IDS)
				continue;
			c = count[t - base];
			if (!c)
				continue;
			logits[t] -= (float)c * frequency + presence;
			count[t - base] = 0;
		}
	}
}

static void lt_logit_bias(float *logits, size_t n, const int32_t *ids, const float *bias,
			  size_t n_bias)
{
	for (size_t i = 0; i < n_bias; i++)
		if (ids[i] >= 0 && (size_t)ids[i] < n)
			logits[ids[i]] += bias[i];
}

/* HF: the last ngram-1 tokens are the prefix; every complete earlier
 * n-gram starting with that prefix bans its last token. */
static void lt_no_repeat_ngram(float *logits, size_t n, const int32_t *tokens, size_t n_tokens,
			       uint32_t ngram)
{
	size_t prefix;
	const int32_t *tail;

	if (ngram == 0 || !tokens || n_tokens < ngram)
		return;
	prefix = ngram - 1;
	tail = tokens + n_tokens - prefix;
	for (size_t start = 0; start + ngram <= n_tokens; start++) {
		int32_t next = tokens[start + prefix];

		if (prefix && memcmp(tokens + start, tail, prefix * sizeof(*tokens)))
			continue;
		if (next >= 0 && (size_t)next < n)
			logits[next] = -INFINITY;
	}
}

/* ---- candidate arrays ------------------------------------------------- */

/* 1 when a ranks before b: higher logit, NaN last, then lower id. */
static int cand_before(const struct plume_candidate *a, const struct plume_candidate *b)
{
	if (a->logit > b->logit)
		return 1;
	if (a->logit < b->logit)
		return 0;
	if (isnan(a->logit) != isnan(b->logit))
		return isnan(b->logit);
	return a->id < b->id;
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct plume_candidate *a = pa, *b = pb;

	if (cand_before(a, b))
		return -1;
	return cand_before(b, a) ? 1 : 0;
}

static void cand_sort(struct plume_candidates *c)
{
	if (!c->sorted && c->n > 1)
		qsort(c->data, c->n, sizeof(*c->data), cand_cmp);
	c->sorted = 1;
}

static void lt_candidates_init(struct plume_candidates *c, const float *logits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		c->data[i].id = (int32_t)i;
		c->data[i].logit = logits[i];
		c->data[i].p = 0.0f;
	}
	c->n = n;
	c->sorted = 0;
}

static float cand_max(const struct plume_candidates *c, size_t *n_max)
{
	float max = -INFINITY;
	size_t cnt = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (c->data[i].logit > max) {
			max = c->data[i].logit;
			cnt = 1;
		} else if (c->data[i].logit == max) {
			cnt++;
		}
	}
	*n_max = cnt;
	return max;
}

/* p_i = exp(l_i - max) / sum in the current order; returns the sum of the
 * unnormalised weights (as the draw needs it). Degenerate maxima as for
 * the full-vector softmax. */
static double cand_probs(struct plume_candidates *c)
{
	size_t n_max;
	float max = cand_max(c, &n_max);
	double sum = 0.0;

	if (!isfinite(max)) {
		if (max == -INFINITY)
			n_max = c->n;
		for (size_t i = 0; i < c->n; i++) {
			int hit = max == -INFINITY || c->data[i].logit == max;

			c->data[i].p = hit ? 1.0f / (float)n_max : 0.0f;
		}
		return 1.0;
	}
	for (size_t i = 0; i < c->n; i++) {
		float e = expf(c->data[i].logit - max);

		c->data[i].p = isnan(e) ? 0.0f : e;
		sum += c->data[i].p;
	}
	for (size_t i = 0; i < c->n; i++)
		c->data[i].p = (float)(c->data[i].p / sum);
	return sum;
}

static void lt_candidates_softmax(struct plume_candidates *c)
{
	if (!c->n)
		return;
	cand_sort(c);
	cand_probs(c);
}

static void lt_temperature(struct plume_candidates *c, float t)
{
	if (!(t > 0.0f)) {
		/* t <= 0 (or NaN): greedy, the first maximum in current order */
		size_t best = 0;

		if (!c->n)
			return;
		for (size_t i = 1; i < c->n; i++)
			if (c->data[i].logit > c->data[best].logit)
				best = i;
		c->data[0] = c->data[best];
		c->n = 1;
		c->sorted = 1;
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		c->data[i].logit /= t;
}

/* Min-heap on rank (the root is the worst kept candidate). */
static void heap_sift(struct plume_candidate *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		struct plume_candidate tmp;

		if (l < n && cand_before(&h[w], &h[l]))
			w = l;
		if (r < n && cand_before(&h[w], &h[r]))
			w = r;
		if (w == i)
			return;
		tmp = h[i];
		h[i] = h[w];
		h[w] = tmp;
		i = w;
	}
}

/* Moves the k best (k < n) to the front, sorted; the array stays a
 * permutation. O(n log k) with a heap of the k best so far. */
static void cand_select(struct plume_candidates *c, size_t k)
{
	struct plume_candidate tmp;

	for (size_t i = k / 2; i-- > 0;)
		heap_sift(c->data, k, i);
	for (size_t j = k; j < c->n; j++) {
		if (cand_before(&c->data[j], &c->data[0])) {
			tmp = c->data[0];
			c->data[0] = c->data[j];
			c->data[j] = tmp;
			heap_sift(c->data, k, 0);
		}
	}
	qsort(c->data, k, sizeof(*c->data), cand_cmp);
}

static void lt_top_k(struct plume_candidates *c, int32_t k)
{
	size_t kk = (size_t)k;

	if (k <= 0)
		return;
	if (kk >= c->n || c->sorted || kk > c->n / 2)
		cand_sort(c);
	else
		cand_select(c, kk);
	c->n = kk < c->n ? kk : c->n;
	c->sorted = 1;
}

/* candidates_init then top_k(k) in one pass over the logits: the k best
 * are kept in a heap (cand_select's), and the logits are screened 16 at a
 * time against the heap's worst (a branch-free compare the compiler
 * vectorises) before any one-by-one insert. The threshold only rises and
 * a later id never wins a tie, so a group with no logit above it holds no
 * candidate cand_select would take: the same k candidates, sorted. */
static void lt_candidates_top_k(struct plume_candidates *c, const float *logits, size_t n,
				int32_t k)
{
	size_t kk = (size_t)k, j;
	struct plume_candidate *h = c->data;

	if (k <= 0 || kk > n / 2) {
		lt_candidates_init(c, logits, n);
		lt_top_k(c, k);
		return;
	}
	for (j = 0; j < kk; j++)
		h[j] = (struct plume_candidate){(int32_t)j, logits[j], 0.0f};
	for (size_t i = kk / 2; i-- > 0;)
		heap_sift(h, kk, i);
	while (j < n) {
		if (j + 16 <= n && !isnan(h[0].logit)) {
			float thr = h[0].logit;
			int any = 0;

			for (int l = 0; l < 16; l++)
				any |= logits[j + l] > thr;
			if (!any) {
				j += 16;
				continue;
			}
		}
		for (size_t e = j + 16 <= n ? j + 16 : n; j < e; j++) {
			struct plume_candidate x = {(int32_t)j, logits[j], 0.0f};

			if (cand_before(&x, &h[0])) {
				h[0] = x;
				heap_sift(h, kk, 0);
			}
		}
	}
	qsort(h, kk, sizeof(*h), cand_cmp);
	c->n = kk;
	c->sorted = 1;
}

/* descending float cumsum over the first m; keep through the first
 * cum >= p (at least min_keep). Returns 0 if not reached within m. */
static size_t top_p_cut(const struct plume_candidates *c, size_t m, float p, size_t min_keep)
{
	float cum = 0.0f;

	for (size_t i = 0; i < m; i++) {
		cum += c->data[i].p;
		if (cum >= p && i + 1 >= min_keep)
			return i + 1;
	}
	return 0;
}

static void lt_top_p(struct plume_candidates *c, float p, size_t min_keep)
{
	size_t cut;

	if (!(p < 1.0f) || !c->n)
		return;
	cand_probs(c);
	/* large unsorted arrays: the top 256, 2048, ... usually hold p */
	for (size_t m = 256; !c->sorted && m < c->n / 2; m *= 8) {
		cand_select(c, m);
		cut = top_p_cut(c, m, p, min_keep);
		if (cut) {
			c->n = cut;
			c->sorted = 1;
			return;
		}
	}
	cand_sort(c);
	cut = top_p_cut(c, c->n, p, min_keep);
	if (cut)
		c->n = cut;
}

static void lt_min_p(struct plume_candidates *c, float p, size_t min_keep)
{
	size_t n_max, keep = 0;
	float threshold;

	if (!(p > 0.0f) || !c->n)
		return;
	threshold = cand_max(c, &n_max) + logf(p);
	for (size_t i = 0; i < c->n; i++)
		keep += c->data[i].logit >= threshold;
	if (keep >= min_keep) {
		/* filter in place, preserving the order */
		size_t o = 0;

		for (size_t i = 0; i < c->n; i++)
			if (c->data[i].logit >= threshold)
				c->data[o++] = c->data[i];
		c->n = o;
		return;
	}
	cand_sort(c);
	c->n = min_keep < c->n ? min_keep : c->n;
}

/* After the sort, surprise -log p grows with the index, so |surprise - H|
 * falls then rises: the d-ascending order is a merge outward from the
 * split, and the kept set is a contiguous range of the sorted array. */
static void lt_typical(struct plume_candidates *c, float p, size_t min_keep)
{
	float entropy = 0.0f, cum = 0.0f;
	size_t lo, hi, taken = 0;

	if (!(p < 1.0f) || !c->n)
		return;
	lt_candidates_softmax(c);
	for (size_t i = 0; i < c->n; i++)
		if (c->data[i].p > 0.0f)
			entropy -= c->data[i].p * logf(c->data[i].p);
	hi = 0;
	while (hi < c->n && -logf(c->data[hi].p) < entropy)
		hi++;
	lo = hi; /* take from [lo - 1] downward and [hi] upward */
	while (lo > 0 || hi < c->n) {
		int from_lo;

		if (lo == 0)
			from_lo = 0;
		else if (hi == c->n)
			from_lo = 1;
		else /* ties go to the more probable side */
			from_lo = fabsf(-logf(c->data[lo - 1].p) - entropy) <=
				  fabsf(-logf(c->data[hi].p) - entropy);
		cum += from_lo ? c->data[--lo].p : c->data[hi++].p;
		taken++;
		if (cum > p && taken >= min_keep)
			break;
	}
	if (lo)
		memmove(c->data, c->data + lo, (hi - lo) * sizeof(*c->data));
	c->n = hi - lo;
	c->sorted = 1; /* survivors stay sorted by logit; see docs/strategies.md */
}

/* ---- RNG: xoshiro256** (Blackman & Vigna) seeded by splitmix64 -------- */

struct plume_rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int lt_rng_create(uint64_t seed, struct plume_rng **out)
{
	struct plume_rng *r = malloc(sizeof(*r));

	*out = NULL;
	if (!r)
		return PLUME_ERR_NOMEM;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
	*out = r;
	return PLUME_OK;
}

static void lt_rng_destroy(struct plume_rng *r)
{
	free(r);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct plume_rng *r)
{
	uint64_t result = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl(r->s[3], 45);
	return result;
}

static double lt_rng_uniform(struct plume_rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Like llama.cpp's dist: probabilities from the logits in the current
 * order (no sort), one uniform draw, linear CDF scan. The strict > never
 * selects a zero-probability entry. Always consumes one draw if n > 0. */
static int32_t lt_sample(struct plume_candidates *c, struct plume_rng *rng)
{
	double target, run = 0.0;

	if (!c->n)
		return -1;
	cand_probs(c);
	target = lt_rng_uniform(rng);
	for (size_t i = 0; i < c->n; i++) {
		run += c->data[i].p;
		if (run > target)
			return c->data[i].id;
	}
	/* rounding left the total just below target: last nonzero entry */
	for (size_t i = c->n; i-- > 0;)
		if (c->data[i].p > 0.0f)
			return c->data[i].id;
	return c->data[0].id;
}

const struct plume_logits_api *plume_logits_api_get(void)
{
	static const struct plume_logits_api api = {
		.size = sizeof(struct plume_logits_api),
		.abi_minor = PLUME_ABI_MINOR,
		.argmax = lt_argmax,
		.softmax = lt_softmax,
		.log_softmax = lt_log_softmax,
		.repetition_penalty = lt_repetition_penalty,
		.presence_frequency_penalty = lt_presence_frequency,
		.logit_bias = lt_logit_bias,
		.no_repeat_ngram = lt_no_repeat_ngram,
		.candidates_init = lt_candidates_init,
		.candidates_softmax = lt_candidates_softmax,
		.temperature = lt_temperature,
		.top_k = lt_top_k,
		.top_p = lt_top_p,
		.min_p = lt_min_p,
		.typical = lt_typical,
		.rng_create = lt_rng_create,
		.rng_destroy = lt_rng_destroy,
		.rng_uniform = lt_rng_uniform,
		.sample = lt_sample,
		.log_sum_exp = lt_log_sum_exp,
		.candidates_top_k = lt_candidates_top_k,
	};

	return &api;
}
