/* UTF-8 decoding and category lookup (binary search over range tables). */
#include "unicode.h"

size_t uc_decode(const unsigned char *s, size_t n, uint32_t *cp, int *invalid)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v;

	*invalid = 0;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
	} else {
		goto bad;
	}
	if (len > n)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3F);
	}
	/* overlong, surrogate, out of range */
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
	    (v >= 0xD800 && v <= 0xDFFF))
		goto bad;
	*cp = v;
	return len;
bad:
	*cp = c;
	*invalid = 1;
	return 1;
}

static int in(const struct uc_range *r, unsigned n, uint32_t cp)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static int is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

unsigned uc_flags(uint32_t cp)
{
	unsigned f = 0;

	if (cp < 0x80) {
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
			return UC_LETTER;
		if (cp >= '0' && cp <= '9')
			return UC_NUMBER;
		if (is_space(cp))
			return UC_SPACE;
	}
	if (is_space(cp))
		f |= UC_SPACE;
	if (in(uc_letter, uc_letter_n, cp))
		f |= UC_LETTER;
	else if (in(uc_number, uc_number_n, cp))
		f |= UC_NUMBER;
	else if (in(uc_punct, uc_punct_n, cp))
		f |= UC_PUNCT;
	else if (in(uc_symbol, uc_symbol_n, cp))
		f |= UC_SYMBOL;
	else if (in(uc_mark, uc_mark_n, cp))
		f |= UC_MARK;
	return f;
}

size_t uc_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}
