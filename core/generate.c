/* Requests: prefill, then decode steps driven by the strategy through the
 * search API (plume/strategy.h); stop conditions (end of generation, token
 * budget, context, stop strings), UTF-8-safe streaming, metrics; and
 * teacher-forced evaluation. */
#include "engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum seq_state { SEQ_LIVE, SEQ_DONE };

struct seq {
	int32_t id;
	int state;
	int32_t *tokens;          /* prompt then generated */
	uint32_t n_tokens, cap;
	uint32_t n_prompt;
	uint32_t n_cached;        /* tokens whose K/V are in the cache */
	int pending;              /* tokens[n_tokens-1] awaits a forward */
	int has_logits;
	float *logits;            /* [n_vocab] */
	float *hidden;            /* [n_embd] with WANTS_HIDDEN */
	float *ctx_hidden;        /* [n_ctx_hidden][n_embd] with WANTS_HIDDEN */
	uint32_t n_ctx_hidden, ctx_hidden_cap;
	double score;
	struct plume_kv_table table;
	struct plume_kv_table swa_table; /* sliding-window layers' blocks (engine swa_window) */
	char *text;               /* generated text so far */
	size_t text_len, text_cap;
	size_t streamed;          /* bytes of text already streamed */
};

struct plume_search {
	struct plume_engine *e;
	const struct plume_gen_params *p;
	struct plume_request req;
	struct seq **seqs;        /* by id; NULL once dropped/finished */
	uint32_t n_seqs, cap_seqs;
	int32_t *live;            /* live ids in creation order */
	uint32_t n_live, live_cap;
	struct plume_hypothesis *hyps;
	size_t n_hyps, cap_hyps;
	size_t max_stop_len;
	int stream_id;            /* sequence whose text is streamed, -1 none */
	int want_hidden;
	struct plume_error *err;
	int api_error;            /* first error raised inside an API call */
	/* forward scratch */
	float *out_logits, *out_hidden;
	size_t out_cap_rows;
	uint32_t n_forward;
};

/* ---- sequences -------------------------------------------------------- */

static struct seq *seq_get(struct plume_search *s, int32_t id)
{
	if (id < 0 || (uint32_t)id >= s->n_seqs)
		return NULL;
	return s->seqs[id];
}

static int api_fail(struct plume_search *s, int status, const char *what, int32_t id)
{
	if (!s->api_error) {
		s->api_error = status;
		plume_error_set(s->err, status, "strategy %s: %s (sequence %d)",
				s->e->strategy ? s->e->strategy->desc.name : "?", what, id);
	}
	return status;
}

static void seq_free(struct plume_engine *e, struct seq *q)
{
	if (!q)
		return;
	plume_kv_table_release(&e->kv, &q->table);
	plume_kv_table_release(&e->kv_swa, &q->swa_table);
	free(q->tokens);
	free(q->logits);
	free(q->hidden);
	free(q->ctx_hidden);
	free(q->text);
	free(q);
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t c = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	np = realloc(*p, (size_t)c * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

static struct seq *seq_new(struct plume_search *s)
{
	const struct plume_model_desc *d = s->e->desc;
	struct seq *q = calloc(1, sizeof(*q));

	if (!q || grow((void **)&s->seqs, &s->cap_seqs, s->n_seqs + 1, sizeof(*s->seqs)))
		goto fail;
	q->logits = malloc((size_t)d->n_vocab * sizeof(float));
	if (!q->logits)
		goto fail;
	if (s->want_hidden && !(q->hidden = calloc(d->n_embd, sizeof(float))))
		goto fail;
	q->id = (int32_t)s->n_seqs;
	s->seqs[s->n_seqs++] = q;
	return q;
fail:
	seq_free(s->e, q);
	return NULL;
}

static int seq_push_token(struct seq *q, int32_t tok)
{
	if (grow((void **)&q->tokens, &q->cap, q->n_tokens + 1, sizeof(int32_t)))
		return -1;
	q->tokens[q->n_tokens++] = tok;
	return 0;
}

static int seq_push_text(struct seq *q, const char *t, size_t n)
{
	if (q->text_len + n + 1 > q->text_cap) {
		size_t c = q->text_cap ? q->text_cap : 64;
		char *nt;

		while (c < q->text_len + n + 1)
			c *= 2;
		nt = realloc(q->text, c);
		if (!nt)
			return -1;
		q->text = nt;
		q->text_cap = c;
	}
	memcpy(q->text + q->text_len, t, n);
	q->text_len += n;
	q->text[q->text_len] = '\0';
	return 0;
}

static void rebuild_live(struct plume_search *s)
{
	s->n_live = 0;
	for (uint32_t i = 0; i < s->n_seqs; i++)
		if (s->seqs[i] && s->seqs[i]->state == SEQ_LIVE)
			s->live[s->n_live++] = (int32_t)i;
}

/* ---- streaming -------------------------------------------------------- */

/* Bytes at the end of text that must be held back: an incomplete UTF-8
 * sequence, or a suffix that may be the start of a stop string. */
static size_t holdback(const struct plume_search *s, const struct seq *q)
{
	size_t hold = 0, n = q->text_len;

	/* incomplete UTF-8 tail */
	for (size_t k = 1; k <= 4 && k <= n; k++) {
		unsigned char c = (unsigned char)q->text[n - k];

		if ((c & 0xC0) == 0x80)
			continue;
		if (c >= 0xC0) {
			size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

			if (need > k)
				hold = k;
		}
		break;
	}
	for (size_t i = 0; i < s->p->n_stop; i++) {
		const char *st = s->p->stop[i];
		size_t sl = strlen(st);

		for (size_t k = sl - 1; k > hold && k >= 1; k--)
			if (k <= n && !memcmp(q->text + n - k, st, k)) {
				hold = k;
				break;
			}
	}
	return hold;
}

static void stream(struct plume_search *s, struct seq *q, int final)
{
	size_t upto;

	if (!s->p->on_text || q->id != s->stream_id)
		return;
	upto = final ? q->text_len : q->text_len - holdback(s, q);
	if (upto > q->streamed) {
		s->p->on_text(s->p->user, q->text + q->streamed, upto - q->streamed);
		q->streamed = upto;
	}
}

/* ---- finishing -------------------------------------------------------- */

static int finish_seq(struct plume_search *s, struct seq *q, double score, int reason)
{
	struct plume_hypothesis *h;
	size_t n_gen = q->n_tokens - q->n_prompt;

	if (s->n_hyps == s->cap_hyps) {
		size_t c = s->cap_hyps ? 2 * s->cap_hyps : 4;
		struct plume_hypothesis *nh = realloc(s->hyps, c * sizeof(*nh));

		if (!nh)
			return PLUME_ERR_NOMEM;
		s->hyps = nh;
		s->cap_hyps = c;
	}
	h = &s->hyps[s->n_hyps];
	memset(h, 0, sizeof(*h));
	h->ids = malloc((n_gen ? n_gen : 1) * sizeof(int32_t));
	h->text = malloc(q->text_len + 1);
	if (!h->ids || !h->text) {
		free(h->ids);
		free(h->text);
		return PLUME_ERR_NOMEM;
	}
	memcpy(h->ids, q->tokens + q->n_prompt, n_gen * sizeof(int32_t));
	h->n_ids = n_gen;
	memcpy(h->text, q->text ? q->text : "", q->text_len);
	h->text[q->text_len] = '\0';
	h->text_len = q->text_len;
	h->score = score;
	h->reason = reason;
	s->n_hyps++;
	stream(s, q, 1);
	q->state = SEQ_DONE;
	q->pending = 0;
	s->seqs[q->id] = NULL;
	seq_free(s->e, q);
	rebuild_live(s);
	return PLUME_OK;
}

/* ---- the search API --------------------------------------------------- */

static const struct plume_request *api_request(struct plume_search *s)
{
	return &s->req;
}

static uint32_t api_n_live(struct plume_search *s)
{
	return s->n_live;
}

static int32_t api_live(struct plume_search *s, uint32_t i)
{
	return i < s->n_live ? s->live[i] : -1;
}

static float *api_logits(struct plume_search *s, int32_t id)
{
	struct seq *q = seq_get(s, id);

	return q && q->has_logits && !q->pending ? q->logits : NULL;
}

static const float *api_hidden(struct plume_search *s, int32_t id)
{
	struct seq *q = seq_get(s, id);

	return q && s->want_hidden && q->has_logits && !q->pending ? q->hidden : NULL;
}

static const float *api_context_hidden(struct plume_search *s, int32_t id, uint32_t *n)
{
	struct seq *q = seq_get(s, id);

	if (!q || !s->want_hidden)
		return NULL;
	*n = q->n_ctx_hidden;
	return q->ctx_hidden;
}

static const int32_t *api_tokens(struct plume_search *s, int32_t id, uint32_t *n_tokens,
				 uint32_t *n_generated)
{
	struct seq *q = seq_get(s, id);

	if (!q)
		return NULL;
	if (n_tokens)
		*n_tokens = q->n_tokens;
	if (n_generated)
		*n_generated = q->n_tokens - q->n_prompt;
	return q->tokens;
}

static double api_score(struct plume_search *s, int32_t id)
{
	struct seq *q = seq_get(s, id);

	return q ? q->score : NAN;
}

static void api_set_score(struct plume_search *s, int32_t id, double score)
{
	struct seq *q = seq_get(s, id);

	if (q)
		q->score = score;
}

static int api_fork(struct plume_search *s, int32_t id, int32_t *child)
{
	const struct plume_model_desc *d = s->e->desc;
	struct seq *q = seq_get(s, id), *c;

	if (!q)
		return api_fail(s, PLUME_ERR_INVALID, "fork of an unknown sequence", id);
	if (q->pending)
		return api_fail(s, PLUME_ERR_INVALID, "fork of a sequence with a pending token", id);
	c = seq_new(s);
	q = seq_get(s, id); /* seqs may have moved */
	if (!c)
		return api_fail(s, PLUME_ERR_NOMEM, "out of memory forking", id);
	if (grow((void **)&c->tokens, &c->cap, q->n_tokens, sizeof(int32_t)) ||
	    seq_push_text(c, q->text ? q->text : "", q->text_len) ||
	    plume_kv_table_fork(&s->e->kv, &c->table, &q->table, s->err) ||
	    (s->e->swa_window &&
	     plume_kv_table_fork(&s->e->kv_swa, &c->swa_table, &q->swa_table, s->err)))
		return api_fail(s, PLUME_ERR_NOMEM, "out of memory forking", id);
	memcpy(c->tokens, q->tokens, q->n_tokens * sizeof(int32_t));
	c->n_tokens = q->n_tokens;
	c->n_prompt = q->n_prompt;
	c->n_cached = q->n_cached;
	c->has_logits = q->has_logits;
	memcpy(c->logits, q->logits, (size_t)d->n_vocab * sizeof(float));
	if (s->want_hidden) {
		memcpy(c->hidden, q->hidden, (size_t)d->n_embd * sizeof(float));
		if (grow((void **)&c->ctx_hidden, &c->ctx_hidden_cap, q->n_ctx_hidden,
			 (size_t)d->n_embd * sizeof(float)))
			return api_fail(s, PLUME_ERR_NOMEM, "out of memory forking", id);
		memcpy(c->ctx_hidden, q->ctx_hidden,
		       (size_t)q->n_ctx_hidden * d->n_embd * sizeof(float));
		c->n_ctx_hidden = q->n_ctx_hidden;
	}
	c->score = q->score;
	c->streamed = q->streamed;
	if (grow((void **)&s->live, &s->live_cap, s->n_seqs, sizeof(int32_t)))
		return api_fail(s, PLUME_ERR_NOMEM, "out of memory forking", id);
	rebuild_live(s);
	*child = c->id;
	return PLUME_OK;
}

static int api_append(struct plume_search *s, int32_t id, int32_t token)
{
	struct seq *q = seq_get(s, id);
	char *piece = NULL;
	size_t len = 0;
	int rc;

	if (!q)
		return api_fail(s, PLUME_ERR_INVALID, "append to an unknown sequence", id);
	if (q->pending)
		return api_fail(s, PLUME_ERR_INVALID, "second append in one step", id);
	if (token < 0 || (uint32_t)token >= s->e->desc->n_vocab)
		return api_fail(s, PLUME_ERR_INVALID, "append of a token outside the vocabulary", id);
	if (seq_push_token(q, token))
		return api_fail(s, PLUME_ERR_NOMEM, "out of memory", id);
	q->pending = 1;
	q->has_logits = 0;
	rc = plume_engine_piece(s->e, token, 0, &piece, &len, s->err);
	if (rc)
		return api_fail(s, rc, "cannot detokenize the appended token", id);
	rc = seq_push_text(q, piece, len);
	free(piece);
	if (rc)
		return api_fail(s, PLUME_ERR_NOMEM, "out of memory", id);
	return PLUME_OK;
}

static int api_drop(struct plume_search *s, int32_t id)
{
	struct seq *q = seq_get(s, id);

	if (!q)
		return api_fail(s, PLUME_ERR_INVALID, "drop of an unknown sequence", id);
	s->seqs[id] = NULL;
	seq_free(s->e, q);
	rebuild_live(s);
	return PLUME_OK;
}

static int api_finish(struct plume_search *s, int32_t id, double score, int reason)
{
	struct seq *q = seq_get(s, id);

	if (!q)
		return api_fail(s, PLUME_ERR_INVALID, "finish of an unknown sequence", id);
	if (finish_seq(s, q, score, reason))
		return api_fail(s, PLUME_ERR_NOMEM, "out of memory", id);
	return PLUME_OK;
}

static int api_is_eog(struct plume_search *s, int32_t token)
{
	if (s->p->ignore_eog)
		return 0;
	for (uint32_t i = 0; i < s->req.n_eog; i++)
		if (s->req.eog_ids[i] == token)
			return 1;
	return 0;
}

static const struct plume_search_api search_api = {
	.size = sizeof(struct plume_search_api),
	.abi_minor = PLUME_ABI_MINOR,
	.request = api_request,
	.n_live = api_n_live,
	.live = api_live,
	.logits = api_logits,
	.hidden = api_hidden,
	.context_hidden = api_context_hidden,
	.tokens = api_tokens,
	.score = api_score,
	.set_score = api_set_score,
	.fork = api_fork,
	.append = api_append,
	.drop = api_drop,
	.finish = api_finish,
	.is_eog = api_is_eog,
};

/* ---- forward ---------------------------------------------------------- */

struct fwd_item {
	struct seq *q;
	uint32_t first;   /* index into q->tokens of the first token to forward */
	uint32_t count;
	int want_logits;  /* logits (and hidden) of the last token */
};

static int ensure_out(struct plume_search *s, size_t rows)
{
	const struct plume_model_desc *d = s->e->desc;
	float *l, *h = NULL;

	if (rows <= s->out_cap_rows)
		return 0;
	l = realloc(s->out_logits, rows * d->n_vocab * sizeof(float));
	if (!l)
		return -1;
	s->out_logits = l;
	if (s->want_hidden) {
		h = realloc(s->out_hidden, rows * d->n_embd * sizeof(float));
		if (!h)
			return -1;
		s->out_hidden = h;
	}
	s->out_cap_rows = rows;
	return 0;
}

/* One backend forward over the items (each a run of one sequence's tokens).
 * Hidden states are returned for every token when the strategy wants them
 * (context hidden states), logits for the last token of wanting items. */
static int forward(struct plume_search *s, struct fwd_item *items, uint32_t n_items)
{
	struct plume_engine *e = s->e;
	const struct plume_model_desc *d = e->desc;
	uint32_t n_tok = 0, n_log = 0, t = 0, k = 0, n_copy = 0;
	struct plume_batch b = {.size = sizeof(b), .abi_minor = PLUME_ABI_MINOR};
	int32_t *tokens = NULL, *pos = NULL;
	uint32_t *seqi = NULL, *lidx = NULL, *hidx = NULL, *nblk = NULL, *csrc = NULL, *cdst = NULL;
	uint32_t *ssrc = NULL, *sdst = NULL, n_scopy = 0;
	const uint32_t **tables = NULL, **swa_tables = NULL;
	int rc = PLUME_ERR_NOMEM;

	for (uint32_t i = 0; i < n_items; i++) {
		n_tok += items[i].count;
		n_log += items[i].want_logits ? 1 : 0;
	}
	tokens = malloc(n_tok * sizeof(*tokens));
	pos = malloc(n_tok * sizeof(*pos));
	seqi = malloc(n_tok * sizeof(*seqi));
	hidx = malloc(n_tok * sizeof(*hidx));
	lidx = malloc((n_log ? n_log : 1) * sizeof(*lidx));
	tables = malloc(n_items * sizeof(*tables));
	nblk = malloc(n_items * sizeof(*nblk));
	csrc = malloc(n_tok * sizeof(*csrc));
	cdst = malloc(n_tok * sizeof(*cdst));
	if (e->swa_window) {
		swa_tables = malloc(n_items * sizeof(*swa_tables));
		ssrc = malloc(n_tok * sizeof(*ssrc));
		sdst = malloc(n_tok * sizeof(*sdst));
	}
	if (!tokens || !pos || !seqi || !hidx || !lidx || !tables || !nblk || !csrc || !cdst ||
	    (e->swa_window && (!swa_tables || !ssrc || !sdst)) ||
	    ensure_out(s, s->want_hidden ? n_tok : (n_log ? n_log : 1))) {
		plume_error_set(s->err, PLUME_ERR_NOMEM, "out of memory building a batch");
		goto out;
	}
	for (uint32_t i = 0; i < n_items; i++) {
		struct fwd_item *it = &items[i];

		for (uint32_t j = 0; j < it->count; j++, t++) {
			uint32_t p = it->q->n_cached + j;

			rc = plume_kv_prepare_write(&e->kv, &it->q->table, p, &csrc[n_copy],
						    &cdst[n_copy], s->err);
			if (rc)
				goto out;
			if (csrc[n_copy] != UINT32_MAX)
				n_copy++;
			if (e->swa_window) {
				rc = plume_kv_prepare_write(&e->kv_swa, &it->q->swa_table, p,
							    &ssrc[n_scopy], &sdst[n_scopy], s->err);
				if (rc)
					goto out;
				if (ssrc[n_scopy] != UINT32_MAX)
					n_scopy++;
			}
			tokens[t] = it->q->tokens[it->first + j];
			pos[t] = (int32_t)p;
			seqi[t] = i;
			hidx[t] = t;
		}
		if (it->want_logits)
			lidx[k++] = t - 1;
		tables[i] = it->q->table.ids;
		nblk[i] = it->q->table.n;
		if (e->swa_window)
			swa_tables[i] = it->q->swa_table.ids;
	}
	if (n_copy) {
		rc = e->backend->ops.backend.kv_copy(e->backend_ctx, csrc, cdst, n_copy, s->err);
		if (rc)
			goto out;
	}
	if (n_scopy) {
		rc = e->backend->ops.backend.kv_copy_swa(e->backend_ctx, ssrc, sdst, n_scopy, s->err);
		if (rc)
			goto out;
	}
	b.swa_block_tables = swa_tables;
	b.n_tokens = n_tok;
	b.tokens = tokens;
	b.positions = pos;
	b.seq = seqi;
	b.n_seqs = n_items;
	b.block_tables = tables;
	b.n_blocks = nblk;
	b.n_logits = n_log;
	b.logits_idx = lidx;
	b.logits = s->out_logits;
	if (s->want_hidden) {
		b.n_hidden = n_tok;
		b.hidden_idx = hidx;
		b.hidden = s->out_hidden;
	}
	rc = e->backend->ops.backend.forward(e->backend_ctx, &b, s->err);
	s->n_forward++;
	if (rc) {
		plume_error_prefix(s->err, "backend %s", e->backend->desc.name);
		goto out;
	}
	/* Scatter outputs to the sequences. */
	t = 0;
	k = 0;
	for (uint32_t i = 0; i < n_items; i++) {
		struct fwd_item *it = &items[i];
		struct seq *q = it->q;

		if (s->want_hidden) {
			if (grow((void **)&q->ctx_hidden, &q->ctx_hidden_cap,
				 q->n_ctx_hidden + it->count, (size_t)d->n_embd * sizeof(float))) {
				rc = plume_error_set(s->err, PLUME_ERR_NOMEM, "out of memory");
				goto out;
			}
			memcpy(q->ctx_hidden + (size_t)q->n_ctx_hidden * d->n_embd,
			       s->out_hidden + (size_t)t * d->n_embd,
			       (size_t)it->count * d->n_embd * sizeof(float));
			q->n_ctx_hidden += it->count;
			memcpy(q->hidden, s->out_hidden + (size_t)(t + it->count - 1) * d->n_embd,
			       (size_t)d->n_embd * sizeof(float));
		}
		t += it->count;
		q->n_cached += it->count;
		/* the next query (position n_cached) sees positions from
		 * n_cached + 1 - window on: release the blocks below */
		if (e->swa_window && q->n_cached + 1 > e->swa_window)
			plume_kv_table_trim(&e->kv_swa, &q->swa_table, q->n_cached + 1 - e->swa_window);
		if (it->want_logits) {
			memcpy(q->logits, s->out_logits + (size_t)k++ * d->n_vocab,
			       (size_t)d->n_vocab * sizeof(float));
			q->has_logits = 1;
		}
		if (q->n_cached == q->n_tokens)
			q->pending = 0;
	}
	rc = PLUME_OK;
out:
	free(tokens);
	free(pos);
	free(seqi);
	free(hidx);
	free(lidx);
	free(tables);
	free(nblk);
	free(csrc);
	free(cdst);
	free(swa_tables);
	free(ssrc);
	free(sdst);
	return rc;
}

/* Prefill the prompt of sequence q in chunks of n_batch tokens. */
static int prefill(struct plume_search *s, struct seq *q)
{
	while (q->n_cached < q->n_tokens) {
		uint32_t left = q->n_tokens - q->n_cached;
		uint32_t n = left < s->e->n_batch ? left : s->e->n_batch;
		struct fwd_item it = {q, q->n_cached, n, n == left};
		int rc = forward(s, &it, 1);

		if (rc)
			return rc;
	}
	return PLUME_OK;
}

/* ---- stop checks after a step ---------------------------------------- */

static int check_stops(struct plume_search *s, struct seq *q, int *stopped)
{
	uint32_t n_gen = q->n_tokens - q->n_prompt;

	*stopped = 0;
	for (size_t i = 0; i < s->p->n_stop; i++) {
		const char *st = s->p->stop[i];
		size_t sl = strlen(st);
		/* only the tail that the last piece could have completed */
		size_t from = q->text_len > sl + 64 ? q->text_len - sl - 64 : 0;
		char *hit;

		if (!sl)
			continue;
		hit = strstr(q->text ? q->text + from : "", st);
		if (hit) {
			q->text_len = (size_t)(hit - q->text);
			q->text[q->text_len] = '\0';
			if (q->streamed > q->text_len)
				q->streamed = q->text_len;
			*stopped = 1;
			return finish_seq(s, q, q->score, PLUME_STOP_STRING);
		}
	}
	if (n_gen >= s->p->max_tokens || q->n_tokens >= s->e->n_ctx) {
		*stopped = 1;
		return finish_seq(s, q, q->score, PLUME_STOP_LENGTH);
	}
	return PLUME_OK;
}

/* ---- the request ------------------------------------------------------ */

static double ms_since(const struct plume_host *h, uint64_t t0)
{
	return (double)(h->now_ns() - t0) / 1e6;
}

static int cmp_hyp(const void *a, const void *b)
{
	const struct plume_hypothesis *x = a, *y = b;

	if (x->score > y->score)
		return -1;
	if (x->score < y->score)
		return 1;
	return 0;
}

static void search_free(struct plume_search *s)
{
	for (uint32_t i = 0; i < s->n_seqs; i++)
		seq_free(s->e, s->seqs[i]);
	free(s->seqs);
	free(s->live);
	free(s->out_logits);
	free(s->out_hidden);
}

int plume_engine_generate(struct plume_engine *e, const struct plume_gen_params *p,
			  struct plume_gen_result *res, struct plume_error *err)
{
	const struct plume_strategy_ops *st = &e->strategy->ops.strategy;
	const struct plume_host *h = e->host;
	struct plume_search s = {0};
	struct fwd_item *items = NULL;
	uint32_t items_cap = 0;
	struct seq *q0;
	uint64_t t0, t_first = 0;
	double prefill_ms;
	int rc, began = 0;

	memset(res, 0, sizeof(*res));
	if (!p->n_prompt)
		return plume_error_set(err, PLUME_ERR_INVALID, "empty prompt (no tokens)");
	if (p->n_prompt >= e->n_ctx)
		return plume_error_set(err, PLUME_ERR_RANGE,
				       "prompt is %zu tokens, longer than the context of %u (model.context): shorten the prompt or raise model.context",
				       p->n_prompt, e->n_ctx);
	s.e = e;
	s.p = p;
	s.err = err;
	s.want_hidden = !!(e->strategy_flags & PLUME_STRATEGY_WANTS_HIDDEN);
	s.stream_id = e->max_live == 1 ? 0 : -1;
	s.req.size = sizeof(s.req);
	s.req.abi_minor = PLUME_ABI_MINOR;
	s.req.prompt = p->prompt;
	s.req.n_prompt = (uint32_t)p->n_prompt;
	s.req.max_tokens = p->max_tokens < e->n_ctx - (uint32_t)p->n_prompt
				   ? p->max_tokens
				   : e->n_ctx - (uint32_t)p->n_prompt;
	s.req.eog_ids = e->tok_info.eog_ids;
	s.req.n_eog = p->ignore_eog ? 0 : e->tok_info.n_eog;
	s.req.seed = p->seed;
	s.req.n_vocab = e->desc->n_vocab;
	s.req.n_embd = e->desc->n_embd;

	q0 = seq_new(&s);
	if (!q0 || grow((void **)&q0->tokens, &q0->cap, (uint32_t)p->n_prompt, sizeof(int32_t)) ||
	    grow((void **)&s.live, &s.live_cap, 1, sizeof(int32_t))) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(q0->tokens, p->prompt, p->n_prompt * sizeof(int32_t));
	q0->n_tokens = q0->n_prompt = (uint32_t)p->n_prompt;
	rebuild_live(&s);

	t0 = h->now_ns();
	rc = prefill(&s, q0);
	if (rc)
		goto out;
	prefill_ms = ms_since(h, t0);
	if (p->max_tokens == 0)
		goto done;
	if (st->begin) {
		rc = st->begin(e->strategy_ctx, &search_api, &s, err);
		began = 1;
		if (rc || s.api_error)
			goto strategy_error;
	}
	for (;;) {
		uint32_t n_items = 0;
		int step_rc = st->step(e->strategy_ctx, &search_api, &s, err);

		if (step_rc < 0 || s.api_error) {
			rc = step_rc;
			goto strategy_error;
		}
		if (!t_first)
			t_first = h->now_ns();
		/* Stop checks on every sequence that received a token. */
		for (uint32_t i = 0; i < s.n_seqs; i++) {
			struct seq *q = s.seqs[i];
			int stopped;

			if (!q || q->state != SEQ_LIVE || !q->pending)
				continue;
			if (e->strategy_flags & PLUME_STRATEGY_LOOKAHEAD)
				continue; /* candidates: the strategy finishes them */
			if (check_stops(&s, q, &stopped)) {
				rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (!stopped)
				stream(&s, q, 0);
		}
		/* FINISHED: sequences the strategy left live are dropped. */
		if (step_rc == PLUME_FINISHED || s.n_live == 0)
			break;
		if (grow((void **)&items, &items_cap, s.n_seqs, sizeof(*items))) {
			rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < s.n_seqs; i++) {
			struct seq *q = s.seqs[i];

			if (q && q->state == SEQ_LIVE && q->pending)
				items[n_items++] = (struct fwd_item){q, q->n_cached, 1, 1};
		}
		if (!n_items) {
			rc = plume_error_set(err, PLUME_ERR_INTERNAL,
					     "strategy %s made no progress: %u live sequences, none appended a token",
					     e->strategy->desc.name, s.n_live);
			goto out;
		}
		rc = forward(&s, items, n_items);
		if (rc)
			goto out;
	}
done:
	if (!s.n_hyps && p->max_tokens == 0) {
		rc = finish_seq(&s, q0, 0.0, PLUME_STOP_LENGTH);
		if (rc)
			goto out;
	}
	if (!s.n_hyps) {
		rc = plume_error_set(err, PLUME_ERR_INTERNAL, "strategy %s finished no sequence",
				     e->strategy->desc.name);
		goto out;
	}
	qsort(s.hyps, s.n_hyps, sizeof(*s.hyps), cmp_hyp);
	{
		struct plume_gen_metrics *m = &res->metrics;
		struct rusage ru;
		double total_ms = ms_since(h, t0);

		m->n_prompt = (uint32_t)p->n_prompt;
		m->n_gen = (uint32_t)s.hyps[0].n_ids;
		m->prefill_ms = prefill_ms;
		m->prefill_tps = prefill_ms > 0 ? p->n_prompt / (prefill_ms / 1e3) : 0;
		m->ttft_ms = t_first ? (double)(t_first - t0) / 1e6 : total_ms;
		m->decode_ms = total_ms - m->ttft_ms;
		m->tpot_ms = m->n_gen > 1 ? m->decode_ms / (m->n_gen - 1) : 0;
		m->decode_tps = m->decode_ms > 0 && m->n_gen > 1 ? (m->n_gen - 1) / (m->decode_ms / 1e3) : 0;
		m->n_forward = s.n_forward;
		m->kv_blocks_peak = e->kv.peak_used;
		m->kv_blocks_total = e->kv.n_blocks;
		m->kv_block_size = e->kv.block_size;
		m->kv_swa_blocks_peak = e->kv_swa.peak_used;
		m->kv_swa_blocks_total = e->kv_swa.n_blocks;
		if (!getrusage(RUSAGE_SELF, &ru))
			m->peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024;
	}
	res->hyps = s.hyps;
	res->n_hyps = s.n_hyps;
	s.hyps = NULL;
	rc = PLUME_OK;
	goto out;
strategy_error:
	if (!rc)
		rc = s.api_error ? s.api_error : PLUME_ERR_INTERNAL;
	if (!s.api_error)
		plume_error_prefix(err, "strategy %s", e->strategy->desc.name);
out:
	if (began && st->end)
		st->end(e->strategy_ctx, &search_api, &s);
	free(items);
	for (size_t i = 0; s.hyps && i < s.n_hyps; i++) {
		free(s.hyps[i].ids);
		free(s.hyps[i].text);
	}
	free(s.hyps);
	search_free(&s);
	e->kv.peak_used = 0;
	return rc;
}

void plume_gen_result_free(struct plume_gen_result *res)
{
	for (size_t i = 0; i < res->n_hyps; i++) {
		free(res->hyps[i].ids);
		free(res->hyps[i].text);
	}
	free(res->hyps);
	memset(res, 0, sizeof(*res));
}

/* ---- teacher-forced evaluation --------------------------------------- */

int plume_engine_eval(struct plume_engine *e, const int32_t *ids, size_t n_ids,
		      plume_logits_fn on_logits, void *user, struct plume_error *err)
{
	return plume_engine_eval_from(e, ids, n_ids, 0, on_logits, user, err);
}

int plume_engine_eval_from(struct plume_engine *e, const int32_t *ids, size_t n_ids,
			   size_t from, plume_logits_fn on_logits, void *user,
			   struct plume_error *err)
{
	const struct plume_model_desc *d = e->desc;
	struct plume_kv_table table = {0}, swa_table = {0};
	uint32_t *lidx = NULL, *seqi = NULL;
	int32_t *pos = NULL;
	float *logits = NULL;
	size_t done = 0;
	int rc = PLUME_OK;

	if (!n_ids || n_ids > e->n_ctx)
		return plume_error_set(err, PLUME_ERR_RANGE, "eval: %zu tokens, the context holds %u",
				       n_ids, e->n_ctx);
	for (size_t i = 0; i < n_ids; i++)
		if (ids[i] < 0 || (uint32_t)ids[i] >= d->n_vocab)
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "eval: token %d at %zu outside the vocabulary (%u)",
					       ids[i], i, d->n_vocab);
	lidx = malloc(e->n_batch * sizeof(*lidx));
	seqi = calloc(e->n_batch, sizeof(*seqi));
	pos = malloc(e->n_batch * sizeof(*pos));
	logits = malloc((size_t)e->n_batch * d->n_vocab * sizeof(float));
	if (!lidx || !seqi || !pos || !logits) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (done < n_ids) {
		uint32_t n = (uint32_t)(n_ids - done < e->n_batch ? n_ids - done : e->n_batch);
		struct plume_batch b = {.size = sizeof(b), .abi_minor = PLUME_ABI_MINOR};
		const uint32_t *tables[1], *swa_tables[1];
		uint32_t nblk[1];
		uint32_t n_log = 0, l0;

		for (uint32_t j = 0; j < n; j++) {
			uint32_t cs, cd;

			rc = plume_kv_prepare_write(&e->kv, &table, (uint32_t)(done + j), &cs, &cd, err);
			if (!rc && e->swa_window)
				rc = plume_kv_prepare_write(&e->kv_swa, &swa_table, (uint32_t)(done + j),
							    &cs, &cd, err);
			if (rc)
				goto out;
			if (done + j >= from)
				lidx[n_log++] = j;
			pos[j] = (int32_t)(done + j);
		}
		l0 = n - n_log; /* logits rows are the batch's last n_log tokens */
		tables[0] = table.ids;
		nblk[0] = table.n;
		swa_tables[0] = swa_table.ids;
		if (e->swa_window)
			b.swa_block_tables = swa_tables;
		b.n_tokens = n;
		b.tokens = ids + done;
		b.positions = pos;
		b.seq = seqi;
		b.n_seqs = 1;
		b.block_tables = tables;
		b.n_blocks = nblk;
		b.n_logits = n_log;
		b.logits_idx = lidx;
		b.logits = logits;
		rc = e->backend->ops.backend.forward(e->backend_ctx, &b, err);
		if (rc) {
			plume_error_prefix(err, "backend %s", e->backend->desc.name);
			goto out;
		}
		for (uint32_t j = 0; j < n_log; j++) {
			rc = on_logits(user, done + l0 + j, logits + (size_t)j * d->n_vocab, d->n_vocab);
			if (rc)
				goto out;
		}
		done += n;
		if (e->swa_window && done + 1 > e->swa_window)
			plume_kv_table_trim(&e->kv_swa, &swa_table, (uint32_t)(done + 1 - e->swa_window));
	}
out:
	plume_kv_table_release(&e->kv, &table);
	plume_kv_table_release(&e->kv_swa, &swa_table);
	free(lidx);
	free(seqi);
	free(pos);
	free(logits);
	return rc;
}
