/* cpu-kernels-bench: throughput of cpu_gemm per weight type and ISA.
 * Matrix-vector (1 token: GB/s of weights streamed) and matrix-matrix
 * (32 tokens: GFLOP/s, 2 flops per weight per token), on 1 and 2 threads
 * splitting the output rows. Not a test; numbers for docs/quantization.md.
 * Usage: cpu-kernels-bench [k] [n_out] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"

struct job {
	uint32_t t;
	int64_t k, o0, o1, n_tok;
	const uint8_t *w, *a;
	size_t wr, ar;
	float *y;
	int64_t ldy;
};

static void *run(void *p)
{
	struct job *j = p;

	cpu_gemm(j->t, j->k, j->w, j->wr, j->ldy, j->o0, j->o1, j->a, j->ar, j->n_tok, j->y, j->ldy);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* seconds per call of an n_th-thread gemm (best of a few repetitions) */
static double time_gemm(struct job *base, int n_th)
{
	double best = 1e30;

	for (int rep = 0; rep < 5; rep++) {
		pthread_t th[2];
		struct job j[2];
		double t0 = now();

		for (int i = 0; i < n_th; i++) {
			j[i] = *base;
			j[i].o0 = base->o1 * i / n_th;
			j[i].o1 = base->o1 * (i + 1) / n_th;
			pthread_create(&th[i], NULL, run, &j[i]);
		}
		for (int i = 0; i < n_th; i++)
			pthread_join(th[i], NULL);
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const uint32_t types[] = {PLUME_DTYPE_F32, PLUME_DTYPE_F16, PLUME_DTYPE_Q4_0,
		PLUME_DTYPE_Q4_1, PLUME_DTYPE_Q5_0, PLUME_DTYPE_Q8_0, PLUME_DTYPE_Q4_K, PLUME_DTYPE_Q6_K};
	static const char *names[] = {"f32", "f16", "q4_0", "q4_1", "q5_0", "q8_0", "q4_k", "q6_k"};
	int64_t k = argc > 1 ? atoll(argv[1]) : 2048, n_out = argc > 2 ? atoll(argv[2]) : 4096;
	const int64_t n_tok = 32;
	float *x = malloc(sizeof(float) * k * n_tok), *y = malloc(sizeof(float) * n_out * n_tok);

	if (k % 256 || !x || !y) {
		fprintf(stderr, "cpu-kernels-bench: k must be a multiple of 256\n");
		return 1;
	}
	for (int64_t i = 0; i < k * n_tok; i++)
		x[i] = (float)((i * 7919) % 2001 - 1000) / 1000.0f;
	printf("k=%lld n_out=%lld; matvec GB/s of weights, matmul (%lld tokens) GFLOP/s\n",
	       (long long)k, (long long)n_out, (long long)n_tok);
	printf("%-6s %-7s %10s %10s %10s %10s\n", "type", "isa", "mv 1t", "mv 2t", "mm 1t", "mm 2t");
	for (int isa = CPU_ISA_SCALAR; isa <= CPU_ISA_AVX512; isa++) {
		if (cpu_kernels_force(isa) != isa)
			continue;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			uint32_t t = types[i], at = cpu_vec_dot_type(t);
			size_t wr = cpu_row_bytes(t, k), ar = cpu_row_bytes(at, k);
			uint8_t *w = malloc(wr * n_out), *a = malloc(ar * n_tok);
			struct job j = {t, k, 0, n_out, 1, w, a, wr, ar, y, n_out};
			double r[4];

			/* weights: quantize-free fill with small valid bytes */
			for (size_t b = 0; b < wr * n_out; b++)
				w[b] = (uint8_t)(b * 31 % 251);
			if (t == PLUME_DTYPE_F32)
				for (int64_t e = 0; e < k * n_out; e++)
					((float *)w)[e] = 0.001f * (float)(e % 17);
			for (int64_t tk = 0; tk < n_tok; tk++)
				cpu_quantize_row(at, x + tk * k, a + tk * ar, k);
			for (int th = 1; th <= 2; th++) {
				j.n_tok = 1;
				r[th - 1] = (double)wr * n_out / time_gemm(&j, th) / 1e9;
				j.n_tok = n_tok;
				r[1 + th] = 2.0 * k * n_out * n_tok / time_gemm(&j, th) / 1e9;
			}
			printf("%-6s %-7s %10.1f %10.1f %10.1f %10.1f\n", names[i], cpu_kernels_isa_name(),
			       r[0], r[1], r[2], r[3]);
			free(w);
			free(a);
		}
	}
	free(x);
	free(y);
	return 0;
}
