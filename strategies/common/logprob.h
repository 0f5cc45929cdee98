/* Helpers shared by the in-tree strategy plugins (header only: plugins link
 * nothing of the host, and each .so keeps its one exported symbol). */
#ifndef PLUME_STRATEGY_LOGPROB_H
#define PLUME_STRATEGY_LOGPROB_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* log p(tok) = logits[tok] - logsumexp(logits): the exps in float (each
 * within an ulp; expf is several times cheaper than exp, which matters over
 * a 262 144-token vocabulary every step), summed in double. */
static inline double strategy_token_logprob(const float *logits, size_t n, int32_t tok)
{
	float max = logits[tok];
	double sum = 0.0;

	for (size_t i = 0; i < n; i++)
		if (logits[i] > max)
			max = logits[i];
	for (size_t i = 0; i < n; i++)
		sum += (double)expf(logits[i] - max);
	return (double)logits[tok] - (double)max - log(sum);
}

#endif
