/* Logits toolkit randomness: the xoshiro256** stream is reproducible and
 * seed-dependent, uniform (chi-square), and `sample` draws each survivor of
 * every filter with the expected probability (chi-square, fixed seed).
 * Thresholds: chi-square upper quantiles at alpha = 0.001. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "logits_test.h"

/* chi2_crit[df] = upper 0.001 quantile of chi-square with df degrees */
static const double chi2_crit[] = { 0, 10.828, 13.816, 16.266, 18.467, 20.515,
				    22.458, 24.322, 26.124, 27.877 };

static struct plume_rng *rng_new(uint64_t seed)
{
	struct plume_rng *r = NULL;

	cr_assert_eq(lapi()->rng_create(seed, &r), 0);
	cr_assert_not_null(r);
	return r;
}

Test(logits, rng_same_seed_same_stream_other_seed_differs)
{
	struct plume_rng *a = rng_new(42), *b = rng_new(42), *c = rng_new(43);
	int differ = 0;

	for (int i = 0; i < 1000; i++) {
		double x = lapi()->rng_uniform(a), y = lapi()->rng_uniform(b);
		double z = lapi()->rng_uniform(c);

		cr_assert_eq(x, y, "draw %d", i);
		cr_assert(x >= 0.0 && x < 1.0);
		differ += x != z;
	}
	cr_assert(differ > 990, "seeds 42 and 43 gave %d equal draws of 1000", 1000 - differ);
	lapi()->rng_destroy(a);
	lapi()->rng_destroy(b);
	lapi()->rng_destroy(c);
}

/* The published algorithms, written out here: splitmix64 seeding of
 * xoshiro256**, uniform from the top 53 bits. Pins the stream so that it
 * is the same on every platform and build. */
static uint64_t ref_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

Test(logits, rng_is_xoshiro256ss_seeded_by_splitmix64)
{
	uint64_t s[4], x = 2024;
	struct plume_rng *r = rng_new(2024);

	for (int i = 0; i < 4; i++) {
		uint64_t z = (x += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		s[i] = z ^ (z >> 31);
	}
	for (int i = 0; i < 100; i++) {
		uint64_t out = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

		s[2] ^= s[0];
		s[3] ^= s[1];
		s[1] ^= s[2];
		s[0] ^= s[3];
		s[2] ^= t;
		s[3] = ref_rotl(s[3], 45);
		cr_assert_eq(lapi()->rng_uniform(r), (double)(out >> 11) / 9007199254740992.0);
	}
	lapi()->rng_destroy(r);
}

Test(logits, rng_uniform_passes_chi_square)
{
	struct plume_rng *r = rng_new(12345);
	long bins[10] = { 0 };
	const long n = 100000;
	double chi2 = 0.0, e = n / 10.0;

	for (long i = 0; i < n; i++)
		bins[(int)(lapi()->rng_uniform(r) * 10.0)]++;
	for (int b = 0; b < 10; b++)
		chi2 += (bins[b] - e) * (bins[b] - e) / e;
	/* df 9: above 27.877 is too uneven, below 2.088 (lower 0.01) too even */
	cr_assert(chi2 < chi2_crit[9] && chi2 > 2.088, "chi2 = %g", chi2);
	lapi()->rng_destroy(r);
}

enum filter { F_NONE, F_TOP_K, F_TOP_P, F_MIN_P, F_TYPICAL, F_TEMP, F_CHAIN };

static const float voc[5] = { 2.0f, 1.5f, 1.0f, 0.2f, -1.0f };

static void apply(struct plume_candidates *c, enum filter f)
{
	const struct plume_logits_api *L = lapi();

	switch (f) {
	case F_NONE: break;
	case F_TOP_K: L->top_k(c, 3); break;
	case F_TOP_P: L->top_p(c, 0.8f, 0); break;
	case F_MIN_P: L->min_p(c, 0.3f, 0); break;
	case F_TYPICAL: L->typical(c, 0.4f, 0); break;
	case F_TEMP: L->temperature(c, 0.7f); break;
	case F_CHAIN: /* llama.cpp default order: top-k, top-p, min-p, temperature */
		L->top_k(c, 4);
		L->top_p(c, 0.95f, 0);
		L->min_p(c, 0.05f, 0);
		L->temperature(c, 0.8f);
		break;
	}
}

/* expected distribution from the definitions, in double */
static void expected(enum filter f, double *q)
{
	double x[5], p[5], t = f == F_TEMP ? 0.7 : f == F_CHAIN ? 0.8 : 1.0;
	int keep[5] = { 1, 1, 1, 1, 1 };
	double cum = 0.0;

	for (int i = 0; i < 5; i++)
		x[i] = voc[i];
	ref_softmax(x, 5, p); /* voc is sorted descending */
	for (int i = 0; i < 5; i++) {
		if (f == F_TOP_K)
			keep[i] = i < 3;
		if (f == F_TOP_P || f == F_CHAIN) {
			keep[i] = cum < (f == F_TOP_P ? 0.8 : 0.95);
			cum += p[i];
		}
		if (f == F_MIN_P)
			keep[i] = p[i] >= 0.3 * p[0];
		if (f == F_CHAIN)
			keep[i] = keep[i] && i < 4 && p[i] >= 0.05 * p[0];
	}
	if (f == F_TYPICAL) { /* with this vector: |-log p - H| order is 1, 2, 0, ... */
		double h = 0.0;

		for (int i = 0; i < 5; i++)
			h -= p[i] * log(p[i]);
		cr_assert(fabs(-log(p[1]) - h) < fabs(-log(p[2]) - h));
		cr_assert(fabs(-log(p[2]) - h) < fabs(-log(p[0]) - h));
		cr_assert(p[1] + p[2] > 0.4 && p[1] < 0.4);
		for (int i = 0; i < 5; i++)
			keep[i] = i == 1 || i == 2;
	}
	for (int i = 0; i < 5; i++)
		x[i] = keep[i] ? voc[i] / t : -INFINITY;
	ref_softmax(x, 5, q);
}

static void check_draws(enum filter f, uint64_t seed)
{
	struct plume_candidate buf[5];
	struct plume_candidates c = { .data = buf };
	struct plume_rng *r = rng_new(seed);
	const long n = 60000;
	long hits[5] = { 0 };
	double q[5], chi2 = 0.0;
	int df = -1;

	expected(f, q);
	for (long i = 0; i < n; i++) {
		int32_t id;

		lapi()->candidates_init(&c, voc, 5);
		apply(&c, f);
		id = lapi()->sample(&c, r);
		cr_assert(id >= 0 && id < 5);
		hits[id]++;
	}
	for (int i = 0; i < 5; i++) {
		if (q[i] == 0.0) {
			cr_assert_eq(hits[i], 0, "filter %d: id %d was filtered out", f, i);
			continue;
		}
		chi2 += (hits[i] - n * q[i]) * (hits[i] - n * q[i]) / (n * q[i]);
		df++;
	}
	cr_assert(df >= 1, "filter %d leaves a choice", f);
	cr_assert(chi2 < chi2_crit[df], "filter %d: chi2 %g df %d", f, chi2, df);
	lapi()->rng_destroy(r);
}

Test(logits, sample_frequencies_match_p_after_each_filter)
{
	for (enum filter f = F_NONE; f <= F_CHAIN; f++)
		check_draws(f, 1000 + (uint64_t)f);
}

Test(logits, sample_never_draws_a_banned_token)
{
	const float x[] = { -INFINITY, 0.0f, -INFINITY, 0.0f };
	struct plume_candidate buf[4];
	struct plume_candidates c = { .data = buf };
	struct plume_rng *r = rng_new(7);
	long ones = 0;

	for (int i = 0; i < 2000; i++) {
		int32_t id;

		lapi()->candidates_init(&c, x, 4);
		id = lapi()->sample(&c, r);
		cr_assert(id == 1 || id == 3, "drew %d", id);
		ones += id == 1;
	}
	cr_assert(ones > 850 && ones < 1150, "%ld of 2000", ones);
	c.n = 0;
	cr_assert_eq(lapi()->sample(&c, r), -1, "empty candidate array");
	lapi()->rng_destroy(r);
}
