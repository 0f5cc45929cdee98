/* A persistent thread pool: n threads (the caller is thread 0) run one job
 * at a time; pool_run returns when every thread has finished its share.
 * Workers spin briefly for the next job, then sleep on a condition variable. */
#ifndef PLUME_CPU_THREADPOOL_H
#define PLUME_CPU_THREADPOOL_H

#include <stdint.h>

struct pool;

typedef void (*pool_fn)(void *arg, int ith, int nth);

/* NULL on failure (threads or memory). */
struct pool *pool_create(int n_threads);
void pool_destroy(struct pool *p);
int pool_threads(const struct pool *p);
void pool_run(struct pool *p, pool_fn fn, void *arg);

/* Split [0, n) into nth near-equal ranges; thread ith gets [*lo, *hi). */
static inline void pool_range(int64_t n, int ith, int nth, int64_t *lo, int64_t *hi)
{
	int64_t per = n / nth, rem = n % nth;

	*lo = ith * per + (ith < rem ? ith : rem);
	*hi = *lo + per + (ith < rem);
}

#endif
