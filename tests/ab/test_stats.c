/* core/stats.c against reference values computed independently with
 * numpy/scipy (scripts/ref/ab_stats_ref.py -> tests/data/ab/stats_ref.txt),
 * plus hand-checked edge cases. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define MAXV 512

static FILE *open_ref(void)
{
	char path[1024];
	const char *src = getenv("PLUME_SOURCE_DIR");
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/ab/stats_ref.txt", src ? src : ".");
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	return f;
}

static void read_doubles(FILE *f, double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(fscanf(f, "%lf", &v[i]), 1);
}

static void read_ids(FILE *f, int32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(fscanf(f, "%d", &v[i]), 1);
}

static void expect_close(double got, double want, const char *what, int line)
{
	if (isnan(want)) {
		cr_expect(isnan(got), "%s (case %d): got %.17g, want nan", what, line, got);
		return;
	}
	cr_expect(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want)),
		  "%s (case %d): got %.17g, want %.17g", what, line, got, want);
}

/* Walk the reference file and check every case of the given kind. */
static int run_cases(const char *kind)
{
	FILE *f = open_ref();
	char word[32];
	int n_cases = 0, line = 0;

	while (fscanf(f, "%31s", word) == 1) {
		double x[MAXV], y[MAXV], a, b, c;
		int32_t ia[MAXV], ib[MAXV];
		size_t n, m, k;

		line++;
		if (word[0] == '#') {
			int ch;

			while ((ch = fgetc(f)) != '\n' && ch != EOF)
				;
			continue;
		}
		if (!strcmp(word, "summary")) {
			struct plume_summary s;

			cr_assert_eq(fscanf(f, "%zu", &n), 1);
			cr_assert_leq(n, MAXV);
			read_doubles(f, x, n);
			read_doubles(f, y, 3);
			if (strcmp(kind, word))
				continue;
			cr_assert_eq(plume_stats_summary(x, n, &s), 0);
			cr_expect_eq(s.n, n);
			expect_close(s.median, y[0], "median", line);
			expect_close(s.q1, y[1], "q1", line);
			expect_close(s.q3, y[2], "q3", line);
		} else if (!strcmp(word, "bootstrap")) {
			unsigned long long seed;
			unsigned boot;
			double lo, hi;

			cr_assert_eq(fscanf(f, "%llu %u %lf %zu", &seed, &boot, &a, &n), 4);
			read_doubles(f, x, n);
			read_doubles(f, y, 2);
			if (strcmp(kind, word))
				continue;
			cr_assert_eq(plume_stats_bootstrap_ci(x, n, boot, seed, a, &lo, &hi), 0);
			expect_close(lo, y[0], "bootstrap lo", line);
			expect_close(hi, y[1], "bootstrap hi", line);
		} else if (!strcmp(word, "sign")) {
			cr_assert_eq(fscanf(f, "%zu", &n), 1);
			read_doubles(f, x, n);
			read_doubles(f, &a, 1);
			if (strcmp(kind, word))
				continue;
			expect_close(plume_stats_sign_test(x, n), a, "sign test p", line);
		} else if (!strcmp(word, "distinct") || !strcmp(word, "repeat")) {
			cr_assert_eq(fscanf(f, "%zu %zu", &k, &n), 2);
			read_ids(f, ia, n);
			cr_assert_eq(fscanf(f, "%lf", &a), 1);
			if (strcmp(kind, word))
				continue;
			b = !strcmp(word, "distinct") ? plume_stats_distinct(ia, n, k)
						      : plume_stats_repeat_rate(ia, n, k);
			expect_close(b, a, word, line);
		} else if (!strcmp(word, "rouge")) {
			cr_assert_eq(fscanf(f, "%zu", &n), 1);
			read_ids(f, ia, n);
			cr_assert_eq(fscanf(f, "%zu", &m), 1);
			read_ids(f, ib, m);
			cr_assert_eq(fscanf(f, "%lf", &c), 1);
			if (strcmp(kind, word))
				continue;
			expect_close(plume_stats_rouge_l(ia, n, ib, m), c, "rouge-l", line);
		} else {
			cr_assert_fail("unknown case '%s' in stats_ref.txt", word);
		}
		n_cases++;
	}
	fclose(f);
	return n_cases;
}

Test(ab_stats, quartiles_equal_numpy_percentile)
{
	cr_assert_geq(run_cases("summary"), 5);
}

Test(ab_stats, bootstrap_interval_equals_replayed_resampling)
{
	cr_assert_geq(run_cases("bootstrap"), 5);
}

Test(ab_stats, sign_test_equals_scipy_binomtest)
{
	cr_assert_geq(run_cases("sign"), 5);
}

Test(ab_stats, distinct_and_repeat_rates_equal_python_sets)
{
	cr_assert_geq(run_cases("distinct"), 10);
	cr_assert_geq(run_cases("repeat"), 10);
}

Test(ab_stats, rouge_l_equals_reference_lcs)
{
	cr_assert_geq(run_cases("rouge"), 5);
}

Test(ab_stats, missing_values_are_skipped)
{
	double x[] = {NAN, 1, 2, INFINITY, 3};
	struct plume_summary s;
	double lo, hi;

	cr_assert_eq(plume_stats_summary(x, 5, &s), 0);
	cr_expect_eq(s.n, 3);
	cr_expect_float_eq(s.median, 2.0, 1e-12);
	cr_assert_eq(plume_stats_summary(x, 1, &s), 0);
	cr_expect_eq(s.n, 0);
	cr_expect(isnan(s.median));
	cr_assert_eq(plume_stats_bootstrap_ci(x, 1, 100, 1, 0.05, &lo, &hi), 0);
	cr_expect(isnan(lo) && isnan(hi));
	cr_expect_float_eq(plume_stats_mean(x, 5), 2.0, 1e-12);
}

Test(ab_stats, identical_differences_give_a_zero_width_interval)
{
	double d[6] = {0};
	double lo, hi;

	cr_assert_eq(plume_stats_bootstrap_ci(d, 6, 1000, 5, 0.05, &lo, &hi), 0);
	cr_expect_eq(lo, 0.0);
	cr_expect_eq(hi, 0.0);
	cr_expect_eq(plume_stats_sign_test(d, 6), 1.0);
}

Test(ab_stats, words_follow_the_rouge_score_tokenizer)
{
	int32_t *a, *b;
	size_t na, nb;

	const char *t = "The cat, the CAT!  sat-on 2 mats";

	cr_assert_eq(plume_stats_words(t, strlen(t), &a, &na), 0);
	cr_assert_eq(na, 8);
	cr_expect_eq(a[0], a[2]); /* the == The */
	cr_expect_eq(a[1], a[3]); /* cat == CAT */
	cr_expect_neq(a[0], a[1]);
	cr_assert_eq(plume_stats_words("sat on 2 mats", 13, &b, &nb), 0);
	cr_assert_eq(nb, 4);
	/* LCS 4 of 8 and 4: P 1/2, R 1 */
	cr_expect_float_eq(plume_stats_rouge_l(a, na, b, nb), 2.0 / 3, 1e-12);
	free(a);
	free(b);
	cr_assert_eq(plume_stats_words(" ,; ", 4, &a, &na), 0);
	cr_expect_eq(na, 0);
	free(a);
}
