/* Byte-level BPE tokenizer plugin (GPT-2 family: SmolLM, Llama 3, Qwen2,
 * StarCoder, ...), exact against llama.cpp: special tokens split out first
 * (longest first), pre-tokenizer words, GPT-2 byte-to-unicode mapping,
 * merges by lowest rank with a priority queue (no quadratic behaviour),
 * detokenization back to bytes. Invalid UTF-8 in the input never fails:
 * as in llama.cpp, every byte that starts no sequence becomes U+FFFD (so
 * such input does not round-trip; valid UTF-8 always does). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "plume/tokenizer.h"
#include "pretok.h"
#include "unicode.h"

/* ---- hash map from byte strings to int ------------------------------ */

struct map {
	uint32_t *slots; /* value + 1; 0 = empty */
	uint32_t mask;
	const struct plume_str *keys; /* key of value v is keys[v] (tokens) ... */
	const char **kp;              /* ... or kp/kl for merges */
	uint32_t *kl;
};

static uint32_t fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct bpe {
	const struct plume_host *host;
	const struct plume_vocab *v;
	const struct pretok *pre;
	struct plume_tokenizer_info info;
	/* token text -> id */
	uint32_t *tok_slots, tok_mask;
	/* merge "left right" -> rank */
	uint32_t *merge_slots, merge_mask;
	/* byte <-> code point of the GPT-2 byte map; utf-8 of each byte's char */
	char byte_utf8[256][3];
	uint8_t byte_len[256];
	int16_t cp_byte[0x200]; /* code point (< 0x200) -> byte, -1 none */
	/* specials: ids sorted by text length, descending */
	int32_t *specials;
	uint32_t n_specials;
	int32_t eog[16];
	uint32_t n_eog;
	int add_bos, add_eos;
	char pre_name[64];
};

static const struct plume_host *g_host;

static void *hre(void *p, size_t n)
{
	if (!n) {
		g_host->free(p);
		return NULL;
	}
	return g_host->realloc(p, n);
}

static int32_t tok_find(const struct bpe *b, const char *s, size_t n)
{
	uint32_t i = fnv(s, n) & b->tok_mask;

	for (;; i = (i + 1) & b->tok_mask) {
		uint32_t v = b->tok_slots[i];
		const struct plume_str *t;

		if (!v)
			return -1;
		t = &b->v->tokens[v - 1];
		if (t->len == n && !memcmp(t->ptr, s, n))
			return (int32_t)(v - 1);
	}
}

/* Merge "left right": look up by the two parts without building the key. */
static int32_t merge_rank(const struct bpe *b, const char *l, size_t ln, const char *r, size_t rn)
{
	uint32_t h = 2166136261u, i;

	for (size_t k = 0; k < ln; k++)
		h = (h ^ (unsigned char)l[k]) * 16777619u;
	h = (h ^ (unsigned char)' ') * 16777619u;
	for (size_t k = 0; k < rn; k++)
		h = (h ^ (unsigned char)r[k]) * 16777619u;
	for (i = h & b->merge_mask;; i = (i + 1) & b->merge_mask) {
		uint32_t v = b->merge_slots[i];
		const struct plume_str *m;

		if (!v)
			return -1;
		m = &b->v->merges[v - 1];
		if (m->len == ln + 1 + rn && !memcmp(m->ptr, l, ln) && m->ptr[ln] == ' ' &&
		    !memcmp(m->ptr + ln + 1, r, rn))
			return (int32_t)(v - 1);
	}
}

static uint32_t table_size(uint32_t n)
{
	uint32_t s = 1024;

	while (s < n * 2)
		s *= 2;
	return s;
}

static void byte_map(struct bpe *b)
{
	uint32_t next = 256;

	memset(b->cp_byte, 0xFF, sizeof(b->cp_byte));
	for (int c = 0; c < 256; c++) {
		uint32_t cp;

		if ((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))
			cp = (uint32_t)c;
		else
			cp = next++;
		b->byte_len[c] = (uint8_t)uc_encode(cp, b->byte_utf8[c]);
		b->cp_byte[cp] = (int16_t)c;
	}
}

static int is_special_type(int32_t t, int parse_special)
{
	return t == PLUME_TOKEN_USER_DEFINED ||
	       (parse_special && (t == PLUME_TOKEN_CONTROL || t == PLUME_TOKEN_UNKNOWN));
}

static int32_t token_type(const struct bpe *b, int32_t id)
{
	return b->v->token_types ? b->v->token_types[id] : PLUME_TOKEN_NORMAL;
}

static int special_cmp_len(const struct bpe *b, int32_t x, int32_t y)
{
	uint64_t lx = b->v->tokens[x].len, ly = b->v->tokens[y].len;

	return lx > ly ? -1 : lx < ly ? 1 : (x > y) - (x < y);
}

static void eog_add(struct bpe *b, int32_t id)
{
	if (id < 0 || b->n_eog >= 16)
		return;
	for (uint32_t i = 0; i < b->n_eog; i++)
		if (b->eog[i] == id)
			return;
	b->eog[b->n_eog++] = id;
}

/* Texts llama.cpp treats as end of generation (llama-vocab.cpp), and the
 * fill-in-the-middle pad/repo/separator tokens it adds to that set. */
static const char *const eog_texts[] = {
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	"<｜end▁of▁sentence｜>", "[e~[",
	/* fim pad */ "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
	/* fim rep */ "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
	/* fim sep */ "<|file_sep|>",
};

static void bpe_destroy(void *ctx);

static int bpe_create(const struct plume_host *host, const struct plume_config *cfg,
		      const struct plume_engine_params *params, const struct plume_vocab *v,
		      void **out, struct plume_error *err)
{
	struct bpe *b;
	const char *pre_opt = "";

	g_host = host;
	if (!v->model || strcmp(v->model, "gpt2"))
		return host->error(err, PLUME_ERR_UNSUPPORTED,
				   "bpe: vocabulary model '%s' is not byte-level bpe (gpt2)",
				   v->model ? v->model : "(absent)");
	host->config_string(cfg, "pre", &pre_opt);
	b = host->calloc(1, sizeof(*b));
	if (!b)
		return host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory");
	b->host = host;
	b->v = v;
	snprintf(b->pre_name, sizeof(b->pre_name), "%s",
		 *pre_opt ? pre_opt : v->pre && *v->pre ? v->pre : "default");
	if (!*pre_opt && !(v->pre && *v->pre))
		host->log(PLUME_LOG_WARN, "bpe",
			  "vocabulary has no tokenizer.ggml.pre: using 'default' (as llama.cpp)");
	b->pre = pretok_find(b->pre_name);
	if (!b->pre) {
		int rc = host->error(err, PLUME_ERR_UNSUPPORTED,
				     "bpe: pre-tokenizer '%s' (tokenizer.ggml.pre) is not known; set [tokenizer.bpe] pre = one of smollm, gpt-2, default, llama3, qwen2, starcoder, ...",
				     b->pre_name);

		bpe_destroy(b);
		return rc;
	}
	byte_map(b);
	b->tok_mask = table_size(v->n_tokens) - 1;
	b->merge_mask = table_size(v->n_merges) - 1;
	b->tok_slots = host->calloc(b->tok_mask + 1, sizeof(uint32_t));
	b->merge_slots = host->calloc(b->merge_mask + 1, sizeof(uint32_t));
	b->specials = host->calloc(v->n_tokens, sizeof(int32_t));
	if (!b->tok_slots || !b->merge_slots || !b->specials) {
		bpe_destroy(b);
		return host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory");
	}
	for (uint32_t id = 0; id < v->n_tokens; id++) {
		uint32_t i = fnv(v->tokens[id].ptr, v->tokens[id].len) & b->tok_mask;

		if (tok_find(b, v->tokens[id].ptr, v->tokens[id].len) >= 0)
			continue; /* duplicate text: the first id wins */
		while (b->tok_slots[i])
			i = (i + 1) & b->tok_mask;
		b->tok_slots[i] = id + 1;
		if (v->token_types && (v->token_types[id] == PLUME_TOKEN_CONTROL ||
				       v->token_types[id] == PLUME_TOKEN_USER_DEFINED ||
				       v->token_types[id] == PLUME_TOKEN_UNKNOWN) && v->tokens[id].len)
			b->specials[b->n_specials++] = (int32_t)id;
	}
	for (uint32_t r = 0; r < v->n_merges; r++) {
		const struct plume_str *m = &v->merges[r];
		const char *sp = memchr(m->ptr, ' ', m->len);
		uint32_t i;

		if (!sp)
			continue;
		if (merge_rank(b, m->ptr, (size_t)(sp - m->ptr), sp + 1,
			       m->len - (size_t)(sp - m->ptr) - 1) >= 0)
			continue;
		for (i = fnv(m->ptr, m->len) & b->merge_mask; b->merge_slots[i];
		     i = (i + 1) & b->merge_mask)
			;
		b->merge_slots[i] = r + 1;
	}
	/* specials by text length, descending (insertion sort is fine: few) */
	for (uint32_t i = 1; i < b->n_specials; i++) {
		int32_t x = b->specials[i];
		uint32_t j = i;

		while (j > 0 && special_cmp_len(b, b->specials[j - 1], x) > 0) {
			b->specials[j] = b->specials[j - 1];
			j--;
		}
		b->specials[j] = x;
	}
	/* end of generation: eos, eot, eom and the texts llama.cpp detects */
	eog_add(b, v->eos_id);
	eog_add(b, v->eot_id);
	eog_add(b, v->eom_id);
	for (size_t k = 0; k < sizeof(eog_texts) / sizeof(eog_texts[0]); k++) {
		int32_t id = tok_find(b, eog_texts[k], strlen(eog_texts[k]));

		if (id >= 0)
			eog_add(b, id);
	}
	b->add_bos = v->add_bos >= 0 ? v->add_bos : b->pre->ignore_merges; /* the llama3 names */
	b->add_eos = v->add_eos >= 0 ? v->add_eos : 0;
	if (b->add_bos && v->bos_id < 0)
		b->add_bos = 0;
	b->info.size = sizeof(b->info);
	b->info.abi_minor = PLUME_ABI_MINOR;
	b->info.n_vocab = v->n_tokens;
	b->info.bos_id = v->bos_id;
	b->info.eos_id = v->eos_id;
	b->info.add_bos = b->add_bos;
	b->info.add_eos = b->add_eos;
	b->info.eog_ids = b->eog;
	b->info.n_eog = b->n_eog;
	b->info.pre = b->pre_name;
	*out = b;
	return PLUME_OK;
}

static void bpe_destroy(void *ctx)
{
	struct bpe *b = ctx;

	if (!b)
		return;
	b->host->free(b->tok_slots);
	b->host->free(b->merge_slots);
	b->host->free(b->specials);
	b->host->free(b);
}

static int bpe_get_info(void *ctx, struct plume_tokenizer_info *info)
{
	struct bpe *b = ctx;
	uint32_t n = info->size < sizeof(b->info) ? info->size : (uint32_t)sizeof(b->info);

	memcpy(info, &b->info, n);
	info->size = n;
	return PLUME_OK;
}

/* ---- encoding --------------------------------------------------------- */

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

struct sym {
	uint32_t off, len;   /* in the byte-encoded word */
	int32_t prev, next;
};

struct cand {
	int32_t rank;
	int32_t left;        /* symbol index */
	uint32_t len;        /* left.len + right.len when pushed (staleness check) */
};

/* min-heap by (rank, left) */
static int cand_less(const struct cand *a, const struct cand *b)
{
	return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void heap_push(struct cand *h, size_t *n, struct cand c)
{
	size_t i = (*n)++;

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!cand_less(&c, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = c;
}

static struct cand heap_pop(struct cand *h, size_t *n)
{
	struct cand top = h[0], last = h[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct cand *best = &last;

		if (l < *n && cand_less(&h[l], best)) {
			m = l;
			best = &h[l];
		}
		if (r < *n && cand_less(&h[r], best))
			m = r;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	if (*n)
		h[i] = last;
	return top;
}

static void try_pair(const struct bpe *b, const char *w, struct sym *s, int32_t left,
		     struct cand *heap, size_t *nh)
{
	int32_t right = s[left].next, rank;

	if (left < 0 || right < 0)
		return;
	rank = merge_rank(b, w + s[left].off, s[left].len, w + s[right].off, s[right].len);
	if (rank >= 0)
		heap_push(heap, nh, (struct cand){rank, left, s[left].len + s[right].len});
}

/* BPE over one byte-encoded word w[0..n). */
static int bpe_word(struct bpe *b, const char *w, size_t n, struct out_ids *o)
{
	struct sym *s;
	struct cand *heap;
	size_t n_sym = 0, nh = 0;
	int32_t id;

	if (b->pre->ignore_merges && (id = tok_find(b, w, n)) >= 0) {
		emit(o, id);
		return 0;
	}
	s = b->host->alloc((n + 1) * sizeof(*s));
	heap = b->host->alloc((2 * n + 2) * sizeof(*heap));
	if (!s || !heap) {
		b->host->free(s);
		b->host->free(heap);
		return -1;
	}
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int bad;
		size_t len = uc_decode((const unsigned char *)w + i, n - i, &cp, &bad);

		s[n_sym] = (struct sym){(uint32_t)i, (uint32_t)len, (int32_t)n_sym - 1,
					(int32_t)n_sym + 1};
		n_sym++;
		i += len;
	}
	s[n_sym - 1].next = -1;
	for (size_t i = 0; i + 1 < n_sym; i++)
		try_pair(b, w, s, (int32_t)i, heap, &nh);
	while (nh) {
		struct cand c = heap_pop(heap, &nh);
		int32_t l = c.left, r = s[l].next;

		/* stale: left was merged away or its pair changed */
		if (s[l].len == 0 || r < 0 || s[l].len + s[r].len != c.len)
			continue;
		s[l].len += s[r].len;
		s[r].len = 0;
		s[l].next = s[r].next;
		if (s[r].next >= 0)
			s[s[r].next].prev = l;
		try_pair(b, w, s, s[l].prev, heap, &nh);
		try_pair(b, w, s, l, heap, &nh);
	}
	for (int32_t i = 0; i >= 0; i = s[i].next) {
		id = tok_find(b, w + s[i].off, s[i].len);
		if (id >= 0) {
			emit(o, id);
			continue;
		}
		/* not a token: one token per byte character */
		for (uint32_t k = 0; k < s[i].len;) {
			uint32_t cp;
			int bad;
			size_t len = uc_decode((const unsigned char *)w + s[i].off + k, s[i].len - k, &cp, &bad);

			id = tok_find(b, w + s[i].off + k, len);
			if (id >= 0)
				emit(o, id);
			k += (uint32_t)len;
		}
	}
	b->host->free(s);
	b->host->free(heap);
	return 0;
}

/* llama.cpp's lenient UTF-8 reading: a lead byte with the right number of
 * continuation bytes is a code point (overlong forms and surrogates
 * included) and is re-encoded canonically; any other byte becomes U+FFFD.
 * Returns a host-allocated copy (length in *m) or NULL. */
static char *sanitize(const char *t, size_t n, size_t *m)
{
	char *out = hre(NULL, 3 * n + 1);
	size_t i = 0, k = 0;

	if (!out)
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)t[i];
		size_t len = c < 0x80 ? 1 : !(c & 0x40) ? 0 : !(c & 0x20) ? 2 : !(c & 0x10) ? 3 : !(c & 0x08) ? 4 : 0;
		uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
		size_t j;

		for (j = 1; len && j < len; j++) {
			if (i + j >= n || ((unsigned char)t[i + j] & 0xC0) != 0x80)
				break;
			cp = (cp << 6) | ((unsigned char)t[i + j] & 0x3F);
		}
		if (!len || j < len) {
			memcpy(out + k, "\xEF\xBF\xBD", 3);
			k += 3;
			i++;
			continue;
		}
		k += uc_encode(cp, out + k);
		i += len;
	}
	*m = k;
	return out;
}

/* Tokenize a raw fragment (no specials inside). */
static int encode_raw(struct bpe *b, const char *raw, size_t raw_n, struct out_ids *o)
{
	struct span_list words = {0};
	char *buf = NULL;
	size_t cap = 0, n;
	int rc = 0;
	char *text = sanitize(raw, raw_n, &n);

	if (!text)
		return -1;
	if (pretok_split(b->pre, text, n, 0, &words, hre)) {
		hre(text, 0);
		return -1;
	}
	for (size_t i = 0; i < words.n && !rc; i++) {
		const struct span *sp = &words.v[i];
		size_t m = 0;

		if (sp->len * 2 + 1 > cap) {
			char *nb = hre(buf, sp->len * 2 + 1);

			if (!nb) {
				rc = -1;
				break;
			}
			buf = nb;
			cap = sp->len * 2 + 1;
		}
		for (size_t k = 0; k < sp->len; k++) {
			unsigned char c = (unsigned char)text[sp->off + k];

			memcpy(buf + m, b->byte_utf8[c], b->byte_len[c]);
			m += b->byte_len[c];
		}
		rc = bpe_word(b, buf, m, o);
	}
	hre(buf, 0);
	hre(words.v, 0);
	hre(text, 0);
	return rc;
}

/* A piece of the input: raw text, or a special token found in it. */
struct frag {
	size_t off, len;
	int32_t id; /* -1: raw text */
};

/* Split one raw fragment by every occurrence of token `id` (left to right,
 * non-overlapping) into out[*n..]; out has room for all pieces. */
static void split_frag(const struct bpe *b, const char *text, struct frag f, int32_t id,
		       struct frag *out, size_t *n)
{
	const struct plume_str *t = &b->v->tokens[id];
	size_t pos = f.off, end = f.off + f.len;
	const char *p;

	while (pos < end && (p = memmem(text + pos, end - pos, t->ptr, t->len))) {
		size_t at = (size_t)(p - text);

		if (at > pos)
			out[(*n)++] = (struct frag){pos, at - pos, -1};
		out[(*n)++] = (struct frag){at, t->len, id};
		pos = at + t->len;
	}
	if (pos < end)
		out[(*n)++] = (struct frag){pos, end - pos, -1};
}

/* llama.cpp's partition: for each special token, longest text first, every
 * raw fragment left so far is split at its occurrences; then the raw
 * fragments are BPE-encoded. */
static int encode_text(struct bpe *b, const char *text, size_t n, int parse_special,
		       struct out_ids *o)
{
	struct frag *cur = NULL, *next = NULL, *t;
	size_t n_cur = 1, cap = 1;
	int rc = -1;

	cur = hre(NULL, sizeof(*cur));
	if (!cur)
		goto out;
	cur[0] = (struct frag){0, n, -1};
	for (uint32_t k = 0; k < b->n_specials; k++) {
		int32_t id = b->specials[k];
		size_t n_next = 0, need = n_cur;
		const struct plume_str *tok = &b->v->tokens[id];

		if (!is_special_type(token_type(b, id), parse_special) || !tok->len)
			continue;
		/* an upper bound: each raw fragment gains 2 pieces per match */
		for (size_t i = 0; i < n_cur; i++)
			if (cur[i].id < 0 && cur[i].len >= tok->len &&
			    memmem(text + cur[i].off, cur[i].len, tok->ptr, tok->len))
				need += 2 * (cur[i].len / tok->len);
		if (need == n_cur)
			continue;
		if (need > cap || !next) {
			t = hre(next, need * sizeof(*next));
			if (!t)
				goto out;
			next = t;
			t = hre(cur, need * sizeof(*cur));
			if (!t)
				goto out;
			cur = t;
			cap = need;
		}
		for (size_t i = 0; i < n_cur; i++) {
			if (cur[i].id >= 0 || cur[i].len < tok->len)
				next[n_next++] = cur[i];
			else
				split_frag(b, text, cur[i], id, next, &n_next);
		}
		t = cur;
		cur = next;
		next = t;
		n_cur = n_next;
	}
	for (size_t i = 0; i < n_cur; i++) {
		if (cur[i].id >= 0)
			emit(o, cur[i].id);
		else if (encode_raw(b, text + cur[i].off, cur[i].len, o))
			goto out;
	}
	rc = 0;
out:
	hre(cur, 0);
	hre(next, 0);
	return rc;
}

static int bpe_encode(void *ctx, const char *text, size_t len, uint32_t flags, int32_t *ids,
		      size_t cap, size_t *n_ids, struct plume_error *err)
{
	struct bpe *b = ctx;
	struct out_ids o = {ids, cap, 0};
	int special = !!(flags & PLUME_TOK_ADD_SPECIAL);

	if (special && b->add_bos)
		emit(&o, b->v->bos_id);
	if (encode_text(b, text, len, !!(flags & PLUME_TOK_PARSE_SPECIAL), &o))
		return b->host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory encoding %zu bytes", len);
	if (special && b->add_eos && b->v->eos_id >= 0)
		emit(&o, b->v->eos_id);
	*n_ids = o.n;
	return o.n > cap ? PLUME_ERR_TOOSMALL : PLUME_OK;
}

/* ---- decoding --------------------------------------------------------- */

static int bpe_piece(void *ctx, int32_t id, uint32_t flags, char *buf, size_t cap, size_t *len,
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

static int bpe_decode(void *ctx, const int32_t *ids, size_t n_ids, uint32_t flags, char *buf,
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

static const struct plume_tokenizer_ops bpe_ops = {
	.size = sizeof(struct plume_tokenizer_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = bpe_create,
	.destroy = bpe_destroy,
	.get_info = bpe_get_info,
	.encode = bpe_encode,
	.piece = bpe_piece,
	.decode = bpe_decode,
};

static const struct plume_option bpe_options[] = {
	{"pre", PLUME_OPT_STRING, "", 1, 0, NULL,
	 "pre-tokenizer to use instead of tokenizer.ggml.pre (smollm, gpt-2, llama3, qwen2, ...)"},
};

static const struct plume_plugin_desc bpe_desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR,
	.kind = PLUME_KIND_TOKENIZER,
	.name = "bpe",
	.version = "0.1.0",
	.description = "byte-level BPE (GPT-2 family) as llama.cpp tokenizes it",
	.options = bpe_options,
	.n_options = 1,
	.option_size = sizeof(struct plume_option),
	.ops = &bpe_ops,
};

PLUME_PLUGIN_DEFINE(bpe_desc)
