/* Pre-tokenizers of byte-level BPE vocabularies: split a text fragment into
 * words the way llama.cpp's regexes do (docs/tokenizers.md). Words are byte
 * ranges of the input; invalid UTF-8 bytes are one-byte "other" characters. */
#ifndef PLUME_BPE_PRETOK_H
#define PLUME_BPE_PRETOK_H

#include <stddef.h>
#include <stdint.h>

struct span {
	size_t off, len;
};

struct span_list {
	struct span *v;
	size_t n, cap;
};

enum pretok_kind {
	PRETOK_GPT2 = 1,        /* GPT-2 regex */
	PRETOK_DIGITS_GPT2 = 2, /* \p{N} then GPT-2 (smollm, starcoder, refact, command-r) */
	PRETOK_LLAMA3 = 3,      /* Llama 3: \p{N}{1,3} */
	PRETOK_QWEN2 = 4,       /* Llama 3 shape with single digits */
	PRETOK_DEFAULT = 5,     /* punctuation runs; GPT-2; \p{N}+; [0-9]{3} */
};

struct pretok {
	const char *name;
	int kind;
	int ignore_merges;
	int clean_spaces;
};

/* NULL when unknown. */
const struct pretok *pretok_find(const char *name);

/* Append the words of text[0..n) (offsets relative to base) to out.
 * Returns -1 on allocation failure. */
int pretok_split(const struct pretok *p, const char *text, size_t n, size_t base,
		 struct span_list *out, void *(*realloc_fn)(void *, size_t));

#endif
