/* plume ab: a paired experiment of decoding strategies on one model load.
 * Every prompt x seed (a "pair") runs under every arm, the arms in an order
 * shuffled per pair from --ab-seed; one warm-up run is discarded first. Each
 * arm is the base config plus overrides (--arm NAME=strategy:X,sec.key=v or
 * an [ab.arm.NAME] section); the engine swaps only the strategy between
 * arms. Per output: tokens, stop reason, TTFT, TPOT, decode tokens/s, the
 * mean log-probability per generated token under the model (teacher-forced
 * through plume_engine_eval), distinct-1/2, seq-rep-4, and against a
 * reference exact match and ROUGE-L F1. Report: ab_report.c. */
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ab.h"
#include "stats.h"
#include "strlist.h"

/* ---- arms from the config file: [ab.arm.NAME] ------------------------- */

struct ini_arm {
	char *section;        /* "ab.arm.NAME" */
	char **keys, **vals;
	size_t n;
	struct plume_option *opts;  /* the section's keys, to claim it in a cfg */
	struct plume_plugin_desc desc;
};

struct ini_arms {
	struct ini_arm *v;
	size_t n;
	int oom;
};

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct ini_arms *a = user;
	struct ini_arm *arm = NULL;
	char **nk, **nv;

	if (!name || strncmp(section, "ab.", 3))
		return 1;
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].section, section))
			arm = &a->v[i];
	if (!arm) {
		struct ini_arm *na = realloc(a->v, (a->n + 1) * sizeof(*na));

		if (!na)
			goto oom;
		a->v = na;
		arm = &a->v[a->n++];
		memset(arm, 0, sizeof(*arm));
		if (!(arm->section = strdup(section)))
			goto oom;
	}
	nk = realloc(arm->keys, (arm->n + 1) * sizeof(*nk));
	if (nk)
		arm->keys = nk;
	nv = realloc(arm->vals, (arm->n + 1) * sizeof(*nv));
	if (nv)
		arm->vals = nv;
	if (!nk || !nv)
		goto oom;
	arm->keys[arm->n] = strdup(name);
	arm->vals[arm->n] = strdup(value ? value : "");
	arm->n++;
	if (!arm->keys[arm->n - 1] || !arm->vals[arm->n - 1])
		goto oom;
	return 1;
oom:
	a->oom = 1;
	return 0;
}

static void ini_arms_free(struct ini_arms *a)
{
	for (size_t i = 0; i < a->n; i++) {
		for (size_t k = 0; k < a->v[i].n; k++) {
			free(a->v[i].keys[k]);
			free(a->v[i].vals[k]);
		}
		free(a->v[i].keys);
		free(a->v[i].vals);
		free(a->v[i].opts);
		free(a->v[i].section);
	}
	free(a->v);
}

/* Read the [ab.*] sections of the config file (the cfg keeps them as
 * sections of no plugin: ab_claim marks them as checked). */
static int ini_arms_read(const char *path, struct ini_arms *a)
{
	memset(a, 0, sizeof(*a));
	if (!path)
		return 0;
	ini_parse(path, on_ini, a); /* syntax errors were reported by cli_config */
	if (a->oom)
		return cli_die("out of memory");
	for (size_t i = 0; i < a->n; i++) {
		struct ini_arm *arm = &a->v[i];

		if (strncmp(arm->section, "ab.arm.", 7) || !arm->section[7])
			return cli_die("ab: %s: section [%s]: expected [ab.arm.NAME]", path,
				       arm->section);
		arm->opts = calloc(arm->n, sizeof(*arm->opts));
		if (!arm->opts)
			return cli_die("out of memory");
		for (size_t k = 0; k < arm->n; k++)
			arm->opts[k] = (struct plume_option){arm->keys[k], PLUME_OPT_STRING, "", 1, 0,
							     NULL, "ab arm override"};
		arm->desc = (struct plume_plugin_desc){.size = sizeof(arm->desc),
						       .abi_minor = PLUME_ABI_MINOR,
						       .abi_major = PLUME_ABI_MAJOR,
						       .name = "ab",
						       .version = "1",
						       .description = "plume ab arms",
						       .options = arm->opts,
						       .n_options = (uint32_t)arm->n,
						       .option_size = sizeof(*arm->opts)};
	}
	return 0;
}

static int ab_claim(struct plume_cfg *cfg, struct ini_arms *a, struct plume_error *err)
{
	for (size_t i = 0; i < a->n; i++) {
		int rc = plume_cfg_validate_section(cfg, a->v[i].section, &a->v[i].desc, err);

		if (rc)
			return rc;
	}
	return 0;
}

/* ---- arms ------------------------------------------------------------- */

static int arm_push(struct ab_arm *arm, const char *item, size_t len)
{
	char **nv = realloc(arm->ov, (arm->n_ov + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	arm->ov = nv;
	if (!(arm->ov[arm->n_ov] = strndup(item, len)))
		return -1;
	arm->n_ov++;
	return 0;
}

/* "strategy:beam,strategy.beam.beams=4": items split at commas, except that
 * a piece that is neither "strategy:..." nor "key=value" continues the
 * previous value (strategy.sampling.order=top_k,top_p). */
static int arm_parse_overrides(struct ab_arm *arm, const char *s)
{
	while (*s) {
		const char *e = s;
		size_t len;

		for (;;) {
			const char *c = strchr(e, ',');
			const char *nx;

			if (!c) {
				e = s + strlen(s);
				break;
			}
			nx = c + 1;
			if (!strncmp(nx, "strategy:", 9) || (strchr(nx, '=') &&
			     strcspn(nx, "=") < strcspn(nx, ","))) {
				e = c;
				break;
			}
			e = nx;
		}
		len = (size_t)(e - s);
		if (len && arm_push(arm, s, len))
			return cli_die("out of memory");
		s = *e ? e + 1 : e;
	}
	return 0;
}

static int valid_name(const char *n)
{
	if (!*n)
		return 0;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '_' || *n == '-' || *n == '.'))
			return 0;
	return 1;
}

/* --arm SPEC: NAME=OVERRIDES, or NAME alone: the [ab.arm.NAME] section when
 * the config has one, else strategy:NAME. */
static int arm_from_spec(struct ab_arm *arm, const char *spec, struct ini_arms *ia)
{
	const char *eq = strchr(spec, '=');
	size_t nl = eq ? (size_t)(eq - spec) : strlen(spec);

	memset(arm, 0, sizeof(*arm));
	arm->name = strndup(spec, nl);
	if (!arm->name)
		return cli_die("out of memory");
	if (!valid_name(arm->name))
		return cli_die("ab: arm '%s': a name is letters, digits, '_', '-' and '.' (--arm NAME=OVERRIDES)",
			       arm->name);
	if (eq)
		return arm_parse_overrides(arm, eq + 1);
	for (size_t i = 0; i < ia->n; i++)
		if (!strcmp(ia->v[i].section + 7, arm->name)) {
			for (size_t k = 0; k < ia->v[i].n; k++) {
				char buf[4096];

				if (!strcmp(ia->v[i].keys[k], "strategy"))
					snprintf(buf, sizeof(buf), "strategy:%s", ia->v[i].vals[k]);
				else
					snprintf(buf, sizeof(buf), "%s=%s", ia->v[i].keys[k],
						 ia->v[i].vals[k]);
				if (arm_push(arm, buf, strlen(buf)))
					return cli_die("out of memory");
			}
			return 0;
		}
	{
		char buf[512];

		snprintf(buf, sizeof(buf), "strategy:%s", arm->name);
		if (arm_push(arm, buf, strlen(buf)))
			return cli_die("out of memory");
	}
	return 0;
}

static void arm_fini(struct ab_arm *arm)
{
	for (size_t i = 0; i < arm->n_ov; i++)
		free(arm->ov[i]);
	free(arm->ov);
	free(arm->name);
	plume_engine_strategy_destroy(arm->st);
	plume_strlist_free(arm->stop, arm->n_stop);
	plume_cfg_destroy(arm->cfg);
}

/* ---- options ---------------------------------------------------------- */

struct ab_opts {
	const char *prompts;
	const char **specs;
	size_t n_specs;
	long seeds;
	long max_tokens;
	long boot;
	unsigned long long ab_seed;
	const char *json, *csv;   /* "-" = stdout */
};

/* --json [FILE] and --csv FILE, taken out before the common options (the
 * common --json is a flag). */
static int take_outputs(int *argc, char **argv, struct ab_opts *o)
{
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			const char *v = i + 1 < *argc ? argv[i + 1] : NULL;

			o->json = "-";
			if (v && (v[0] != '-' || !strcmp(v, "-")))
				o->json = argv[++i];
		} else if (!strcmp(argv[i], "--csv")) {
			if (i + 1 >= *argc)
				return cli_die("ab: --csv needs a file (- for stdout)");
			o->csv = argv[++i];
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	return 0;
}

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *e;
	long v = strtol(s, &e, 10);

	if (e == s || *e || v < lo || v > hi)
		return cli_die("ab: %s '%s': expected an integer in %ld..%ld", opt, s, lo, hi);
	*out = v;
	return 0;
}

static int parse_opts(struct cli *c, struct ab_opts *o)
{
	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];
		const char *v = i + 1 < c->argc ? c->argv[i + 1] : NULL;

		if (!v && (!strcmp(a, "--prompts") || !strcmp(a, "--arm") || !strcmp(a, "--seeds") ||
			   !strcmp(a, "-n") || !strcmp(a, "--bootstrap") || !strcmp(a, "--ab-seed")))
			return cli_die("ab: %s needs a value", a);
		if (!strcmp(a, "--prompts")) {
			o->prompts = c->argv[++i];
		} else if (!strcmp(a, "--arm")) {
			o->specs[o->n_specs++] = c->argv[++i];
		} else if (!strcmp(a, "--seeds")) {
			if (parse_long(a, c->argv[++i], 1, 100000, &o->seeds))
				return 1;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--max-tokens")) {
			if (parse_long(a, c->argv[++i], 0, 1048576, &o->max_tokens))
				return 1;
		} else if (!strcmp(a, "--bootstrap")) {
			if (parse_long(a, c->argv[++i], 100, 1000000, &o->boot))
				return 1;
		} else if (!strcmp(a, "--ab-seed")) {
			long s = 0;

			if (parse_long(a, c->argv[++i], 0, 2147483647L, &s))
				return 1;
			o->ab_seed = (unsigned long long)s;
		} else {
			return cli_die("ab: unexpected argument '%s' (see plume --help)", a);
		}
	}
	if (!o->prompts)
		return cli_die("ab: give the prompts with --prompts FILE (JSON Lines)");
	return 0;
}

/* A fresh config: the file, the common --set overrides, -n, the [ab.*]
 * sections claimed. */
static int make_cfg(struct cli *c, struct ab_opts *o, struct ini_arms *ia,
		    struct plume_cfg **out)
{
	struct plume_cfg *saved = c->cfg;
	int rc = cli_config(c);

	*out = c->cfg;
	c->cfg = saved;
	if (rc)
		return 1;
	if (o->max_tokens >= 0) {
		char buf[64];

		snprintf(buf, sizeof(buf), "generate.max_tokens=%ld", o->max_tokens);
		if (plume_cfg_set(*out, buf, "-n", &c->err)) {
			cli_fail(c);
			return 1;
		}
	}
	if (ab_claim(*out, ia, &c->err)) {
		cli_fail(c);
		return 1;
	}
	return 0;
}

/* The arm's config and strategy; every error names the arm. */
static int arm_setup(struct cli *c, struct ab_opts *o, struct ini_arms *ia,
		     struct plume_engine *e, struct ab_arm *arm)
{
	if (make_cfg(c, o, ia, &arm->cfg))
		return 1;
	for (size_t i = 0; i < arm->n_ov; i++) {
		const char *ov = arm->ov[i];
		char buf[4096];

		if (!strncmp(ov, "strategy:", 9)) {
			if (!ov[9])
				return cli_die("ab: arm '%s': strategy: needs a name or a .so path",
					       arm->name);
			snprintf(buf, sizeof(buf), "engine.strategy=%s", ov + 9);
		} else if (!strchr(ov, '=')) {
			return cli_die("ab: arm '%s': override '%s': expected strategy:NAME or section.key=value",
				       arm->name, ov);
		} else {
			snprintf(buf, sizeof(buf), "%s", ov);
		}
		if (plume_cfg_set(arm->cfg, buf, "--arm", &c->err))
			return cli_die("ab: arm '%s': %s", arm->name, c->err.msg);
	}
	if (plume_strlist_parse(plume_cfg_str(arm->cfg, "generate", "stop"), "generate.stop",
				&arm->stop, &arm->n_stop, &c->err))
		return cli_die("ab: arm '%s': %s", arm->name, c->err.msg);
	arm->max_tokens = (uint32_t)plume_cfg_int(arm->cfg, "generate", "max_tokens");
	if (plume_engine_strategy_create(e, arm->cfg, &arm->st, &c->err))
		return cli_die("ab: arm '%s': %s", arm->name, c->err.msg);
	return 0;
}

/* ---- one run ---------------------------------------------------------- */

struct lp_acc {
	const int32_t *ids;
	size_t from, to;      /* positions whose logits predict a generated token */
	double sum;
};

/* log p(ids[pos + 1] | ids[..pos]) from the raw logits (temperature 1, no
 * filter): the model's own distribution, whatever the strategy did. */
static int on_logits(void *user, size_t pos, const float *logits, uint32_t n_vocab)
{
	struct lp_acc *a = user;
	double mx = -INFINITY, s = 0;
	int32_t t;

	if (pos < a->from || pos >= a->to)
		return 0;
	t = a->ids[pos + 1];
	for (uint32_t i = 0; i < n_vocab; i++)
		mx = logits[i] > mx ? logits[i] : mx;
	for (uint32_t i = 0; i < n_vocab; i++)
		s += exp((double)logits[i] - mx);
	a->sum += (double)logits[t] - mx - log(s);
	return 0;
}

static double logprob_per_token(struct plume_engine *e, const int32_t *prompt, size_t n_prompt,
				const struct plume_hypothesis *h, struct plume_error *err,
				int *rc)
{
	struct lp_acc a = {0};
	int32_t *ids;

	*rc = 0;
	if (!h->n_ids)
		return NAN;
	ids = malloc((n_prompt + h->n_ids) * sizeof(*ids));
	if (!ids) {
		*rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		return NAN;
	}
	memcpy(ids, prompt, n_prompt * sizeof(*ids));
	memcpy(ids + n_prompt, h->ids, h->n_ids * sizeof(*ids));
	a.ids = ids;
	a.from = n_prompt - 1;
	a.to = n_prompt + h->n_ids - 1;
	*rc = plume_engine_eval_from(e, ids, n_prompt + h->n_ids, a.from, on_logits, &a, err);
	free(ids);
	return a.sum / (double)h->n_ids;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\n' || **s == '\t' || **s == '\r')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\n' || (*s)[*n - 1] == '\t' ||
		      (*s)[*n - 1] == '\r'))
		(*n)--;
}

static int text_metrics(struct ab_row *r, const char *ref)
{
	const char *a = r->text, *b = ref;
	size_t na = r->text_len, nb;
	int32_t *wa = NULL, *wb = NULL;
	size_t ka, kb;

	if (!ref)
		return 0;
	nb = strlen(ref);
	trim(&a, &na);
	trim(&b, &nb);
	r->v[AB_EXACT] = na == nb && !memcmp(a, b, na);
	if (plume_stats_words(r->text, r->text_len, &wa, &ka) ||
	    plume_stats_words(ref, strlen(ref), &wb, &kb)) {
		free(wa);
		return -1;
	}
	r->v[AB_ROUGE_L] = plume_stats_rouge_l(wa, ka, wb, kb);
	free(wa);
	free(wb);
	return 0;
}

/* Run arm on prompt with seed index; the row gets every metric. */
static int run_one(struct plume_engine *e, struct ab *x, size_t ai, size_t pi, uint32_t si,
		   struct ab_row *row, struct plume_error *err)
{
	struct ab_arm *arm = &x->arms[ai];
	struct ab_prompt *pr = &x->prompts[pi];
	struct plume_gen_params p = {0};
	struct plume_gen_result res = {0};
	const struct plume_hypothesis *h;
	char *chat = NULL;
	const char *text = pr->prompt;
	int32_t *ids = NULL;
	size_t n_ids = 0;
	int rc;

	rc = plume_engine_strategy_use(e, arm->st, err);
	if (rc)
		return rc;
	if (pr->chat) {
		rc = plume_engine_chat_format(e, pr->prompt, &chat, err);
		if (rc)
			return rc;
		text = chat;
	}
	rc = plume_engine_tokenize(e, text, strlen(text),
				   PLUME_TOK_ADD_SPECIAL | PLUME_TOK_PARSE_SPECIAL, &ids, &n_ids, err);
	free(chat);
	if (rc)
		return rc;
	p.prompt = ids;
	p.n_prompt = n_ids;
	p.max_tokens = arm->max_tokens;
	p.stop = (const char *const *)arm->stop;
	p.n_stop = arm->n_stop;
	p.seed = x->base_seed + si;
	rc = plume_engine_generate(e, &p, &res, err);
	if (rc)
		goto out;
	h = &res.hyps[0];
	if (!row)
		goto out;
	for (int m = 0; m < AB_N_METRICS; m++)
		row->v[m] = NAN;
	row->arm = ai;
	row->prompt = pi;
	row->seed = si;
	row->stop_reason = h->reason;
	row->text = strndup(h->text, h->text_len);
	row->text_len = h->text_len;
	if (!row->text) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto out;
	}
	row->v[AB_TOKENS] = (double)h->n_ids;
	row->v[AB_TTFT] = res.metrics.ttft_ms;
	if (h->n_ids > 1) {
		row->v[AB_TPOT] = res.metrics.tpot_ms;
		row->v[AB_DECODE_TPS] = res.metrics.decode_tps;
	}
	row->v[AB_LOGPROB] = logprob_per_token(e, ids, n_ids, h, err, &rc);
	if (rc)
		goto out;
	row->v[AB_DISTINCT_1] = plume_stats_distinct(h->ids, h->n_ids, 1);
	row->v[AB_DISTINCT_2] = plume_stats_distinct(h->ids, h->n_ids, 2);
	row->v[AB_SEQ_REP_4] = plume_stats_repeat_rate(h->ids, h->n_ids, 4);
	if (text_metrics(row, pr->reference))
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
out:
	plume_gen_result_free(&res);
	free(ids);
	return rc;
}

/* ---- the experiment --------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(struct ab *x, size_t done, size_t total, double t0, int final)
{
	static int tty = -1;
	double el = now_s() - t0;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	/* not a terminal: a line every tenth of the runs */
	if (!tty && !final && done % (total / 10 ? total / 10 : 1))
		return;
	fprintf(stderr, "%sab: %zu/%zu runs (%zu arms x %zu prompts x %u seeds), %.0f s elapsed, ~%.0f s left%s",
		tty ? "\r" : "", done, total, x->n_arms, x->n_prompts, x->n_seeds, el,
		done ? el / (double)done * (double)(total - done) : 0.0,
		tty && !final ? "" : "\n");
}

static int experiment(struct plume_engine *e, struct ab *x, struct plume_error *err)
{
	size_t total = x->n_arms * x->n_prompts * x->n_seeds, done = 0;
	size_t *order = malloc(x->n_arms * sizeof(*order));
	uint64_t rng = x->ab_seed;
	double t0 = now_s();
	int rc;

	if (!order)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	/* warm-up: the first arm on the first prompt, discarded */
	rc = run_one(e, x, 0, 0, 0, NULL, err);
	for (size_t pi = 0; !rc && pi < x->n_prompts; pi++) {
		for (uint32_t si = 0; !rc && si < x->n_seeds; si++) {
			/* Fisher-Yates, one draw stream for the whole experiment */
			for (size_t i = 0; i < x->n_arms; i++)
				order[i] = i;
			for (size_t i = x->n_arms - 1; i > 0; i--) {
				size_t j = (size_t)(plume_stats_splitmix64(&rng) % (i + 1)), t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
			for (size_t k = 0; !rc && k < x->n_arms; k++) {
				struct ab_row *r = ab_row(x, pi, si, order[k]);

				rc = run_one(e, x, order[k], pi, si, r, err);
				if (rc)
					plume_error_prefix(err, "arm '%s', prompt %zu, seed %u",
							   x->arms[order[k]].name, pi + 1, si);
				r->order = (uint32_t)k;
				done++;
				progress(x, done, total, t0, done == total);
			}
		}
	}
	x->wall_s = now_s() - t0;
	free(order);
	if (!rc)
		rc = plume_engine_strategy_use(e, NULL, err);
	else
		plume_engine_strategy_use(e, NULL, NULL);
	return rc;
}

static int write_to(const char *path, struct ab *x, void (*fn)(struct ab *, FILE *))
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		return cli_die("ab: cannot write '%s'", path);
	fn(x, f);
	if (f != stdout && fclose(f))
		return cli_die("ab: cannot write '%s'", path);
	return 0;
}

int cmd_ab(int argc, char **argv)
{
	struct cli c;
	struct ab_opts o = {.seeds = 1, .max_tokens = -1, .boot = 2000};
	struct ini_arms ia = {0};
	struct ab x = {0};
	struct plume_engine *e = NULL;
	struct plume_cfg *base = NULL;
	char *model = NULL;
	int rc = 1;

	o.specs = calloc((size_t)argc + 1, sizeof(*o.specs));
	if (!o.specs)
		return cli_die("out of memory");
	if (take_outputs(&argc, argv, &o) || cli_common(&c, argc, argv)) {
		free(o.specs);
		return 1;
	}
	if (parse_opts(&c, &o) || ini_arms_read(c.config_path, &ia))
		goto out;
	rc = make_cfg(&c, &o, &ia, &base);
	c.cfg = base;
	if (rc) {
		rc = 1;
		goto out;
	}
	rc = 1;
	if (ab_prompts_read(o.prompts, &x.prompts, &x.n_prompts))
		goto out;
	x.n_arms = o.n_specs ? o.n_specs : ia.n;
	if (x.n_arms < 2) {
		cli_die("ab: give at least two arms (--arm NAME[=strategy:X,section.key=value] or [ab.arm.NAME] sections)");
		goto out;
	}
	x.arms = calloc(x.n_arms, sizeof(*x.arms));
	if (!x.arms) {
		cli_die("out of memory");
		goto out;
	}
	for (size_t i = 0; i < x.n_arms; i++) {
		if (o.n_specs ? arm_from_spec(&x.arms[i], o.specs[i], &ia)
			      : arm_from_spec(&x.arms[i], ia.v[i].section + 7, &ia))
			goto out;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(x.arms[k].name, x.arms[i].name)) {
				cli_die("ab: arm '%s' is given twice", x.arms[i].name);
				goto out;
			}
	}
	if (plume_engine_create(c.cfg, 0, &e, &c.err)) {
		cli_fail(&c);
		goto out;
	}
	/* every arm is checked before anything runs */
	for (size_t i = 0; i < x.n_arms; i++)
		if (arm_setup(&c, &o, &ia, e, &x.arms[i]))
			goto out;
	for (size_t i = 0; i < x.n_prompts; i++)
		x.has_ref |= x.prompts[i].reference != NULL;
	x.n_seeds = (uint32_t)o.seeds;
	x.base_seed = (uint64_t)plume_cfg_int(c.cfg, "engine", "seed");
	x.ab_seed = o.ab_seed;
	x.n_boot = (uint32_t)o.boot;
	model = plume_expand_path(plume_cfg_str(c.cfg, "model", "path"));
	if (!model) {
		cli_die("out of memory");
		goto out;
	}
	x.model = model;
	x.backend = plume_engine_plugin(e, PLUME_KIND_BACKEND)->desc.name;
	x.threads = plume_engine_threads(e);
	x.rows = calloc(x.n_arms * x.n_prompts * x.n_seeds, sizeof(*x.rows));
	if (!x.rows) {
		cli_die("out of memory");
		goto out;
	}
	if (experiment(e, &x, &c.err)) {
		cli_die("ab: %s", c.err.msg);
		goto out;
	}
	if (ab_compare(&x)) {
		cli_die("out of memory");
		goto out;
	}
	if (o.json && write_to(o.json, &x, ab_report_json))
		goto out;
	if (o.csv && write_to(o.csv, &x, ab_report_csv))
		goto out;
	if (!(o.json && !strcmp(o.json, "-")) && !(o.csv && !strcmp(o.csv, "-")))
		ab_report_text(&x, stdout);
	rc = 0;
out:
	for (size_t i = 0; x.rows && i < x.n_arms * x.n_prompts * x.n_seeds; i++)
		free(x.rows[i].text);
	free(x.rows);
	free(x.cmps);
	for (size_t i = 0; x.arms && i < x.n_arms; i++)
		arm_fini(&x.arms[i]);
	free(x.arms);
	plume_engine_destroy(e);
	ab_prompts_free(x.prompts, x.n_prompts);
	ini_arms_free(&ia);
	plume_cfg_destroy(c.cfg);
	free(model);
	free(o.specs);
	return rc;
}
