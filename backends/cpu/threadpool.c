/* Persistent thread pool: a generation counter announces each job; workers
 * spin on it for a while (decode steps come back to back) before sleeping;
 * a countdown tells the caller when all shares are done. */
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#define SPIN_ITERS 200000 /* then sleep */
#define SPIN_PAUSES 2000  /* then yield the core between checks */

struct pool {
	int n;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pool_fn fn;
	void *arg;
	unsigned gen;     /* job generation, atomic */
	int pending;      /* workers still running the job, atomic */
	int stop;
	int sleepers;
};

struct worker {
	struct pool *p;
	int ith;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;
	unsigned seen = 0;
	int ith = w->ith;

	free(w);
	for (;;) {
		unsigned g;
		int spins = 0;

		while ((g = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE)) == seen) {
			if (++spins < SPIN_ITERS) {
				/* pause first; on a busy machine give the core away
				 * so that the thread we wait for can run */
				if (spins < SPIN_PAUSES)
					cpu_relax();
				else
					sched_yield();
				continue;
			}
			pthread_mutex_lock(&p->mu);
			/* seq_cst pairs with pool_run's generation bump: either
			 * we see the new job here or pool_run sees a sleeper. */
			__atomic_add_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
			while (__atomic_load_n(&p->gen, __ATOMIC_SEQ_CST) == seen && !p->stop)
				pthread_cond_wait(&p->cv, &p->mu);
			__atomic_sub_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&p->mu);
			spins = 0;
			if (p->stop)
				return NULL;
		}
		seen = g;
		if (p->stop)
			return NULL;
		p->fn(p->arg, ith, p->n);
		__atomic_sub_fetch(&p->pending, 1, __ATOMIC_ACQ_REL);
	}
}

struct pool *pool_create(int n_threads)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->n = n_threads < 1 ? 1 : n_threads;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->threads = calloc((size_t)p->n, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return NULL;
	}
	for (int i = 1; i < p->n; i++) {
		struct worker *w = malloc(sizeof(*w));

		if (w) {
			w->p = p;
			w->ith = i;
		}
		if (!w || pthread_create(&p->threads[i], NULL, worker_main, w)) {
			free(w);
			p->n = i; /* threads 1..i-1 exist */
			pool_destroy(p);
			return NULL;
		}
	}
	return p;
}

void pool_destroy(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	__atomic_add_fetch(&p->gen, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}

int pool_threads(const struct pool *p)
{
	return p->n;
}

void pool_run(struct pool *p, pool_fn fn, void *arg)
{
	if (p->n == 1) {
		fn(arg, 0, 1);
		return;
	}
	p->fn = fn;
	p->arg = arg;
	__atomic_store_n(&p->pending, p->n - 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&p->gen, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&p->mu);
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	fn(arg, 0, p->n);
	for (int spins = 0; __atomic_load_n(&p->pending, __ATOMIC_ACQUIRE); spins++) {
		if (spins < SPIN_PAUSES)
			cpu_relax();
		else
			sched_yield();
	}
}
