/* The CPU backend test harness (harness.h): plugin loading through dlopen,
 * model files, context and KV pool setup, single-sequence batches. */
#include "harness.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "host.h"

static void open_plugin(struct be *b)
{
	const char *dir = getenv("PLUME_PLUGIN_PATH");
	char path[4096];
	plume_plugin_entry_fn entry;

	cr_assert(dir, "PLUME_PLUGIN_PATH is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/plume-backend-cpu.so", dir);
	b->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	cr_assert(b->dl, "dlopen %s: %s", path, dlerror());
	entry = (plume_plugin_entry_fn)dlsym(b->dl, PLUME_PLUGIN_ENTRY_SYMBOL);
	cr_assert(entry, "%s exports no %s", path, PLUME_PLUGIN_ENTRY_SYMBOL);
	b->desc = entry();
	cr_assert_eq(b->desc->kind, PLUME_KIND_BACKEND);
	cr_assert_str_eq(b->desc->name, "cpu");
	b->ops = b->desc->ops;
}

void be_open_file(struct be *b, const char *path)
{
	memset(b, 0, sizeof(*b));
	open_plugin(b);
	cr_assert_eq(plume_model_load(path, 0, &b->model, &b->err), 0, "model: %s", b->err.msg);
	b->md = *plume_model_desc(b->model);
}

void be_open_tiny(struct be *b, const struct tu_tiny_opts *opts)
{
	char path[256];
	struct tu_tiny_opts def = {0};

	snprintf(path, sizeof(path), "/tmp/plume-test-cpu-%d.gguf", (int)getpid());
	cr_assert_eq(tu_write_tiny_llama(path, opts ? opts : &def), 0, "cannot write %s", path);
	be_open_file(b, path);
	unlink(path); /* the mapping stays valid */
}

int be_start(struct be *b, int n_threads, const char *isa, uint32_t kv_type, uint32_t n_blocks,
	     uint32_t block_size)
{
	struct plume_engine_params params = PLUME_STRUCT_INIT(struct plume_engine_params);
	struct plume_kv_desc kv = PLUME_STRUCT_INIT(struct plume_kv_desc);
	char pair[64];
	const char *pairs[1] = {pair};
	int rc;

	/* "avx2" names the isa; "key=value" is any one option */
	if (isa && strchr(isa, '='))
		snprintf(pair, sizeof(pair), "%s", isa);
	else
		snprintf(pair, sizeof(pair), "isa=%s", isa ? isa : "auto");
	rc = plume_config_view_create(b->desc, pairs, 1, &b->view, &b->err);
	if (rc)
		return rc;
	params.n_threads = (uint32_t)n_threads;
	params.max_seqs = b->max_seqs;
	rc = b->ops->create(plume_host_get(), b->view, &params, &b->ctx, &b->err);
	if (rc)
		return rc;
	rc = b->ops->load_model(b->ctx, &b->md, &b->err);
	if (rc)
		return rc;
	kv.n_blocks = n_blocks;
	kv.block_size = block_size;
	kv.type = kv_type;
	b->n_blocks = n_blocks;
	b->block_size = block_size;
	return b->ops->kv_init(b->ctx, &kv, &b->err);
}

void be_close(struct be *b)
{
	if (b->ctx)
		b->ops->destroy(b->ctx);
	if (b->view)
		plume_config_view_destroy(b->view);
	if (b->model)
		plume_model_free(b->model);
	if (b->dl)
		dlclose(b->dl);
	memset(b, 0, sizeof(*b));
}

int be_run_seq(struct be *b, const int32_t *tokens, uint32_t n, int32_t pos0,
	       const uint32_t *table, uint32_t n_tab, int last_only, float *logits)
{
	int32_t *pos = calloc(n, sizeof(*pos));
	uint32_t *seq = calloc(n, sizeof(*seq)), *idx = calloc(n, sizeof(*idx));
	const uint32_t *tables[1] = {table};
	int rc;

	cr_assert(pos && seq && idx);
	for (uint32_t i = 0; i < n; i++) {
		pos[i] = pos0 + (int32_t)i;
		idx[i] = last_only ? n - 1 : i;
	}
	rc = be_run_batch(b, n, tokens, pos, seq, 1, tables, &n_tab, last_only ? 1 : n, idx, logits);
	free(pos);
	free(seq);
	free(idx);
	return rc;
}

int be_run_batch(struct be *b, uint32_t n, const int32_t *tokens, const int32_t *pos,
		 const uint32_t *seq, uint32_t n_seqs, const uint32_t *const *tables,
		 const uint32_t *n_blocks, uint32_t n_logits, const uint32_t *idx, float *logits)
{
	struct plume_batch batch = PLUME_STRUCT_INIT(struct plume_batch);

	batch.n_tokens = n;
	batch.tokens = tokens;
	batch.positions = pos;
	batch.seq = seq;
	batch.n_seqs = n_seqs;
	batch.block_tables = tables;
	batch.n_blocks = n_blocks;
	batch.n_logits = n_logits;
	batch.logits_idx = idx;
	batch.logits = logits;
	return b->ops->forward(b->ctx, &batch, &b->err);
}

void be_identity_table(uint32_t *table, uint32_t n, uint32_t first)
{
	for (uint32_t i = 0; i < n; i++)
		table[i] = first + i;
}

double max_abs_diff(const float *a, const double *b, int64_t n, double *max_ref)
{
	double d = 0, r = 0;

	for (int64_t i = 0; i < n; i++) {
		d = fmax(d, fabs((double)a[i] - b[i]));
		r = fmax(r, fabs(b[i]));
	}
	if (max_ref)
		*max_ref = r;
	return d;
}

double max_abs_diff_ff(const float *a, const float *b, int64_t n)
{
	double d = 0;

	for (int64_t i = 0; i < n; i++)
		d = fmax(d, fabs((double)a[i] - (double)b[i]));
	return d;
}
