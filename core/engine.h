/* The engine: one config, one model, three plugins (backend, tokenizer,
 * strategy) and the KV block manager; runs requests (prefill, then decode
 * steps driven by the strategy) and teacher-forced evaluations. */
#ifndef PLUME_CORE_ENGINE_H
#define PLUME_CORE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "model.h"
#include "registry.h"

enum {
	PLUME_ENGINE_TOKENIZER_ONLY = 1u << 0, /* no backend, no strategy, vocab only */
};

struct plume_engine;

int plume_engine_create(struct plume_cfg *cfg, uint32_t flags, struct plume_engine **out,
			struct plume_error *err);
void plume_engine_destroy(struct plume_engine *e);

const struct plume_model *plume_engine_model(const struct plume_engine *e);
const struct plume_plugin *plume_engine_plugin(const struct plume_engine *e, uint32_t kind);
uint32_t plume_engine_threads(const struct plume_engine *e);
uint32_t plume_engine_context(const struct plume_engine *e);
const char *plume_engine_device(const struct plume_engine *e);

/* Tokenizer access. *ids is malloc'ed. flags: PLUME_TOK_*. */
int plume_engine_tokenize(struct plume_engine *e, const char *text, size_t len, uint32_t flags,
			  int32_t **ids, size_t *n_ids, struct plume_error *err);
/* One token's bytes into a malloc'ed buffer (not NUL-terminated). */
int plume_engine_piece(struct plume_engine *e, int32_t id, uint32_t flags, char **out,
		       size_t *len, struct plume_error *err);
const struct plume_tokenizer_info *plume_engine_tokenizer_info(const struct plume_engine *e);

/* Wrap a user message in the model's chat template (generate.chat_template,
 * generate.system). *out is malloc'ed. PLUME_ERR_UNSUPPORTED with a clear
 * message when the model has no template plume recognises. */
int plume_engine_chat_format(struct plume_engine *e, const char *user, char **out,
			     struct plume_error *err);

typedef void (*plume_text_fn)(void *user, const char *text, size_t len);

struct plume_gen_params {
	const int32_t *prompt;
	size_t n_prompt;
	uint32_t max_tokens;
	const char *const *stop;   /* stop strings */
	size_t n_stop;
	uint64_t seed;
	int ignore_eog;            /* bench: keep generating past end-of-generation tokens */
	plume_text_fn on_text;     /* streamed text of the best sequence (single-sequence strategies) */
	void *user;
};

struct plume_hypothesis {
	int32_t *ids;              /* generated ids (prompt excluded) */
	size_t n_ids;
	char *text;                /* detokenized, stop string removed; NUL-terminated */
	size_t text_len;
	double score;
	int reason;                /* enum plume_stop_reason */
};

struct plume_gen_metrics {
	double ttft_ms;            /* request start (prefill) to first generated token */
	double tpot_ms;            /* mean time per output token after the first */
	double prefill_ms, decode_ms;
	double prefill_tps, decode_tps;
	uint32_t n_prompt, n_gen;  /* n_gen: tokens of the best hypothesis */
	uint32_t n_forward;        /* forward calls */
	uint32_t kv_blocks_peak, kv_blocks_total, kv_block_size;
	/* sliding-window layers' pool (0 when one pool holds every layer) */
	uint32_t kv_swa_blocks_peak, kv_swa_blocks_total;
	uint64_t peak_rss_bytes;
};

struct plume_gen_result {
	struct plume_hypothesis *hyps;  /* best first */
	size_t n_hyps;
	struct plume_gen_metrics metrics;
};

int plume_engine_generate(struct plume_engine *e, const struct plume_gen_params *p,
			  struct plume_gen_result *res, struct plume_error *err);
void plume_gen_result_free(struct plume_gen_result *res);

/* Teacher-forced evaluation: run ids through one sequence (in prefill
 * chunks) and call on_logits for every position with the logits predicting
 * the next token. */
typedef int (*plume_logits_fn)(void *user, size_t pos, const float *logits, uint32_t n_vocab);
int plume_engine_eval(struct plume_engine *e, const int32_t *ids, size_t n_ids,
		      plume_logits_fn on_logits, void *user, struct plume_error *err);
/* The same, with logits computed and reported only for positions >= from
 * (perplexity scores half of each window, ab the generated part). */
int plume_engine_eval_from(struct plume_engine *e, const int32_t *ids, size_t n_ids,
			   size_t from, plume_logits_fn on_logits, void *user,
			   struct plume_error *err);

/* Several strategy configurations on one engine (plume ab): the model,
 * backend and tokenizer stay loaded, only the strategy plugin and the config
 * that generate.* keys are read from change.
 *
 * plume_engine_strategy_create opens the strategy that cfg names
 * (engine.strategy, with its [strategy.NAME] section), creates it and checks
 * cfg the way plume_engine_create checks a config (every section claimed);
 * cfg must agree with the engine's config on the keys that shape the loaded
 * model and backend (model.*, engine.backend, tokenizer, threads,
 * plugin_path), else PLUME_ERR_INVALID naming the key. cfg is borrowed and
 * must outlive the handle. plume_engine_strategy_use makes it the strategy
 * of the following requests (NULL: the engine's own again), growing the KV
 * pool when it keeps more live sequences. A handle is destroyed when no
 * longer in use (after use(e, NULL) or plume_engine_destroy). */
struct plume_engine_strategy;
int plume_engine_strategy_create(struct plume_engine *e, struct plume_cfg *cfg,
				 struct plume_engine_strategy **out, struct plume_error *err);
int plume_engine_strategy_use(struct plume_engine *e, struct plume_engine_strategy *s,
			      struct plume_error *err);
void plume_engine_strategy_destroy(struct plume_engine_strategy *s);
/* The plugin of a handle (name, path) */
const struct plume_plugin *plume_engine_strategy_plugin(const struct plume_engine_strategy *s);

#endif
