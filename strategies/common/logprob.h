/* Helpers shared by the in-tree strategy plugins (header only: plugins link
 * nothing of the host, and each .so keeps its one exported symbol). */
#ifndef PLUME_STRATEGY_LOGPROB_H
#define PLUME_STRATEGY_LOGPROB_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "plume/logits.h"

/* max and log(sum of exp(logits - max)) over the vector: the host's
 * toolkit does it (ABI 1.2, vectorised); from an older host, here with the
 * exps in float (each within an ulp; expf is several times cheaper than
 * exp, which matters over a 262 144-token vocabulary every step), summed in
 * double. Callers that need several tokens' log-probabilities of one vector
 * call it once. */
static inline void strategy_logsumexp(const struct plume_logits_api *L, const float *logits,
				      size_t n, float *max_out, double *log_sum)
{
	float max = n ? logits[0] : 0.0f;
	double part[8] = {0}, sum = 0.0;
	size_t i = 0;

	if (L && n && PLUME_LOGITS_HAS(L, log_sum_exp)) {
		*log_sum = L->log_sum_exp(logits, n, max_out);
		return;
	}
	for (size_t j = 0; j < n; j++)
		if (logits[j] > max)
			max = logits[j];
	/* eight partial sums: one chain of dependent adds would set the pace */
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++)
			part[l] += (double)expf(logits[i + l] - max);
	for (; i < n; i++)
		part[0] += (double)expf(logits[i] - max);
	for (int l = 0; l < 8; l++)
		sum += part[l];
	*max_out = max;
	*log_sum = log(sum);
}

/* log p(tok) = logits[tok] - logsumexp(logits), from strategy_logsumexp's
 * max and log-sum */
static inline double strategy_logprob_of(const float *logits, int32_t tok, float max,
					 double log_sum)
{
	return (double)logits[tok] - (double)max - log_sum;
}

static inline double strategy_token_logprob(const struct plume_logits_api *L,
					    const float *logits, size_t n, int32_t tok)
{
	float max;
	double log_sum;

	strategy_logsumexp(L, logits, n, &max, &log_sum);
	return strategy_logprob_of(logits, tok, max, log_sum);
}

#endif
