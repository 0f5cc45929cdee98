/* Unicode helpers for the tokenizers: UTF-8 decoding that never fails
 * (an invalid byte is its own one-byte "code point" flagged invalid) and
 * the general-category classes the pre-tokenizers use. */
#ifndef PLUME_TOK_UNICODE_H
#define PLUME_TOK_UNICODE_H

#include <stddef.h>
#include <stdint.h>

struct uc_range {
	uint32_t lo, hi;
};

extern const struct uc_range uc_letter[], uc_mark[], uc_number[], uc_punct[], uc_symbol[];
extern const unsigned uc_letter_n, uc_mark_n, uc_number_n, uc_punct_n, uc_symbol_n;

enum {
	UC_LETTER = 1 << 0,
	UC_NUMBER = 1 << 1,
	UC_SPACE = 1 << 2,   /* White_Space as llama.cpp lists it */
	UC_PUNCT = 1 << 3,
	UC_SYMBOL = 1 << 4,
	UC_MARK = 1 << 5,
	UC_INVALID = 1 << 6, /* a byte that starts no valid UTF-8 sequence */
};

/* Decode one code point at s (n bytes left, n >= 1). Returns its length in
 * bytes (1..4); *cp gets the code point, or the byte itself with *invalid. */
size_t uc_decode(const unsigned char *s, size_t n, uint32_t *cp, int *invalid);
unsigned uc_flags(uint32_t cp);
/* Encode cp as UTF-8 into out (4 bytes); returns the length. */
size_t uc_encode(uint32_t cp, char *out);

#endif
