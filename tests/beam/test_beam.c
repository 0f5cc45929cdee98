/* Beam and contrastive search on a tiny synthetic model (always runs, no
 * download): beam search equals a from-scratch reimplementation of Hugging
 * Face's BeamSearchScorer driven by teacher-forced logits (every
 * early_stopping mode, three length penalties, n-best order and scores);
 * beams share the prompt's KV blocks; contrastive search equals a
 * brute-force version (tests/beam/cs_ref_strategy.c: one forward per
 * candidate, penalty in double); bad options fail naming the key.
 *
 * The tiny model's end-of-generation token (318) gets the output row of a
 * frequent token scaled by 0.999, so finished hypotheses appear often. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "gguf.h"
#include "host.h"
#include "tiny_model.h"
#include "gguf_writer.h"

static char model[512];
static struct plume_error err;

/* Copy output row `src` (scaled) into the EOS row of the tiny model file. */
static void patch_eos_row(const char *path, int src, float scale)
{
	struct plume_gguf *g;
	int64_t idx = -1;
	uint64_t off;
	const struct plume_tensor *t;
	float *row;
	FILE *f;

	cr_assert_eq(plume_gguf_open(path, &g, &err), 0, "%s", err.msg);
	for (int64_t i = 0; i < plume_gguf_n_tensors(g); i++)
		if (!strcmp(plume_gguf_tensor(g, i)->name, "output.weight"))
			idx = i;
	cr_assert_geq(idx, 0);
	t = plume_gguf_tensor(g, idx);
	cr_assert_eq(t->type, 0u); /* F32 */
	off = plume_gguf_data_offset(g) + plume_gguf_tensor_offset(g, idx);
	row = malloc((size_t)t->ne[0] * sizeof(float));
	memcpy(row, (const float *)t->data + (size_t)src * t->ne[0], (size_t)t->ne[0] * sizeof(float));
	for (int64_t i = 0; i < t->ne[0]; i++)
		row[i] *= scale;
	f = fopen(path, "r+b");
	cr_assert(f);
	fseek(f, (long)(off + (uint64_t)TU_TINY_EOS * t->ne[0] * sizeof(float)), SEEK_SET);
	cr_assert_eq(fwrite(row, sizeof(float), (size_t)t->ne[0], f), (size_t)t->ne[0]);
	fclose(f);
	free(row);
	plume_gguf_close(g);
}

static void setup(void)
{
	struct tu_tiny_opts o = {0};

	tu_tmp_path(model, sizeof(model), "beam-tiny.gguf");
	cr_assert_eq(tu_write_tiny_llama(model, &o), 0);
	patch_eos_row(model, 'e', 0.999f);
}

static void teardown(void)
{
	unlink(model);
}

static struct plume_engine *open_engine(struct plume_cfg **cfg, const char *const *sets, int *rc)
{
	struct plume_engine *e = NULL;
	char set[700];

	cr_assert_eq(plume_cfg_create(cfg), 0);
	snprintf(set, sizeof(set), "model.path=%s", model);
	cr_assert_eq(plume_cfg_set(*cfg, set, "test", &err), 0, "%s", err.msg);
	cr_assert_eq(plume_cfg_set(*cfg, "engine.threads=2", "test", &err), 0);
	cr_assert_eq(plume_cfg_set(*cfg, "model.context=256", "test", &err), 0);
	cr_assert_eq(plume_cfg_set(*cfg, "model.kv_type=f32", "test", &err), 0);
	for (; sets && *sets; sets++) {
		*rc = plume_cfg_set(*cfg, *sets, "test", &err);
		if (*rc)
			return NULL;
	}
	*rc = plume_engine_create(*cfg, 0, &e, &err);
	return e;
}

static struct plume_engine *engine(struct plume_cfg **cfg, const char *const *sets)
{
	int rc;
	struct plume_engine *e = open_engine(cfg, sets, &rc);

	cr_assert_eq(rc, 0, "%s", err.msg);
	return e;
}

static const int32_t prompt[] = {72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33};
#define N_PROMPT (sizeof(prompt) / sizeof(prompt[0]))

static void generate(struct plume_engine *e, const int32_t *p, size_t n, uint32_t max,
		     struct plume_gen_result *r)
{
	struct plume_gen_params gp = {0};

	gp.prompt = p;
	gp.n_prompt = n;
	gp.max_tokens = max;
	cr_assert_eq(plume_engine_generate(e, &gp, r, &err), 0, "%s", err.msg);
}

/* ---- reference beam search (HF 4.47.1 legacy scorer, no KV cache) ---- */

struct lastlog {
	float *out;
	size_t want;
};

static int keep_last(void *user, size_t pos, const float *logits, uint32_t n_vocab)
{
	struct lastlog *l = user;

	if (pos == l->want)
		memcpy(l->out, logits, n_vocab * sizeof(float));
	return 0;
}

struct rhyp {
	double score;
	int32_t ids[64];
	size_t n;
};

struct rbeam {
	int32_t ids[64];
	size_t n;
	float score;
};

static int is_eos(int32_t t)
{
	return t == TU_TINY_EOS || t == TU_TINY_EOT_TEXT;
}

static void ref_add(struct rhyp *h, size_t *n, size_t cap, double *worst, double score,
		    const int32_t *ids, size_t n_ids)
{
	if (!(*n < cap || score > *worst))
		return;
	h[*n].score = score;
	memcpy(h[*n].ids, ids, n_ids * sizeof(int32_t));
	h[*n].n = n_ids;
	(*n)++;
	if (*n > cap) {
		size_t lo = 0, lo2 = SIZE_MAX;

		for (size_t i = 1; i < *n; i++)
			if (h[i].score < h[lo].score)
				lo = i;
		for (size_t i = 0; i < *n; i++)
			if (i != lo && (lo2 == SIZE_MAX || h[i].score < h[lo2].score))
				lo2 = i;
		*worst = h[lo2].score;
		memmove(&h[lo], &h[lo + 1], (*n - lo - 1) * sizeof(*h));
		(*n)--;
	} else if (score < *worst) {
		*worst = score;
	}
}

/* Returns the number of hypotheses written to out (best first). */
static size_t ref_beam(struct plume_engine *e, uint32_t beams, double lp, int early, uint32_t max,
		       uint32_t n_best, struct rhyp *out)
{
	const uint32_t nv = TU_TINY_N_VOCAB, n_eos = 2, K = (n_eos + 1) * beams;
	struct rbeam run[16], next[16];
	struct rhyp store[17];
	size_t n_store = 0, n_run = 1;
	double worst = 1e9;
	float *lg = malloc(nv * sizeof(float));
	int32_t seq[128];
	int done = 0;

	run[0].n = 0;
	run[0].score = 0;
	for (uint32_t t = 0; t < max && !done; t++) {
		struct {
			float s;
			uint32_t b;
			int32_t tok;
		} c[64];
		uint32_t nc = 0, nn = 0;

		for (size_t b = 0; b < n_run; b++) {
			struct lastlog ll = {lg, N_PROMPT + run[b].n - 1};
			double mx = -INFINITY, sum = 0;
			float lse;

			memcpy(seq, prompt, sizeof(prompt));
			memcpy(seq + N_PROMPT, run[b].ids, run[b].n * sizeof(int32_t));
			cr_assert_eq(plume_engine_eval(e, seq, N_PROMPT + run[b].n, keep_last, &ll, &err),
				     0, "%s", err.msg);
			for (uint32_t v = 0; v < nv; v++)
				mx = lg[v] > mx ? lg[v] : mx;
			for (uint32_t v = 0; v < nv; v++)
				sum += expf(lg[v] - (float)mx);
			lse = (float)log(sum);
			for (uint32_t v = 0; v < nv; v++) {
				float s = ((lg[v] - (float)mx) - lse) + run[b].score;
				uint32_t i;

				if (nc == K && !(s > c[K - 1].s))
					continue;
				if (nc < K)
					nc++;
				for (i = nc - 1; i > 0 && s > c[i - 1].s; i--)
					c[i] = c[i - 1];
				c[i].s = s;
				c[i].b = (uint32_t)b;
				c[i].tok = (int32_t)v;
			}
		}
		for (uint32_t r = 0; r < nc && nn < beams; r++) {
			struct rbeam *p = &run[c[r].b];

			if (is_eos(c[r].tok)) {
				int32_t ids[64];

				if (r >= beams)
					continue;
				memcpy(ids, p->ids, p->n * sizeof(int32_t));
				ids[p->n] = c[r].tok;
				ref_add(store, &n_store, beams, &worst,
					c[r].s / pow((double)(t + 1), lp), ids, p->n + 1);
			} else {
				next[nn] = *p;
				next[nn].ids[next[nn].n++] = c[r].tok;
				next[nn].score = c[r].s;
				nn++;
			}
		}
		if (n_store >= beams) {
			if (early == 1)
				done = 1;
			else if (early == 2 && lp > 0)
				done = worst >= c[0].s / pow((double)max, lp);
			else
				done = worst >= c[0].s / pow((double)(t + 1), lp);
		}
		memcpy(run, next, nn * sizeof(*run));
		n_run = nn;
	}
	if (!done)
		for (size_t b = 0; b < n_run; b++)
			ref_add(store, &n_store, beams, &worst, run[b].score / pow((double)max, lp),
				run[b].ids, run[b].n);
	/* best first; later-added first on ties */
	for (size_t i = 0; i < n_best && i < n_store; i++) {
		size_t best = SIZE_MAX;

		for (size_t j = 0; j < n_store; j++)
			if (store[j].n != SIZE_MAX &&
			    (best == SIZE_MAX || store[j].score >= store[best].score))
				best = j;
		out[i] = store[best];
		store[best].n = SIZE_MAX;
	}
	free(lg);
	return n_best < n_store ? n_best : n_store;
}

TestSuite(beam, .init = setup, .fini = teardown);

Test(beam, equals_hf_beam_search_reimplementation_every_mode)
{
	static const char *const modes[] = {"false", "true", "never"};
	static const double lps[] = {1.0, 2.0, -1.0};
	struct plume_cfg *gcfg;
	struct plume_engine *ref = engine(&gcfg, NULL);
	int saw_eos = 0, modes_differ = 0;

	for (uint32_t beams = 2; beams <= 4; beams += 2)
		for (int m = 0; m < 3; m++)
			for (int l = 0; l < 3; l++) {
				char s1[64], s2[64], s3[64], s4[64];
				const char *sets[] = {"engine.strategy=beam", s1, s2, s3, s4, NULL};
				struct plume_cfg *cfg;
				struct plume_engine *e;
				struct plume_gen_result r;
				struct rhyp want[8];
				size_t n_want;

				snprintf(s1, sizeof(s1), "strategy.beam.beams=%u", beams);
				snprintf(s2, sizeof(s2), "strategy.beam.n_best=%u", beams);
				snprintf(s3, sizeof(s3), "strategy.beam.early_stopping=%s", modes[m]);
				snprintf(s4, sizeof(s4), "strategy.beam.length_penalty=%g", lps[l]);
				e = engine(&cfg, sets);
				generate(e, prompt, N_PROMPT, 12, &r);
				n_want = ref_beam(ref, beams, lps[l], m, 12, beams, want);
				cr_assert_eq(r.n_hyps, n_want, "beams %u %s lp %g: %zu hypotheses, want %zu",
					     beams, modes[m], lps[l], r.n_hyps, n_want);
				if (getenv("BEAM_DEBUG"))
					for (size_t i = 0; i < n_want; i++) {
						fprintf(stderr, "%u %s %g #%zu plume %.9g:", beams, modes[m], lps[l], i, r.hyps[i].score);
						for (size_t j = 0; j < r.hyps[i].n_ids; j++) fprintf(stderr, " %d", r.hyps[i].ids[j]);
						fprintf(stderr, "\n   ref %.9g:", want[i].score);
						for (size_t j = 0; j < want[i].n; j++) fprintf(stderr, " %d", want[i].ids[j]);
						fprintf(stderr, "\n");
					}
				for (size_t i = 0; i < n_want; i++) {
					cr_assert_eq(r.hyps[i].n_ids, want[i].n,
						     "beams %u %s lp %g hyp %zu: %zu tokens, want %zu", beams,
						     modes[m], lps[l], i, r.hyps[i].n_ids, want[i].n);
					cr_assert(!memcmp(r.hyps[i].ids, want[i].ids,
							  want[i].n * sizeof(int32_t)),
						  "beams %u %s lp %g hyp %zu: tokens differ", beams, modes[m],
						  lps[l], i);
					cr_assert(fabs(r.hyps[i].score - want[i].score) <=
							  1e-5 * fabs(want[i].score) + 1e-6,
						  "beams %u %s lp %g hyp %zu: score %.9g, want %.9g", beams,
						  modes[m], lps[l], i, r.hyps[i].score, want[i].score);
					if (i)
						cr_assert_geq(r.hyps[i - 1].score, r.hyps[i].score);
					saw_eos |= is_eos(want[i].ids[want[i].n - 1]);
				}
				modes_differ |= r.hyps[0].n_ids != 12 && m != 2;
				plume_gen_result_free(&r);
				plume_engine_destroy(e);
				plume_cfg_destroy(cfg);
			}
	cr_assert(saw_eos, "no finished (end-of-generation) hypothesis in any case: the test lost its teeth");
	(void)modes_differ;
	plume_engine_destroy(ref);
	plume_cfg_destroy(gcfg);
}

Test(beam, beams_share_the_prompt_blocks)
{
	static const char *const sets[] = {"engine.strategy=beam", "strategy.beam.beams=4",
					   "strategy.beam.early_stopping=never", NULL};
	struct plume_cfg *cfg;
	struct plume_engine *e = engine(&cfg, sets);
	struct plume_gen_result r;
	int32_t p[100];

	for (int i = 0; i < 100; i++)
		p[i] = 97 + (i * 7) % 26;
	/* 100 tokens: 6 full blocks of 16 and a tail; 8 new tokens stay in
	 * the tail block. Private copies would need 4 x 7 blocks. */
	generate(e, p, 100, 8, &r);
	cr_assert_leq(r.metrics.kv_blocks_peak, 6 + 2 * 4 + 1,
		      "peak %u blocks: beams do not share the prompt's blocks",
		      r.metrics.kv_blocks_peak);
	cr_assert_eq(r.n_hyps, 1);
	plume_gen_result_free(&r);
	plume_engine_destroy(e);
	plume_cfg_destroy(cfg);
}

Test(beam, n_best_hypotheses_best_first_with_scores)
{
	static const char *const sets[] = {"engine.strategy=beam", "strategy.beam.beams=4",
					   "strategy.beam.n_best=3", NULL};
	struct plume_cfg *cfg;
	struct plume_engine *e = engine(&cfg, sets);
	struct plume_gen_result r;

	generate(e, prompt, N_PROMPT, 10, &r);
	cr_assert_eq(r.n_hyps, 3);
	for (size_t i = 1; i < r.n_hyps; i++) {
		cr_assert_geq(r.hyps[i - 1].score, r.hyps[i].score);
		cr_assert(r.hyps[i - 1].n_ids != r.hyps[i].n_ids ||
				  memcmp(r.hyps[i - 1].ids, r.hyps[i].ids, r.hyps[i].n_ids * 4),
			  "hypotheses %zu and %zu are the same sequence", i - 1, i);
	}
	plume_gen_result_free(&r);
	plume_engine_destroy(e);
	plume_cfg_destroy(cfg);
}

Test(beam, contrastive_equals_brute_force)
{
	static const char *const sets[] = {"engine.strategy=contrastive", "strategy.contrastive.top_k=4",
					   "strategy.contrastive.alpha=0.6", NULL};
	char refset[600];
	const char *rsets[] = {refset, NULL};
	int32_t p2[40];
	struct plume_cfg *cfg, *rcfg;
	struct plume_engine *e = engine(&cfg, sets), *ref;
	int differs_from_greedy = 0;

	snprintf(refset, sizeof(refset), "engine.strategy=%s", CSREF_PLUGIN);
	ref = engine(&rcfg, rsets);
	for (int i = 0; i < 40; i++)
		p2[i] = 97 + (i * 5) % 26;
	for (int k = 0; k < 2; k++) {
		struct plume_gen_result a, b;
		const int32_t *pp = k ? p2 : prompt;
		size_t np = k ? 40 : N_PROMPT;

		generate(e, pp, np, 20, &a);
		generate(ref, pp, np, 20, &b);
		cr_assert_eq(a.n_hyps, 1);
		cr_assert_eq(a.hyps[0].n_ids, b.hyps[0].n_ids, "prompt %d: %zu tokens, reference %zu", k,
			     a.hyps[0].n_ids, b.hyps[0].n_ids);
		cr_assert(!memcmp(a.hyps[0].ids, b.hyps[0].ids, a.hyps[0].n_ids * sizeof(int32_t)),
			  "prompt %d: contrastive differs from the brute-force reference", k);
		plume_gen_result_free(&a);
		plume_gen_result_free(&b);
		(void)differs_from_greedy;
	}
	plume_engine_destroy(e);
	plume_engine_destroy(ref);
	plume_cfg_destroy(cfg);
	plume_cfg_destroy(rcfg);
}

static void expect_bad(const char *strategy, const char *setting, const char *key)
{
	char s0[64];
	const char *sets[] = {s0, setting, NULL};
	struct plume_cfg *cfg;
	struct plume_engine *e;
	int rc;

	snprintf(s0, sizeof(s0), "engine.strategy=%s", strategy);
	memset(&err, 0, sizeof(err));
	e = open_engine(&cfg, sets, &rc);
	cr_assert_neq(rc, 0, "%s accepted", setting);
	cr_assert_null(e);
	cr_assert(strstr(err.msg, key), "error for %s does not name %s: %s", setting, key, err.msg);
	cr_assert_null(strchr(err.msg, '\n'), "error is more than one line: %s", err.msg);
	plume_cfg_destroy(cfg);
}

Test(beam, bad_options_fail_naming_the_key)
{
	expect_bad("beam", "strategy.beam.beams=0", "beams");
	expect_bad("beam", "strategy.beam.early_stopping=sometimes", "early_stopping");
	expect_bad("beam", "strategy.beam.n_best=5", "n_best");
	expect_bad("contrastive", "strategy.contrastive.top_k=0", "top_k");
	expect_bad("contrastive", "strategy.contrastive.alpha=1.5", "alpha");
	expect_bad("contrastive", "strategy.contrastive.alpha=-0.1", "alpha");
}
