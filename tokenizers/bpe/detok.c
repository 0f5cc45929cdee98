/* Byte-level BPE decoding: a token's piece (GPT-2 byte map reversed;
 * control tokens empty unless asked for; user-defined tokens literal) and
 * the whole-sequence text with llama.cpp's clean_spaces passes for the
 * pre-tokenizers that use them. Pieces may end inside a UTF-8 sequence:
 * the caller (the core's streaming) joins them. */
#include <string.h>

#include "bpe.h"
#include "unicode.h"


/* The byte of a <0xXX> token (0 when malformed). */
static unsigned byte_of(const struct plume_str *t)
{
	unsigned v = 0;

	if (t->len != 6)
		return 0;
	for (int i = 3; i < 5; i++) {
		char c = t->ptr[i];

		v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
					 c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0);
	}
	return v;
}

int bpe_piece(void *ctx, int32_t id, uint32_t flags, char *buf, size_t cap, size_t *len,
		     struct plume_error *err)
{
	struct bpe *b = ctx;
	const struct plume_str *t;
	int32_t type;
	size_t n = 0;

	if (id < 0 || (uint32_t)id >= b->v->n_tokens)
		return b->host->error(err, PLUME_ERR_RANGE, "bpe: token id %d outside the vocabulary (%u)",
				      id, b->v->n_tokens);
	t = &b->v->tokens[id];
	type = token_type(b, id);
	if (type == PLUME_TOKEN_CONTROL || type == PLUME_TOKEN_UNKNOWN) {
		n = (flags & PLUME_PIECE_SPECIAL) ? t->len : 0;
		if (n <= cap)
			memcpy(buf, t->ptr, n);
	} else if (type == PLUME_TOKEN_USER_DEFINED) {
		n = t->len;
		if (n <= cap)
			memcpy(buf, t->ptr, n);
	} else if (b->spm_style && type == PLUME_TOKEN_BYTE) {
		n = 1;
		if (cap)
			buf[0] = (char)byte_of(t);
	} else if (b->spm_style) {
		/* SentencePiece style: U+2581 is a space */
		for (size_t k = 0; k < t->len;) {
			int sp = t->len - k >= 3 && !memcmp(t->ptr + k, "\xE2\x96\x81", 3);

			if (n < cap)
				buf[n] = sp ? ' ' : t->ptr[k];
			n++;
			k += sp ? 3 : 1;
		}
	} else {
		for (size_t k = 0; k < t->len;) {
			uint32_t cp;
			int bad;
			size_t l = uc_decode((const unsigned char *)t->ptr + k, t->len - k, &cp, &bad);

			if (!bad && cp < 0x200 && b->cp_byte[cp] >= 0) {
				if (n < cap)
					buf[n] = (char)b->cp_byte[cp];
				n++;
			} else {
				/* not a byte character: keep its text */
				if (n + l <= cap)
					memcpy(buf + n, t->ptr + k, l);
				n += l;
			}
			k += l;
		}
	}
	*len = n;
	return n > cap ? PLUME_ERR_TOOSMALL : PLUME_OK;
}

/* HF's clean_up_tokenization_spaces as llama.cpp applies it: three passes,
 * each over the previous one's output, each keeping the first byte and
 * looking at the byte before the current one as it was in its input:
 * " ?" " !" " ." " ," lose the space; " ' " becomes "'" (the space after it
 * is blanked to NUL for the look-behind, then skipped); " 's" " 'm" " 're"
 * " 've" lose the space. */
static size_t clean_spaces(char *t, size_t n)
{
	size_t w, i;

	if (n < 2)
		return n;
	for (w = 1, i = 1; i < n; i++) {
		char x = t[i];

		if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
			w--;
		t[w++] = x;
	}
	n = w;
	for (w = 1, i = 1; i < n; i++) {
		char x = t[i];

		if (x == '\'' && i + 1 < n && t[i - 1] == ' ' && t[i + 1] == ' ') {
			w--;
			t[++i] = '\0';
		}
		t[w++] = x;
	}
	n = w;
	for (w = 1, i = 1; i < n; i++) {
		char x = t[i];

		if (t[i - 1] == ' ' && x == '\'' && i + 1 < n) {
			char a = t[i + 1], z = i + 2 < n ? t[i + 2] : 0;

			if (a == 's' || a == 'm' || (z == 'e' && (a == 'r' || a == 'v')))
				w--;
		}
		t[w++] = x;
	}
	return w;
}

int bpe_decode(void *ctx, const int32_t *ids, size_t n_ids, uint32_t flags, char *buf,
		      size_t cap, size_t *len, struct plume_error *err)
{
	size_t n = 0;

	for (size_t i = 0; i < n_ids; i++) {
		size_t l = 0;
		int rc = bpe_piece(ctx, ids[i], flags & PLUME_PIECE_SPECIAL, n < cap ? buf + n : buf,
				   n < cap ? cap - n : 0, &l, err);

		if (rc && rc != PLUME_ERR_TOOSMALL)
			return rc;
		n += l;
	}
	if (((struct bpe *)ctx)->pre->clean_spaces && n <= cap)
		n = clean_spaces(buf, n);
	*len = n;
	return n > cap ? PLUME_ERR_TOOSMALL : PLUME_OK;
}

