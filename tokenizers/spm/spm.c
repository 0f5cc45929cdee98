/* SentencePiece (tokenizer.ggml.model "llama") tokenizer plugin, following
 * llama.cpp's llm_tokenizer_spm: special tokens split out (longest text
 * first), per raw fragment an optional leading space, ' ' -> U+2581, UTF-8
 * characters merged by a bigram max-heap on token score, then each symbol
 * emitted as its token or as <0xXX> byte tokens. Invalid UTF-8 never fails:
 * a byte that starts no sequence is a one-byte character (byte fallback). */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "plume/tokenizer.h"
#include "tok_heap.h"
#include "unicode.h"
#include "vocab_index.h"

struct spm {
	const struct plume_host *host;
	const struct plume_vocab *v;
	struct plume_tokenizer_info info;
	struct tok_vocab_index ix;     /* text -> id, specials, end-of-generation set */
	int32_t byte_id[256];          /* <0xXX> token, else the 1-byte token, else -1 */
	uint8_t *rstrip;               /* [n_tokens]: eat the whitespace after it (phi-3) */
	int add_bos, add_eos, add_space_prefix;
};

static int32_t tok_find(const struct spm *p, const char *s, size_t n)
{
	return tok_vocab_find(&p->ix, s, n);
}

static int32_t token_type(const struct spm *p, int32_t id)
{
	return tok_itype(&p->ix, id);
}

static float token_score(const struct spm *p, int32_t id)
{
	return p->v->scores ? p->v->scores[id] : 0.0f;
}

/* ---- output ---------------------------------------------------------- */

struct out_ids {
	int32_t *ids;
	size_t cap, n;
};

static void emit(struct out_ids *o, int32_t id)
{
	if (o->n < o->cap)
		o->ids[o->n] = id;
	o->n++;
}

/* ---- SentencePiece over one escaped fragment ------------------------- */

struct sym {
	uint32_t off, len;
	int32_t prev, next;
};

struct bigram {
	float score;
	int32_t left;
	uint32_t len; /* left.len + right.len when pushed (staleness check) */
};

/* max-heap: higher score first, ties: smaller left index first */
static int bg_before(const struct bigram *a, const struct bigram *b)
{
	return a->score > b->score || (a->score == b->score && a->left < b->left);
}

TOK_HEAP(heap, struct bigram, bg_before)

static void try_bigram(const struct spm *p, const char *w, const struct sym *s, int32_t left,
		       int32_t right, struct bigram *heap, size_t *nh)
{
	int32_t id;
	uint32_t len;

	if (left < 0 || right < 0)
		return;
	len = s[left].len + s[right].len;
	id = tok_find(p, w + s[left].off, len);
	if (id < 0)
		return;
	heap_push(heap, nh, (struct bigram){token_score(p, id), left, len});
}

/* llama.cpp's character length from the lead byte (continuation bytes and
 * invalid leads count as one byte), clipped to what is left. */
static size_t char_len(unsigned char c, size_t left)
{
	static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
	size_t n = lookup[c >> 4];

	return n < left ? n : left;
}

/* Merged symbols are always tokens (a bigram is only queued when its text
 * is one, and a stale entry is skipped), so a symbol that is no token is a
 * single unmerged character: it falls back to one byte token per byte. */
static int spm_word(struct spm *p, const char *w, size_t n, struct out_ids *o)
{
	struct sym *s;
	struct bigram *heap;
	size_t n_sym = 0, nh = 0;

	if (!n)
		return 0;
	s = p->host->alloc(n * sizeof(*s));
	heap = p->host->alloc((2 * n + 2) * sizeof(*heap));
	if (!s || !heap) {
		p->host->free(s);
		p->host->free(heap);
		return -1;
	}
	for (size_t i = 0; i < n;) {
		size_t len = char_len((unsigned char)w[i], n - i);

		s[n_sym] = (struct sym){(uint32_t)i, (uint32_t)len, (int32_t)n_sym - 1,
					(int32_t)n_sym + 1};
		n_sym++;
		i += len;
	}
	s[n_sym - 1].next = -1;
	for (size_t i = 1; i < n_sym; i++)
		try_bigram(p, w, s, (int32_t)i - 1, (int32_t)i, heap, &nh);
	while (nh) {
		struct bigram c = heap_pop(heap, &nh);
		int32_t l = c.left, r = s[l].next;

		if (s[l].len == 0 || r < 0 || s[r].len == 0 || s[l].len + s[r].len != c.len)
			continue;
		s[l].len += s[r].len;
		s[r].len = 0;
		s[l].next = s[r].next;
		if (s[r].next >= 0)
			s[s[r].next].prev = l;
		try_bigram(p, w, s, s[l].prev, l, heap, &nh);
		try_bigram(p, w, s, l, s[l].next, heap, &nh);
	}
	for (int32_t i = 0; i >= 0; i = s[i].next) {
		int32_t id = tok_find(p, w + s[i].off, s[i].len);

		if (id >= 0) {
			emit(o, id);
			continue;
		}
		for (uint32_t k = 0; k < s[i].len; k++) {
			id = p->byte_id[(unsigned char)w[s[i].off + k]];
			if (id < 0)
				id = p->v->unk_id;
			if (id >= 0)
				emit(o, id);
		}
	}
	p->host->free(s);
	p->host->free(heap);
	return 0;
}

/* Optional leading space, then ' ' -> U+2581, then SentencePiece. */
static int encode_raw(struct spm *p, const char *raw, size_t n, int prefix, struct out_ids *o)
{
	char *w = p->host->alloc(3 * n + 4);
	size_t m = 0;
	int rc;

	if (!w)
		return -1;
	if (prefix) {
		memcpy(w, "\xE2\x96\x81", 3);
		m = 3;
	}
	for (size_t i = 0; i < n; i++) {
		if (raw[i] == ' ') {
			memcpy(w + m, "\xE2\x96\x81", 3);
			m += 3;
		} else {
			w[m++] = raw[i];
		}
	}
	rc = spm_word(p, w, m, o);
	p->host->free(w);
	return rc;
}

/* ---- special-token partition ----------------------------------------- */

/* Special tokens split out first (tok_partition, with phi-3's rstrip); the
 * space prefix goes on the first raw fragment and on one after a special. */
static int encode_text(struct spm *p, const char *text, size_t n, int parse_special,
		       struct out_ids *o)
{
	struct tok_frag *f;
	size_t n_f;
	int rc = 0, prev_special = 1;

	if (tok_partition(&p->ix, p->host, text, n, parse_special, p->rstrip, &f, &n_f))
		return -1;
	for (size_t i = 0; i < n_f && !rc; i++) {
		if (f[i].id >= 0) {
			emit(o, f[i].id);
			prev_special = 1;
			continue;
		}
		rc = encode_raw(p, text + f[i].off, f[i].len, p->add_space_prefix && prev_special, o);
		prev_special = 0;
	}
	p->host->free(f);
	return rc;
}

static int spm_encode(void *ctx, const char *text, size_t len, uint32_t flags, int32_t *ids,
		      size_t cap, size_t *n_ids, struct plume_error *err)
{
	struct spm *p = ctx;
	struct out_ids o = {ids, cap, 0};
	int special = !!(flags & PLUME_TOK_ADD_SPECIAL);

	if (special && p->add_bos)
		emit(&o, p->v->bos_id);
	if (encode_text(p, text, len, !!(flags & PLUME_TOK_PARSE_SPECIAL), &o))
		return p->host->error(err, PLUME_ERR_NOMEM, "spm: out of memory encoding %zu bytes", len);
	if (special && p->add_eos)
		emit(&o, p->v->eos_id);
	*n_ids = o.n;
	return o.n > cap ? PLUME_ERR_TOOSMALL : PLUME_OK;
}

/* ---- decoding ---------------------------------------------------------- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* As llama.cpp: CONTROL/UNKNOWN empty unless PLUME_PIECE_SPECIAL (then the
 * literal text), USER_DEFINED literal, NORMAL with U+2581 -> ' ', BYTE the
 * byte; PLUME_PIECE_FIRST strips one leading space (add_space_prefix). */
static int spm_piece(void *ctx, int32_t id, uint32_t flags, char *buf, size_t cap, size_t *len,
		     struct plume_error *err)
{
	struct spm *p = ctx;
	const struct plume_str *t;
	int32_t type;
	size_t n = 0, k = 0;
	int strip = (flags & PLUME_PIECE_FIRST) && p->add_space_prefix;

	if (id < 0 || (uint32_t)id >= p->v->n_tokens)
		return p->host->error(err, PLUME_ERR_RANGE, "spm: token id %d outside the vocabulary (%u)",
				      id, p->v->n_tokens);
	t = &p->v->tokens[id];
	type = token_type(p, id);
	if (type == PLUME_TOKEN_CONTROL || type == PLUME_TOKEN_UNKNOWN ||
	    type == PLUME_TOKEN_USER_DEFINED) {
		if (type != PLUME_TOKEN_USER_DEFINED && !(flags & PLUME_PIECE_SPECIAL)) {
			*len = 0;
			return PLUME_OK;
		}
		if (strip && t->len && t->ptr[0] == ' ')
			k = 1;
		n = t->len - k;
		if (n <= cap)
			memcpy(buf, t->ptr + k, n);
	} else if (type == PLUME_TOKEN_BYTE) {
		int hi = t->len == 6 ? hexval(t->ptr[3]) : -1, lo = t->len == 6 ? hexval(t->ptr[4]) : -1;
		char c = hi >= 0 && lo >= 0 ? (char)(hi * 16 + lo) : 0;

		n = strip && c == ' ' ? 0 : 1;
		if (n && n <= cap)
			buf[0] = c;
	} else if (type == PLUME_TOKEN_NORMAL) {
		for (size_t i = 0; i < t->len;) {
			const char *c = t->ptr + i;
			size_t l = 1;
			char sp = ' ';

			if (t->len - i >= 3 && !memcmp(c, "\xE2\x96\x81", 3)) {
				c = &sp;
				i += 3;
			} else {
				i++;
			}
			if (strip && !n && *c == ' ') {
				strip = 0;
				continue;
			}
			strip = 0;
			if (n + l <= cap)
				buf[n] = *c;
			n += l;
		}
	}
	/* other types (UNDEFINED, UNUSED): suppressed like control tokens */
	*len = n;
	return n > cap ? PLUME_ERR_TOOSMALL : PLUME_OK;
}

static int spm_decode(void *ctx, const int32_t *ids, size_t n_ids, uint32_t flags, char *buf,
		      size_t cap, size_t *len, struct plume_error *err)
{
	size_t n = 0;

	for (size_t i = 0; i < n_ids; i++) {
		size_t l = 0;
		uint32_t f = (flags & PLUME_PIECE_SPECIAL) | (i == 0 ? PLUME_PIECE_FIRST : 0);
		int rc = spm_piece(ctx, ids[i], f, n < cap ? buf + n : buf, n < cap ? cap - n : 0, &l,
				   err);

		if (rc && rc != PLUME_ERR_TOOSMALL)
			return rc;
		n += l;
	}
	*len = n;
	return n > cap ? PLUME_ERR_TOOSMALL : PLUME_OK;
}

/* ---- create / info ----------------------------------------------------- */

/* llama.cpp gives phi-3 models (general.name containing "phi-3" or "phi3")
 * RSTRIP on every special token and </s>, except <unk>, <s>, <|endoftext|>:
 * whitespace after such a token in the input is dropped. */
static void set_rstrip(struct spm *p)
{
	static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
	struct plume_str name = {0};
	char low[256];
	size_t n;
	int32_t id;

	if (!p->v->meta_string || p->v->meta_string(p->v->meta, "general.name", &name) != PLUME_OK ||
	    !name.ptr)
		return;
	n = name.len < sizeof(low) - 1 ? (size_t)name.len : sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name.ptr[i]);
	low[n] = '\0';
	if (!strstr(low, "phi-3") && !strstr(low, "phi3"))
		return;
	for (uint32_t i = 0; i < p->ix.n_specials; i++)
		p->rstrip[p->ix.specials[i]] = 1;
	if ((id = tok_find(p, "</s>", 4)) >= 0)
		p->rstrip[id] = 1;
	for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
		if ((id = tok_find(p, keep[k], strlen(keep[k]))) >= 0)
			p->rstrip[id] = 0;
}

static void spm_destroy(void *ctx)
{
	struct spm *p = ctx;

	if (!p)
		return;
	tok_vocab_index_fini(&p->ix, p->host);
	p->host->free(p->rstrip);
	p->host->free(p);
}

static int spm_create(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, const struct plume_vocab *v,
		      void **out, struct plume_error *err)
{
	struct spm *p;

	(void)cfg;
	(void)params;
	if (!v->model || strcmp(v->model, "llama"))
		return host->error(err, PLUME_ERR_UNSUPPORTED,
				   "spm: vocabulary model '%s' is not sentencepiece (llama)",
				   v->model ? v->model : "(absent)");
	p = host->calloc(1, sizeof(*p));
	if (!p)
		return host->error(err, PLUME_ERR_NOMEM, "spm: out of memory");
	p->host = host;
	p->v = v;
	p->rstrip = host->calloc(v->n_tokens ? v->n_tokens : 1, 1);
	if (tok_vocab_index_init(&p->ix, host, v) || !p->rstrip) {
		spm_destroy(p);
		return host->error(err, PLUME_ERR_NOMEM, "spm: out of memory");
	}
	for (int c = 0; c < 256; c++) {
		char hex[8], one = (char)c;

		snprintf(hex, sizeof(hex), "<0x%02X>", c);
		p->byte_id[c] = tok_find(p, hex, 6);
		if (p->byte_id[c] < 0)
			p->byte_id[c] = tok_find(p, &one, 1);
	}
	set_rstrip(p);
	p->add_bos = v->add_bos >= 0 ? v->add_bos : 1;
	p->add_eos = v->add_eos >= 0 ? v->add_eos : 0;
	p->add_space_prefix = v->add_space_prefix >= 0 ? v->add_space_prefix : 1;
	if (v->bos_id < 0 || (uint32_t)v->bos_id >= v->n_tokens)
		p->add_bos = 0;
	if (v->eos_id < 0 || (uint32_t)v->eos_id >= v->n_tokens)
		p->add_eos = 0;
	p->info.size = sizeof(p->info);
	p->info.abi_minor = PLUME_ABI_MINOR;
	p->info.n_vocab = v->n_tokens;
	p->info.bos_id = v->bos_id;
	p->info.eos_id = v->eos_id;
	p->info.add_bos = p->add_bos;
	p->info.add_eos = p->add_eos;
	p->info.eog_ids = p->ix.eog;
	p->info.n_eog = p->ix.n_eog;
	p->info.pre = v->pre && *v->pre ? v->pre : "default";
	*out = p;
	return PLUME_OK;
}

static int spm_get_info(void *ctx, struct plume_tokenizer_info *info)
{
	struct spm *p = ctx;
	uint32_t n = info->size < sizeof(p->info) ? info->size : (uint32_t)sizeof(p->info);

	memcpy(info, &p->info, n);
	info->size = n;
	return PLUME_OK;
}

static const struct plume_tokenizer_ops spm_ops = {
	.size = sizeof(struct plume_tokenizer_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = spm_create,
	.destroy = spm_destroy,
	.get_info = spm_get_info,
	.encode = spm_encode,
	.piece = spm_piece,
	.decode = spm_decode,
};

static const struct plume_plugin_desc spm_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_TOKENIZER,
	.name = "spm",
	.version = "0.1.0",
	.description = "SentencePiece (llama) as llama.cpp tokenizes it",
	.options = NULL,
	.n_options = 0,
	.option_size = sizeof(struct plume_option),
	.ops = &spm_ops,
};

PLUME_PLUGIN_DEFINE(spm_desc)
