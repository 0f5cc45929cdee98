/* plume plugin ABI: decoding strategies (greedy, sampling, beam, contrastive).
 *
 * A strategy owns the search (architecture D4). It works on a set of
 * sequences through the search API the host passes to every call: read a
 * live sequence's logits (and final hidden states when the strategy asked
 * for them), fork, append a token, drop, finish with a score.
 *
 * The generation loop:
 *   host: prefill the prompt as sequence 0 -> its logits (and hidden states);
 *   strategy.begin(); then repeat
 *     strategy.step(): for live sequences, append at most one token each,
 *                      fork / drop / finish as the search requires;
 *     host: one batched forward over every sequence that has a pending
 *           token, then stop checks (token budget, stop strings);
 *   until step() returns PLUME_FINISHED or no live sequence is left.
 * A live sequence without a pending token is paused: it keeps its logits and
 * is not forwarded (contrastive search continues the winning candidate this
 * way without an extra forward). */
#ifndef PLUME_STRATEGY_H
#define PLUME_STRATEGY_H

#include "plume/logits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Host-owned state of one request's search. */
struct plume_search;

/* Why a sequence finished. */
enum plume_stop_reason {
	PLUME_STOP_NONE = 0,
	PLUME_STOP_EOG = 1,        /* produced an end-of-generation token */
	PLUME_STOP_LENGTH = 2,     /* token budget reached */
	PLUME_STOP_STRING = 3,     /* a stop string appeared */
	PLUME_STOP_STRATEGY = 4,   /* the strategy ended it (beam bookkeeping, ...) */
};

/* What the request asks for; owned by the host for the whole request. */
struct plume_request {
	uint32_t size, abi_minor;
	const int32_t *prompt;     /* [n_prompt] */
	uint32_t n_prompt;
	uint32_t max_tokens;       /* generated-token budget per sequence, clamped
	                              to what the context leaves after the prompt */
	const int32_t *eog_ids;    /* end-of-generation set */
	uint32_t n_eog;
	uint64_t seed;             /* engine.seed, or the per-run seed */
	uint32_t n_vocab;
	uint32_t n_embd;
};

/* The host API for the search; valid during begin/step/end calls. Sequence
 * ids are small non-negative integers, never reused within a request. */
struct plume_search_api {
	uint32_t size, abi_minor;
	const struct plume_request *(*request)(struct plume_search *s);

	/* Live sequences (not finished, not dropped), in creation order. */
	uint32_t (*n_live)(struct plume_search *s);
	int32_t (*live)(struct plume_search *s, uint32_t i);

	/* Logits of the last position forwarded for `seq`, [n_vocab]. The
	 * array belongs to the host and may be modified in place by the
	 * strategy (penalties, filters); valid until the next forward. NULL
	 * for a sequence that has a pending token or an unknown id. */
	float *(*logits)(struct plume_search *s, int32_t seq);
	/* Final hidden state of the last forwarded position, [n_embd]; NULL
	 * unless the strategy set PLUME_STRATEGY_WANTS_HIDDEN. */
	const float *(*hidden)(struct plume_search *s, int32_t seq);
	/* Final hidden states of every position of the sequence so far
	 * (prompt included), [n][n_embd]; NULL without WANTS_HIDDEN. */
	const float *(*context_hidden)(struct plume_search *s, int32_t seq, uint32_t *n);

	/* Tokens of the sequence: prompt followed by what was generated. */
	const int32_t *(*tokens)(struct plume_search *s, int32_t seq, uint32_t *n_tokens,
				 uint32_t *n_generated);
	/* Running score the strategy keeps per sequence (host stores it). */
	double (*score)(struct plume_search *s, int32_t seq);
	void (*set_score)(struct plume_search *s, int32_t seq, double score);

	/* New sequence sharing the parent's tokens and KV blocks (copy on
	 * write); it inherits the parent's logits, hidden state and score. */
	int (*fork)(struct plume_search *s, int32_t seq, int32_t *child);
	/* Schedule `token` as the sequence's next input (one per step). It is
	 * recorded as generated at once; it is forwarded after the step unless
	 * the sequence is finished in the same step (append an end-of-generation
	 * token, then finish: the token is reported, not forwarded) or the host
	 * stops it (token budget, stop string: the host finishes it with that
	 * reason and the sequence's current score). */
	int (*append)(struct plume_search *s, int32_t seq, int32_t token);
	/* Forget a sequence; its blocks are released. */
	int (*drop)(struct plume_search *s, int32_t seq);
	/* Turn a sequence into a final hypothesis with a score. Hypotheses
	 * are reported best score first (ties: finish order). */
	int (*finish)(struct plume_search *s, int32_t seq, double score, int reason);

	int (*is_eog)(struct plume_search *s, int32_t token);
};

enum plume_strategy_flag {
	PLUME_STRATEGY_WANTS_HIDDEN = 1u << 0, /* forward must return final hidden states */
	/* Pending tokens are look-ahead candidates (contrastive search): the
	 * host forwards them without stop checks (token budget, stop strings)
	 * and the strategy finishes its sequences itself, at the latest when
	 * one has request.max_tokens generated tokens. Unset (0): the
	 * host checks every pending token. */
	PLUME_STRATEGY_LOOKAHEAD = 1u << 1,
};

struct plume_strategy_ops {
	uint32_t size, abi_minor;

	int (*create)(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, void **ctx,
		      struct plume_error *err);
	void (*destroy)(void *ctx);

	/* enum plume_strategy_flag bits; constant for the context's life. */
	uint32_t (*flags)(void *ctx);
	/* Most sequences the strategy keeps live at once, so the host can
	 * reserve KV blocks (beams, n, top_k); >= 1. */
	uint32_t (*max_live)(void *ctx);

	/* Called once per request after the prefill; optional (NULL). */
	int (*begin)(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		     struct plume_error *err);
	/* PLUME_OK: continue; PLUME_FINISHED: done; negative: error. */
	int (*step)(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		    struct plume_error *err);
	/* Called once per request at the end (also after an error); optional. */
	void (*end)(void *ctx, const struct plume_search_api *api, struct plume_search *s);

	int (*control)(void *ctx, const char *request, void *arg, struct plume_error *err);
};

#ifdef __cplusplus
}
#endif
#endif /* PLUME_STRATEGY_H */
