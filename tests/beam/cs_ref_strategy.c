/* A brute-force contrastive search for tests/beam: the same definition as
 * strategies/contrastive computed the slow way. Each candidate is forked and
 * forwarded alone (one forward per candidate, not one batch of k), and the
 * degeneration penalty is recomputed from the raw context hidden states in
 * double precision at every step. Options are fixed by the test through
 * the environment-free defaults below: top_k 4, alpha 0.6. */
#include <math.h>
#include <string.h>

#include "plume/strategy.h"

#define K 4
#define ALPHA 0.6

struct ref {
	const struct plume_host *host;
	int phase;               /* 0: choose candidates; 1..K: candidate phase-1 forwarded */
	int32_t parent, seq[K], tok[K];
	double p[K];
};

static int r_create(const struct plume_host *host, const struct plume_config *cfg,
		    const struct plume_engine_params *params, void **ctx, struct plume_error *err)
{
	struct ref *r = host->calloc(1, sizeof(*r));

	if (!r)
		return host->error(err, PLUME_ERR_NOMEM, "csref: out of memory");
	r->host = host;
	*ctx = r;
	return PLUME_OK;
}

static void r_destroy(void *ctx)
{
	struct ref *r = ctx;

	r->host->free(r);
}

static uint32_t r_flags(void *ctx) { return PLUME_STRATEGY_WANTS_HIDDEN | PLUME_STRATEGY_LOOKAHEAD; }
static uint32_t r_max_live(void *ctx) { return K + 1; }

static int r_begin(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		   struct plume_error *err)
{
	((struct ref *)ctx)->phase = 0;
	return PLUME_OK;
}

static double cosine(const float *a, const float *b, uint32_t d)
{
	double ab = 0, aa = 0, bb = 0;

	for (uint32_t i = 0; i < d; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	return ab / (sqrt(aa) * sqrt(bb));
}

/* Candidates: the K most probable tokens by exact softmax in double. */
static int choose(struct ref *r, const struct plume_search_api *api, struct plume_search *s,
		  int32_t seq)
{
	uint32_t nv = api->request(s)->n_vocab;
	const float *lg = api->logits(s, seq);
	double max = -INFINITY, sum = 0;
	int used[K] = {0};

	(void)used;
	for (uint32_t t = 0; t < nv; t++)
		if (lg[t] > max)
			max = lg[t];
	for (uint32_t t = 0; t < nv; t++)
		sum += exp(lg[t] - max);
	for (int i = 0; i < K; i++) {
		int32_t best = -1;

		for (uint32_t t = 0; t < nv; t++) {
			int taken = 0;

			for (int j = 0; j < i; j++)
				taken |= r->tok[j] == (int32_t)t;
			if (!taken && (best < 0 || lg[t] > lg[best]))
				best = (int32_t)t;
		}
		r->tok[i] = best;
		r->p[i] = exp(lg[best] - max) / sum;
	}
	r->parent = seq;
	return PLUME_OK;
}

static int r_step(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		  struct plume_error *err)
{
	struct ref *r = ctx;
	const struct plume_request *req = api->request(s);
	int rc;

	if (r->phase == 0)
		choose(r, api, s, api->live(s, 0));
	if (r->phase < K) { /* forward the next candidate alone */
		int i = r->phase;

		if ((rc = api->fork(s, r->parent, &r->seq[i])) ||
		    (rc = api->append(s, r->seq[i], r->tok[i])))
			return r->host->error(err, rc, "csref: fork/append failed");
		r->phase++;
		return PLUME_OK;
	}
	{
		uint32_t n_ctx = 0, d = req->n_embd, n_tok = 0, n_gen = 0;
		const float *ctxh = api->context_hidden(s, r->parent, &n_ctx);
		double best = -INFINITY;
		int bi = 0;
		int32_t w;

		for (int i = 0; i < K; i++) {
			const float *h = api->hidden(s, r->seq[i]);
			double pen = -INFINITY, sc;

			for (uint32_t j = 0; j < n_ctx; j++) {
				double c = cosine(h, ctxh + (size_t)j * d, d);

				if (c > pen)
					pen = c;
			}
			sc = (1 - ALPHA) * r->p[i] - ALPHA * pen;
			if (sc > best) {
				best = sc;
				bi = i;
			}
		}
		for (int i = 0; i < K; i++)
			if (i != bi)
				api->drop(s, r->seq[i]);
		api->drop(s, r->parent);
		w = r->seq[bi];
		api->tokens(s, w, &n_tok, &n_gen);
		if (api->is_eog(s, r->tok[bi]) || n_gen >= req->max_tokens) {
			api->finish(s, w, 0.0, api->is_eog(s, r->tok[bi]) ? PLUME_STOP_EOG : PLUME_STOP_LENGTH);
			return PLUME_FINISHED;
		}
		r->phase = 0;
		choose(r, api, s, w);
		if ((rc = api->fork(s, r->parent, &r->seq[0])) ||
		    (rc = api->append(s, r->seq[0], r->tok[0])))
			return r->host->error(err, rc, "csref: fork/append failed");
		r->phase = 1;
		return PLUME_OK;
	}
}

static const struct plume_strategy_ops r_ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = r_create,
	.destroy = r_destroy,
	.flags = r_flags,
	.max_live = r_max_live,
	.begin = r_begin,
	.step = r_step,
};

static const struct plume_plugin_desc r_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "csref",
	.version = "0.0.1",
	.description = "test: brute-force contrastive search, one candidate per forward",
	.ops = &r_ops,
};

PLUME_PLUGIN_DEFINE(r_desc)
