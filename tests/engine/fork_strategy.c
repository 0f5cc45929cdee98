/* A test strategy exercising the search API: at the first step sequence 0
 * forks; the parent takes the most likely token, the child the second most
 * likely; afterwards every live sequence decodes greedily. Scores are the
 * negated creation order so that the parent is reported first. */
#include "plume/strategy.h"

struct fork_ctx {
	const struct plume_host *host;
	int forked;
};

static int fk_create(const struct plume_host *host, const struct plume_config *cfg,
		     const struct plume_engine_params *params, void **ctx, struct plume_error *err)
{
	struct fork_ctx *f = host->calloc(1, sizeof(*f));

	if (!f)
		return host->error(err, PLUME_ERR_NOMEM, "fork: out of memory");
	f->host = host;
	*ctx = f;
	return PLUME_OK;
}

static void fk_destroy(void *ctx)
{
	struct fork_ctx *f = ctx;

	f->host->free(f);
}

static uint32_t fk_flags(void *ctx) { return 0; }
static uint32_t fk_max_live(void *ctx) { return 2; }

static int fk_begin(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		    struct plume_error *err)
{
	((struct fork_ctx *)ctx)->forked = 0;
	return PLUME_OK;
}

static int take(struct fork_ctx *f, const struct plume_search_api *api, struct plume_search *s,
		int32_t seq, int32_t tok)
{
	int rc = api->append(s, seq, tok);

	if (!rc && api->is_eog(s, tok))
		rc = api->finish(s, seq, -(double)seq, PLUME_STOP_EOG);
	return rc;
}

static int fk_step(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		   struct plume_error *err)
{
	struct fork_ctx *f = ctx;
	uint32_t n_vocab = api->request(s)->n_vocab;
	int32_t ids[2];
	uint32_t n = api->n_live(s);

	if (!f->forked) {
		float *lg = api->logits(s, 0);
		int32_t a, b = -1, child;
		int rc;

		a = f->host->logits->argmax(lg, n_vocab);
		for (uint32_t i = 0; i < n_vocab; i++)
			if ((int32_t)i != a && (b < 0 || lg[i] > lg[b]))
				b = (int32_t)i;
		rc = api->fork(s, 0, &child);
		if (rc)
			return f->host->error(err, rc, "fork: fork failed");
		f->forked = 1;
		if ((rc = take(f, api, s, 0, a)) || (rc = take(f, api, s, child, b)))
			return f->host->error(err, rc, "fork: append failed");
		return PLUME_OK;
	}
	for (uint32_t i = 0; i < n && i < 2; i++)
		ids[i] = api->live(s, i);
	for (uint32_t i = 0; i < n && i < 2; i++) {
		float *lg = api->logits(s, ids[i]);
		int rc;

		if (!lg)
			continue;
		api->set_score(s, ids[i], -(double)ids[i]);
		rc = take(f, api, s, ids[i], f->host->logits->argmax(lg, n_vocab));
		if (rc)
			return f->host->error(err, rc, "fork: append failed");
	}
	return api->n_live(s) ? PLUME_OK : PLUME_FINISHED;
}

static const struct plume_strategy_ops ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = fk_create,
	.destroy = fk_destroy,
	.flags = fk_flags,
	.max_live = fk_max_live,
	.begin = fk_begin,
	.step = fk_step,
};

static const struct plume_plugin_desc desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "testfork",
	.version = "0.1.0",
	.description = "test: fork at the first step, then greedy",
	.option_size = sizeof(struct plume_option),
	.ops = &ops,
};

PLUME_PLUGIN_DEFINE(desc)
