/* Engine internals shared by engine.c (setup) and generate.c (requests). */
#ifndef PLUME_CORE_ENGINE_INTERNAL_H
#define PLUME_CORE_ENGINE_INTERNAL_H

#include "engine.h"
#include "kv.h"

struct plume_engine {
	struct plume_cfg *cfg;
	const struct plume_host *host;
	struct plume_engine_params params;
	char *search_path;
	struct plume_model *model;
	const struct plume_model_desc *desc;

	struct plume_plugin *backend;
	void *backend_ctx;
	struct plume_backend_info backend_info;
	struct plume_plugin *tokenizer;
	void *tokenizer_ctx;
	struct plume_tokenizer_info tok_info;
	struct plume_plugin *strategy;
	void *strategy_ctx;
	uint32_t strategy_flags;
	uint32_t max_live;

	/* the strategy the engine was created with, while another one made by
	 * plume_engine_strategy_create is in use (swapped = 1) */
	int swapped;
	struct plume_cfg *base_cfg;
	struct plume_plugin *base_strategy;
	void *base_strategy_ctx;
	uint32_t base_flags, base_max_live;
	uint32_t kv_live;         /* live sequences the KV pool was sized for */

	struct plume_kv kv;
	struct plume_kv kv_swa;   /* sliding-window layers' pool, when swa_window > 0 */
	uint32_t swa_window;      /* window in tokens; 0: one pool for every layer */
	uint32_t n_ctx;
	uint32_t n_batch;
	uint32_t kv_type;
};

#endif
