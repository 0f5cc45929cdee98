/* Golden test: the plume CLI's greedy generation reproduces llama.cpp's
 * tokens on the default model (tests/data/golden/smollm2_q4_1.json) and on
 * Gemma 3 270M (gemma3_270m_q4_k_m.json: sliding-window attention, with two
 * prompts that run past the 512-token window), both made by
 * scripts/ref/make_golden.py through llama-cpp-python; docs/testing.md.
 *
 * Two engines' arithmetic differs in the last bits, so the one admissible
 * difference is a divergence at a near-tie: at the first differing generated
 * position, llama.cpp's top-1/top-2 logit gap must be under 0.1. Teacher-
 * forced over the reference sequence (`plume eval`), plume's argmax must equal
 * llama.cpp's at every position whose gap is 0.1 or more. Prompt ids must
 * match exactly (tokenizer, BOS rule, special-token parsing, chat template). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

#define NEAR_TIE 0.1
/* One model's reference: file in the model cache, reference data, config,
 * the fetch-model name, and how many prompts the reference must hold. */
struct golden_case {
	const char *model_file, *ref, *conf, *fetch;
	size_t min_prompts;
};

static const struct golden_case smollm2 = {
	"SmolLM2-135M-Instruct.Q4_1.gguf", "tests/data/golden/smollm2_q4_1.json", "conf/default.ini",
	"smollm2-135m", 10};
static const struct golden_case gemma3 = {
	"gemma-3-270m-q4_k_m.gguf", "tests/data/golden/gemma3_270m_q4_k_m.json", "conf/gemma3.ini",
	"gemma3-270m", 8};

static char model[1024], plume_bin[1024], conf[1024];
static const char *gname = "";
static struct json ref;

static char *read_stream(FILE *f)
{
	size_t n = 0, cap = 1 << 16;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	if (buf)
		buf[n] = 0;
	return buf;
}

/* Appends s to the command in single quotes (a ' becomes '\''). */
static void append_quoted(char **cmd, size_t *len, const char *s)
{
	size_t need = *len + 4 * strlen(s) + 4;

	*cmd = realloc(*cmd, need);
	cr_assert_not_null(*cmd);
	(*cmd)[(*len)++] = ' ';
	(*cmd)[(*len)++] = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(*cmd + *len, "'\\''", 4);
			*len += 4;
		} else {
			(*cmd)[(*len)++] = *s;
		}
	}
	(*cmd)[(*len)++] = '\'';
	(*cmd)[*len] = 0;
}

/* Runs `plume ARGS... -c CONF --set model.path=MODEL --json` and parses stdout. */
static void run_plume(const char *const *args, struct json *out)
{
	char *cmd = NULL, *text, err[160], set[1100];
	size_t len = 0;
	FILE *p;
	int rc;

	append_quoted(&cmd, &len, plume_bin);
	for (; *args; args++)
		append_quoted(&cmd, &len, *args);
	snprintf(set, sizeof(set), "model.path=%s", model);
	append_quoted(&cmd, &len, "-c");
	append_quoted(&cmd, &len, conf);
	append_quoted(&cmd, &len, "--set");
	append_quoted(&cmd, &len, set);
	append_quoted(&cmd, &len, "--json");
	p = popen(cmd, "r");
	cr_assert_not_null(p, "cannot run %s", cmd);
	text = read_stream(p);
	rc = pclose(p);
	cr_assert_not_null(text);
	cr_assert_eq(rc, 0, "plume exited with status %d: %.300s", rc, cmd);
	cr_assert_eq(json_parse(text, out, err, sizeof(err)), 0, "%s in the output of %.200s", err,
		     cmd);
	free(text);
	free(cmd);
}

static const struct json *member(const struct json *v, const char *key, enum json_type t)
{
	const struct json *m = json_get(v, key);

	cr_assert(m && m->type == t, "json: member \"%s\" missing or of the wrong type", key);
	return m;
}

static int id_at(const struct json *arr, size_t i)
{
	return (int)json_at(arr, i)->num;
}

/* Finds the model and the binary, loads the reference; skips without a model. */
static void setup_case(const struct golden_case *gc)
{
	const char *dir = getenv("PLUME_MODEL_DIR"), *home = getenv("HOME");
	const char *src = getenv("PLUME_SOURCE_DIR"), *bin = getenv("PLUME_BINARY_DIR");
	const char *ci = getenv("CI");
	char path[1024], err[160], *text;
	FILE *f;

	if (dir && *dir)
		snprintf(model, sizeof(model), "%s/%s", dir, gc->model_file);
	else
		snprintf(model, sizeof(model), "%s/.cache/plume/models/%s", home ? home : "",
			 gc->model_file);
	if (access(model, R_OK)) {
		if (ci && !strcmp(ci, "true"))
			cr_assert_fail("model %s missing in CI (scripts/fetch-model %s)", model, gc->fetch);
		printf("SKIPPED: golden: model not found at %s (run scripts/fetch-model %s)\n", model,
		       gc->fetch);
		fflush(stdout);
		cr_skip_test("model absent");
	}
	gname = gc->fetch;
	snprintf(plume_bin, sizeof(plume_bin), "%s/plume", bin ? bin : ".");
	snprintf(conf, sizeof(conf), "%s/%s", src ? src : ".", gc->conf);
	cr_assert_eq(access(plume_bin, X_OK), 0, "plume binary %s not found", plume_bin);
	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", gc->ref);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	text = read_stream(f);
	fclose(f);
	cr_assert_not_null(text);
	cr_assert_eq(json_parse(text, &ref, err, sizeof(err)), 0, "%s: %s", path, err);
	free(text);
	cr_assert_geq(member(&ref, "prompts", JSON_ARR)->n, gc->min_prompts, "too few prompts in %s",
		      path);
}

static void setup_smollm2(void)
{
	setup_case(&smollm2);
}

static void setup_gemma3(void)
{
	setup_case(&gemma3);
}

static void teardown(void)
{
	json_free(&ref);
}

TestSuite(golden, .fini = teardown, .timeout = 900);

static void check_greedy(void)
{
	const struct json *prompts = member(&ref, "prompts", JSON_ARR);
	size_t n_exact = 0, n_tie = 0;

	for (size_t k = 0; k < prompts->n; k++) {
		const struct json *pr = json_at(prompts, k);
		const struct json *rp = member(pr, "prompt_ids", JSON_ARR);
		const struct json *rg = member(pr, "generated_ids", JSON_ARR);
		const struct json *gaps = member(pr, "gen_gaps", JSON_ARR);
		const char *text = member(pr, "text", JSON_STR)->str;
		int chat = member(pr, "chat", JSON_BOOL)->num != 0;
		const char *args[] = {"run", "-p", text, "--set", "generate.max_tokens=64",
				      chat ? "--chat" : NULL, NULL};
		const struct json *pp, *pg;
		size_t div = SIZE_MAX;
		struct json out;

		run_plume(args, &out);
		pp = member(&out, "prompt_ids", JSON_ARR);
		pg = member(&out, "generated_ids", JSON_ARR);
		cr_assert_eq(pp->n, rp->n, "prompt %zu%s: %zu prompt ids, llama.cpp %zu", k,
			     chat ? " (chat template)" : "", pp->n, rp->n);
		for (size_t i = 0; i < rp->n; i++)
			cr_assert_eq(id_at(pp, i), id_at(rp, i),
				     "prompt %zu%s: prompt id %zu is %d, llama.cpp %d", k,
				     chat ? " (chat template)" : "", i, id_at(pp, i), id_at(rp, i));
		for (size_t i = 0; i < rg->n && i < pg->n && div == SIZE_MAX; i++)
			if (id_at(pg, i) != id_at(rg, i))
				div = i;
		if (div == SIZE_MAX) {
			cr_expect_eq(pg->n, rg->n, "prompt %zu: %zu generated tokens, llama.cpp %zu", k,
				     pg->n, rg->n);
			n_exact += pg->n == rg->n;
			printf("golden %s prompt %2zu%s: %3zu prompt ids equal, %2zu/%2zu generated equal\n",
			       gname, k, chat ? " (chat)" : "       ", rp->n, pg->n, rg->n);
		} else {
			double gap = json_at(gaps, div)->num;

			printf("golden %s prompt %2zu%s: %3zu prompt ids equal, diverged at generated token "
			       "%zu/%zu (plume %d, llama.cpp %d), llama.cpp top-2 gap %.4f (near-tie < %.1f)\n",
			       gname, k, chat ? " (chat)" : "       ", rp->n, div, rg->n, id_at(pg, div),
			       id_at(rg, div), gap, NEAR_TIE);
			cr_expect_lt(gap, NEAR_TIE,
				     "prompt %zu: diverged at generated token %zu (plume %d, llama.cpp %d) "
				     "where llama.cpp's top-2 gap is %.4f >= %.1f",
				     k, div, id_at(pg, div), id_at(rg, div), gap, NEAR_TIE);
			n_tie += gap < NEAR_TIE;
		}
		json_free(&out);
	}
	printf("golden %s: %zu prompts, %zu identical to llama.cpp, %zu diverged at a near-tie\n",
	       gname, prompts->n, n_exact, n_tie);
}

/* Largest |logit difference| over ids present in both top lists. */
static double top_diff(const struct json *a, const struct json *b)
{
	double m = 0;

	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++) {
			const struct json *x = json_at(a, i), *y = json_at(b, j);

			if (x->n == 2 && y->n == 2 && x->items[0].num == y->items[0].num)
				m = fmax(m, fabs(x->items[1].num - y->items[1].num));
		}
	return m;
}

static void check_teacher_forced(void)
{
	const struct json *prompts = member(&ref, "prompts", JSON_ARR);
	size_t total = 0;

	for (size_t k = 0; k < prompts->n; k++) {
		const struct json *pr = json_at(prompts, k);
		const struct json *rp = member(pr, "prompt_ids", JSON_ARR);
		const struct json *rg = member(pr, "generated_ids", JSON_ARR);
		const struct json *tf = member(pr, "teacher_forced", JSON_ARR), *pos;
		size_t n = rp->n + rg->n, len = 0, checked = 0, bad = 0, first_bad = 0;
		char *ids = malloc(12 * n + 1);
		const char *args[] = {"eval", "--ids", ids, "--top", "8", NULL};
		double max_diff = 0;
		struct json out;

		cr_assert_not_null(ids);
		cr_assert_eq(tf->n, n, "reference prompt %zu: %zu teacher-forced positions for %zu ids",
			     k, tf->n, n);
		for (size_t i = 0; i < n; i++)
			len += (size_t)sprintf(ids + len, "%s%d", i ? "," : "",
					       i < rp->n ? id_at(rp, i) : id_at(rg, i - rp->n));
		run_plume(args, &out);
		pos = member(&out, "positions", JSON_ARR);
		cr_assert_eq(pos->n, n, "prompt %zu: plume eval gave %zu positions for %zu ids", k,
			     pos->n, n);
		for (size_t i = 0; i < n; i++) {
			const struct json *r = json_at(tf, i), *p = json_at(pos, i);
			const struct json *rtop = member(r, "top", JSON_ARR);
			int want = (int)json_at(rtop, 0)->items[0].num;
			int got = (int)member(p, "argmax", JSON_NUM)->num;

			max_diff = fmax(max_diff, top_diff(rtop, member(p, "top", JSON_ARR)));
			if (member(r, "gap", JSON_NUM)->num < NEAR_TIE)
				continue;
			checked++;
			if (got != want && bad++ == 0)
				first_bad = i;
		}
		printf("golden %s prompt %2zu teacher-forced: %3zu/%3zu positions checked (gap >= %.1f), "
		       "%zu argmax differences, max |logit diff| over common top-8 ids %.4f\n",
		       gname, k, checked, n, NEAR_TIE, bad, max_diff);
		cr_expect_eq(bad, 0,
			     "prompt %zu: teacher-forced argmax differs from llama.cpp at %zu positions "
			     "with gap >= %.1f (first at position %zu)",
			     k, bad, NEAR_TIE, first_bad);
		total += checked;
		json_free(&out);
		free(ids);
	}
	cr_assert_gt(total, 0, "no position had a gap >= %.1f", NEAR_TIE);
}

Test(golden, greedy_generation_matches_llama_cpp, .init = setup_smollm2)
{
	check_greedy();
}

Test(golden, teacher_forced_argmax_matches_llama_cpp, .init = setup_smollm2)
{
	check_teacher_forced();
}

Test(golden, gemma3_greedy_generation_matches_llama_cpp, .init = setup_gemma3)
{
	check_greedy();
}

Test(golden, gemma3_teacher_forced_argmax_matches_llama_cpp, .init = setup_gemma3)
{
	check_teacher_forced();
}

/* The sliding-window layers' pool keeps only the blocks a query can still
 * see: on the reference prompt that is longest (past the 512-token window),
 * generation with the window pool equals generation with every position
 * kept, and the pool's peak stays within the window's worth of blocks. */
Test(golden, gemma3_sliding_window_pool_is_exact_and_bounded, .init = setup_gemma3)
{
	const struct json *prompts = member(&ref, "prompts", JSON_ARR), *longest = NULL;
	const struct json *a_ids, *b_ids, *m;
	struct json a, b;
	size_t n_max = 0;
	double peak, total;

	for (size_t k = 0; k < prompts->n; k++) {
		const struct json *pr = json_at(prompts, k);
		size_t n = member(pr, "prompt_ids", JSON_ARR)->n;

		if (n > n_max) {
			n_max = n;
			longest = pr;
		}
	}
	cr_assert(longest && n_max > 512, "no reference prompt is longer than the window");
	{
		const char *text = member(longest, "text", JSON_STR)->str;
		const char *win[] = {"run", "-p", text, "--set", "generate.max_tokens=24", NULL};
		const char *full[] = {"run", "-p", text, "--set", "generate.max_tokens=24",
				      "--set", "model.swa_cache=full", NULL};

		run_plume(win, &a);
		run_plume(full, &b);
	}
	a_ids = member(&a, "generated_ids", JSON_ARR);
	b_ids = member(&b, "generated_ids", JSON_ARR);
	cr_assert_eq(a_ids->n, b_ids->n);
	for (size_t i = 0; i < a_ids->n; i++)
		cr_assert_eq(id_at(a_ids, i), id_at(b_ids, i),
			     "token %zu: %d with the window pool, %d with every position kept", i,
			     id_at(a_ids, i), id_at(b_ids, i));
	m = member(&a, "metrics", JSON_OBJ);
	peak = member(m, "kv_swa_blocks_peak", JSON_NUM)->num;
	total = member(m, "kv_swa_blocks_total", JSON_NUM)->num;
	/* window 512 + batch 512 - 1 positions in blocks of 16, plus 2 */
	cr_assert_gt(peak, 0, "the window pool was not used");
	cr_assert_leq(peak, 66, "the window pool peaked at %.0f blocks", peak);
	cr_assert_leq(peak, total);
	cr_assert_eq(member(member(&b, "metrics", JSON_OBJ), "kv_swa_blocks_total", JSON_NUM)->num, 0,
		     "model.swa_cache=full still made a window pool");
	printf("golden gemma3-270m: %zu-token prompt, window pool peak %.0f of %.0f blocks, output "
	       "equal to the full cache's\n", n_max, peak, total);
	json_free(&a);
	json_free(&b);
}
