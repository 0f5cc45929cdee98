/* Statistics for paired experiments (plume ab): quantiles and five-number
 * summaries, the paired bootstrap interval of a mean difference, the exact
 * two-sided sign test, and the text metrics computed per output (distinct-n,
 * repeated n-gram rate, ROUGE-L F1). Pure functions on caller arrays; the
 * reference values in tests/data/ab come from scipy/numpy
 * (scripts/ref/ab_stats_ref.py). NaN inputs are missing values: skipped. */
#ifndef PLUME_CORE_STATS_H
#define PLUME_CORE_STATS_H

#include <stddef.h>
#include <stdint.h>

struct plume_summary {
	double median, q1, q3;   /* NaN when n == 0 */
	size_t n;                /* finite values summarised */
};

/* q-quantile (0..1) of sorted[0..n) by linear interpolation between order
 * statistics (numpy's default, Hyndman-Fan type 7). NaN when n == 0. */
double plume_stats_quantile(const double *sorted, size_t n, double q);

/* Median, first and third quartile of the finite values of x. 0 or
 * PLUME_ERR_NOMEM. */
int plume_stats_summary(const double *x, size_t n, struct plume_summary *out);

/* Mean of the finite values of x; NaN when there are none. */
double plume_stats_mean(const double *x, size_t n);

/* The generator of the bootstrap: splitmix64 (Steele, Lea, Flood), so that
 * a script reproduces the resamples exactly. */
uint64_t plume_stats_splitmix64(uint64_t *state);

/* Percentile bootstrap of the mean of the paired differences d[0..n)
 * (NaN entries dropped first): n_boot resamples of the n values with
 * replacement, index = splitmix64() % n, from state = seed; the interval is
 * the (alpha/2, 1 - alpha/2) quantiles (type 7) of the resampled means.
 * lo = hi = NaN when no finite difference. 0 or PLUME_ERR_NOMEM. */
int plume_stats_bootstrap_ci(const double *d, size_t n, uint32_t n_boot, uint64_t seed,
			     double alpha, double *lo, double *hi);

/* Exact two-sided sign test of the paired differences: zeros and NaN are
 * dropped, k = positives among m non-zero; p = min(1, 2 P(X <= min(k, m-k)))
 * for X ~ Binomial(m, 1/2) (scipy.stats.binomtest(k, m).pvalue). 1 when m = 0. */
double plume_stats_sign_test(const double *d, size_t n);

/* distinct-n: distinct n-grams / n-grams in ids[0..len) (Li et al. 2016);
 * NaN when len < n. */
double plume_stats_distinct(const int32_t *ids, size_t len, size_t n);

/* Repeated n-gram rate: n-grams that occurred earlier in the same output /
 * n-grams; NaN when len < n. */
double plume_stats_repeat_rate(const int32_t *ids, size_t len, size_t n);

/* ROUGE-L F1 (beta = 1) between candidate and reference token sequences:
 * LCS / len gives precision and recall, F1 their harmonic mean; 0 when
 * either is empty or the LCS is 0. NaN on allocation failure. */
double plume_stats_rouge_l(const int32_t *cand, size_t n_cand, const int32_t *ref,
			   size_t n_ref);

/* Words of a text for ROUGE-L, as the rouge-score package's default
 * tokenizer: lower-case, every run of bytes other than [a-z0-9] is a
 * separator. Words are hashed to ids (FNV-1a, 31 bits). *ids is malloc'ed
 * (NULL when n = 0 is allowed). 0 or PLUME_ERR_NOMEM. */
int plume_stats_words(const char *text, size_t len, int32_t **ids, size_t *n);

#endif
