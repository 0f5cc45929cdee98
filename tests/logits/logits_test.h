/* Shared helpers of the logits toolkit tests: the API under test and an
 * independent double-precision softmax used to compute expected values. */
#ifndef PLUME_TEST_LOGITS_H
#define PLUME_TEST_LOGITS_H

#include <math.h>
#include <stddef.h>

#include "host.h"

static inline const struct plume_logits_api *lapi(void)
{
	return plume_logits_api_get();
}

/* p[i] = exp(x[i]) / sum exp(x[j]), straight from the formula in double. */
static inline void ref_softmax(const double *x, size_t n, double *p)
{
	double m = -INFINITY, s = 0.0;

	for (size_t i = 0; i < n; i++)
		m = x[i] > m ? x[i] : m;
	for (size_t i = 0; i < n; i++)
		s += exp(x[i] - m);
	for (size_t i = 0; i < n; i++)
		p[i] = exp(x[i] - m) / s;
}

#endif
