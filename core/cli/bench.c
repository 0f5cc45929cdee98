/* plume bench: prompt-processing and token-generation throughput in the
 * manner of llama-bench (pp: one prefill of N random tokens; tg: N decode
 * steps of one token from a one-token context), through the same engine
 * path as `plume run`; median, min and max over repeats after a warm-up.
 * With a depth D (-d, llama-bench's --n-depth) the test runs after D tokens
 * are in the cache: tg times N decode steps after a D-token prefill; pp the
 * difference between prefills of D + N and of D tokens (one batch each). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "strlist.h"

#define MAX_TESTS 16

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int parse_list(const char *s, long *out, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;
		long v = strtol(s, &end, 10);

		if (end == s || v < 0)
			return -1;
		out[n++] = v;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* One generation of n_prompt random tokens (at least one) and n_gen more;
 * its metrics in *m. */
static int gen_once(struct plume_engine *e, uint32_t n_prompt, uint32_t n_gen, uint64_t seed,
		    struct plume_gen_metrics *m, struct plume_error *err)
{
	uint32_t n_vocab = plume_model_desc(plume_engine_model(e))->n_vocab;
	uint32_t n = n_prompt ? n_prompt : 1;
	int32_t *prompt = malloc(n * sizeof(*prompt));
	struct plume_gen_params p = {0};
	struct plume_gen_result r = {0};
	int rc;

	if (!prompt)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	/* Random tokens, as llama-bench uses; a fixed stream per seed. */
	for (uint32_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		prompt[i] = (int32_t)((seed >> 33) % n_vocab);
	}
	p.prompt = prompt;
	p.n_prompt = n;
	p.max_tokens = n_gen;
	p.ignore_eog = 1;
	rc = plume_engine_generate(e, &p, &r, err);
	if (!rc)
		*m = r.metrics;
	plume_gen_result_free(&r);
	free(prompt);
	return rc;
}

/* One measurement: tokens per second of a pp or tg test at depth d. */
static int run_once(struct plume_engine *e, uint32_t n_prompt, uint32_t n_gen, uint32_t d,
		    uint64_t seed, double *tps, struct plume_error *err)
{
	struct plume_gen_metrics m = {0}, m0 = {0};
	int rc;

	if (n_prompt && d) {
		rc = gen_once(e, d, 0, seed, &m0, err);
		if (!rc)
			rc = gen_once(e, d + n_prompt, 0, seed, &m, err);
		if (!rc)
			*tps = m.prefill_ms > m0.prefill_ms
				       ? n_prompt / ((m.prefill_ms - m0.prefill_ms) / 1e3) : 0;
		return rc;
	}
	if (d) { /* n_gen decode steps after a d-token prefill */
		rc = gen_once(e, d, n_gen + 1, seed, &m, err);
		if (!rc)
			*tps = m.decode_tps;
		return rc;
	}
	rc = gen_once(e, n_prompt, n_gen, seed, &m, err);
	if (!rc)
		*tps = n_prompt ? m.prefill_tps : n_gen / ((m.prefill_ms + m.decode_ms) / 1e3);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	struct cli c;
	struct plume_engine *e = NULL;
	long pp[MAX_TESTS] = {512}, tg[MAX_TESTS] = {128}, dp[MAX_TESTS] = {0};
	int n_pp = 1, n_tg = 1, n_dp = 1, reps = 5, rc = 1, first = 1;
	struct stat st;
	char *model = NULL;
	char name[256];

	if (cli_common(&c, argc, argv))
		return 1;
	for (int i = 0; i < c.argc; i++) {
		const char *a = c.argv[i];

		if ((!strcmp(a, "-p") || !strcmp(a, "--n-prompt")) && i + 1 < c.argc)
			n_pp = parse_list(c.argv[++i], pp, MAX_TESTS);
		else if ((!strcmp(a, "-n") || !strcmp(a, "--n-gen")) && i + 1 < c.argc)
			n_tg = parse_list(c.argv[++i], tg, MAX_TESTS);
		else if ((!strcmp(a, "-r") || !strcmp(a, "--repetitions")) && i + 1 < c.argc)
			reps = atoi(c.argv[++i]);
		else if ((!strcmp(a, "-d") || !strcmp(a, "--n-depth")) && i + 1 < c.argc)
			n_dp = parse_list(c.argv[++i], dp, MAX_TESTS);
		else
			return cli_die("bench: unexpected argument '%s'", a);
		if (n_pp < 0 || n_tg < 0 || n_dp <= 0)
			return cli_die("bench: '%s' expects a comma-separated list of counts", a);
	}
	if (reps < 1 || reps > 1000)
		return cli_die("bench: -r must be 1..1000");
	if (cli_config(&c))
		goto out;
	if (plume_engine_create(c.cfg, 0, &e, &c.err))
		goto fail;
	model = plume_expand_path(plume_cfg_str(c.cfg, "model", "path"));
	if (!model) {
		cli_die("out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "%s", strrchr(model, '/') ? strrchr(model, '/') + 1 : model);
	if (c.json)
		fputs("[", stdout);
	else
		printf("| model | size | backend | threads | test | t/s |\n"
		       "| --- | ---: | --- | ---: | --- | ---: |\n");
	for (int kind = 0; kind < 2; kind++) {
		int nt = kind ? n_tg : n_pp;

		for (int t = 0; t < nt * n_dp; t++) {
			uint32_t np = kind ? 0 : (uint32_t)pp[t / n_dp], ng = kind ? (uint32_t)tg[t / n_dp] : 0;
			uint32_t d = (uint32_t)dp[t % n_dp];
			double v[1000], tps;
			char depth[32] = "";

			if (!np && !ng)
				continue;
			if (d)
				snprintf(depth, sizeof(depth), " @ d%u", d);
			/* warm-up, discarded */
			if (run_once(e, np, ng, d, 1, &tps, &c.err))
				goto fail;
			for (int r = 0; r < reps; r++)
				if (run_once(e, np, ng, d, 2 + (uint64_t)r, &v[r], &c.err))
					goto fail;
			qsort(v, (size_t)reps, sizeof(double), cmp_double);
			tps = reps % 2 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
			if (c.json) {
				printf("%s{\"model\":", first ? "" : ",");
				json_string(stdout, name, strlen(name));
				printf(",\"model_size\":%lld,\"backend\":\"%s\",\"device\":",
				       stat(model, &st) ? 0LL : (long long)st.st_size,
				       plume_engine_plugin(e, PLUME_KIND_BACKEND)->desc.name);
				json_string(stdout, plume_engine_device(e), strlen(plume_engine_device(e)));
				printf(",\"threads\":%u,\"n_prompt\":%u,\"n_gen\":%u,\"n_depth\":%u,"
				       "\"repetitions\":%d,\"tps_median\":%.3f,\"tps_min\":%.3f,"
				       "\"tps_max\":%.3f}",
				       plume_engine_threads(e), np, ng, d, reps, tps, v[0], v[reps - 1]);
			} else {
				printf("| %s | %.1f MiB | %s | %u | %s%u%s | %.2f (min %.2f, max %.2f) |\n",
				       name, stat(model, &st) ? 0.0 : st.st_size / 1048576.0,
				       plume_engine_plugin(e, PLUME_KIND_BACKEND)->desc.name,
				       plume_engine_threads(e), np ? "pp" : "tg", np ? np : ng, depth, tps,
				       v[0], v[reps - 1]);
			}
			fflush(stdout);
			first = 0;
		}
	}
	if (c.json)
		fputs("]\n", stdout);
	rc = 0;
	goto out;
fail:
	cli_fail(&c);
out:
	free(model);
	plume_engine_destroy(e);
	plume_cfg_destroy(c.cfg);
	return rc;
}
