/* Engine setup: config -> model -> plugins (backend, tokenizer, strategy)
 * -> KV pool; tokenizer and chat-template helpers. */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "host.h"
#include "strlist.h"

static int level_of(const char *s)
{
	if (!strcmp(s, "error"))
		return PLUME_LOG_ERROR;
	if (!strcmp(s, "info"))
		return PLUME_LOG_INFO;
	if (!strcmp(s, "debug"))
		return PLUME_LOG_DEBUG;
	return PLUME_LOG_WARN;
}

static int open_plugin_cfg(struct plume_engine *e, struct plume_cfg *cfg, uint32_t kind,
			   const char *name, struct plume_plugin **p,
			   const struct plume_config **view, struct plume_error *err)
{
	char section[300];
	int rc = plume_plugin_open(kind, name, e->search_path, p, err);

	if (rc)
		return rc;
	snprintf(section, sizeof(section), "%s.%s", plume_kind_name(kind), (*p)->desc.name);
	return plume_cfg_plugin_view(cfg, section, &(*p)->desc, view, err);
}

static int open_plugin(struct plume_engine *e, uint32_t kind, const char *name,
		       struct plume_plugin **p, const struct plume_config **view,
		       struct plume_error *err)
{
	return open_plugin_cfg(e, e->cfg, kind, name, p, view, err);
}

/* Sections for plugins not in use are still validated against the plugin
 * they name, so a typo in [strategy.beam] is caught even when greedy runs. */
static int check_sections(struct plume_engine *e, struct plume_cfg *cfg, struct plume_error *err)
{
	static const uint32_t kinds[] = {PLUME_KIND_BACKEND, PLUME_KIND_TOKENIZER,
					 PLUME_KIND_STRATEGY};
	int n = plume_cfg_n_entries(cfg);

	for (int i = 0; i < n; i++) {
		const char *sec = plume_cfg_entry_section(cfg, i);
		struct plume_plugin *p = NULL;
		int rc = PLUME_OK;

		for (size_t k = 0; k < 3; k++) {
			const char *kn = plume_kind_name(kinds[k]);
			size_t kl = strlen(kn);

			if (strncmp(sec, kn, kl) || sec[kl] != '.')
				continue;
			if (plume_plugin_open(kinds[k], sec + kl + 1, e->search_path, &p, err))
				break; /* reported below as unclaimed */
			rc = plume_cfg_validate_section(cfg, sec, &p->desc, err);
			plume_plugin_close(p);
			if (rc)
				return rc;
		}
	}
	return plume_cfg_check_unclaimed(cfg, err);
}

static int check_other_sections(struct plume_engine *e, struct plume_error *err)
{
	return check_sections(e, e->cfg, err);
}

static int setup_tokenizer(struct plume_engine *e, struct plume_error *err)
{
	const struct plume_vocab *vocab = plume_model_vocab(e->model);
	const char *name = plume_cfg_str(e->cfg, "engine", "tokenizer");
	const struct plume_config *view;
	int rc;

	if (!vocab)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: the model has no vocabulary "
				       "(tokenizer.ggml.tokens missing)", plume_cfg_str(e->cfg, "model", "path"));
	if (!strcmp(name, "auto")) {
		/* gemma4: SentencePiece-style BPE, served by the bpe plugin */
		if (vocab->model && (!strcmp(vocab->model, "gpt2") || !strcmp(vocab->model, "gemma4")))
			name = "bpe";
		else if (vocab->model && !strcmp(vocab->model, "llama"))
			name = "spm";
		else
			return plume_error_set(err, PLUME_ERR_UNSUPPORTED,
					       "engine.tokenizer = auto: no plugin for tokenizer.ggml.model '%s' (set engine.tokenizer)",
					       vocab->model ? vocab->model : "(absent)");
		e->host->log(PLUME_LOG_INFO, "engine", "tokenizer auto: '%s' vocabulary -> %s",
			     vocab->model, name);
	}
	rc = open_plugin(e, PLUME_KIND_TOKENIZER, name, &e->tokenizer, &view, err);
	if (rc)
		return rc;
	rc = e->tokenizer->ops.tokenizer.create(e->host, view, &e->params, vocab,
						&e->tokenizer_ctx, err);
	if (rc) {
		plume_error_prefix(err, "%s", e->tokenizer->path);
		return rc;
	}
	e->tok_info.size = sizeof(e->tok_info);
	e->tok_info.abi_minor = PLUME_ABI_MINOR;
	return e->tokenizer->ops.tokenizer.get_info(e->tokenizer_ctx, &e->tok_info);
}

static int setup_kv(struct plume_engine *e, struct plume_error *err)
{
	const struct plume_backend_ops *b = &e->backend->ops.backend;
	uint32_t bs = (uint32_t)plume_cfg_int(e->cfg, "model", "kv_block");
	uint32_t per_seq, n_blocks;
	uint64_t block_bytes, global_bytes = 0, swa_bytes = 0;
	struct plume_kv_desc kd = {.size = sizeof(kd), .abi_minor = PLUME_ABI_MINOR};
	int rc;

	e->kv_type = strcmp(plume_cfg_str(e->cfg, "model", "kv_type"), "f32") ? PLUME_KV_F16
									      : PLUME_KV_F32;
	e->n_ctx = (uint32_t)plume_cfg_int(e->cfg, "model", "context");
	if (!e->n_ctx)
		e->n_ctx = e->desc->n_ctx_train;
	if (e->n_ctx > e->desc->n_ctx_train)
		e->host->log(PLUME_LOG_WARN, "engine",
			     "model.context = %u exceeds the model's trained context %u",
			     e->n_ctx, e->desc->n_ctx_train);
	per_seq = (e->n_ctx + bs - 1) / bs;
	/* Every live sequence may hold a private copy of each block in the
	 * worst case, plus one block each for copy-on-write of a shared tail. */
	n_blocks = per_seq * e->max_live + e->max_live;
	e->kv_live = e->max_live;
	e->swa_window = 0;
	if ((e->desc->flags & PLUME_MODEL_SLIDING_WINDOW) && e->desc->sliding_window &&
	    b->kv_block_bytes_swa && b->kv_copy_swa &&
	    !strcmp(plume_cfg_str(e->cfg, "model", "swa_cache"), "window")) {
		/* The sliding-window layers keep, per sequence, the blocks of the
		 * window behind the oldest query of a batch plus the batch itself,
		 * one partial block at each end and one for copy-on-write. */
		uint64_t n_pos = (uint64_t)e->desc->sliding_window - 1 + e->n_batch;
		uint64_t swa = ((n_pos + bs - 1) / bs + 2) * e->max_live;

		rc = b->kv_block_bytes_swa(e->backend_ctx, bs, e->kv_type, &global_bytes, &swa_bytes,
					   err);
		if (rc)
			return rc;
		if (swa_bytes && swa < n_blocks) {
			kd.n_blocks_swa = (uint32_t)swa;
			e->swa_window = e->desc->sliding_window;
		}
	}
	if (e->swa_window) {
		e->host->log(PLUME_LOG_INFO, "engine",
			     "kv cache: %u blocks x %u tokens for the global layers (%.1f MiB), %u for the "
			     "sliding-window layers (window %u, %.1f MiB)",
			     n_blocks, bs, (double)global_bytes * n_blocks / (1024.0 * 1024.0),
			     kd.n_blocks_swa, e->swa_window,
			     (double)swa_bytes * kd.n_blocks_swa / (1024.0 * 1024.0));
	} else {
		rc = b->kv_block_bytes(e->backend_ctx, bs, e->kv_type, &block_bytes, err);
		if (rc)
			return rc;
		e->host->log(PLUME_LOG_INFO, "engine", "kv cache: %u blocks x %u tokens, %.1f MiB",
			     n_blocks, bs, (double)block_bytes * n_blocks / (1024.0 * 1024.0));
	}
	kd.n_blocks = n_blocks;
	kd.block_size = bs;
	kd.type = e->kv_type;
	rc = b->kv_init(e->backend_ctx, &kd, err);
	if (rc)
		return rc;
	if (plume_kv_init(&e->kv, n_blocks, bs) ||
	    (e->swa_window && plume_kv_init(&e->kv_swa, kd.n_blocks_swa, bs)))
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory (kv block table)");
	return PLUME_OK;
}

static int setup_compute(struct plume_engine *e, struct plume_error *err)
{
	const struct plume_config *view, *bview;
	int rc;

	rc = open_plugin(e, PLUME_KIND_BACKEND, plume_cfg_str(e->cfg, "engine", "backend"),
			 &e->backend, &bview, err);
	if (rc)
		return rc;
	rc = open_plugin(e, PLUME_KIND_STRATEGY, plume_cfg_str(e->cfg, "engine", "strategy"),
			 &e->strategy, &view, err);
	if (rc)
		return rc;
	rc = e->strategy->ops.strategy.create(e->host, view, &e->params, &e->strategy_ctx, err);
	if (rc) {
		plume_error_prefix(err, "%s", e->strategy->path);
		return rc;
	}
	e->strategy_flags = e->strategy->ops.strategy.flags(e->strategy_ctx);
	e->max_live = e->strategy->ops.strategy.max_live(e->strategy_ctx);
	if (e->max_live < 1)
		e->max_live = 1;

	e->params.max_seqs = e->max_live;
	rc = e->backend->ops.backend.create(e->host, bview, &e->params, &e->backend_ctx, err);
	if (rc) {
		plume_error_prefix(err, "%s", e->backend->path);
		return rc;
	}
	e->backend_info.size = sizeof(e->backend_info);
	e->backend_info.abi_minor = PLUME_ABI_MINOR;
	e->backend->ops.backend.get_info(e->backend_ctx, &e->backend_info);
	rc = e->backend->ops.backend.load_model(e->backend_ctx, e->desc, err);
	if (rc) {
		plume_error_prefix(err, "backend %s", e->backend->desc.name);
		return rc;
	}
	return setup_kv(e, err);
}

int plume_engine_create(struct plume_cfg *cfg, uint32_t flags, struct plume_engine **out,
			struct plume_error *err)
{
	struct plume_engine *e = calloc(1, sizeof(*e));
	char *path = NULL;
	long ncpu;
	int rc;

	if (!e)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	e->cfg = cfg;
	e->host = plume_host_get();
	plume_host_set_log_level(level_of(plume_cfg_str(cfg, "engine", "log_level")));
	e->params.size = sizeof(e->params);
	e->params.abi_minor = PLUME_ABI_MINOR;
	e->params.n_threads = (uint32_t)plume_cfg_int(cfg, "engine", "threads");
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!e->params.n_threads)
		e->params.n_threads = ncpu > 0 ? (uint32_t)ncpu : 1;
	e->params.seed = (uint64_t)plume_cfg_int(cfg, "engine", "seed");
	e->params.log_level = level_of(plume_cfg_str(cfg, "engine", "log_level"));
	e->n_batch = (uint32_t)plume_cfg_int(cfg, "model", "batch");
	e->search_path = plume_plugin_search_path(plume_cfg_str(cfg, "engine", "plugin_path"));
	if (!e->search_path) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto fail;
	}
	path = plume_expand_path(plume_cfg_str(cfg, "model", "path"));
	if (!path) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (!*path) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "model.path is not set (config [model] path = FILE.gguf, or --set model.path=FILE)");
		goto fail;
	}
	rc = plume_model_load(path, (flags & PLUME_ENGINE_TOKENIZER_ONLY) ?
					    PLUME_MODEL_LOAD_VOCAB_ONLY : 0,
			      &e->model, err);
	if (rc)
		goto fail;
	e->desc = plume_model_desc(e->model);
	rc = setup_tokenizer(e, err);
	if (rc)
		goto fail;
	if (!(flags & PLUME_ENGINE_TOKENIZER_ONLY)) {
		rc = setup_compute(e, err);
		if (rc)
			goto fail;
		rc = check_other_sections(e, err);
		if (rc)
			goto fail;
	}
	free(path);
	*out = e;
	return PLUME_OK;
fail:
	free(path);
	plume_engine_destroy(e);
	return rc;
}

void plume_engine_destroy(struct plume_engine *e)
{
	if (!e)
		return;
	plume_engine_strategy_use(e, NULL, NULL);
	plume_kv_fini(&e->kv);
	plume_kv_fini(&e->kv_swa);
	if (e->strategy_ctx)
		e->strategy->ops.strategy.destroy(e->strategy_ctx);
	if (e->backend_ctx)
		e->backend->ops.backend.destroy(e->backend_ctx);
	if (e->tokenizer_ctx)
		e->tokenizer->ops.tokenizer.destroy(e->tokenizer_ctx);
	plume_plugin_close(e->strategy);
	plume_plugin_close(e->backend);
	plume_plugin_close(e->tokenizer);
	plume_model_free(e->model);
	free(e->search_path);
	free(e);
}

const struct plume_model *plume_engine_model(const struct plume_engine *e)
{
	return e->model;
}

const struct plume_plugin *plume_engine_plugin(const struct plume_engine *e, uint32_t kind)
{
	switch (kind) {
	case PLUME_KIND_BACKEND: return e->backend;
	case PLUME_KIND_TOKENIZER: return e->tokenizer;
	case PLUME_KIND_STRATEGY: return e->strategy;
	default: return NULL;
	}
}

uint32_t plume_engine_threads(const struct plume_engine *e)
{
	return e->params.n_threads;
}

uint32_t plume_engine_context(const struct plume_engine *e)
{
	return e->n_ctx;
}

const char *plume_engine_device(const struct plume_engine *e)
{
	return e->backend_info.device_name ? e->backend_info.device_name : "";
}

const struct plume_tokenizer_info *plume_engine_tokenizer_info(const struct plume_engine *e)
{
	return &e->tok_info;
}

int plume_engine_tokenize(struct plume_engine *e, const char *text, size_t len, uint32_t flags,
			  int32_t **ids, size_t *n_ids, struct plume_error *err)
{
	const struct plume_tokenizer_ops *t = &e->tokenizer->ops.tokenizer;
	size_t cap = len + 16, n = 0;
	int32_t *buf = malloc(cap * sizeof(*buf));
	int rc;

	if (!buf)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	rc = t->encode(e->tokenizer_ctx, text, len, flags, buf, cap, &n, err);
	if (rc == PLUME_ERR_TOOSMALL) {
		int32_t *nb = realloc(buf, (n + 1) * sizeof(*buf));

		if (!nb) {
			free(buf);
			return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		}
		buf = nb;
		cap = n + 1;
		rc = t->encode(e->tokenizer_ctx, text, len, flags, buf, cap, &n, err);
	}
	if (rc) {
		free(buf);
		return rc;
	}
	*ids = buf;
	*n_ids = n;
	return PLUME_OK;
}

int plume_engine_piece(struct plume_engine *e, int32_t id, uint32_t flags, char **out,
		       size_t *len, struct plume_error *err)
{
	const struct plume_tokenizer_ops *t = &e->tokenizer->ops.tokenizer;
	size_t cap = 64, n = 0;
	char *buf = malloc(cap);
	int rc;

	if (!buf)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	rc = t->piece(e->tokenizer_ctx, id, flags, buf, cap, &n, err);
	if (rc == PLUME_ERR_TOOSMALL) {
		char *nb = realloc(buf, n + 1);

		if (!nb) {
			free(buf);
			return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		}
		buf = nb;
		rc = t->piece(e->tokenizer_ctx, id, flags, buf, n + 1, &n, err);
	}
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return PLUME_OK;
}

int plume_engine_chat_format(struct plume_engine *e, const char *user, char **out,
			     struct plume_error *err)
{
	return plume_chat_format(plume_model_chat_template(e->model),
				 plume_cfg_str(e->cfg, "generate", "chat_template"),
				 plume_cfg_str(e->cfg, "generate", "system"), user, out, err);
}

/* ---- strategies swapped on one engine (plume ab) ---------------------- */

struct plume_engine_strategy {
	struct plume_plugin *plugin;
	void *ctx;
	uint32_t flags, max_live;
	struct plume_cfg *cfg;
};

/* Keys that shape what plume_engine_create loaded: an arm may not change
 * them without a second engine. */
static const char *const engine_keys[][2] = {
	{"engine", "backend"}, {"engine", "tokenizer"},	{"engine", "plugin_path"},
	{"engine", "threads"}, {"model", "path"},	{"model", "context"},
	{"model", "kv_type"},  {"model", "kv_block"},	{"model", "batch"},
};

int plume_engine_strategy_create(struct plume_engine *e, struct plume_cfg *cfg,
				 struct plume_engine_strategy **out, struct plume_error *err)
{
	struct plume_cfg *base = e->swapped ? e->base_cfg : e->cfg;
	struct plume_engine_strategy *s;
	struct plume_engine_params params = e->params;
	const struct plume_config *view;
	char section[300];
	int rc;

	for (size_t i = 0; i < sizeof(engine_keys) / sizeof(engine_keys[0]); i++) {
		const char *sec = engine_keys[i][0], *key = engine_keys[i][1];

		if (strcmp(plume_cfg_str(cfg, sec, key), plume_cfg_str(base, sec, key)))
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s.%s = '%s' differs from the loaded engine's '%s' (one model load serves every strategy: only engine.strategy, engine.seed, generate.* and strategy.* may differ)",
					       sec, key, plume_cfg_str(cfg, sec, key),
					       plume_cfg_str(base, sec, key));
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	s->cfg = cfg;
	rc = open_plugin_cfg(e, cfg, PLUME_KIND_STRATEGY, plume_cfg_str(cfg, "engine", "strategy"),
			     &s->plugin, &view, err);
	if (rc)
		goto fail;
	params.seed = (uint64_t)plume_cfg_int(cfg, "engine", "seed");
	rc = s->plugin->ops.strategy.create(e->host, view, &params, &s->ctx, err);
	if (rc) {
		s->ctx = NULL;
		plume_error_prefix(err, "%s", s->plugin->path);
		goto fail;
	}
	s->flags = s->plugin->ops.strategy.flags(s->ctx);
	s->max_live = s->plugin->ops.strategy.max_live(s->ctx);
	if (s->max_live < 1)
		s->max_live = 1;
	/* the loaded backend and tokenizer claim their sections of cfg */
	snprintf(section, sizeof(section), "backend.%s", e->backend->desc.name);
	rc = plume_cfg_validate_section(cfg, section, &e->backend->desc, err);
	if (rc)
		goto fail;
	snprintf(section, sizeof(section), "tokenizer.%s", e->tokenizer->desc.name);
	rc = plume_cfg_validate_section(cfg, section, &e->tokenizer->desc, err);
	if (rc)
		goto fail;
	rc = check_sections(e, cfg, err);
	if (rc)
		goto fail;
	*out = s;
	return PLUME_OK;
fail:
	plume_engine_strategy_destroy(s);
	return rc;
}

int plume_engine_strategy_use(struct plume_engine *e, struct plume_engine_strategy *s,
			      struct plume_error *err)
{
	struct plume_engine_strategy base;
	const struct plume_engine_strategy *to = s;

	if (!s && !e->swapped)
		return PLUME_OK;
	if (!e->swapped) {
		e->base_cfg = e->cfg;
		e->base_strategy = e->strategy;
		e->base_strategy_ctx = e->strategy_ctx;
		e->base_flags = e->strategy_flags;
		e->base_max_live = e->max_live;
		e->swapped = 1;
	}
	if (!s) {
		base.plugin = e->base_strategy;
		base.ctx = e->base_strategy_ctx;
		base.flags = e->base_flags;
		base.max_live = e->base_max_live;
		base.cfg = e->base_cfg;
		to = &base;
	}
	e->cfg = to->cfg;
	e->strategy = to->plugin;
	e->strategy_ctx = to->ctx;
	e->strategy_flags = to->flags;
	e->max_live = to->max_live;
	if (!s)
		e->swapped = 0;
	if (e->max_live > e->kv_live && e->backend_ctx) {
		/* a strategy keeping more sequences: a larger pool (none is in use) */
		plume_kv_fini(&e->kv);
		plume_kv_fini(&e->kv_swa);
		memset(&e->kv, 0, sizeof(e->kv));
		memset(&e->kv_swa, 0, sizeof(e->kv_swa));
		return setup_kv(e, err);
	}
	return PLUME_OK;
}

void plume_engine_strategy_destroy(struct plume_engine_strategy *s)
{
	if (!s)
		return;
	if (s->ctx)
		s->plugin->ops.strategy.destroy(s->ctx);
	plume_plugin_close(s->plugin);
	free(s);
}

const struct plume_plugin *plume_engine_strategy_plugin(const struct plume_engine_strategy *s)
{
	return s->plugin;
}
