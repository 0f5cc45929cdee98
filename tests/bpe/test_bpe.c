/* Byte-level BPE: the default model's vocabulary against llama.cpp's ids on
 * 287 strings (both special-token modes) and its detokenized text; the same
 * vocabulary under 19 pre-tokenizers (scripts/ref/tokenizer_ref.py PRES,
 * ~830 strings each)
 * (ids and whole-sequence decode); round trips; a long run of one
 * character; invalid UTF-8; merge order on a hand-made vocabulary.
 * Reference data: tests/data/tokenizer/ (scripts/ref/tokenizer_ref.py). */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "host.h"
#include "testenv.h"
#include "model.h"
#include "plume/tokenizer.h"
#include "unicode.h"

static struct plume_error err;
static char model[1024];

static int have_model(void)
{
	int rc = tu_default_model(model, sizeof(model));

	if (rc < 0)
		cr_assert_fail("default model %s missing in CI (scripts/fetch-model)", model);
	if (!rc)
		printf("SKIPPED: default model not found at %s (run scripts/fetch-model)\n", model);
	return rc > 0;
}

static struct plume_cfg *cfg;

static struct plume_engine *tokenizer_engine(void)
{
	struct plume_engine *e = NULL;
	char set[1200];

	cr_assert_eq(plume_cfg_create(&cfg), 0);
	snprintf(set, sizeof(set), "model.path=%s", model);
	cr_assert_eq(plume_cfg_set(cfg, set, "test", &err), 0);
	cr_assert_eq(plume_engine_create(cfg, PLUME_ENGINE_TOKENIZER_ONLY, &e, &err), 0, "%s", err.msg);
	return e;
}

static size_t unhex(const char *h, char *out)
{
	size_t n = strcspn(h, "\n") / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (char)v;
	}
	return n;
}

static size_t parse_ids(char *s, int32_t *ids)
{
	size_t n = 0;

	for (char *t = strtok(s, " \n"); t; t = strtok(NULL, " \n"))
		ids[n++] = (int32_t)atoi(t);
	return n;
}

static void decode_all(struct plume_engine *e, const int32_t *ids, size_t n, char *out, size_t *len)
{
	const struct plume_plugin *p = plume_engine_plugin(e, PLUME_KIND_TOKENIZER);
	/* the engine keeps the tokenizer context private: decode through pieces */
	size_t k = 0;

	(void)p;
	for (size_t i = 0; i < n; i++) {
		char *piece;
		size_t pl;

		cr_assert_eq(plume_engine_piece(e, ids[i], 0, &piece, &pl, &err), 0, "%s", err.msg);
		memcpy(out + k, piece, pl);
		k += pl;
		free(piece);
	}
	*len = k;
}

Test(bpe, corpus_ids_equal_llama_cpp)
{
	static char line[16384], text[8192], detok[8192], mine[16384];
	static int32_t ref[4096], ref_sp[4096];
	const char *src = getenv("PLUME_SOURCE_DIR");
	struct plume_engine *e;
	size_t n_text = 0, n_ref = 0, n_sp = 0, n_strings = 0, n_detok;
	char path[1024];
	FILE *f;

	if (!have_model())
		cr_skip_test("default model absent");
	snprintf(path, sizeof(path), "%s/tests/data/tokenizer/smollm2_ref.txt", src ? src : ".");
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	e = tokenizer_engine();
	while (fgets(line, sizeof(line), f)) {
		int32_t *ids;
		size_t n, mlen;

		if (!strncmp(line, "s ", 2)) {
			n_text = unhex(line + 2, text);
		} else if (!strncmp(line, "ids ", 4)) {
			n_ref = parse_ids(line + 4, ref);
		} else if (!strncmp(line, "ids_special", 11)) {
			n_sp = parse_ids(line + 11, ref_sp);
		} else if (!strncmp(line, "detok ", 6)) {
			n_detok = unhex(line + 6, detok);
			cr_assert_eq(plume_engine_tokenize(e, text, n_text, 0, &ids, &n, &err), 0, "%s", err.msg);
			cr_expect(n == n_ref && !memcmp(ids, ref, n * sizeof(int32_t)),
				  "string %zu '%.*s': ids differ from llama.cpp (%zu vs %zu ids)", n_strings,
				  (int)n_text, text, n, n_ref);
			decode_all(e, ids, n, mine, &mlen);
			cr_expect(mlen == n_detok && !memcmp(mine, detok, mlen),
				  "string %zu: detokenized text differs from llama.cpp's", n_strings);
			/* valid UTF-8 round-trips (the corpus ends with invalid strings,
			 * where llama.cpp's text is the reference) */
			if (n_detok == n_text && !memcmp(detok, text, n_text))
				cr_expect(mlen == n_text && !memcmp(mine, text, mlen),
					  "string %zu: decode(encode(s)) != s", n_strings);
			free(ids);
			cr_assert_eq(plume_engine_tokenize(e, text, n_text, PLUME_TOK_PARSE_SPECIAL, &ids, &n,
							   &err), 0, "%s", err.msg);
			cr_expect(n == n_sp && !memcmp(ids, ref_sp, n * sizeof(int32_t)),
				  "string %zu '%.*s': ids with special parsing differ from llama.cpp", n_strings,
				  (int)n_text, text);
			free(ids);
			n_strings++;
		}
	}
	fclose(f);
	cr_assert_geq(n_strings, 200);
	printf("bpe: %zu strings compared with llama.cpp (ids, special ids, detokenized text)\n", n_strings);
	plume_engine_destroy(e);
	plume_cfg_destroy(cfg);
}

Test(bpe, long_run_of_one_character_is_not_quadratic)
{
	struct plume_engine *e;
	size_t n = 100000, n_ids;
	char *text = malloc(n), *back = malloc(n + 16);
	int32_t *ids;
	struct timespec t0, t1;
	size_t blen;

	if (!have_model())
		cr_skip_test("default model absent");
	e = tokenizer_engine();
	memset(text, 'a', n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(plume_engine_tokenize(e, text, n, 0, &ids, &n_ids, &err), 0, "%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("bpe: 100000 x 'a' -> %zu ids in %.1f ms\n", n_ids,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	cr_assert_lt(n_ids, n);
	decode_all(e, ids, n_ids, back, &blen);
	cr_assert_eq(blen, n);
	cr_assert_arr_eq(back, text, n);
	free(ids);
	free(text);
	free(back);
	plume_engine_destroy(e);
	plume_cfg_destroy(cfg);
}

Test(bpe, invalid_utf8_becomes_replacement_characters)
{
	static const char bad[] = "\xff\xfe \xc3";
	struct plume_engine *e;
	char back[64];
	int32_t *ids;
	size_t n, blen;

	if (!have_model())
		cr_skip_test("default model absent");
	e = tokenizer_engine();
	cr_assert_eq(plume_engine_tokenize(e, bad, sizeof(bad) - 1, 0, &ids, &n, &err), 0, "%s", err.msg);
	decode_all(e, ids, n, back, &blen);
	cr_assert_eq(blen, 10, "three U+FFFD and a space");
	cr_assert_arr_eq(back, "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD", 10);
	free(ids);
	/* a code point above U+10FFFF (llama.cpp 0.3.36 aborts on it) */
	cr_assert_eq(plume_engine_tokenize(e, "\xf4\x90\x80\x80!", 5, 0, &ids, &n, &err), 0, "%s", err.msg);
	cr_assert_gt(n, 1);
	free(ids);
	plume_engine_destroy(e);
	plume_cfg_destroy(cfg);
}

static const struct plume_plugin_desc *bpe_plugin(void)
{
	const struct plume_plugin_desc *(*entry)(void);
	char path[1024];
	void *dl;

	snprintf(path, sizeof(path), "%s/plume-tokenizer-bpe.so", getenv("PLUME_PLUGIN_PATH"));
	dl = dlopen(path, RTLD_NOW);
	cr_assert_not_null(dl, "%s", dlerror());
	*(void **)&entry = dlsym(dl, "plume_plugin_entry");
	cr_assert_not_null(entry, "%s", dlerror());
	return entry();
}

/* The same vocabulary under other pre-tokenizers (the plugin option `pre`)
 * against llama.cpp with tokenizer.ggml.pre replaced: ids, and the
 * whole-sequence decode (clean_spaces for default, gpt-2, llama-bpe). */
Test(bpe, pre_tokenizers_equal_llama_cpp)
{
	static char line[16384], text[8192], detok[8192], mine[16384];
	static int32_t ref[4096], ids[4096];
	const char *src = getenv("PLUME_SOURCE_DIR");
	const struct plume_plugin_desc *d;
	const struct plume_tokenizer_ops *ops;
	struct plume_engine_params params = {.size = sizeof(params), .n_threads = 1};
	struct plume_config *view = NULL;
	struct plume_model *m;
	void *ctx = NULL;
	size_t n_text = 0, n_ref = 0, n_strings = 0, n_pre = 0;
	char path[1024], pre[64] = "";
	FILE *f;

	if (!have_model())
		cr_skip_test("default model absent");
	snprintf(path, sizeof(path), "gzip -dc '%s/tests/data/tokenizer/smollm2_pre_ref.txt.gz'",
		 src ? src : ".");
	f = popen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_eq(plume_model_load(model, PLUME_MODEL_LOAD_VOCAB_ONLY, &m, &err), 0, "%s", err.msg);
	d = bpe_plugin();
	ops = d->ops;
	while (fgets(line, sizeof(line), f)) {
		size_t n, mlen, n_detok;

		if (!strncmp(line, "pre ", 4)) {
			const char *pair = line;

			line[strcspn(line, "\n")] = 0;
			snprintf(pre, sizeof(pre), "%.63s", line + 4);
			memmove(line, "pre=", 4);
			if (ctx)
				ops->destroy(ctx);
			plume_config_view_destroy(view);
			cr_assert_eq(plume_config_view_create(d, &pair, 1, &view, &err), 0, "%s", err.msg);
			cr_assert_eq(ops->create(plume_host_get(), view, &params, plume_model_vocab(m), &ctx, &err),
				     0, "%s", err.msg);
			n_pre++;
		} else if (!strncmp(line, "s ", 2)) {
			n_text = unhex(line + 2, text);
		} else if (!strncmp(line, "ids ", 4)) {
			n_ref = parse_ids(line + 4, ref);
		} else if (!strncmp(line, "detok ", 6)) {
			n_detok = unhex(line + 6, detok);
			cr_assert_eq(ops->encode(ctx, text, n_text, 0, ids, 4096, &n, &err), 0, "%s", err.msg);
			cr_expect(n == n_ref && !memcmp(ids, ref, n * sizeof(int32_t)),
				  "pre %s, '%.*s': ids differ from llama.cpp (%zu vs %zu ids)", pre, (int)n_text,
				  text, n, n_ref);
			cr_assert_eq(ops->decode(ctx, ids, n, 0, mine, sizeof(mine), &mlen, &err), 0, "%s", err.msg);
			cr_expect(mlen == n_detok && !memcmp(mine, detok, mlen),
				  "pre %s, '%.*s': decoded '%.*s', llama.cpp '%.*s'", pre, (int)n_text, text,
				  (int)mlen, mine, (int)n_detok, detok);
			n_strings++;
		}
	}
	pclose(f);
	cr_assert_eq(n_pre, 19, "pre-tokenizers in the reference");
	printf("bpe: %zu strings under %zu pre-tokenizers compared with llama.cpp (ids, decode)\n",
	       n_strings, n_pre);
	ops->destroy(ctx);
	plume_config_view_destroy(view);
	plume_model_free(m);
}

/* ---- a hand-made vocabulary: merges apply by rank, not left to right ---- */

static struct plume_str S(const char *s)
{
	return (struct plume_str){s, strlen(s)};
}

Test(bpe, merges_by_lowest_rank)
{
	const struct plume_plugin_desc *d = bpe_plugin();
	const struct plume_tokenizer_ops *ops;
	struct plume_config *view;
	struct plume_engine_params params = {.size = sizeof(params), .n_threads = 1};
	/* "abc": merges "b c" (rank 0) before "a b" (rank 1) -> [a, bc] */
	struct plume_str tokens[6], merges[2];
	int32_t types[6] = {1, 1, 1, 1, 1, 1};
	struct plume_vocab v = {.size = sizeof(v)};
	void *ctx;
	int32_t ids[8];
	size_t n;

	ops = d->ops;
	tokens[0] = S("a");
	tokens[1] = S("b");
	tokens[2] = S("c");
	tokens[3] = S("ab");
	tokens[4] = S("bc");
	tokens[5] = S("abc");
	merges[0] = S("b c");
	merges[1] = S("a b");
	v.model = "gpt2";
	v.pre = "gpt-2";
	v.n_tokens = 6;
	v.tokens = tokens;
	v.token_types = types;
	v.n_merges = 2;
	v.merges = merges;
	v.bos_id = v.eos_id = v.unk_id = v.pad_id = v.sep_id = v.eot_id = v.eom_id = -1;
	v.add_bos = v.add_eos = v.add_space_prefix = -1;
	cr_assert_eq(plume_config_view_create(d, NULL, 0, &view, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->create(plume_host_get(), view, &params, &v, &ctx, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->encode(ctx, "abc", 3, 0, ids, 8, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_assert_eq(ids[0], 0, "a");
	cr_assert_eq(ids[1], 4, "bc: the lower-ranked merge wins");
	/* a caller buffer too small reports the needed size */
	cr_assert_eq(ops->encode(ctx, "abcabc", 6, 0, ids, 1, &n, &err), PLUME_ERR_TOOSMALL);
	cr_assert_eq(n, 4);
	ops->destroy(ctx);
	v.pre = "no-such-pre";
	cr_assert_eq(ops->create(plume_host_get(), view, &params, &v, &ctx, &err) == PLUME_OK, 0);
	cr_assert(strstr(err.msg, "no-such-pre"), "%s", err.msg);
	/* no tokenizer.ggml.pre: llama.cpp's "default" list (with a warning) */
	v.pre = NULL;
	cr_assert_eq(ops->create(plume_host_get(), view, &params, &v, &ctx, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->encode(ctx, "abc", 3, 0, ids, 8, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	ops->destroy(ctx);
	v.pre = "gpt-2";
	v.model = "llama";
	cr_assert_eq(ops->create(plume_host_get(), view, &params, &v, &ctx, &err), PLUME_ERR_UNSUPPORTED);
	plume_config_view_destroy(view);
}

/* Special tokens are split out as llama.cpp does: longest text first over
 * the whole input (not earliest position first); user-defined always,
 * control only with PLUME_TOK_PARSE_SPECIAL. */
Test(bpe, special_tokens_split_longest_first)
{
	const struct plume_plugin_desc *d = bpe_plugin();
	const struct plume_tokenizer_ops *ops = d->ops;
	struct plume_engine_params params = {.size = sizeof(params), .n_threads = 1};
	static const char *const text[] = {"a", "b", "c", "d", "ab", "bcd", "<s>", "<", "s", ">"};
	int32_t types[10] = {1, 1, 1, 1, 4, 4, 3, 1, 1, 1};
	struct plume_str tokens[10];
	struct plume_vocab v = {.size = sizeof(v)};
	struct plume_config *view;
	int32_t ids[16];
	void *ctx;
	size_t n;

	for (int i = 0; i < 10; i++)
		tokens[i] = S(text[i]);
	v.model = "gpt2";
	v.pre = "gpt-2";
	v.n_tokens = 10;
	v.tokens = tokens;
	v.token_types = types;
	v.bos_id = v.eos_id = v.unk_id = v.pad_id = v.sep_id = v.eot_id = v.eom_id = -1;
	v.add_bos = v.add_eos = v.add_space_prefix = -1;
	cr_assert_eq(plume_config_view_create(d, NULL, 0, &view, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->create(plume_host_get(), view, &params, &v, &ctx, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->encode(ctx, "abcd", 4, 0, ids, 16, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_assert_eq(ids[0], 0, "a");
	cr_assert_eq(ids[1], 5, "bcd (longer) wins over the earlier ab");
	cr_assert_eq(ops->encode(ctx, "ab<s>", 5, 0, ids, 16, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 4, "control text stays text without PARSE_SPECIAL");
	cr_assert_eq(ids[0], 4);
	cr_assert_eq(ids[1], 7);
	cr_assert_eq(ops->encode(ctx, "ab<s>", 5, PLUME_TOK_PARSE_SPECIAL, ids, 16, &n, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(n, 2);
	cr_assert_eq(ids[1], 6, "<s> is a control token with PARSE_SPECIAL");
	ops->destroy(ctx);
	plume_config_view_destroy(view);
}

/* The category tables are Unicode 15.1, as llama.cpp's. */
Test(bpe, unicode_classes_are_unicode_15_1)
{
	cr_assert(uc_flags(0x2EBF0) & UC_LETTER, "CJK Extension I (15.1) is a letter");
	cr_assert(uc_flags(0x31EF) & UC_SYMBOL, "U+31EF (15.1) is a symbol");
	cr_assert(uc_flags(0x11F50) & UC_NUMBER, "Kawi digit zero (15.0) is a number");
	cr_assert(uc_flags(0x0CF3) & UC_MARK, "U+0CF3 (15.0) is a mark");
	cr_assert(uc_flags(0x3000) & UC_SPACE, "ideographic space");
	cr_assert(uc_flags(0x061F) & UC_PUNCT, "Arabic question mark");
	cr_assert_eq(uc_flags(0x2EE5E), 0, "unassigned after CJK Extension I");
	cr_assert_eq(uc_flags(0x200B) & UC_SPACE, 0, "zero width space is not White_Space");
}
