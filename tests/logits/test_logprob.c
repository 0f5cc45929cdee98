/* strategies/common/logprob.h, the in-tree strategies' log-probability
 * helper: with this host's toolkit (ABI 1.2) it takes log_sum_exp from
 * the host; with an older host's shorter toolkit (no log_sum_exp) its own
 * loop; both agree with a double-precision log-softmax. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "logits_test.h"
#include "logprob.h"

static int calls;

static double counting_log_sum_exp(const float *x, size_t n, float *max)
{
	calls++;
	return lapi()->log_sum_exp(x, n, max);
}

Test(logits, strategy_logprob_uses_the_toolkit_or_its_own_loop)
{
	struct plume_logits_api counted = *lapi();
	enum { N = 5003 };
	static float x[N];
	static double xd[N];
	struct plume_logits_api old = *lapi();
	double ref = 0.0, m = -INFINITY;
	uint64_t s = 77;

	for (int i = 0; i < N; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 30.0 - 20.0);
		xd[i] = x[i];
		m = fmax(m, xd[i]);
	}
	for (int i = 0; i < N; i++)
		ref += exp(xd[i] - m);
	ref = log(ref);
	/* an ABI 1.1 host: the struct ends before log_sum_exp */
	old.size = (uint32_t)offsetof(struct plume_logits_api, log_sum_exp);
	cr_assert(PLUME_LOGITS_HAS(lapi(), log_sum_exp));
	cr_assert(!PLUME_LOGITS_HAS(&old, log_sum_exp));
	counted.log_sum_exp = counting_log_sum_exp;
	for (int32_t tok = 0; tok < N; tok += 997) {
		double want = xd[tok] - m - ref;
		int before = calls;
		double a = strategy_token_logprob(&counted, x, N, tok);
		double b = strategy_token_logprob(&old, x, N, tok);
		double c = strategy_token_logprob(NULL, x, N, tok);

		cr_assert(fabs(a - want) <= 1e-6 * fmax(1.0, fabs(want)), "toolkit: %.12g vs %.12g", a, want);
		cr_assert(fabs(b - want) <= 1e-6 * fmax(1.0, fabs(want)), "own loop: %.12g vs %.12g", b, want);
		cr_assert(b == c, "the older host and no toolkit both take the own loop");
		cr_assert_eq(calls, before + 1, "the toolkit's log_sum_exp was not used");
	}
}
