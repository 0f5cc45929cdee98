/* entropy-greedy: an example third-party decoding strategy, built out of tree
 * against the installed plume SDK (README.md beside this file).
 *
 * While the model is unsure of the next token (the entropy of its
 * next-token distribution, in nats, is at or above `threshold`) it samples:
 * temperature, then top-k, then a draw from the host's seeded RNG, so a run
 * is reproducible from engine.seed. Once the entropy falls below the
 * threshold it decodes greedily (argmax, lowest id on ties), for the rest of
 * the request when `sticky` is true (the default), else only for that step.
 * A sequence's score is the sum of its chosen tokens' log-probabilities.
 *
 * Everything numeric comes from the host's logits toolkit (host->logits);
 * the plugin links nothing of the host. */
#include <math.h>
#include <string.h>

#include "plume/strategy.h"

struct eg {
	const struct plume_host *host;
	double threshold;              /* nats */
	double temperature;
	int64_t top_k;
	int sticky;
	/* per request */
	struct plume_rng *rng;
	int greedy;                    /* sticky greedy mode reached */
	uint32_t n_sampled, n_greedy;
	/* scratch, [n_vocab] */
	float *probs;
	struct plume_candidate *cand;
	size_t cap;
};

static int eg_create(const struct plume_host *host, const struct plume_config *cfg,
		     const struct plume_engine_params *params, void **ctx, struct plume_error *err)
{
	struct eg *g = host->calloc(1, sizeof(*g));

	if (!g)
		return host->error(err, PLUME_ERR_NOMEM, "entropy-greedy: out of memory");
	g->host = host;
	/* The host has validated every value against the option table. */
	host->config_float(cfg, "threshold", &g->threshold);
	host->config_float(cfg, "temperature", &g->temperature);
	host->config_int(cfg, "top_k", &g->top_k);
	host->config_bool(cfg, "sticky", &g->sticky);
	*ctx = g;
	return PLUME_OK;
}

static void eg_destroy(void *ctx)
{
	struct eg *g = ctx;

	if (!g)
		return;
	if (g->rng)
		g->host->logits->rng_destroy(g->rng);
	g->host->free(g->probs);
	g->host->free(g->cand);
	g->host->free(g);
}

static uint32_t eg_flags(void *ctx)
{
	return 0;
}

static uint32_t eg_max_live(void *ctx)
{
	return 1;
}

static int eg_begin(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		    struct plume_error *err)
{
	struct eg *g = ctx;
	const struct plume_request *req = api->request(s);

	if (g->cap < req->n_vocab) {
		float *p = g->host->realloc(g->probs, req->n_vocab * sizeof(*p));
		struct plume_candidate *c;

		if (p)
			g->probs = p;
		c = g->host->realloc(g->cand, req->n_vocab * sizeof(*c));
		if (c)
			g->cand = c;
		if (!p || !c)
			return g->host->error(err, PLUME_ERR_NOMEM,
					      "entropy-greedy: out of memory for %u logits",
					      req->n_vocab);
		g->cap = req->n_vocab;
	}
	if (g->rng)
		g->host->logits->rng_destroy(g->rng);
	g->rng = NULL;
	if (g->host->logits->rng_create(req->seed, &g->rng))
		return g->host->error(err, PLUME_ERR_NOMEM, "entropy-greedy: out of memory");
	g->greedy = 0;
	g->n_sampled = g->n_greedy = 0;
	return PLUME_OK;
}

/* Entropy in nats of softmax(logits); leaves the log-probabilities in
 * g->probs. */
static double entropy(struct eg *g, const float *logits, uint32_t n)
{
	double h = 0;

	memcpy(g->probs, logits, n * sizeof(*logits));
	g->host->logits->log_softmax(g->probs, n);
	for (uint32_t i = 0; i < n; i++)
		if (g->probs[i] > -INFINITY)
			h -= exp(g->probs[i]) * g->probs[i];
	return h;
}

static int32_t sample(struct eg *g, const float *logits, uint32_t n)
{
	const struct plume_logits_api *L = g->host->logits;
	struct plume_candidates c = {.data = g->cand, .n = n};

	L->candidates_init(&c, logits, n);
	L->temperature(&c, (float)g->temperature);
	L->top_k(&c, (int32_t)g->top_k);
	return L->sample(&c, g->rng);
}

static int eg_step(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		   struct plume_error *err)
{
	struct eg *g = ctx;
	const struct plume_request *req = api->request(s);
	int32_t seq, tok;
	float *logits;
	double h;
	int rc;

	if (!api->n_live(s))
		return PLUME_FINISHED;
	seq = api->live(s, 0);
	logits = api->logits(s, seq);
	if (!logits)
		return PLUME_OK;
	if (!g->rng || g->cap < req->n_vocab)
		return g->host->error(err, PLUME_ERR_INTERNAL, "entropy-greedy: step before begin");
	h = entropy(g, logits, req->n_vocab);
	if (g->greedy || h < g->threshold) {
		g->greedy = g->sticky;
		tok = g->host->logits->argmax(logits, req->n_vocab);
		g->n_greedy++;
	} else {
		tok = sample(g, logits, req->n_vocab);
		g->n_sampled++;
	}
	api->set_score(s, seq, api->score(s, seq) + g->probs[tok]);
	rc = api->append(s, seq, tok);
	if (rc)
		return g->host->error(err, rc, "entropy-greedy: append failed");
	if (api->is_eog(s, tok)) {
		rc = api->finish(s, seq, api->score(s, seq), PLUME_STOP_EOG);
		if (rc)
			return g->host->error(err, rc, "entropy-greedy: finish failed");
	}
	return api->n_live(s) ? PLUME_OK : PLUME_FINISHED;
}

static void eg_end(void *ctx, const struct plume_search_api *api, struct plume_search *s)
{
	struct eg *g = ctx;

	g->host->log(PLUME_LOG_INFO, "entropy-greedy", "%u tokens sampled, %u greedy",
		     g->n_sampled, g->n_greedy);
}

static const struct plume_strategy_ops eg_ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = eg_create,
	.destroy = eg_destroy,
	.flags = eg_flags,
	.max_live = eg_max_live,
	.begin = eg_begin,
	.step = eg_step,
	.end = eg_end,
};

static const struct plume_option eg_options[] = {
	{"threshold", PLUME_OPT_FLOAT, "2.0", 0, 1000, NULL,
	 "next-token entropy (nats) below which decoding turns greedy"},
	{"temperature", PLUME_OPT_FLOAT, "0.8", 0, 10, NULL,
	 "sampling temperature while the entropy is high (0 = argmax)"},
	{"top_k", PLUME_OPT_INT, "40", 0, 1e9, NULL,
	 "sample among the k most likely tokens (0 = all)"},
	{"sticky", PLUME_OPT_BOOL, "true", 0, 0, NULL,
	 "stay greedy for the rest of the request once the entropy fell below threshold"},
};

static const struct plume_plugin_desc eg_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "entropy-greedy",
	.version = "1.0.0",
	.description = "samples while next-token entropy is high, greedy once it falls below a threshold",
	.options = eg_options,
	.n_options = sizeof(eg_options) / sizeof(eg_options[0]),
	.option_size = sizeof(struct plume_option),
	.ops = &eg_ops,
};

PLUME_PLUGIN_DEFINE(eg_desc)
