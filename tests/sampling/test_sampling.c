/* The sampling strategy on the default model (skipped, loudly, when it is
 * absent outside CI): the same seed replays, different seeds differ, the
 * thread count does not matter; temperature 0 and top_k 1 are greedy; n
 * samples come back as n hypotheses; bad options are rejected by name. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "host.h"
#include "testenv.h"

static char model[1024];
static struct plume_error err;

static int have_model(void)
{
	int rc = tu_default_model(model, sizeof(model));

	if (rc < 0)
		cr_assert_fail("default model %s missing in CI (scripts/fetch-model)", model);
	if (!rc)
		printf("SKIPPED: default model not found at %s (run scripts/fetch-model)\n", model);
	return rc > 0;
}

struct eng {
	struct plume_cfg *cfg;
	struct plume_engine *e;
};

/* Config with the model, 2 threads, `strategy`, then the NULL-terminated
 * extra settings (later ones override). Returns the create status. */
static int open_engine(struct eng *g, const char *strategy, const char *const *extra)
{
	char set[1200];
	int rc;

	g->e = NULL;
	cr_assert_eq(plume_cfg_create(&g->cfg), 0);
	snprintf(set, sizeof(set), "model.path=%s", model);
	cr_assert_eq(plume_cfg_set(g->cfg, set, "test", &err), 0, "%s", err.msg);
	cr_assert_eq(plume_cfg_set(g->cfg, "engine.threads=2", "test", &err), 0);
	cr_assert_eq(plume_cfg_set(g->cfg, "model.context=256", "test", &err), 0);
	snprintf(set, sizeof(set), "engine.strategy=%s", strategy);
	cr_assert_eq(plume_cfg_set(g->cfg, set, "test", &err), 0, "%s", err.msg);
	for (; extra && *extra; extra++) {
		rc = plume_cfg_set(g->cfg, *extra, "test", &err);
		if (rc)
			return rc;
	}
	return plume_engine_create(g->cfg, 0, &g->e, &err);
}

static void engine(struct eng *g, const char *strategy, const char *const *extra)
{
	cr_assert_eq(open_engine(g, strategy, extra), 0, "%s", err.msg);
}

static void close_engine(struct eng *g)
{
	if (g->e)
		plume_engine_destroy(g->e);
	plume_cfg_destroy(g->cfg);
	g->e = NULL;
	g->cfg = NULL;
}

static void tokenize(struct plume_engine *e, const char *text, int32_t **ids, size_t *n)
{
	cr_assert_eq(plume_engine_tokenize(e, text, strlen(text),
					   PLUME_TOK_ADD_SPECIAL | PLUME_TOK_PARSE_SPECIAL, ids, n, &err),
		     0, "%s", err.msg);
}

static void generate(struct plume_engine *e, const char *text, uint64_t seed, uint32_t max,
		     struct plume_gen_result *r)
{
	struct plume_gen_params p = {0};
	int32_t *ids;
	size_t n;

	tokenize(e, text, &ids, &n);
	p.prompt = ids;
	p.n_prompt = n;
	p.max_tokens = max;
	p.seed = seed;
	cr_assert_eq(plume_engine_generate(e, &p, r, &err), 0, "%s", err.msg);
	cr_assert_geq(r->n_hyps, 1);
	free(ids);
}

static int same_ids(const struct plume_hypothesis *a, const struct plume_hypothesis *b)
{
	return a->n_ids == b->n_ids && !memcmp(a->ids, b->ids, a->n_ids * sizeof(int32_t));
}

static const char *prompts[] = {
	"Once upon a time, in a small village by the sea, there lived",
	"The best way to learn a new language is",
	"My favourite food is",
	"Write a short poem about the moon:",
};
#define N_PROMPTS (sizeof(prompts) / sizeof(prompts[0]))

Test(sampling, same_seed_replays_different_seeds_differ_threads_do_not_matter)
{
	static const char *const warm[] = {"strategy.sampling.temperature=1.0", NULL};
	static const char *const one_thread[] = {"strategy.sampling.temperature=1.0",
						 "engine.threads=1", NULL};
	struct eng a, b;
	struct plume_gen_result r1, r2, r3;
	int differ = 0;

	if (!have_model())
		cr_skip_test("default model absent");
	engine(&a, "sampling", warm);
	engine(&b, "sampling", one_thread);
	for (size_t i = 0; i < N_PROMPTS; i++) {
		generate(a.e, prompts[i], 1234, 16, &r1);
		generate(a.e, prompts[i], 1234, 16, &r2);
		cr_assert(same_ids(&r1.hyps[0], &r2.hyps[0]), "same seed, different tokens (prompt %zu)",
			  i);
		generate(b.e, prompts[i], 1234, 16, &r3);
		cr_assert(same_ids(&r1.hyps[0], &r3.hyps[0]),
			  "engine.threads=1 and 2 differ (prompt %zu)", i);
		plume_gen_result_free(&r2);
		plume_gen_result_free(&r3);
		generate(a.e, prompts[i], 98765, 16, &r2);
		differ |= !same_ids(&r1.hyps[0], &r2.hyps[0]);
		plume_gen_result_free(&r1);
		plume_gen_result_free(&r2);
	}
	cr_assert(differ, "seeds 1234 and 98765 gave the same tokens on every prompt");
	close_engine(&a);
	close_engine(&b);
}

/* Tokens of `strategy` with `extra` against greedy's, on every prompt. */
static void expect_greedy(const char *const *extra)
{
	struct eng s, g;
	struct plume_gen_result rs, rg;

	engine(&s, "sampling", extra);
	engine(&g, "greedy", NULL);
	for (size_t i = 0; i < N_PROMPTS; i++) {
		generate(s.e, prompts[i], 7, 12, &rs);
		generate(g.e, prompts[i], 7, 12, &rg);
		cr_assert(same_ids(&rs.hyps[0], &rg.hyps[0]), "differs from greedy on prompt %zu",
			  i);
		cr_assert_float_eq(rs.hyps[0].score, rg.hyps[0].score, 1e-6,
				   "score is the sum of the tokens' log-probabilities");
		plume_gen_result_free(&rs);
		plume_gen_result_free(&rg);
	}
	close_engine(&s);
	close_engine(&g);
}

Test(sampling, temperature_zero_is_greedy)
{
	static const char *const t0[] = {"strategy.sampling.temperature=0", NULL};

	if (!have_model())
		cr_skip_test("default model absent");
	expect_greedy(t0);
}

Test(sampling, top_k_one_is_greedy)
{
	static const char *const k1[] = {"strategy.sampling.top_k=1",
					 "strategy.sampling.temperature=1.5", NULL};

	if (!have_model())
		cr_skip_test("default model absent");
	expect_greedy(k1);
}

Test(sampling, n_samples_come_back_as_n_hypotheses)
{
	static const char *const n3[] = {"strategy.sampling.n=3",
					 "strategy.sampling.temperature=1.0", NULL};
	size_t before = plume_host_bytes_in_use();
	struct eng s;
	struct plume_gen_result r, r2;

	if (!have_model())
		cr_skip_test("default model absent");
	engine(&s, "sampling", n3);
	generate(s.e, prompts[0], 99, 10, &r);
	cr_assert_eq(r.n_hyps, 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_gt(r.hyps[i].n_ids, 0);
		cr_assert_leq(r.hyps[i].n_ids, 10);
		if (i)
			cr_assert_geq(r.hyps[i - 1].score, r.hyps[i].score, "best score first");
	}
	cr_assert(!same_ids(&r.hyps[0], &r.hyps[1]) || !same_ids(&r.hyps[1], &r.hyps[2]),
		  "three samples with independent generators are all identical");
	/* reproducible as a set */
	generate(s.e, prompts[0], 99, 10, &r2);
	cr_assert_eq(r2.n_hyps, 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert(same_ids(&r.hyps[i], &r2.hyps[i]), "hypothesis %zu not replayed", i);
	plume_gen_result_free(&r);
	plume_gen_result_free(&r2);
	close_engine(&s);
	cr_assert_eq(plume_host_bytes_in_use(), before, "host-counted bytes leaked: %zu",
		     plume_host_bytes_in_use() - before);
}

Test(sampling, penalties_run_and_replay)
{
	static const char *const pen[] = {"strategy.sampling.repeat_penalty=1.3",
					  "strategy.sampling.presence_penalty=0.5",
					  "strategy.sampling.frequency_penalty=0.5",
					  "strategy.sampling.penalty_last_n=-1", NULL};
	struct eng s;
	struct plume_gen_result r, r2;

	if (!have_model())
		cr_skip_test("default model absent");
	engine(&s, "sampling", pen);
	generate(s.e, prompts[1], 5, 16, &r);
	generate(s.e, prompts[1], 5, 16, &r2);
	cr_assert(same_ids(&r.hyps[0], &r2.hyps[0]));
	plume_gen_result_free(&r);
	plume_gen_result_free(&r2);
	close_engine(&s);
}

static void expect_rejected(const char *setting, const char *must_name)
{
	const char *const extra[] = {setting, NULL};
	struct eng s;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = open_engine(&s, "sampling", extra);
	cr_assert_neq(rc, 0, "%s was accepted", setting);
	cr_assert_null(s.e);
	cr_assert_not_null(strstr(err.msg, must_name), "message '%s' does not name %s", err.msg,
			   must_name);
	close_engine(&s);
}

Test(sampling, bad_options_are_rejected_by_name)
{
	if (!have_model())
		cr_skip_test("default model absent");
	expect_rejected("strategy.sampling.order=top_k,bogus_filter,temperature", "bogus_filter");
	expect_rejected("strategy.sampling.order=top_k,bogus_filter,temperature", "order");
	expect_rejected("strategy.sampling.order=top_k,top_k", "top_k");
	expect_rejected("strategy.sampling.top_p=1.5", "top_p");
	expect_rejected("strategy.sampling.n=65", "sampling.n");
	expect_rejected("strategy.sampling.temperature=-1", "temperature");
}
