/* The llama-family forward on the CPU, matching llama.cpp's CPU arithmetic:
 * RMSNorm (sum of squares in double), activations quantized once per row to
 * the weight type's dot-product format, RoPE angles built by repeated float
 * multiplication, K/V stored as F16, the query rounded to F16 for Q·K and
 * the softmax weights rounded to F16 for the product with V. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "attention.h"
#include "cpu.h"
#include "ggml_order.h"
#include "glu.h"

struct fwd {
	struct cpu_ctx *c;
	const struct plume_model_desc *m;
	const struct plume_batch *b;
	int64_t T, E, Dq, Dk, Dv, F;
	float *x, *xn, *q, *k, *v, *att, *g, *u, *tmp;   /* [T][..] */
	float *rope_cos[2], *rope_sin[2];                 /* [T][n_rot/2]: global, sliding-window layers */
	uint8_t *act[3];                                  /* quantized inputs */
	float *scores;                                    /* [nth][ctx] */
	float *qh;                                        /* [nth][qh_stride]: query, key row, V accumulators */
	int64_t qh_stride;
	int64_t ctx;                                      /* most positions any token attends */
	float kq_scale;                                   /* applied to q·k (1 when q is pre-scaled) */
	uint32_t layer;
	int swa;                                          /* this layer attends within the window */
	int swa_pool;                                     /* and keeps its K/V in the window pool */
	int batch;        /* one token for each of 2+ sequences: the decode-batch kernel */
};

/* ---- per-token work over the pool ------------------------------------- */

typedef void (*tok_fn)(struct fwd *f, int64_t t0, int64_t t1, const void *ctx);

struct tok_job {
	struct fwd *f;
	tok_fn fn;
	const void *ctx;
};

static void tok_worker(void *arg, int ith, int nth)
{
	struct tok_job *j = arg;
	int64_t lo, hi;

	pool_range(j->f->T, ith, nth, &lo, &hi);
	if (lo < hi)
		j->fn(j->f, lo, hi, j->ctx);
}

/* fn over tokens [0, T), split across the pool when there are several */
static void par_tokens(struct fwd *f, tok_fn fn, const void *ctx)
{
	struct tok_job j = {f, fn, ctx};

	if (f->T < 2 || pool_threads(f->c->pool) < 2)
		fn(f, 0, f->T, ctx);
	else
		pool_run(f->c->pool, tok_worker, &j);
}

/* ---- matrix products over the pool ------------------------------------ */

struct mm {
	const struct plume_tensor *w;
	const uint8_t *act;
	size_t act_row;
	float *y;
	int64_t ldy;
	const void *ilv; /* packed for the decode-batch kernel, or NULL */
};

struct mm_job {
	struct mm mm[3];
	int n;
	int64_t n_tok;
};

static void mm_worker(void *arg, int ith, int nth)
{
	struct mm_job *j = arg;

	for (int i = 0; i < j->n; i++) {
		const struct mm *p = &j->mm[i];
		int64_t rows = p->w->ne[1], k = p->w->ne[0], lo, hi;

		if (p->ilv) {
			/* whole 16-row groups; every output's arithmetic is its
			 * own, so the split does not change a bit */
			pool_range(rows / 16, ith, nth, &lo, &hi);
			if (lo >= hi || cpu_ilv_gemm(p->w->type, k, p->ilv, lo, hi, p->act, p->act_row,
						     j->n_tok, p->y, p->ldy))
				continue;
			lo *= 16;
			hi *= 16;
		} else {
			pool_range(rows, ith, nth, &lo, &hi);
		}
		if (lo < hi)
			cpu_gemm(p->w->type, k, p->w->data, cpu_row_bytes(p->w->type, k), rows, lo, hi,
				 p->act, p->act_row, j->n_tok, p->y, p->ldy);
	}
}

struct pack_job {
	const struct plume_tensor *w;
	void *dst;
};

static void pack_worker(void *arg, int ith, int nth)
{
	const struct pack_job *j = arg;
	int64_t lo, hi;

	pool_range(j->w->ne[1] / 16, ith, nth, &lo, &hi);
	cpu_ilv_pack(j->w->type, j->w->ne[0], j->w->data, cpu_row_bytes(j->w->type, j->w->ne[0]), lo,
		     hi, j->dst);
}

/* (cpu.h) When memory is short the exact kernels serve the batch. */
const void *cpu_ilv_weights(struct cpu_ctx *c, const struct plume_tensor *w)
{
	size_t bytes = cpu_ilv_bytes(w->type, w->ne[1], w->ne[0]);
	uint32_t h;

	if (!bytes || !cpu_ilv_runs(w->type))
		return NULL;
	if (!c->ilv) {
		uint32_t cap = 64;

		while (cap < 4 * (c->m->n_layer * 8 + 4))
			cap *= 2;
		c->ilv = c->host->calloc(cap, sizeof(*c->ilv));
		if (!c->ilv)
			return NULL;
		c->ilv_cap = cap;
	}
	h = (uint32_t)(((uintptr_t)w >> 4) * 2654435761u) & (c->ilv_cap - 1);
	while (c->ilv[h].t && c->ilv[h].t != w)
		h = (h + 1) & (c->ilv_cap - 1);
	if (!c->ilv[h].t) {
		struct pack_job j = {w, cpu_aligned_alloc(c, bytes)};

		c->ilv[h].t = w;
		c->ilv[h].p = j.dst;
		if (j.dst)
			pool_run(c->pool, pack_worker, &j);
	}
	return c->ilv[h].p;
}

/* Quantize T rows of x (length k) for weight type wtype into buf; returns
 * the row stride. */
static size_t quantize_rows(uint32_t wtype, const float *x, int64_t T, int64_t k, uint8_t *buf)
{
	uint32_t at = cpu_vec_dot_type(wtype);
	size_t row = cpu_row_bytes(at, k);

	for (int64_t t = 0; t < T; t++)
		cpu_quantize_row(at, x + t * k, buf + (size_t)t * row, k);
	return row;
}

struct quant_ctx {
	uint32_t at;
	const float *x;
	int64_t k;
	uint8_t *buf;
	size_t row;
};

static void quant_tokens(struct fwd *f, int64_t t0, int64_t t1, const void *ctx)
{
	const struct quant_ctx *q = ctx;

	(void)f;
	for (int64_t t = t0; t < t1; t++)
		cpu_quantize_row(q->at, q->x + t * q->k, q->buf + (size_t)t * q->row, q->k);
}

/* y_i = W_i · x for up to three weights sharing one input; inputs quantized
 * once per distinct activation type. */
static void matmuls(struct fwd *f, const float *x, int64_t k, int n,
		    const struct plume_tensor *const *w, float *const *y)
{
	struct mm_job j = {.n = n, .n_tok = f->T};
	uint32_t done_type[3];
	size_t done_row[3];
	int n_done = 0;

	for (int i = 0; i < n; i++) {
		uint32_t at = cpu_vec_dot_type(w[i]->type);
		int found = -1;

		for (int d = 0; d < n_done; d++)
			if (done_type[d] == at)
				found = d;
		if (found < 0) {
			struct quant_ctx q = {at, x, k, f->act[n_done], cpu_row_bytes(at, k)};

			found = n_done++;
			done_type[found] = at;
			done_row[found] = q.row;
			par_tokens(f, quant_tokens, &q);
		}
		j.mm[i] = (struct mm){w[i], f->act[found], done_row[found], y[i], w[i]->ne[1],
				      f->batch ? cpu_ilv_weights(f->c, w[i]) : NULL};
	}
	pool_run(f->c->pool, mm_worker, &j);
}

/* ---- elementwise ------------------------------------------------------ */

static void rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps)
{
	double sum = 0.0;
	float mean, scale;

	for (int64_t i = 0; i < n; i++)
		sum += (double)(x[i] * x[i]);
	mean = (float)(sum / n);
	scale = 1.0f / sqrtf(mean + eps);
	for (int64_t i = 0; i < n; i++)
		y[i] = (x[i] * scale) * w[i];
}

static void add_bias(float *y, const struct plume_tensor *b, int64_t T, int64_t n)
{
	const float *bv = b->data;

	for (int64_t t = 0; t < T; t++)
		for (int64_t i = 0; i < n; i++)
			y[t * n + i] += bv[i];
}

/* Angles as ggml builds them: theta = p, then *= base^(-2/n_rot) per pair.
 * Table 0 serves the global layers, table 1 the sliding-window layers (their
 * own base, no scaling, as llama.cpp's gemma3 does). */
static void rope_tables(struct fwd *f, int which, float base, float freq_scale)
{
	const struct plume_model_desc *m = f->m;
	int64_t half = m->n_rot / 2;
	float theta_scale = powf(base, -2.0f / (float)m->n_rot);
	const float *ff = m->rope_freqs ? m->rope_freqs->data : NULL;

	for (int64_t t = 0; t < f->T; t++) {
		float theta = (float)f->b->positions[t];

		for (int64_t i = 0; i < half; i++) {
			float th = (ff ? theta / ff[i] : theta) * freq_scale;

			f->rope_cos[which][t * half + i] = cosf(th);
			f->rope_sin[which][t * half + i] = sinf(th);
			theta *= theta_scale;
		}
	}
}

static void rope(struct fwd *f, float *v, int64_t t, int64_t n_head, int64_t hd)
{
	const struct plume_model_desc *m = f->m;
	int64_t half = m->n_rot / 2;
	const float *cs = f->rope_cos[f->swa] + t * half, *sn = f->rope_sin[f->swa] + t * half;

	for (int64_t h = 0; h < n_head; h++) {
		float *x = v + h * hd;

		for (int64_t i = 0; i < half; i++) {
			int64_t a = m->rope_type == PLUME_ROPE_NEOX ? i : 2 * i;
			int64_t b = m->rope_type == PLUME_ROPE_NEOX ? i + half : 2 * i + 1;
			float x0 = x[a], x1 = x[b];

			/* as GCC contracts ggml's rotate_pairs: one fused
			 * multiply-add per output (fmaf is exact everywhere) */
			x[a] = fmaf(x0, cs[i], -(x1 * sn[i]));
			x[b] = fmaf(x0, sn[i], x1 * cs[i]);
		}
	}
}

static inline float round_f16(float x)
{
	return cpu_fp16_to_fp32(cpu_fp32_to_fp16(x));
}

/* ---- attention -------------------------------------------------------- */

static inline const uint8_t *kv_at(struct cpu_ctx *c, uint8_t *base, size_t row,
				   const uint32_t *table, int64_t pos)
{
	uint32_t blk = table[pos / c->block_size];

	return base + ((size_t)blk * c->block_size + (size_t)(pos % c->block_size)) * row;
}

/* The block table of batch sequence s for the current layer's pool. */
static inline const uint32_t *seq_table(const struct fwd *f, uint32_t s)
{
	return f->swa_pool ? f->b->swa_block_tables[s] : f->b->block_tables[s];
}

static void kv_write(struct fwd *f)
{
	struct cpu_ctx *c = f->c;
	int f16 = c->kv_type == PLUME_KV_F16;

	for (int64_t t = 0; t < f->T; t++) {
		const uint32_t *table = seq_table(f, f->b->seq[t]);
		uint8_t *kd = (uint8_t *)kv_at(c, c->k[f->layer], c->kv_row_k, table, f->b->positions[t]);
		uint8_t *vd = (uint8_t *)kv_at(c, c->v[f->layer], c->kv_row_v, table, f->b->positions[t]);

		if (f16) {
			cpu_quantize_row(PLUME_DTYPE_F16, f->k + t * f->Dk, kd, f->Dk);
			cpu_quantize_row(PLUME_DTYPE_F16, f->v + t * f->Dv, vd, f->Dv);
		} else {
			memcpy(kd, f->k + t * f->Dk, (size_t)f->Dk * 4);
			memcpy(vd, f->v + t * f->Dv, (size_t)f->Dv * 4);
		}
	}
}

/* Inner loops of the attention, with the FMA instruction where the CPU has
 * one (same bits as fmaf) and F16 widened through the exact table. */
FMA_CLONES static void widen_f16(float *dst, const uint16_t *src, const float *tab, int64_t n)
{
	for (int64_t d = 0; d < n; d++)
		dst[d] = tab[src[d]];
}

FMA_CLONES static void axpy_f16(float *a, const uint16_t *v, float w, const float *tab, int64_t n)
{
	for (int64_t d = 0; d < n; d++)
		a[d] = fmaf(tab[v[d]], w, a[d]);
}

FMA_CLONES static void axpy_f32(float *a, const float *v, float w, int64_t n)
{
	for (int64_t d = 0; d < n; d++)
		a[d] = fmaf(v[d], w, a[d]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_F16C 1
/* The same two loops with F16C widening, 8 lanes at a time (vcvtph2ps is
 * exact and a vector FMA rounds each lane as fmaf): same bits. */
__attribute__((target("avx2,fma,f16c"))) static void widen_f16_f16c(float *dst, const uint16_t *src,
								   int64_t n)
{
	int64_t d = 0;

	for (; d + 8 <= n; d += 8)
		_mm256_storeu_ps(dst + d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + d))));
	for (; d < n; d++)
		dst[d] = _cvtsh_ss(src[d]);
}

__attribute__((target("avx2,fma,f16c"))) static void axpy_f16_f16c(float *a, const uint16_t *v,
								  float w, int64_t n)
{
	__m256 wv = _mm256_set1_ps(w);
	int64_t d = 0;

	for (; d + 8 <= n; d += 8) {
		__m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + d)));

		_mm256_storeu_ps(a + d, _mm256_fmadd_ps(x, wv, _mm256_loadu_ps(a + d)));
	}
	for (; d < n; d++)
		a[d] = fmaf(_cvtsh_ss(v[d]), w, a[d]);
}
#endif

/* Attention for one (token, head) pair, in llama.cpp's order: Q·K (query
 * rounded to F16 with an F16 cache), scale, softmax with the polynomial exp
 * summed per 16 positions, weights rounded to F16, then the weighted sum of V
 * accumulated per (position mod 64 / 16, position mod 16) chain for
 * single-token batches (ggml_vec_dot_f16) or per position mod 16 (tinyBLAS)
 * for larger ones. The portable path; cpu_attn_f16 (attention.c) computes
 * the same values with AVX-512 for a whole GQA group at once. */
static void attn_one(struct fwd *f, int ith, int64_t t, int64_t h)
{
	struct cpu_ctx *c = f->c;
	const struct plume_model_desc *m = f->m;
	const struct plume_layer *L = plume_model_layer(m, f->layer);
	int64_t hq = L->n_head, group = L->n_head / L->n_head_kv, hd = m->head_dim_k, hv = m->head_dim_v;
	int f16 = c->kv_type == PLUME_KV_F16, tiny = f->T >= 2;
	float *sc = f->scores + ith * f->ctx, *qv = f->qh + ith * f->qh_stride;
	float *kb = qv + hd, *acc = kb + hd; /* acc: [4][16][hv] */
	int64_t g = h / group, p = f->b->positions[t];
	int64_t n_chunks = (p + 16) / 16, lo = 0;
	const uint32_t *table = seq_table(f, f->b->seq[t]);
	const float *q = f->q + t * f->Dq + h * hd;
	float *out = f->att + t * (hq * hv) + h * hv;
	float max = -INFINITY, inv;
	double sum = 0.0;

	/* a sliding-window layer sees positions p - window < j <= p;
	 * llama.cpp masks the others to -inf, so they add exact zeros
	 * to its sums and are skipped here */
	if (f->swa && p >= (int64_t)m->sliding_window)
		lo = p - (int64_t)m->sliding_window + 1;
	for (int64_t d = 0; d < hd; d++)
		qv[d] = f16 ? round_f16(q[d]) : q[d];
	for (int64_t j = lo; j <= p; j++) {
		const uint8_t *kr = kv_at(c, c->k[f->layer], c->kv_row_k, table, j);
		float s;

		if (f16) {
#ifdef HAVE_X86_F16C
			if (c->f16c)
				widen_f16_f16c(kb, (const uint16_t *)kr + g * hd, hd);
			else
#endif
				widen_f16(kb, (const uint16_t *)kr + g * hd, c->f16, hd);
		} else {
			memcpy(kb, (const float *)kr + g * hd, (size_t)hd * 4);
		}
		s = tiny && hd % 16 == 0 ? go_dot_tinyblas(kb, qv, hd) : go_dot_vecdot(kb, qv, hd);
		s *= f->kq_scale;
		sc[j] = s;
		if (s > max)
			max = s;
	}
	for (int64_t ch = lo / 16; ch < n_chunks; ch++) {
		float *e = sc + 16 * ch;

		for (int64_t l = 0; l < 16; l++)
			e[l] = 16 * ch + l <= p && 16 * ch + l >= lo ? go_expf(e[l] - max) : 0.0f;
		sum += (double)go_hsum16(e);
	}
	inv = (float)(1.0 / sum);
	memset(acc, 0, (size_t)64 * hv * sizeof(float));
	for (int64_t j = lo; j <= p; j++) {
		const uint8_t *vr = kv_at(c, c->v[f->layer], c->kv_row_v, table, j);
		float w = sc[j] * inv;
		float *a = acc + ((tiny ? 0 : (j % 64) / 16) * 16 + j % 16) * hv;

#ifdef HAVE_X86_F16C
		if (f16 && c->f16c)
			axpy_f16_f16c(a, (const uint16_t *)vr + g * hv, round_f16(w), hv);
		else
#endif
		if (f16)
			axpy_f16(a, (const uint16_t *)vr + g * hv, round_f16(w), c->f16, hv);
		else
			axpy_f32(a, (const float *)vr + g * hv, w, hv);
	}
	for (int64_t d = 0; d < hv; d++) {
		float lanes[16];

		for (int l = 0; l < 16; l++) {
			if (tiny) {
				lanes[l] = acc[l * hv + d];
			} else {
				float a0 = acc[(0 * 16 + l) * hv + d], a1 = acc[(1 * 16 + l) * hv + d];
				float a2 = acc[(2 * 16 + l) * hv + d], a3 = acc[(3 * 16 + l) * hv + d];

				lanes[l] = (a0 + a2) + (a1 + a3);
			}
		}
		out[d] = go_hsum16(lanes);
	}
}

/* The attention of one layer over the pool. With an F16 cache and AVX-512
 * a job is (token, KV head, up to four of its query heads): the K and V rows
 * are read once for the heads of the job. Jobs are taken from a shared
 * counter, latest token first (later tokens attend to more positions). */
struct attn_ctl {
	struct fwd *f;
	int fast;           /* cpu_attn_f16 */
	int64_t hpj;        /* query heads per job (fast) */
	int64_t per_tok;    /* jobs per token */
	int64_t n_jobs;
	int64_t next;       /* atomic: next job */
};

/* The fast job (t, KV head g, query heads h0 .. h0 + n - 1). */
static void attn_group(struct fwd *f, int ith, int64_t t, int64_t g, int64_t h0, int n)
{
	struct cpu_ctx *c = f->c;
	const struct plume_model_desc *m = f->m;
	int64_t hq = plume_model_layer(m, f->layer)->n_head, hd = m->head_dim_k, hv = m->head_dim_v;
	int64_t p = f->b->positions[t], lo = 0, bs = c->block_size;
	const uint32_t *table = seq_table(f, f->b->seq[t]);
	const uint16_t **kr = (const uint16_t **)(f->qh + ith * f->qh_stride), **vr = kr + f->ctx;
	struct cpu_attn_job j = {.hd = hd, .hv = hv, .p = p, .n_head = n, .tiny = f->T >= 2,
				 .kq_scale = f->kq_scale, .k = kr, .v = vr,
				 .ws = (float *)(vr + f->ctx)};

	if (f->swa && p >= (int64_t)m->sliding_window)
		lo = p - (int64_t)m->sliding_window + 1;
	j.lo = lo;
	for (int i = 0; i < n; i++) {
		j.q[i] = f->q + t * f->Dq + (h0 + i) * hd;
		j.out[i] = f->att + t * (hq * hv) + (h0 + i) * hv;
	}
	/* the rows of positions lo..p, block by block */
	for (int64_t pos = lo; pos <= p;) {
		int64_t off = pos % bs, end = pos - off + bs > p + 1 ? p + 1 : pos - off + bs;
		size_t row0 = (size_t)table[pos / bs] * (size_t)bs + (size_t)off;
		const uint8_t *kp = c->k[f->layer] + row0 * c->kv_row_k;
		const uint8_t *vp = c->v[f->layer] + row0 * c->kv_row_v;

		for (; pos < end; pos++, kp += c->kv_row_k, vp += c->kv_row_v) {
			kr[pos] = (const uint16_t *)kp + g * hd;
			vr[pos] = (const uint16_t *)vp + g * hv;
		}
	}
	cpu_attn_f16(&j);
}

static void attn_worker(void *arg, int ith, int nth)
{
	struct attn_ctl *a = arg;
	struct fwd *f = a->f;
	const struct plume_layer *L = plume_model_layer(f->m, f->layer);
	int64_t hq = L->n_head, group = L->n_head / L->n_head_kv;

	if (!a->fast) {
		/* jobs dealt round-robin: later tokens attend to more
		 * positions, so contiguous ranges would leave the first
		 * threads idle in a prefill */
		for (int64_t job = ith; job < f->T * hq; job += nth)
			attn_one(f, ith, job / hq, job % hq);
		return;
	}
	for (;;) {
		int64_t job = __atomic_fetch_add(&a->next, 1, __ATOMIC_RELAXED), t, r, h0;

		if (job >= a->n_jobs)
			break;
		t = f->T - 1 - job / a->per_tok;
		r = job % a->per_tok;
		h0 = r * a->hpj; /* heads of one job never straddle two KV heads */
		attn_group(f, ith, t, h0 / group, h0, (int)a->hpj);
	}
}

static void attention(struct fwd *f)
{
	struct cpu_ctx *c = f->c;
	const struct plume_model_desc *m = f->m;
	const struct plume_layer *L = plume_model_layer(m, f->layer);
	int64_t hq = L->n_head, group = L->n_head / L->n_head_kv, hd = m->head_dim_k, hv = m->head_dim_v;
	struct attn_ctl a = {.f = f};

	a.fast = c->kv_type == PLUME_KV_F16 && c->f16c && hd % 16 == 0 && hv % 16 == 0 &&
		 (f->T >= 2 || hd % 64 == 0) && L->n_head % L->n_head_kv == 0 &&
		 !strcmp(cpu_kernels_isa_name(), "avx512") && cpu_attn_f16_available();
	if (a.fast) {
		/* heads per job: the divisor of the group up to four with the
		 * shortest estimated critical path, a job counting one unit per
		 * head plus one for reading its K/V rows (a prefill takes the
		 * largest; a single-token batch splits the group so that every
		 * thread has work) */
		int64_t nth = pool_threads(c->pool), best = -1;

		a.hpj = 1;
		for (int64_t d = 1; d <= CPU_ATTN_MAX_HEADS && d <= group; d++) {
			int64_t rounds = (f->T * (hq / d) + nth - 1) / nth;

			if (group % d == 0 && (best < 0 || rounds * (d + 1) <= best)) {
				best = rounds * (d + 1);
				a.hpj = d;
			}
		}
		a.per_tok = hq / a.hpj;
		a.n_jobs = f->T * a.per_tok;
	}
	pool_run(c->pool, attn_worker, &a);
}

/* ---- the forward ------------------------------------------------------ */

static int validate(struct cpu_ctx *c, const struct plume_batch *b, struct plume_error *err)
{
	if (!c->m || !c->k)
		return c->host->error(err, PLUME_ERR_INVALID, "cpu: forward before load_model and kv_init");
	if (!b->n_tokens || !b->tokens || !b->positions || !b->seq || !b->n_seqs)
		return c->host->error(err, PLUME_ERR_INVALID, "cpu: empty batch");
	if (!b->block_tables || !b->n_blocks || (b->n_logits && (!b->logits_idx || !b->logits)) ||
	    (b->n_hidden && (!b->hidden_idx || !b->hidden)))
		return c->host->error(err, PLUME_ERR_INVALID,
				      "cpu: batch without block tables or output buffers");
	for (uint32_t s = 0; s < b->n_seqs; s++)
		if (b->n_blocks[s] && !b->block_tables[s])
			return c->host->error(err, PLUME_ERR_INVALID, "cpu: sequence %u has no block table", s);
	for (uint32_t s = 0; s < b->n_seqs; s++)
		for (uint32_t i = 0; i < b->n_blocks[s]; i++)
			if (b->block_tables[s][i] >= c->n_blocks)
				return c->host->error(err, PLUME_ERR_RANGE,
						      "cpu: sequence %u names block %u, the pool has %u",
						      s, b->block_tables[s][i], c->n_blocks);
	for (uint32_t t = 0; t < b->n_tokens; t++) {
		uint32_t s = b->seq[t];

		if (b->tokens[t] < 0 || (uint32_t)b->tokens[t] >= c->m->n_vocab)
			return c->host->error(err, PLUME_ERR_RANGE, "cpu: token %d outside the vocabulary (%u)",
					      b->tokens[t], c->m->n_vocab);
		if (s >= b->n_seqs)
			return c->host->error(err, PLUME_ERR_RANGE, "cpu: token %u names sequence %u of %u",
					      t, s, b->n_seqs);
		if (b->positions[t] < 0 ||
		    (uint64_t)b->positions[t] >= (uint64_t)b->n_blocks[s] * c->block_size)
			return c->host->error(err, PLUME_ERR_RANGE,
					      "cpu: position %d of sequence %u is not covered by its %u blocks",
					      b->positions[t], s, b->n_blocks[s]);
	}
	if (c->n_blocks_swa) {
		/* the window pool: every block a token writes or attends to */
		const uint32_t *const *st =
			b->size >= offsetof(struct plume_batch, swa_block_tables) + sizeof(void *)
				? b->swa_block_tables : NULL;
		uint32_t bs = c->block_size, w = c->m->sliding_window;

		if (!st)
			return c->host->error(err, PLUME_ERR_INVALID,
					      "cpu: the kv cache has a sliding-window pool but the batch "
					      "has no sliding-window block tables");
		for (uint32_t t = 0; t < b->n_tokens; t++) {
			uint32_t s = b->seq[t], p = (uint32_t)b->positions[t];
			uint32_t lo = p + 1 > w ? p + 1 - w : 0;

			if (!st[s])
				return c->host->error(err, PLUME_ERR_INVALID,
						      "cpu: sequence %u has no sliding-window block table", s);
			for (uint32_t k = lo / bs; k <= p / bs; k++)
				if (st[s][k] >= c->n_blocks_swa)
					return c->host->error(err, PLUME_ERR_RANGE,
							      "cpu: sequence %u: sliding-window block %u (positions %u..) is %s",
							      s, k, k * bs,
							      st[s][k] == PLUME_KV_NO_BLOCK ? "released"
											  : "outside the pool");
		}
	}
	for (uint32_t i = 0; i < b->n_logits; i++)
		if (b->logits_idx[i] >= b->n_tokens)
			return c->host->error(err, PLUME_ERR_RANGE, "cpu: logits row %u names token %u of %u",
					      i, b->logits_idx[i], b->n_tokens);
	for (uint32_t i = 0; i < b->n_hidden; i++)
		if (b->hidden_idx[i] >= b->n_tokens)
			return c->host->error(err, PLUME_ERR_RANGE, "cpu: hidden row %u names token %u of %u",
					      i, b->hidden_idx[i], b->n_tokens);
	return PLUME_OK;
}

static int setup(struct fwd *f, struct plume_error *err)
{
	struct cpu_ctx *c = f->c;
	const struct plume_model_desc *m = f->m;
	int64_t T = f->T, nth = pool_threads(c->pool), widest, half = m->n_rot / 2;
	size_t need = 0, act_bytes;
	uint8_t *p;
	int64_t rows_out = f->b->n_logits > T ? f->b->n_logits : T;

	f->ctx = 16;
	for (uint32_t s = 0; s < f->b->n_seqs; s++)
		if ((int64_t)f->b->n_blocks[s] * c->block_size > f->ctx)
			f->ctx = (int64_t)f->b->n_blocks[s] * c->block_size;
	f->ctx = (f->ctx + 15) / 16 * 16; /* whole 16-position chunks */
	/* per thread: the portable attention's query, key row and V accumulators,
	 * or cpu_attn_f16's K and V row pointers and workspace */
	f->qh_stride = 2 * (int64_t)m->head_dim_k + 64 * (int64_t)m->head_dim_v;
	{
		int64_t fast = 2 * f->ctx * (int64_t)(sizeof(void *) / sizeof(float)) +
			       (int64_t)cpu_attn_ws_floats(m->head_dim_k, m->head_dim_v, f->ctx);

		if (fast > f->qh_stride)
			f->qh_stride = fast;
		f->qh_stride = (f->qh_stride + 15) / 16 * 16; /* 64-byte aligned */
	}
	widest = f->E > f->F ? f->E : f->F;
	if (f->Dq > widest)
		widest = f->Dq;
	act_bytes = (size_t)rows_out * (size_t)widest * 4 + 64;
#define SZ(n) (((size_t)(n) * 4 + 63) & ~(size_t)63)
	need = SZ(T * f->E) * 3 + SZ(T * f->Dq) + SZ(T * f->Dk) + SZ(T * f->Dv) +
	       SZ(T * (int64_t)m->n_head * m->head_dim_v) + SZ(T * f->F) * 2 + SZ(T * half) * 4 +
	       3 * ((act_bytes + 63) & ~(size_t)63) + SZ(nth * f->ctx) + SZ(nth * f->qh_stride) +
	       SZ(rows_out * f->E);
	if (need > c->scratch_size) {
		cpu_aligned_free(c, c->scratch);
		c->scratch = cpu_aligned_alloc(c, need);
		c->scratch_size = c->scratch ? need : 0;
		if (!c->scratch)
			return c->host->error(err, PLUME_ERR_NOMEM,
					      "cpu: cannot allocate %zu bytes of activations for %lld tokens",
					      need, (long long)T);
	}
	p = c->scratch;
#define TAKE(dst, n) do { (dst) = (void *)p; p += SZ(n); } while (0)
	TAKE(f->x, T * f->E);
	TAKE(f->xn, rows_out * f->E);
	TAKE(f->tmp, T * f->E);
	TAKE(f->q, T * f->Dq);
	TAKE(f->k, T * f->Dk);
	TAKE(f->v, T * f->Dv);
	TAKE(f->att, T * (int64_t)m->n_head * m->head_dim_v);
	TAKE(f->g, T * f->F);
	TAKE(f->u, T * f->F);
	for (int i = 0; i < 2; i++) {
		TAKE(f->rope_cos[i], T * half);
		TAKE(f->rope_sin[i], T * half);
	}
	for (int i = 0; i < 3; i++) {
		f->act[i] = p;
		p += (act_bytes + 63) & ~(size_t)63;
	}
	TAKE(f->scores, nth * f->ctx);
	TAKE(f->qh, nth * f->qh_stride);
#undef TAKE
#undef SZ
	return PLUME_OK;
}

struct norm_ctx {
	float *y;
	const float *x, *w;
	int64_t n;
};

static void norm_tokens(struct fwd *f, int64_t t0, int64_t t1, const void *ctx)
{
	const struct norm_ctx *c = ctx;

	for (int64_t t = t0; t < t1; t++)
		rmsnorm(c->y + t * c->n, c->x + t * c->n, c->w, c->n, f->m->norm_eps);
}

static void rope_tokens(struct fwd *f, int64_t t0, int64_t t1, const void *ctx)
{
	const struct plume_layer *L = ctx;
	int64_t hd = f->m->head_dim_k, Dq = (int64_t)L->n_head * hd, Dk = (int64_t)L->n_head_kv * hd;

	for (int64_t t = t0; t < t1; t++) {
		rope(f, f->q + t * Dq, t, L->n_head, hd);
		rope(f, f->k + t * Dk, t, L->n_head_kv, hd);
	}
}

static void glu_tokens(struct fwd *f, int64_t t0, int64_t t1, const void *ctx)
{
	int64_t F = *(const int64_t *)ctx;

	cpu_glu(!!(f->m->flags & PLUME_MODEL_GELU_FFN), f->c->gelu_f16, f->g + t0 * F, f->u + t0 * F,
		(t1 - t0) * F);
}

static void layer(struct fwd *f, uint32_t il)
{
	const struct plume_model_desc *m = f->m;
	const struct plume_layer *L = plume_model_layer(m, il);
	int64_t T = f->T, E = f->E, F = L->n_ff, hd = m->head_dim_k;
	int64_t Dq = (int64_t)L->n_head * hd, Dk = (int64_t)L->n_head_kv * hd;
	int64_t Dv = (int64_t)L->n_head_kv * m->head_dim_v, Datt = (int64_t)L->n_head * m->head_dim_v;

	f->layer = il;
	f->swa = (m->flags & PLUME_MODEL_SLIDING_WINDOW) && L->is_swa;
	f->swa_pool = f->swa && f->c->n_blocks_swa;
	/* attention block */
	{
		struct norm_ctx nc = {f->xn, f->x, L->attn_norm->data, E};

		par_tokens(f, norm_tokens, &nc);
	}
	{
		const struct plume_tensor *w[3] = {L->wq, L->wk, L->wv};
		float *y[3] = {f->q, f->k, f->v};

		matmuls(f, f->xn, E, 3, w, y);
	}
	if (L->bq) {
		add_bias(f->q, L->bq, T, Dq);
		add_bias(f->k, L->bk, T, Dk);
		add_bias(f->v, L->bv, T, Dv);
	}
	if (L->q_norm)
		for (int64_t t = 0; t < T; t++) {
			for (int64_t h = 0; h < L->n_head; h++)
				rmsnorm(f->q + t * Dq + h * hd, f->q + t * Dq + h * hd, L->q_norm->data,
					hd, m->norm_eps);
			for (int64_t h = 0; h < L->n_head_kv; h++)
				rmsnorm(f->k + t * Dk + h * hd, f->k + t * Dk + h * hd, L->k_norm->data,
					hd, m->norm_eps);
		}
	par_tokens(f, rope_tokens, L);
	/* gemma3 scales the query before attention (llama.cpp: ggml_scale on
	 * Q, then a q·k scale of 1) */
	if (m->flags & PLUME_MODEL_QUERY_SCALE)
		for (int64_t i = 0; i < T * Dq; i++)
			f->q[i] *= m->attn_scale;
	f->Dq = Dq;
	f->Dk = Dk;
	f->Dv = Dv;
	kv_write(f);
	attention(f);
	{
		const struct plume_tensor *w[1] = {L->wo};
		float *y[1] = {f->tmp};

		matmuls(f, f->att, Datt, 1, w, y);
	}
	if (L->bo)
		add_bias(f->tmp, L->bo, T, E);
	if (L->attn_post_norm)
		for (int64_t t = 0; t < T; t++)
			rmsnorm(f->tmp + t * E, f->tmp + t * E, L->attn_post_norm->data, E, m->norm_eps);
	for (int64_t i = 0; i < T * E; i++)
		f->x[i] += f->tmp[i];

	/* feed-forward block */
	{
		struct norm_ctx nc = {f->xn, f->x, L->ffn_norm->data, E};

		par_tokens(f, norm_tokens, &nc);
	}
	{
		const struct plume_tensor *w[2] = {L->ffn_gate, L->ffn_up};
		float *y[2] = {f->g, f->u};

		matmuls(f, f->xn, E, 2, w, y);
	}
	par_tokens(f, glu_tokens, &F);
	{
		const struct plume_tensor *w[1] = {L->ffn_down};
		float *y[1] = {f->tmp};

		matmuls(f, f->g, F, 1, w, y);
	}
	if (L->ffn_post_norm)
		for (int64_t t = 0; t < T; t++)
			rmsnorm(f->tmp + t * E, f->tmp + t * E, L->ffn_post_norm->data, E, m->norm_eps);
	for (int64_t i = 0; i < T * E; i++)
		f->x[i] += f->tmp[i];
}

int cpu_forward(struct cpu_ctx *c, const struct plume_batch *b, struct plume_error *err)
{
	const struct plume_model_desc *m = c->m;
	struct fwd f = {0};
	int rc = validate(c, b, err);

	if (rc)
		return rc;
	f.c = c;
	f.m = m;
	f.b = b;
	f.T = b->n_tokens;
	f.E = m->n_embd;
	f.F = m->n_ff;
	f.Dq = (int64_t)m->n_head * m->head_dim_k;
	f.Dk = (int64_t)m->n_head_kv * m->head_dim_k;
	f.Dv = (int64_t)m->n_head_kv * m->head_dim_v;
	f.batch = !c->batch_exact && b->n_seqs >= 2 && b->n_tokens == b->n_seqs && cpu_ilv_supported();
	rc = setup(&f, err);
	if (rc)
		return rc;
	{
		size_t row = cpu_row_bytes(m->tok_embd->type, f.E);

		for (int64_t t = 0; t < f.T; t++)
			cpu_dequant_row(m->tok_embd->type,
					(const uint8_t *)m->tok_embd->data + (size_t)b->tokens[t] * row,
					f.x + t * f.E, f.E);
		if (m->flags & PLUME_MODEL_EMBD_SCALE)
			for (int64_t i = 0; i < f.T * f.E; i++)
				f.x[i] *= m->embd_scale;
	}
	f.kq_scale = (m->flags & PLUME_MODEL_QUERY_SCALE) ? 1.0f : m->attn_scale;
	rope_tables(&f, 0, m->rope_freq_base, m->rope_freq_scale);
	if (m->flags & PLUME_MODEL_SLIDING_WINDOW)
		rope_tables(&f, 1, m->rope_freq_base_swa, 1.0f);
	for (uint32_t il = 0; il < m->n_layer; il++)
		layer(&f, il);

	/* final norm: hidden states and logits of the requested rows */
	for (uint32_t i = 0; i < b->n_hidden; i++)
		rmsnorm(b->hidden + (size_t)i * f.E, f.x + (size_t)b->hidden_idx[i] * f.E,
			m->output_norm->data, f.E, m->norm_eps);
	if (b->n_logits) {
		struct mm_job j = {.n = 1, .n_tok = b->n_logits};
		size_t row;

		for (uint32_t i = 0; i < b->n_logits; i++)
			rmsnorm(f.xn + (size_t)i * f.E, f.x + (size_t)b->logits_idx[i] * f.E,
				m->output_norm->data, f.E, m->norm_eps);
		row = quantize_rows(m->output->type, f.xn, b->n_logits, f.E, f.act[0]);
		j.mm[0] = (struct mm){m->output, f.act[0], row, b->logits, m->output->ne[1],
				      f.batch ? cpu_ilv_weights(c, m->output) : NULL};
		pool_run(c->pool, mm_worker, &j);
	}
	return PLUME_OK;
}
