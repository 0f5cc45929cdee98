/* Every vocabulary's corpus against llama.cpp: tests/data/tok/<name>.txt.gz
 * (scripts/ref/tok_ref.py) holds, per string, llama.cpp's ids with BOS/EOS
 * as the vocabulary says, without and with special-token parsing, and its
 * detokenized text of both. The vocabulary files come from
 * scripts/fetch-test-data and scripts/fetch-model (cached, not committed);
 * one that is absent is reported SKIPPED (a failure when CI=true). The
 * tokenizer plugin is picked from tokenizer.ggml.model (gpt2 and gemma4:
 * bpe, llama: spm) and called directly so that decode() is tested too.
 * Also: the pre-tokenizer override, and no quadratic blow-up in spm. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "model.h"
#include "plume/tokenizer.h"
#include "testenv.h"

#define MAX_IDS 65536
#define MAX_TEXT (1 << 18)

static struct plume_error err;

static int in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

static void cache_path(const char *rel, char *out, size_t n)
{
	const char *c = getenv("PLUME_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	const char *md = getenv("PLUME_MODEL_DIR");

	if (!strncmp(rel, "models/", 7) && md && *md)
		snprintf(out, n, "%s/%s", md, rel + 7);
	else if (c && *c)
		snprintf(out, n, "%s/%s", c, rel);
	else if (x && *x)
		snprintf(out, n, "%s/plume/%s", x, rel);
	else
		snprintf(out, n, "%s/.cache/plume/%s", h ? h : "", rel);
}

static const struct plume_plugin_desc *plugin(const char *name)
{
	const struct plume_plugin_desc *(*entry)(void);
	char path[1024];
	void *dl;

	snprintf(path, sizeof(path), "%s/plume-tokenizer-%s.so", getenv("PLUME_PLUGIN_PATH"), name);
	dl = dlopen(path, RTLD_NOW);
	cr_assert_not_null(dl, "%s", dlerror());
	*(void **)&entry = dlsym(dl, "plume_plugin_entry");
	cr_assert_not_null(entry, "%s", dlerror());
	return entry();
}

/* A tokenizer made from a GGUF file's vocabulary. */
struct tok {
	struct plume_model *m;
	const struct plume_tokenizer_ops *ops;
	struct plume_config *view;
	void *ctx;
};

/* 0 ok; 1 no plugin for this kind of vocabulary (message in why). */
static int tok_open(struct tok *t, const char *path, const char **pairs, size_t n_pairs, char *why,
		    size_t why_n)
{
	const struct plume_plugin_desc *d;
	const struct plume_vocab *v;
	struct plume_engine_params params = {.size = sizeof(params), .n_threads = 1};

	memset(t, 0, sizeof(*t));
	cr_assert_eq(plume_model_load(path, PLUME_MODEL_LOAD_VOCAB_ONLY, &t->m, &err), 0, "%s: %s", path,
		     err.msg);
	v = plume_model_vocab(t->m);
	if (v->model && (!strcmp(v->model, "gpt2") || !strcmp(v->model, "gemma4"))) {
		d = plugin("bpe");
	} else if (v->model && !strcmp(v->model, "llama")) {
		d = plugin("spm");
	} else {
		snprintf(why, why_n, "no tokenizer plugin for tokenizer.ggml.model '%s'",
			 v->model ? v->model : "(absent)");
		plume_model_free(t->m);
		return 1;
	}
	t->ops = d->ops;
	cr_assert_eq(plume_config_view_create(d, pairs, n_pairs, &t->view, &err), 0, "%s", err.msg);
	cr_assert_eq(t->ops->create(plume_host_get(), t->view, &params, v, &t->ctx, &err), 0, "%s: %s",
		     path, err.msg);
	return 0;
}

static void tok_close(struct tok *t)
{
	t->ops->destroy(t->ctx);
	plume_config_view_destroy(t->view);
	plume_model_free(t->m);
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

	for (char *t = strtok(s, " \n"); t && n < MAX_IDS; t = strtok(NULL, " \n"))
		ids[n++] = (int32_t)atoi(t);
	return n;
}

static void print_ids(const char *what, const int32_t *ids, size_t n)
{
	printf("    %s:", what);
	for (size_t i = 0; i < n && i < 24; i++)
		printf(" %d", ids[i]);
	printf(n > 24 ? " ... (%zu)\n" : "\n", n);
}

struct counts {
	size_t strings, bad_ids, bad_ids_sp, bad_detok, bad_detok_sp;
};

struct buffers {
	char line[4 * MAX_TEXT], text[MAX_TEXT], ref_text[MAX_TEXT], mine_text[MAX_TEXT];
	int32_t ref[MAX_IDS], mine[MAX_IDS];
};

/* Compare one encode (flags) with the reference ids; returns 1 on a match. */
static int check_ids(struct tok *t, struct buffers *b, size_t n_text, uint32_t flags,
		     const int32_t *ref, size_t n_ref, size_t *n_mine)
{
	cr_assert_eq(t->ops->encode(t->ctx, b->text, n_text, flags, b->mine, MAX_IDS, n_mine, &err), 0,
		     "%s", err.msg);
	return *n_mine == n_ref && !memcmp(b->mine, ref, n_ref * sizeof(int32_t));
}

static int check_decode(struct tok *t, struct buffers *b, const int32_t *ids, size_t n, uint32_t flags,
			const char *ref, size_t n_ref)
{
	size_t len;

	cr_assert_eq(t->ops->decode(t->ctx, ids, n, flags, b->mine_text, MAX_TEXT, &len, &err), 0, "%s",
		     err.msg);
	return len == n_ref && !memcmp(b->mine_text, ref, len);
}

static void report(const char *name, const char *what, const struct buffers *b, size_t n_text)
{
	printf("  %s: %s differs from llama.cpp for '%.*s' (%zu bytes)\n", name, what,
	       (int)(n_text > 60 ? 60 : n_text), b->text, n_text);
}

/* Runs one data file; returns -1 when its vocabulary is absent or has no
 * plugin, else fills c. */
static int run_file(const char *data, const char *name, struct counts *c, struct buffers *b)
{
	static int32_t ids[MAX_IDS], ids_sp[MAX_IDS];
	char cmd[1600], path[1200], why[256];
	size_t n_text = 0, n_ids = 0, n_sp = 0, n_det = 0, n_mine;
	int same_sp = 0, opened = 0;
	struct tok t;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", data);
	f = popen(cmd, "r");
	cr_assert_not_null(f, "%s", cmd);
	memset(c, 0, sizeof(*c));
	while (fgets(b->line, sizeof(b->line), f)) {
		char *l = b->line;

		if (!strncmp(l, "file ", 5)) {
			l[strcspn(l, "\n")] = '\0';
			cache_path(l + 5, path, sizeof(path));
			if (access(path, R_OK)) {
				printf("SKIPPED: %-14s %s absent (scripts/fetch-test-data, scripts/fetch-model)\n",
				       name, path);
				cr_expect(!in_ci(), "%s missing in CI", path);
				break;
			}
			if (tok_open(&t, path, NULL, 0, why, sizeof(why))) {
				printf("SKIPPED: %-14s %s\n", name, why);
				break;
			}
			opened = 1;
		} else if (!opened) {
			continue;
		} else if (!strncmp(l, "s ", 2)) {
			n_text = unhex(l + 2, b->text);
		} else if (!strncmp(l, "ids ", 4)) {
			n_ids = parse_ids(l + 4, ids);
		} else if (!strncmp(l, "ids_sp ", 7)) {
			same_sp = l[7] == '=';
			n_sp = same_sp ? n_ids : parse_ids(l + 7, ids_sp);
			if (same_sp)
				memcpy(ids_sp, ids, n_ids * sizeof(int32_t));
			c->strings++;
			if (!check_ids(&t, b, n_text, PLUME_TOK_ADD_SPECIAL, ids, n_ids, &n_mine)) {
				if (c->bad_ids++ < 3) {
					report(name, "ids", b, n_text);
					print_ids("plume    ", b->mine, n_mine);
					print_ids("llama.cpp", ids, n_ids);
				}
			}
			if (!check_ids(&t, b, n_text, PLUME_TOK_ADD_SPECIAL | PLUME_TOK_PARSE_SPECIAL, ids_sp,
				       n_sp, &n_mine)) {
				if (c->bad_ids_sp++ < 3) {
					report(name, "ids (special parsed)", b, n_text);
					print_ids("plume    ", b->mine, n_mine);
					print_ids("llama.cpp", ids_sp, n_sp);
				}
			}
		} else if (!strncmp(l, "detok ", 6)) {
			n_det = unhex(l + 6, b->ref_text);
			if (!check_decode(&t, b, ids, n_ids, 0, b->ref_text, n_det) && c->bad_detok++ < 3)
				report(name, "decode", b, n_text);
		} else if (!strncmp(l, "detok_sp ", 9)) {
			if (l[9] != '=')
				n_det = unhex(l + 9, b->ref_text);
			if (!check_decode(&t, b, ids_sp, n_sp, PLUME_PIECE_SPECIAL, b->ref_text, n_det) &&
			    c->bad_detok_sp++ < 3)
				report(name, "decode (special text)", b, n_text);
		}
	}
	pclose(f);
	if (!opened)
		return -1;
	tok_close(&t);
	return 0;
}

static void data_dir(char *out, size_t n)
{
	const char *src = getenv("PLUME_SOURCE_DIR");

	snprintf(out, n, "%s/tests/data/tok", src ? src : ".");
}

Test(tok_corpus, every_vocabulary_equals_llama_cpp, .timeout = 600)
{
	static struct buffers b;
	struct dirent **names;
	char dir[1024], data[1400], name[256];
	size_t total = 0, files = 0, skipped = 0, failed = 0;
	int n;

	data_dir(dir, sizeof(dir));
	n = scandir(dir, &names, NULL, alphasort);
	cr_assert_gt(n, 0, "no reference data in %s", dir);
	for (int i = 0; i < n; i++) {
		const char *fn = names[i]->d_name;
		size_t fl = strlen(fn);
		struct counts c;

		if (fl > 7 && !strcmp(fn + fl - 7, ".txt.gz")) {
			snprintf(name, sizeof(name), "%.*s", (int)(fl - 7), fn);
			snprintf(data, sizeof(data), "%s/%s", dir, fn);
			if (run_file(data, name, &c, &b)) {
				skipped++;
			} else {
				size_t bad = c.bad_ids + c.bad_ids_sp + c.bad_detok + c.bad_detok_sp;

				files++;
				total += c.strings;
				failed += bad > 0;
				printf("tok_corpus %-14s %4zu strings: ids %zu, ids special %zu, decode %zu, decode special %zu differ\n",
				       name, c.strings, c.bad_ids, c.bad_ids_sp, c.bad_detok, c.bad_detok_sp);
				cr_expect_gt(c.strings, 500, "%s: only %zu strings", name, c.strings);
			}
		}
		free(names[i]);
	}
	free(names);
	printf("tok_corpus: %zu vocabularies, %zu strings checked; %zu SKIPPED\n", files, total, skipped);
	cr_expect_eq(failed, 0, "%zu vocabularies differ from llama.cpp", failed);
	cr_assert_gt(files, 0, "no vocabulary could be checked");
}

/* ---- an unknown pre-tokenizer name is an error, unless the config names
 * one to use ---- */

Test(tok_corpus, unknown_pre_tokenizer_is_an_error_unless_configured)
{
	static const char key[] = "tokenizer.ggml.pre";
	const char *pairs[] = {"pre=falcon"}, *bad_pairs[] = {"pre=no-such-pre"};
	const struct plume_plugin_desc *d;
	const struct plume_tokenizer_ops *ops;
	struct plume_engine_params params = {.size = sizeof(params), .n_threads = 1};
	struct plume_config *view;
	struct plume_model *m;
	char path[1200], tmp[] = "/tmp/plume-tok-pre-XXXXXX";
	unsigned char *buf;
	size_t n;
	void *ctx = NULL;
	int32_t ids[64];
	FILE *f;
	int fd;

	cache_path("vocab/ggml-vocab-falcon.gguf", path, sizeof(path));
	f = fopen(path, "rb");
	if (!f) {
		printf("SKIPPED: %s absent (scripts/fetch-test-data)\n", path);
		cr_expect(!in_ci(), "%s missing in CI", path);
		cr_skip_test("falcon vocabulary absent");
	}
	fseek(f, 0, SEEK_END);
	n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n);
	cr_assert_eq(fread(buf, 1, n, f), n);
	fclose(f);
	/* the value "falcon" (u32 type 8, u64 length 6) -> "zzzzzz" */
	for (size_t i = 0; i + sizeof(key) + 24 < n; i++) {
		if (!memcmp(buf + i, key, sizeof(key) - 1) && !memcmp(buf + i + sizeof(key) - 1 + 12, "falcon", 6)) {
			memcpy(buf + i + sizeof(key) - 1 + 12, "zzzzzz", 6);
			break;
		}
	}
	fd = mkstemp(tmp);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, n), (ssize_t)n);
	close(fd);
	free(buf);
	cr_assert_eq(plume_model_load(tmp, PLUME_MODEL_LOAD_VOCAB_ONLY, &m, &err), 0, "%s", err.msg);
	unlink(tmp);
	cr_assert_str_eq(plume_model_vocab(m)->pre, "zzzzzz");
	d = plugin("bpe");
	ops = d->ops;
	/* the file's unknown name: an error that names it */
	cr_assert_eq(plume_config_view_create(d, NULL, 0, &view, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->create(plume_host_get(), view, &params, plume_model_vocab(m), &ctx, &err),
		     PLUME_ERR_UNSUPPORTED);
	cr_assert_not_null(strstr(err.msg, "'zzzzzz'"), "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, "falcon"), "the message lists known names: %s", err.msg);
	plume_config_view_destroy(view);
	/* an unknown name in the config: also an error */
	cr_assert_eq(plume_config_view_create(d, bad_pairs, 1, &view, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->create(plume_host_get(), view, &params, plume_model_vocab(m), &ctx, &err),
		     PLUME_ERR_UNSUPPORTED);
	cr_assert_not_null(strstr(err.msg, "'no-such-pre'"), "%s", err.msg);
	plume_config_view_destroy(view);
	/* the config names one: it is used */
	cr_assert_eq(plume_config_view_create(d, pairs, 1, &view, &err), 0, "%s", err.msg);
	cr_assert_eq(ops->create(plume_host_get(), view, &params, plume_model_vocab(m), &ctx, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(ops->encode(ctx, "Hello 12345", 11, 0, ids, 64, &n, &err), 0, "%s", err.msg);
	cr_assert_gt(n, 1);
	ops->destroy(ctx);
	plume_config_view_destroy(view);
	plume_model_free(m);
}

/* ---- spm: a long run of one character is not quadratic ---- */

/* Best of runs encodes of text[0..n), in ms of this thread's CPU time (other
 * processes on a loaded machine do not count). */
static double encode_ms(struct tok *t, const char *text, size_t n, int32_t **ids, size_t *n_ids, int runs)
{
	struct timespec t0, t1;
	double best = 1e30;

	*ids = realloc(*ids, (n + 2) * sizeof(int32_t));
	for (int r = 0; r < runs; r++) {
		double ms;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		cr_assert_eq(t->ops->encode(t->ctx, text, n, 0, *ids, n + 2, n_ids, &err), 0, "%s", err.msg);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
	}
	return best;
}

Test(tok_corpus, spm_long_run_of_one_character_is_not_quadratic, .timeout = 120)
{
	static const char *const units[] = {"a", " ", "\xe4\xb8\xad", "\xf0\x9f\x98\x80"};
	char path[1200], why[256];
	struct tok t;
	int32_t *ids = NULL;
	char *text, *back;

	cache_path("vocab/ggml-vocab-llama-spm.gguf", path, sizeof(path));
	if (access(path, R_OK)) {
		printf("SKIPPED: %s absent (scripts/fetch-test-data)\n", path);
		cr_expect(!in_ci(), "%s missing in CI", path);
		cr_skip_test("llama-spm vocabulary absent");
	}
	cr_assert_eq(tok_open(&t, path, NULL, 0, why, sizeof(why)), 0, "%s", why);
	text = malloc(4 * 100000);
	back = malloc(4 * 100000 + 16);
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		size_t ul = strlen(units[u]), n_small, n_big, blen;
		double small, big;

		for (size_t i = 0; i < 100000; i++)
			memcpy(text + i * ul, units[u], ul);
		small = encode_ms(&t, text, 10000 * ul, &ids, &n_small, 3);
		big = encode_ms(&t, text, 100000 * ul, &ids, &n_big, 3);
		printf("spm: 10 000 x '%s' %.1f ms (%zu ids), 100 000 x %.1f ms (%zu ids)\n", units[u], small,
		       n_small, big, n_big);
		/* n log n is 10-25x here (the heap outgrows the caches);
		 * quadratic would be 100x */
		cr_expect_lt(big, 50 * (small > 1 ? small : 1), "100 000 '%s': %.1f ms, 10 000: %.1f ms",
			     units[u], big, small);
		cr_assert_eq(t.ops->decode(t.ctx, ids, n_big, 0, back, 4 * 100000 + 16, &blen, &err), 0, "%s",
			     err.msg);
		cr_expect(blen == 100000 * ul && !memcmp(back, text, blen), "'%s' x 100 000 round trip",
			  units[u]);
	}
	free(ids);
	free(text);
	free(back);
	tok_close(&t);
}

/* ---- bpe: every pre-tokenizer kind, long runs are not quadratic ---- */

Test(tok_corpus, bpe_pre_tokenizers_long_runs_are_not_quadratic, .timeout = 300)
{
	/* one name per splitter */
	static const char *const pres[] = {
		"default", "smollm", "gpt-2", "llama3", "qwen2", "qwen35", "falcon", "deepseek-llm",
		"deepseek-coder", "bloom", "viking", "minicpm5", "gpt-4o", "tekken", "deepseek-v3", "gemma4",
	};
	static const char *const units[] = {"a", "A", " ", "\n", "1", "\xe4\xb8\xad", "~"};
	char path[1200], why[256], opt[64];
	char *text = malloc(3 * 100000);
	int32_t *ids = NULL;
	int rc = tu_default_model(path, sizeof(path));
	double worst = 0;
	const char *worst_pre = "", *worst_unit = "";

	if (rc < 0)
		cr_assert_fail("default model %s missing in CI (scripts/fetch-model)", path);
	if (!rc) {
		printf("SKIPPED: default model not found at %s (run scripts/fetch-model)\n", path);
		free(text);
		cr_skip_test("default model absent");
	}
	for (size_t p = 0; p < sizeof(pres) / sizeof(pres[0]); p++) {
		const char *pairs[] = {opt};
		struct tok t;

		snprintf(opt, sizeof(opt), "pre=%s", pres[p]);
		cr_assert_eq(tok_open(&t, path, pairs, 1, why, sizeof(why)), 0, "%s", why);
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
			size_t ul = strlen(units[u]), n_small, n_big;
			double small, big;

			for (size_t i = 0; i < 50000; i++)
				memcpy(text + i * ul, units[u], ul);
			small = encode_ms(&t, text, 5000 * ul, &ids, &n_small, 2);
			big = encode_ms(&t, text, 50000 * ul, &ids, &n_big, 2);
			if (big / (small > 1 ? small : 1) > worst) {
				worst = big / (small > 1 ? small : 1);
				worst_pre = pres[p];
				worst_unit = units[u];
			}
			cr_expect_lt(big, 50 * (small > 1 ? small : 1),
				     "pre %s, 50 000 x '%s': %.1f ms, 5 000: %.1f ms", pres[p], units[u], big,
				     small);
		}
		tok_close(&t);
	}
	printf("bpe: 16 pre-tokenizers x 7 characters, 5 000 and 50 000 in a row: worst ratio %.1f (%s, '%s')\n",
	       worst, worst_pre, worst_unit);
	free(ids);
	free(text);
}
