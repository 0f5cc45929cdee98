/* Greedy decoding: every live sequence takes its most likely next token
 * (lowest id on ties, as argmax in llama.cpp and Hugging Face) after the
 * optional penalties (Hugging Face's repetition penalty and no-repeat n-gram
 * over the whole sequence, llama.cpp's presence/frequency penalties over the
 * last penalty_last_n tokens), and finishes when that token ends
 * generation. Scores are the running sum of the chosen tokens'
 * log-probabilities under the model (before penalties). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plume/strategy.h"
#include "logprob.h"

struct greedy {
	const struct plume_host *host;
	float repeat_penalty, presence_penalty, frequency_penalty;
	int64_t penalty_last_n, no_repeat_ngram;
	float *raw;       /* unpenalized logits of the sequence being decided */
	size_t cap;
};

static int penalties_on(const struct greedy *g)
{
	return g->repeat_penalty != 1.0f || g->no_repeat_ngram > 0 ||
	       (g->penalty_last_n != 0 && (g->presence_penalty != 0 || g->frequency_penalty != 0));
}

static int greedy_create(const struct plume_host *host, const struct plume_config *cfg,
			 const struct plume_engine_params *params, void **ctx,
			 struct plume_error *err)
{
	struct greedy *g = host->calloc(1, sizeof(*g));
	double rp = 1, pp = 0, fp = 0;

	if (!g)
		return host->error(err, PLUME_ERR_NOMEM, "greedy: out of memory");
	g->host = host;
	host->config_float(cfg, "repeat_penalty", &rp);
	host->config_float(cfg, "presence_penalty", &pp);
	host->config_float(cfg, "frequency_penalty", &fp);
	host->config_int(cfg, "penalty_last_n", &g->penalty_last_n);
	host->config_int(cfg, "no_repeat_ngram", &g->no_repeat_ngram);
	g->repeat_penalty = rp > 0 ? (float)rp : 1.0f;
	g->presence_penalty = (float)pp;
	g->frequency_penalty = (float)fp;
	*ctx = g;
	return PLUME_OK;
}

static void greedy_destroy(void *ctx)
{
	struct greedy *g = ctx;

	if (g) {
		g->host->free(g->raw);
		g->host->free(g);
	}
}

static uint32_t greedy_flags(void *ctx)
{
	return 0;
}

static uint32_t greedy_max_live(void *ctx)
{
	return 1;
}

static int greedy_step(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		       struct plume_error *err)
{
	struct greedy *g = ctx;
	const struct plume_request *req = api->request(s);
	uint32_t n = api->n_live(s);
	int32_t ids[64];

	if (n > 64)
		n = 64;
	/* Snapshot: finishing changes the live list. */
	for (uint32_t i = 0; i < n; i++)
		ids[i] = api->live(s, i);
	for (uint32_t i = 0; i < n; i++) {
		float *logits = api->logits(s, ids[i]);
		int32_t tok;
		int rc;

		if (!logits)
			continue;
		if (penalties_on(g)) {
			const struct plume_logits_api *L = g->host->logits;
			uint32_t n_toks, w;
			const int32_t *toks = api->tokens(s, ids[i], &n_toks, NULL);

			if (g->cap < req->n_vocab) {
				float *r = g->host->realloc(g->raw, req->n_vocab * sizeof(float));

				if (!r)
					return g->host->error(err, PLUME_ERR_NOMEM, "greedy: out of memory");
				g->raw = r;
				g->cap = req->n_vocab;
			}
			memcpy(g->raw, logits, req->n_vocab * sizeof(float));
			L->repetition_penalty(logits, req->n_vocab, toks, n_toks, g->repeat_penalty);
			if (g->no_repeat_ngram > 0)
				L->no_repeat_ngram(logits, req->n_vocab, toks, n_toks,
						   (uint32_t)g->no_repeat_ngram);
			w = g->penalty_last_n < 0 || (uint64_t)g->penalty_last_n > n_toks ?
				    n_toks : (uint32_t)g->penalty_last_n;
			if (w)
				L->presence_frequency_penalty(logits, req->n_vocab, toks + n_toks - w, w,
							      g->presence_penalty,
							      g->frequency_penalty);
			tok = L->argmax(logits, req->n_vocab);
			logits = g->raw;
		} else {
			tok = g->host->logits->argmax(logits, req->n_vocab);
		}
		api->set_score(s, ids[i], api->score(s, ids[i]) +
						  strategy_token_logprob(g->host->logits, logits, req->n_vocab, tok));
		rc = api->append(s, ids[i], tok);
		if (rc)
			return g->host->error(err, rc, "greedy: append failed");
		if (api->is_eog(s, tok)) {
			rc = api->finish(s, ids[i], api->score(s, ids[i]), PLUME_STOP_EOG);
			if (rc)
				return g->host->error(err, rc, "greedy: finish failed");
		}
	}
	return api->n_live(s) ? PLUME_OK : PLUME_FINISHED;
}

static const struct plume_strategy_ops greedy_ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = greedy_create,
	.destroy = greedy_destroy,
	.flags = greedy_flags,
	.max_live = greedy_max_live,
	.step = greedy_step,
};

static const struct plume_option greedy_options[] = {
	{"repeat_penalty", PLUME_OPT_FLOAT, "1.0", 0, 10, NULL,
	 "Hugging Face repetition penalty over the whole sequence (1 = off)"},
	{"presence_penalty", PLUME_OPT_FLOAT, "0", -2, 2, NULL,
	 "subtracted from every token present in the last penalty_last_n tokens (0 = off)"},
	{"frequency_penalty", PLUME_OPT_FLOAT, "0", -2, 2, NULL,
	 "subtracted per occurrence in the last penalty_last_n tokens (0 = off)"},
	{"penalty_last_n", PLUME_OPT_INT, "64", -1, 16777216.0, NULL,
	 "window of presence/frequency penalties, prompt included (-1 = whole sequence, 0 = off)"},
	{"no_repeat_ngram", PLUME_OPT_INT, "0", 0, 64, NULL,
	 "ban tokens that would repeat an n-gram of this size (0 = off)"},
};

static const struct plume_plugin_desc greedy_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "greedy",
	.version = "1.0.0",
	.description = "greedy decoding: the most likely token at every step",
	.options = greedy_options,
	.n_options = sizeof(greedy_options) / sizeof(greedy_options[0]),
	.option_size = sizeof(struct plume_option),
	.ops = &greedy_ops,
};

PLUME_PLUGIN_DEFINE(greedy_desc)
