/* Pre-tokenizers that llama.cpp expresses as a list of regexes run through
 * std::regex (it hand-codes only GPT-2 and the Llama 3 family): each regex
 * re-splits every piece produced so far; within a piece, matches are found
 * left to right (leftmost, first alternative wins) and the text between
 * matches stays a word of its own. Each regex here is a hand-written
 * matcher with llama.cpp's character semantics:
 *   - regexes with \p{..} run on its "collapsed" text: an ASCII character is
 *     itself, a non-ASCII one stands for its category, so [A-Za-z], \s and
 *     literal characters there match ASCII only, \p{X} matches ASCII X
 *     characters and non-ASCII characters of category X;
 *   - the others run on code points with non-ASCII whitespace replaced by
 *     U+000B, so a literal range (CJK, fullwidth punctuation) never matches
 *     a whitespace character, while \s matches all 25 White_Space ones. */
#include <string.h>

#include "pretok_impl.h"

#define L(i) (c->fl[i] & UC_LETTER)
#define N(i) (c->fl[i] & UC_NUMBER)
#define S(i) (c->fl[i] & UC_SPACE)
#define P(i) (c->fl[i] & UC_PUNCT)

/* Returns the match length at i (0: none; then *next, preset to i + 1, may
 * say where the next match can start at the earliest). */
typedef size_t (*matcher_fn)(const struct chars *c, size_t i, size_t end, size_t *next);

struct piece_list {
	size_t *v; /* piece i is chars [v[i], v[i + 1]) */
	size_t n, cap;
};

static int cut(struct piece_list *p, size_t at, realloc_fn re)
{
	if (p->n && p->v[p->n - 1] == at)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		size_t *v = re(p->v, cap * sizeof(*v));

		if (!v)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = at;
	return 0;
}

/* Re-split every piece of in (cuts, ending with c->n) into out. */
static int refine(const struct chars *c, const struct piece_list *in, matcher_fn m,
		  struct piece_list *out, realloc_fn re)
{
	int rc;

	out->n = 0;
	rc = cut(out, 0, re);
	for (size_t p = 0; p + 1 < in->n && !rc; p++) {
		size_t i = in->v[p], end = in->v[p + 1];

		while (i < end && !rc) {
			size_t next = i + 1, k = m(c, i, end, &next);

			if (!k) {
				i = next < end ? next : end; /* gap characters join the gap word */
				continue;
			}
			rc = cut(out, i, re) || cut(out, i + k, re);
			i += k;
		}
		if (!rc)
			rc = cut(out, end, re);
	}
	return rc;
}

static int in_ranges(uint32_t cp, const struct uc_range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp > r[mid].hi)
			lo = mid + 1;
		else if (cp < r[mid].lo)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* A run of characters satisfying pred from j; the length from i. */
#define RUN(pred)                           \
	do {                                \
		size_t j0_ = j;             \
		while (j < end && (pred))   \
			j++;                \
		return j > j0_ ? j - i : 0; \
	} while (0)

/* [\p{P}\$\+<=>\^~\|]+ (default), with the backtick (falcon) */
static int ascii_in(uint32_t cp, const char *set)
{
	return cp && cp < 128 && strchr(set, (int)cp);
}

static size_t m_punct(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i;

	(void)next;
	RUN(P(j) || ascii_in(c->cp[j], "$+<=>^~|"));
}

static size_t m_punct_bt(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i;

	(void)next;
	RUN(P(j) || ascii_in(c->cp[j], "$+<=>^~|`"));
}

static size_t m_gpt2(const struct chars *c, size_t i, size_t end, size_t *next)
{
	(void)next;
	return pretok_gpt2_word(c, i, end);
}

/* \p{N}+ */
static size_t m_numbers(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i;

	(void)next;
	RUN(N(j));
}

/* \p{N} */
static size_t m_number(const struct chars *c, size_t i, size_t end, size_t *next)
{
	(void)end;
	(void)next;
	return N(i) ? 1 : 0;
}

/* [0-9][0-9][0-9] */
static size_t m_digits3(const struct chars *c, size_t i, size_t end, size_t *next)
{
	(void)next;
	for (size_t j = i; j < i + 3; j++)
		if (j >= end || c->cp[j] < '0' || c->cp[j] > '9')
			return 0;
	return 3;
}

/* [\r\n] */
static size_t m_crlf(const struct chars *c, size_t i, size_t end, size_t *next)
{
	(void)end;
	(void)next;
	return c->cp[i] == '\r' || c->cp[i] == '\n';
}

/* \s?\p{L}+ */
static size_t m_ws_letters(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i + (S(i) && i + 1 < end);

	(void)next;
	RUN(L(j));
}

/* \s?\p{P}+ */
static size_t m_ws_punct(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i + (S(i) && i + 1 < end);

	(void)next;
	RUN(P(j));
}

/* [一-龥ࠀ-一가-퟿]+ */
static int cjk(const struct chars *c, size_t j)
{
	uint32_t cp = c->cp[j];

	return !S(j) && ((cp >= 0x0800 && cp <= 0x9FA5) || (cp >= 0xAC00 && cp <= 0xD7FF));
}

static size_t m_cjk(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i;

	(void)next;
	RUN(cjk(c, j));
}

/* deepseek-llm's letters: Latin, Greek, Cyrillic, Armenian, Georgian,
 * Cherokee, ... as its regex lists them. */
static const struct uc_range ds_letters[] = {
	{0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
	{0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377},
	{0x37B, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C},
	{0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556},
	{0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
	{0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
	{0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
	{0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
	{0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC},
	{0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
	{0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
	{0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
	{0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
	{0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787},
	{0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A},
	{0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
	{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

/* [!-/:-~！-／：-～‘-‟　-。] */
static const struct uc_range ds_punct[] = {
	{0x21, 0x2F}, {0x3A, 0x7E}, {0x2018, 0x201F}, {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static size_t m_ws_latin(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i + (S(i) && i + 1 < end);

	(void)next;
	RUN(!S(j) && in_ranges(c->cp[j], ds_letters, N_OF(ds_letters)));
}

static size_t m_ws_dspunct(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i + (S(i) && i + 1 < end);

	(void)next;
	RUN(!S(j) && in_ranges(c->cp[j], ds_punct, N_OF(ds_punct)));
}

/* \s+$ : the whitespace run that ends the piece */
static size_t m_ws_end(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i;

	while (j < end && S(j))
		j++;
	if (j == end)
		return j - i;
	*next = j > i ? j : i + 1; /* no later start inside this run can reach the end */
	return 0;
}

/* ` ?[^(\s|.,!?…。，、।۔،)]+` (bloom, poro-chat, gpt3-finnish, viking) */
static int bloom_stop(const struct chars *c, size_t j)
{
	static const uint32_t stop[] = {'(', '|', '.', ',', '!', '?', ')', 0x2026, 0x3002,
					0xFF0C, 0x3001, 0x0964, 0x06D4, 0x060C};

	if (S(j))
		return 1;
	for (size_t k = 0; k < N_OF(stop); k++)
		if (c->cp[j] == stop[k])
			return 1;
	return 0;
}

static size_t m_bloom(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i + (c->cp[i] == ' ' && i + 1 < end);

	(void)next;
	RUN(!bloom_stop(c, j));
}

/* \p{N}{1,3} */
static size_t m_numbers3(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i;

	(void)next;
	RUN(N(j) && j - i < 3);
}

/* Llama 3 shape with \p{N}+ (through std::regex in llama.cpp; the same
 * matches as the hand-coded Llama 3 splitter gives) */
static size_t m_llama3_nplus(const struct chars *c, size_t i, size_t end, size_t *next)
{
	(void)next;
	return pretok_llama3_word(c, i, end, (size_t)-1, 0);
}

/* ---- case-aware words (gpt-4o, tekken) ----------------------------------
 * [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+C?
 * |[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*C?
 * X: a letter that is not a-z; Y: a letter that is not A-Z (so any
 * non-ASCII letter is both). C: 's 't 're 've 'm 'll 'd (either case),
 * gpt-4o only. Backtracking made explicit: X* takes its longest run, Y+
 * the run after it; if that is empty, X* gives back characters until the
 * one after it is a Y. */
#define XL(j) (L(j) && !(c->cp[j] >= 'a' && c->cp[j] <= 'z'))
#define YL(j) (L(j) && !(c->cp[j] >= 'A' && c->cp[j] <= 'Z'))

static size_t contraction_ci(const struct chars *c, size_t i, size_t end)
{
	uint32_t a, b;

	if (i + 1 >= end || c->cp[i] != '\'')
		return 0;
	a = c->cp[i + 1] | 0x20;
	if (c->cp[i + 1] < 128 && (a == 's' || a == 't' || a == 'm' || a == 'd'))
		return 2;
	if (i + 2 >= end || c->cp[i + 1] >= 128 || c->cp[i + 2] >= 128)
		return 0;
	b = c->cp[i + 2] | 0x20;
	return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') ? 3 : 0;
}

/* The letters part at p: end of the match, or 0 when neither alternative
 * matches. */
static size_t case_word(const struct chars *c, size_t p, size_t end)
{
	size_t e1 = p, e2;

	while (e1 < end && XL(e1))
		e1++;
	for (e2 = e1; e2 < end && YL(e2);)
		e2++;
	if (e2 > e1)
		return e2;
	for (size_t k = e1; k > p; k--)
		if (YL(k - 1))
			return k; /* X* = [p, k - 1), Y+ = [k - 1, k) */
	return e1 > p ? e1 : 0; /* second alternative: X+ then an empty Y* */
}

static size_t case_aware(const struct chars *c, size_t i, size_t end, size_t max_digits, int contractions,
			 const char *after_punct)
{
	size_t j, e;

	/* [^\r\n\p{L}\p{N}]? then the letters */
	j = i + (!L(i) && !N(i) && c->cp[i] != '\r' && c->cp[i] != '\n' && i + 1 < end);
	if (j < end && (e = case_word(c, j, end))) {
		if (contractions)
			e += contraction_ci(c, e, end);
		return e - i;
	}
	if (N(i)) {
		for (j = i; j < end && N(j) && j - i < max_digits; j++)
			;
		return j - i;
	}
	/* ` ?[^\s\p{L}\p{N}]+[\r\n/]*` */
	j = i + (c->cp[i] == ' ' && i + 1 < end);
	if (!S(j) && !L(j) && !N(j)) {
		while (j < end && !S(j) && !L(j) && !N(j))
			j++;
		while (j < end && c->cp[j] < 128 && strchr(after_punct, (int)c->cp[j]) && c->cp[j])
			j++;
		return j - i;
	}
	return pretok_spaces_word(c, i, end);
}

static size_t m_gpt4o(const struct chars *c, size_t i, size_t end, size_t *next)
{
	(void)next;
	return case_aware(c, i, end, 3, 1, "\r\n/");
}

static size_t m_tekken(const struct chars *c, size_t i, size_t end, size_t *next)
{
	(void)next;
	return case_aware(c, i, end, 1, 0, "\r\n/");
}

/* ---- deepseek-v3 --------------------------------------------------------
 * \p{N}{1,3} ; [一-龥぀-ゟ゠-ヿ]+ ;
 * [!-/:-@[-`{-~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static int kana_han(const struct chars *c, size_t j)
{
	uint32_t cp = c->cp[j];

	return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x3040 && cp <= 0x30FF);
}

static size_t m_kana_han(const struct chars *c, size_t i, size_t end, size_t *next)
{
	size_t j = i;

	(void)next;
	RUN(kana_han(c, j));
}

static int ascii_alpha(uint32_t cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
}

/* [\p{P}\p{S}] (for ASCII characters llama.cpp's collapsed classes are
 * the Unicode ones: P !"#%&'()*,-./:;?@[\]_{} and S $+<=>^`|~) */
static int ps(const struct chars *c, size_t j)
{
	return P(j) || (c->fl[j] & UC_SYMBOL);
}

#define LM(j) (c->fl[j] & (UC_LETTER | UC_MARK))

static size_t m_ds3(const struct chars *c, size_t i, size_t end, size_t *next)
{
	uint32_t cp = c->cp[i];
	size_t j;

	(void)next;
	/* one ASCII punctuation or symbol character, then ASCII letters */
	if (cp > 32 && cp < 127 && !ascii_alpha(cp) && !(cp >= '0' && cp <= '9') && i + 1 < end &&
	    ascii_alpha(c->cp[i + 1])) {
		for (j = i + 1; j < end && ascii_alpha(c->cp[j]); j++)
			;
		return j - i;
	}
	/* [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+ */
	j = i + (!L(i) && !ps(c, i) && cp != '\r' && cp != '\n' && i + 1 < end && LM(i + 1));
	if (LM(j)) {
		while (j < end && LM(j))
			j++;
		return j - i;
	}
	/* ` ?[\p{P}\p{S}]+[\r\n]*` */
	j = i + (cp == ' ' && i + 1 < end && ps(c, i + 1));
	if (ps(c, j)) {
		while (j < end && ps(c, j))
			j++;
		while (j < end && (c->cp[j] == '\r' || c->cp[j] == '\n'))
			j++;
		return j - i;
	}
	if (S(i))
		return pretok_spaces_word(c, i, end);
	return 0;
}

static const matcher_fn l_default[] = {m_punct, m_gpt2, m_numbers, m_digits3, NULL};
static const matcher_fn l_falcon[] = {m_punct_bt, m_gpt2, m_digits3, NULL};
static const matcher_fn l_ds_llm[] = {m_crlf, m_ws_latin, m_ws_dspunct, m_ws_end, m_cjk, m_numbers, NULL};
static const matcher_fn l_ds_coder[] = {m_crlf, m_ws_letters, m_ws_punct, m_cjk, m_number, NULL};
static const matcher_fn l_bloom[] = {m_bloom, NULL};
static const matcher_fn l_viking[] = {m_bloom, m_number, NULL};
static const matcher_fn l_minicpm5[] = {m_numbers3, m_llama3_nplus, NULL};
static const matcher_fn l_gpt4o[] = {m_gpt4o, NULL};
static const matcher_fn l_tekken[] = {m_tekken, NULL};
static const matcher_fn l_ds3[] = {m_numbers3, m_kana_han, m_ds3, NULL};

int pretok_split_seq(int kind, const struct chars *c, size_t base, struct span_list *out,
		     realloc_fn re)
{
	const matcher_fn *steps = kind == PRETOK_FALCON	       ? l_falcon
				  : kind == PRETOK_DEEPSEEK_LLM	? l_ds_llm
				  : kind == PRETOK_DEEPSEEK_CODER ? l_ds_coder
				  : kind == PRETOK_BLOOM	       ? l_bloom
				  : kind == PRETOK_VIKING	       ? l_viking
				  : kind == PRETOK_MINICPM5	       ? l_minicpm5
				  : kind == PRETOK_GPT4O	       ? l_gpt4o
				  : kind == PRETOK_TEKKEN	       ? l_tekken
				  : kind == PRETOK_DEEPSEEK3	       ? l_ds3
								 : l_default;
	struct piece_list a = {0}, b = {0}, *cur = &a, *nxt = &b;
	int rc = cut(&a, 0, re) || cut(&a, c->n, re);

	for (size_t s = 0; steps[s] && !rc; s++) {
		struct piece_list *t;

		rc = refine(c, cur, steps[s], nxt, re);
		t = cur;
		cur = nxt;
		nxt = t;
	}
	for (size_t p = 0; p + 1 < cur->n && !rc; p++)
		rc = pretok_push(out, base + c->off[cur->v[p]],
				 c->off[cur->v[p + 1]] - c->off[cur->v[p]], re);
	re(a.v, 0);
	re(b.v, 0);
	return rc;
}
