/* Beam search as Hugging Face transformers 4.47.1 computes it
 * (BeamSearchScorer / BeamHypotheses, docs/strategies.md):
 *
 *   per step, every running beam's log-softmax (float32), penalties applied
 *   to the log-probabilities, plus the beam's running score (float32 sum);
 *   the K = max(2, 1 + n_eog) * beams best (beam, token) pairs over all
 *   beams, score descending (ties: lower beam row, then lower id); walked in
 *   rank order: an end-of-generation token ranked below `beams` is ignored,
 *   one ranked within becomes a finished hypothesis scored
 *   sum / gen_len^length_penalty (gen_len counts the generated tokens, the
 *   end-of-generation token included, never the prompt); any other token
 *   fills the next running beam until `beams` are filled.
 *
 * Finished hypotheses are kept in a store of capacity `beams` with HF's
 * add/evict rule and its worst-score bookkeeping; early_stopping true /
 * false / never is HF's is_done. At the token budget the running beams join
 * the store. The n_best best of the store are reported, best first.
 *
 * KV: a new beam reuses its parent's sequence for the first child and forks
 * it (copy-on-write blocks) for the others; parents without children are
 * dropped. A finished hypothesis is a paused fork of its parent (no pending
 * token, shares the parent's blocks); its end-of-generation token is
 * appended only when it is reported, so it is never forwarded. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plume/strategy.h"

#define BEAM_MAX 64

enum early_mode { EARLY_FALSE, EARLY_TRUE, EARLY_NEVER };

struct cand {
	float score;     /* running score + processed log-probability */
	uint32_t row;    /* beam row of the parent */
	int32_t tok;
};

struct hyp {
	int32_t seq;     /* paused fork (eos >= 0) or a beam with its last token appended */
	int32_t eos;     /* end-of-generation token to append when reported, -1 none */
	double score;    /* length-normalised */
};

struct beam {
	const struct plume_host *host;
	/* options */
	uint32_t beams, n_best;
	double length_penalty;
	enum early_mode early;
	float repeat_penalty, presence_penalty, frequency_penalty;
	int64_t penalty_last_n, no_repeat_ngram;
	/* scratch */
	float *lp;               /* [n_vocab] */
	size_t lp_cap;
	struct cand *cand;       /* [K] best candidates, score descending */
	uint32_t cand_cap;
	/* per request */
	uint32_t n_run;
	int32_t run[BEAM_MAX];   /* running beams, in HF's row order */
	struct hyp hyps[BEAM_MAX + 1];
	uint32_t n_hyps;
	double worst;            /* BeamHypotheses.worst_score */
	int done;
};

static const struct plume_option beam_options[] = {
	{"beams", PLUME_OPT_INT, "4", 1, BEAM_MAX, NULL, "number of beams (num_beams)"},
	{"length_penalty", PLUME_OPT_FLOAT, "1.0", 1, 0, NULL,
	 "finished hypotheses score sum_logprob / generated_length^length_penalty"},
	{"early_stopping", PLUME_OPT_ENUM, "false", 1, 0, "true|false|never",
	 "true: stop once `beams` hypotheses are finished; false: HF's heuristic; never: only when no better hypothesis is possible"},
	{"n_best", PLUME_OPT_INT, "1", 1, BEAM_MAX, NULL,
	 "hypotheses reported, best first (num_return_sequences, <= beams)"},
	{"repeat_penalty", PLUME_OPT_FLOAT, "1.0", 0, 10, NULL,
	 "Hugging Face repetition penalty on the log-probabilities, whole sequence (1 = off)"},
	{"presence_penalty", PLUME_OPT_FLOAT, "0", -2, 2, NULL,
	 "subtracted from every token present in the last penalty_last_n tokens (0 = off)"},
	{"frequency_penalty", PLUME_OPT_FLOAT, "0", -2, 2, NULL,
	 "subtracted per occurrence in the last penalty_last_n tokens (0 = off)"},
	{"penalty_last_n", PLUME_OPT_INT, "64", -1, 16777216.0, NULL,
	 "window of presence/frequency penalties, prompt included (-1 = whole sequence, 0 = off)"},
	{"no_repeat_ngram", PLUME_OPT_INT, "0", 0, 64, NULL,
	 "ban tokens that would repeat an n-gram of this size (0 = off)"},
};

static void beam_destroy(void *ctx)
{
	struct beam *b = ctx;

	if (!b)
		return;
	b->host->free(b->lp);
	b->host->free(b->cand);
	b->host->free(b);
}

static int beam_create(const struct plume_host *host, const struct plume_config *cfg,
		       const struct plume_engine_params *params, void **ctx,
		       struct plume_error *err)
{
	struct beam *b = host->calloc(1, sizeof(*b));
	int64_t beams = 4, n_best = 1;
	double rp = 1, pp = 0, fp = 0;
	const char *early = "false";
	int rc;

	if (!b)
		return host->error(err, PLUME_ERR_NOMEM, "beam: out of memory");
	b->host = host;
	if ((rc = host->config_int(cfg, "beams", &beams)) ||
	    (rc = host->config_int(cfg, "n_best", &n_best)) ||
	    (rc = host->config_float(cfg, "length_penalty", &b->length_penalty)) ||
	    (rc = host->config_string(cfg, "early_stopping", &early)) ||
	    (rc = host->config_float(cfg, "repeat_penalty", &rp)) ||
	    (rc = host->config_float(cfg, "presence_penalty", &pp)) ||
	    (rc = host->config_float(cfg, "frequency_penalty", &fp)) ||
	    (rc = host->config_int(cfg, "penalty_last_n", &b->penalty_last_n)) ||
	    (rc = host->config_int(cfg, "no_repeat_ngram", &b->no_repeat_ngram))) {
		rc = host->error(err, rc, "beam: cannot read the options");
		goto fail;
	}
	if (beams < 1 || beams > BEAM_MAX) {
		rc = host->error(err, PLUME_ERR_INVALID,
				 "strategy.beam.beams = %lld: out of range [1, %d]", (long long)beams,
				 BEAM_MAX);
		goto fail;
	}
	if (n_best < 1 || n_best > beams) {
		rc = host->error(err, PLUME_ERR_INVALID,
				 "strategy.beam.n_best = %lld: out of range [1, beams = %lld]",
				 (long long)n_best, (long long)beams);
		goto fail;
	}
	if (!early || (strcmp(early, "true") && strcmp(early, "false") && strcmp(early, "never"))) {
		rc = host->error(err, PLUME_ERR_INVALID,
				 "strategy.beam.early_stopping = '%s': expected true, false or never",
				 early ? early : "");
		goto fail;
	}
	if (!isfinite(b->length_penalty)) {
		rc = host->error(err, PLUME_ERR_INVALID,
				 "strategy.beam.length_penalty: not a finite number");
		goto fail;
	}
	b->early = !strcmp(early, "true") ? EARLY_TRUE : !strcmp(early, "never") ? EARLY_NEVER
										  : EARLY_FALSE;
	b->beams = (uint32_t)beams;
	b->n_best = (uint32_t)n_best;
	b->repeat_penalty = rp > 0 ? (float)rp : 1.0f;
	b->presence_penalty = (float)pp;
	b->frequency_penalty = (float)fp;
	*ctx = b;
	return PLUME_OK;
fail:
	beam_destroy(b);
	return rc;
}

static uint32_t beam_flags(void *ctx)
{
	return 0;
}

/* Running beams, stored hypotheses (one over capacity while adding). */
static uint32_t beam_max_live(void *ctx)
{
	return 2 * ((struct beam *)ctx)->beams + 1;
}

static int beam_begin(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		      struct plume_error *err)
{
	struct beam *b = ctx;

	b->n_run = 0;
	b->n_hyps = 0;
	b->worst = 1e9;
	b->done = 0;
	return PLUME_OK;
}

/* Penalties on the log-probabilities of one beam (HF processors act on
 * log-softmax values in beam search). */
static void penalize(const struct beam *b, float *lp, size_t nv, const int32_t *toks,
		     uint32_t n_toks)
{
	const struct plume_logits_api *L = b->host->logits;
	uint32_t w;

	if (b->repeat_penalty != 1.0f)
		L->repetition_penalty(lp, nv, toks, n_toks, b->repeat_penalty);
	if (b->no_repeat_ngram > 0)
		L->no_repeat_ngram(lp, nv, toks, n_toks, (uint32_t)b->no_repeat_ngram);
	if (b->penalty_last_n != 0 && (b->presence_penalty != 0 || b->frequency_penalty != 0)) {
		w = b->penalty_last_n < 0 || (uint64_t)b->penalty_last_n > n_toks
			    ? n_toks
			    : (uint32_t)b->penalty_last_n;
		L->presence_frequency_penalty(lp, nv, toks + n_toks - w, w, b->presence_penalty,
					      b->frequency_penalty);
	}
}

/* Keep the k best of one beam row in b->cand (n entries so far): score
 * descending; rows and ids arrive in increasing order, so an equal score
 * never displaces an earlier entry (lower flat index first). */
static void offer(struct cand *c, uint32_t *n, uint32_t k, float score, uint32_t row,
		  int32_t tok)
{
	uint32_t i;

	if (*n == k && !(score > c[k - 1].score))
		return;
	if (*n < k)
		(*n)++;
	for (i = *n - 1; i > 0 && score > c[i - 1].score; i--)
		c[i] = c[i - 1];
	c[i] = (struct cand){score, row, tok};
}

/* offer() of every token of one beam row, lp[t] + run_score. Once k are
 * kept, 16 tokens at a time are first checked against the k-th score with
 * branch-free compares (vectorised by the compiler); the threshold only
 * rises, so a group with no token above it holds none that offer() would
 * keep, and the kept list is exactly the one-by-one result. */
static void offer_row(struct cand *c, uint32_t *n, uint32_t k, const float *lp, size_t nv,
		      float run_score, uint32_t row)
{
	size_t t = 0;

	for (; t < nv && *n < k; t++)
		offer(c, n, k, lp[t] + run_score, row, (int32_t)t);
	for (; t + 16 <= nv; t += 16) {
		float thr = c[k - 1].score;
		int any = 0;

		for (int l = 0; l < 16; l++)
			any |= lp[t + l] + run_score > thr;
		if (any)
			for (int l = 0; l < 16; l++)
				offer(c, n, k, lp[t + l] + run_score, row, (int32_t)(t + l));
	}
	for (; t < nv; t++)
		offer(c, n, k, lp[t] + run_score, row, (int32_t)t);
}

/* BeamHypotheses.add: returns 1 when the hypothesis was stored (slot
 * b->hyps[n_hyps - 1] before eviction), and reports an evicted sequence. */
static int store_add(struct beam *b, double score, int32_t seq, int32_t eos, int32_t *evicted)
{
	*evicted = -1;
	if (!(b->n_hyps < b->beams || score > b->worst))
		return 0;
	b->hyps[b->n_hyps++] = (struct hyp){seq, eos, score};
	if (b->n_hyps > b->beams) {
		/* sorted((score, index)): the lowest score, lowest index on ties,
		 * goes; the new worst is the second lowest. */
		uint32_t lo = 0, lo2;

		for (uint32_t i = 1; i < b->n_hyps; i++)
			if (b->hyps[i].score < b->hyps[lo].score)
				lo = i;
		lo2 = lo == 0 ? 1 : 0;
		for (uint32_t i = 0; i < b->n_hyps; i++)
			if (i != lo && (b->hyps[i].score < b->hyps[lo2].score ||
					(b->hyps[i].score == b->hyps[lo2].score && i < lo2)))
				lo2 = i;
		b->worst = b->hyps[lo2].score;
		*evicted = b->hyps[lo].seq;
		memmove(&b->hyps[lo], &b->hyps[lo + 1], (b->n_hyps - lo - 1) * sizeof(b->hyps[0]));
		b->n_hyps--;
	} else if (score < b->worst) {
		b->worst = score;
	}
	return 1;
}

/* BeamHypotheses.is_done; best = the best candidate score of this step,
 * cur = generated length after this step, max_new = the token budget. */
static int store_done(const struct beam *b, double best, uint32_t cur, uint32_t max_new)
{
	double bound;

	if (b->n_hyps < b->beams)
		return 0;
	if (b->early == EARLY_TRUE)
		return 1;
	if (b->early == EARLY_NEVER && b->length_penalty > 0.0)
		bound = best / pow((double)max_new, b->length_penalty);
	else
		bound = best / pow((double)cur, b->length_penalty);
	return b->worst >= bound;
}

/* Report the n_best best stored hypotheses (HF: stable sort ascending,
 * popped from the end, so the later of two equal scores comes first), drop
 * every other sequence. */
static int report(struct beam *b, const struct plume_search_api *api, struct plume_search *s,
		  struct plume_error *err)
{
	const struct plume_host *h = b->host;
	int taken[BEAM_MAX + 1] = {0};
	uint32_t n = b->n_best < b->n_hyps ? b->n_best : b->n_hyps;
	int rc;

	for (uint32_t r = 0; r < n; r++) {
		uint32_t best = UINT32_MAX;
		struct hyp *hp;

		for (uint32_t i = 0; i < b->n_hyps; i++)
			if (!taken[i] && (best == UINT32_MAX || b->hyps[i].score >= b->hyps[best].score))
				best = i;
		taken[best] = 1;
		hp = &b->hyps[best];
		if (hp->eos >= 0 && (rc = api->append(s, hp->seq, hp->eos)))
			return h->error(err, rc, "beam: append failed");
		rc = api->finish(s, hp->seq, hp->score, hp->eos >= 0 ? PLUME_STOP_EOG : PLUME_STOP_LENGTH);
		if (rc)
			return h->error(err, rc, "beam: finish failed");
	}
	for (uint32_t i = 0; i < b->n_hyps; i++)
		if (!taken[i] && (rc = api->drop(s, b->hyps[i].seq)))
			return h->error(err, rc, "beam: drop failed");
	for (uint32_t i = 0; i < b->n_run; i++)
		if (b->run[i] >= 0 && (rc = api->drop(s, b->run[i])))
			return h->error(err, rc, "beam: drop failed");
	b->n_hyps = 0;
	b->n_run = 0;
	return PLUME_FINISHED;
}

static int ensure_scratch(struct beam *b, size_t nv, uint32_t k, struct plume_error *err)
{
	const struct plume_host *h = b->host;

	if (b->lp_cap < nv) {
		float *p = h->realloc(b->lp, nv * sizeof(float));

		if (!p)
			return h->error(err, PLUME_ERR_NOMEM, "beam: out of memory");
		b->lp = p;
		b->lp_cap = nv;
	}
	if (b->cand_cap < k) {
		struct cand *c = h->realloc(b->cand, k * sizeof(*c));

		if (!c)
			return h->error(err, PLUME_ERR_NOMEM, "beam: out of memory");
		b->cand = c;
		b->cand_cap = k;
	}
	return PLUME_OK;
}

/* Top-K (beam, token) candidates over every running beam. */
static int collect(struct beam *b, const struct plume_search_api *api, struct plume_search *s,
		   uint32_t k, uint32_t *n_cand, struct plume_error *err)
{
	const struct plume_request *req = api->request(s);
	size_t nv = req->n_vocab;

	*n_cand = 0;
	for (uint32_t r = 0; r < b->n_run; r++) {
		const float *logits = api->logits(s, b->run[r]);
		float run_score = (float)api->score(s, b->run[r]);
		const int32_t *toks;
		uint32_t n_toks = 0;

		if (!logits)
			return b->host->error(err, PLUME_ERR_INTERNAL,
					      "beam: beam %u (sequence %d) has no logits", r, b->run[r]);
		memcpy(b->lp, logits, nv * sizeof(float));
		b->host->logits->log_softmax(b->lp, nv);
		toks = api->tokens(s, b->run[r], &n_toks, NULL);
		penalize(b, b->lp, nv, toks, n_toks);
		offer_row(b->cand, n_cand, k, b->lp, nv, run_score, r);
	}
	return PLUME_OK;
}

static int beam_step(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		     struct plume_error *err)
{
	struct beam *b = ctx;
	const struct plume_host *h = b->host;
	const struct plume_request *req = api->request(s);
	uint32_t n_eog = req->n_eog, k, n_cand, n_next = 0, gen, budget;
	uint32_t children[BEAM_MAX] = {0};
	int reused[BEAM_MAX] = {0};
	struct cand next[BEAM_MAX];
	int32_t parent_seq[BEAM_MAX], new_run[BEAM_MAX];
	int last, rc;

	if (!b->n_run) { /* first step: the prompt's sequence is beam 0 */
		if (api->n_live(s) < 1)
			return h->error(err, PLUME_ERR_INTERNAL, "beam: no live sequence at the first step");
		b->run[0] = api->live(s, 0);
		b->n_run = 1;
	}
	api->tokens(s, b->run[0], NULL, &gen);
	budget = req->max_tokens;
	k = (n_eog + 1 > 2 ? n_eog + 1 : 2) * b->beams;
	if ((rc = ensure_scratch(b, req->n_vocab, k, err)) ||
	    (rc = collect(b, api, s, k, &n_cand, err)))
		return rc;

	/* Walk the candidates in rank order. */
	for (uint32_t r = 0; r < n_cand && n_next < b->beams; r++) {
		struct cand *c = &b->cand[r];

		if (api->is_eog(s, c->tok)) {
			double score;
			int32_t fork, evicted;

			if (r >= b->beams)
				continue;
			score = (double)c->score / pow((double)(gen + 1), b->length_penalty);
			if (!(b->n_hyps < b->beams || score > b->worst))
				continue;
			if ((rc = api->fork(s, b->run[c->row], &fork)))
				return h->error(err, rc, "beam: fork failed");
			store_add(b, score, fork, c->tok, &evicted);
			if (evicted >= 0 && (rc = api->drop(s, evicted)))
				return h->error(err, rc, "beam: drop failed");
		} else {
			next[n_next++] = *c;
			children[c->row]++;
		}
	}
	if (n_next < b->beams && n_next < n_cand)
		return h->error(err, PLUME_ERR_INTERNAL, "beam: fewer than %u running candidates",
				b->beams);
	if (n_cand)
		b->done = store_done(b, (double)b->cand[0].score, gen + 1, budget);
	last = gen + 1 >= budget;

	/* New running beams: first child reuses the parent, others fork it
	 * (before anything is appended); childless parents are dropped. */
	for (uint32_t r = 0; r < b->n_run; r++)
		parent_seq[r] = b->run[r];
	for (uint32_t r = 0; r < b->n_run; r++)
		if (!children[r] || b->done) {
			if ((rc = api->drop(s, parent_seq[r])))
				return h->error(err, rc, "beam: drop failed");
			parent_seq[r] = -1;
		}
	if (b->done) {
		b->n_run = 0;
		return report(b, api, s, err);
	}
	for (uint32_t i = 0; i < n_next; i++) {
		uint32_t row = next[i].row;

		if (reused[row]) {
			if ((rc = api->fork(s, parent_seq[row], &new_run[i])))
				return h->error(err, rc, "beam: fork failed");
		} else {
			new_run[i] = -1; /* the parent itself, assigned below */
			reused[row] = 1;
		}
	}
	for (uint32_t i = 0; i < n_next; i++) {
		if (new_run[i] < 0)
			new_run[i] = parent_seq[next[i].row];
		api->set_score(s, new_run[i], (double)next[i].score);
		if ((rc = api->append(s, new_run[i], next[i].tok)))
			return h->error(err, rc, "beam: append failed");
	}
	memcpy(b->run, new_run, n_next * sizeof(int32_t));
	b->n_run = n_next;
	if (!last)
		return PLUME_OK;

	/* Token budget reached: the running beams join the store (finalize). */
	for (uint32_t i = 0; i < b->n_run; i++) {
		double score = (double)next[i].score / pow((double)(gen + 1), b->length_penalty);
		int32_t evicted;

		int32_t seq = b->run[i];

		b->run[i] = -1; /* owned by the store from here, or dropped */
		if (!store_add(b, score, seq, -1, &evicted))
			evicted = seq;
		if (evicted >= 0 && (rc = api->drop(s, evicted)))
			return h->error(err, rc, "beam: drop failed");
	}
	b->n_run = 0;
	return report(b, api, s, err);
}

static void beam_end(void *ctx, const struct plume_search_api *api, struct plume_search *s)
{
	struct beam *b = ctx;

	b->n_run = 0;
	b->n_hyps = 0;
}

static const struct plume_strategy_ops beam_ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = beam_create,
	.destroy = beam_destroy,
	.flags = beam_flags,
	.max_live = beam_max_live,
	.begin = beam_begin,
	.step = beam_step,
	.end = beam_end,
};

static const struct plume_plugin_desc beam_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "beam",
	.version = "1.0.0",
	.description = "beam search as Hugging Face transformers 4.47 (length penalty, early stopping, n-best)",
	.options = beam_options,
	.n_options = sizeof(beam_options) / sizeof(beam_options[0]),
	.option_size = sizeof(struct plume_option),
	.ops = &beam_ops,
};

PLUME_PLUGIN_DEFINE(beam_desc)
