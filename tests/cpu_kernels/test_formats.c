/* Element conversions, dequantization against the gguf package's
 * dequantizer on committed blocks, and the activation quantizers against an
 * independent scalar model of llama.cpp's x86 quantize_row_q8_{0,1,K}. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_impl.h"
#include "kt.h"

static uint32_t f2u(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

Test(cpu_kernels, fp16_to_fp32_exact_for_every_half)
{
	for (uint32_t h = 0; h < 65536; h++) {
		_Float16 ref;
		uint16_t hh = (uint16_t)h;
		float got = cpu_fp16_to_fp32(hh);

		memcpy(&ref, &hh, 2);
		if (isnan((float)ref))
			cr_assert(isnan(got), "half 0x%04x", h);
		else
			cr_assert_eq(f2u(got), f2u((float)ref), "half 0x%04x", h);
	}
}

Test(cpu_kernels, fp32_to_fp16_rounds_to_nearest_even)
{
	uint64_t s = 7;

	/* every float whose top 19 bits vary (all exponents, ties included) */
	for (uint32_t hi = 0; hi < (1u << 19); hi++) {
		uint32_t u = (hi << 13) | (uint32_t)(kt_rand(&s) & 0x1FFF);
		float f;

		for (int k = 0; k < 3; k++) {
			uint32_t v = k == 0 ? u : k == 1 ? (u & ~0x1FFFu) | 0x1000u : u & ~0x1FFFu;
			_Float16 ref;
			uint16_t r, got;

			memcpy(&f, &v, 4);
			if (isnan(f))
				continue;
			ref = (_Float16)f;
			memcpy(&r, &ref, 2);
			got = cpu_fp32_to_fp16(f);
			cr_assert_eq(got, r, "float 0x%08x: 0x%04x, expected 0x%04x", v, got, r);
		}
	}
}

Test(cpu_kernels, bf16_rounds_to_nearest_even_and_back_exact)
{
	cr_assert_eq(cpu_fp32_to_bf16(1.0f), 0x3F80);
	/* 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even is 1 */
	cr_assert_eq(cpu_fp32_to_bf16(1.0f + 0x1p-8f), 0x3F80);
	cr_assert_eq(cpu_fp32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3F82);
	cr_assert_eq(cpu_fp32_to_bf16(-2.0f), 0xC000);
	cr_assert(isnan(cpu_bf16_to_fp32(cpu_fp32_to_bf16(NAN))));
	for (uint32_t h = 0; h < 65536; h++) {
		float f = cpu_bf16_to_fp32((uint16_t)h);

		cr_assert_eq(f2u(f), h << 16);
		if (!isnan(f))
			cr_assert_eq(cpu_fp32_to_bf16(f), h);
	}
}

Test(cpu_kernels, type_traits_match_ggml_block_sizes)
{
	static const struct { uint32_t t; int64_t e; size_t b; uint32_t vd; } tab[] = {
		{PLUME_DTYPE_F32, 1, 4, PLUME_DTYPE_F32}, {PLUME_DTYPE_F16, 1, 2, PLUME_DTYPE_F16},
		{PLUME_DTYPE_BF16, 1, 2, PLUME_DTYPE_BF16}, {PLUME_DTYPE_Q4_0, 32, 18, PLUME_DTYPE_Q8_0},
		{PLUME_DTYPE_Q4_1, 32, 20, PLUME_DTYPE_Q8_1}, {PLUME_DTYPE_Q5_0, 32, 22, PLUME_DTYPE_Q8_0},
		{PLUME_DTYPE_Q5_1, 32, 24, PLUME_DTYPE_Q8_1}, {PLUME_DTYPE_Q8_0, 32, 34, PLUME_DTYPE_Q8_0},
		{PLUME_DTYPE_Q2_K, 256, 84, PLUME_DTYPE_Q8_K}, {PLUME_DTYPE_Q3_K, 256, 110, PLUME_DTYPE_Q8_K},
		{PLUME_DTYPE_Q4_K, 256, 144, PLUME_DTYPE_Q8_K}, {PLUME_DTYPE_Q5_K, 256, 176, PLUME_DTYPE_Q8_K},
		{PLUME_DTYPE_Q6_K, 256, 210, PLUME_DTYPE_Q8_K},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		cr_assert(cpu_type_supported(tab[i].t), "%s", kt_type_name(tab[i].t));
		cr_assert_eq(cpu_type_block_elems(tab[i].t), tab[i].e, "%s", kt_type_name(tab[i].t));
		cr_assert_eq(cpu_type_block_bytes(tab[i].t), tab[i].b, "%s", kt_type_name(tab[i].t));
		cr_assert_eq(cpu_vec_dot_type(tab[i].t), tab[i].vd, "%s", kt_type_name(tab[i].t));
		cr_assert_eq(cpu_row_bytes(tab[i].t, 4 * tab[i].e), 4 * tab[i].b);
	}
	cr_assert_eq(cpu_type_block_bytes(PLUME_DTYPE_Q8_1), 36);
	cr_assert_eq(cpu_type_block_bytes(PLUME_DTYPE_Q8_K), 292);
	cr_assert_not(cpu_type_supported(16)); /* IQ2_XXS */
}

Test(cpu_kernels, dequant_equals_gguf_package_on_reference_blocks)
{
	int n_checked = 0;

	for (int i = 0; i < kt_n_weight_types; i++) {
		uint32_t t = kt_weight_types[i];
		char name[64];
		size_t raw_size = 0, exp_size = 0;
		void *raw, *exp;
		float *got;
		int64_t n;

		snprintf(name, sizeof(name), "%s.bin", kt_type_name(t));
		raw = kt_read_data(name, &raw_size);
		snprintf(name, sizeof(name), "%s.f32", kt_type_name(t));
		exp = kt_read_data(name, &exp_size);
		cr_assert(raw && exp, "tests/data/quant/%s missing (PLUME_SOURCE_DIR set?)", name);
		n = (int64_t)(exp_size / 4);
		cr_assert_eq(cpu_row_bytes(t, n), raw_size, "%s: %zu bytes for %lld values",
			     kt_type_name(t), raw_size, (long long)n);
		got = malloc(exp_size);
		cpu_dequant_row(t, raw, got, n);
		for (int64_t j = 0; j < n; j++) {
			float e;

			memcpy(&e, (char *)exp + 4 * j, 4);
			/* exact: both sides compute d*q (+m / -dmin*m) in f32 */
			cr_assert_eq(f2u(got[j]), f2u(e), "%s[%lld]: %.9g, gguf %.9g",
				     kt_type_name(t), (long long)j, got[j], e);
		}
		free(got);
		free(raw);
		free(exp);
		n_checked++;
	}
	cr_assert_eq(n_checked, 13);
}

/* ---- activation quantizers ------------------------------------------- */

static uint16_t ref_h(float f)
{
	_Float16 h = (_Float16)f;
	uint16_t u;

	memcpy(&u, &h, 2);
	return u;
}

/* llama.cpp x86 (AVX2) quantize_row_q8_0/q8_1, one block of 32, in scalar
 * form: amax; d = amax/127 (stored f16); id = 127/amax; q = round-half-even
 * (x*id); Q8_1 s = f16(d * sum q) with the f32 d. */
static void model_q8(const float *x, uint8_t *blk, int q81)
{
	float amax = 0, d, id;
	int sum = 0, off = q81 ? 4 : 2;
	uint16_t h;

	for (int j = 0; j < 32; j++)
		amax = fmaxf(amax, fabsf(x[j]));
	d = amax / 127.f;
	id = amax != 0.0f ? 127.f / amax : 0.0f;
	h = ref_h(d);
	memcpy(blk, &h, 2);
	for (int j = 0; j < 32; j++) {
		float v = x[j] * id;
		int q = (int)rintf(v);

		blk[off + j] = (uint8_t)(int8_t)q;
		sum += q;
	}
	if (q81) {
		h = ref_h(d * (float)sum);
		memcpy(blk + 2, &h, 2);
	}
}

/* quantize_row_q8_K_ref (x86 uses the reference): signed max, iscale =
 * -127/max, nearest_int, clamp 127, d = 1/iscale, 16 bsums. */
static void model_q8k(const float *x, uint8_t *blk)
{
	float max = 0, amax = 0, iscale, d;

	memset(blk, 0, 292);
	for (int j = 0; j < 256; j++)
		if (fabsf(x[j]) > amax) {
			amax = fabsf(x[j]);
			max = x[j];
		}
	if (amax == 0)
		return;
	iscale = -127.f / max;
	for (int j = 0; j < 256; j++) {
		long q = lrintf(iscale * x[j]);

		blk[4 + j] = (uint8_t)(int8_t)(q > 127 ? 127 : q);
	}
	for (int g = 0; g < 16; g++) {
		int16_t s = 0;

		for (int j = 0; j < 16; j++)
			s += (int8_t)blk[4 + 16 * g + j];
		memcpy(blk + 260 + 2 * g, &s, 2);
	}
	d = 1 / iscale;
	memcpy(blk, &d, 4);
}

static void fill_activations(float *x, int64_t n, uint64_t seed)
{
	for (int64_t i = 0; i < n; i++)
		x[i] = kt_randf(&seed) * (1 + (i % 97));
	/* ties for the rounding: x*id lands on k + 0.5 when x = (k+0.5)*amax/127 */
	for (int64_t i = 0; i + 32 <= n && i < 512; i += 32) {
		x[i] = 127.0f;
		for (int j = 1; j < 32; j++)
			x[i + j] = (float)(j % 20) + 0.5f;
	}
	memset(x + 512, 0, 32 * sizeof(float)); /* an all-zero block */
}

Test(cpu_kernels, q8_0_and_q8_1_equal_llama_cpp_x86_model)
{
	enum { N = 4096 };
	float *x = malloc(N * 4);
	uint8_t *got = malloc(N / 32 * 36), exp[36];

	int isas[3], n_isa = kt_isas(isas);

	fill_activations(x, N, 99);
	for (int i = 0; i < n_isa; i++) { /* portable, AVX2 and AVX-512 quantizers */
		cpu_kernels_force(isas[i]);
		for (int q81 = 0; q81 < 2; q81++) {
			size_t bs = q81 ? 36 : 34;

			cpu_quantize_row(q81 ? PLUME_DTYPE_Q8_1 : PLUME_DTYPE_Q8_0, x, got, N);
			for (int b = 0; b < N / 32; b++) {
				model_q8(x + 32 * b, exp, q81);
				cr_assert_arr_eq(got + b * bs, exp, bs, "%s block %d differs (%s)",
						 q81 ? "q8_1" : "q8_0", b, cpu_kernels_isa_name());
			}
		}
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	free(x);
	free(got);
}

Test(cpu_kernels, q8_k_equals_llama_cpp_reference_model)
{
	enum { N = 2048 };
	float *x = malloc(N * 4);
	uint8_t *got = malloc(N / 256 * 292), exp[292];

	int isas[3], n_isa = kt_isas(isas);

	fill_activations(x, N, 5);
	x[700] = -1000.0f; /* negative signed max: iscale > 0 */
	x[1100] = 900.0f;  /* a magnitude tie: the first occurrence is the max */
	x[1101] = -900.0f;
	for (int j = 1536; j < 1792; j++) /* an all-zero block */
		x[j] = 0.0f;
	for (int i = 0; i < n_isa; i++) { /* portable and AVX-512 quantizers */
		cpu_kernels_force(isas[i]);
		cpu_quantize_row(PLUME_DTYPE_Q8_K, x, got, N);
		for (int b = 0; b < N / 256; b++) {
			model_q8k(x + 256 * b, exp);
			cr_assert_arr_eq(got + b * 292, exp, 292, "q8_k block %d differs (%s)", b,
					 cpu_kernels_isa_name());
		}
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	free(x);
	free(got);
}

/* gguf's Python Q8_0 uses id = 1/d and rounds halves away from zero; x86
 * llama.cpp uses id = 127/amax and rounds halves to even. Scales must agree
 * exactly and each value by at most one unit, rarely. */
Test(cpu_kernels, q8_0_close_to_gguf_package_quantizer)
{
	size_t xs = 0, bs = 0;
	float *x = kt_read_data("q8_0_act.f32", &xs);
	uint8_t *exp = kt_read_data("q8_0_act.bin", &bs), *got;
	int64_t n = (int64_t)(xs / 4);
	int n_diff = 0;

	cr_assert(x && exp, "tests/data/quant/q8_0_act.* missing");
	cr_assert_eq(bs, cpu_row_bytes(PLUME_DTYPE_Q8_0, n));
	got = malloc(bs);
	cpu_quantize_row(PLUME_DTYPE_Q8_0, x, got, n);
	for (int64_t b = 0; b < n / 32; b++) {
		cr_assert_arr_eq(got + 34 * b, exp + 34 * b, 2, "block %lld scale", (long long)b);
		for (int j = 0; j < 32; j++) {
			int d = (int8_t)got[34 * b + 2 + j] - (int8_t)exp[34 * b + 2 + j];

			cr_assert(abs(d) <= 1);
			n_diff += d != 0;
		}
	}
	cr_assert(n_diff * 100 < n, "%d of %lld values differ", n_diff, (long long)n);
	free(got);
	free(x);
	free(exp);
}

Test(cpu_kernels, f16_and_bf16_activations_round_each_value)
{
	float x[67];
	uint16_t h[67];
	uint64_t s = 3;
	int isas[3], n_isa = kt_isas(isas);

	for (int i = 0; i < 67; i++)
		x[i] = kt_randf(&s) * 100;
	x[5] = 1e-6f;      /* F16 subnormal */
	x[6] = 70000.0f;   /* overflows to infinity */
	x[7] = 1.0009765625f + 0.00048828125f; /* a tie: rounds to even */
	for (int i = 0; i < n_isa; i++) { /* portable and F16C conversions */
		cpu_kernels_force(isas[i]);
		cpu_quantize_row(PLUME_DTYPE_F16, x, h, 67);
		for (int j = 0; j < 67; j++)
			cr_assert_eq(h[j], ref_h(x[j]), "f16 %d (%s)", j, cpu_kernels_isa_name());
	}
	cpu_kernels_force(CPU_ISA_AUTO);
	cpu_quantize_row(PLUME_DTYPE_BF16, x, h, 64);
	for (int i = 0; i < 64; i++)
		cr_assert_eq(h[i], cpu_fp32_to_bf16(x[i]));
}

/* The eight-at-once K-quant scale/min unpack equals the per-sub-block rule
 * on random header bytes. */
Test(cpu_kernels, k_scales_mins_equal_the_per_sub_block_rule)
{
	uint64_t s = 4711;

	for (int rep = 0; rep < 10000; rep++) {
		uint8_t S[12];
		int sc[8], m[8];

		for (int i = 0; i < 12; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			S[i] = (uint8_t)(s >> 56);
		}
		cpu_k_scales_mins(S, sc, m);
		for (int k = 0; k < 8; k++) {
			int sc1, m1;

			cpu_k_scale_min(S, k, &sc1, &m1);
			cr_assert(sc[k] == sc1 && m[k] == m1, "sub-block %d: %d/%d vs %d/%d", k, sc[k], m[k],
				  sc1, m1);
		}
	}
}
