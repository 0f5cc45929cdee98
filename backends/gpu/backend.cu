/* The GPU backend plugin (built as plume-backend-cuda.so by nvcc and as
 * plume-backend-hip.so by hipcc from this same file): device selection,
 * weight upload in GGUF types with a free-memory check first, the paged F16
 * KV pool, block copies, and the plugin descriptor. The forward is in
 * forward.cu, the kernels in matmul.cu, elementwise.cu and attention.cu. */
#include <stdio.h>
#include <string.h>

#include "gpu.h"
#include "quant.cuh"

static int gpu_create(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, void **out, struct plume_error *err)
{
	struct gpu_ctx *c;
	int n = 0, rc = 0;
	int64_t dev = 0;
	int graphs = 1;
	gpuDeviceProp prop;
	gpuError_t e = gpuGetDeviceCount(&n);

	if (e != gpuSuccess || n == 0)
		return host->error(err, PLUME_ERR_NODEVICE, GPU_NAME ": no device (%sGetDeviceCount: %s)",
				   GPU_NAME, e != gpuSuccess ? gpuGetErrorString(e) : "0 devices");
	if (cfg) {
		host->config_int(cfg, "device", &dev);
		host->config_bool(cfg, "graphs", &graphs);
	}
	if (dev < 0 || dev >= n)
		return host->error(err, PLUME_ERR_NODEVICE, GPU_NAME ": device %lld requested, %d present",
				   (long long)dev, n);
	c = (struct gpu_ctx *)host->calloc(1, sizeof(*c));
	if (!c)
		return host->error(err, PLUME_ERR_NOMEM, GPU_NAME ": out of memory");
	c->host = host;
	c->device = (int)dev;
	c->use_graphs = graphs;
	GPU_CHECK(c, gpuSetDevice(c->device));
	gpu_warp_size(); /* cached now, never queried inside a graph capture */
	GPU_CHECK(c, gpuGetDeviceProperties(&prop, c->device));
	snprintf(c->name, sizeof(c->name), "%.200s (warp %d, %d SMs)", prop.name, prop.warpSize,
		 prop.multiProcessorCount);
	GPU_CHECK(c, gpuStreamCreate(&c->stream));
	*out = c;
	return PLUME_OK;
fail:
	host->free(c);
	return rc;
}

static void free_model(struct gpu_ctx *c)
{
	gpu_graphs_clear(c);
	if (c->weights)
		(void)gpuFree(c->weights);
	c->weights = NULL;
	c->host->free(c->layers);
	c->layers = NULL;
	c->m = NULL;
}

static void gpu_destroy(void *ctx)
{
	struct gpu_ctx *c = (struct gpu_ctx *)ctx;

	if (!c)
		return;
	(void)gpuSetDevice(c->device);
	if (c->kv)
		(void)gpuFree(c->kv);
	if (c->scratch)
		(void)gpuFree(c->scratch);
	free_model(c);
	c->host->free(c->h_meta);
	if (c->stream)
		(void)gpuStreamDestroy(c->stream);
	c->host->free(c);
}

static int gpu_get_info(void *ctx, struct plume_backend_info *info)
{
	struct gpu_ctx *c = (struct gpu_ctx *)ctx;
	size_t fr = 0, tot = 0;

	(void)gpuSetDevice(c->device);
	if (gpuMemGetInfo(&fr, &tot) != gpuSuccess)
		fr = tot = 0;
	info->device_name = c->name;
	info->mem_total = tot;
	info->mem_free = fr;
	info->max_batch_tokens = 0;
	return PLUME_OK;
}

static size_t align256(size_t n)
{
	return (n + 255) & ~(size_t)255;
}

/* A tensor's place in the weight arena; walk() sums sizes when base is NULL. */
struct arena {
	uint8_t *base;
	size_t used;
	const struct plume_tensor *done[8]; /* tied output: upload tok_embd once */
	size_t done_off[8];
	int n_done;
};

static int put(struct gpu_ctx *c, struct arena *a, const struct plume_tensor *t, const uint8_t **dev,
	       struct plume_error *err)
{
	int rc = 0;

	for (int i = 0; i < a->n_done; i++)
		if (a->done[i] == t) {
			*dev = a->base + a->done_off[i];
			return PLUME_OK;
		}
	if (a->base)
		GPU_CHECK(c, gpuMemcpy(a->base + a->used, t->data, t->n_bytes, gpuMemcpyHostToDevice));
	*dev = a->base + a->used;
	if (a->n_done < 8 && (t == c->m->tok_embd || t == c->m->output)) {
		a->done[a->n_done] = t;
		a->done_off[a->n_done++] = a->used;
	}
	a->used += align256(t->n_bytes);
fail:
	return rc;
}

static int put_w(struct gpu_ctx *c, struct arena *a, const struct plume_tensor *t, struct gpu_w *w,
		 struct plume_error *err)
{
	if (!t)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED, GPU_NAME ": a required weight is missing");
	if (!gpu_type_supported(t->type) || t->ne[0] % 32 || t->ne[0] % gq_block_elems(t->type) ||
	    t->n_bytes < gq_row_bytes(t->type, t->ne[0]) * (size_t)t->ne[1])
		return c->host->error(err, PLUME_ERR_UNSUPPORTED,
				      GPU_NAME ": tensor %s: type %u with rows of %lld is not supported",
				      t->name, t->type, (long long)t->ne[0]);
	w->type = t->type;
	w->k = t->ne[0];
	w->n = t->ne[1];
	return put(c, a, t, &w->d, err);
}

static int put_f(struct gpu_ctx *c, struct arena *a, const struct plume_tensor *t, const float **p,
		 struct plume_error *err)
{
	const uint8_t *d = NULL;
	int rc;

	*p = NULL;
	if (!t)
		return PLUME_OK;
	if (t->type != PLUME_DTYPE_F32)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED, GPU_NAME ": tensor %s: type %u, expected f32",
				      t->name, t->type);
	rc = put(c, a, t, &d, err);
	*p = (const float *)d;
	return rc;
}

/* Lay out (base NULL: measure) or upload every weight. */
static int walk(struct gpu_ctx *c, const struct plume_model_desc *m, struct arena *a,
		struct plume_error *err)
{
	int rc;

	if ((rc = put_w(c, a, m->tok_embd, &c->tok_embd, err)) ||
	    (rc = put_w(c, a, m->output ? m->output : m->tok_embd, &c->output, err)) ||
	    (rc = put_f(c, a, m->output_norm, &c->output_norm, err)) ||
	    (rc = put_f(c, a, m->rope_freqs, &c->rope_freqs, err)))
		return rc;
	for (uint32_t il = 0; il < m->n_layer; il++) {
		const struct plume_layer *l = plume_model_layer(m, il);
		struct gpu_layer *g = &c->layers[il];

		g->n_head = l->n_head;
		g->n_head_kv = l->n_head_kv;
		g->n_ff = l->n_ff;
		g->is_swa = l->is_swa;
		if ((rc = put_w(c, a, l->wq, &g->wq, err)) || (rc = put_w(c, a, l->wk, &g->wk, err)) ||
		    (rc = put_w(c, a, l->wv, &g->wv, err)) || (rc = put_w(c, a, l->wo, &g->wo, err)) ||
		    (rc = put_w(c, a, l->ffn_gate, &g->gate, err)) ||
		    (rc = put_w(c, a, l->ffn_up, &g->up, err)) ||
		    (rc = put_w(c, a, l->ffn_down, &g->down, err)) ||
		    (rc = put_f(c, a, l->attn_norm, &g->attn_norm, err)) ||
		    (rc = put_f(c, a, l->ffn_norm, &g->ffn_norm, err)) ||
		    (rc = put_f(c, a, l->bq, &g->bq, err)) || (rc = put_f(c, a, l->bk, &g->bk, err)) ||
		    (rc = put_f(c, a, l->bv, &g->bv, err)) || (rc = put_f(c, a, l->bo, &g->bo, err)) ||
		    (rc = put_f(c, a, l->q_norm, &g->q_norm, err)) ||
		    (rc = put_f(c, a, l->k_norm, &g->k_norm, err)) ||
		    (rc = put_f(c, a, l->attn_post_norm, &g->attn_post_norm, err)) ||
		    (rc = put_f(c, a, l->ffn_post_norm, &g->ffn_post_norm, err)))
			return rc;
	}
	return PLUME_OK;
}

static int gpu_load_model(void *ctx, const struct plume_model_desc *m, struct plume_error *err)
{
	struct gpu_ctx *c = (struct gpu_ctx *)ctx;
	uint32_t bad = m->flags & ~(uint32_t)(PLUME_MODEL_TIED_OUTPUT | PLUME_MODEL_QKV_BIAS |
					       PLUME_MODEL_QK_NORM | PLUME_MODEL_POST_NORMS |
					       PLUME_MODEL_GELU_FFN | PLUME_MODEL_EMBD_SCALE |
					       PLUME_MODEL_SLIDING_WINDOW | PLUME_MODEL_QUERY_SCALE);
	struct arena a;
	size_t fr = 0, tot = 0;
	int rc = 0;

	if (bad)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED,
				      GPU_NAME ": model %s: architecture flags 0x%x are not supported", m->name, bad);
	if (m->head_dim_k != m->head_dim_v || m->n_embd % 32 || m->n_rot > m->head_dim_k)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED,
				      GPU_NAME ": model %s: head dims %u/%u, n_embd %u not supported",
				      m->name, m->head_dim_k, m->head_dim_v, m->n_embd);
	free_model(c);
	GPU_CHECK(c, gpuSetDevice(c->device));
	c->m = m;
	c->layers = (struct gpu_layer *)c->host->calloc(m->n_layer, sizeof(*c->layers));
	if (!c->layers) {
		rc = c->host->error(err, PLUME_ERR_NOMEM, GPU_NAME ": out of host memory");
		goto fail;
	}
	memset(&a, 0, sizeof(a));
	if ((rc = walk(c, m, &a, err)))
		goto fail;
	GPU_CHECK(c, gpuMemGetInfo(&fr, &tot));
	if (a.used + (64u << 20) > fr) {
		rc = c->host->error(err, PLUME_ERR_NOMEM,
				    GPU_NAME ": model %s needs %zu bytes of weights (+64 MiB), the device has %zu free of %zu",
				    m->name, a.used, fr, tot);
		goto fail;
	}
	GPU_CHECK(c, gpuMalloc((void **)&c->weights, a.used));
	memset(&a, 0, sizeof(a));
	a.base = c->weights;
	if ((rc = walk(c, m, &a, err)))
		goto fail;
	return PLUME_OK;
fail:
	free_model(c);
	return rc;
}

static int gpu_kv_block_bytes(void *ctx, uint32_t block_size, uint32_t type, uint64_t *n_bytes,
			      struct plume_error *err)
{
	struct gpu_ctx *c = (struct gpu_ctx *)ctx;
	const struct plume_model_desc *m = c->m;

	if (!m)
		return c->host->error(err, PLUME_ERR_INVALID, GPU_NAME ": kv_block_bytes before load_model");
	if (type != PLUME_KV_F16)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED, GPU_NAME ": kv type %u not supported (f16 only)",
				      type);
	*n_bytes = (uint64_t)2 * m->n_layer * block_size * m->n_head_kv * m->head_dim_k * 2;
	return PLUME_OK;
}

static int gpu_kv_init(void *ctx, const struct plume_kv_desc *kv, struct plume_error *err)
{
	struct gpu_ctx *c = (struct gpu_ctx *)ctx;
	uint64_t per = 0;
	size_t fr = 0, tot = 0;
	int rc = gpu_kv_block_bytes(ctx, kv->block_size, kv->type, &per, err);

	if (rc)
		return rc;
	if (!kv->n_blocks || !kv->block_size)
		return c->host->error(err, PLUME_ERR_INVALID, GPU_NAME ": kv pool of %u blocks of %u tokens",
				      kv->n_blocks, kv->block_size);
	GPU_CHECK(c, gpuSetDevice(c->device));
	gpu_graphs_clear(c);
	if (c->kv)
		(void)gpuFree(c->kv);
	c->kv = NULL;
	GPU_CHECK(c, gpuMemGetInfo(&fr, &tot));
	if (per * kv->n_blocks > fr)
		return c->host->error(err, PLUME_ERR_NOMEM,
				      GPU_NAME ": kv pool needs %llu bytes, the device has %zu free",
				      (unsigned long long)(per * kv->n_blocks), fr);
	GPU_CHECK(c, gpuMalloc((void **)&c->kv, per * kv->n_blocks));
	c->n_blocks = kv->n_blocks;
	c->block_size = kv->block_size;
	c->kv_layer_elems = (size_t)kv->n_blocks * kv->block_size * c->m->n_head_kv * c->m->head_dim_k;
	GPU_CHECK(c, gpuMemsetAsync(c->kv, 0, per * kv->n_blocks, c->stream));
	GPU_CHECK(c, gpuStreamSynchronize(c->stream));
fail:
	return rc;
}

static int gpu_kv_copy(void *ctx, const uint32_t *src, const uint32_t *dst, uint32_t n,
		       struct plume_error *err)
{
	struct gpu_ctx *c = (struct gpu_ctx *)ctx;
	size_t blk;
	int rc = 0;

	if (!c->kv)
		return c->host->error(err, PLUME_ERR_INVALID, GPU_NAME ": kv_copy before kv_init");
	blk = c->kv_layer_elems / c->n_blocks; /* halves per block per layer */
	for (uint32_t i = 0; i < n; i++) {
		if (src[i] >= c->n_blocks || dst[i] >= c->n_blocks)
			return c->host->error(err, PLUME_ERR_RANGE,
					      GPU_NAME ": kv_copy %u -> %u outside the pool of %u blocks",
					      src[i], dst[i], c->n_blocks);
		for (uint32_t l = 0; l < 2 * c->m->n_layer; l++) {
			__half *base = c->kv + (size_t)l * c->kv_layer_elems;

			GPU_CHECK(c, gpuMemcpyAsync(base + dst[i] * blk, base + src[i] * blk,
						    blk * sizeof(__half), gpuMemcpyDeviceToDevice, c->stream));
		}
	}
	GPU_CHECK(c, gpuStreamSynchronize(c->stream));
fail:
	return rc;
}

static int gpu_forward_op(void *ctx, const struct plume_batch *b, struct plume_error *err)
{
	struct gpu_ctx *c = (struct gpu_ctx *)ctx;

	(void)gpuSetDevice(c->device);
	return gpu_forward(c, b, err);
}

static const struct plume_backend_ops gpu_ops = {
	sizeof(struct plume_backend_ops), PLUME_ABI_MINOR,
	gpu_create, gpu_destroy, gpu_get_info, gpu_load_model, gpu_kv_block_bytes,
	gpu_kv_init, gpu_kv_copy, gpu_forward_op, NULL,
	/* ABI 1.1: no separate sliding-window pool yet (the host keeps one pool) */
	NULL, NULL,
};

static const struct plume_option gpu_options[] = {
	{"device", PLUME_OPT_INT, "0", 0, 255, NULL, "index of the GPU to use"},
	{"graphs", PLUME_OPT_BOOL, "true", 1, 0, NULL,
	 "replay forwards as CUDA/HIP graphs captured per batch shape"},
};

static const struct plume_plugin_desc gpu_desc = {
	sizeof(struct plume_plugin_desc), PLUME_ABI_MINOR, PLUME_ABI_MAJOR, PLUME_KIND_BACKEND,
	GPU_NAME, "0.1.0",
#if defined(PLUME_GPU_HIP)
	"AMD GPUs through HIP (quantized weights, paged f16 kv cache)",
#else
	"NVIDIA GPUs through CUDA (quantized weights, paged f16 kv cache)",
#endif
	gpu_options, 2, sizeof(struct plume_option), &gpu_ops,
};

extern "C" {
PLUME_PLUGIN_DEFINE(gpu_desc)
}
