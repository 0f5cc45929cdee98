/* plume ab: paired A/B(/n) experiments of decoding strategies on one
 * engine. ab.c parses the arms and runs the experiment, ab_prompts.c reads
 * the prompts file (JSON Lines), ab_report.c computes the summaries and
 * paired comparisons and writes the text report, --json and --csv. */
#ifndef PLUME_CLI_AB_H
#define PLUME_CLI_AB_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct ab_prompt {
	char *prompt;
	char *reference;      /* NULL when the line has none */
	int chat;             /* "chat": true: wrap in the model's chat template */
};

/* Read FILE (JSON Lines: {"prompt": ..., "reference": ..., "chat": ...}).
 * 0, or 1 after printing one error line. */
int ab_prompts_read(const char *path, struct ab_prompt **out, size_t *n);
void ab_prompts_free(struct ab_prompt *p, size_t n);

enum ab_metric {
	AB_TOKENS,
	AB_LOGPROB,
	AB_TTFT,
	AB_TPOT,
	AB_DECODE_TPS,
	AB_DISTINCT_1,
	AB_DISTINCT_2,
	AB_SEQ_REP_4,
	AB_EXACT,
	AB_ROUGE_L,
	AB_N_METRICS
};

struct ab_metric_info {
	const char *name;
	int better;           /* +1 higher is better, -1 lower, 0 neither */
	int timing;           /* varies run to run (excluded from reproducibility) */
	int needs_ref;        /* only when the prompts give references */
};

extern const struct ab_metric_info ab_metrics[AB_N_METRICS];

struct ab_arm {
	char *name;
	char **ov;            /* overrides as given: "strategy:NAME", "section.key=value" */
	size_t n_ov;
	struct plume_cfg *cfg;
	struct plume_engine_strategy *st;
	char **stop;
	size_t n_stop;
	uint32_t max_tokens;
};

struct ab_row {
	size_t arm, prompt;
	uint32_t seed;        /* seed index (the request seed is engine.seed + index) */
	uint32_t order;       /* position of the arm within its pair (0 = ran first) */
	int stop_reason;
	char *text;
	size_t text_len;
	double v[AB_N_METRICS];   /* NaN: not defined for this output */
};

struct ab_cmp {
	size_t arm, metric;
	size_t n;             /* pairs with both values */
	double diff;          /* mean of (arm - baseline) over the pairs */
	double lo, hi;        /* bootstrap 95% interval of diff */
	double p;             /* sign test */
	int significant;      /* interval excludes 0 and p < 0.05 */
};

struct ab {
	struct ab_arm *arms;
	size_t n_arms;
	struct ab_prompt *prompts;
	size_t n_prompts;
	uint32_t n_seeds;
	uint64_t base_seed;   /* engine.seed of the base config */
	uint64_t ab_seed;     /* shuffles and bootstrap */
	uint32_t n_boot;
	int has_ref;
	struct ab_row *rows;  /* [(prompt * n_seeds + seed) * n_arms + arm] */
	struct ab_cmp *cmps;  /* [(arm - 1) * AB_N_METRICS + metric] */
	const char *model;
	const char *backend;
	uint32_t threads;
	double wall_s;
};

static inline struct ab_row *ab_row(struct ab *x, size_t prompt, uint32_t seed, size_t arm)
{
	return &x->rows[(prompt * x->n_seeds + seed) * x->n_arms + arm];
}

int ab_compare(struct ab *x);   /* fills x->cmps; 0 or 1 (out of memory) */
void ab_report_text(struct ab *x, FILE *out);
void ab_report_json(struct ab *x, FILE *out);
void ab_report_csv(struct ab *x, FILE *out);
const char *ab_stop_name(int reason);

#endif
