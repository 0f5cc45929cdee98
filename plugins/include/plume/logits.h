/* plume plugin ABI: the logits toolkit the host exports to every strategy
 * (host->logits). Third-party strategies reuse these instead of rewriting
 * them; their semantics are documented in docs/strategies.md and follow
 * reference/strategies.md (Hugging Face for the repetition penalty and
 * no-repeat n-gram; llama.cpp for presence/frequency penalties and the
 * candidate filters).
 *
 * Two shapes of data: a full vocabulary vector of logits (penalties, bias,
 * argmax, softmax) and a candidate array that filters shrink (llama.cpp's
 * sampler chain). */
#ifndef PLUME_LOGITS_H
#define PLUME_LOGITS_H

#include "plume/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

struct plume_candidate {
	int32_t id;
	float logit;
	float p;                 /* valid after candidates_softmax() */
};

struct plume_candidates {
	struct plume_candidate *data; /* caller-owned, capacity >= n */
	size_t n;
	int sorted;              /* 1: data is sorted by logit, descending */
};

/* A seeded, reproducible random generator (one stream per object). */
struct plume_rng;

struct plume_logits_api {
	uint32_t size, abi_minor;

	/* ---- full vectors (n = n_vocab) ---- */
	int32_t (*argmax)(const float *logits, size_t n); /* lowest id on ties */
	void (*softmax)(float *x, size_t n);              /* in place */
	void (*log_softmax)(float *x, size_t n);          /* in place */

	/* HF RepetitionPenaltyLogitsProcessor: for each distinct id in
	 * tokens: logit < 0 ? logit * penalty : logit / penalty. */
	void (*repetition_penalty)(float *logits, size_t n, const int32_t *tokens,
				   size_t n_tokens, float penalty);
	/* llama.cpp/OpenAI: logit -= count*frequency + (count > 0)*presence,
	 * counts over the given window (the caller passes the last N tokens). */
	void (*presence_frequency_penalty)(float *logits, size_t n, const int32_t *tokens,
					   size_t n_tokens, float presence, float frequency);
	/* logits[ids[i]] += bias[i]; ids outside 0..n-1 are ignored. */
	void (*logit_bias)(float *logits, size_t n, const int32_t *ids, const float *bias,
			   size_t n_bias);
	/* HF NoRepeatNGramLogitsProcessor: ban (-inf) every token that would
	 * complete an n-gram already present in tokens. */
	void (*no_repeat_ngram)(float *logits, size_t n, const int32_t *tokens,
				size_t n_tokens, uint32_t ngram);

	/* ---- candidate arrays (llama.cpp semantics) ---- */
	/* data must hold n entries; fills ids 0..n-1 unsorted. */
	void (*candidates_init)(struct plume_candidates *c, const float *logits, size_t n);
	void (*candidates_softmax)(struct plume_candidates *c); /* sorts, sets p */
	void (*temperature)(struct plume_candidates *c, float t); /* t <= 0: keep only the max */
	void (*top_k)(struct plume_candidates *c, int32_t k);     /* k <= 0: no-op */
	void (*top_p)(struct plume_candidates *c, float p, size_t min_keep);
	void (*min_p)(struct plume_candidates *c, float p, size_t min_keep);
	void (*typical)(struct plume_candidates *c, float p, size_t min_keep);

	/* ---- randomness ---- */
	int (*rng_create)(uint64_t seed, struct plume_rng **out); /* PLUME_ERR_NOMEM */
	void (*rng_destroy)(struct plume_rng *rng);
	double (*rng_uniform)(struct plume_rng *rng);  /* [0, 1) */
	/* Draw an index into c->data with probability p (softmax applied if
	 * needed). Returns the token id. */
	int32_t (*sample)(struct plume_candidates *c, struct plume_rng *rng);

	/* ---- ABI 1.2, optional: absent from an older host's (shorter)
	 * struct, so check size (PLUME_LOGITS_HAS) before use ---- */
	/* log(sum of exp(x[i] - max)) in double over a full vector, max the
	 * largest non-NaN entry (written to *max): log p(tok) is
	 * x[tok] - max - result. The exps are log_softmax's (one fixed
	 * sequence of float operations, vectorised where the CPU allows). n >= 1. */
	double (*log_sum_exp)(const float *x, size_t n, float *max);
	/* candidates_init(c, logits, n) then top_k(c, k), in one pass that
	 * fills only the k kept (the same candidates, sorted; n_vocab-sized
	 * c->data still required). */
	void (*candidates_top_k)(struct plume_candidates *c, const float *logits, size_t n,
				 int32_t k);
};

/* 1 when the host's toolkit L has member m (a member added after 1.0). */
#define PLUME_LOGITS_HAS(L, m)                                                                 \
	((L)->size >= offsetof(struct plume_logits_api, m) + sizeof((L)->m) && (L)->m)

#ifdef __cplusplus
}
#endif
#endif /* PLUME_LOGITS_H */
