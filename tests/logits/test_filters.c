/* Logits toolkit candidate filters (llama.cpp semantics): each keeps
 * exactly the expected set, computed here from the definitions in double
 * (ties, min_keep, exact cumulative landings), plus init, softmax and
 * temperature. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "logits_test.h"

#define NMAX 64

struct cands {
	struct plume_candidate buf[NMAX];
	struct plume_candidates c;
};

static void cands_init(struct cands *s, const float *x, size_t n)
{
	s->c.data = s->buf;
	lapi()->candidates_init(&s->c, x, n);
}

/* kept[id] = 1 for every surviving id; asserts there are no duplicates */
static void kept_mask(const struct plume_candidates *c, int *kept, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kept[i] = 0;
	for (size_t i = 0; i < c->n; i++) {
		cr_assert(c->data[i].id >= 0 && (size_t)c->data[i].id < n);
		cr_assert_eq(kept[c->data[i].id], 0, "id %d kept twice", c->data[i].id);
		kept[c->data[i].id] = 1;
	}
}

static void assert_kept(const struct plume_candidates *c, const int *want, size_t n,
			const char *what)
{
	int kept[NMAX];

	kept_mask(c, kept, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(kept[i], want[i], "%s: id %zu kept=%d want=%d", what, i, kept[i],
			     want[i]);
}

Test(logits, candidates_init_and_softmax_sort_descending)
{
	float x[] = { 0.5f, 2.0f, -1.0f, 2.0f, 1.0f };
	double xd[5], p[5];
	struct cands s;

	cands_init(&s, x, 5);
	cr_assert_eq(s.c.n, 5);
	cr_assert_eq(s.c.sorted, 0);
	for (int i = 0; i < 5; i++)
		cr_assert(s.c.data[i].id == i && s.c.data[i].logit == x[i]);
	for (int i = 0; i < 5; i++)
		xd[i] = x[i];
	ref_softmax(xd, 5, p);
	lapi()->candidates_softmax(&s.c);
	cr_assert_eq(s.c.sorted, 1);
	for (int i = 1; i < 5; i++)
		cr_assert(s.c.data[i - 1].logit >= s.c.data[i].logit);
	cr_assert(s.c.data[0].id == 1 && s.c.data[1].id == 3, "equal logits: lower id first");
	for (int i = 0; i < 5; i++)
		cr_assert_float_eq(s.c.data[i].p, p[s.c.data[i].id], 1e-6);
}

Test(logits, temperature_scales_and_zero_keeps_first_max)
{
	float x[] = { 0.5f, 2.0f, -1.0f, 2.0f };
	struct cands s;

	cands_init(&s, x, 4);
	lapi()->temperature(&s.c, 0.5f);
	for (int i = 0; i < 4; i++)
		cr_assert_float_eq(s.c.data[i].logit, x[i] / 0.5, 1e-6);
	cands_init(&s, x, 4);
	lapi()->temperature(&s.c, 0.0f);
	cr_assert_eq(s.c.n, 1);
	cr_assert_eq(s.c.data[0].id, 1);
	cands_init(&s, x, 4);
	lapi()->temperature(&s.c, -1.0f);
	cr_assert(s.c.n == 1 && s.c.data[0].id == 1);
}

/* pseudo-random logits with deliberate ties (values on a coarse grid) */
static void grid_logits(float *x, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = (float)((seed >> 24) % 17) * 0.5f - 4.0f;
	}
}

Test(logits, top_k_keeps_the_k_best_lowest_id_on_ties)
{
	float x[NMAX];
	struct cands s;

	grid_logits(x, NMAX, 7);
	for (int32_t k = 1; k <= NMAX + 3; k += 5) {
		int want[NMAX];
		size_t kk = (size_t)k < NMAX ? (size_t)k : NMAX;

		/* rank of i = how many ids come before it (higher logit, or equal and lower id) */
		for (size_t i = 0; i < NMAX; i++) {
			size_t rank = 0;

			for (size_t j = 0; j < NMAX; j++)
				rank += x[j] > x[i] || (x[j] == x[i] && j < i);
			want[i] = rank < kk;
		}
		cands_init(&s, x, NMAX);
		lapi()->top_k(&s.c, k);
		cr_assert_eq(s.c.n, kk, "k=%d", k);
		cr_assert_eq(s.c.sorted, 1);
		for (size_t i = 1; i < s.c.n; i++)
			cr_assert(s.c.data[i - 1].logit >= s.c.data[i].logit, "k=%d sorted", k);
		assert_kept(&s.c, want, NMAX, "top_k");
	}
	cands_init(&s, x, NMAX);
	lapi()->top_k(&s.c, 0);
	cr_assert(s.c.n == NMAX && s.c.sorted == 0, "k=0 is a no-op");
}

Test(logits, top_k_small_k_on_large_vocab)
{
	size_t n = 49152;
	struct plume_candidate *buf = malloc(n * sizeof(*buf));
	float *x = malloc(n * sizeof(*x));
	struct plume_candidates c = { .data = buf };

	cr_assert(buf && x);
	grid_logits(x, n, 99);
	x[40000] = 10.0f;
	x[12] = 9.0f;
	x[30001] = 9.0f;
	lapi()->candidates_init(&c, x, n);
	lapi()->top_k(&c, 3);
	cr_assert_eq(c.n, 3);
	cr_assert(buf[0].id == 40000 && buf[1].id == 12 && buf[2].id == 30001);
	free(buf);
	free(x);
}

/* Logits log(q_i): probabilities are exactly the dyadic q_i in float. */
static const float dyadic_q[] = { 0.5f, 0.25f, 0.125f, 0.0625f, 0.0625f };

static void dyadic(struct cands *s)
{
	float x[5];

	for (int i = 0; i < 5; i++)
		x[i] = logf(dyadic_q[i]);
	cands_init(s, x, 5);
}

/* keep through the first prefix (descending) whose sum reaches p, at least min_keep */
static void ref_top_p(const double *q, size_t n, double p, size_t min_keep, int *want)
{
	double cum = 0.0;
	size_t keep = n;

	for (size_t i = 0; i < n; i++) {
		cum += q[i];
		if (cum >= p && i + 1 >= min_keep) {
			keep = i + 1;
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		want[i] = i < keep;
}

Test(logits, top_p_keeps_through_first_cum_reaching_p)
{
	const double q[] = { 0.5, 0.25, 0.125, 0.0625, 0.0625 };
	const struct { float p; size_t min_keep; } cases[] = {
		{ 0.75f, 0 }, /* lands exactly on p: the crossing token is kept */
		{ 0.7f, 0 },  { 0.76f, 0 }, { 0.1f, 0 }, { 0.1f, 3 }, { 0.999f, 0 },
	};

	for (size_t t = 0; t < sizeof(cases) / sizeof(*cases); t++) {
		struct cands s;
		int want[5];

		dyadic(&s);
		ref_top_p(q, 5, cases[t].p, cases[t].min_keep, want);
		lapi()->top_p(&s.c, cases[t].p, cases[t].min_keep);
		assert_kept(&s.c, want, 5, "top_p");
	}
	struct cands s;

	dyadic(&s);
	lapi()->top_p(&s.c, 0.75f, 0);
	cr_assert_eq(s.c.n, 2, "0.5 + 0.25 reaches 0.75 exactly");
	dyadic(&s);
	lapi()->top_p(&s.c, 1.0f, 0);
	cr_assert_eq(s.c.n, 5, "p = 1 is a no-op");
}

Test(logits, min_p_keeps_ratio_to_max_and_min_keep)
{
	float x[] = { -1.0f, 0.0f, -3.0f, -0.5f, -2.0f, -0.7f };
	const struct { float p; size_t min_keep; } cases[] = {
		{ 0.3f, 0 }, { 0.05f, 0 }, { 0.9f, 0 }, { 0.9f, 4 }, { 0.2f, 6 },
	};

	for (size_t t = 0; t < sizeof(cases) / sizeof(*cases); t++) {
		struct cands s;
		int want[6];
		size_t n_want = 0;

		/* keep p_i >= p * p_max, i.e. exp(x_i - x_max) >= p */
		for (int i = 0; i < 6; i++) {
			want[i] = exp(x[i] - 0.0) >= cases[t].p;
			n_want += want[i];
		}
		if (n_want < cases[t].min_keep) /* then the min_keep best */
			for (int i = 0; i < 6; i++) {
				size_t rank = 0;

				for (int j = 0; j < 6; j++)
					rank += x[j] > x[i];
				want[i] = rank < cases[t].min_keep;
			}
		cands_init(&s, x, 6);
		lapi()->min_p(&s.c, cases[t].p, cases[t].min_keep);
		assert_kept(&s.c, want, 6, "min_p");
	}
	/* the unsorted path keeps the original order */
	struct cands s;

	cands_init(&s, x, 6);
	lapi()->min_p(&s.c, 0.3f, 0);
	cr_assert(s.c.n == 4 && s.c.data[0].id == 0 && s.c.data[1].id == 1 &&
		  s.c.data[2].id == 3 && s.c.data[3].id == 5);
}

/* Typical: H = -sum p log p, d_i = |-log p_i - H|; take ids by d ascending
 * until cum > p (strict) with at least min_keep taken. */
static void ref_typical(const float *x, size_t n, double tp, size_t min_keep, int *want)
{
	double xd[NMAX], p[NMAX], d[NMAX], h = 0.0, cum = 0.0;
	int used[NMAX] = { 0 };

	for (size_t i = 0; i < n; i++)
		xd[i] = x[i];
	ref_softmax(xd, n, p);
	for (size_t i = 0; i < n; i++)
		h -= p[i] * log(p[i]);
	for (size_t i = 0; i < n; i++) {
		d[i] = fabs(-log(p[i]) - h);
		want[i] = 0;
	}
	for (size_t taken = 1; taken <= n; taken++) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (!used[i] && (best == n || d[i] < d[best]))
				best = i;
		used[best] = want[best] = 1;
		cum += p[best];
		if (cum > tp && taken >= min_keep)
			break;
	}
}

Test(logits, typical_keeps_tokens_closest_to_entropy)
{
	float x[] = { 3.0f, 2.2f, 1.9f, 1.0f, 0.1f, -1.3f, -2.0f };
	const struct { float p; size_t min_keep; } cases[] = {
		{ 0.2f, 0 }, { 0.5f, 0 }, { 0.8f, 0 }, { 0.95f, 0 }, { 0.2f, 4 }, { 0.0f, 0 },
	};

	for (size_t t = 0; t < sizeof(cases) / sizeof(*cases); t++) {
		struct cands s;
		int want[7], n_want = 0;

		ref_typical(x, 7, cases[t].p, cases[t].min_keep, want);
		for (int i = 0; i < 7; i++)
			n_want += want[i];
		cands_init(&s, x, 7);
		lapi()->typical(&s.c, cases[t].p, cases[t].min_keep);
		cr_assert_eq(s.c.n, (size_t)n_want, "typical p=%g", cases[t].p);
		assert_kept(&s.c, want, 7, "typical");
	}
	/* the most likely token is not necessarily kept */
	struct cands s;
	int want[7];

	ref_typical(x, 7, 0.2f, 0, want);
	cr_assert_eq(want[0], 0, "test vector: the mode is atypical at p=0.2");
	cands_init(&s, x, 7);
	lapi()->typical(&s.c, 1.0f, 0);
	cr_assert_eq(s.c.n, 7, "p = 1 is a no-op");
}

Test(logits, typical_needs_cum_strictly_above_p)
{
	/* q = 1/2, 1/4, 1/8, 1/16, 1/16: H = 1.875 ln 2, d = (0.875, 0.125, 1.125,
	 * 2.125, 2.125) ln 2, so the order is 1, 0, 2; cum 0.25, 0.75, 0.875 */
	struct cands s;
	int want[5] = { 1, 1, 1, 0, 0 };

	dyadic(&s);
	lapi()->typical(&s.c, 0.75f, 0);
	assert_kept(&s.c, want, 5, "typical at exact 0.75");
	dyadic(&s);
	lapi()->typical(&s.c, 0.7f, 0);
	want[2] = 0;
	assert_kept(&s.c, want, 5, "typical at 0.7");
}

Test(logits, min_p_keeps_a_logit_exactly_at_the_threshold)
{
	float x[] = { 0.0f, logf(0.5f), -3.0f };
	struct cands s;
	int want[3] = { 1, 1, 0 };

	cands_init(&s, x, 3);
	lapi()->min_p(&s.c, 0.5f, 0);
	assert_kept(&s.c, want, 3, "min_p boundary");
}

struct ref_item {
	double logit;
	int32_t id;
};

static int ref_cmp(const void *pa, const void *pb)
{
	const struct ref_item *a = pa, *b = pb;

	if (a->logit != b->logit)
		return a->logit > b->logit ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* Large unsorted arrays go through partial selection first; the kept set
 * must equal the definition (full descending order, double cumsum). */
Test(logits, top_p_on_large_unsorted_vocab_matches_definition)
{
	const size_t n = 8192;
	const double spread[] = { 60.0, 15.0, 1.5 }; /* few, hundreds, thousands kept */
	struct plume_candidate *buf = malloc(n * sizeof(*buf));
	struct ref_item *ref = malloc(n * sizeof(*ref));
	float *x = malloc(n * sizeof(*x));
	int *want = malloc(n * sizeof(*want)), *kept = malloc(n * sizeof(*kept));
	struct plume_candidates c = { .data = buf };
	uint32_t seed = 5;

	cr_assert(buf && ref && x && want && kept);
	for (size_t t = 0; t < 3; t++) {
		double m = -INFINITY, sum = 0.0, cum = 0.0;
		size_t keep = n;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1664525u + 1013904223u;
			/* a peaked, skewed distribution: u^3 puts few ids at the top */
			double u = (seed >> 8) / 16777216.0;

			x[i] = (float)(spread[t] * u * u * u);
			ref[i].logit = x[i];
			ref[i].id = (int32_t)i;
			m = x[i] > m ? x[i] : m;
		}
		qsort(ref, n, sizeof(*ref), ref_cmp);
		for (size_t i = 0; i < n; i++)
			sum += exp(ref[i].logit - m);
		for (size_t i = 0; i < n; i++) {
			cum += exp(ref[i].logit - m) / sum;
			if (cum >= 0.9) {
				keep = i + 1;
				break;
			}
		}
		for (size_t i = 0; i < n; i++)
			want[i] = 0;
		for (size_t i = 0; i < keep; i++)
			want[ref[i].id] = 1;
		lapi()->candidates_init(&c, x, n);
		lapi()->top_p(&c, 0.9f, 0);
		cr_assert_eq(c.n, keep, "spread %g: kept %zu, want %zu", spread[t], c.n, keep);
		for (size_t i = 0; i < n; i++)
			kept[i] = 0;
		for (size_t i = 0; i < c.n; i++) {
			kept[c.data[i].id]++;
			cr_assert(i == 0 || c.data[i - 1].logit >= c.data[i].logit);
		}
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(kept[i], want[i], "spread %g: id %zu", spread[t], i);
		cr_log_info("top_p spread %g keeps %zu of %zu", spread[t], keep, n);
	}
	free(buf);
	free(ref);
	free(x);
	free(want);
	free(kept);
}

/* candidates_top_k (ABI 1.2) is candidates_init followed by top_k: the same
 * candidates in the same order, with ties, NaN, infinities, every k. */
Test(logits, candidates_top_k_equals_init_then_top_k)
{
	enum { N = 5003 };
	static float x[N];
	static struct plume_candidate a[N], b[N];
	const int32_t ks[] = {-1, 0, 1, 2, 7, 40, 256, N / 2, N / 2 + 1, N - 1, N, N + 5};
	uint64_t s = 99;

	for (int rep = 0; rep < 6; rep++) {
		for (int i = 0; i < N; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			/* few distinct values: many ties */
			x[i] = (float)((s >> 40) % (rep < 3 ? 50 : 100000)) * 0.25f - 10.0f;
		}
		if (rep % 2) {
			x[3] = NAN;
			x[0] = NAN;
			x[17] = INFINITY;
			x[N - 2] = -INFINITY;
			x[N - 1] = NAN;
		}
		if (rep == 5) /* a rising run: the threshold moves in every group */
			for (int i = 0; i < N; i++)
				x[i] = (float)i * 0.01f;
		for (size_t q = 0; q < sizeof(ks) / sizeof(ks[0]); q++) {
			struct plume_candidates ca = {a, N, 0}, cb = {b, N, 0};

			lapi()->candidates_init(&ca, x, N);
			lapi()->top_k(&ca, ks[q]);
			memset(b, 0xA5, sizeof(b));
			lapi()->candidates_top_k(&cb, x, N, ks[q]);
			cr_assert_eq(cb.n, ca.n, "k=%d: %zu kept, want %zu", ks[q], cb.n, ca.n);
			cr_assert_eq(cb.sorted, ca.sorted, "k=%d", ks[q]);
			for (size_t i = 0; i < ca.n; i++)
				cr_assert(a[i].id == b[i].id && (a[i].logit == b[i].logit ||
								 (isnan(a[i].logit) && isnan(b[i].logit))) &&
					  a[i].p == b[i].p,
					  "k=%d rep %d: [%zu] id %d vs %d", ks[q], rep, i, b[i].id, a[i].id);
		}
	}
}
