/* The CPU backend's gated activation products (backends/cpu/glu.c): the
 * AVX-512 paths equal the scalar go_silu(x) * u and go_gelu(x) * u bit for
 * bit on every lane, including the lanes whose exp leaves the normal range
 * (saturation, subnormal results, infinities, NaN) and GELU's table edges
 * (+-10, F16 overflow), and the portable path is the scalar one itself. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ggml_order.h"
#include "glu.h"
#include "kt.h"

static int same_bits(float a, float b)
{
	return !memcmp(&a, &b, sizeof(a)) || (isnan(a) && isnan(b));
}

Test(cpu_kernels, silu_product_equals_scalar_go_silu_on_every_isa)
{
	enum { N = 1037 };
	static float x[N], u[N], g[N];
	static const float special[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 80.0f, -80.0f, 87.5f, -87.5f,
					88.8f, -88.8f, 95.0f, -95.0f, 103.0f, -103.0f, 200.0f, -200.0f,
					INFINITY, -INFINITY, NAN, 3.4e38f, -3.4e38f};
	int isas[3], n_isa = kt_isas(isas), vec = 0;
	uint64_t s = 11;

	for (int i = 0; i < N; i++) {
		x[i] = kt_randf(&s) * (i % 3 ? 12.0f : 120.0f);
		u[i] = kt_randf(&s) * 3.0f;
	}
	memcpy(x + 100, special, sizeof(special));
	for (int q = 0; q < n_isa; q++) {
		cpu_kernels_force(isas[q]);
		vec |= !strcmp(cpu_kernels_isa_name(), "avx512");
		memcpy(g, x, sizeof(g));
		cpu_glu(0, NULL, g, u, N);
		for (int i = 0; i < N; i++)
			cr_assert(same_bits(g[i], go_silu(x[i]) * u[i]),
				  "silu(%a) * %a: %a, scalar %a (%s)", x[i], u[i], g[i],
				  go_silu(x[i]) * u[i], cpu_kernels_isa_name());
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	if (!vec)
		printf("SKIPPED: no AVX-512 on this CPU, the vector SiLU was not compared\n");
}

Test(cpu_kernels, gelu_product_equals_scalar_go_gelu_on_every_isa)
{
	enum { N = 1037 };
	static float x[N], u[N], g[N];
	static uint16_t tab[65536 + CPU_GELU_TAB_PAD];
	static const float special[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 9.99f, -9.99f, 10.0f, -10.0f,
					9.998f, -9.998f, 10.01f, -10.01f, 65504.0f, 70000.0f, -70000.0f,
					INFINITY, -INFINITY, NAN, 3.4e38f, -3.4e38f, 6e-8f, -6e-8f};
	int isas[3], n_isa = kt_isas(isas), vec = 0;
	uint64_t s = 12;

	go_gelu_table(tab);
	for (int i = 0; i < N; i++) {
		x[i] = kt_randf(&s) * (i % 3 ? 6.0f : 30.0f);
		u[i] = kt_randf(&s) * 3.0f;
	}
	memcpy(x + 200, special, sizeof(special));
	for (int q = 0; q < n_isa; q++) {
		cpu_kernels_force(isas[q]);
		vec |= !strcmp(cpu_kernels_isa_name(), "avx512");
		memcpy(g, x, sizeof(g));
		cpu_glu(1, tab, g, u, N);
		for (int i = 0; i < N; i++)
			cr_assert(same_bits(g[i], go_gelu(tab, x[i]) * u[i]),
				  "gelu(%a) * %a: %a, scalar %a (%s)", x[i], u[i], g[i],
				  go_gelu(tab, x[i]) * u[i], cpu_kernels_isa_name());
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	if (!vec)
		printf("SKIPPED: no AVX-512 on this CPU, the vector GELU was not compared\n");
}
