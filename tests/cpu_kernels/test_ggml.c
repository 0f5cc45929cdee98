/* Against llama.cpp itself: activations quantized by its CPU library and
 * its vec_dot result on a random weight row, per weight type
 * (tests/data/quant/ggml_<type>.bin from scripts/ref/quant_ref.py). The
 * quantizers must match byte for byte; the dot products within 1e-5 of the
 * magnitude on every ISA, and bit for bit where a SIMD path follows
 * llama.cpp's x86 lane and summation order (the reference library was built
 * for this AVX-512 machine: F32/F16 use its 512-bit order). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"

enum { N = 1024 };

static int follows_llama_order(uint32_t t, int isa)
{
	if (isa < CPU_ISA_AVX2)
		return 0;
	if (t == PLUME_DTYPE_F32 || t == PLUME_DTYPE_F16) /* llama.cpp built for AVX-512 */
		return isa == CPU_ISA_AVX512;
	return t == PLUME_DTYPE_Q4_0 || t == PLUME_DTYPE_Q4_1 || t == PLUME_DTYPE_Q5_0 ||
	       t == PLUME_DTYPE_Q5_1 || t == PLUME_DTYPE_Q8_0 || t == PLUME_DTYPE_Q2_K ||
	       t == PLUME_DTYPE_Q3_K || t == PLUME_DTYPE_Q4_K || t == PLUME_DTYPE_Q5_K ||
	       t == PLUME_DTYPE_Q6_K;
}

Test(cpu_kernels, quantizers_and_dots_equal_llama_cpp_library)
{
	int isas[3], n_isa = kt_isas(isas), n_exact = 0;

	for (int i = 0; i < kt_n_weight_types; i++) {
		uint32_t t = kt_weight_types[i], at = cpu_vec_dot_type(t);
		size_t wb = cpu_row_bytes(t, N), ab = cpu_row_bytes(at, N), size = 0;
		char name[64];
		uint8_t *d, *w, *a, *mine;
		float *x, ref;
		double mag;

		snprintf(name, sizeof(name), "ggml_%s.bin", kt_type_name(t));
		d = kt_read_data(name, &size);
		cr_assert(d, "tests/data/quant/%s missing", name);
		cr_assert_eq(size, 4 * N + wb + ab + 4, "%s: %zu bytes", name, size);
		x = (float *)d;
		w = d + 4 * N;
		a = w + wb;
		memcpy(&ref, a + ab, 4);
		mine = malloc(ab);
		cpu_quantize_row(at, x, mine, N);
		cr_assert_arr_eq(mine, a, ab, "%s: activation quantized to %s differs from llama.cpp",
				 kt_type_name(t), kt_type_name(at));
		kt_ref_dot(t, N, w, a, &mag);
		for (int k = 0; k < n_isa; k++) {
			float got;

			cpu_kernels_force(isas[k]);
			got = cpu_vec_dot(t, N, w, a);
			cr_assert(fabs((double)got - ref) <= 1e-5 * mag, "%s isa %d: %.9g, llama.cpp %.9g",
				  kt_type_name(t), isas[k], got, ref);
			if (follows_llama_order(t, isas[k])) {
				cr_assert_eq(got, ref, "%s isa %d: %.9g, llama.cpp %.9g (not bit-exact)",
					     kt_type_name(t), isas[k], got, ref);
				n_exact++;
			}
		}
		free(mine);
		free(d);
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	if (!n_exact)
		printf("SKIPPED: bit-exact comparison with llama.cpp needs AVX2 (checked within tolerance)\n");
}
