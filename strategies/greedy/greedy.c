/* Greedy decoding: every live sequence takes its most likely next token
 * (lowest id on ties, as argmax in llama.cpp and Hugging Face) and finishes
 * when that token ends generation. Scores are the running sum of the chosen
 * tokens' log-probabilities. */
#include <math.h>
#include <stddef.h>

#include "plume/strategy.h"

struct greedy {
	const struct plume_host *host;
};

static int greedy_create(const struct plume_host *host, const struct plume_config *cfg,
			 const struct plume_engine_params *params, void **ctx,
			 struct plume_error *err)
{
	struct greedy *g = host->calloc(1, sizeof(*g));

	if (!g)
		return host->error(err, PLUME_ERR_NOMEM, "greedy: out of memory");
	g->host = host;
	*ctx = g;
	return PLUME_OK;
}

static void greedy_destroy(void *ctx)
{
	struct greedy *g = ctx;

	if (g)
		g->host->free(g);
}

static uint32_t greedy_flags(void *ctx)
{
	return 0;
}

static uint32_t greedy_max_live(void *ctx)
{
	return 1;
}

/* log p(tok) = logit[tok] - logsumexp(logits) */
static double token_logprob(const float *logits, size_t n, int32_t tok)
{
	double max = logits[tok], sum = 0.0;

	for (size_t i = 0; i < n; i++)
		if (logits[i] > max)
			max = logits[i];
	for (size_t i = 0; i < n; i++)
		sum += exp((double)logits[i] - max);
	return (double)logits[tok] - max - log(sum);
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
		tok = g->host->logits->argmax(logits, req->n_vocab);
		api->set_score(s, ids[i], api->score(s, ids[i]) +
						  token_logprob(logits, req->n_vocab, tok));
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

static const struct plume_plugin_desc greedy_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "greedy",
	.version = "1.0.0",
	.description = "greedy decoding: the most likely token at every step",
	.option_size = sizeof(struct plume_option),
	.ops = &greedy_ops,
};

PLUME_PLUGIN_DEFINE(greedy_desc)
