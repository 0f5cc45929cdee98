/* Block formats: type traits, dequantization of every supported weight type,
 * and the activation quantizers of llama.cpp's x86 CPU path (Q8_0, Q8_1 per
 * 32; Q8_K per 256). Layouts: docs/quantization.md. */
#include <math.h>
#include <string.h>

#include "kernels_impl.h"

int cpu_type_supported(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_F32: case PLUME_DTYPE_F16: case PLUME_DTYPE_BF16:
	case PLUME_DTYPE_Q4_0: case PLUME_DTYPE_Q4_1: case PLUME_DTYPE_Q5_0: case PLUME_DTYPE_Q5_1:
	case PLUME_DTYPE_Q8_0: case PLUME_DTYPE_Q2_K: case PLUME_DTYPE_Q3_K: case PLUME_DTYPE_Q4_K:
	case PLUME_DTYPE_Q5_K: case PLUME_DTYPE_Q6_K:
		return 1;
	default:
		return 0;
	}
}

int64_t cpu_type_block_elems(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_F32: case PLUME_DTYPE_F16: case PLUME_DTYPE_BF16:
		return 1;
	case PLUME_DTYPE_Q4_0: case PLUME_DTYPE_Q4_1: case PLUME_DTYPE_Q5_0: case PLUME_DTYPE_Q5_1:
	case PLUME_DTYPE_Q8_0: case PLUME_DTYPE_Q8_1:
		return 32;
	default:
		return 256;
	}
}

size_t cpu_type_block_bytes(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_F32: return 4;
	case PLUME_DTYPE_F16: case PLUME_DTYPE_BF16: return 2;
	case PLUME_DTYPE_Q4_0: return 18;
	case PLUME_DTYPE_Q4_1: return 20;
	case PLUME_DTYPE_Q5_0: return 22;
	case PLUME_DTYPE_Q5_1: return 24;
	case PLUME_DTYPE_Q8_0: return 34;
	case PLUME_DTYPE_Q8_1: return 36;
	case PLUME_DTYPE_Q2_K: return 84;
	case PLUME_DTYPE_Q3_K: return 110;
	case PLUME_DTYPE_Q4_K: return 144;
	case PLUME_DTYPE_Q5_K: return 176;
	case PLUME_DTYPE_Q6_K: return 210;
	case PLUME_DTYPE_Q8_K: return 292;
	default: return 0;
	}
}

size_t cpu_row_bytes(uint32_t t, int64_t n)
{
	return (size_t)(n / cpu_type_block_elems(t)) * cpu_type_block_bytes(t);
}

uint32_t cpu_vec_dot_type(uint32_t w)
{
	switch (w) {
	case PLUME_DTYPE_F32: return PLUME_DTYPE_F32;
	case PLUME_DTYPE_F16: return PLUME_DTYPE_F16;
	case PLUME_DTYPE_BF16: return PLUME_DTYPE_BF16;
	case PLUME_DTYPE_Q4_1: case PLUME_DTYPE_Q5_1: return PLUME_DTYPE_Q8_1;
	case PLUME_DTYPE_Q4_0: case PLUME_DTYPE_Q5_0: case PLUME_DTYPE_Q8_0: return PLUME_DTYPE_Q8_0;
	default: return PLUME_DTYPE_Q8_K;
	}
}

/* ---- dequantization --------------------------------------------------- */

static void deq_q4_0(const uint8_t *b, float *y)
{
	float d = h2f(b);

	for (int j = 0; j < 16; j++) {
		y[j] = ((b[2 + j] & 15) - 8) * d;
		y[j + 16] = ((b[2 + j] >> 4) - 8) * d;
	}
}

static void deq_q4_1(const uint8_t *b, float *y)
{
	float d = h2f(b), m = h2f(b + 2);

	for (int j = 0; j < 16; j++) {
		y[j] = (b[4 + j] & 15) * d + m;
		y[j + 16] = (b[4 + j] >> 4) * d + m;
	}
}

static void deq_q5_0(const uint8_t *b, float *y)
{
	float d = h2f(b);
	uint32_t qh;

	memcpy(&qh, b + 2, 4);
	for (int j = 0; j < 16; j++) {
		int lo = (b[6 + j] & 15) | (((qh >> j) & 1) << 4);
		int hi = (b[6 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4);

		y[j] = (lo - 16) * d;
		y[j + 16] = (hi - 16) * d;
	}
}

static void deq_q5_1(const uint8_t *b, float *y)
{
	float d = h2f(b), m = h2f(b + 2);
	uint32_t qh;

	memcpy(&qh, b + 4, 4);
	for (int j = 0; j < 16; j++) {
		int lo = (b[8 + j] & 15) | (((qh >> j) & 1) << 4);
		int hi = (b[8 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4);

		y[j] = lo * d + m;
		y[j + 16] = hi * d + m;
	}
}

static void deq_q8_0(const uint8_t *b, float *y)
{
	float d = h2f(b);

	for (int j = 0; j < 32; j++)
		y[j] = (int8_t)b[2 + j] * d;
}

static void deq_q2_k(const uint8_t *b, float *y)
{
	const uint8_t *sc = b, *qs = b + 16;
	float d = h2f(b + 80), dmin = h2f(b + 82);

	for (int e = 0; e < 256; e++) {
		int h = e / 128, r = e % 128, j = r / 32, t = r % 32;
		int q = (qs[32 * h + t] >> (2 * j)) & 3;
		int s = sc[e / 16];

		y[e] = d * (s & 15) * q - dmin * (s >> 4);
	}
}

static void deq_q3_k(const uint8_t *b, float *y)
{
	const uint8_t *hm = b, *qs = b + 32, *S = b + 96;
	float d = h2f(b + 108);
	int sc[16];

	for (int i = 0; i < 16; i++) {
		int lo = i < 8 ? S[i] & 15 : S[i - 8] >> 4;
		int hi = (S[8 + (i & 3)] >> (2 * (i >> 2))) & 3;

		sc[i] = (lo | hi << 4) - 32;
	}
	for (int e = 0; e < 256; e++) {
		int h = e / 128, r = e % 128, j = r / 32, t = r % 32;
		int low = (qs[32 * h + t] >> (2 * j)) & 3;
		int flag = (hm[t] >> (4 * h + j)) & 1;

		y[e] = d * sc[e / 16] * (low - (flag ? 0 : 4));
	}
}

void cpu_k_scale_min(const uint8_t *S, int k, int *sc, int *m)
{
	if (k < 4) {
		*sc = S[k] & 63;
		*m = S[k + 4] & 63;
	} else {
		*sc = (S[k + 4] & 15) | ((S[k - 4] >> 6) << 4);
		*m = (S[k + 4] >> 4) | ((S[k] >> 6) << 4);
	}
}

static void deq_q4_k(const uint8_t *b, float *y)
{
	float d = h2f(b), dmin = h2f(b + 2);
	const uint8_t *qs = b + 16;

	for (int c = 0; c < 4; c++)
		for (int half = 0; half < 2; half++) {
			int k = 2 * c + half, sc, m;

			cpu_k_scale_min(b + 4, k, &sc, &m);
			for (int l = 0; l < 32; l++) {
				int q = half ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 15;

				y[64 * c + 32 * half + l] = d * sc * q - dmin * m;
			}
		}
}

static void deq_q5_k(const uint8_t *b, float *y)
{
	float d = h2f(b), dmin = h2f(b + 2);
	const uint8_t *qh = b + 16, *qs = b + 48;

	for (int c = 0; c < 4; c++)
		for (int half = 0; half < 2; half++) {
			int k = 2 * c + half, sc, m;

			cpu_k_scale_min(b + 4, k, &sc, &m);
			for (int l = 0; l < 32; l++) {
				int q = half ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 15;

				q += 16 * ((qh[l] >> k) & 1);
				y[64 * c + 32 * half + l] = d * sc * q - dmin * m;
			}
		}
}

static void deq_q6_k(const uint8_t *b, float *y)
{
	const uint8_t *ql = b, *qh = b + 128;
	const int8_t *sc = (const int8_t *)(b + 192);
	float d = h2f(b + 208);

	for (int e = 0; e < 256; e++) {
		int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
		int src = ql[64 * h + l + ((g & 1) ? 32 : 0)];
		int low = g < 2 ? src & 15 : src >> 4;
		int high = (qh[32 * h + l] >> (2 * g)) & 3;

		y[e] = d * sc[e / 16] * ((low | high << 4) - 32);
	}
}

void cpu_dequant_row(uint32_t type, const void *src, float *dst, int64_t n)
{
	const uint8_t *b = src;
	int64_t nb = n / cpu_type_block_elems(type);
	size_t bs = cpu_type_block_bytes(type);
	void (*f)(const uint8_t *, float *) = NULL;

	switch (type) {
	case PLUME_DTYPE_F32:
		memcpy(dst, src, (size_t)n * 4);
		return;
	case PLUME_DTYPE_F16:
		for (int64_t i = 0; i < n; i++)
			dst[i] = h2f(b + 2 * i);
		return;
	case PLUME_DTYPE_BF16:
		for (int64_t i = 0; i < n; i++) {
			uint16_t h;

			memcpy(&h, b + 2 * i, 2);
			dst[i] = cpu_bf16_to_fp32(h);
		}
		return;
	case PLUME_DTYPE_Q4_0: f = deq_q4_0; break;
	case PLUME_DTYPE_Q4_1: f = deq_q4_1; break;
	case PLUME_DTYPE_Q5_0: f = deq_q5_0; break;
	case PLUME_DTYPE_Q5_1: f = deq_q5_1; break;
	case PLUME_DTYPE_Q8_0: case PLUME_DTYPE_Q8_1:
		if (type == PLUME_DTYPE_Q8_1) {
			for (int64_t i = 0; i < nb; i++)
				for (int j = 0; j < 32; j++)
					dst[32 * i + j] = (int8_t)b[36 * i + 4 + j] * h2f(b + 36 * i);
			return;
		}
		f = deq_q8_0;
		break;
	case PLUME_DTYPE_Q2_K: f = deq_q2_k; break;
	case PLUME_DTYPE_Q3_K: f = deq_q3_k; break;
	case PLUME_DTYPE_Q4_K: f = deq_q4_k; break;
	case PLUME_DTYPE_Q5_K: f = deq_q5_k; break;
	case PLUME_DTYPE_Q6_K: f = deq_q6_k; break;
	case PLUME_DTYPE_Q8_K:
		for (int64_t i = 0; i < nb; i++) {
			float d;

			memcpy(&d, b + 292 * i, 4);
			for (int j = 0; j < 256; j++)
				dst[256 * i + j] = d * (int8_t)b[292 * i + 4 + j];
		}
		return;
	default:
		memset(dst, 0, (size_t)n * 4);
		return;
	}
	for (int64_t i = 0; i < nb; i++)
		f(b + i * bs, dst + 32 * (cpu_type_block_elems(type) / 32) * i);
}

/* ---- activation quantizers (llama.cpp x86) ---------------------------- */

/* Round half to even, as _mm256_round_ps(_MM_ROUND_NEAREST) and nearbyintf
 * in the default rounding mode. */
static inline int rne(float x)
{
	return (int)nearbyintf(x);
}

/* ggml's nearest_int: round half to even through the 1.5*2^23 trick. */
static inline int nearest_int(float f)
{
	float v = f + 12582912.f;
	int i;

	memcpy(&i, &v, 4);
	return (i & 0x007fffff) - 0x00400000;
}

static void quant_q8_0(const float *x, uint8_t *y, int64_t n, int with_sum)
{
	size_t bs = with_sum ? 36 : 34;
	int off = with_sum ? 4 : 2;

	for (int64_t i = 0; i < n / 32; i++, x += 32, y += bs) {
		float amax = 0.0f, d, id;
		int sum = 0;
		uint16_t h;

		for (int j = 0; j < 32; j++) {
			float a = fabsf(x[j]);

			if (a > amax)
				amax = a;
		}
		d = amax / 127.f;
		id = amax != 0.0f ? 127.f / amax : 0.0f;
		h = cpu_fp32_to_fp16(d);
		memcpy(y, &h, 2);
		for (int j = 0; j < 32; j++) {
			int q = rne(x[j] * id);

			y[off + j] = (uint8_t)(int8_t)q;
			sum += q;
		}
		if (with_sum) {
			h = cpu_fp32_to_fp16(d * (float)sum);
			memcpy(y + 2, &h, 2);
		}
	}
}

static void quant_q8_k(const float *x, uint8_t *y, int64_t n)
{
	for (int64_t i = 0; i < n / 256; i++, x += 256, y += 292) {
		float max = 0.0f, amax = 0.0f, iscale, d;
		int8_t *qs = (int8_t *)(y + 4);

		for (int j = 0; j < 256; j++) {
			float a = fabsf(x[j]);

			if (a > amax) {
				amax = a;
				max = x[j];
			}
		}
		if (amax == 0.0f) {
			memset(y, 0, 292);
			continue;
		}
		iscale = -127.f / max;
		for (int j = 0; j < 256; j++) {
			int v = nearest_int(iscale * x[j]);

			qs[j] = (int8_t)(v < 127 ? v : 127);
		}
		for (int g = 0; g < 16; g++) {
			int s = 0;
			int16_t s16;

			for (int j = 0; j < 16; j++)
				s += qs[16 * g + j];
			s16 = (int16_t)s;
			memcpy(y + 260 + 2 * g, &s16, 2);
		}
		d = 1.0f / iscale;
		memcpy(y, &d, 4);
	}
}

void cpu_quantize_row(uint32_t act_type, const float *x, void *dst, int64_t n)
{
	uint8_t *y = dst;

	switch (act_type) {
	case PLUME_DTYPE_F32:
		memcpy(dst, x, (size_t)n * 4);
		return;
	case PLUME_DTYPE_F16:
#if defined(__x86_64__) && defined(__GNUC__)
		if (cpu_isa_active() >= CPU_ISA_AVX2) {
			cpu_quant_f16_f16c(x, y, n);
			return;
		}
#endif
		for (int64_t i = 0; i < n; i++) {
			uint16_t h = cpu_fp32_to_fp16(x[i]);

			memcpy(y + 2 * i, &h, 2);
		}
		return;
	case PLUME_DTYPE_BF16:
		for (int64_t i = 0; i < n; i++) {
			uint16_t h = cpu_fp32_to_bf16(x[i]);

			memcpy(y + 2 * i, &h, 2);
		}
		return;
	case PLUME_DTYPE_Q8_0: case PLUME_DTYPE_Q8_1:
#if defined(__x86_64__) && defined(__GNUC__)
		if (cpu_isa_active() >= CPU_ISA_AVX512) {
			cpu_quant_q8_avx512(x, y, n, act_type == PLUME_DTYPE_Q8_1);
			return;
		}
#endif
		quant_q8_0(x, y, n, act_type == PLUME_DTYPE_Q8_1);
		return;
	case PLUME_DTYPE_Q8_K:
#if defined(__x86_64__) && defined(__GNUC__)
		if (cpu_isa_active() >= CPU_ISA_AVX512) {
			cpu_quant_q8k_avx512(x, y, n);
			return;
		}
#endif
		quant_q8_k(x, y, n);
		return;
	}
}
