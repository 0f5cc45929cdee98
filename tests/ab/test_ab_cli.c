/* plume ab, plume perplexity and plume bench through the built binary on the default
 * model (2 threads, few prompts, few tokens): identical arms differ on
 * nothing; sampling at temperature 3 loses log-probability with an interval
 * that excludes zero; one invocation twice gives the same JSON apart from
 * timings; perplexity within 0.5% of llama.cpp's (tests/data/ab/
 * perplexity_ref.json from scripts/ref/perplexity_ref.py); bad input is one
 * error line. Skips loudly when the model is absent outside CI. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testenv.h"

static char tmpdir[] = "/tmp/plume-ab-XXXXXX";
static char model[1024];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(ab_cli, .init = setup, .fini = teardown, .timeout = 900);

static void need_model(void)
{
	int rc = tu_default_model(model, sizeof(model));

	if (rc < 0)
		cr_assert_fail("default model %s missing in CI (scripts/fetch-model)", model);
	if (!rc) {
		printf("SKIPPED: default model not found at %s (run scripts/fetch-model)\n", model);
		cr_skip_test("default model absent");
	}
}

static const char *src(void)
{
	const char *s = getenv("PLUME_SOURCE_DIR");

	return s ? s : ".";
}

static char *tmp_path(const char *name)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];

	snprintf(p, 512, "%s/%s", tmpdir, name);
	return p;
}

/* The first n lines of the committed prompts into a temporary file. */
static char *prompts(int n, const char *name)
{
	char cmd[2048], *p = tmp_path(name);

	snprintf(cmd, sizeof(cmd), "head -n %d %s/tests/data/ab/prompts.jsonl > %s", n, src(), p);
	cr_assert_eq(system(cmd), 0);
	return p;
}

/* plume ARGS -c CONF on the default model; stdout to out (may be NULL);
 * exit status. conf NULL: conf/default.ini. */
static int plume_conf(const char *args, const char *conf, const char *out)
{
	char cmd[8192], def[1024];
	const char *bin = getenv("PLUME_BINARY_DIR");
	int st;

	snprintf(def, sizeof(def), "%s/conf/default.ini", src());
	snprintf(cmd, sizeof(cmd), "%s/plume %s -c %s --set model.path=%s -t 2 > %s",
		 bin ? bin : ".", args, conf ? conf : def, model, out ? out : "/dev/null");
	st = system(cmd);
	cr_assert(WIFEXITED(st), "plume %s: killed by a signal", args);
	return WEXITSTATUS(st);
}

static int plume(const char *args, const char *out)
{
	return plume_conf(args, NULL, out);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *s;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* The comparison line of the JSON report for a metric. */
static const char *comparison(const char *json, const char *metric)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "\"metric\":\"%s\"", metric);
	p = strstr(json, key);
	cr_assert_not_null(p, "no comparison for %s", metric);
	return p;
}

static double field(const char *line, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(line, key);
	cr_assert_not_null(p, "no %s", name);
	return strtod(p + strlen(key), NULL);
}

static const char *const timing[] = {"ttft_ms", "tpot_ms", "decode_tps"};

/* The arms come from [ab.arm.NAME] sections of the config (no --arm). */
Test(ab_cli, identical_arms_show_no_significant_difference)
{
	char args[2048], cmd[2048];
	const char *quality[] = {"tokens", "logprob_per_token", "distinct_1", "distinct_2",
				 "seq_rep_4", "exact_match", "rouge_l"};
	char *json;
	FILE *f;

	need_model();
	snprintf(cmd, sizeof(cmd), "cp %s/conf/default.ini %s", src(), tmp_path("arms.ini"));
	cr_assert_eq(system(cmd), 0);
	f = fopen(tmp_path("arms.ini"), "a");
	cr_assert_not_null(f);
	fputs("\n[ab.arm.a]\nstrategy = sampling\nstrategy.sampling.top_k = 20\n"
	      "\n[ab.arm.b]\nengine.strategy = sampling\nstrategy.sampling.top_k = 20\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "ab --prompts %s -n 4 --json %s", prompts(5, "p5.jsonl"),
		 tmp_path("same.json"));
	cr_assert_eq(plume_conf(args, tmp_path("arms.ini"), NULL), 0);
	json = slurp(tmp_path("same.json"));
	cr_expect(strstr(json, "{\"name\":\"a\",\"overrides\":[\"strategy:sampling\","
			       "\"strategy.sampling.top_k=20\"],\"strategy\":\"sampling\""), "%.300s",
		  strstr(json, "\"arms\""));
	cr_expect(strstr(json, "{\"name\":\"b\",\"overrides\":[\"engine.strategy=sampling\","));
	cr_expect_null(strstr(json, "\"significant\":true"), "a significant difference: %s", json);
	/* same seeds, same strategy: every quality figure is paired exactly */
	for (size_t i = 0; i < sizeof(quality) / sizeof(quality[0]); i++) {
		const char *c = comparison(json, quality[i]);

		cr_expect_eq(field(c, "diff"), 0.0, "%s", quality[i]);
		cr_expect_eq(field(c, "ci_low"), 0.0, "%s", quality[i]);
		cr_expect_eq(field(c, "ci_high"), 0.0, "%s", quality[i]);
		/* three of the five prompts give a reference */
		cr_expect_eq(field(c, "n"), i < 5 ? 5.0 : 3.0, "%s", quality[i]);
	}
	for (size_t i = 0; i < 3; i++)
		cr_expect_eq(field(comparison(json, timing[i]), "significant"), 0.0);
	free(json);
}

Test(ab_cli, temperature_3_loses_logprob_with_an_interval_below_zero)
{
	char args[2048];
	const char *c;
	char *json;

	need_model();
	snprintf(args, sizeof(args),
		 "ab --prompts %s --seeds 2 -n 8 --arm greedy "
		 "--arm hot=strategy:sampling,strategy.sampling.temperature=3.0 --json %s",
		 prompts(3, "p3.jsonl"), tmp_path("hot.json"));
	cr_assert_eq(plume(args, NULL), 0);
	json = slurp(tmp_path("hot.json"));
	c = comparison(json, "logprob_per_token");
	cr_expect_lt(field(c, "diff"), 0.0);
	cr_expect_lt(field(c, "ci_high"), 0.0, "interval: %.*s", 200, c);
	cr_expect(strstr(c, "\"significant\":true") && strstr(c, "\"better\":\"greedy\""),
		  "%.*s", 250, c);
	cr_expect_eq(field(c, "n"), 6.0);
	free(json);
}

/* Drop the timing figures: their metric and comparison lines, their values
 * in the rows, the wall time. */
static void strip_timing(char *s)
{
	char *out = s, *line = s;

	while (*line) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		int drop = !strncmp(line, "\"wall_s\"", 8);

		for (size_t i = 0; i < 3; i++) {
			char a[64], b[64];

			snprintf(a, sizeof(a), "\"%s\":{", timing[i]);
			snprintf(b, sizeof(b), "\"metric\":\"%s\"", timing[i]);
			if (!strncmp(line, a, strlen(a)) || memmem(line, len, b, strlen(b)))
				drop = 1;
		}
		if (!drop) {
			memmove(out, line, len);
			out += len;
		}
		line += len;
	}
	*out = '\0';
	for (size_t i = 0; i < 3; i++) {
		char key[64], *p = s;

		snprintf(key, sizeof(key), "\"%s\":", timing[i]);
		while ((p = strstr(p, key))) {
			char *v = p + strlen(key), *e = v;

			while (*e && *e != ',' && *e != '}')
				e++;
			memmove(v + 1, e, strlen(e) + 1);
			*v = 'T';
			p = v;
		}
	}
}

Test(ab_cli, same_invocation_twice_gives_the_same_json_apart_from_timings)
{
	char args[2][2048];
	char *a, *b;

	need_model();
	for (int i = 0; i < 2; i++) {
		snprintf(args[i], sizeof(args[i]),
			 "ab --prompts %s --seeds 2 -n 4 --arm greedy --arm "
			 "warm=strategy:sampling,strategy.sampling.temperature=1.5 --ab-seed 7 --json %s",
			 prompts(2, "p2.jsonl"), tmp_path(i ? "r2.json" : "r1.json"));
		cr_assert_eq(plume(args[i], NULL), 0);
	}
	a = slurp(tmp_path("r1.json"));
	b = slurp(tmp_path("r2.json"));
	cr_assert(strstr(a, "\"ttft_ms\":"), "no timing in the report");
	strip_timing(a);
	strip_timing(b);
	cr_expect_null(strstr(a, "ttft_ms\":{"));
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
}

Test(ab_cli, perplexity_is_within_half_a_percent_of_llama_cpp)
{
	char args[2048], ref_path[1024];
	char *got, *ref;
	double p, r;

	need_model();
	snprintf(ref_path, sizeof(ref_path), "%s/tests/data/ab/perplexity_ref.json", src());
	snprintf(args, sizeof(args), "perplexity -f %s/tests/data/ab/GPL-3.txt --ctx 512 --chunks 3 --json",
		 src());
	cr_assert_eq(plume(args, tmp_path("ppl.json")), 0);
	got = slurp(tmp_path("ppl.json"));
	ref = slurp(ref_path);
	p = field(got, "ppl");
	r = field(ref, "ppl");
	cr_expect_lt(fabs(p - r) / r, 0.005, "plume %.4f, llama.cpp %.4f", p, r);
	cr_expect_eq(field(got, "chunks"), field(ref, "chunks"));
	cr_expect_eq(field(got, "tokens"), field(ref, "tokens"), "tokenization differs");
	cr_expect_lt(fabs(field(got, "ppl_stderr") - field(ref, "ppl_stderr")) /
			     field(ref, "ppl_stderr"), 0.01);
	cr_expect_eq(field(got, "n_ctx"), 512.0);
	free(got);
	free(ref);
}

/* The same on Gemma 3 270M (sliding-window model, SentencePiece vocabulary):
 * tests/data/ab/perplexity_ref_gemma3.json from scripts/ref/perplexity_ref.py. */
Test(ab_cli, gemma3_perplexity_is_within_half_a_percent_of_llama_cpp)
{
	char cmd[8192], gemma[1024], ref_path[1024], *slash;
	const char *bin = getenv("PLUME_BINARY_DIR"), *ci = getenv("CI");
	char *got, *ref;
	double p, r;
	int st;

	need_model();
	snprintf(gemma, sizeof(gemma), "%s", model);
	slash = strrchr(gemma, '/');
	snprintf(slash ? slash + 1 : gemma, sizeof(gemma) - (size_t)(slash ? slash + 1 - gemma : 0),
		 "gemma-3-270m-q4_k_m.gguf");
	if (access(gemma, R_OK)) {
		if (ci && !strcmp(ci, "true"))
			cr_assert_fail("Gemma 3 270M %s missing in CI (scripts/fetch-model gemma3-270m)", gemma);
		printf("SKIPPED: Gemma 3 270M not found at %s (scripts/fetch-model gemma3-270m)\n", gemma);
		cr_skip_test("gemma absent");
	}
	snprintf(ref_path, sizeof(ref_path), "%s/tests/data/ab/perplexity_ref_gemma3.json", src());
	snprintf(cmd, sizeof(cmd),
		 "%s/plume perplexity -f %s/tests/data/ab/GPL-3.txt --ctx 512 --chunks 3 --json "
		 "-c %s/conf/gemma3.ini --set model.path=%s -t 2 > %s",
		 bin ? bin : ".", src(), src(), gemma, tmp_path("ppl_gemma.json"));
	st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s failed", cmd);
	got = slurp(tmp_path("ppl_gemma.json"));
	ref = slurp(ref_path);
	p = field(got, "ppl");
	r = field(ref, "ppl");
	cr_expect_lt(fabs(p - r) / r, 0.005, "plume %.4f, llama.cpp %.4f", p, r);
	cr_expect_eq(field(got, "chunks"), field(ref, "chunks"));
	cr_expect_eq(field(got, "tokens"), field(ref, "tokens"), "tokenization differs");
	printf("gemma3 perplexity: plume %.6f, llama.cpp %.6f\n", p, r);
	free(got);
	free(ref);
}

/* One line "plume: ..." on stderr naming the problem, exit status 1. */
static void expect_error(const char *args, const char *needle)
{
	char cmd[8192], err[8192] = "";
	const char *bin = getenv("PLUME_BINARY_DIR");
	FILE *p;
	size_t n;
	int st, lines = 0;

	snprintf(cmd, sizeof(cmd), "%s/plume %s -c %s/conf/default.ini --set model.path=%s -t 2 2>&1 >/dev/null",
		 bin ? bin : ".", args, src(), model);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(err, 1, sizeof(err) - 1, p);
	err[n] = '\0';
	st = pclose(p);
	cr_assert(WIFEXITED(st), "plume %s: killed by a signal", args);
	cr_expect_eq(WEXITSTATUS(st), 1, "plume %s: exit %d: %s", args, WEXITSTATUS(st), err);
	for (char *c = err; *c; c++)
		lines += *c == '\n';
	cr_expect_eq(lines, 1, "plume %s: expected one line: %s", args, err);
	cr_expect(!strncmp(err, "plume: ", 7), "%s", err);
	cr_expect(strstr(err, needle), "plume %s: '%s' not in: %s", args, needle, err);
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(tmp_path(name), "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(ab_cli, bad_input_is_one_error_line)
{
	char a[2048];
	const char *p;

	need_model();
	p = prompts(1, "p1.jsonl");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm beam4=strategy:nonesuch", p);
	expect_error(a, "arm 'beam4'");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm x=strategy.sampling.bogus=1", p);
	expect_error(a, "arm 'x'");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm x=strategy:sampling,strategy.sampling.temperature=-1", p);
	expect_error(a, "arm 'x'");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm big=model.context=64", p);
	expect_error(a, "arm 'big'");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm y=nonsense", p);
	expect_error(a, "arm 'y'");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm greedy", p);
	expect_error(a, "twice");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy", p);
	expect_error(a, "two arms");
	expect_error("ab --prompts /nonexistent/p.jsonl --arm a --arm b", "/nonexistent/p.jsonl");
	write_file("empty.jsonl", "\n  \n");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm sampling", tmp_path("empty.jsonl"));
	expect_error(a, "no prompts");
	write_file("bad.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": \"unterminated}\n");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm sampling", tmp_path("bad.jsonl"));
	expect_error(a, "bad.jsonl:2");
	write_file("noprompt.jsonl", "{\"reference\": \"x\", \"n\": [1, {\"a\": null}]}\n");
	snprintf(a, sizeof(a), "ab --prompts %s --arm greedy --arm sampling", tmp_path("noprompt.jsonl"));
	expect_error(a, "no \"prompt\"");
	write_file("short.txt", "too short a text");
	snprintf(a, sizeof(a), "perplexity -f %s --ctx 512", tmp_path("short.txt"));
	expect_error(a, "needs at least 1024");
	expect_error("perplexity -f /nonexistent/t.txt", "/nonexistent/t.txt");
	expect_error("perplexity -f x --ctx 0", "--ctx");
	expect_error("bench -p 8 -d x", "comma-separated");
}

/* plume bench --json: one entry per test and depth (llama-bench's layout),
 * each with a positive median between its min and max. */
Test(ab_cli, bench_reports_every_test_and_depth)
{
	const char *tests[][3] = {{"\"n_prompt\":32,\"n_gen\":0,\"n_depth\":0"},
				  {"\"n_prompt\":32,\"n_gen\":0,\"n_depth\":48"},
				  {"\"n_prompt\":0,\"n_gen\":4,\"n_depth\":0"},
				  {"\"n_prompt\":0,\"n_gen\":4,\"n_depth\":48"}};
	char *json;
	int entries = 0;

	need_model();
	cr_assert_eq(plume("bench -p 32 -n 4 -d 0,48 -r 3 --json", tmp_path("bench.json")), 0);
	json = slurp(tmp_path("bench.json"));
	for (const char *c = json; (c = strstr(c, "\"tps_median\"")); c++)
		entries++;
	cr_assert_eq(entries, 4, "%s", json);
	for (int i = 0; i < 4; i++) {
		const char *e = strstr(json, tests[i][0]);
		double med, lo, hi;

		cr_assert_not_null(e, "no entry %s in %s", tests[i][0], json);
		med = field(e, "tps_median");
		lo = field(e, "tps_min");
		hi = field(e, "tps_max");
		cr_expect(med > 0 && lo <= med && med <= hi, "%s: %g %g %g", tests[i][0], lo, med, hi);
	}
	free(json);
}
