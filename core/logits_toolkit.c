/* The logits toolkit exported to strategies (plume/logits.h): penalties,
 * filters with llama.cpp's semantics, softmax, argmax, a seeded RNG
 * (xoshiro256** seeded through splitmix64) and the final draw. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* ---- full vectors ----------------------------------------------------- */

static int32_t lt_argmax(const float *x, size_t n)
{
	int32_t best = -1;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]) && (best < 0 || x[i] > x[best]))
			best = (int32_t)i;
	return best < 0 ? 0 : best;
}

static void lt_softmax(float *x, size_t n)
{
	float max = -INFINITY;
	double sum = 0.0;

	for (size_t i = 0; i < n; i++)
		if (x[i] > max)
			max = x[i];
	if (max == -INFINITY) { /* nothing allowed: uniform */
		for (size_t i = 0; i < n; i++)
			x[i] = 1.0f / (float)n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		float e = expf(x[i] - max);

		x[i] = e;
		sum += e;
	}
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(x[i] / sum);
}

static void lt_log_softmax(float *x, size_t n)
{
	float max = -INFINITY;
	double sum = 0.0, lse;

	for (size_t i = 0; i < n; i++)
		if (x[i] > max)
			max = x[i];
	if (max == -INFINITY) {
		for (size_t i = 0; i < n; i++)
			x[i] = -logf((float)n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		sum += exp((double)x[i] - max);
	lse = max + log(sum);
	for (size_t i = 0; i < n; i++)
		x[i] = (float)((double)x[i] - lse);
}

static void lt_repetition_penalty(float *logits, size_t n, const int32_t *tokens,
				  size_t n_tokens, float penalty)
{
	/* Each distinct id once: mark with a sign bit trick-free pass. */
	unsigned char *seen;

	if (penalty == 1.0f || !n_tokens)
		return;
	seen = calloc((n + 7) / 8, 1);
	if (!seen)
		return;
	for (size_t i = 0; i < n_tokens; i++) {
		int32_t t = tokens[i];

		if (t < 0 || (size_t)t >= n || (seen[t / 8] & (1u << (t % 8))))
			continue;
		seen[t / 8] |= (unsigned char)(1u << (t % 8));
		logits[t] = logits[t] < 0 ? logits[t] * penalty : logits[t] / penalty;
	}
	free(seen);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static void lt_presence_frequency(float *logits, size_t n, const int32_t *tokens, size_t n_tokens,
				  float presence, float frequency)
{
	int32_t *s;

	if ((presence == 0 && frequency == 0) || !n_tokens)
		return;
	s = malloc(n_tokens * sizeof(*s));
	if (!s)
		return;
	memcpy(s, tokens, n_tokens * sizeof(*s));
	qsort(s, n_tokens, sizeof(*s), cmp_i32);
	for (size_t i = 0; i < n_tokens;) {
		size_t j = i;

		while (j < n_tokens && s[j] == s[i])
			j++;
		if (s[i] >= 0 && (size_t)s[i] < n)
			logits[s[i]] -= (float)(j - i) * frequency + presence;
		i = j;
	}
	free(s);
}

static void lt_logit_bias(float *logits, size_t n, const int32_t *ids, const float *bias,
			  size_t n_bias)
{
	for (size_t i = 0; i < n_bias; i++)
		if (ids[i] >= 0 && (size_t)ids[i] < n)
			logits[ids[i]] += bias[i];
}

static void lt_no_repeat_ngram(float *logits, size_t n, const int32_t *tokens, size_t n_tokens,
			       uint32_t ngram)
{
	size_t prefix;

	if (ngram == 0 || n_tokens + 1 < ngram)
		return;
	/* The last ngram-1 tokens; any earlier occurrence bans its successor. */
	prefix = ngram - 1;
	for (size_t start = 0; start + ngram <= n_tokens; start++) {
		if (prefix && memcmp(tokens + start, tokens + n_tokens - prefix,
				     prefix * sizeof(int32_t)))
			continue;
		if (tokens[start + prefix] >= 0 && (size_t)tokens[start + prefix] < n)
			logits[tokens[start + prefix]] = -INFINITY;
	}
}

/* ---- candidate arrays ------------------------------------------------- */

static void lt_candidates_init(struct plume_candidates *c, const float *logits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		c->data[i].id = (int32_t)i;
		c->data[i].logit = logits[i];
		c->data[i].p = 0;
	}
	c->n = n;
	c->sorted = 0;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct plume_candidate *x = a, *y = b;

	if (x->logit > y->logit)
		return -1;
	if (x->logit < y->logit)
		return 1;
	return (x->id > y->id) - (x->id < y->id);
}

static void sort_cands(struct plume_candidates *c)
{
	if (!c->sorted) {
		qsort(c->data, c->n, sizeof(*c->data), cmp_cand);
		c->sorted = 1;
	}
}

static void lt_candidates_softmax(struct plume_candidates *c)
{
	double sum = 0.0;
	float max;

	if (!c->n)
		return;
	sort_cands(c);
	max = c->data[0].logit;
	for (size_t i = 0; i < c->n; i++) {
		c->data[i].p = expf(c->data[i].logit - max);
		sum += c->data[i].p;
	}
	for (size_t i = 0; i < c->n; i++)
		c->data[i].p = (float)(c->data[i].p / sum);
}

static void lt_temperature(struct plume_candidates *c, float t)
{
	if (t <= 0.0f) {
		/* greedy: keep only the most likely */
		size_t best = 0;

		for (size_t i = 1; i < c->n; i++)
			if (c->data[i].logit > c->data[best].logit)
				best = i;
		c->data[0] = c->data[best];
		c->n = c->n ? 1 : 0;
		c->sorted = 1;
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		c->data[i].logit /= t;
}

/* Partial selection: the k best at the front, sorted. */
static void lt_top_k(struct plume_candidates *c, int32_t k)
{
	if (k <= 0 || (size_t)k >= c->n) {
		return;
	}
	if (!c->sorted) {
		/* heap-free selection: sort only when k is a large share */
		if ((size_t)k * 16 > c->n) {
			sort_cands(c);
		} else {
			for (size_t i = 0; i < (size_t)k; i++) {
				size_t best = i;

				for (size_t j = i + 1; j < c->n; j++)
					if (cmp_cand(&c->data[j], &c->data[best]) < 0)
						best = j;
				struct plume_candidate tmp = c->data[i];

				c->data[i] = c->data[best];
				c->data[best] = tmp;
			}
			c->sorted = 1;
		}
	}
	c->n = (size_t)k;
}

static void lt_top_p(struct plume_candidates *c, float p, size_t min_keep)
{
	double cum = 0.0;
	size_t last;

	if (p >= 1.0f || !c->n)
		return;
	lt_candidates_softmax(c);
	last = c->n;
	for (size_t i = 0; i < c->n; i++) {
		cum += c->data[i].p;
		if (cum >= p && i + 1 >= min_keep) {
			last = i + 1;
			break;
		}
	}
	c->n = last;
}

static void lt_min_p(struct plume_candidates *c, float p, size_t min_keep)
{
	size_t keep = 0;
	float max_logit, threshold;

	if (p <= 0.0f || !c->n)
		return;
	sort_cands(c);
	max_logit = c->data[0].logit;
	threshold = max_logit + logf(p);
	for (size_t i = 0; i < c->n; i++)
		if (c->data[i].logit >= threshold)
			keep = i + 1;
	if (keep < min_keep)
		keep = min_keep < c->n ? min_keep : c->n;
	c->n = keep;
}

static void lt_typical(struct plume_candidates *c, float p, size_t min_keep)
{
	double entropy = 0.0, cum = 0.0;
	size_t *order, last;
	float *shift;
	struct plume_candidate *tmp;

	if (p >= 1.0f || !c->n)
		return;
	lt_candidates_softmax(c);
	for (size_t i = 0; i < c->n; i++)
		if (c->data[i].p > 0)
			entropy -= c->data[i].p * log(c->data[i].p);
	order = malloc(c->n * sizeof(*order));
	shift = malloc(c->n * sizeof(*shift));
	tmp = malloc(c->n * sizeof(*tmp));
	if (!order || !shift || !tmp)
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		shift[i] = (float)fabs(-log(c->data[i].p) - entropy);
		order[i] = i;
	}
	/* stable insertion by |surprise - entropy| ascending */
	for (size_t i = 1; i < c->n; i++) {
		size_t v = order[i], j = i;

		while (j > 0 && shift[order[j - 1]] > shift[v]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	last = c->n;
	for (size_t i = 0; i < c->n; i++) {
		cum += c->data[order[i]].p;
		if (cum > p && i + 1 >= min_keep) {
			last = i + 1;
			break;
		}
	}
	for (size_t i = 0; i < last; i++)
		tmp[i] = c->data[order[i]];
	memcpy(c->data, tmp, last * sizeof(*tmp));
	c->n = last;
	c->sorted = 0;
out:
	free(order);
	free(shift);
	free(tmp);
}

/* ---- RNG -------------------------------------------------------------- */

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

static uint64_t next(struct plume_rng *r)
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
	return (double)(next(r) >> 11) * 0x1.0p-53;
}

static int32_t lt_sample(struct plume_candidates *c, struct plume_rng *rng)
{
	double u, cum = 0.0, total = 0.0;

	if (!c->n)
		return -1;
	lt_candidates_softmax(c);
	for (size_t i = 0; i < c->n; i++)
		total += c->data[i].p;
	u = lt_rng_uniform(rng) * total;
	for (size_t i = 0; i < c->n; i++) {
		cum += c->data[i].p;
		if (u < cum)
			return c->data[i].id;
	}
	return c->data[c->n - 1].id;
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
	};

	return &api;
}
