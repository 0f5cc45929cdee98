/* The CPU backend plugin: context, weight checks, KV pool, descriptor. The
 * forward itself is in forward.c. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"
#include "ggml_order.h"
#include "glu.h"

void *cpu_aligned_alloc(struct cpu_ctx *c, size_t n)
{
	uint8_t *raw = c->host->alloc(n + 64 + sizeof(void *)), *p;

	if (!raw)
		return NULL;
	p = (uint8_t *)(((uintptr_t)raw + sizeof(void *) + 63) & ~(uintptr_t)63);
	memcpy(p - sizeof(void *), &raw, sizeof(void *));
	return p;
}

void cpu_aligned_free(struct cpu_ctx *c, void *p)
{
	void *raw;

	if (!p)
		return;
	memcpy(&raw, (uint8_t *)p - sizeof(void *), sizeof(void *));
	c->host->free(raw);
}

static void cpu_name(char *buf, size_t n, int threads)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *name = NULL;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10) && (name = strchr(line, ':'))) {
				name += 2;
				name[strcspn(name, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	snprintf(buf, n, "%s (%d threads, %s)", name ? name : "cpu", threads,
		 cpu_kernels_isa_name());
}

static int cpu_create(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, void **out, struct plume_error *err)
{
	struct cpu_ctx *c = host->calloc(1, sizeof(*c));
	const char *isa = "auto", *batched = "fast";

	if (!c)
		return host->error(err, PLUME_ERR_NOMEM, "cpu: out of memory");
	c->host = host;
	c->n_threads = params->n_threads ? (int)params->n_threads : 1;
	if (params->size >= offsetof(struct plume_engine_params, max_seqs) + sizeof(params->max_seqs))
		c->max_seqs = params->max_seqs;
	host->config_string(cfg, "isa", &isa);
	host->config_string(cfg, "batched_decode", &batched);
	c->batch_exact = !strcmp(batched, "exact");
	if (!strcmp(isa, "scalar"))
		cpu_kernels_force(CPU_ISA_SCALAR);
	else if (!strcmp(isa, "avx2"))
		cpu_kernels_force(CPU_ISA_AVX2);
	else if (!strcmp(isa, "avx512"))
		cpu_kernels_force(CPU_ISA_AVX512);
	else
		cpu_kernels_force(CPU_ISA_AUTO);
	c->f16 = host->alloc(65536 * sizeof(float));
	if (!c->f16) {
		host->free(c);
		return host->error(err, PLUME_ERR_NOMEM, "cpu: out of memory for the f16 table (256 kib)");
	}
	for (uint32_t h = 0; h < 65536; h++)
		c->f16[h] = cpu_fp16_to_fp32((uint16_t)h);
	c->gelu_f16 = host->alloc((65536 + CPU_GELU_TAB_PAD) * sizeof(uint16_t));
	if (!c->gelu_f16) {
		host->free(c->f16);
		host->free(c);
		return host->error(err, PLUME_ERR_NOMEM, "cpu: out of memory for the gelu table (128 kib)");
	}
	go_gelu_table(c->gelu_f16);
	memset(c->gelu_f16 + 65536, 0, CPU_GELU_TAB_PAD * sizeof(uint16_t));
#if defined(__x86_64__) && defined(__GNUC__)
	c->f16c = strcmp(isa, "scalar") && __builtin_cpu_supports("avx2") &&
		  __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#endif
	c->pool = pool_create(c->n_threads);
	if (!c->pool) {
		host->free(c->gelu_f16);
		host->free(c->f16);
		host->free(c);
		return host->error(err, PLUME_ERR_NOMEM, "cpu: cannot start %d threads", (int)params->n_threads);
	}
	cpu_name(c->device, sizeof(c->device), c->n_threads);
	*out = c;
	return PLUME_OK;
}

static void kv_free(struct cpu_ctx *c)
{
	for (uint32_t l = 0; c->m && l < c->m->n_layer; l++) {
		if (c->k)
			cpu_aligned_free(c, c->k[l]);
		if (c->v)
			cpu_aligned_free(c, c->v[l]);
	}
	c->host->free(c->k);
	c->host->free(c->v);
	c->k = c->v = NULL;
}

static void cpu_destroy(void *ctx)
{
	struct cpu_ctx *c = ctx;

	if (!c)
		return;
	kv_free(c);
	for (uint32_t i = 0; i < c->ilv_cap; i++)
		cpu_aligned_free(c, c->ilv[i].p);
	c->host->free(c->ilv);
	cpu_aligned_free(c, c->scratch);
	pool_destroy(c->pool);
	c->host->free(c->gelu_f16);
	c->host->free(c->f16);
	c->host->free(c);
}

static int cpu_get_info(void *ctx, struct plume_backend_info *info)
{
	struct cpu_ctx *c = ctx;
	long pages = sysconf(_SC_PHYS_PAGES), avail = sysconf(_SC_AVPHYS_PAGES);
	long psz = sysconf(_SC_PAGESIZE);

	info->device_name = c->device;
	info->mem_total = pages > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
	info->mem_free = avail > 0 ? (uint64_t)avail * (uint64_t)psz : 0;
	info->max_batch_tokens = 0;
	return PLUME_OK;
}

static int check_tensor(struct cpu_ctx *c, const struct plume_tensor *t, struct plume_error *err)
{
	if (t && !cpu_type_supported(t->type))
		return c->host->error(err, PLUME_ERR_UNSUPPORTED,
				      "cpu: tensor '%s' has type %u, which the cpu backend does not compute",
				      t->name, t->type);
	return PLUME_OK;
}

/* The architecture flags the forward implements; a descriptor from a newer
 * host may carry others. */
#define CPU_KNOWN_FLAGS                                                                       \
	(PLUME_MODEL_TIED_OUTPUT | PLUME_MODEL_QKV_BIAS | PLUME_MODEL_QK_NORM |                 \
	 PLUME_MODEL_POST_NORMS | PLUME_MODEL_GELU_FFN | PLUME_MODEL_EMBD_SCALE |               \
	 PLUME_MODEL_SLIDING_WINDOW | PLUME_MODEL_QUERY_SCALE)

static int check_flags(struct cpu_ctx *c, const struct plume_model_desc *m, struct plume_error *err)
{
	if (m->flags & ~(uint32_t)CPU_KNOWN_FLAGS)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED,
				      "cpu: architecture '%s' needs model flags 0x%x, which the cpu forward does not implement",
				      m->arch_name, m->flags & ~(uint32_t)CPU_KNOWN_FLAGS);
	if ((m->flags & PLUME_MODEL_SLIDING_WINDOW) && !m->sliding_window)
		return c->host->error(err, PLUME_ERR_INVALID, "cpu: sliding-window model with a window of 0");
	return PLUME_OK;
}

enum { LAYER_MATRICES = 7 };

/* The weight matrices of layer l (an absent one NULL). */
static void layer_matrices(const struct plume_model_desc *m, uint32_t l,
			   const struct plume_tensor *ts[LAYER_MATRICES])
{
	const struct plume_layer *L = plume_model_layer(m, l);

	ts[0] = L->wq;
	ts[1] = L->wk;
	ts[2] = L->wv;
	ts[3] = L->wo;
	ts[4] = L->ffn_gate;
	ts[5] = L->ffn_up;
	ts[6] = L->ffn_down;
}

static int cpu_load_model(void *ctx, const struct plume_model_desc *m, struct plume_error *err)
{
	struct cpu_ctx *c = ctx;
	int rc;

	if ((rc = check_flags(c, m, err)))
		return rc;
	if (m->n_embd % 32)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED, "cpu: n_embd %u is not a multiple of 32",
				      m->n_embd);
	if ((rc = check_tensor(c, m->tok_embd, err)) || (rc = check_tensor(c, m->output, err)))
		return rc;
	for (uint32_t l = 0; l < m->n_layer; l++) {
		const struct plume_tensor *ts[LAYER_MATRICES];

		layer_matrices(m, l, ts);
		for (int i = 0; i < LAYER_MATRICES; i++)
			if ((rc = check_tensor(c, ts[i], err)))
				return rc;
	}
	c->m = m;
	/* a strategy that keeps several sequences alive decodes them in
	 * batches: pack their weights now rather than in the first step */
	if (c->max_seqs > 1 && !c->batch_exact && cpu_ilv_supported()) {
		size_t n = 0, bytes = 0;

		for (uint32_t l = 0; l <= m->n_layer; l++) {
			const struct plume_tensor *ts[LAYER_MATRICES] = {m->output};

			if (l < m->n_layer) /* then the output projection */
				layer_matrices(m, l, ts);
			for (int i = 0; i < LAYER_MATRICES; i++)
				if (ts[i] && cpu_ilv_weights(c, ts[i])) {
					n++;
					bytes += cpu_ilv_bytes(ts[i]->type, ts[i]->ne[1], ts[i]->ne[0]);
				}
		}
		c->host->log(PLUME_LOG_INFO, "cpu",
			     "decode batches of up to %u sequences: %zu weights packed for the batch kernel (%.1f MiB)",
			     c->max_seqs, n, (double)bytes / (1024.0 * 1024.0));
	}
	return PLUME_OK;
}

static size_t kv_elem(uint32_t type)
{
	return type == PLUME_KV_F32 ? 4 : 2;
}

static int cpu_kv_block_bytes(void *ctx, uint32_t block_size, uint32_t type, uint64_t *n,
			      struct plume_error *err)
{
	struct cpu_ctx *c = ctx;
	const struct plume_model_desc *m = c->m;

	if (!m)
		return c->host->error(err, PLUME_ERR_INVALID, "cpu: kv_block_bytes before load_model");
	if (type != PLUME_KV_F16 && type != PLUME_KV_F32)
		return c->host->error(err, PLUME_ERR_UNSUPPORTED, "cpu: kv type %u is not supported (f16, f32)",
				      type);
	*n = (uint64_t)block_size * m->n_layer * m->n_head_kv * (m->head_dim_k + m->head_dim_v) *
	     kv_elem(type);
	return PLUME_OK;
}

/* Layers whose K/V live in the sliding-window pool. */
static int in_swa_pool(const struct cpu_ctx *c, uint32_t l)
{
	return c->n_blocks_swa && (c->m->flags & PLUME_MODEL_SLIDING_WINDOW) &&
	       plume_model_layer(c->m, l)->is_swa;
}

static int cpu_kv_block_bytes_swa(void *ctx, uint32_t block_size, uint32_t type,
				  uint64_t *global_bytes, uint64_t *swa_bytes, struct plume_error *err)
{
	struct cpu_ctx *c = ctx;
	uint64_t all = 0;
	uint32_t n_swa = 0;
	int rc = cpu_kv_block_bytes(ctx, block_size, type, &all, err);

	if (rc)
		return rc;
	if (c->m->flags & PLUME_MODEL_SLIDING_WINDOW)
		for (uint32_t l = 0; l < c->m->n_layer; l++)
			n_swa += plume_model_layer(c->m, l)->is_swa ? 1 : 0;
	*swa_bytes = all / c->m->n_layer * n_swa;
	*global_bytes = all - *swa_bytes;
	return PLUME_OK;
}

static int cpu_kv_init(void *ctx, const struct plume_kv_desc *kv, struct plume_error *err)
{
	struct cpu_ctx *c = ctx;
	const struct plume_model_desc *m = c->m;
	uint64_t bytes = 0;
	uint32_t n_swa = kv->size >= offsetof(struct plume_kv_desc, n_blocks_swa) + sizeof(uint32_t)
				 ? kv->n_blocks_swa : 0;
	int rc = cpu_kv_block_bytes(ctx, kv->block_size, kv->type, &bytes, err);

	if (rc)
		return rc;
	if (!kv->n_blocks || !kv->block_size)
		return c->host->error(err, PLUME_ERR_INVALID, "cpu: empty kv pool");
	kv_free(c);
	c->kv_type = kv->type;
	c->n_blocks = kv->n_blocks;
	c->n_blocks_swa = (m->flags & PLUME_MODEL_SLIDING_WINDOW) ? n_swa : 0;
	c->block_size = kv->block_size;
	c->kv_row_k = (size_t)m->n_head_kv * m->head_dim_k * kv_elem(kv->type);
	c->kv_row_v = (size_t)m->n_head_kv * m->head_dim_v * kv_elem(kv->type);
	c->k = c->host->calloc(m->n_layer, sizeof(*c->k));
	c->v = c->host->calloc(m->n_layer, sizeof(*c->v));
	if (!c->k || !c->v)
		goto nomem;
	for (uint32_t l = 0; l < m->n_layer; l++) {
		size_t nb = in_swa_pool(c, l) ? c->n_blocks_swa : kv->n_blocks;

		c->k[l] = cpu_aligned_alloc(c, c->kv_row_k * kv->block_size * nb);
		c->v[l] = cpu_aligned_alloc(c, c->kv_row_v * kv->block_size * nb);
		if (!c->k[l] || !c->v[l])
			goto nomem;
	}
	return PLUME_OK;
nomem:
	kv_free(c);
	return c->host->error(err, PLUME_ERR_NOMEM,
			      "cpu: cannot allocate the kv cache: %u blocks x %llu bytes",
			      kv->n_blocks, (unsigned long long)bytes);
}

/* Copies blocks of one pool: the sliding-window layers' (swa) or the others'. */
static int kv_copy_pool(struct cpu_ctx *c, const uint32_t *src, const uint32_t *dst, uint32_t n,
			int swa, struct plume_error *err)
{
	size_t bk = c->kv_row_k * c->block_size, bv = c->kv_row_v * c->block_size;
	uint32_t nb = swa ? c->n_blocks_swa : c->n_blocks;

	if (!c->k)
		return c->host->error(err, PLUME_ERR_INVALID, "cpu: kv_copy before kv_init");
	if (swa && !nb)
		return c->host->error(err, PLUME_ERR_INVALID, "cpu: kv_copy_swa without a sliding-window pool");
	for (uint32_t i = 0; i < n; i++) {
		if (src[i] >= nb || dst[i] >= nb)
			return c->host->error(err, PLUME_ERR_RANGE,
					      "cpu: kv_copy%s block %u -> %u outside the pool (%u)",
					      swa ? "_swa" : "", src[i], dst[i], nb);
		for (uint32_t l = 0; l < c->m->n_layer; l++) {
			if (in_swa_pool(c, l) != swa)
				continue;
			memcpy(c->k[l] + dst[i] * bk, c->k[l] + src[i] * bk, bk);
			memcpy(c->v[l] + dst[i] * bv, c->v[l] + src[i] * bv, bv);
		}
	}
	return PLUME_OK;
}

static int cpu_kv_copy(void *ctx, const uint32_t *src, const uint32_t *dst, uint32_t n,
		       struct plume_error *err)
{
	return kv_copy_pool(ctx, src, dst, n, 0, err);
}

static int cpu_kv_copy_swa(void *ctx, const uint32_t *src, const uint32_t *dst, uint32_t n,
			   struct plume_error *err)
{
	return kv_copy_pool(ctx, src, dst, n, 1, err);
}

static int cpu_forward_op(void *ctx, const struct plume_batch *b, struct plume_error *err)
{
	return cpu_forward(ctx, b, err);
}

static const struct plume_backend_ops cpu_ops = {
	.size = sizeof(struct plume_backend_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = cpu_create,
	.destroy = cpu_destroy,
	.get_info = cpu_get_info,
	.load_model = cpu_load_model,
	.kv_block_bytes = cpu_kv_block_bytes,
	.kv_init = cpu_kv_init,
	.kv_copy = cpu_kv_copy,
	.forward = cpu_forward_op,
	.kv_block_bytes_swa = cpu_kv_block_bytes_swa,
	.kv_copy_swa = cpu_kv_copy_swa,
};

static const struct plume_option cpu_options[] = {
	{"isa", PLUME_OPT_ENUM, "auto", 1, 0, "auto|avx512|avx2|scalar",
	 "kernel implementation: auto picks the best this CPU runs"},
	{"batched_decode", PLUME_OPT_ENUM, "fast", 1, 0, "fast|exact",
	 "decode steps of several sequences (beam, contrastive, n samples): fast = weights "
	 "interleaved 16 rows per tile, one float multiply-add per block for 16 rows (AVX-512 VNNI; "
	 "rounding differs from the one-sequence path); exact = llama.cpp's per-row arithmetic"},
};

static const struct plume_plugin_desc cpu_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_BACKEND,
	.name = "cpu",
	.version = "0.1.0",
	.description = "CPU backend: llama-family forward, quantized integer dot products, threads",
	.options = cpu_options,
	.n_options = 2,
	.option_size = sizeof(struct plume_option),
	.ops = &cpu_ops,
};

PLUME_PLUGIN_DEFINE(cpu_desc)
