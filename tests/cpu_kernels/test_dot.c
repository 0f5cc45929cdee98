/* Dot products and gemm of every weight type on every ISA this CPU runs,
 * against a double-precision dot of the dequantized rows; SIMD against the
 * portable path; edge cases (zeros, largest magnitudes, one block, many). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"

static const char *isa_name(int isa)
{
	return isa == CPU_ISA_SCALAR ? "scalar" : isa == CPU_ISA_AVX2 ? "avx2" : "avx512";
}

/* |got - ref| within 1e-5 of sum |w_i a_i|: per-block float scaling and
 * float summation bound the error by a few ulps of the magnitude. */
static void check_dot(uint32_t t, int64_t n, const void *w, const void *a, int isa,
		      float got, const char *what)
{
	double mag, ref = kt_ref_dot(t, n, w, a, &mag);

	cr_assert(fabs((double)got - ref) <= 1e-5 * mag + 1e-30,
		  "%s %s %s n=%lld: got %.9g, reference %.9g (magnitude %.3g)", what,
		  kt_type_name(t), isa_name(isa), (long long)n, got, ref, mag);
}

static void run_dot_case(int64_t n, uint64_t seed)
{
	int isas[3], n_isa = kt_isas(isas);

	for (int i = 0; i < kt_n_weight_types; i++) {
		uint32_t t = kt_weight_types[i], at = cpu_vec_dot_type(t);
		int64_t be = cpu_type_block_elems(t);
		int64_t nn = (n + be - 1) / be * be;
		void *w = malloc(cpu_row_bytes(t, nn)), *a = malloc(cpu_row_bytes(at, nn));
		float *x = malloc((size_t)nn * 4), scalar = 0;

		kt_random_row(t, nn, &seed, w);
		for (int64_t j = 0; j < nn; j++)
			x[j] = kt_randf(&seed) * 4;
		cpu_quantize_row(at, x, a, nn);
		for (int k = 0; k < n_isa; k++) {
			float got;

			cpu_kernels_force(isas[k]);
			got = cpu_vec_dot(t, nn, w, a);
			check_dot(t, nn, w, a, isas[k], got, "vec_dot");
			if (isas[k] == CPU_ISA_SCALAR) {
				scalar = got;
			} else {
				double mag;

				kt_ref_dot(t, nn, w, a, &mag);
				cr_assert(fabs((double)got - scalar) <= 1e-5 * mag + 1e-30,
					  "%s %s vs scalar: %.9g vs %.9g", kt_type_name(t),
					  isa_name(isas[k]), got, scalar);
			}
		}
		free(w);
		free(a);
		free(x);
	}
	cpu_kernels_force(CPU_ISA_AUTO);
}

Test(cpu_kernels, vec_dot_one_block_matches_double_reference)
{
	run_dot_case(32, 11);
	run_dot_case(256, 12);
}

Test(cpu_kernels, vec_dot_many_blocks_matches_double_reference)
{
	run_dot_case(576, 21);  /* n_embd of the default model: 18 blocks, 2.25 K-blocks -> 768 */
	run_dot_case(1536, 22);
	run_dot_case(8192, 23);
}

Test(cpu_kernels, vec_dot_of_zero_rows_is_zero)
{
	int isas[3], n_isa = kt_isas(isas);

	for (int i = 0; i < kt_n_weight_types; i++) {
		uint32_t t = kt_weight_types[i], at = cpu_vec_dot_type(t);
		int64_t n = 512;
		void *w = calloc(1, cpu_row_bytes(t, n)), *a = malloc(cpu_row_bytes(at, n));
		float *x = calloc((size_t)n, 4);
		uint64_t s = 1;

		cpu_quantize_row(at, x, a, n); /* all-zero activation */
		for (int k = 0; k < n_isa; k++) {
			cpu_kernels_force(isas[k]);
			cr_assert_eq(cpu_vec_dot(t, n, w, a), 0.0f, "%s %s", kt_type_name(t),
				     isa_name(isas[k]));
		}
		/* random weights against a zero activation */
		kt_random_row(t, n, &s, w);
		for (int k = 0; k < n_isa; k++) {
			cpu_kernels_force(isas[k]);
			cr_assert_eq(cpu_vec_dot(t, n, w, a), 0.0f, "%s %s", kt_type_name(t),
				     isa_name(isas[k]));
		}
		free(w);
		free(a);
		free(x);
	}
	cpu_kernels_force(CPU_ISA_AUTO);
}

/* Every quant at its extreme (all bytes 0xFF or 0x00 with scale 1), against
 * activations at +-max: integer sums must not overflow or saturate. */
Test(cpu_kernels, vec_dot_at_max_magnitude_does_not_overflow)
{
	int isas[3], n_isa = kt_isas(isas);

	for (int i = 0; i < kt_n_weight_types; i++) {
		uint32_t t = kt_weight_types[i], at = cpu_vec_dot_type(t);
		int64_t n = 1024;
		size_t bs = cpu_type_block_bytes(t);
		uint8_t *w = malloc(cpu_row_bytes(t, n));
		void *a = malloc(cpu_row_bytes(at, n));
		float *x = malloc((size_t)n * 4);

		for (int fill = 0; fill < 2; fill++) {
			uint64_t s = 5;

			if (t == PLUME_DTYPE_F32 || t == PLUME_DTYPE_F16 || t == PLUME_DTYPE_BF16) {
				kt_random_row(t, n, &s, w);
			} else {
				memset(w, fill ? 0xFF : 0x00, cpu_row_bytes(t, n));
			}
			/* keep the fp16 scales finite: copy them from a random row */
			if (t != PLUME_DTYPE_F32 && t != PLUME_DTYPE_F16 && t != PLUME_DTYPE_BF16) {
				uint8_t *r = malloc(cpu_row_bytes(t, n));

				kt_random_row(t, n, &s, r);
				for (size_t b = 0; b < cpu_row_bytes(t, n) / bs; b++) {
					int offs[2] = {0, 2}, n_off = 1;

					if (t == PLUME_DTYPE_Q4_1 || t == PLUME_DTYPE_Q5_1 ||
					    t == PLUME_DTYPE_Q4_K || t == PLUME_DTYPE_Q5_K)
						n_off = 2;
					if (t == PLUME_DTYPE_Q2_K)
						offs[0] = 80, offs[1] = 82, n_off = 2;
					if (t == PLUME_DTYPE_Q3_K)
						offs[0] = 108;
					if (t == PLUME_DTYPE_Q6_K)
						offs[0] = 208;
					for (int k = 0; k < n_off; k++)
						memcpy(w + b * bs + offs[k], r + b * bs + offs[k], 2);
				}
				free(r);
			}
			for (int64_t j = 0; j < n; j++)
				x[j] = (j & 1) == fill ? -1000.0f : 1000.0f;
			cpu_quantize_row(at, x, a, n);
			for (int k = 0; k < n_isa; k++) {
				cpu_kernels_force(isas[k]);
				check_dot(t, n, w, a, isas[k], cpu_vec_dot(t, n, w, a), "max");
			}
		}
		free(w);
		free(a);
		free(x);
	}
	cpu_kernels_force(CPU_ISA_AUTO);
}

/* 1 where cpu_gemm follows llama.cpp's tiled K-quant product (8 or more
 * tokens on AVX-512) instead of vec_dot's order. */
static int tiled_order(uint32_t t, int isa, int64_t n_tok)
{
	return n_tok >= 8 && isa == CPU_ISA_AVX512 &&
	       (t == PLUME_DTYPE_Q3_K || t == PLUME_DTYPE_Q4_K || t == PLUME_DTYPE_Q5_K ||
		t == PLUME_DTYPE_Q6_K);
}

/* gemm over a row slice and several tokens equals vec_dot per element (or,
 * where it follows llama.cpp's tiled order, the same value within the dot
 * tolerance), and leaves rows outside the slice untouched. */
Test(cpu_kernels, gemm_slice_equals_vec_dot_per_element)
{
	int isas[3], n_isa = kt_isas(isas);
	const int64_t k = 512, n_out = 37, o0 = 3, o1 = 34;
	/* 16-, 8-, 4- and 2-row groups of the AVX-512 panel kernels, leftovers */
	const int64_t toks[] = {1, 2, 3, 4, 5, 7, 9, 15, 16, 31};
	enum { NT = 31 };

	for (int i = 0; i < kt_n_weight_types; i++) {
		uint32_t t = kt_weight_types[i], at = cpu_vec_dot_type(t);
		size_t wr = cpu_row_bytes(t, k), ar = cpu_row_bytes(at, k);
		uint8_t *w = malloc(wr * n_out), *a = malloc(ar * NT);
		float *x = malloc(k * 4), *y = malloc(NT * n_out * 4);
		uint64_t s = 77 + i;

		for (int64_t o = 0; o < n_out; o++)
			kt_random_row(t, k, &s, w + o * wr);
		for (int64_t tk = 0; tk < NT; tk++) {
			for (int64_t j = 0; j < k; j++)
				x[j] = kt_randf(&s);
			cpu_quantize_row(at, x, a + tk * ar, k);
		}
		for (int q = 0; q < n_isa; q++) {
			cpu_kernels_force(isas[q]);
			for (size_t c = 0; c < sizeof(toks) / sizeof(toks[0]); c++) {
				int64_t nt = toks[c];

				for (int64_t j = 0; j < NT * n_out; j++)
					y[j] = -12345.0f;
				cpu_gemm(t, k, w, wr, n_out, o0, o1, a, ar, nt, y, n_out);
				for (int64_t tk = 0; tk < NT; tk++)
					for (int64_t o = 0; o < n_out; o++) {
						float v = y[tk * n_out + o];

						if (tk >= nt || o < o0 || o >= o1) {
							cr_assert_eq(v, -12345.0f, "%s wrote outside the slice",
								     kt_type_name(t));
							continue;
						}
						if (!tiled_order(t, isas[q], nt))
							cr_assert_eq(v, cpu_vec_dot(t, k, w + o * wr, a + tk * ar),
								     "%s %s gemm[%lld,%lld] != vec_dot",
								     kt_type_name(t), isa_name(isas[q]),
								     (long long)tk, (long long)o);
						else /* multi-row kernels keep the one-row tiled bits */
							cr_assert_eq(v, cpu_vec_dot_kq_tiled(t, k, w + o * wr, a + tk * ar),
								     "%s %s gemm[%lld,%lld] != tiled order",
								     kt_type_name(t), isa_name(isas[q]),
								     (long long)tk, (long long)o);
						check_dot(t, k, w + o * wr, a + tk * ar, isas[q], v, "gemm");
					}
			}
		}
		free(w);
		free(a);
		free(x);
		free(y);
	}
	cpu_kernels_force(CPU_ISA_AUTO);
}

Test(cpu_kernels, isa_force_falls_back_and_reports_name)
{
	int isas[3], n_isa = kt_isas(isas);

	cr_assert_geq(n_isa, 1);
	cr_assert_eq(isas[0], CPU_ISA_SCALAR);
	cr_assert_eq(cpu_kernels_force(CPU_ISA_SCALAR), CPU_ISA_SCALAR);
	cr_assert_str_eq(cpu_kernels_isa_name(), "scalar");
	for (int i = 0; i < n_isa; i++)
		printf("cpu_kernels: ISA %s available\n", isa_name(isas[i]));
	if (n_isa < 3)
		printf("SKIPPED: ISA %s not supported by this CPU (tested the others)\n",
		       isa_name(isas[n_isa - 1] + 1));
	cpu_kernels_force(CPU_ISA_AUTO);
}

/* Q4_K weights with a multiple of 8 rows: llama.cpp repacks them and sums in
 * its 8x8 gemv order (per 256 elements) for single rows and its gemm order
 * (per 64 elements) for activation rows in groups of four; both must stay
 * within the dot tolerance of the exact product, and the single-token
 * product must equal cpu_vec_dot_q4_k_repacked. */
Test(cpu_kernels, q4_k_repacked_orders_stay_within_tolerance)
{
	int isas[3], n_isa = kt_isas(isas);
	const int64_t k = 1024, n_out = 16;
	uint32_t t = PLUME_DTYPE_Q4_K, at = cpu_vec_dot_type(t);
	size_t wr = cpu_row_bytes(t, k), ar = cpu_row_bytes(at, k);
	uint8_t *w = malloc(wr * n_out), *a = malloc(ar * 10);
	float *x = malloc(k * 4), *y = malloc(10 * n_out * 4);
	uint64_t s = 4242;
	int checked = 0;

	cr_assert(w && a && x && y);
	for (int64_t o = 0; o < n_out; o++)
		kt_random_row(t, k, &s, w + o * wr);
	for (int64_t tk = 0; tk < 10; tk++) {
		for (int64_t j = 0; j < k; j++)
			x[j] = kt_randf(&s);
		cpu_quantize_row(at, x, a + tk * ar, k);
	}
	for (int q = 0; q < n_isa; q++) {
		if (isas[q] < CPU_ISA_AVX2)
			continue;
		cpu_kernels_force(isas[q]);
		cpu_gemm(t, k, w, wr, n_out, 0, n_out, a, ar, 10, y, n_out);
		for (int64_t tk = 0; tk < 10; tk++)
			for (int64_t o = 0; o < n_out; o++) {
				float v = y[tk * n_out + o];

				check_dot(t, k, w + o * wr, a + tk * ar, isas[q], v, "repacked gemm");
				if (tk >= 8) /* rows 8, 9: the matrix-vector order */
					cr_assert_eq(v, cpu_vec_dot_q4_k_repacked(k, w + o * wr, a + tk * ar));
				else /* groups of four: the matrix-matrix order, on every ISA */
					cr_assert_eq(v, cpu_vec_dot_q4_k_repacked_gemm(k, w + o * wr, a + tk * ar),
						     "%s row %lld col %lld", isa_name(isas[q]), (long long)tk,
						     (long long)o);
				checked++;
			}
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	if (!checked)
		printf("SKIPPED: cpu_kernels: no AVX2 on this CPU, Q4_K repacked orders not checked\n");
	free(w);
	free(a);
	free(x);
	free(y);
}

/* The tiled K-quant order takes exact integer block sums (portable, AVX2 or
 * AVX-512 ways of computing them) through the same float steps: identical
 * bits on every ISA. */
Test(cpu_kernels, tiled_k_quant_order_is_identical_on_every_isa)
{
	static const uint32_t types[] = {PLUME_DTYPE_Q3_K, PLUME_DTYPE_Q4_K, PLUME_DTYPE_Q5_K,
					 PLUME_DTYPE_Q6_K};
	int isas[3], n_isa = kt_isas(isas);
	const int64_t k = 1024;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint32_t t = types[i], at = cpu_vec_dot_type(t);
		size_t wr = cpu_row_bytes(t, k), ar = cpu_row_bytes(at, k);
		uint8_t *w = malloc(wr), *a = malloc(ar);
		float *x = malloc(k * 4), ref = 0;
		uint64_t s = 313 + i;

		cr_assert(w && a && x);
		for (int rep = 0; rep < 8; rep++) {
			kt_random_row(t, k, &s, w);
			for (int64_t j = 0; j < k; j++)
				x[j] = kt_randf(&s);
			cpu_quantize_row(at, x, a, k);
			for (int q = 0; q < n_isa; q++) {
				float v;

				cpu_kernels_force(isas[q]);
				v = cpu_vec_dot_kq_tiled(t, k, w, a);
				if (q == 0)
					ref = v;
				cr_assert_eq(v, ref, "%s %s: %a, scalar %a", kt_type_name(t),
					     isa_name(isas[q]), v, ref);
			}
		}
		free(w);
		free(a);
		free(x);
	}
	cpu_kernels_force(CPU_ISA_AUTO);
}
