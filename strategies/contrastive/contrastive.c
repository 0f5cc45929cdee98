/* Contrastive search (Su et al. 2022) as Hugging Face transformers 4.47.1
 * computes it (_contrastive_search, _ranking_fast; docs/strategies.md).
 *
 * A step has two halves, one forward between them:
 *   select: the current sequence's logits, penalties applied, softmax over
 *           the vocabulary, the top_k tokens v_i with probabilities p_i; the
 *           sequence is forked top_k times (copy-on-write KV blocks) and
 *           each fork gets one candidate; the host forwards the k forks in
 *           one batch (one row each), returning logits and final hidden
 *           states;
 *   rank:   pen_i = max over every context position j (prompt included) of
 *           cos(h_i, H_j), h_i the candidate's final hidden state, H the
 *           context's; score_i = (1 - alpha) p_i - alpha pen_i; the first
 *           maximum wins. The parent and the losers are dropped; the winner
 *           already holds its token's K/V, logits and hidden state, so the
 *           next select runs on it without another forward.
 * The strategy asks for PLUME_STRATEGY_LOOKAHEAD: candidates are forwarded
 * even on the budget's last token, and the strategy finishes the winner
 * itself (end of generation, or the token budget). A hypothesis's score is
 * the sum of the chosen tokens' log-probabilities (before penalties). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plume/strategy.h"
#include "logprob.h"

#define CS_MAX_K 64

struct contrastive {
	const struct plume_host *host;
	/* options */
	uint32_t top_k;
	float alpha;
	float repeat_penalty, presence_penalty, frequency_penalty;
	int64_t penalty_last_n, no_repeat_ngram;
	/* scratch */
	float *probs, *raw;      /* [n_vocab] */
	size_t cap;
	float *ctx_norm;         /* [n_ctx] inverse norms of the context rows */
	size_t ctx_cap;
	/* per request */
	int ranking;             /* candidates are out for a forward */
	int32_t parent;
	uint32_t n_cand;
	int32_t cand_seq[CS_MAX_K];
	int32_t cand_tok[CS_MAX_K];
	float cand_p[CS_MAX_K];
};

static const struct plume_option contrastive_options[] = {
	{"top_k", PLUME_OPT_INT, "4", 1, CS_MAX_K, NULL,
	 "candidates evaluated per token, in one batched forward"},
	{"alpha", PLUME_OPT_FLOAT, "0.6", 0, 1, NULL,
	 "degeneration penalty weight: score = (1 - alpha) p - alpha max cos(h, context)"},
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

static void contrastive_destroy(void *ctx)
{
	struct contrastive *c = ctx;

	if (!c)
		return;
	c->host->free(c->probs);
	c->host->free(c->raw);
	c->host->free(c->ctx_norm);
	c->host->free(c);
}

static int contrastive_create(const struct plume_host *host, const struct plume_config *cfg,
			      const struct plume_engine_params *params, void **ctx,
			      struct plume_error *err)
{
	struct contrastive *c = host->calloc(1, sizeof(*c));
	int64_t top_k = 4;
	double alpha = 0.6, rp = 1, pp = 0, fp = 0;
	int rc;

	if (!c)
		return host->error(err, PLUME_ERR_NOMEM, "contrastive: out of memory");
	c->host = host;
	if ((rc = host->config_int(cfg, "top_k", &top_k)) ||
	    (rc = host->config_float(cfg, "alpha", &alpha)) ||
	    (rc = host->config_float(cfg, "repeat_penalty", &rp)) ||
	    (rc = host->config_float(cfg, "presence_penalty", &pp)) ||
	    (rc = host->config_float(cfg, "frequency_penalty", &fp)) ||
	    (rc = host->config_int(cfg, "penalty_last_n", &c->penalty_last_n)) ||
	    (rc = host->config_int(cfg, "no_repeat_ngram", &c->no_repeat_ngram))) {
		rc = host->error(err, rc, "contrastive: cannot read the options");
		goto fail;
	}
	if (top_k < 1 || top_k > CS_MAX_K) {
		rc = host->error(err, PLUME_ERR_INVALID,
				 "strategy.contrastive.top_k = %lld: out of range [1, %d]",
				 (long long)top_k, CS_MAX_K);
		goto fail;
	}
	if (!(alpha >= 0.0 && alpha <= 1.0)) {
		rc = host->error(err, PLUME_ERR_INVALID,
				 "strategy.contrastive.alpha = %g: out of range [0, 1]", alpha);
		goto fail;
	}
	c->top_k = (uint32_t)top_k;
	c->alpha = (float)alpha;
	c->repeat_penalty = rp > 0 ? (float)rp : 1.0f;
	c->presence_penalty = (float)pp;
	c->frequency_penalty = (float)fp;
	*ctx = c;
	return PLUME_OK;
fail:
	contrastive_destroy(c);
	return rc;
}

static uint32_t contrastive_flags(void *ctx)
{
	return PLUME_STRATEGY_WANTS_HIDDEN | PLUME_STRATEGY_LOOKAHEAD;
}

static uint32_t contrastive_max_live(void *ctx)
{
	return ((struct contrastive *)ctx)->top_k + 1;
}

static int contrastive_begin(void *ctx, const struct plume_search_api *api,
			     struct plume_search *s, struct plume_error *err)
{
	struct contrastive *c = ctx;

	c->ranking = 0;
	c->n_cand = 0;
	c->parent = -1;
	return PLUME_OK;
}

static int ensure(struct contrastive *c, size_t nv, struct plume_error *err)
{
	const struct plume_host *h = c->host;

	if (c->cap >= nv)
		return PLUME_OK;
	h->free(c->probs);
	h->free(c->raw);
	c->probs = h->alloc(nv * sizeof(float));
	c->raw = h->alloc(nv * sizeof(float));
	c->cap = c->probs && c->raw ? nv : 0;
	if (!c->cap)
		return h->error(err, PLUME_ERR_NOMEM, "contrastive: out of memory");
	return PLUME_OK;
}

/* Top-k ids by probability, descending (lower id first on ties). */
static uint32_t top_k_ids(const float *p, size_t nv, uint32_t k, int32_t *ids)
{
	uint32_t n = 0;

	if (k > nv)
		k = (uint32_t)nv;
	for (size_t t = 0; t < nv; t++) {
		uint32_t i;

		if (n == k && !(p[t] > p[ids[k - 1]]))
			continue;
		if (n < k)
			n++;
		for (i = n - 1; i > 0 && p[t] > p[ids[i - 1]]; i--)
			ids[i] = ids[i - 1];
		ids[i] = (int32_t)t;
	}
	return n;
}

/* Select half: fork the sequence once per top-k candidate. */
static int select_candidates(struct contrastive *c, const struct plume_search_api *api,
			     struct plume_search *s, int32_t seq, struct plume_error *err)
{
	const struct plume_host *h = c->host;
	const struct plume_logits_api *L = h->logits;
	const struct plume_request *req = api->request(s);
	size_t nv = req->n_vocab;
	float *logits = api->logits(s, seq);
	const int32_t *toks;
	uint32_t n_toks = 0;
	double base, log_sum;
	float max;
	int rc;

	if (!logits)
		return h->error(err, PLUME_ERR_INTERNAL, "contrastive: sequence %d has no logits", seq);
	if ((rc = ensure(c, nv, err)))
		return rc;
	memcpy(c->raw, logits, nv * sizeof(float));
	memcpy(c->probs, logits, nv * sizeof(float));
	toks = api->tokens(s, seq, &n_toks, NULL);
	if (c->repeat_penalty != 1.0f)
		L->repetition_penalty(c->probs, nv, toks, n_toks, c->repeat_penalty);
	if (c->no_repeat_ngram > 0)
		L->no_repeat_ngram(c->probs, nv, toks, n_toks, (uint32_t)c->no_repeat_ngram);
	if (c->penalty_last_n != 0 && (c->presence_penalty != 0 || c->frequency_penalty != 0)) {
		uint32_t w = c->penalty_last_n < 0 || (uint64_t)c->penalty_last_n > n_toks
				     ? n_toks
				     : (uint32_t)c->penalty_last_n;

		L->presence_frequency_penalty(c->probs, nv, toks + n_toks - w, w,
					      c->presence_penalty, c->frequency_penalty);
	}
	L->softmax(c->probs, nv);
	c->n_cand = top_k_ids(c->probs, nv, c->top_k, c->cand_tok);
	base = api->score(s, seq);
	for (uint32_t i = 0; i < c->n_cand; i++) {
		c->cand_p[i] = c->probs[c->cand_tok[i]];
		if ((rc = api->fork(s, seq, &c->cand_seq[i])))
			return h->error(err, rc, "contrastive: fork failed");
	}
	/* one log-sum over the raw logits serves every candidate's score */
	strategy_logsumexp(L, c->raw, nv, &max, &log_sum);
	for (uint32_t i = 0; i < c->n_cand; i++) {
		api->set_score(s, c->cand_seq[i],
			       base + strategy_logprob_of(c->raw, c->cand_tok[i], max, log_sum));
		if ((rc = api->append(s, c->cand_seq[i], c->cand_tok[i])))
			return h->error(err, rc, "contrastive: append failed");
	}
	c->parent = seq;
	c->ranking = 1;
	return PLUME_OK;
}

/* Degeneration penalty: max cosine similarity of h against the context's
 * rows (each row and h normalised first, as HF does). */
/* sum of a[k] * b[k] in double, element k into partial sum k % 8, the
 * partials added in order: eight independent chains instead of one (a
 * long context makes these dots most of a contrastive step), which the
 * compiler turns into vector code; the same result on every CPU. */
static double dot_double(const float *a, const float *b, uint32_t d)
{
	double part[8] = {0}, sum = 0.0;
	uint32_t k = 0;

	for (; k + 8 <= d; k += 8)
		for (int l = 0; l < 8; l++)
			part[l] += (double)a[k + l] * b[k + l];
	for (; k < d; k++)
		part[k % 8] += (double)a[k] * b[k];
	for (int l = 0; l < 8; l++)
		sum += part[l];
	return sum;
}

static float degeneration(const float *h, const float *ctx, uint32_t n_ctx, uint32_t d,
			  const float *inv_norm)
{
	double hn = 1.0 / sqrt(dot_double(h, h, d));
	float best = -INFINITY;

	for (uint32_t j = 0; j < n_ctx; j++) {
		double dot = dot_double(ctx + (size_t)j * d, h, d);
		float cs;

		cs = (float)(dot * hn * inv_norm[j]);
		if (cs > best)
			best = cs;
	}
	return best;
}

/* Rank half: pick the winner among the forwarded candidates. */
static int rank_candidates(struct contrastive *c, const struct plume_search_api *api,
			   struct plume_search *s, int32_t *winner, struct plume_error *err)
{
	const struct plume_host *h = c->host;
	uint32_t d = api->request(s)->n_embd, n_ctx = 0, best = 0;
	const float *ctx = api->context_hidden(s, c->parent, &n_ctx);
	float best_score = -INFINITY;
	int rc;

	if (!ctx || !n_ctx)
		return h->error(err, PLUME_ERR_INTERNAL, "contrastive: no context hidden states");
	if (c->ctx_cap < n_ctx) {
		float *p = h->realloc(c->ctx_norm, (size_t)n_ctx * 2 * sizeof(float));

		if (!p)
			return h->error(err, PLUME_ERR_NOMEM, "contrastive: out of memory");
		c->ctx_norm = p;
		c->ctx_cap = (size_t)n_ctx * 2;
	}
	for (uint32_t j = 0; j < n_ctx; j++)
		c->ctx_norm[j] = (float)(1.0 / sqrt(dot_double(ctx + (size_t)j * d, ctx + (size_t)j * d, d)));
	for (uint32_t i = 0; i < c->n_cand; i++) {
		const float *hid = api->hidden(s, c->cand_seq[i]);
		float pen, score;

		if (!hid)
			return h->error(err, PLUME_ERR_INTERNAL,
					"contrastive: candidate %u has no hidden state", i);
		pen = degeneration(hid, ctx, n_ctx, d, c->ctx_norm);
		score = (1.0f - c->alpha) * c->cand_p[i] - c->alpha * pen;
		if (i == 0 || score > best_score) {
			best_score = score;
			best = i;
		}
	}
	for (uint32_t i = 0; i < c->n_cand; i++)
		if (i != best && (rc = api->drop(s, c->cand_seq[i])))
			return h->error(err, rc, "contrastive: drop failed");
	if ((rc = api->drop(s, c->parent)))
		return h->error(err, rc, "contrastive: drop failed");
	*winner = c->cand_seq[best];
	c->parent = -1;
	c->n_cand = 0;
	c->ranking = 0;
	return PLUME_OK;
}

static int contrastive_step(void *ctx, const struct plume_search_api *api, struct plume_search *s,
			    struct plume_error *err)
{
	struct contrastive *c = ctx;
	const struct plume_request *req = api->request(s);
	int32_t seq = -1;
	int rc;

	if (c->ranking) {
		const int32_t *toks;
		uint32_t n_toks = 0, n_gen = 0;

		if ((rc = rank_candidates(c, api, s, &seq, err)))
			return rc;
		toks = api->tokens(s, seq, &n_toks, &n_gen);
		if (api->is_eog(s, toks[n_toks - 1]) || n_gen >= req->max_tokens) {
			rc = api->finish(s, seq, api->score(s, seq),
					 api->is_eog(s, toks[n_toks - 1]) ? PLUME_STOP_EOG
									  : PLUME_STOP_LENGTH);
			if (rc)
				return c->host->error(err, rc, "contrastive: finish failed");
			return PLUME_FINISHED;
		}
	} else {
		if (api->n_live(s) < 1)
			return c->host->error(err, PLUME_ERR_INTERNAL,
					      "contrastive: no live sequence at the first step");
		seq = api->live(s, 0);
	}
	rc = select_candidates(c, api, s, seq, err);
	return rc ? rc : PLUME_OK;
}

static void contrastive_end(void *ctx, const struct plume_search_api *api, struct plume_search *s)
{
	struct contrastive *c = ctx;

	c->ranking = 0;
	c->n_cand = 0;
}

static const struct plume_strategy_ops contrastive_ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = contrastive_create,
	.destroy = contrastive_destroy,
	.flags = contrastive_flags,
	.max_live = contrastive_max_live,
	.begin = contrastive_begin,
	.step = contrastive_step,
	.end = contrastive_end,
};

static const struct plume_plugin_desc contrastive_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "contrastive",
	.version = "1.0.0",
	.description = "contrastive search (Su et al. 2022) as Hugging Face transformers 4.47",
	.options = contrastive_options,
	.n_options = sizeof(contrastive_options) / sizeof(contrastive_options[0]),
	.option_size = sizeof(struct plume_option),
	.ops = &contrastive_ops,
};

PLUME_PLUGIN_DEFINE(contrastive_desc)
