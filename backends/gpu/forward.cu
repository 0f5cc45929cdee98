/* The llama-family forward on the GPU: embedding, per layer RMSNorm, Q/K/V
 * products (optional biases and per-head Q/K norms), RoPE, K/V written into
 * the paged cache, attention, output product and residual, RMSNorm, SwiGLU
 * feed-forward and residual; then the final norm of the requested rows, the
 * output projection, and the copies back to the batch's host arrays.
 * Activations stay on the device in float; one stream, one sync at the end.
 * Forwards without hidden-state outputs run as CUDA/HIP graphs, captured once
 * per batch shape (tokens, logits rows, context bucket) and replayed. */
#include <string.h>

#include "gpu.h"

static int validate(struct gpu_ctx *c, const struct plume_batch *b, struct plume_error *err)
{
	if (!c->m || !c->kv)
		return c->host->error(err, PLUME_ERR_INVALID, GPU_NAME ": forward before load_model and kv_init");
	if (!b->n_tokens || !b->tokens || !b->positions || !b->seq || !b->n_seqs)
		return c->host->error(err, PLUME_ERR_INVALID, GPU_NAME ": empty batch");
	for (uint32_t s = 0; s < b->n_seqs; s++)
		for (uint32_t i = 0; i < b->n_blocks[s]; i++)
			if (b->block_tables[s][i] >= c->n_blocks)
				return c->host->error(err, PLUME_ERR_RANGE,
						      GPU_NAME ": sequence %u names block %u, the pool has %u",
						      s, b->block_tables[s][i], c->n_blocks);
	for (uint32_t t = 0; t < b->n_tokens; t++) {
		uint32_t s = b->seq[t];

		if (b->tokens[t] < 0 || (uint32_t)b->tokens[t] >= c->m->n_vocab)
			return c->host->error(err, PLUME_ERR_RANGE, GPU_NAME ": token %d outside the vocabulary (%u)",
					      b->tokens[t], c->m->n_vocab);
		if (s >= b->n_seqs)
			return c->host->error(err, PLUME_ERR_RANGE, GPU_NAME ": token %u names sequence %u of %u",
					      t, s, b->n_seqs);
		if (b->positions[t] < 0 ||
		    (uint64_t)b->positions[t] >= (uint64_t)b->n_blocks[s] * c->block_size)
			return c->host->error(err, PLUME_ERR_RANGE,
					      GPU_NAME ": position %d of sequence %u is not covered by its %u blocks",
					      b->positions[t], s, b->n_blocks[s]);
	}
	for (uint32_t i = 0; i < b->n_logits; i++)
		if (b->logits_idx[i] >= b->n_tokens)
			return c->host->error(err, PLUME_ERR_RANGE, GPU_NAME ": logits row %u names token %u of %u",
					      i, b->logits_idx[i], b->n_tokens);
	for (uint32_t i = 0; i < b->n_hidden; i++)
		if (b->hidden_idx[i] >= b->n_tokens)
			return c->host->error(err, PLUME_ERR_RANGE, GPU_NAME ": hidden row %u names token %u of %u",
					      i, b->hidden_idx[i], b->n_tokens);
	return PLUME_OK;
}

struct fw {
	int64_t T, E, Dq, Dk, Datt, F, V, rows_out;
	float *x, *xn, *q, *k, *v, *att, *g, *u, *tmp, *logits;
	uint8_t *qx;                    /* activations quantized for the integer dots */
	int32_t *tok, *pos, *tab, *ctx_len, *lidx, *hidx, *tables;
	int max_ctx;
};

#define AL(n) (((size_t)(n) * 4 + 255) & ~(size_t)255)

/* Carve the scratch; grow it first when too small. */
static int setup(struct gpu_ctx *c, const struct plume_batch *b, struct fw *f, size_t n_meta,
		 struct plume_error *err)
{
	const struct plume_model_desc *m = c->m;
	size_t need, qx_bytes;
	int64_t kmax;
	uint8_t *p;
	int rc = 0;

	f->T = b->n_tokens;
	f->E = m->n_embd;
	f->Dq = (int64_t)m->n_head * m->head_dim_k;
	f->Dk = (int64_t)m->n_head_kv * m->head_dim_k;
	f->Datt = (int64_t)m->n_head * m->head_dim_v;
	f->F = m->n_ff;
	f->V = m->n_vocab;
	f->rows_out = b->n_logits > b->n_hidden ? b->n_logits : b->n_hidden;
	if (f->rows_out < f->T)
		f->rows_out = f->T;
	kmax = f->E > f->F ? f->E : f->F;
	if (f->Datt > kmax)
		kmax = f->Datt;
	qx_bytes = gpu_matmul_qbuf_bytes(kmax, f->rows_out);
	need = AL((qx_bytes + 3) / 4) + AL(f->T * f->E) * 2 + AL(f->rows_out * f->E) + AL(f->T * f->Dq) + AL(f->T * f->Dk) * 2 +
	       AL(f->T * f->Datt) + AL(f->T * f->F) * 2 + AL((int64_t)b->n_logits * f->V) + AL(n_meta);
	if (need > c->scratch_size) {
		gpu_graphs_clear(c); /* they name the old buffers */
		if (c->scratch)
			(void)gpuFree(c->scratch);
		c->scratch = NULL;
		c->scratch_size = 0;
		GPU_CHECK(c, gpuMalloc((void **)&c->scratch, need));
		c->scratch_size = need;
	}
	p = c->scratch;
#define TAKE(dst, n) do { (dst) = (decltype(dst))p; p += AL(n); } while (0)
	TAKE(f->x, f->T * f->E);
	TAKE(f->tmp, f->T * f->E);
	TAKE(f->xn, f->rows_out * f->E);
	TAKE(f->q, f->T * f->Dq);
	TAKE(f->k, f->T * f->Dk);
	TAKE(f->v, f->T * f->Dk);
	TAKE(f->att, f->T * f->Datt);
	TAKE(f->g, f->T * f->F);
	TAKE(f->u, f->T * f->F);
	TAKE(f->logits, (int64_t)b->n_logits * f->V);
	TAKE(f->tok, n_meta);
	TAKE(f->qx, (qx_bytes + 3) / 4);
#undef TAKE
fail:
	return rc;
}

/* Per-token metadata, staged on the host, one copy: tok, pos, tab, ctx_len
 * [T] each, logits_idx, hidden_idx, then the concatenated block tables. */
static int upload_meta(struct gpu_ctx *c, const struct plume_batch *b, struct fw *f, size_t n_meta,
		       struct plume_error *err)
{
	int32_t *h, *off;
	int64_t T = f->T, tab_n = 0;
	int rc = 0;

	if (n_meta * 4 > c->h_meta_size) {
		c->host->free(c->h_meta);
		c->h_meta = (int32_t *)c->host->alloc(n_meta * 4 + b->n_seqs * 4);
		c->h_meta_size = c->h_meta ? n_meta * 4 : 0;
		if (!c->h_meta)
			return c->host->error(err, PLUME_ERR_NOMEM, GPU_NAME ": out of host memory");
	}
	h = c->h_meta;
	off = h + 4 * T + b->n_logits + b->n_hidden;
	f->pos = f->tok + T;
	f->tab = f->tok + 2 * T;
	f->ctx_len = f->tok + 3 * T;
	f->lidx = f->tok + 4 * T;
	f->hidx = f->lidx + b->n_logits;
	f->tables = f->hidx + b->n_hidden;
	f->max_ctx = 0;
	for (uint32_t s = 0; s < b->n_seqs; s++) {
		for (uint32_t i = 0; i < b->n_blocks[s]; i++)
			off[tab_n + i] = (int32_t)b->block_tables[s][i];
		tab_n += b->n_blocks[s];
	}
	for (int64_t t = 0; t < T; t++) {
		uint32_t s = b->seq[t];
		int64_t o = 0;

		for (uint32_t i = 0; i < s; i++)
			o += b->n_blocks[i];
		h[t] = b->tokens[t];
		h[T + t] = b->positions[t];
		h[2 * T + t] = (int32_t)o;
		h[3 * T + t] = b->positions[t] + 1;
		if (b->positions[t] + 1 > f->max_ctx)
			f->max_ctx = b->positions[t] + 1;
	}
	for (uint32_t i = 0; i < b->n_logits; i++)
		h[4 * T + i] = (int32_t)b->logits_idx[i];
	for (uint32_t i = 0; i < b->n_hidden; i++)
		h[4 * T + b->n_logits + i] = (int32_t)b->hidden_idx[i];
	GPU_CHECK(c, gpuMemcpyAsync(f->tok, h, n_meta * 4, gpuMemcpyHostToDevice, c->stream));
	/* the staging buffer is reused by the next forward only after this
	 * forward's final synchronization */
fail:
	return rc;
}

static int layer(struct gpu_ctx *c, struct fw *f, uint32_t il, struct plume_error *err)
{
	const struct plume_model_desc *m = c->m;
	const struct gpu_layer *L = &c->layers[il];
	gpuStream_t s = c->stream;
	int64_t T = f->T, E = f->E, hd = m->head_dim_k;
	int swa = (m->flags & PLUME_MODEL_SLIDING_WINDOW) && L->is_swa;
	int qscale = (m->flags & PLUME_MODEL_QUERY_SCALE) != 0;
	/* sliding-window layers: their own RoPE base, no scaling (llama.cpp) */
	struct gpu_rope_p rp = {(int)m->n_rot, (int)m->rope_type, (int)hd,
				powf(swa ? m->rope_freq_base_swa : m->rope_freq_base,
				     -2.0f / (float)m->n_rot),
				swa ? 1.0f : m->rope_freq_scale, c->rope_freqs};
	/* gemma3 scales the query before attention and uses a q.k scale of 1 */
	struct gpu_attn_p ap = {(int)L->n_head, (int)L->n_head_kv, (int)hd, (int)c->block_size,
				swa ? (int)m->sliding_window : 0, qscale ? 1.0f : m->attn_scale,
				f->Dq, f->Dk, f->Datt, f->pos, f->tab, f->tables, f->ctx_len};
	__half *kc = c->kv + (size_t)il * c->kv_layer_elems;
	__half *vc = c->kv + ((size_t)m->n_layer + il) * c->kv_layer_elems;
	int rc;

	gpu_rmsnorm(f->xn, f->x, L->attn_norm, T, E, E, E, m->norm_eps, s);
	if ((rc = gpu_matmul(&L->wq, f->xn, E, f->q, f->Dq, T, s, f->qx)) ||
	    (rc = gpu_matmul(&L->wk, f->xn, E, f->k, f->Dk, T, s, f->qx)) ||
	    (rc = gpu_matmul(&L->wv, f->xn, E, f->v, f->Dk, T, s, f->qx)))
		goto fail;
	if (L->bq) {
		gpu_add_bias(f->q, L->bq, T, f->Dq, s);
		gpu_add_bias(f->k, L->bk, T, f->Dk, s);
		gpu_add_bias(f->v, L->bv, T, f->Dk, s);
	}
	if (L->q_norm) {
		gpu_rmsnorm(f->q, f->q, L->q_norm, T * L->n_head, hd, hd, hd, m->norm_eps, s);
		gpu_rmsnorm(f->k, f->k, L->k_norm, T * L->n_head_kv, hd, hd, hd, m->norm_eps, s);
	}
	gpu_rope(f->q, f->pos, T, L->n_head, f->Dq, &rp, s);
	gpu_rope(f->k, f->pos, T, L->n_head_kv, f->Dk, &rp, s);
	if (qscale)
		gpu_scale(f->q, m->attn_scale, T * f->Dq, s);
	gpu_kv_write(kc, vc, f->k, f->v, T, &ap, s);
	if ((rc = gpu_attention(f->att, f->q, kc, vc, T, f->max_ctx, &ap, s)))
		goto fail;
	if ((rc = gpu_matmul(&L->wo, f->att, f->Datt, f->tmp, E, T, s, f->qx)))
		goto fail;
	if (L->bo)
		gpu_add_bias(f->tmp, L->bo, T, E, s);
	if (L->attn_post_norm)
		gpu_rmsnorm(f->tmp, f->tmp, L->attn_post_norm, T, E, E, E, m->norm_eps, s);
	gpu_add(f->x, f->tmp, T * E, s);

	gpu_rmsnorm(f->xn, f->x, L->ffn_norm, T, E, E, E, m->norm_eps, s);
	if ((rc = gpu_matmul(&L->gate, f->xn, E, f->g, L->n_ff, T, s, f->qx)) ||
	    (rc = gpu_matmul(&L->up, f->xn, E, f->u, L->n_ff, T, s, f->qx)))
		goto fail;
	if (m->flags & PLUME_MODEL_GELU_FFN)
		gpu_geglu(f->g, f->u, T * L->n_ff, s);
	else
		gpu_swiglu(f->g, f->u, T * L->n_ff, s);
	if ((rc = gpu_matmul(&L->down, f->g, L->n_ff, f->tmp, E, T, s, f->qx)))
		goto fail;
	if (L->ffn_post_norm)
		gpu_rmsnorm(f->tmp, f->tmp, L->ffn_post_norm, T, E, E, E, m->norm_eps, s);
	gpu_add(f->x, f->tmp, T * E, s);
	return PLUME_OK;
fail:
	return c->host->error(err, rc, GPU_NAME ": layer %u: kernel launch failed (%s)", il,
			      rc == PLUME_ERR_UNSUPPORTED ? "shape or context length not supported"
							  : gpuGetErrorString(gpuGetLastError()));
}

/* The kernels of one forward, from the embedding to the logits; hidden
 * states (copied out mid-way) only outside graphs. */
static int body(struct gpu_ctx *c, const struct plume_batch *b, struct fw *f, struct plume_error *err)
{
	const struct plume_model_desc *m = c->m;
	int rc;

	if ((rc = gpu_embed(&c->tok_embd, f->tok, f->x, f->T, c->stream)))
		return c->host->error(err, rc, GPU_NAME ": embedding lookup failed");
	if (m->flags & PLUME_MODEL_EMBD_SCALE)
		gpu_scale(f->x, m->embd_scale, f->T * f->E, c->stream);
	for (uint32_t il = 0; il < m->n_layer; il++)
		if ((rc = layer(c, f, il, err)))
			return rc;
	if (b->n_hidden) {
		gpu_rmsnorm_rows(f->xn, f->x, f->hidx, c->output_norm, b->n_hidden, f->E, m->norm_eps,
				 c->stream);
		GPU_CHECK(c, gpuMemcpyAsync(b->hidden, f->xn, (size_t)b->n_hidden * f->E * 4,
					    gpuMemcpyDeviceToHost, c->stream));
		GPU_CHECK(c, gpuStreamSynchronize(c->stream)); /* xn is reused below */
	}
	if (b->n_logits) {
		gpu_rmsnorm_rows(f->xn, f->x, f->lidx, c->output_norm, b->n_logits, f->E, m->norm_eps,
				 c->stream);
		if ((rc = gpu_matmul(&c->output, f->xn, f->E, f->logits, f->V, b->n_logits, c->stream, f->qx)))
			return c->host->error(err, rc, GPU_NAME ": output projection failed");
	}
fail:
	return rc;
}

void gpu_graphs_clear(struct gpu_ctx *c)
{
	for (int i = 0; i < GPU_N_GRAPHS; i++) {
		if (c->graphs[i].exec)
			(void)gpuGraphExecDestroy(c->graphs[i].exec);
		memset(&c->graphs[i], 0, sizeof(c->graphs[i]));
	}
}

/* Replay the graph captured for this shape and these buffers; capture it
 * first when there is none (the least recently used slot is replaced). */
static int replay(struct gpu_ctx *c, const struct plume_batch *b, struct fw *f, struct plume_error *err)
{
	struct gpu_graph *g = NULL, *lru = &c->graphs[0];
	gpuGraph_t graph = NULL;
	gpuError_t e;
	int rc = 0;

	for (int i = 0; i < GPU_N_GRAPHS; i++) {
		struct gpu_graph *q = &c->graphs[i];

		if (q->exec && q->n_tokens == f->T && q->n_logits == b->n_logits &&
		    q->ctx_bucket == f->max_ctx && q->scratch == c->scratch && q->kv == c->kv &&
		    q->weights == c->weights)
			g = q;
		if (q->last_use < lru->last_use)
			lru = q;
	}
	if (!g) {
		g = lru;
		if (g->exec)
			(void)gpuGraphExecDestroy(g->exec);
		memset(g, 0, sizeof(*g));
		GPU_CHECK(c, gpuStreamBeginCapture(c->stream, gpuStreamCaptureModeRelaxed));
		rc = body(c, b, f, err);
		e = gpuStreamEndCapture(c->stream, &graph);
		if (rc)
			goto fail;
		GPU_CHECK(c, e);
		GPU_CHECK(c, gpuGraphInstantiate(&g->exec, graph));
		g->n_tokens = f->T;
		g->n_logits = b->n_logits;
		g->ctx_bucket = f->max_ctx;
		g->scratch = c->scratch;
		g->kv = c->kv;
		g->weights = c->weights;
	}
	g->last_use = ++c->n_forwards;
	GPU_CHECK(c, gpuGraphLaunch(g->exec, c->stream));
fail:
	if (graph)
		(void)gpuGraphDestroy(graph);
	return rc;
}

int gpu_forward(struct gpu_ctx *c, const struct plume_batch *b, struct plume_error *err)
{
	struct fw f;
	size_t n_meta;
	int64_t tab_total = 0;
	int rc = validate(c, b, err);

	if (rc)
		return rc;
	memset(&f, 0, sizeof(f));
	for (uint32_t s = 0; s < b->n_seqs; s++)
		tab_total += b->n_blocks[s];
	n_meta = 4 * (size_t)b->n_tokens + b->n_logits + b->n_hidden + (size_t)tab_total;
	if ((rc = setup(c, b, &f, n_meta, err)) || (rc = upload_meta(c, b, &f, n_meta, err)))
		return rc;
	/* attention's shared memory is sized for the context rounded up, so
	 * that one captured graph serves GPU_CTX_BUCKET decode steps */
	f.max_ctx = (f.max_ctx + GPU_CTX_BUCKET - 1) / GPU_CTX_BUCKET * GPU_CTX_BUCKET;
	if (c->use_graphs && !b->n_hidden && b->n_logits)
		rc = replay(c, b, &f, err);
	else
		rc = body(c, b, &f, err);
	if (rc)
		return rc;
	if (b->n_logits)
		GPU_CHECK(c, gpuMemcpyAsync(b->logits, f.logits, (size_t)b->n_logits * f.V * 4,
					    gpuMemcpyDeviceToHost, c->stream));
	GPU_CHECK(c, gpuStreamSynchronize(c->stream));
	GPU_CHECK(c, gpuGetLastError());
fail:
	return rc;
}
