/* plume plugin ABI: tokenizers (bpe, spm).
 *
 * The host reads the vocabulary from the GGUF metadata (tokenizer.ggml.*) and
 * hands it over as plume_vocab; it stays valid until the tokenizer is
 * destroyed. Keys not covered by the struct are reachable through
 * vocab->meta_*(). Encoding and decoding fill caller buffers and report the
 * needed size when they are too small (PLUME_ERR_TOOSMALL). */
#ifndef PLUME_TOKENIZER_H
#define PLUME_TOKENIZER_H

#include "plume/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A byte string that is not NUL-terminated (GGUF strings are not). */
struct plume_str {
	const char *ptr;
	uint64_t len;
};

/* tokenizer.ggml.token_type values (llama.cpp's llama_token_type). */
enum plume_token_type {
	PLUME_TOKEN_UNDEFINED = 0,
	PLUME_TOKEN_NORMAL = 1,
	PLUME_TOKEN_UNKNOWN = 2,
	PLUME_TOKEN_CONTROL = 3,
	PLUME_TOKEN_USER_DEFINED = 4,
	PLUME_TOKEN_UNUSED = 5,
	PLUME_TOKEN_BYTE = 6,
};

struct plume_vocab {
	uint32_t size, abi_minor;
	const char *model;          /* tokenizer.ggml.model: "gpt2", "llama", ... */
	const char *pre;            /* tokenizer.ggml.pre, or NULL when absent */
	uint32_t n_tokens;
	const struct plume_str *tokens; /* [n_tokens] */
	const float *scores;        /* [n_tokens] or NULL */
	const int32_t *token_types; /* [n_tokens] enum plume_token_type, or NULL */
	uint32_t n_merges;
	const struct plume_str *merges; /* [n_merges] "left right", rank = index */

	/* Special ids from metadata; -1 when absent. */
	int32_t bos_id, eos_id, unk_id, pad_id, sep_id, eot_id, eom_id;
	/* Flags from metadata: 1 true, 0 false, -1 absent (use the model default). */
	int32_t add_bos, add_eos, add_space_prefix;

	/* Generic metadata access for keys not above (pre-tokenizer specific
	 * tables, ...). Return PLUME_ERR_NOTFOUND when absent or of another
	 * type. `meta` is the host's handle. */
	const void *meta;
	int (*meta_string)(const void *meta, const char *key, struct plume_str *out);
	int (*meta_int)(const void *meta, const char *key, int64_t *out);
	int (*meta_array)(const void *meta, const char *key, uint32_t *elem_type,
			  uint64_t *n, const void **data);
};

/* encode() flags */
enum {
	PLUME_TOK_ADD_SPECIAL = 1u << 0,   /* BOS/EOS as the vocabulary's rules say */
	PLUME_TOK_PARSE_SPECIAL = 1u << 1, /* control-token text becomes control tokens */
};

/* piece() flags */
enum {
	PLUME_PIECE_SPECIAL = 1u << 0,     /* render control tokens as their text */
	PLUME_PIECE_FIRST = 1u << 1,       /* first piece of an output: strip the
	                                      leading space the encoder added */
};

struct plume_tokenizer_info {
	uint32_t size, abi_minor;
	uint32_t n_vocab;
	int32_t bos_id, eos_id;     /* -1 when none */
	int32_t add_bos, add_eos;   /* effective: 0 or 1 */
	const int32_t *eog_ids;     /* end-of-generation set, owned by the tokenizer */
	uint32_t n_eog;
	const char *pre;            /* effective pre-tokenizer / variant name */
};

struct plume_tokenizer_ops {
	uint32_t size, abi_minor;

	/* PLUME_ERR_UNSUPPORTED when the vocabulary is not this plugin's kind
	 * (model "llama" given to bpe) or uses an unknown pre-tokenizer. */
	int (*create)(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params,
		      const struct plume_vocab *vocab, void **ctx, struct plume_error *err);
	void (*destroy)(void *ctx);

	int (*get_info)(void *ctx, struct plume_tokenizer_info *info);

	/* Text (UTF-8; invalid sequences are handled as documented by the
	 * plugin, never a crash) to ids. On PLUME_ERR_TOOSMALL *n_ids holds the
	 * needed count. */
	int (*encode)(void *ctx, const char *text, size_t text_len, uint32_t flags,
		      int32_t *ids, size_t cap, size_t *n_ids, struct plume_error *err);

	/* One token's bytes (possibly a partial UTF-8 sequence). On
	 * PLUME_ERR_TOOSMALL *len holds the needed size. */
	int (*piece)(void *ctx, int32_t id, uint32_t flags, char *buf, size_t cap,
		     size_t *len, struct plume_error *err);

	/* Whole-sequence detokenization with the reference's rules (leading
	 * space, clean-up). flags: PLUME_PIECE_SPECIAL keeps control text. */
	int (*decode)(void *ctx, const int32_t *ids, size_t n_ids, uint32_t flags,
		      char *buf, size_t cap, size_t *len, struct plume_error *err);

	/* Optional catch-all; NULL means every request is unknown. */
	int (*control)(void *ctx, const char *request, void *arg, struct plume_error *err);
};

#ifdef __cplusplus
}
#endif
#endif /* PLUME_TOKENIZER_H */
