/* Byte-level BPE encoding as llama.cpp does it: special tokens split out
 * (longest text first), invalid UTF-8 replaced by U+FFFD, pre-tokenizer
 * words, GPT-2 byte mapping, then merges by lowest rank through a priority
 * queue of candidate pairs (stale ones skipped), so a long run of one
 * character stays O(n log n). */
#define _GNU_SOURCE
#include <string.h>

#include "bpe.h"
#include "tok_heap.h"
#include "unicode.h"


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

TOK_HEAP(heap, struct cand, cand_less)

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
		/* not a token: one token per byte (<0xXX> in SentencePiece style) */
		if (b->spm_style) {
			for (uint32_t k = 0; k < s[i].len; k++) {
				static const char hex[] = "0123456789ABCDEF";
				unsigned char c = (unsigned char)w[s[i].off + k];
				char t[6] = {'<', '0', 'x', hex[c >> 4], hex[c & 15], '>'};

				if ((id = tok_find(b, t, 6)) >= 0)
					emit(o, id);
			}
			continue;
		}
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

/* SentencePiece-style BPE (gemma4): every space becomes U+2581. Replaces
 * *t (host memory) by the escaped copy; -1 when out of memory. */
static int escape_spaces(char **t, size_t *n)
{
	size_t k = 0, spaces = 0;
	char *e;

	for (size_t i = 0; i < *n; i++)
		spaces += (*t)[i] == ' ';
	if (!spaces)
		return 0;
	e = hre(NULL, *n + 2 * spaces + 1);
	if (!e)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if ((*t)[i] == ' ') {
			memcpy(e + k, "\xE2\x96\x81", 3);
			k += 3;
		} else {
			e[k++] = (*t)[i];
		}
	}
	hre(*t, 0);
	*t = e;
	*n = k;
	return 0;
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
	if (b->spm_style && escape_spaces(&text, &n)) {
		hre(text, 0);
		return -1;
	}
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
		if (b->spm_style) {
			int32_t id;

			/* a run of newlines that is a token is emitted as is */
			if (text[sp->off] == '\n' && (id = tok_find(b, text + sp->off, sp->len)) >= 0) {
				emit(o, id);
				continue;
			}
			rc = bpe_word(b, text + sp->off, sp->len, o);
			continue;
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

/* Special tokens split out first (tok_partition), raw fragments BPE-encoded. */
static int encode_text(struct bpe *b, const char *text, size_t n, int parse_special,
		       struct out_ids *o)
{
	struct tok_frag *f;
	size_t n_f;
	int rc = 0;

	if (tok_partition(&b->ix, b->host, text, n, parse_special, NULL, &f, &n_f))
		return -1;
	for (size_t i = 0; i < n_f && !rc; i++) {
		if (f[i].id >= 0)
			emit(o, f[i].id);
		else
			rc = encode_raw(b, text + f[i].off, f[i].len, o);
	}
	b->host->free(f);
	return rc;
}

int bpe_encode(void *ctx, const char *text, size_t len, uint32_t flags, int32_t *ids,
		      size_t cap, size_t *n_ids, struct plume_error *err)
{
	struct bpe *b = ctx;
	struct out_ids o = {ids, cap, 0};
	int special = !!(flags & PLUME_TOK_ADD_SPECIAL);

	if (special && b->add_bos)
		emit(&o, b->bos_id);
	if (encode_text(b, text, len, !!(flags & PLUME_TOK_PARSE_SPECIAL), &o))
		return b->host->error(err, PLUME_ERR_NOMEM, "bpe: out of memory encoding %zu bytes", len);
	if (special && b->add_eos && b->v->eos_id >= 0)
		emit(&o, b->v->eos_id);
	*n_ids = o.n;
	return o.n > cap ? PLUME_ERR_TOOSMALL : PLUME_OK;
}

