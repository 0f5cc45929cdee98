/* Statistics for paired experiments (plume ab): summaries, the paired
 * bootstrap, the sign test and the per-output text metrics. See stats.h. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Copy the finite values of x into a malloc'ed array (sorted when asked). */
static double *finite_copy(const double *x, size_t n, size_t *m, int sort)
{
	double *v = malloc((n ? n : 1) * sizeof(*v));

	*m = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i]))
			v[(*m)++] = x[i];
	if (sort)
		qsort(v, *m, sizeof(*v), cmp_double);
	return v;
}

double plume_stats_quantile(const double *sorted, size_t n, double q)
{
	double h, lo;
	size_t i;

	if (!n)
		return NAN;
	h = q * (double)(n - 1);
	lo = floor(h);
	i = (size_t)lo;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (h - lo) * (sorted[i + 1] - sorted[i]);
}

int plume_stats_summary(const double *x, size_t n, struct plume_summary *out)
{
	size_t m;
	double *v = finite_copy(x, n, &m, 1);

	if (!v)
		return PLUME_ERR_NOMEM;
	out->n = m;
	out->median = plume_stats_quantile(v, m, 0.5);
	out->q1 = plume_stats_quantile(v, m, 0.25);
	out->q3 = plume_stats_quantile(v, m, 0.75);
	free(v);
	return PLUME_OK;
}

double plume_stats_mean(const double *x, size_t n)
{
	double s = 0;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i])) {
			s += x[i];
			m++;
		}
	return m ? s / (double)m : NAN;
}

uint64_t plume_stats_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int plume_stats_bootstrap_ci(const double *d, size_t n, uint32_t n_boot, uint64_t seed,
			     double alpha, double *lo, double *hi)
{
	size_t m;
	double *v = finite_copy(d, n, &m, 0), *means;
	uint64_t st = seed;

	*lo = *hi = NAN;
	if (!v)
		return PLUME_ERR_NOMEM;
	if (!m || !n_boot) {
		free(v);
		return PLUME_OK;
	}
	means = malloc(n_boot * sizeof(*means));
	if (!means) {
		free(v);
		return PLUME_ERR_NOMEM;
	}
	for (uint32_t b = 0; b < n_boot; b++) {
		double s = 0;

		for (size_t i = 0; i < m; i++)
			s += v[plume_stats_splitmix64(&st) % m];
		means[b] = s / (double)m;
	}
	qsort(means, n_boot, sizeof(*means), cmp_double);
	*lo = plume_stats_quantile(means, n_boot, alpha / 2);
	*hi = plume_stats_quantile(means, n_boot, 1 - alpha / 2);
	free(means);
	free(v);
	return PLUME_OK;
}

double plume_stats_sign_test(const double *d, size_t n)
{
	size_t k = 0, m = 0, t;
	double lp, tail = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isfinite(d[i]) || d[i] == 0)
			continue;
		m++;
		k += d[i] > 0;
	}
	if (!m)
		return 1.0;
	t = k < m - k ? k : m - k;
	/* P(X <= t), X ~ Bin(m, 1/2), summed in log space for large m */
	for (size_t i = 0; i <= t; i++) {
		lp = lgamma((double)m + 1) - lgamma((double)i + 1) - lgamma((double)(m - i) + 1) -
		     (double)m * log(2.0);
		tail += exp(lp);
	}
	return fmin(1.0, 2 * tail);
}

/* Each n-gram is looked up among the earlier ones: O(len^2 n), which is
 * nothing for outputs of a few hundred tokens and needs no memory. */
static double ngram_stat(const int32_t *ids, size_t len, size_t n, int distinct)
{
	size_t m, uniq = 0;

	if (!n || len < n)
		return NAN;
	m = len - n + 1;
	for (size_t i = 0; i < m; i++) {
		size_t j = 0;

		while (j < i && memcmp(ids + i, ids + j, n * sizeof(*ids)))
			j++;
		uniq += j == i;
	}
	/* every occurrence after the first of an n-gram is a repeat */
	return distinct ? (double)uniq / (double)m : (double)(m - uniq) / (double)m;
}

double plume_stats_distinct(const int32_t *ids, size_t len, size_t n)
{
	return ngram_stat(ids, len, n, 1);
}

double plume_stats_repeat_rate(const int32_t *ids, size_t len, size_t n)
{
	return ngram_stat(ids, len, n, 0);
}

double plume_stats_rouge_l(const int32_t *cand, size_t n_cand, const int32_t *ref,
			   size_t n_ref)
{
	size_t *row;
	double lcs, p, r;

	if (!n_cand || !n_ref)
		return 0.0;
	/* LCS by dynamic programming, one row of n_ref + 1 */
	row = calloc(n_ref + 1, sizeof(*row));
	if (!row)
		return NAN;
	for (size_t i = 0; i < n_cand; i++) {
		size_t diag = 0;

		for (size_t j = 1; j <= n_ref; j++) {
			size_t up = row[j];

			row[j] = cand[i] == ref[j - 1] ? diag + 1 : (row[j - 1] > up ? row[j - 1] : up);
			diag = up;
		}
	}
	lcs = (double)row[n_ref];
	free(row);
	if (lcs == 0)
		return 0.0;
	p = lcs / (double)n_cand;
	r = lcs / (double)n_ref;
	return 2 * p * r / (p + r);
}

static int isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int plume_stats_words(const char *text, size_t len, int32_t **ids, size_t *n)
{
	int32_t *v = malloc((len / 2 + 1) * sizeof(*v));
	size_t m = 0, i = 0;

	if (!v)
		return PLUME_ERR_NOMEM;
	while (i < len) {
		uint32_t h = 2166136261u;
		size_t start;

		while (i < len && !isalnum_ascii(text[i]))
			i++;
		start = i;
		while (i < len && isalnum_ascii(text[i])) {
			char c = text[i++];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			h = (h ^ (uint8_t)c) * 16777619u;
		}
		if (i > start)
			v[m++] = (int32_t)(h & 0x7fffffff);
	}
	*ids = v;
	*n = m;
	return PLUME_OK;
}
