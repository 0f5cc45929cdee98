/* A naive llama-family forward in double precision, written from the
 * reference notes (reference/gguf.md §3.3-3.4), to hold the CPU backend to.
 * Weights are dequantized with the kernels' row dequantizer; with
 * quant_act, each matrix input is rounded through the weight's vec_dot
 * activation format exactly as the backend quantizes it (so only summation
 * order separates the two); with kv_f16, K, V, the query and the softmax
 * weights are rounded to F16 as llama.cpp's non-flash attention does. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static double *dequant_matrix(const struct plume_tensor *t)
{
	int64_t k = t->ne[0], n = t->ne[1];
	size_t row = cpu_row_bytes(t->type, k);
	float *tmp = malloc((size_t)k * sizeof(float));
	double *w = malloc((size_t)(k * n) * sizeof(double));

	if (!tmp || !w) {
		free(tmp);
		free(w);
		return NULL;
	}
	for (int64_t o = 0; o < n; o++) {
		cpu_dequant_row(t->type, (const uint8_t *)t->data + (size_t)o * row, tmp, k);
		for (int64_t i = 0; i < k; i++)
			w[o * k + i] = tmp[i];
	}
	free(tmp);
	return w;
}

/* y[o] = W[o] · x for one row x of length k. With quant_act, x goes through
 * the activation format first; for Q8_1 inputs the weight's block minimum
 * multiplies the stored (F16) block sum s, as ggml's q4_1/q5_1 dot does. */
static void matvec(const struct plume_tensor *t, const double *W, const double *x, double *y,
		   int quant_act)
{
	int64_t k = t->ne[0], n = t->ne[1];
	uint32_t at = cpu_vec_dot_type(t->type);
	double *xa = malloc((size_t)k * sizeof(double)), *corr = calloc((size_t)k / 32 + 1, sizeof(double));
	float *xf = malloc((size_t)k * sizeof(float)), *deq = malloc((size_t)k * sizeof(float));
	uint8_t *q = malloc(cpu_row_bytes(at, k) + 64);

	for (int64_t i = 0; i < k; i++) {
		xf[i] = (float)x[i];
		xa[i] = x[i];
	}
	if (quant_act && at != PLUME_DTYPE_F32) {
		cpu_quantize_row(at, xf, q, k);
		if (at == PLUME_DTYPE_Q8_1) {
			for (int64_t blk = 0; blk < k / 32; blk++) {
				const uint8_t *bp = q + blk * 36;
				uint16_t dh, sh;
				double d, s, sumq = 0;

				memcpy(&dh, bp, 2);
				memcpy(&sh, bp + 2, 2);
				d = cpu_fp16_to_fp32(dh);
				s = cpu_fp16_to_fp32(sh);
				for (int i = 0; i < 32; i++) {
					xa[blk * 32 + i] = d * (int8_t)bp[4 + i];
					sumq += (int8_t)bp[4 + i];
				}
				corr[blk] = s - d * sumq;
			}
		} else {
			cpu_dequant_row(at, q, deq, k);
			for (int64_t i = 0; i < k; i++)
				xa[i] = deq[i];
		}
	}
	for (int64_t o = 0; o < n; o++) {
		double s = 0;

		for (int64_t i = 0; i < k; i++)
			s += W[o * k + i] * xa[i];
		if (quant_act && at == PLUME_DTYPE_Q8_1) {
			/* Q4_1 and Q5_1 blocks start with f16 d, then f16 m */
			size_t row = cpu_row_bytes(t->type, k), bb = cpu_type_block_bytes(t->type);

			for (int64_t blk = 0; blk < k / 32; blk++) {
				uint16_t mh;

				memcpy(&mh, (const uint8_t *)t->data + (size_t)o * row + blk * bb + 2, 2);
				s += cpu_fp16_to_fp32(mh) * corr[blk];
			}
		}
		y[o] = s;
	}
	free(xa);
	free(corr);
	free(xf);
	free(deq);
	free(q);
}

static void rmsnorm(double *y, const double *x, const struct plume_tensor *w, int64_t n, double eps)
{
	const float *wv = w->data;
	double ss = 0;

	for (int64_t i = 0; i < n; i++)
		ss += x[i] * x[i];
	ss = 1.0 / sqrt(ss / n + eps);
	for (int64_t i = 0; i < n; i++)
		y[i] = x[i] * ss * wv[i];
}

void ref_rope(double *x, int n_rot, int rope_type, double pos, double base, double freq_scale,
	      const float *freq_factors)
{
	int half = n_rot / 2;

	for (int i = 0; i < half; i++) {
		double th = pos * pow(base, -2.0 * i / n_rot) * freq_scale;
		int a = rope_type == PLUME_ROPE_NEOX ? i : 2 * i;
		int b = rope_type == PLUME_ROPE_NEOX ? i + half : 2 * i + 1;
		double x0 = x[a], x1 = x[b];

		if (freq_factors)
			th /= freq_factors[i];
		x[a] = x0 * cos(th) - x1 * sin(th);
		x[b] = x0 * sin(th) + x1 * cos(th);
	}
}

static double f16(double x, int on)
{
	return on ? cpu_fp16_to_fp32(cpu_fp32_to_fp16((float)x)) : x;
}

static void add_bias(double *y, const struct plume_tensor *b, int64_t n)
{
	for (int64_t i = 0; b && i < n; i++)
		y[i] += ((const float *)b->data)[i];
}

/* One layer over all n positions of the sequence; x [n][E] updated. */
static int layer(const struct plume_model_desc *m, const struct plume_layer *L, double *x, int n,
		 const struct ref_opts *o)
{
	int64_t E = m->n_embd, hd = m->head_dim_k, hv = m->head_dim_v, F = L->n_ff;
	int64_t Dq = L->n_head * hd, Dk = L->n_head_kv * hd, Dv = L->n_head_kv * hv;
	int64_t group = L->n_head / L->n_head_kv;
	double *Wq = dequant_matrix(L->wq), *Wk = dequant_matrix(L->wk), *Wv = dequant_matrix(L->wv);
	double *Wo = dequant_matrix(L->wo), *Wg = dequant_matrix(L->ffn_gate);
	double *Wu = dequant_matrix(L->ffn_up), *Wd = dequant_matrix(L->ffn_down);
	double *xn = malloc(sizeof(double) * E), *q = malloc(sizeof(double) * n * Dq);
	double *k = malloc(sizeof(double) * n * Dk), *v = malloc(sizeof(double) * n * Dv);
	double *att = malloc(sizeof(double) * L->n_head * hv), *tmp = malloc(sizeof(double) * E);
	double *g = malloc(sizeof(double) * F), *u = malloc(sizeof(double) * F);
	double *p = malloc(sizeof(double) * n);
	int rc = -1;

	if (!Wq || !Wk || !Wv || !Wo || !Wg || !Wu || !Wd || !xn || !q || !k || !v || !att || !tmp ||
	    !g || !u || !p)
		goto out;
	for (int t = 0; t < n; t++) {
		rmsnorm(xn, x + t * E, L->attn_norm, E, m->norm_eps);
		matvec(L->wq, Wq, xn, q + t * Dq, o->quant_act);
		matvec(L->wk, Wk, xn, k + t * Dk, o->quant_act);
		matvec(L->wv, Wv, xn, v + t * Dv, o->quant_act);
		add_bias(q + t * Dq, L->bq, Dq);
		add_bias(k + t * Dk, L->bk, Dk);
		add_bias(v + t * Dv, L->bv, Dv);
		for (int64_t h = 0; L->q_norm && h < L->n_head; h++)
			rmsnorm(q + t * Dq + h * hd, q + t * Dq + h * hd, L->q_norm, hd, m->norm_eps);
		for (int64_t h = 0; L->k_norm && h < L->n_head_kv; h++)
			rmsnorm(k + t * Dk + h * hd, k + t * Dk + h * hd, L->k_norm, hd, m->norm_eps);
		for (int64_t h = 0; h < L->n_head; h++)
			ref_rope(q + t * Dq + h * hd, (int)m->n_rot, (int)m->rope_type, t, m->rope_freq_base,
				 m->rope_freq_scale, m->rope_freqs ? m->rope_freqs->data : NULL);
		for (int64_t h = 0; h < L->n_head_kv; h++)
			ref_rope(k + t * Dk + h * hd, (int)m->n_rot, (int)m->rope_type, t, m->rope_freq_base,
				 m->rope_freq_scale, m->rope_freqs ? m->rope_freqs->data : NULL);
		for (int64_t i = 0; i < Dk; i++)
			k[t * Dk + i] = f16(k[t * Dk + i], o->kv_f16);
		for (int64_t i = 0; i < Dv; i++)
			v[t * Dv + i] = f16(v[t * Dv + i], o->kv_f16);
	}
	/* attention, then the rest of the layer, one position at a time
	 * (x of position t is only read after its own K/V were made above) */
	for (int t = 0; t < n; t++) {
		for (int64_t h = 0; h < L->n_head; h++) {
			int64_t kvh = h / group;
			double max = -INFINITY, sum = 0;

			for (int j = 0; j <= t; j++) {
				double s = 0;

				for (int64_t d = 0; d < hd; d++)
					s += f16(q[t * Dq + h * hd + d], o->kv_f16) * k[j * Dk + kvh * hd + d];
				p[j] = s * m->attn_scale;
				max = fmax(max, p[j]);
			}
			for (int j = 0; j <= t; j++)
				sum += (p[j] = exp(p[j] - max));
			for (int64_t d = 0; d < hv; d++)
				att[h * hv + d] = 0;
			for (int j = 0; j <= t; j++)
				for (int64_t d = 0; d < hv; d++)
					att[h * hv + d] += f16(p[j] / sum, o->kv_f16) * v[j * Dv + kvh * hv + d];
		}
		matvec(L->wo, Wo, att, tmp, o->quant_act);
		add_bias(tmp, L->bo, E);
		for (int64_t i = 0; i < E; i++)
			x[t * E + i] += tmp[i];
		rmsnorm(xn, x + t * E, L->ffn_norm, E, m->norm_eps);
		matvec(L->ffn_gate, Wg, xn, g, o->quant_act);
		matvec(L->ffn_up, Wu, xn, u, o->quant_act);
		for (int64_t i = 0; i < F; i++)
			g[i] = g[i] / (1.0 + exp(-g[i])) * u[i];
		matvec(L->ffn_down, Wd, g, tmp, o->quant_act);
		for (int64_t i = 0; i < E; i++)
			x[t * E + i] += tmp[i];
	}
	rc = 0;
out:
	free(Wq); free(Wk); free(Wv); free(Wo); free(Wg); free(Wu); free(Wd);
	free(xn); free(q); free(k); free(v); free(att); free(tmp); free(g); free(u); free(p);
	return rc;
}

int ref_forward(const struct plume_model_desc *m, const int32_t *tokens, int n,
		const struct ref_opts *o, double *logits, double *hidden)
{
	int64_t E = m->n_embd;
	double *x = malloc(sizeof(double) * n * E), *xn = malloc(sizeof(double) * E);
	double *Wout = dequant_matrix(m->output);
	float *row = malloc(sizeof(float) * E);
	size_t rb = cpu_row_bytes(m->tok_embd->type, E);
	int rc = -1;

	if (!x || !xn || !Wout || !row)
		goto out;
	for (int t = 0; t < n; t++) {
		cpu_dequant_row(m->tok_embd->type, (const uint8_t *)m->tok_embd->data + (size_t)tokens[t] * rb,
				row, E);
		for (int64_t i = 0; i < E; i++)
			x[t * E + i] = row[i];
	}
	for (uint32_t il = 0; il < m->n_layer; il++)
		if (layer(m, plume_model_layer(m, il), x, n, o))
			goto out;
	for (int t = 0; t < n; t++) {
		rmsnorm(xn, x + t * E, m->output_norm, E, m->norm_eps);
		if (hidden)
			memcpy(hidden + t * E, xn, sizeof(double) * E);
		matvec(m->output, Wout, xn, logits + (size_t)t * m->n_vocab, o->quant_act);
	}
	rc = 0;
out:
	free(x);
	free(xn);
	free(Wout);
	free(row);
	return rc;
}
