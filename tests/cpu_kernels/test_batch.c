/* The decode-batch kernel (backends/cpu/kernels/batch.c): weights packed
 * 16 rows per tile, products of several activation rows. Every output must
 * equal cpu_ilv_ref() of its weight and activation rows bit for bit —
 * whatever the number of rows, their pass split and the row-group range a
 * thread takes — and cpu_ilv_ref() must agree with a double-precision
 * dot product of the dequantized values within float rounding. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"

static const uint32_t batch_types[] = {PLUME_DTYPE_Q4_0, PLUME_DTYPE_Q4_1, PLUME_DTYPE_Q5_0,
				       PLUME_DTYPE_Q8_0, PLUME_DTYPE_Q4_K, PLUME_DTYPE_Q6_K};

static int same_bits(float a, float b)
{
	return !memcmp(&a, &b, sizeof(a));
}

Test(cpu_kernels, batch_reference_agrees_with_double_dot)
{
	enum { K = 1024 };
	uint64_t s = 31;

	for (size_t i = 0; i < sizeof(batch_types) / sizeof(batch_types[0]); i++) {
		uint32_t t = batch_types[i], at = cpu_vec_dot_type(t);
		uint8_t w[K / 32 * 34], a[K / 256 * 292];
		float x[K];

		for (int rep = 0; rep < 50; rep++) {
			double mag, ref;
			float got;

			kt_random_row(t, K, &s, w);
			for (int e = 0; e < K; e++)
				x[e] = kt_randf(&s) * (rep % 2 ? 3.0f : 0.05f);
			cpu_quantize_row(at, x, a, K);
			ref = kt_ref_dot(t, K, w, a, &mag);
			got = cpu_ilv_ref(t, K, w, a);
			/* one rounding per block product, fma and sum: a few ulps of the
			 * magnitude */
			cr_assert(fabs(got - ref) <= 1e-5 * mag + 1e-30, "%s: ilv ref %.9g, double %.9g (mag %g)",
				  kt_type_name(t), got, ref, mag);
		}
	}
}

/* n_rows x K weights, n_tok activation rows: every output, every split. */
static void check_type(uint32_t t, int64_t K, int64_t n_rows, int n_tok, uint64_t *s)
{
	uint32_t at = cpu_vec_dot_type(t);
	size_t wr = cpu_row_bytes(t, K), ar = cpu_row_bytes(at, K), pb = cpu_ilv_bytes(t, n_rows, K);
	uint8_t *w = malloc(wr * (size_t)n_rows), *a = malloc(ar * (size_t)n_tok);
	uint8_t *p = malloc(pb), *p2 = malloc(pb);
	int kq = t == PLUME_DTYPE_Q4_K || t == PLUME_DTYPE_Q6_K;
	float *x = malloc(sizeof(float) * (size_t)K), *y = malloc(sizeof(float) * (size_t)(n_rows * n_tok));
	float *y2 = malloc(sizeof(float) * (size_t)(n_rows * n_tok));
	int64_t G = n_rows / 16;

	/* the 32-element types pack into exactly their bytes; Q4_K's scales
	 * unpacked take 16 rows x 4 bytes more per block, Q6_K's values as bytes
	 * 16 x 46 */
	cr_assert(pb == wr * (size_t)n_rows + (size_t)(n_rows / 16) * (size_t)(K / 256) *
						      (t == PLUME_DTYPE_Q4_K ? 64 : t == PLUME_DTYPE_Q6_K ? 1024 : 0),
		  "%s: packed %zu bytes, source %zu", kt_type_name(t), pb, wr * (size_t)n_rows);
	(void)kq;
	cr_assert(w && a && p && p2 && x && y && y2);
	for (int64_t r = 0; r < n_rows; r++)
		kt_random_row(t, K, s, w + (size_t)r * wr);
	for (int r = 0; r < n_tok; r++) {
		for (int64_t e = 0; e < K; e++)
			x[e] = kt_randf(s) * (float)(1 + r);
		cpu_quantize_row(at, x, a + (size_t)r * ar, K);
	}
	/* packing in two ranges lands where packing at once does */
	cpu_ilv_pack(t, K, w, wr, 0, G, p);
	memset(p2, 0xA5, pb);
	cpu_ilv_pack(t, K, w, wr, G / 2, G, p2);
	cpu_ilv_pack(t, K, w, wr, 0, G / 2, p2);
	cr_assert(!memcmp(p, p2, pb), "%s: packing split across threads differs", kt_type_name(t));

	cr_assert(cpu_ilv_gemm(t, K, p, 0, G, a, ar, n_tok, y, n_rows));
	for (int r = 0; r < n_tok; r++)
		for (int64_t o = 0; o < n_rows; o++) {
			float want = cpu_ilv_ref(t, K, w + (size_t)o * wr, a + (size_t)r * ar);

			cr_assert(same_bits(y[r * n_rows + o], want),
				  "%s k=%lld, %d rows: out[%d][%lld] = %a, reference %a", kt_type_name(t),
				  (long long)K, n_tok, r, (long long)o, y[r * n_rows + o], want);
		}
	/* each row group alone, and each activation row alone: same bits */
	for (int64_t g = 0; g < G; g++)
		cr_assert(cpu_ilv_gemm(t, K, p, g, g + 1, a, ar, n_tok, y2, n_rows));
	cr_assert(!memcmp(y, y2, sizeof(float) * (size_t)(n_rows * n_tok)),
		  "%s: one group at a time differs", kt_type_name(t));
	for (int r = 0; r < n_tok; r++)
		cr_assert(cpu_ilv_gemm(t, K, p, 0, G, a + (size_t)r * ar, ar, 1, y2 + r * n_rows, n_rows));
	cr_assert(!memcmp(y, y2, sizeof(float) * (size_t)(n_rows * n_tok)),
		  "%s: one activation row at a time differs from %d together", kt_type_name(t), n_tok);
	free(w);
	free(a);
	free(p);
	free(p2);
	free(x);
	free(y);
	free(y2);
}

Test(cpu_kernels, batch_kernel_equals_its_reference_for_any_batch)
{
	int isas[3], n_isa = kt_isas(isas), ran = 0, isa_ran = 0;
	uint64_t s = 32;

	for (int q = 0; q < n_isa; q++) {
		int before = ran;

		cpu_kernels_force(isas[q]);
		if (!cpu_ilv_supported())
			continue;
		for (size_t i = 0; i < sizeof(batch_types) / sizeof(batch_types[0]); i++) {
			uint32_t t = batch_types[i];
			int kq = t == PLUME_DTYPE_Q4_K || t == PLUME_DTYPE_Q6_K;

			if (!cpu_ilv_runs(t)) {
				cr_assert(kq, "%s: no batch kernel with %s", kt_type_name(t), cpu_kernels_isa_name());
				continue;
			}
			for (int n_tok = 1; n_tok <= 13; n_tok += (n_tok < 8 ? 1 : 5)) {
				check_type(t, kq ? 768 : 576, 48, n_tok, &s);
				check_type(t, kq ? 256 : 32, 16, n_tok, &s);
				ran++;
			}
		}
		check_type(PLUME_DTYPE_Q4_1, 1536, 32, 4, &s);
		check_type(PLUME_DTYPE_Q8_0, 4096, 16, 5, &s); /* 128 blocks: the heap buffers */
		/* 1..8 and 13 rows: six types with AVX-512, the four 32-element ones with AVX2 */
		cr_assert(ran - before == (isas[q] == CPU_ISA_AVX512 ? 54 : 36), "%s: %d cases",
			  cpu_kernels_isa_name(), ran - before);
		isa_ran++;
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	if (!isa_ran)
		printf("SKIPPED: no AVX2 on this CPU, the decode-batch kernels were not run\n");
	else if (!cpu_ilv_runs(PLUME_DTYPE_Q4_K))
		printf("SKIPPED: no AVX-512 VNNI on this CPU, the AVX-512 decode-batch kernels were not run\n");
}

Test(cpu_kernels, batch_kernel_refuses_what_it_cannot_pack)
{
	cr_assert_eq(cpu_ilv_bytes(PLUME_DTYPE_Q4_1, 40, 576), 0, "rows not a multiple of 16");
	cr_assert_eq(cpu_ilv_bytes(PLUME_DTYPE_Q4_1, 48, 48), 0, "k not a multiple of 32");
	cr_assert_eq(cpu_ilv_bytes(PLUME_DTYPE_Q4_K, 48, 288), 0, "K-quants: k a multiple of 256");
	cr_assert_eq(cpu_ilv_bytes(PLUME_DTYPE_Q5_K, 48, 256), 0, "Q5_K is not packed");
	cr_assert_eq(cpu_ilv_bytes(PLUME_DTYPE_F32, 48, 256), 0);
	cr_assert_eq(cpu_ilv_bytes(PLUME_DTYPE_Q8_0, 32, 64), 32 * 2 * 34);
	/* the scalar ISA has no batch kernel: the caller keeps the exact path */
	cpu_kernels_force(CPU_ISA_SCALAR);
	cr_assert(!cpu_ilv_supported());
	cr_assert(!cpu_ilv_gemm(PLUME_DTYPE_Q4_1, 32, NULL, 0, 1, NULL, 36, 1, NULL, 16));
	cpu_kernels_force(CPU_ISA_AUTO);
}
