/* The engine end to end on the default model (skipped, loudly, when it is
 * absent outside CI): forks share KV blocks with copy-on-write and continue
 * exactly as independent runs; stop strings, budgets, streaming; eval. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Configs outlive their engines; remembered here to free them. */
static struct plume_cfg *cfgs[8];
static struct plume_engine *engines[8];

static struct plume_engine *engine(const char *strategy, const char *extra)
{
	struct plume_cfg *cfg;
	struct plume_engine *e = NULL;
	char set[1200];

	cr_assert_eq(plume_cfg_create(&cfg), 0);
	snprintf(set, sizeof(set), "model.path=%s", model);
	cr_assert_eq(plume_cfg_set(cfg, set, "test", &err), 0, "%s", err.msg);
	cr_assert_eq(plume_cfg_set(cfg, "engine.threads=2", "test", &err), 0);
	cr_assert_eq(plume_cfg_set(cfg, "model.context=512", "test", &err), 0);
	snprintf(set, sizeof(set), "engine.strategy=%s", strategy);
	cr_assert_eq(plume_cfg_set(cfg, set, "test", &err), 0, "%s", err.msg);
	/* extra: settings separated by ';' */
	for (const char *p = extra; p && *p;) {
		size_t len = strcspn(p, ";");

		snprintf(set, sizeof(set), "%.*s", (int)len, p);
		cr_assert_eq(plume_cfg_set(cfg, set, "test", &err), 0, "%s", err.msg);
		p += len + (p[len] == ';');
	}
	cr_assert_eq(plume_engine_create(cfg, 0, &e, &err), 0, "%s", err.msg);
	for (int i = 0; i < 8; i++)
		if (!engines[i]) {
			engines[i] = e;
			cfgs[i] = cfg;
			break;
		}
	return e;
}

static void destroy(struct plume_engine *e)
{
	plume_engine_destroy(e);
	for (int i = 0; i < 8; i++)
		if (engines[i] == e) {
			plume_cfg_destroy(cfgs[i]);
			engines[i] = NULL;
			cfgs[i] = NULL;
		}
}

static void tokenize(struct plume_engine *e, const char *text, int32_t **ids, size_t *n)
{
	cr_assert_eq(plume_engine_tokenize(e, text, strlen(text),
					   PLUME_TOK_ADD_SPECIAL | PLUME_TOK_PARSE_SPECIAL, ids, n, &err),
		     0, "%s", err.msg);
}

static void generate(struct plume_engine *e, const int32_t *ids, size_t n, uint32_t max,
		     struct plume_gen_result *r)
{
	struct plume_gen_params p = {.prompt = ids, .n_prompt = n, .max_tokens = max};

	cr_assert_eq(plume_engine_generate(e, &p, r, &err), 0, "%s", err.msg);
}

static const char *prompt =
	"Once upon a time, in a small village by the sea, there lived an old fisherman who every "
	"morning";

Test(engine, forked_sequences_continue_like_independent_runs)
{
	struct plume_engine *ef, *eg;
	struct plume_gen_result rf, rg, rb;
	int32_t *ids, *ids_b;
	size_t n;

	if (!have_model())
		cr_skip_test("default model absent");
	/* the exact per-row kernels, so that continuing "exactly" is a question
	 * of the KV cache alone (the CPU's decode-batch kernel rounds
	 * differently from one-sequence steps: tests/cpu_backend) */
	ef = engine(FORK_PLUGIN, "model.kv_block=16;backend.cpu.batched_decode=exact");
	eg = engine("greedy", "model.kv_block=16");
	tokenize(eg, prompt, &ids, &n);
	cr_assert_gt(n % 16, 0, "the prompt must end inside a block so the fork shares a partial block");
	generate(ef, ids, n, 12, &rf);
	cr_assert_eq(rf.n_hyps, 2);
	/* parent: plain greedy */
	generate(eg, ids, n, 12, &rg);
	cr_assert_eq(rf.hyps[0].n_ids, rg.hyps[0].n_ids);
	cr_assert_arr_eq(rf.hyps[0].ids, rg.hyps[0].ids, rg.hyps[0].n_ids * sizeof(int32_t));
	/* child: greedy after its forced first token */
	ids_b = malloc((n + 1) * sizeof(int32_t));
	memcpy(ids_b, ids, n * sizeof(int32_t));
	ids_b[n] = rf.hyps[1].ids[0];
	cr_assert_neq(rf.hyps[1].ids[0], rf.hyps[0].ids[0]);
	generate(eg, ids_b, n + 1, 11, &rb);
	cr_assert_eq(rb.hyps[0].n_ids + 1, rf.hyps[1].n_ids);
	cr_assert_arr_eq(rf.hyps[1].ids + 1, rb.hyps[0].ids, rb.hyps[0].n_ids * sizeof(int32_t));
	cr_assert_gt(rf.metrics.kv_blocks_peak, 0);
	plume_gen_result_free(&rf);
	plume_gen_result_free(&rg);
	plume_gen_result_free(&rb);
	free(ids);
	free(ids_b);
	destroy(ef);
	destroy(eg);
}

struct sink {
	char buf[8192];
	size_t n;
};

static void on_text(void *user, const char *t, size_t len)
{
	struct sink *s = user;

	cr_assert_lt(s->n + len, sizeof(s->buf));
	memcpy(s->buf + s->n, t, len);
	s->n += len;
}

Test(engine, budget_stop_strings_and_streaming)
{
	struct plume_engine *e;
	struct plume_gen_result r, rs;
	struct sink sink = {0};
	struct plume_gen_params p = {0};
	const char *stop[1];
	char word[64];
	int32_t *ids;
	size_t n;

	if (!have_model())
		cr_skip_test("default model absent");
	e = engine("greedy", NULL);
	tokenize(e, prompt, &ids, &n);
	p.prompt = ids;
	p.n_prompt = n;
	p.max_tokens = 20;
	p.on_text = on_text;
	p.user = &sink;
	cr_assert_eq(plume_engine_generate(e, &p, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.hyps[0].n_ids, 20);
	cr_assert_eq(r.hyps[0].reason, PLUME_STOP_LENGTH);
	cr_assert_eq(sink.n, r.hyps[0].text_len, "streamed text is the whole text");
	cr_assert_arr_eq(sink.buf, r.hyps[0].text, sink.n);
	cr_assert_gt(r.metrics.ttft_ms, 0);
	cr_assert_gt(r.metrics.decode_tps, 0);
	/* A stop string taken from the middle of that output. */
	cr_assert_gt(r.hyps[0].text_len, 12);
	snprintf(word, sizeof(word), "%.*s", 4, r.hyps[0].text + r.hyps[0].text_len / 2);
	stop[0] = word;
	sink.n = 0;
	p.stop = stop;
	p.n_stop = 1;
	cr_assert_eq(plume_engine_generate(e, &p, &rs, &err), 0, "%s", err.msg);
	cr_assert_eq(rs.hyps[0].reason, PLUME_STOP_STRING);
	cr_assert_null(strstr(rs.hyps[0].text, word), "stop string removed from the text");
	cr_assert(!strncmp(rs.hyps[0].text, r.hyps[0].text, rs.hyps[0].text_len));
	cr_assert_eq(sink.n, rs.hyps[0].text_len, "held-back text never streamed");
	cr_assert_lt(rs.hyps[0].n_ids, 20);
	plume_gen_result_free(&r);
	plume_gen_result_free(&rs);
	free(ids);
	destroy(e);
}

struct argmax_at {
	size_t want;
	int32_t argmax;
};

static int on_logits(void *user, size_t pos, const float *logits, uint32_t n_vocab)
{
	struct argmax_at *a = user;

	if (pos == a->want) {
		a->argmax = 0;
		for (uint32_t i = 1; i < n_vocab; i++)
			if (logits[i] > logits[a->argmax])
				a->argmax = (int32_t)i;
	}
	return 0;
}

Test(engine, eval_agrees_with_generation_and_chunked_prefill)
{
	struct plume_engine *e, *es;
	struct plume_gen_result r, r2;
	struct argmax_at a = {0};
	int32_t *ids;
	size_t n;

	if (!have_model())
		cr_skip_test("default model absent");
	e = engine("greedy", NULL);
	es = engine("greedy", "model.batch=7"); /* prompt split into 7-token prefills */
	tokenize(e, prompt, &ids, &n);
	generate(e, ids, n, 8, &r);
	generate(es, ids, n, 8, &r2);
	cr_assert_arr_eq(r.hyps[0].ids, r2.hyps[0].ids, 8 * sizeof(int32_t));
	a.want = n - 1;
	cr_assert_eq(plume_engine_eval(e, ids, n, on_logits, &a, &err), 0, "%s", err.msg);
	cr_assert_eq(a.argmax, r.hyps[0].ids[0]);
	plume_gen_result_free(&r);
	plume_gen_result_free(&r2);
	free(ids);
	destroy(e);
	destroy(es);
}

Test(engine, plugins_free_what_they_allocate_through_the_host)
{
	size_t before = plume_host_bytes_in_use();
	struct plume_engine *e;
	struct plume_gen_result r;
	int32_t *ids;
	size_t n;

	if (!have_model())
		cr_skip_test("default model absent");
	e = engine("greedy", NULL);
	tokenize(e, "Hello", &ids, &n);
	generate(e, ids, n, 4, &r);
	plume_gen_result_free(&r);
	free(ids);
	cr_assert_gt(plume_host_bytes_peak(), before);
	destroy(e);
	cr_assert_eq(plume_host_bytes_in_use(), before, "host-counted bytes leaked: %zu",
		     plume_host_bytes_in_use() - before);
}

Test(engine, allocation_failure_is_an_error_not_a_crash)
{
	struct plume_cfg *cfg;
	struct plume_engine *e = NULL;
	char set[1200];
	int failures = 0;

	if (!have_model())
		cr_skip_test("default model absent");
	/* Fail the k-th host allocation for k = 1..40: every failure must come
	 * back as an error (or not matter), never a crash. */
	for (uint64_t k = 1; k <= 40; k++) {
		cr_assert_eq(plume_cfg_create(&cfg), 0);
		snprintf(set, sizeof(set), "model.path=%s", model);
		cr_assert_eq(plume_cfg_set(cfg, set, "test", &err), 0);
		cr_assert_eq(plume_cfg_set(cfg, "model.context=256", "test", &err), 0);
		plume_host_fail_alloc_after(k);
		if (plume_engine_create(cfg, 0, &e, &err)) {
			failures++;
			cr_assert(err.msg[0], "an error without a message");
		} else {
			plume_engine_destroy(e);
		}
		plume_host_fail_alloc_after(0);
		plume_cfg_destroy(cfg);
	}
	cr_assert_gt(failures, 0, "no injected failure reached a plugin");
}

/* Greedy's penalties: a no-repeat bigram rule holds over the whole sequence;
 * a repetition penalty changes the repetitive default output; off by default. */
Test(engine, greedy_penalties_change_logits_as_defined)
{
	struct plume_engine *plain, *ngram, *rep;
	struct plume_gen_result r0, r1, r2;
	int32_t *ids, *all;
	size_t n, n_all;

	if (!have_model())
		cr_skip_test("default model absent");
	plain = engine("greedy", NULL);
	ngram = engine("greedy", "strategy.greedy.no_repeat_ngram=2");
	rep = engine("greedy", "strategy.greedy.repeat_penalty=1.3");
	tokenize(plain, "The capital of France is", &ids, &n);
	generate(plain, ids, n, 48, &r0);
	generate(ngram, ids, n, 48, &r1);
	generate(rep, ids, n, 48, &r2);
	/* the plain output repeats itself ("The United States has ..." twice) */
	all = malloc((n + r1.hyps[0].n_ids) * sizeof(int32_t));
	memcpy(all, ids, n * sizeof(int32_t));
	memcpy(all + n, r1.hyps[0].ids, r1.hyps[0].n_ids * sizeof(int32_t));
	n_all = n + r1.hyps[0].n_ids;
	for (size_t i = 0; i + 1 < n_all; i++)
		for (size_t j = i + 1; j + 1 < n_all; j++)
			cr_assert(!(all[i] == all[j] && all[i + 1] == all[j + 1]),
				  "bigram (%d, %d) at %zu and %zu with no_repeat_ngram=2", all[i], all[i + 1],
				  i, j);
	cr_assert(r0.hyps[0].n_ids != r2.hyps[0].n_ids ||
		  memcmp(r0.hyps[0].ids, r2.hyps[0].ids, r0.hyps[0].n_ids * sizeof(int32_t)),
		  "repeat_penalty 1.3 left the repetitive output unchanged");
	/* the first token is the clear winner either way */
	cr_assert_eq(r2.hyps[0].ids[0], r0.hyps[0].ids[0]);
	plume_gen_result_free(&r0);
	plume_gen_result_free(&r1);
	plume_gen_result_free(&r2);
	free(all);
	free(ids);
	destroy(plain);
	destroy(ngram);
	destroy(rep);
}
