/* Internals shared by the pre-tokenizer files: the decoded characters of a
 * fragment and the regex-list machinery (pretok_seq.c) that llama.cpp runs
 * through std::regex for the lists it does not hand-code. */
#ifndef PLUME_BPE_PRETOK_IMPL_H
#define PLUME_BPE_PRETOK_IMPL_H

#include "pretok.h"
#include "unicode.h"

/* Decoded characters of one fragment. */
struct chars {
	uint32_t *cp;
	unsigned *fl;
	size_t *off; /* byte offset of each char; off[n] = end */
	size_t n;
};

typedef void *(*realloc_fn)(void *, size_t);

int pretok_push(struct span_list *out, size_t off, size_t len, realloc_fn re);

/* Hand-coded GPT-2 regex at i within [i, end): the length of the word. */
size_t pretok_gpt2_word(const struct chars *c, size_t i, size_t end);

/* Llama 3 family at i: \p{N}{1,max_digits}; marks join letters (Qwen3.5). */
size_t pretok_llama3_word(const struct chars *c, size_t i, size_t end, size_t max_digits, int marks);

/* Whitespace at i: \s*[\r\n]+ (up to the last CR/LF of the run), else
 * \s+(?!\S) (all but the last when more than one and text follows), else
 * the run. 0 when i is no whitespace. */
size_t pretok_spaces_word(const struct chars *c, size_t i, size_t end);

/* The regex lists of `default`, `falcon`, `deepseek-llm`,
 * `deepseek-coder`, `bloom`, `viking` and `minicpm5`. */
int pretok_split_seq(int kind, const struct chars *c, size_t base, struct span_list *out,
		     realloc_fn re);

#endif
