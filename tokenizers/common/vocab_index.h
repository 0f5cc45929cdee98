/* What every tokenizer plugin builds from a plume_vocab: a hash map from
 * token text to id (the first id wins for a repeated text), the special
 * tokens (CONTROL, USER_DEFINED, UNKNOWN) sorted by text length descending
 * for splitting them out of the input, and the end-of-generation set as
 * llama.cpp determines it (eos, eot, eom and the token texts it detects).
 * Token types are the effective ones, as llama.cpp's attributes make them:
 * a token whose text marks end of generation (</s>, <|endoftext|>, ...)
 * behaves as CONTROL whatever its type in the file (not split out of text
 * without special parsing, empty piece unless special text is asked for);
 * where the vocabulary also has <|tool_response> or <|plamo:eos|>, </s> is
 * a normal token instead and not end of generation. */
#ifndef PLUME_TOK_VOCAB_INDEX_H
#define PLUME_TOK_VOCAB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "plume/tokenizer.h"

#define TOK_MAX_EOG 16

struct tok_vocab_index {
	const struct plume_vocab *v;
	uint32_t *slots, mask;   /* open addressing: id + 1, 0 = empty */
	int32_t *types;          /* effective type of each id (see above) */
	int32_t *specials;       /* longest text first */
	uint32_t n_specials;
	int32_t eog[TOK_MAX_EOG];
	uint32_t n_eog;
};

/* 0, or PLUME_ERR_NOMEM (the index is then empty and safe to finish). */
int tok_vocab_index_init(struct tok_vocab_index *x, const struct plume_host *host,
			 const struct plume_vocab *v);
void tok_vocab_index_fini(struct tok_vocab_index *x, const struct plume_host *host);

/* Id of the token whose text is s[0..n), or -1. */
int32_t tok_vocab_find(const struct tok_vocab_index *x, const char *s, size_t n);

/* FNV-1a of a byte string; the smallest power of two >= 2 n (at least 1024). */
uint32_t tok_hash(const char *s, size_t n);
uint32_t tok_table_size(uint32_t n);

/* A piece of the input: raw text, or a special token found in it. */
struct tok_frag {
	size_t off, len;
	int32_t id; /* -1: raw text */
};

/* llama.cpp's partition of an input: for each special token, longest text
 * first, every raw fragment left so far is split at its occurrences
 * (USER_DEFINED always; CONTROL and UNKNOWN only with parse_special). With
 * rstrip (may be NULL), whitespace after a token whose rstrip[id] is set is
 * dropped. *frags is host-allocated (host->free). 0 or PLUME_ERR_NOMEM. */
int tok_partition(const struct tok_vocab_index *x, const struct plume_host *host,
		  const char *text, size_t n, int parse_special, const uint8_t *rstrip,
		  struct tok_frag **frags, size_t *n_frags);

/* The type in the file. */
static inline int32_t tok_type(const struct plume_vocab *v, int32_t id)
{
	return v->token_types ? v->token_types[id] : PLUME_TOKEN_NORMAL;
}

/* The effective type (the index must be initialised). */
static inline int32_t tok_itype(const struct tok_vocab_index *x, int32_t id)
{
	return x->types[id];
}

#endif
