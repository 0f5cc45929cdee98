/* Portable dot products of one weight row with one quantized activation row
 * (integer block sums scaled per block, as llama.cpp's reference kernels),
 * the matrix product over an output-row slice, and ISA dispatch. */
#include <math.h>

#include "kernels_impl.h"

static float dot_f32(int64_t n, const void *w, const void *a)
{
	const float *x = w, *y = a;
	float acc[8] = {0};
	int64_t i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			acc[j] += x[i + j] * y[i + j];
	for (; i < n; i++)
		acc[0] += x[i] * y[i];
	return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static float dot_f16(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float acc[8] = {0};
	int64_t i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			acc[j] += h2f(x + 2 * (i + j)) * h2f(y + 2 * (i + j));
	for (; i < n; i++)
		acc[0] += h2f(x + 2 * i) * h2f(y + 2 * i);
	return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static float dot_bf16(int64_t n, const void *w, const void *a)
{
	const uint16_t *x = w, *y = a;
	double acc = 0;

	for (int64_t i = 0; i < n; i++) {
		uint16_t p, q;

		memcpy(&p, x + i, 2);
		memcpy(&q, y + i, 2);
		acc += (double)cpu_bf16_to_fp32(p) * cpu_bf16_to_fp32(q);
	}
	return (float)acc;
}

static float dot_q4_0(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 18, y += 34) {
		const int8_t *q = (const int8_t *)(y + 2);
		int s = 0;

		for (int j = 0; j < 16; j++)
			s += ((x[2 + j] & 15) - 8) * q[j] + ((x[2 + j] >> 4) - 8) * q[j + 16];
		sum += (float)s * (h2f(x) * h2f(y));
	}
	return sum;
}

static float dot_q4_1(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 20, y += 36) {
		const int8_t *q = (const int8_t *)(y + 4);
		int s = 0;

		for (int j = 0; j < 16; j++)
			s += (x[4 + j] & 15) * q[j] + (x[4 + j] >> 4) * q[j + 16];
		sum += (h2f(x) * h2f(y)) * (float)s + h2f(x + 2) * h2f(y + 2);
	}
	return sum;
}

static float dot_q5_0(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 22, y += 34) {
		const int8_t *q = (const int8_t *)(y + 2);
		uint32_t qh;
		int s = 0;

		memcpy(&qh, x + 2, 4);
		for (int j = 0; j < 16; j++) {
			int lo = ((x[6 + j] & 15) | (((qh >> j) & 1) << 4)) - 16;
			int hi = ((x[6 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;

			s += lo * q[j] + hi * q[j + 16];
		}
		sum += (float)s * (h2f(x) * h2f(y));
	}
	return sum;
}

static float dot_q5_1(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 24, y += 36) {
		const int8_t *q = (const int8_t *)(y + 4);
		uint32_t qh;
		int s = 0;

		memcpy(&qh, x + 4, 4);
		for (int j = 0; j < 16; j++) {
			int lo = (x[8 + j] & 15) | (((qh >> j) & 1) << 4);
			int hi = (x[8 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4);

			s += lo * q[j] + hi * q[j + 16];
		}
		sum += (h2f(x) * h2f(y)) * (float)s + h2f(x + 2) * h2f(y + 2);
	}
	return sum;
}

static float dot_q8_0(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 32; b++, x += 34, y += 34) {
		const int8_t *p = (const int8_t *)(x + 2), *q = (const int8_t *)(y + 2);
		int s = 0;

		for (int j = 0; j < 32; j++)
			s += p[j] * q[j];
		sum += (float)s * (h2f(x) * h2f(y));
	}
	return sum;
}

/* Q8_K activation block: d (f32) at 0, qs at 4, bsums (i16) at 260. */
static inline float q8k_d(const uint8_t *y)
{
	float d;

	memcpy(&d, y, 4);
	return d;
}

static inline int q8k_bsum(const uint8_t *y, int g)
{
	int16_t s;

	memcpy(&s, y + 260 + 2 * g, 2);
	return s;
}

static float dot_q2_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 256; b++, x += 84, y += 292) {
		const int8_t *q = (const int8_t *)(y + 4);
		int isum = 0, msum = 0;

		for (int s = 0; s < 16; s++)
			msum += (x[s] >> 4) * q8k_bsum(y, s);
		for (int e = 0; e < 256; e += 16) {
			int h = e / 128, r = e % 128, j = r / 32, t = r % 32, si = 0;

			for (int l = 0; l < 16; l++)
				si += ((x[16 + 32 * h + t + l] >> (2 * j)) & 3) * q[e + l];
			isum += (x[e / 16] & 15) * si;
		}
		sum += q8k_d(y) * h2f(x + 80) * (float)isum - q8k_d(y) * h2f(x + 82) * (float)msum;
	}
	return sum;
}

/* Exact integer sums of one Q3_K block against a Q8_K block. */
static int q3k_block_sum(const uint8_t *x, const uint8_t *y)
{
	const uint8_t *hm = x, *qs = x + 32, *S = x + 96;
	const int8_t *q = (const int8_t *)(y + 4);
	int isum = 0;

	for (int i = 0; i < 16; i++) {
		int lo = i < 8 ? S[i] & 15 : S[i - 8] >> 4;
		int hi = (S[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
		int sc = (lo | hi << 4) - 32, si = 0;

		for (int l = 0; l < 16; l++) {
			int e = 16 * i + l, h = e / 128, r = e % 128, j = r / 32, t = r % 32;
			int low = (qs[32 * h + t] >> (2 * j)) & 3;
			int flag = (hm[t] >> (4 * h + j)) & 1;

			si += (low - (flag ? 0 : 4)) * q[e];
		}
		isum += sc * si;
	}
	return isum;
}

static float dot_q3_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 256; b++, x += 110, y += 292)
		sum += q8k_d(y) * h2f(x + 108) * (float)q3k_block_sum(x, y);
	return sum;
}

/* Exact integer sums of one Q4_K / Q5_K block against a Q8_K block, per
 * 64-element pair of sub-blocks: scale * q * q8 (isum) and min * bsum (msum). */
static void q45k_pair_sums(const uint8_t *x, const uint8_t *y, int five, int32_t isum[4],
			   int32_t msum[4])
{
	const uint8_t *qh = x + 16, *qs = x + (five ? 48 : 16);
	const int8_t *q = (const int8_t *)(y + 4);

	for (int k = 0; k < 8; k++) {
		int sc, m, si = 0, c = k / 2, half = k % 2;

		cpu_k_scale_min(x + 4, k, &sc, &m);
		for (int l = 0; l < 32; l++) {
			int v = half ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 15;

			if (five)
				v += 16 * ((qh[l] >> k) & 1);
			si += v * q[32 * k + l];
		}
		if (!half)
			isum[c] = msum[c] = 0;
		isum[c] += sc * si;
		msum[c] += m * (q8k_bsum(y, 2 * k) + q8k_bsum(y, 2 * k + 1));
	}
}

/* The same summed over the block: scale sum returned, min sum in *msum. */
static int q45k_block_sums(const uint8_t *x, const uint8_t *y, int five, int *msum)
{
	int32_t is[4], ms[4];

	q45k_pair_sums(x, y, five, is, ms);
	*msum = ms[0] + ms[1] + ms[2] + ms[3];
	return is[0] + is[1] + is[2] + is[3];
}

static float dot_q45_k(int64_t n, const void *w, const void *a, int five)
{
	const uint8_t *x = w, *y = a;
	size_t bs = five ? 176 : 144;
	float sum = 0;

	for (int64_t b = 0; b < n / 256; b++, x += bs, y += 292) {
		int msum, isum = q45k_block_sums(x, y, five, &msum);

		sum += q8k_d(y) * h2f(x) * (float)isum - q8k_d(y) * h2f(x + 2) * (float)msum;
	}
	return sum;
}

static float dot_q4_k(int64_t n, const void *w, const void *a)
{
	return dot_q45_k(n, w, a, 0);
}

static float dot_q5_k(int64_t n, const void *w, const void *a)
{
	return dot_q45_k(n, w, a, 1);
}

/* Exact integer sum of one Q6_K block against a Q8_K block. */
static int q6k_block_sum(const uint8_t *x, const uint8_t *y)
{
	const uint8_t *ql = x, *qh = x + 128;
	const int8_t *sc = (const int8_t *)(x + 192), *q = (const int8_t *)(y + 4);
	int isum = 0;

	for (int s = 0; s < 16; s++) {
		int si = 0;

		for (int l16 = 0; l16 < 16; l16++) {
			int e = 16 * s + l16, h = e / 128, r = e % 128, g = r / 32, l = r % 32;
			int src = ql[64 * h + l + ((g & 1) ? 32 : 0)];
			int low = g < 2 ? src & 15 : src >> 4;
			int high = (qh[32 * h + l] >> (2 * g)) & 3;

			si += ((low | high << 4) - 32) * q[e];
		}
		isum += sc[s] * si;
	}
	return isum;
}

static float dot_q6_k(int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	float sum = 0;

	for (int64_t b = 0; b < n / 256; b++, x += 210, y += 292)
		sum += q8k_d(y) * h2f(x + 208) * (float)q6k_block_sum(x, y);
	return sum;
}

cpu_dot_fn cpu_dot_scalar(uint32_t t)
{
	switch (t) {
	case PLUME_DTYPE_F32: return dot_f32;
	case PLUME_DTYPE_F16: return dot_f16;
	case PLUME_DTYPE_BF16: return dot_bf16;
	case PLUME_DTYPE_Q4_0: return dot_q4_0;
	case PLUME_DTYPE_Q4_1: return dot_q4_1;
	case PLUME_DTYPE_Q5_0: return dot_q5_0;
	case PLUME_DTYPE_Q5_1: return dot_q5_1;
	case PLUME_DTYPE_Q8_0: return dot_q8_0;
	case PLUME_DTYPE_Q2_K: return dot_q2_k;
	case PLUME_DTYPE_Q3_K: return dot_q3_k;
	case PLUME_DTYPE_Q4_K: return dot_q4_k;
	case PLUME_DTYPE_Q5_K: return dot_q5_k;
	case PLUME_DTYPE_Q6_K: return dot_q6_k;
	default: return NULL;
	}
}

/* ---- dispatch --------------------------------------------------------- */

static int isa_in_use = CPU_ISA_AUTO;

static int best_isa(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") ||
	    !__builtin_cpu_supports("f16c"))
		return CPU_ISA_SCALAR;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
		return CPU_ISA_AVX512;
	return CPU_ISA_AVX2;
#endif
	return CPU_ISA_SCALAR;
}

int cpu_kernels_force(int isa)
{
	int best = best_isa();

	if (isa == CPU_ISA_AUTO || isa > best)
		isa = best;
	isa_in_use = isa;
	return isa;
}

int cpu_isa_active(void)
{
	if (isa_in_use == CPU_ISA_AUTO)
		cpu_kernels_force(CPU_ISA_AUTO);
	return isa_in_use;
}

const char *cpu_kernels_isa_name(void)
{
	if (isa_in_use == CPU_ISA_AUTO)
		cpu_kernels_force(CPU_ISA_AUTO);
	return isa_in_use == CPU_ISA_AVX2 ? "avx2" : isa_in_use == CPU_ISA_AVX512 ? "avx512" : "scalar";
}

static cpu_dot_fn dot_for(uint32_t wtype)
{
	cpu_dot_fn f = NULL;

	if (isa_in_use == CPU_ISA_AUTO)
		cpu_kernels_force(CPU_ISA_AUTO);
	if (isa_in_use >= CPU_ISA_AVX512)
		f = cpu_dot_avx512(wtype);
	if (!f && isa_in_use >= CPU_ISA_AVX2)
		f = cpu_dot_avx2(wtype);
	return f ? f : cpu_dot_scalar(wtype);
}

float cpu_vec_dot(uint32_t wtype, int64_t n, const void *w_row, const void *act_row)
{
	cpu_dot_fn f = dot_for(wtype);

	return f ? f(n, w_row, act_row) : 0.0f;
}

/* The four-row variant of the ISA dot_for() picks (same bits), or NULL. */
static cpu_dot4_fn dot4_for(uint32_t wtype)
{
	if (isa_in_use >= CPU_ISA_AVX512 && cpu_dot_avx512(wtype))
		return cpu_dot4_avx512(wtype);
	if (isa_in_use >= CPU_ISA_AVX2 && !(isa_in_use >= CPU_ISA_AVX512 && cpu_dot_avx512(wtype)))
		return cpu_dot4_avx2(wtype);
	return NULL;
}

/* Q4_K as llama.cpp's repacked 8x8 kernels (ggml_gemv/gemm_q4_K_8x8_q8_K on
 * x86) sum it: exact integer sums of scale * q4 * q8 and of min * bsum, each
 * folded into its own float accumulator with a fused multiply-add by
 * d_w * d_y (dmin_w * d_y), the two subtracted at the end. The matrix-vector
 * kernel folds one pair of sums per 256-element block; the matrix-matrix
 * kernel (activation rows in groups of four) one pair per 64 elements. The
 * integer sums are exact, so any way of computing them gives the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define FMA_CLONES
#endif

/* Per 64-element pair sums of a Q4_K block (exact; AVX2 where the CPU has
 * it, the dispatch having been resolved by the caller's ISA). */
static void q4k_pair_sums(const uint8_t *x, const uint8_t *y, int32_t isum[4], int32_t msum[4])
{
	if (isa_in_use >= CPU_ISA_AVX2)
		cpu_q4k_sums_avx2(x, y, isum, msum);
	else
		q45k_pair_sums(x, y, 0, isum, msum);
}

FMA_CLONES static float q4k_repacked(int64_t n, const void *w, const void *a, int per64)
{
	const uint8_t *x = w, *y = a;
	float acc = 0.0f, acc_min = 0.0f;

	for (int64_t b = 0; b < n / 256; b++, x += 144, y += 292) {
		float yd = q8k_d(y), dd = h2f(x) * yd, dm = h2f(x + 2) * yd;
		int32_t isum[4], msum[4];

		q4k_pair_sums(x, y, isum, msum);
		if (per64) {
			for (int j = 0; j < 4; j++) {
				acc = fmaf((float)isum[j], dd, acc);
				acc_min = fmaf((float)msum[j], dm, acc_min);
			}
		} else {
			acc = fmaf((float)(isum[0] + isum[1] + isum[2] + isum[3]), dd, acc);
			acc_min = fmaf((float)(msum[0] + msum[1] + msum[2] + msum[3]), dm, acc_min);
		}
	}
	return acc - acc_min;
}

/* K-quants as llama.cpp's tiled matrix product sums them (ggml-cpu/tiled,
 * AVX-512 VNNI kernel; batches of 8 or more activation rows, weights not
 * repacked): per 256-element block r = float(exact scale sum) * d_w, minus
 * dmin_w * float(exact min sum) in one fused step for the types with mins,
 * then acc += r * d_y as the one fused multiply-add GCC makes of it. */
FMA_CLONES static float kq_tiled(uint32_t t, int64_t n, const void *w, const void *a)
{
	const uint8_t *x = w, *y = a;
	size_t bs = cpu_type_block_bytes(t);
	float acc = 0.0f;

	for (int64_t b = 0; b < n / 256; b++, x += bs, y += 292) {
		int msum = 0, isum;
		float r;

		switch (t) {
		case PLUME_DTYPE_Q3_K:
			isum = isa_in_use >= CPU_ISA_AVX2 ? cpu_q3k_sum_avx2(x, y) : q3k_block_sum(x, y);
			r = (float)isum * h2f(x + 108);
			break;
		case PLUME_DTYPE_Q6_K:
			isum = isa_in_use >= CPU_ISA_AVX2 ? cpu_q6k_sum_avx2(x, y) : q6k_block_sum(x, y);
			r = (float)isum * h2f(x + 208);
			break;
		default: { /* Q4_K, Q5_K */
			int32_t is[4], ms[4];

			if (t == PLUME_DTYPE_Q5_K && isa_in_use >= CPU_ISA_AVX2) {
				cpu_q5k_sums_avx2(x, y, &isum, &msum);
			} else {
				if (t == PLUME_DTYPE_Q4_K)
					q4k_pair_sums(x, y, is, ms);
				else
					q45k_pair_sums(x, y, 1, is, ms);
				isum = is[0] + is[1] + is[2] + is[3];
				msum = ms[0] + ms[1] + ms[2] + ms[3];
			}
			r = fmaf(-h2f(x + 2), (float)msum, (float)isum * h2f(x));
			break;
		}
		}
		acc = fmaf(r, q8k_d(y), acc);
	}
	return acc;
}

/* kq_tiled for Q6_K over four activation rows (AVX2): the same float
 * operations per row, the weight block unpacked once. */
FMA_CLONES static void q6k_tiled4(int64_t n, const void *w, const void *a, size_t a_stride,
				  float *out)
{
	const uint8_t *x = w, *y = a;
	float acc[4] = {0, 0, 0, 0};

	for (int64_t b = 0; b < n / 256; b++, x += 210, y += 292) {
		int32_t is[4];
		float dw = h2f(x + 208);

		cpu_q6k_sums4_avx2(x, y, a_stride, is);
		for (int t = 0; t < 4; t++)
			acc[t] = fmaf((float)is[t] * dw, q8k_d(y + (size_t)t * a_stride), acc[t]);
	}
	for (int t = 0; t < 4; t++)
		out[t] = acc[t];
}

float cpu_vec_dot_kq_tiled(uint32_t wtype, int64_t n, const void *w_row, const void *act_row)
{
	return kq_tiled(wtype, n, w_row, act_row);
}

static float dot_q3_k_tiled(int64_t n, const void *w, const void *a)
{
	return kq_tiled(PLUME_DTYPE_Q3_K, n, w, a);
}

static float dot_q4_k_tiled(int64_t n, const void *w, const void *a)
{
	return kq_tiled(PLUME_DTYPE_Q4_K, n, w, a);
}

static float dot_q5_k_tiled(int64_t n, const void *w, const void *a)
{
	return kq_tiled(PLUME_DTYPE_Q5_K, n, w, a);
}

static float dot_q6_k_tiled(int64_t n, const void *w, const void *a)
{
	return kq_tiled(PLUME_DTYPE_Q6_K, n, w, a);
}

/* q4k_repacked over four activation rows (AVX2 only): the same float
 * operations per row, the weight block unpacked once. */
FMA_CLONES static void q4k_repacked4(int64_t n, const void *w, const void *a, size_t a_stride,
				     int per64, float *out)
{
	const uint8_t *x = w, *y = a;
	float acc[4] = {0, 0, 0, 0}, acc_min[4] = {0, 0, 0, 0};

	for (int64_t b = 0; b < n / 256; b++, x += 144, y += 292) {
		float dw = h2f(x), dmw = h2f(x + 2);
		int32_t isum[4][4], msum[4][4];

		cpu_q4k_sums4_avx2(x, y, a_stride, isum, msum);
		for (int t = 0; t < 4; t++) {
			float yd = q8k_d(y + (size_t)t * a_stride), dd = dw * yd, dm = dmw * yd;

			if (per64) {
				for (int j = 0; j < 4; j++) {
					acc[t] = fmaf((float)isum[t][j], dd, acc[t]);
					acc_min[t] = fmaf((float)msum[t][j], dm, acc_min[t]);
				}
			} else {
				acc[t] = fmaf((float)(isum[t][0] + isum[t][1] + isum[t][2] + isum[t][3]),
					      dd, acc[t]);
				acc_min[t] = fmaf((float)(msum[t][0] + msum[t][1] + msum[t][2] + msum[t][3]),
						  dm, acc_min[t]);
			}
		}
	}
	for (int t = 0; t < 4; t++)
		out[t] = acc[t] - acc_min[t];
}

float cpu_vec_dot_q4_k_repacked(int64_t n, const void *w, const void *a)
{
	return q4k_repacked(n, w, a, 0);
}

float cpu_vec_dot_q4_k_repacked_gemm(int64_t n, const void *w, const void *a)
{
	return q4k_repacked(n, w, a, 1);
}

void cpu_gemm(uint32_t wtype, int64_t k, const void *w, size_t w_row_bytes, int64_t n_rows,
	      int64_t o0, int64_t o1, const void *act, size_t act_row_bytes, int64_t n_tok,
	      float *y, int64_t ldy)
{
	cpu_dot_fn f = dot_for(wtype);
	cpu_dot4_fn f4 = n_tok >= 4 ? dot4_for(wtype) : NULL;
	const uint8_t *W = w, *A = act;

	if (!f)
		return;
	if (n_tok == 1 && isa_in_use == CPU_ISA_AVX2 && cpu_wdot4_avx2(wtype) &&
	    !(wtype == PLUME_DTYPE_Q4_K && n_rows % 8 == 0)) {
		cpu_wdot4_fn g4 = cpu_wdot4_avx2(wtype);
		int64_t o = o0;

		/* four rows per pass, the rows two passes ahead prefetched in
		 * address order (the prefetchers lose four interleaved streams) */
		for (; o + 4 <= o1; o += 4) {
			if (o + 12 <= o1)
				for (size_t off = 0; off < 4 * w_row_bytes; off += 64)
					__builtin_prefetch(W + (size_t)(o + 8) * w_row_bytes + off, 0, 3);
			g4(k, W + (size_t)o * w_row_bytes, w_row_bytes, A, y + o);
		}
		for (; o < o1; o++)
			y[o] = f(k, W + (size_t)o * w_row_bytes, A);
		return;
	}
	if (n_tok == 1 && isa_in_use >= CPU_ISA_AVX512) {
		int64_t done = cpu_gemv_avx512(wtype, k, W, w_row_bytes, o0, o1, A, y);

		if (done) {
			for (int64_t o = o0 + done; o < o1; o++)
				y[o] = f(k, W + (size_t)o * w_row_bytes, A);
			return;
		}
	}
	if (n_tok >= 2 && isa_in_use >= CPU_ISA_AVX512) {
		int64_t t = cpu_gemm_panel_avx512(wtype, k, W, w_row_bytes, o0, o1, A, act_row_bytes,
						  n_tok, y, ldy);

		if (t) {
			if (t < n_tok)
				cpu_gemm(wtype, k, w, w_row_bytes, n_rows, o0, o1,
					 A + (size_t)t * act_row_bytes, act_row_bytes, n_tok - t,
					 y + t * ldy, ldy);
			return;
		}
	}
	/* llama.cpp takes K-quant products of 8 or more rows through its tiled
	 * kernel (the repacked Q4_K aside) */
	if (n_tok >= 8 && isa_in_use >= CPU_ISA_AVX512 &&
	    !(wtype == PLUME_DTYPE_Q4_K && n_rows % 8 == 0)) {
		cpu_dot_fn g = wtype == PLUME_DTYPE_Q3_K ? dot_q3_k_tiled
			     : wtype == PLUME_DTYPE_Q4_K ? dot_q4_k_tiled
			     : wtype == PLUME_DTYPE_Q5_K ? dot_q5_k_tiled
			     : wtype == PLUME_DTYPE_Q6_K ? dot_q6_k_tiled : NULL;

		if (g) {
			int64_t t4 = wtype == PLUME_DTYPE_Q6_K
					     ? cpu_gemm_q6k_avx512(k, W, w_row_bytes, o0, o1, A, act_row_bytes,
								   n_tok, y, ldy)
				     : wtype == PLUME_DTYPE_Q5_K
					     ? cpu_gemm_q5k_avx512(k, W, w_row_bytes, o0, o1, A, act_row_bytes,
								   n_tok, y, ldy)
					     : 0;

			f = g;
			f4 = wtype == PLUME_DTYPE_Q6_K ? q6k_tiled4 : NULL;
			if (t4) { /* the rest (under four rows) one at a time */
				for (int64_t t = t4; t < n_tok; t++)
					for (int64_t o = o0; o < o1; o++)
						y[t * ldy + o] = f(k, W + (size_t)o * w_row_bytes,
								   A + (size_t)t * act_row_bytes);
				return;
			}
		}
	}
	if (wtype == PLUME_DTYPE_Q4_K && n_rows % 8 == 0 && isa_in_use >= CPU_ISA_AVX2) {
		int64_t n_gemm = n_tok - n_tok % 4; /* rows llama.cpp's gemm takes */
		int64_t t4 = isa_in_use >= CPU_ISA_AVX512
				     ? cpu_gemm_q4k_avx512(k, W, w_row_bytes, o0, o1, A, act_row_bytes,
							   n_gemm, y, ldy)
				     : 0;

		for (int64_t ob = o0; ob < o1 && t4 < n_gemm; ob += 16) {
			int64_t oe = ob + 16 < o1 ? ob + 16 : o1;

			for (int64_t t = t4; t + 4 <= n_tok; t += 4)
				for (int64_t o = ob; o < oe; o++) {
					float r[4];

					q4k_repacked4(k, W + (size_t)o * w_row_bytes,
						      A + (size_t)t * act_row_bytes, act_row_bytes,
						      t < n_gemm, r);
					for (int i = 0; i < 4; i++)
						y[(t + i) * ldy + o] = r[i];
				}
		}
		for (int64_t t = n_tok - n_tok % 4; t < n_tok; t++) {
			cpu_dot_fn g = t < n_gemm ? cpu_vec_dot_q4_k_repacked_gemm : cpu_vec_dot_q4_k_repacked;
			int64_t done = isa_in_use >= CPU_ISA_AVX512 && t >= n_gemm
					       ? cpu_gemv_q4k_avx512(k, W, w_row_bytes, o0, o1,
								     A + (size_t)t * act_row_bytes, y + t * ldy)
					       : 0;

			for (int64_t o = o0 + done; o < o1; o++)
				y[t * ldy + o] = g(k, W + (size_t)o * w_row_bytes,
						   A + (size_t)t * act_row_bytes);
		}
		return;
	}
	/* Blocks of 16 output rows x all tokens: the rows stay in cache while
	 * every token's activation streams past them; with a four-row kernel
	 * each weight block is unpacked once per four tokens. */
	for (int64_t ob = o0; ob < o1; ob += 16) {
		int64_t oe = ob + 16 < o1 ? ob + 16 : o1, t = 0;

		if (f4)
			for (; t + 4 <= n_tok; t += 4)
				for (int64_t o = ob; o < oe; o++) {
					float r[4];

					f4(k, W + (size_t)o * w_row_bytes, A + (size_t)t * act_row_bytes,
					   act_row_bytes, r);
					for (int i = 0; i < 4; i++)
						y[(t + i) * ldy + o] = r[i];
				}
		for (; t < n_tok; t++)
			for (int64_t o = ob; o < oe; o++)
				y[t * ldy + o] = f(k, W + (size_t)o * w_row_bytes,
						   A + (size_t)t * act_row_bytes);
	}
}
