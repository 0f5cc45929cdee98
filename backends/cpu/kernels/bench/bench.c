/* cpu-kernels-bench: throughput of cpu_gemm per weight type and ISA.
 * Matrix-vector (1 token: GB/s of weights streamed) and matrix-matrix
 * (32 tokens: GFLOP/s, 2 flops per weight per token), on 1 and 2 threads
 * splitting the output rows, beside the memory read bandwidth of the same
 * thread counts. Not a test; numbers for docs/benchmarks.md.
 * Usage: cpu-kernels-bench [k] [n_out]
 *        cpu-kernels-bench --bandwidth THREADS   (prints the median GB/s)
 *        cpu-kernels-bench --int8-peak   (one core's vpdpbusd GOP/s)
 *        cpu-kernels-bench --batch N [k] [avx2]  (decode batch of N rows over a
 *            256 MiB matrix: the exact kernels against one row and N rows,
 *            and the interleaved batch kernel, in ms per pass; Q4_K and
 *            Q6_K too when k is a multiple of 256) */
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
	const void *ilv; /* packed copy: time cpu_ilv_gemm instead */
};

static void *run(void *p)
{
	struct job *j = p;

	if (j->ilv) {
		cpu_ilv_gemm(j->t, j->k, j->ilv, j->o0 / 16, j->o1 / 16, j->a, j->ar, j->n_tok,
			     j->y, j->ldy);
		return NULL;
	}
	cpu_gemm(j->t, j->k, j->w, j->wr, j->ldy, j->o0, j->o1, j->a, j->ar, j->n_tok, j->y, j->ldy);
	return NULL;
}

struct bw_job {
	const uint64_t *p;
	size_t n;
	uint64_t sum;
};

/* Read n words as 32-byte vectors into four independent sums, so loads,
 * not adds, set the pace (GCC vector extension: SSE2 on any x86-64). */
typedef uint64_t v4u64 __attribute__((vector_size(32), aligned(8)));

static void *bw_run(void *arg)
{
	struct bw_job *j = arg;
	v4u64 s[4] = {{0}};

	for (size_t i = 0; i + 16 <= j->n; i += 16)
		for (int l = 0; l < 4; l++) {
			v4u64 v;

			memcpy(&v, j->p + i + 4 * l, sizeof(v));
			s[l] += v;
		}
	s[0] += s[1] + s[2] + s[3];
	j->sum = s[0][0] + s[0][1] + s[0][2] + s[0][3];
	return NULL;
}

static double now(void);

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* int8 multiply-accumulate peak of one core: independent 512-bit vpdpbusd
 * chains (64 u8 x s8 products each); returns GOP/s (2 ops per product). */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static double int8_peak(void)
{
	__m512i acc[12], a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
	const long iters = 20000000;
	double t0, t;
	int sum = 0;

	for (int i = 0; i < 12; i++)
		acc[i] = _mm512_set1_epi32(i);
	t0 = now();
	for (long it = 0; it < iters; it++) {
		for (int i = 0; i < 12; i++)
			acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
		__asm__ volatile("" : "+v"(a), "+v"(b));
	}
	t = now() - t0;
	for (int i = 0; i < 12; i++)
		sum += _mm512_reduce_add_epi32(acc[i]);
	if (sum == 42)
		printf(" ");
	return 12.0 * 64 * 2 * iters / t / 1e9;
}
#endif

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median read bandwidth (GB/s) of n_th threads over a 1 GiB buffer, far
 * larger than any cache, 9 repetitions. */
static double bandwidth(int n_th)
{
	const size_t bytes = (size_t)1 << 30, words = bytes / 8;
	uint64_t *buf = malloc(bytes), check = 0;
	double r[9];

	if (!buf || n_th < 1 || n_th > 64)
		return -1;
	for (size_t i = 0; i < words; i++)
		buf[i] = i;
	for (int rep = 0; rep < 9; rep++) {
		pthread_t th[64];
		struct bw_job j[64];
		double t0 = now();

		for (int i = 0; i < n_th; i++) {
			j[i] = (struct bw_job){buf + words * i / n_th, words / n_th, 0};
			pthread_create(&th[i], NULL, bw_run, &j[i]);
		}
		for (int i = 0; i < n_th; i++) {
			pthread_join(th[i], NULL);
			check += j[i].sum;
		}
		r[rep] = (double)bytes / (now() - t0) / 1e9;
	}
	free(buf);
	qsort(r, 9, sizeof(r[0]), cmp_double);
	if (check == 42)
		printf(" ");
	return r[4];
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
			j[i].o0 = base->o1 / 16 * i / n_th * 16;
			j[i].o1 = i + 1 == n_th ? base->o1 : base->o1 / 16 * (i + 1) / n_th * 16;
			pthread_create(&th[i], NULL, run, &j[i]);
		}
		for (int i = 0; i < n_th; i++)
			pthread_join(th[i], NULL);
		if (now() - t0 < best)
			best = now() - t0;
	}
	return best;
}

/* A decode step of n sequences over one streamed matrix per type. */
static int batch_bench(int n, int64_t k)
{
	static const uint32_t types[] = {PLUME_DTYPE_Q4_0, PLUME_DTYPE_Q4_1, PLUME_DTYPE_Q5_0,
					 PLUME_DTYPE_Q8_0, PLUME_DTYPE_Q4_K, PLUME_DTYPE_Q6_K};
	static const char *names[] = {"q4_0", "q4_1", "q5_0", "q8_0", "q4_k", "q6_k"};
	const size_t bytes = (size_t)256 << 20;
	float *x = malloc(sizeof(float) * (size_t)k * (size_t)n);

	if (n < 1 || n > 64 || k % 32 || !x || !cpu_ilv_supported()) {
		fprintf(stderr, "cpu-kernels-bench: --batch N (1..64) [k, multiple of 32] [avx2]; needs AVX2\n");
		return 1;
	}
	for (int64_t i = 0; i < k * n; i++)
		x[i] = (float)((i * 7919) % 2001 - 1000) / 1000.0f;
	printf("k=%lld, %d rows, %s; ms per pass over a 256 MiB matrix (best of 5)\n", (long long)k, n,
	       cpu_kernels_isa_name());
	printf("%-6s %3s %10s %10s %10s %9s %9s\n", "type", "thr", "exact 1", "exact N", "ilv N",
	       "exact N/1", "ilv N/1");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint32_t t = types[i], at = cpu_vec_dot_type(t);
		size_t wr, ar;
		int64_t rows;

		if (k % cpu_type_block_elems(t) || !cpu_ilv_runs(t))
			continue; /* the K-quants need k % 256 == 0 and AVX-512 */
		wr = cpu_row_bytes(t, k);
		ar = cpu_row_bytes(at, k);
		rows = (int64_t)(bytes / wr) / 16 * 16;
		uint8_t *w = malloc(wr * (size_t)rows), *a = malloc(ar * (size_t)n);
		void *p = malloc(cpu_ilv_bytes(t, rows, k));
		float *y = malloc(sizeof(float) * (size_t)rows * (size_t)n);

		if (!w || !a || !p || !y) {
			fprintf(stderr, "cpu-kernels-bench: out of memory\n");
			return 1;
		}
		for (size_t b = 0; b < wr * (size_t)rows; b++)
			w[b] = (uint8_t)(b * 31 % 251);
		for (size_t r = 0; r < (size_t)rows; r++) /* finite fp16 scales */
			for (size_t b = 0; b < wr; b += cpu_type_block_bytes(t)) {
				size_t d = t == PLUME_DTYPE_Q6_K ? 208 : 0;

				w[r * wr + b + d] = 0x00;
				w[r * wr + b + d + 1] = 0x1c;
				if (t == PLUME_DTYPE_Q4_1 || t == PLUME_DTYPE_Q4_K) {
					w[r * wr + b + 2] = 0x00;
					w[r * wr + b + 3] = 0x9c;
				}
			}
		for (int r = 0; r < n; r++)
			cpu_quantize_row(at, x + (size_t)r * k, a + (size_t)r * ar, k);
		cpu_ilv_pack(t, k, w, wr, 0, rows / 16, p);
		for (int th = 1; th <= 2; th++) {
			struct job j = {t, k, 0, rows, 1, w, a, wr, ar, y, rows, NULL};
			double e1 = time_gemm(&j, th), en, in;

			j.n_tok = n;
			en = time_gemm(&j, th);
			j.ilv = p;
			in = time_gemm(&j, th);
			printf("%-6s %3d %10.2f %10.2f %10.2f %9.2f %9.2f\n", names[i], th, e1 * 1e3,
			       en * 1e3, in * 1e3, en / e1, in / e1);
		}
		free(w);
		free(a);
		free(p);
		free(y);
	}
	free(x);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t types[] = {PLUME_DTYPE_F32, PLUME_DTYPE_F16, PLUME_DTYPE_Q4_0,
		PLUME_DTYPE_Q4_1, PLUME_DTYPE_Q5_0, PLUME_DTYPE_Q5_1, PLUME_DTYPE_Q8_0, PLUME_DTYPE_Q2_K,
		PLUME_DTYPE_Q3_K, PLUME_DTYPE_Q4_K, PLUME_DTYPE_Q5_K, PLUME_DTYPE_Q6_K};
	static const char *names[] = {"f32", "f16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k",
				      "q3_k", "q4_k", "q5_k", "q6_k"};
	int64_t k, n_out;

	if (argc > 1 && !strcmp(argv[1], "--bandwidth")) {
		double gbs = bandwidth(argc > 2 ? atoi(argv[2]) : 1);

		if (gbs < 0) {
			fprintf(stderr, "cpu-kernels-bench: cannot allocate 1 GiB or bad thread count\n");
			return 1;
		}
		printf("%.1f\n", gbs);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--int8-peak")) {
#if defined(__x86_64__) && defined(__GNUC__)
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx512vnni")) {
			printf("%.1f\n", int8_peak());
			return 0;
		}
#endif
		fprintf(stderr, "cpu-kernels-bench: no AVX-512 VNNI on this CPU\n");
		return 1;
	}
	if (argc > 2 && !strcmp(argv[1], "--batch")) {
		cpu_kernels_force(argc > 4 && !strcmp(argv[4], "avx2") ? CPU_ISA_AVX2 : CPU_ISA_AUTO);
		return batch_bench(atoi(argv[2]), argc > 3 ? atoll(argv[3]) : 576);
	}
	k = argc > 1 ? atoll(argv[1]) : 2048;
	n_out = argc > 2 ? atoll(argv[2]) : 4096;
	const int64_t n_tok = 32;
	const size_t mv_bytes = (size_t)256 << 20; /* matrix-vector weights: far beyond the caches */
	float *x = malloc(sizeof(float) * k * n_tok), *y;

	y = malloc(sizeof(float) * (n_out * n_tok + mv_bytes / 16));
	if (k % 256 || !x || !y) {
		fprintf(stderr, "cpu-kernels-bench: k must be a multiple of 256\n");
		return 1;
	}
	for (int64_t i = 0; i < k * n_tok; i++)
		x[i] = (float)((i * 7919) % 2001 - 1000) / 1000.0f;
	printf("k=%lld; matvec: GB/s of weights streamed from memory (256 MiB matrix, one token);\n"
	       "matmul: GFLOP/s, %lld x %lld weights (cache-resident) times %lld tokens\n",
	       (long long)k, (long long)n_out, (long long)k, (long long)n_tok);
	printf("memory read bandwidth: %.1f GB/s (1 thread), %.1f GB/s (2 threads)\n", bandwidth(1),
	       bandwidth(2));
	printf("%-6s %-7s %10s %10s %10s %10s\n", "type", "isa", "mv 1t", "mv 2t", "mm 1t", "mm 2t");
	for (int isa = CPU_ISA_SCALAR; isa <= CPU_ISA_AVX512; isa++) {
		if (cpu_kernels_force(isa) != isa)
			continue;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			uint32_t t = types[i], at = cpu_vec_dot_type(t);
			size_t wr = cpu_row_bytes(t, k), ar = cpu_row_bytes(at, k);
			int64_t n_mv = (int64_t)(mv_bytes / wr) / 16 * 16; /* Q4_K: repacked order */
			uint8_t *w = malloc(wr * (size_t)n_mv), *a = malloc(ar * n_tok);
			struct job j = {t, k, 0, n_out, 1, w, a, wr, ar, y, n_out, NULL};
			struct job jv = {t, k, 0, n_mv, 1, w, a, wr, ar, y, n_mv, NULL};
			double r[4];

			if (!w || !a) {
				fprintf(stderr, "cpu-kernels-bench: out of memory\n");
				return 1;
			}
			/* weights: quantize-free fill with small valid bytes, the
			 * first rows' pattern repeated */
			for (size_t b = 0; b < wr * (size_t)n_out; b++)
				w[b] = (uint8_t)(b * 31 % 251);
			if (t == PLUME_DTYPE_F32)
				for (int64_t e = 0; e < k * n_out; e++)
					((float *)w)[e] = 0.001f * (float)(e % 17);
			for (int64_t o = n_out; o < n_mv; o += n_out)
				memcpy(w + (size_t)o * wr, w, wr * (size_t)(o + n_out <= n_mv ? n_out : n_mv - o));
			for (int64_t tk = 0; tk < n_tok; tk++)
				cpu_quantize_row(at, x + tk * k, a + tk * ar, k);
			for (int th = 1; th <= 2; th++) {
				r[th - 1] = (double)wr * n_mv / time_gemm(&jv, th) / 1e9;
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
