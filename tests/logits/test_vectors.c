/* Logits toolkit on full vocabulary vectors: argmax, softmax, log-softmax,
 * HF repetition penalty, presence/frequency penalties, logit bias and the
 * HF no-repeat n-gram ban. Expected values come from the formulas, computed
 * here in double. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "logits_test.h"

Test(logits, argmax_picks_lowest_id_on_ties)
{
	float x[] = { 1.0f, 3.0f, -2.0f, 3.0f, 3.0f };

	cr_assert_eq(lapi()->argmax(x, 5), 1);
}

Test(logits, argmax_ignores_nan)
{
	float x[] = { NAN, 0.5f, NAN, 2.0f, NAN };
	float all_nan[] = { NAN, NAN };
	float all_ninf[] = { -INFINITY, -INFINITY, -INFINITY };

	cr_assert_eq(lapi()->argmax(x, 5), 3);
	cr_assert_eq(lapi()->argmax(all_nan, 2), 0, "all NaN must stay in bounds");
	cr_assert_eq(lapi()->argmax(all_ninf, 3), 0);
	cr_assert_eq(lapi()->argmax(x, 0), -1, "empty vector has no argmax");
}

Test(logits, softmax_matches_direct_formula)
{
	float x[] = { 0.3f, -1.2f, 2.5f, 0.0f, 1.7f, -4.0f };
	double xd[6], p[6], sum = 0.0;

	for (int i = 0; i < 6; i++)
		xd[i] = x[i];
	ref_softmax(xd, 6, p);
	lapi()->softmax(x, 6);
	for (int i = 0; i < 6; i++) {
		cr_assert_float_eq(x[i], p[i], 1e-6, "p[%d] = %g, expected %g", i, x[i], p[i]);
		sum += x[i];
	}
	cr_assert_float_eq(sum, 1.0, 1e-6);
}

Test(logits, softmax_survives_huge_logits_and_neg_inf)
{
	float x[] = { 1000.0f, 999.0f, -INFINITY, 1000.0f };
	double e = exp(-1.0), s = 2.0 + e;

	lapi()->softmax(x, 4);
	cr_assert_float_eq(x[0], 1.0 / s, 1e-6);
	cr_assert_float_eq(x[1], e / s, 1e-6);
	cr_assert_eq(x[2], 0.0f);
	cr_assert_float_eq(x[3], 1.0 / s, 1e-6);
}

Test(logits, softmax_all_neg_inf_is_uniform_and_pos_inf_takes_all)
{
	float a[] = { -INFINITY, -INFINITY, -INFINITY, -INFINITY };
	float b[] = { 1.0f, INFINITY, 0.0f, INFINITY };

	lapi()->softmax(a, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_float_eq(a[i], 0.25, 1e-7);
	lapi()->softmax(b, 4);
	cr_assert_eq(b[0], 0.0f);
	cr_assert_float_eq(b[1], 0.5, 1e-7);
	cr_assert_eq(b[2], 0.0f);
	cr_assert_float_eq(b[3], 0.5, 1e-7);
}

Test(logits, log_softmax_matches_log_of_softmax)
{
	float x[] = { 0.3f, -1.2f, 2.5f, 88.0f, 87.5f, -INFINITY };
	double xd[6], p[6];

	for (int i = 0; i < 6; i++)
		xd[i] = x[i];
	ref_softmax(xd, 6, p);
	lapi()->log_softmax(x, 6);
	for (int i = 0; i < 5; i++)
		cr_assert_float_eq(x[i], log(p[i]), 1e-5, "[%d] %g vs %g", i, x[i], log(p[i]));
	cr_assert(isinf(x[5]) && x[5] < 0);
}

Test(logits, log_softmax_all_neg_inf_is_uniform)
{
	float x[] = { -INFINITY, -INFINITY };

	lapi()->log_softmax(x, 2);
	cr_assert_float_eq(x[0], -log(2.0), 1e-6);
	cr_assert_float_eq(x[1], -log(2.0), 1e-6);
}

Test(logits, repetition_penalty_divides_positive_multiplies_negative_once)
{
	float x[] = { 2.0f, -2.0f, 0.0f, 1.0f, -0.5f };
	const int32_t toks[] = { 0, 1, 2, 0, 0, 1, -3, 99 }; /* repeats, out of range */

	lapi()->repetition_penalty(x, 5, toks, 8, 2.0f);
	cr_assert_float_eq(x[0], 2.0 / 2.0, 1e-7, "positive: divided, not compounded");
	cr_assert_float_eq(x[1], -2.0 * 2.0, 1e-7, "negative: multiplied once");
	cr_assert_eq(x[2], 0.0f);
	cr_assert_eq(x[3], 1.0f, "absent token untouched");
	cr_assert_eq(x[4], -0.5f);
}

Test(logits, repetition_penalty_reaches_ids_across_a_large_vocab)
{
	size_t n = 262144;
	float *x = malloc(n * sizeof(*x));
	const int32_t toks[] = { 262143, 5000, 5000, 131072, 0 };

	cr_assert_not_null(x);
	for (size_t i = 0; i < n; i++)
		x[i] = (i % 2) ? -1.5f : 3.0f;
	lapi()->repetition_penalty(x, n, toks, 5, 1.5f);
	for (size_t i = 0; i < n; i++) {
		int hit = i == 262143 || i == 5000 || i == 131072 || i == 0;
		double base = (i % 2) ? -1.5 : 3.0;
		double want = !hit ? base : base < 0 ? base * 1.5 : base / 1.5;

		cr_assert_float_eq(x[i], want, 1e-6, "id %zu: %g vs %g", i, x[i], want);
	}
	free(x);
}

Test(logits, presence_frequency_uses_counts_in_window)
{
	float x[8];
	const int32_t toks[] = { 3, 3, 3, 1, 7, 3, 1, 42 };
	const float pres = 0.5f, freq = 0.25f;

	for (int i = 0; i < 8; i++)
		x[i] = (float)i * 0.1f;
	lapi()->presence_frequency_penalty(x, 8, toks, 8, pres, freq);
	for (int i = 0; i < 8; i++) {
		int c = 0;

		for (int j = 0; j < 8; j++)
			c += toks[j] == i;
		double want = i * 0.1 - c * 0.25 - (c > 0 ? 0.5 : 0.0);

		cr_assert_float_eq(x[i], want, 1e-6, "id %d (count %d): %g vs %g", i, c, x[i],
				   want);
	}
}

Test(logits, logit_bias_adds_and_skips_out_of_range)
{
	float x[] = { 1.0f, 1.0f, 1.0f };
	const int32_t ids[] = { 2, -1, 3, 0, 2 };
	const float bias[] = { 0.5f, 9.0f, 9.0f, -INFINITY, 0.25f };

	lapi()->logit_bias(x, 3, ids, bias, 5);
	cr_assert(isinf(x[0]) && x[0] < 0);
	cr_assert_eq(x[1], 1.0f);
	cr_assert_float_eq(x[2], 1.75, 1e-7);
}

/* HF's rule written as a brute force: collect every n-gram, ban the last
 * token of those whose first n-1 tokens equal the sequence's last n-1. */
static void ref_ngram_bans(const int32_t *t, size_t len, size_t ng, int *banned, size_t n)
{
	for (size_t i = 0; i < n; i++)
		banned[i] = 0;
	if (len + 1 < ng)
		return;
	for (size_t s = 0; s + ng <= len; s++) {
		int eq = 1;

		for (size_t k = 0; k + 1 < ng; k++)
			eq &= t[s + k] == t[len - (ng - 1) + k];
		if (eq)
			banned[t[s + ng - 1]] = 1;
	}
}

Test(logits, no_repeat_ngram_bans_exactly_the_completions)
{
	const int32_t seq[] = { 1, 2, 3, 1, 2, 4, 5, 1, 2 };
	size_t len = sizeof(seq) / sizeof(*seq);

	for (uint32_t ng = 1; ng <= 3; ng++) {
		float x[8];
		int banned[8], n_banned = 0;

		for (int i = 0; i < 8; i++)
			x[i] = 1.0f;
		ref_ngram_bans(seq, len, ng, banned, 8);
		lapi()->no_repeat_ngram(x, 8, seq, len, ng);
		for (int i = 0; i < 8; i++) {
			cr_assert_eq(isinf(x[i]) != 0, banned[i] != 0, "n=%u id %d", ng, i);
			n_banned += banned[i];
		}
		cr_assert(n_banned > 0, "n=%u: the constructed sequence bans something", ng);
	}
	/* n=3: prefix (1,2) was followed by 3 and 4 */
	float y[8] = { 0 };

	lapi()->no_repeat_ngram(y, 8, seq, len, 3);
	cr_assert(isinf(y[3]) && isinf(y[4]) && !isinf(y[5]) && !isinf(y[1]));
}

Test(logits, no_repeat_ngram_needs_a_complete_earlier_ngram)
{
	const int32_t seq[] = { 5, 5 };
	float x[8] = { 0 };

	lapi()->no_repeat_ngram(x, 8, seq, 1, 2); /* one token: no bigram yet */
	lapi()->no_repeat_ngram(x, 8, seq, 2, 3); /* shorter than n */
	lapi()->no_repeat_ngram(x, 8, seq, 2, 0); /* n = 0: disabled */
	for (int i = 0; i < 8; i++)
		cr_assert_eq(x[i], 0.0f);
	lapi()->no_repeat_ngram(x, 8, seq, 2, 2); /* (5,5) exists, prefix (5) */
	cr_assert(isinf(x[5]));
}

/* Vocabulary-sized rows: the AVX-512 loops (exp, max, sums) and the
 * portable ones give the same bits, and both the exact distribution within
 * a few float ulps (a double-precision reference). */
Test(logits, long_rows_same_bits_vector_and_portable_and_accurate)
{
	enum { N = 49152 + 7 };
	static float a[N], b[N], c[N], d[N], x[N];
	static double xd[N], p[N];
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (int rep = 0; rep < 4; rep++) {
		double worst = 0.0, xmax, lse, lse2, ref_lse = 0.0;
		float lmax, lmax2;

		for (int i = 0; i < N; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 40.0 - 30.0) * (rep + 1) * 0.5f;
		}
		x[rep * 100] = -INFINITY;
		x[rep * 100 + 1] = 12.0f * (rep + 1); /* the max, twice */
		x[N - 1] = x[rep * 100 + 1];
		memcpy(a, x, sizeof(x));
		memcpy(b, x, sizeof(x));
		memcpy(c, x, sizeof(x));
		memcpy(d, x, sizeof(x));
		lapi()->log_softmax(a, N);
		lapi()->softmax(c, N);
		lse = lapi()->log_sum_exp(x, N, &lmax);
		plume_logits_force_scalar(1);
		lapi()->log_softmax(b, N);
		lapi()->softmax(d, N);
		lse2 = lapi()->log_sum_exp(x, N, &lmax2);
		plume_logits_force_scalar(0);
		cr_assert(lse == lse2 && lmax == lmax2, "log_sum_exp: vector and portable loops differ");
		/* log_softmax is x - max - log_sum_exp, in float */
		cr_assert(lmax == x[N - 1]);
		for (int i = 0; i < N; i++)
			cr_assert(!memcmp(&a[i], &(float){(x[i] - lmax) - (float)lse}, sizeof(float)),
				  "log_softmax[%d] is not x - max - log_sum_exp", i);
		cr_assert(!memcmp(a, b, sizeof(a)), "log_softmax: vector and portable loops differ");
		cr_assert(!memcmp(c, d, sizeof(c)), "softmax: vector and portable loops differ");
		for (int i = 0; i < N; i++)
			xd[i] = x[i];
		ref_softmax(xd, N, p);
		xmax = x[N - 1];
		for (int i = 0; i < N; i++)
			ref_lse += exp(xd[i] - xmax);
		ref_lse = log(ref_lse);
		cr_assert(fabs(lse - ref_lse) <= 2e-7 * fmax(1.0, fabs(ref_lse)), "log_sum_exp %.12g vs %.12g",
			  lse, ref_lse);
		for (int i = 0; i < N; i++) {
			if (p[i] < 1e-30)
				continue;
			/* x - max is rounded to float (relative 2^-24 of it, as
			 * an absolute error in the exponent), then a few ulps */
			cr_assert(fabs(c[i] - p[i]) <= (6e-8 * fabs(xd[i] - xmax) + 4e-7) * p[i] + 1e-45,
				  "softmax[%d] %.9g vs %.9g", i, c[i], p[i]);
			if (fabs(a[i] - log(p[i])) > worst)
				worst = fabs(a[i] - log(p[i]));
			/* float rounding of x - max and of (x - max) - lse: half
			 * an ulp of each, plus the lse error */
			cr_assert(fabs(a[i] - log(p[i])) <= 6e-8 * (fabs(xd[i] - xmax) + fabs(log(p[i]))) + 2e-7,
				  "log_softmax[%d] %.9g vs %.9g", i, a[i], log(p[i]));
		}
		cr_assert(isinf(a[rep * 100]) && a[rep * 100] < 0 && c[rep * 100] == 0.0f);
		cr_assert(worst > 0.0); /* the comparison saw rounding, so it was live */
	}
}
