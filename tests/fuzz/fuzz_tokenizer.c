/* libFuzzer harness for the tokenizer plugins (bpe, spm): arbitrary bytes are
 * encoded with special-token parsing off and on, decoded, and checked
 * against the round-trip invariants below. The vocabulary is a real GGUF file
 * loaded once (engine in tokenizer-only mode, the instrumented plugin of this
 * build opened by path):
 *   bpe: $PLUME_FUZZ_MODEL, default ~/.cache/plume/models/SmolLM2-135M-Instruct.Q4_1.gguf
 *   spm: $PLUME_FUZZ_VOCAB, default ~/.cache/plume/vocab/ggml-vocab-llama-spm.gguf
 * Compile with FUZZ_TOKENIZER="bpe" or "spm".
 *
 * Invariants (a violation aborts, which libFuzzer reports as a crash):
 *  1. encode never fails and every id is in [0, n_vocab);
 *  2. decode and piece of those ids never fail, and decode equals the pieces
 *     joined unless the vocabulary's decode cleans up spaces (" ?" -> "?",
 *     detected at start-up); "decoded" below means the joined pieces;
 *  3. parsing off: decode(encode(x)) == x when x is valid UTF-8 and each of
 *     its bytes has a token of its own (SmolLM2 has none for 0x04, 0x06, 0x13,
 *     0x14, 0x16, 0x1d, 0xf1, 0xf2, ...: such a byte, when no merge covers it,
 *     is dropped, as llama.cpp drops it) (bpe: invalid
 *     bytes become U+FFFD, docs/tokenizers.md; spm, as llama.cpp: a lead byte
 *     swallows the next bytes, which may be the U+2581 that stood for a
 *     space, and they come back as raw bytes);
 *  4. parsing on, control text kept (PLUME_PIECE_SPECIAL): bpe gives x back;
 *     spm gives x back up to the spaces it inserts after a special token;
 *  5. encode(decode(encode(x))) == encode(x) (parsing off) when every byte
 *     of x has a token and the decoded text is valid UTF-8: the canonical
 *     form is a fixed point. (A dropped byte, see 3, can make the rest read
 *     differently: "it'\x06s" decodes to "it's", a contraction.)
 *  6. decoding arbitrary ids (the input read as int32s, out of range ones
 *     included) returns a status, never crashes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "engine_internal.h"

#ifndef FUZZ_TOKENIZER
#error "define FUZZ_TOKENIZER as \"bpe\" or \"spm\""
#endif

static struct plume_engine *eng;
static const struct plume_tokenizer_ops *tok;
static uint32_t n_vocab;
static int is_spm;
static uint8_t have_byte[256]; /* some token's piece is exactly this byte */
static int clean_spaces;       /* decode cleans up spaces (" ?" -> "?", ...) */

#define CHECK(cond, ...)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "invariant failed: %s: ", #cond);                   \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

static void default_path(char *out, size_t n, const char *env, const char *rel)
{
	const char *v = getenv(env), *home = getenv("HOME");

	if (v && *v)
		snprintf(out, n, "%s", v);
	else
		snprintf(out, n, "%s/.cache/plume/%s", home ? home : "", rel);
}

static int32_t *encode(const char *s, size_t n, uint32_t flags, size_t *n_ids)
{
	struct plume_error err = {0};
	int32_t *ids = NULL;
	int rc = plume_engine_tokenize(eng, s, n, flags, &ids, n_ids, &err);

	CHECK(rc == 0, "encode flags %u: %s", flags, err.msg);
	for (size_t i = 0; i < *n_ids; i++)
		CHECK(ids[i] >= 0 && (uint32_t)ids[i] < n_vocab, "id %d", ids[i]);
	return ids;
}

/* decode into a malloc'ed buffer; returns the status, *out NULL on error. */
static int decode(const int32_t *ids, size_t n_ids, uint32_t flags, char **out, size_t *len)
{
	struct plume_error err = {0};
	size_t cap = 16, n = 0;
	char *buf = malloc(cap);
	int rc = tok->decode(eng->tokenizer_ctx, ids, n_ids, flags, buf, cap, &n, &err);

	if (rc == PLUME_ERR_TOOSMALL) {
		CHECK(n > cap, "needed %zu with a %zu-byte buffer", n, cap);
		cap = n;
		buf = realloc(buf, cap);
		rc = tok->decode(eng->tokenizer_ctx, ids, n_ids, flags, buf, cap, &n, &err);
		CHECK(rc != PLUME_ERR_TOOSMALL, "decode asked twice for more room");
	}
	if (rc) {
		free(buf);
		*out = NULL;
		return rc;
	}
	CHECK(n <= cap, "decode length %zu beyond capacity %zu", n, cap);
	*out = buf;
	*len = n;
	return 0;
}

static int valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c = s[i], cp;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			k = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			k = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		if (i + k >= n)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

static void dump(const char *what, const uint8_t *s, size_t n, const int32_t *ids, size_t n_ids)
{
	fprintf(stderr, "%s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", s[i]);
	fprintf(stderr, "\n  ids:");
	for (size_t i = 0; i < n_ids; i++)
		fprintf(stderr, " %d", ids[i]);
	fputc('\n', stderr);
}

/* spm shows U+2581 as a space: the text decode should give back for s. */
static char *spm_expected(const char *s, size_t n, size_t *out_n)
{
	char *o = malloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (i + 2 < n && !memcmp(s + i, "\xe2\x96\x81", 3)) {
			o[k++] = ' ';
			i += 2;
		} else {
			o[k++] = s[i];
		}
	}
	*out_n = k;
	return o;
}

/* s without ASCII whitespace (spm inserts a space after a special token; phi-3
 * style rstrip tokens eat the whitespace after them), malloc'ed. */
static char *strip_spaces(const char *s, size_t n, size_t *out_n)
{
	char *o = malloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\n\v\f\r", s[i]) || !s[i])
			o[k++] = s[i];
	*out_n = k;
	return o;
}

/* The pieces of ids joined (the first with PLUME_PIECE_FIRST): the text before
 * any clean-up. malloc'ed. */
static char *join_pieces(const int32_t *ids, size_t n_ids, uint32_t flags, size_t *out_n)
{
	char *out = NULL;
	size_t n = 0;

	for (size_t i = 0; i < n_ids; i++) {
		struct plume_error err = {0};
		char *p;
		size_t len;
		uint32_t fl = flags | (i == 0 ? PLUME_PIECE_FIRST : 0);

		CHECK(plume_engine_piece(eng, ids[i], fl, &p, &len, &err) == 0, "piece %d: %s",
		      ids[i], err.msg);
		out = realloc(out, n + len + 1);
		memcpy(out + n, p, len);
		n += len;
		free(p);
	}
	*out_n = n;
	return out ? out : calloc(1, 1);
}

static void round_trip(const char *s, size_t n, int parse, int covered, int valid)
{
	uint32_t ef = parse ? PLUME_TOK_PARSE_SPECIAL : 0;
	uint32_t df = parse ? PLUME_PIECE_SPECIAL : 0;
	size_t n_ids, len, n_want = n, n_joined;
	char *want = is_spm ? spm_expected(s, n, &n_want) : NULL;
	const char *w = want ? want : s;
	int32_t *ids = encode(s, n, ef, &n_ids);
	char *text, *joined;

	CHECK(decode(ids, n_ids, df, &text, &len) == 0, "decode of encoded ids failed");
	joined = join_pieces(ids, n_ids, df, &n_joined);
	if (!clean_spaces)
		CHECK(len == n_joined && !memcmp(text, joined, len),
		      "decode (%zu bytes) differs from the joined pieces (%zu bytes)", len, n_joined);
	if (valid && (!parse || !is_spm)) {
		CHECK(n_joined == n_want && !memcmp(joined, w, n_joined),
		      "round trip (special %d): %zu bytes in, %zu expected, %zu out", parse, n, n_want,
		      n_joined);
	} else if (valid) {
		size_t na, nb;
		char *a = strip_spaces(w, n_want, &na), *b = strip_spaces(joined, n_joined, &nb);

		CHECK(na == nb && !memcmp(a, b, na),
		      "round trip (special, whitespace aside): %zu vs %zu", na, nb);
		free(a);
		free(b);
	}
	if (!parse && covered && valid_utf8((const uint8_t *)joined, n_joined)) {
		size_t n2, d = 0;
		int32_t *ids2 = encode(joined, n_joined, 0, &n2);

		while (d < n_ids && d < n2 && ids[d] == ids2[d])
			d++;
		if (n2 != n_ids || d != n_ids) {
			dump("input", (const uint8_t *)s, n, ids, n_ids);
			dump("decoded", (const uint8_t *)joined, n_joined, ids2, n2);
		}
		CHECK(n2 == n_ids && d == n_ids,
		      "canonical form not a fixed point: %zu ids, then %zu; first difference at %zu: "
		      "%d vs %d", n_ids, n2, d, d < n_ids ? ids[d] : -1, d < n2 ? ids2[d] : -1);
		free(ids2);
	}
	free(joined);
	free(text);
	free(ids);
	free(want);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct plume_cfg *cfg;
	struct plume_error err = {0};
	char path[1024], set[1200];

	is_spm = !strcmp(FUZZ_TOKENIZER, "spm");
	if (is_spm)
		default_path(path, sizeof(path), "PLUME_FUZZ_VOCAB", "vocab/ggml-vocab-llama-spm.gguf");
	else
		default_path(path, sizeof(path), "PLUME_FUZZ_MODEL",
			     "models/SmolLM2-135M-Instruct.Q4_1.gguf");
	if (plume_cfg_create(&cfg))
		abort();
	snprintf(set, sizeof(set), "model.path=%s", path);
	if (plume_cfg_set(cfg, set, "fuzz", &err))
		goto fail;
	snprintf(set, sizeof(set), "engine.tokenizer=%s/plume-tokenizer-%s.so", FUZZ_PLUGIN_DIR,
		 FUZZ_TOKENIZER);
	if (plume_cfg_set(cfg, set, "fuzz", &err))
		goto fail;
	if (plume_engine_create(cfg, PLUME_ENGINE_TOKENIZER_ONLY, &eng, &err))
		goto fail;
	tok = &eng->tokenizer->ops.tokenizer;
	n_vocab = eng->tok_info.n_vocab;
	for (uint32_t id = 0; id < n_vocab; id++) {
		char buf[8];
		size_t len = 0;

		if (tok->piece(eng->tokenizer_ctx, (int32_t)id, 0, buf, sizeof(buf), &len, &err) == 0 &&
		    len == 1)
			have_byte[(uint8_t)buf[0]] = 1;
	}
	{
		size_t n_ids, len;
		int32_t *ids = encode("a ?", 3, 0, &n_ids);
		char *text;

		if (decode(ids, n_ids, 0, &text, &len) == 0) {
			clean_spaces = len != 3 || memcmp(text, "a ?", 3);
			free(text);
		}
		free(ids);
	}
	fprintf(stderr, "fuzz_tok_%s: %s, %u tokens, pre-tokenizer %s%s\n", FUZZ_TOKENIZER, path,
		n_vocab, eng->tok_info.pre ? eng->tok_info.pre : "-",
		clean_spaces ? ", decode cleans up spaces" : "");
	/* cfg is owned by the engine from here on, as in the CLI. */
	return 0;
fail:
	fprintf(stderr, "fuzz_tok_%s: cannot load %s: %s\n", FUZZ_TOKENIZER, path, err.msg);
	exit(1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int covered = 1, valid = valid_utf8(data, size);
	size_t n_ids = size / 4, len;
	int32_t *ids;
	char *text;

	for (size_t i = 0; i < size && covered; i++)
		covered = have_byte[data[i]];
	valid &= covered;

	round_trip(s, size, 0, covered, valid);
	round_trip(s, size, 1, covered, valid);

	/* arbitrary ids: out-of-range ones must be refused, in-range decoded */
	ids = malloc((n_ids ? n_ids : 1) * sizeof(*ids));
	memcpy(ids, data, n_ids * sizeof(*ids));
	for (uint32_t fl = 0; fl < 2; fl++) {
		int in_range = 1;

		for (size_t i = 0; i < n_ids; i++)
			in_range &= ids[i] >= 0 && (uint32_t)ids[i] < n_vocab;
		if (decode(ids, n_ids, fl ? PLUME_PIECE_SPECIAL : 0, &text, &len) == 0)
			free(text);
		else
			CHECK(!in_range, "decode of in-range ids failed");
		/* second pass: the same ids folded into range */
		for (size_t i = 0; i < n_ids; i++)
			ids[i] = (int32_t)((uint32_t)ids[i] % n_vocab);
	}
	free(ids);
	return 0;
}
