/* Stochastic sampling with llama.cpp's sampler chain, built from the host's
 * logits toolkit (docs/strategies.md). Per step and per live sequence:
 * penalties on the full logits vector (repetition: Hugging Face rule over
 * the whole sequence; presence/frequency: over the last penalty_last_n
 * tokens), then the candidate filters in `order`, then one draw from the
 * sequence's own generator (seed + sequence index). With n > 1, sequence 0
 * is forked n-1 times at the first step, so every sample shares the
 * prompt's KV blocks. A sequence's score is the sum of the chosen tokens'
 * log-probabilities under the model (before penalties, filters and
 * temperature). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "plume/strategy.h"
#include "logprob.h"

#define SMP_MAX_N 64

enum smp_filter {
	F_TOP_K,
	F_TYPICAL_P,
	F_TOP_P,
	F_MIN_P,
	F_TEMPERATURE,
	F_COUNT,
};

static const char *const filter_names[F_COUNT] = {
	[F_TOP_K] = "top_k",
	[F_TYPICAL_P] = "typical_p",
	[F_TOP_P] = "top_p",
	[F_MIN_P] = "min_p",
	[F_TEMPERATURE] = "temperature",
};

struct smp_slot {
	int32_t seq;             /* sequence id, -1 once finished */
	struct plume_rng *rng;
};

struct sampling {
	const struct plume_host *host;
	/* options */
	float temperature, top_p, min_p, typical_p;
	int32_t top_k;
	float repeat_penalty, presence_penalty, frequency_penalty;
	int64_t penalty_last_n;
	uint32_t n;
	enum smp_filter order[F_COUNT];
	uint32_t n_order;
	/* per-context buffers, grown at the first step of a request */
	struct plume_candidate *cand;
	float *raw;              /* unpenalized logits, when penalties are on */
	size_t cap;
	/* per-request state */
	int started;
	uint32_t n_slots;
	struct smp_slot slots[SMP_MAX_N];
};

static const struct plume_option sampling_options[] = {
	{"temperature", PLUME_OPT_FLOAT, "0.8", 0, 100, NULL,
	 "softmax temperature applied at its place in `order`; 0 = greedy (the most likely survivor)"},
	{"top_k", PLUME_OPT_INT, "40", 0, 2147483647.0, NULL,
	 "keep the k most likely tokens; 0 = off"},
	{"top_p", PLUME_OPT_FLOAT, "0.95", 0, 1, NULL,
	 "nucleus: keep the smallest set of tokens whose probability reaches p; 1 = off"},
	{"min_p", PLUME_OPT_FLOAT, "0.05", 0, 1, NULL,
	 "keep tokens with probability >= min_p times the most likely one's; 0 = off"},
	{"typical_p", PLUME_OPT_FLOAT, "1.0", 0, 1, NULL,
	 "locally typical sampling mass; 1 = off"},
	{"order", PLUME_OPT_STRING, "top_k,typical_p,top_p,min_p,temperature", 1, 0, NULL,
	 "comma-separated filter chain from top_k, typical_p, top_p, min_p, temperature (llama.cpp's order by default)"},
	{"n", PLUME_OPT_INT, "1", 1, SMP_MAX_N, NULL,
	 "independent samples drawn in parallel, sharing the prompt's KV blocks"},
	{"repeat_penalty", PLUME_OPT_FLOAT, "1.0", 0, 10, NULL,
	 "Hugging Face repetition penalty over the whole sequence (prompt and output); 1 = off"},
	{"presence_penalty", PLUME_OPT_FLOAT, "0", -2, 2, NULL,
	 "subtracted from the logit of every token present in the last penalty_last_n tokens; 0 = off"},
	{"frequency_penalty", PLUME_OPT_FLOAT, "0", -2, 2, NULL,
	 "subtracted per occurrence in the last penalty_last_n tokens; 0 = off"},
	{"penalty_last_n", PLUME_OPT_INT, "64", -1, 16777216.0, NULL,
	 "window of the presence and frequency penalties, in tokens; -1 = the whole sequence, 0 = off"},
};

#define N_OPTIONS (sizeof(sampling_options) / sizeof(sampling_options[0]))

/* Parse `order` into s->order; the error names the offending entry. */
static int parse_order(struct sampling *s, const char *text, struct plume_error *err)
{
	const struct plume_host *h = s->host;
	const char *p = text;

	s->n_order = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *b = p, *e = p + len;
		int found = -1;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == b)
			return h->error(err, PLUME_ERR_INVALID,
					"sampling: order = '%s': empty entry (expected a comma-separated list of top_k, typical_p, top_p, min_p, temperature)",
					text);
		for (int f = 0; f < F_COUNT; f++)
			if (strlen(filter_names[f]) == (size_t)(e - b) &&
			    !strncmp(filter_names[f], b, (size_t)(e - b)))
				found = f;
		if (found < 0)
			return h->error(err, PLUME_ERR_INVALID,
					"sampling: order: unknown sampler '%.*s' (expected top_k, typical_p, top_p, min_p or temperature)",
					(int)(e - b), b);
		for (uint32_t i = 0; i < s->n_order; i++)
			if (s->order[i] == (enum smp_filter)found)
				return h->error(err, PLUME_ERR_INVALID,
						"sampling: order: sampler '%s' listed twice",
						filter_names[found]);
		s->order[s->n_order++] = (enum smp_filter)found;
		if (!comma)
			break;
		p = comma + 1;
		if (!*p)
			return h->error(err, PLUME_ERR_INVALID,
					"sampling: order = '%s': empty entry after the last comma", text);
	}
	return PLUME_OK;
}

static int get_float(const struct plume_host *h, const struct plume_config *cfg, const char *key,
		     float *out, struct plume_error *err)
{
	double v;
	int rc = h->config_float(cfg, key, &v);

	if (rc)
		return h->error(err, rc, "sampling: cannot read option %s", key);
	*out = (float)v;
	return PLUME_OK;
}

static int get_int(const struct plume_host *h, const struct plume_config *cfg, const char *key,
		   int64_t *out, struct plume_error *err)
{
	int rc = h->config_int(cfg, key, out);

	if (rc)
		return h->error(err, rc, "sampling: cannot read option %s", key);
	return PLUME_OK;
}

static void sampling_destroy(void *ctx);

static int sampling_create(const struct plume_host *host, const struct plume_config *cfg,
			   const struct plume_engine_params *params, void **ctx,
			   struct plume_error *err)
{
	struct sampling *s = host->calloc(1, sizeof(*s));
	const char *order;
	int64_t top_k, n;
	int rc;

	if (!s)
		return host->error(err, PLUME_ERR_NOMEM, "sampling: out of memory");
	s->host = host;
	if ((rc = get_float(host, cfg, "temperature", &s->temperature, err)) ||
	    (rc = get_float(host, cfg, "top_p", &s->top_p, err)) ||
	    (rc = get_float(host, cfg, "min_p", &s->min_p, err)) ||
	    (rc = get_float(host, cfg, "typical_p", &s->typical_p, err)) ||
	    (rc = get_float(host, cfg, "repeat_penalty", &s->repeat_penalty, err)) ||
	    (rc = get_float(host, cfg, "presence_penalty", &s->presence_penalty, err)) ||
	    (rc = get_float(host, cfg, "frequency_penalty", &s->frequency_penalty, err)) ||
	    (rc = get_int(host, cfg, "top_k", &top_k, err)) ||
	    (rc = get_int(host, cfg, "n", &n, err)) ||
	    (rc = get_int(host, cfg, "penalty_last_n", &s->penalty_last_n, err)))
		goto fail;
	/* The host validated the ranges; checked again so a bad host cannot
	 * overrun the slot table. */
	if (n < 1 || n > SMP_MAX_N) {
		rc = host->error(err, PLUME_ERR_INVALID, "sampling: n = %lld: out of range [1, %d]",
				 (long long)n, SMP_MAX_N);
		goto fail;
	}
	if (top_k < 0 || top_k > INT32_MAX) {
		rc = host->error(err, PLUME_ERR_INVALID, "sampling: top_k = %lld: out of range",
				 (long long)top_k);
		goto fail;
	}
	s->top_k = (int32_t)top_k;
	s->n = (uint32_t)n;
	rc = host->config_string(cfg, "order", &order);
	if (rc) {
		rc = host->error(err, rc, "sampling: cannot read option order");
		goto fail;
	}
	if ((rc = parse_order(s, order ? order : "", err)))
		goto fail;
	*ctx = s;
	return PLUME_OK;
fail:
	sampling_destroy(s);
	return rc;
}

static void release_slots(struct sampling *s)
{
	for (uint32_t i = 0; i < s->n_slots; i++)
		if (s->slots[i].rng) {
			s->host->logits->rng_destroy(s->slots[i].rng);
			s->slots[i].rng = NULL;
		}
	s->n_slots = 0;
	s->started = 0;
}

static void sampling_destroy(void *ctx)
{
	struct sampling *s = ctx;

	if (!s)
		return;
	release_slots(s);
	s->host->free(s->cand);
	s->host->free(s->raw);
	s->host->free(s);
}

static uint32_t sampling_flags(void *ctx)
{
	return 0;
}

static uint32_t sampling_max_live(void *ctx)
{
	return ((struct sampling *)ctx)->n;
}

static int sampling_begin(void *ctx, const struct plume_search_api *api, struct plume_search *srch,
			  struct plume_error *err)
{
	release_slots(ctx);
	return PLUME_OK;
}

static void sampling_end(void *ctx, const struct plume_search_api *api, struct plume_search *srch)
{
	release_slots(ctx);
}

static int penalties_on(const struct sampling *s)
{
	return (s->repeat_penalty != 1.0f && s->repeat_penalty > 0.0f) ||
	       (s->penalty_last_n != 0 &&
		(s->presence_penalty != 0.0f || s->frequency_penalty != 0.0f));
}

/* First step of a request: buffers, forks, one generator per sample. */
static int start(struct sampling *s, const struct plume_search_api *api, struct plume_search *srch,
		 struct plume_error *err)
{
	const struct plume_host *h = s->host;
	const struct plume_request *req = api->request(srch);
	size_t nv = req->n_vocab;
	int32_t seq0;
	int rc;

	if (!nv)
		return h->error(err, PLUME_ERR_INVALID, "sampling: empty vocabulary");
	if (s->cap < nv) {
		h->free(s->cand);
		h->free(s->raw);
		s->raw = NULL;
		s->cap = 0;
		s->cand = h->alloc(nv * sizeof(*s->cand));
		if (!s->cand)
			return h->error(err, PLUME_ERR_NOMEM,
					"sampling: out of memory for %zu candidates", nv);
		if (penalties_on(s)) {
			s->raw = h->alloc(nv * sizeof(*s->raw));
			if (!s->raw)
				return h->error(err, PLUME_ERR_NOMEM,
						"sampling: out of memory for %zu logits", nv);
		}
		s->cap = nv;
	}
	if (api->n_live(srch) < 1)
		return h->error(err, PLUME_ERR_INTERNAL, "sampling: no live sequence at the first step");
	seq0 = api->live(srch, 0);
	s->slots[0].seq = seq0;
	s->n_slots = 1;
	for (uint32_t i = 1; i < s->n; i++) {
		int32_t child;

		rc = api->fork(srch, seq0, &child);
		if (rc)
			return h->error(err, rc, "sampling: fork %u of %u failed", i, s->n - 1);
		s->slots[s->n_slots++].seq = child;
	}
	for (uint32_t i = 0; i < s->n_slots; i++) {
		rc = h->logits->rng_create(req->seed + i, &s->slots[i].rng);
		if (rc)
			return h->error(err, rc, "sampling: cannot create the random generator");
	}
	s->started = 1;
	return PLUME_OK;
}

static int is_live(const struct plume_search_api *api, struct plume_search *srch, int32_t seq)
{
	uint32_t n = api->n_live(srch);

	for (uint32_t i = 0; i < n; i++)
		if (api->live(srch, i) == seq)
			return 1;
	return 0;
}

static void run_filter(const struct sampling *s, enum smp_filter f, struct plume_candidates *c)
{
	const struct plume_logits_api *L = s->host->logits;

	switch (f) {
	case F_TOP_K:
		L->top_k(c, s->top_k);
		break;
	case F_TYPICAL_P:
		L->typical(c, s->typical_p, 1);
		break;
	case F_TOP_P:
		L->top_p(c, s->top_p, 1);
		break;
	case F_MIN_P:
		L->min_p(c, s->min_p, 1);
		break;
	case F_TEMPERATURE:
		L->temperature(c, s->temperature);
		break;
	default:
		break;
	}
}

/* One token for one sample. */
static int sample_one(struct sampling *s, const struct plume_search_api *api,
		      struct plume_search *srch, struct smp_slot *slot, struct plume_error *err)
{
	const struct plume_host *h = s->host;
	const struct plume_logits_api *L = h->logits;
	size_t nv = api->request(srch)->n_vocab;
	float *logits = api->logits(srch, slot->seq);
	const float *model = logits;
	struct plume_candidates c;
	const int32_t *toks;
	uint32_t n_toks = 0, first;
	int32_t tok;
	int rc;

	if (!logits)
		return PLUME_OK; /* pending or paused: nothing to draw this step */
	if (nv > s->cap)
		return h->error(err, PLUME_ERR_INTERNAL, "sampling: vocabulary grew within a request");
	toks = api->tokens(srch, slot->seq, &n_toks, NULL);
	if (!toks)
		n_toks = 0;
	if (s->raw && penalties_on(s)) {
		memcpy(s->raw, logits, nv * sizeof(float));
		model = s->raw;
		if (s->repeat_penalty != 1.0f && s->repeat_penalty > 0.0f)
			L->repetition_penalty(logits, nv, toks, n_toks, s->repeat_penalty);
		if (s->penalty_last_n != 0 &&
		    (s->presence_penalty != 0.0f || s->frequency_penalty != 0.0f)) {
			uint32_t w = n_toks;

			if (s->penalty_last_n > 0 && (uint64_t)s->penalty_last_n < w)
				w = (uint32_t)s->penalty_last_n;
			L->presence_frequency_penalty(logits, nv, toks + (n_toks - w), w,
						      s->presence_penalty, s->frequency_penalty);
		}
	}
	c.data = s->cand;
	c.n = nv;
	c.sorted = 0;
	first = 0;
	if (s->n_order && s->order[0] == F_TOP_K && PLUME_LOGITS_HAS(L, candidates_top_k)) {
		/* the chain opens with top_k (llama.cpp's order): one pass
		 * keeps the k best instead of a full candidate array */
		L->candidates_top_k(&c, logits, nv, s->top_k);
		first = 1;
	} else {
		L->candidates_init(&c, logits, nv);
	}
	for (uint32_t i = first; i < s->n_order; i++)
		run_filter(s, s->order[i], &c);
	tok = L->sample(&c, slot->rng);
	if (tok < 0 || (size_t)tok >= nv)
		return h->error(err, PLUME_ERR_INTERNAL,
				"sampling: no candidate left to draw from (sequence %d)", slot->seq);
	api->set_score(srch, slot->seq,
		       api->score(srch, slot->seq) + strategy_token_logprob(L, model, nv, tok));
	rc = api->append(srch, slot->seq, tok);
	if (rc)
		return h->error(err, rc, "sampling: append failed (sequence %d)", slot->seq);
	if (api->is_eog(srch, tok)) {
		rc = api->finish(srch, slot->seq, api->score(srch, slot->seq), PLUME_STOP_EOG);
		if (rc)
			return h->error(err, rc, "sampling: finish failed (sequence %d)", slot->seq);
		L->rng_destroy(slot->rng);
		slot->rng = NULL;
		slot->seq = -1;
	}
	return PLUME_OK;
}

static int sampling_step(void *ctx, const struct plume_search_api *api, struct plume_search *srch,
			 struct plume_error *err)
{
	struct sampling *s = ctx;
	int rc;

	if (!s->started && (rc = start(s, api, srch, err)))
		return rc;
	for (uint32_t i = 0; i < s->n_slots; i++) {
		struct smp_slot *slot = &s->slots[i];

		if (slot->seq < 0)
			continue;
		/* The host may have finished it (token budget, stop string). */
		if (!is_live(api, srch, slot->seq)) {
			if (slot->rng)
				s->host->logits->rng_destroy(slot->rng);
			slot->rng = NULL;
			slot->seq = -1;
			continue;
		}
		if ((rc = sample_one(s, api, srch, slot, err)))
			return rc;
	}
	return api->n_live(srch) ? PLUME_OK : PLUME_FINISHED;
}

static const struct plume_strategy_ops sampling_ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = sampling_create,
	.destroy = sampling_destroy,
	.flags = sampling_flags,
	.max_live = sampling_max_live,
	.begin = sampling_begin,
	.step = sampling_step,
	.end = sampling_end,
};

static const struct plume_plugin_desc sampling_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_STRATEGY,
	.name = "sampling",
	.version = "1.0.0",
	.description = "stochastic sampling: penalties, llama.cpp's filter chain, n parallel samples",
	.options = sampling_options,
	.n_options = N_OPTIONS,
	.option_size = sizeof(struct plume_option),
	.ops = &sampling_ops,
};

PLUME_PLUGIN_DEFINE(sampling_desc)
