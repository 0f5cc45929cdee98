/* Internal interface of the byte-level BPE plugin: the tokenizer state
 * built by bpe.c (vocabulary maps, byte map, special tokens, EOG set) and
 * the encode (encode.c) and decode (detok.c) operations over it. */
#ifndef PLUME_BPE_H
#define PLUME_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "plume/tokenizer.h"
#include "pretok.h"
#include "vocab_index.h"

struct bpe {
	const struct plume_host *host;
	const struct plume_vocab *v;
	const struct pretok *pre;
	struct plume_tokenizer_info info;
	struct tok_vocab_index ix; /* text -> id, specials, end-of-generation set */
	/* merge "left right" -> rank */
	uint32_t *merge_slots, merge_mask;
	/* byte <-> code point of the GPT-2 byte map; utf-8 of each byte's char */
	char byte_utf8[256][3];
	uint8_t byte_len[256];
	int16_t cp_byte[0x200]; /* code point (< 0x200) -> byte, -1 none */
	int32_t bos_id; /* the vocabulary's, or -1 where the pre-tokenizer clears it */
	int add_bos, add_eos;
	int spm_style; /* pre->spm_style: U+2581 for spaces, raw UTF-8, <0xXX> bytes */
	char pre_name[64];
};

/* Host realloc/free (n == 0 frees); the host of the last create. */
void *hre(void *p, size_t n);
/* Token id of text s[0..n), or -1. */
int32_t tok_find(const struct bpe *b, const char *s, size_t n);
/* Rank of the merge "l r", or -1. */
int32_t merge_rank(const struct bpe *b, const char *l, size_t ln, const char *r, size_t rn);

static inline int32_t token_type(const struct bpe *b, int32_t id)
{
	return tok_itype(&b->ix, id);
}

int bpe_encode(void *ctx, const char *text, size_t len, uint32_t flags, int32_t *ids, size_t cap,
	       size_t *n_ids, struct plume_error *err);
int bpe_piece(void *ctx, int32_t id, uint32_t flags, char *buf, size_t cap, size_t *len,
	      struct plume_error *err);
int bpe_decode(void *ctx, const int32_t *ids, size_t n_ids, uint32_t flags, char *buf, size_t cap,
	       size_t *len, struct plume_error *err);

#endif
