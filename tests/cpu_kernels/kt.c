/* Helpers shared by the CPU kernel tests (see kt.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"

const uint32_t kt_weight_types[] = {
	PLUME_DTYPE_F32, PLUME_DTYPE_F16, PLUME_DTYPE_BF16, PLUME_DTYPE_Q4_0, PLUME_DTYPE_Q4_1,
	PLUME_DTYPE_Q5_0, PLUME_DTYPE_Q5_1, PLUME_DTYPE_Q8_0, PLUME_DTYPE_Q2_K, PLUME_DTYPE_Q3_K,
	PLUME_DTYPE_Q4_K, PLUME_DTYPE_Q5_K, PLUME_DTYPE_Q6_K,
};
const int kt_n_weight_types = sizeof(kt_weight_types) / sizeof(kt_weight_types[0]);

const char *kt_type_name(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_F32: return "f32";
	case PLUME_DTYPE_F16: return "f16";
	case PLUME_DTYPE_BF16: return "bf16";
	case PLUME_DTYPE_Q4_0: return "q4_0";
	case PLUME_DTYPE_Q4_1: return "q4_1";
	case PLUME_DTYPE_Q5_0: return "q5_0";
	case PLUME_DTYPE_Q5_1: return "q5_1";
	case PLUME_DTYPE_Q8_0: return "q8_0";
	case PLUME_DTYPE_Q8_1: return "q8_1";
	case PLUME_DTYPE_Q2_K: return "q2_k";
	case PLUME_DTYPE_Q3_K: return "q3_k";
	case PLUME_DTYPE_Q4_K: return "q4_k";
	case PLUME_DTYPE_Q5_K: return "q5_k";
	case PLUME_DTYPE_Q6_K: return "q6_k";
	case PLUME_DTYPE_Q8_K: return "q8_k";
	default: return "?";
	}
}

uint64_t kt_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

float kt_randf(uint64_t *s)
{
	return (float)((double)kt_rand(s) / 2147483648.0 * 2.0 - 1.0);
}

static void put_h(uint8_t *p, float v)
{
	uint16_t h = cpu_fp32_to_fp16(v);

	memcpy(p, &h, 2);
}

void kt_random_row(uint32_t t, int64_t n, uint64_t *seed, void *dst)
{
	uint8_t *b = dst;
	size_t bs = cpu_type_block_bytes(t), nb = (size_t)(n / cpu_type_block_elems(t));
	/* fp16 scale fields: offsets; a negative offset marks a min (>= 0) */
	int off[2] = {-100, -100}, n_off = 0;

	if (t == PLUME_DTYPE_F32) {
		for (int64_t i = 0; i < n; i++)
			((float *)dst)[i] = kt_randf(seed);
		return;
	}
	if (t == PLUME_DTYPE_F16 || t == PLUME_DTYPE_BF16) {
		for (int64_t i = 0; i < n; i++) {
			float v = kt_randf(seed);
			uint16_t h = t == PLUME_DTYPE_F16 ? cpu_fp32_to_fp16(v) : cpu_fp32_to_bf16(v);

			memcpy(b + 2 * i, &h, 2);
		}
		return;
	}
	for (size_t i = 0; i < nb * bs; i++)
		b[i] = (uint8_t)kt_rand(seed);
	switch (t) {
	case PLUME_DTYPE_Q4_1: case PLUME_DTYPE_Q5_1: case PLUME_DTYPE_Q4_K: case PLUME_DTYPE_Q5_K:
		off[0] = 0; off[1] = 2; n_off = 2; break;
	case PLUME_DTYPE_Q2_K: off[0] = 80; off[1] = 82; n_off = 2; break;
	case PLUME_DTYPE_Q3_K: off[0] = 108; n_off = 1; break;
	case PLUME_DTYPE_Q6_K: off[0] = 208; n_off = 1; break;
	default: off[0] = 0; n_off = 1; break;
	}
	for (size_t i = 0; i < nb; i++)
		for (int k = 0; k < n_off; k++)
			put_h(b + i * bs + off[k], 0.05f * kt_randf(seed));
}

/* s of a Q8_1 block is stored rounded to fp16; the dot uses it as stored. */
double kt_ref_dot(uint32_t wt, int64_t n, const void *w, const void *a, double *mag)
{
	uint32_t at = cpu_vec_dot_type(wt);
	float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
	double sum = 0, m = 0;

	cpu_dequant_row(wt, w, x, n);
	cpu_dequant_row(at, a, y, n);
	if (at == PLUME_DTYPE_Q8_1) {
		/* dequant(Q4_1) = d*q + m: split off m and use m * s instead */
		const uint8_t *wb = w, *ab = a;
		size_t wbs = cpu_type_block_bytes(wt);

		for (int64_t b = 0; b < n / 32; b++) {
			uint16_t hm, hs;
			double mn, s;

			memcpy(&hm, wb + b * wbs + 2, 2);
			memcpy(&hs, ab + b * 36 + 2, 2);
			mn = cpu_fp16_to_fp32(hm);
			s = cpu_fp16_to_fp32(hs);
			for (int j = 0; j < 32; j++) {
				double p = ((double)x[32 * b + j] - mn) * y[32 * b + j];

				sum += p;
				m += fabs(p);
			}
			sum += mn * s;
			m += fabs(mn * s);
		}
	} else {
		for (int64_t i = 0; i < n; i++) {
			sum += (double)x[i] * y[i];
			m += fabs((double)x[i] * y[i]);
		}
	}
	free(x);
	free(y);
	*mag = m;
	return sum;
}

void *kt_read_data(const char *name, size_t *size)
{
	const char *dir = getenv("PLUME_SOURCE_DIR");
	char path[1024];
	FILE *f;
	void *buf = NULL;
	long len;

	snprintf(path, sizeof(path), "%s/tests/data/quant/%s", dir ? dir : ".", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	*size = (size_t)len;
out:
	fclose(f);
	return buf;
}

int kt_isas(int *isa)
{
	int n = 0;

	for (int i = CPU_ISA_SCALAR; i <= CPU_ISA_AVX512; i++)
		if (cpu_kernels_force(i) == i)
			isa[n++] = i;
	cpu_kernels_force(CPU_ISA_AUTO);
	return n;
}
