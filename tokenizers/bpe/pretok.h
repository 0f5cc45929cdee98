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
	PRETOK_QWEN35 = 5,      /* Qwen2 with marks joining letters */
	PRETOK_NEWLINES = 6,    /* `[^\n]+|[\n]+` (gemma4: SentencePiece-style BPE) */
	/* regex lists (pretok_seq.c) */
	PRETOK_FIRST_SEQ = 16,
	PRETOK_DEFAULT = 16,        /* punctuation runs; GPT-2; \p{N}+; [0-9]{3} */
	PRETOK_FALCON = 17,         /* punctuation and backtick runs; GPT-2; [0-9]{3} */
	PRETOK_DEEPSEEK_LLM = 18,   /* CR/LF; Latin-like letters; punctuation; trailing spaces; CJK; \p{N}+ */
	PRETOK_DEEPSEEK_CODER = 19, /* CR/LF; \s?\p{L}+; \s?\p{P}+; CJK; \p{N} */
	PRETOK_BLOOM = 20,          /* ` ?[^(\s|.,!?…。，、।۔،)]+` */
	PRETOK_VIKING = 21,         /* bloom; \p{N} */
	PRETOK_MINICPM5 = 22,       /* \p{N}{1,3}; Llama 3 shape with \p{N}+ */
	PRETOK_GPT4O = 23,          /* case-aware words, contractions, \p{N}{1,3} */
	PRETOK_TEKKEN = 24,         /* case-aware words, \p{N} */
	PRETOK_DEEPSEEK3 = 25,      /* \p{N}{1,3}; Han and kana; punctuation-led ASCII words, ... */
};

struct pretok {
	const char *name;
	int kind;
	int ignore_merges; /* a word that is a whole token is emitted as is */
	int clean_spaces;  /* decode applies the clean-up passes */
	int add_bos;       /* default when the vocabulary does not say */
	int no_bos;        /* the vocabulary's BOS id is ignored (chatglm, glm4) */
	int spm_style;     /* spaces escaped as U+2581, no byte map, <0xXX> byte
			      fallback (gemma4); 0 for the others */
};

/* NULL when unknown. */
const struct pretok *pretok_find(const char *name);
/* All known names, comma-separated, into buf (truncated to n). */
void pretok_names(char *buf, size_t n);

/* Append the words of text[0..n) (offsets relative to base) to out.
 * Returns -1 on allocation failure. */
int pretok_split(const struct pretok *p, const char *text, size_t n, size_t base,
		 struct span_list *out, void *(*realloc_fn)(void *, size_t));

#endif
