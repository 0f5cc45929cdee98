/* plume ab: the paired comparisons (each arm against the first) and the
 * report as text, JSON and CSV. JSON: one arm metric, one comparison and
 * one row per line, so that scripts (and the reproducibility test) can drop
 * the timing lines and fields. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ab.h"
#include "stats.h"

const struct ab_metric_info ab_metrics[AB_N_METRICS] = {
	[AB_TOKENS] = {"tokens", 0, 0, 0},
	[AB_LOGPROB] = {"logprob_per_token", 1, 0, 0},
	[AB_TTFT] = {"ttft_ms", -1, 1, 0},
	[AB_TPOT] = {"tpot_ms", -1, 1, 0},
	[AB_DECODE_TPS] = {"decode_tps", 1, 1, 0},
	[AB_DISTINCT_1] = {"distinct_1", 1, 0, 0},
	[AB_DISTINCT_2] = {"distinct_2", 1, 0, 0},
	[AB_SEQ_REP_4] = {"seq_rep_4", -1, 0, 0},
	[AB_EXACT] = {"exact_match", 1, 0, 1},
	[AB_ROUGE_L] = {"rouge_l", 1, 0, 1},
};

const char *ab_stop_name(int r)
{
	switch (r) {
	case PLUME_STOP_EOG: return "eog";
	case PLUME_STOP_LENGTH: return "length";
	case PLUME_STOP_STRING: return "stop";
	case PLUME_STOP_STRATEGY: return "strategy";
	default: return "none";
	}
}

static int metric_shown(const struct ab *x, size_t m)
{
	return !ab_metrics[m].needs_ref || x->has_ref;
}

static size_t n_pairs(const struct ab *x)
{
	return x->n_prompts * x->n_seeds;
}

int ab_compare(struct ab *x)
{
	size_t np = n_pairs(x);
	double *d = malloc(np * sizeof(*d));

	x->cmps = calloc((x->n_arms - 1) * AB_N_METRICS, sizeof(*x->cmps));
	if (!d || !x->cmps) {
		free(d);
		return 1;
	}
	for (size_t a = 1; a < x->n_arms; a++) {
		for (size_t m = 0; m < AB_N_METRICS; m++) {
			struct ab_cmp *c = &x->cmps[(a - 1) * AB_N_METRICS + m];
			/* each comparison its own stream: reproducible whatever is shown */
			uint64_t seed = x->ab_seed * 1000003u + a * AB_N_METRICS + m;

			c->arm = a;
			c->metric = m;
			c->n = 0;
			for (size_t i = 0; i < np; i++) {
				d[i] = x->rows[i * x->n_arms + a].v[m] - x->rows[i * x->n_arms].v[m];
				c->n += isfinite(d[i]) != 0;
			}
			c->diff = plume_stats_mean(d, np);
			if (plume_stats_bootstrap_ci(d, np, x->n_boot, seed, 0.05, &c->lo, &c->hi)) {
				free(d);
				return 1;
			}
			c->p = plume_stats_sign_test(d, np);
			c->significant = c->n && (c->lo > 0 || c->hi < 0) && c->p < 0.05;
		}
	}
	free(d);
	return 0;
}

/* "arm", "baseline" or NULL: who is better where the difference is significant */
static const char *winner(const struct ab *x, const struct ab_cmp *c)
{
	int b = ab_metrics[c->metric].better;

	if (!c->significant || !b)
		return NULL;
	return (c->diff > 0) == (b > 0) ? x->arms[c->arm].name : x->arms[0].name;
}

static int summary(const struct ab *x, size_t arm, size_t m, struct plume_summary *s)
{
	size_t np = n_pairs(x);
	double *v = malloc(np * sizeof(*v));
	int rc;

	if (!v)
		return -1;
	for (size_t i = 0; i < np; i++)
		v[i] = x->rows[i * x->n_arms + arm].v[m];
	rc = plume_stats_summary(v, np, s);
	free(v);
	return rc;
}

/* ---- text ------------------------------------------------------------- */

static void fmt_num(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.4g", v);
}

static void print_snippet(FILE *out, const char *t, size_t len, size_t max)
{
	size_t n;

	while (len && (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t')) {
		t++;
		len--;
	}
	n = len < max ? len : max;
	/* cut at a UTF-8 boundary */
	while (n < len && n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
		n--;
	for (size_t i = 0; i < n; i++)
		fputc(t[i] == '\n' || t[i] == '\r' || t[i] == '\t' ? ' ' : t[i], out);
	if (n < len)
		fputs("...", out);
}

void ab_report_text(struct ab *x, FILE *out)
{
	fprintf(out, "plume ab: %zu prompts x %u seeds x %zu arms = %zu runs (+1 warm-up), %s, backend %s, %u threads, %.1f s\n",
		x->n_prompts, x->n_seeds, x->n_arms, n_pairs(x) * x->n_arms, x->model, x->backend,
		x->threads, x->wall_s);
	fputs("\narms (the first is the baseline):\n", out);
	for (size_t a = 0; a < x->n_arms; a++) {
		fprintf(out, "  %-14s", x->arms[a].name);
		for (size_t i = 0; i < x->arms[a].n_ov; i++)
			fprintf(out, " %s", x->arms[a].ov[i]);
		fputc('\n', out);
	}
	fputs("\nmedian [q1, q3] over the outputs of each arm\n", out);
	fprintf(out, "%-18s", "metric");
	for (size_t a = 0; a < x->n_arms; a++)
		fprintf(out, "  %-26s", x->arms[a].name);
	fputc('\n', out);
	for (size_t m = 0; m < AB_N_METRICS; m++) {
		if (!metric_shown(x, m))
			continue;
		fprintf(out, "%-18s", ab_metrics[m].name);
		for (size_t a = 0; a < x->n_arms; a++) {
			struct plume_summary s;
			char md[32], q1[32], q3[32], cell[128];

			if (summary(x, a, m, &s))
				return;
			fmt_num(md, sizeof(md), s.median);
			fmt_num(q1, sizeof(q1), s.q1);
			fmt_num(q3, sizeof(q3), s.q3);
			snprintf(cell, sizeof(cell), "%s [%s, %s]", md, q1, q3);
			fprintf(out, "  %-26s", cell);
		}
		fputc('\n', out);
	}
	fprintf(out, "\npaired difference against %s: mean of (arm - %s) over %zu pairs, bootstrap 95%% CI (%u resamples), sign-test p\n",
		x->arms[0].name, x->arms[0].name, n_pairs(x), x->n_boot);
	fprintf(out, "%-18s  %-14s  %-11s  %-25s  %-8s  %s\n", "metric", "arm", "diff", "95% CI",
		"p", "winner (CI excludes 0, p < 0.05)");
	for (size_t a = 1; a < x->n_arms; a++)
		for (size_t m = 0; m < AB_N_METRICS; m++) {
			const struct ab_cmp *c = &x->cmps[(a - 1) * AB_N_METRICS + m];
			const char *w = winner(x, c);
			char df[32], lo[32], hi[32], ci[80];

			if (!metric_shown(x, m))
				continue;
			fmt_num(df, sizeof(df), c->diff);
			fmt_num(lo, sizeof(lo), c->lo);
			fmt_num(hi, sizeof(hi), c->hi);
			snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
			fprintf(out, "%-18s  %-14s  %-11s  %-25s  %-8.3g  %s\n", ab_metrics[m].name,
				x->arms[a].name, df, ci, c->p,
				w ? w : c->significant ? "(differs)" : "");
		}
	fputs("\nstop reasons:", out);
	for (size_t a = 0; a < x->n_arms; a++) {
		size_t cnt[5] = {0};

		for (size_t i = 0; i < n_pairs(x); i++) {
			int r = x->rows[i * x->n_arms + a].stop_reason;

			cnt[r >= 0 && r < 5 ? r : 0]++;
		}
		fprintf(out, "%s %s:", a ? ";" : "", x->arms[a].name);
		for (int r = 0; r < 5; r++)
			if (cnt[r])
				fprintf(out, " %s %zu", ab_stop_name(r), cnt[r]);
	}
	fputs("\n\noutputs (seed 0):\n", out);
	for (size_t p = 0; p < x->n_prompts; p++) {
		fprintf(out, "prompt %zu: ", p + 1);
		print_snippet(out, x->prompts[p].prompt, strlen(x->prompts[p].prompt), 70);
		fputc('\n', out);
		for (size_t a = 0; a < x->n_arms; a++) {
			const struct ab_row *r = ab_row(x, p, 0, a);

			fprintf(out, "  %-14s ", x->arms[a].name);
			print_snippet(out, r->text, r->text_len, 110);
			fputc('\n', out);
		}
	}
}

/* ---- JSON ------------------------------------------------------------- */

static void json_num(FILE *out, double v)
{
	if (!isfinite(v))
		fputs("null", out);
	else
		fprintf(out, "%.10g", v);
}

void ab_report_json(struct ab *x, FILE *out)
{
	fputs("{\"command\":\"ab\",\"model\":", out);
	json_string(out, x->model, strlen(x->model));
	fprintf(out, ",\"backend\":\"%s\",\"threads\":%u,\"prompts\":%zu,\"seeds\":%u,"
		"\"ab_seed\":%llu,\"bootstrap\":%u,\"warmup_runs\":1,\n\"arms\":[\n",
		x->backend, x->threads, x->n_prompts, x->n_seeds, (unsigned long long)x->ab_seed,
		x->n_boot);
	for (size_t a = 0; a < x->n_arms; a++) {
		const struct plume_plugin *pl = plume_engine_strategy_plugin(x->arms[a].st);
		int first = 1;

		fputs(a ? ",\n{\"name\":" : "{\"name\":", out);
		json_string(out, x->arms[a].name, strlen(x->arms[a].name));
		fputs(",\"overrides\":[", out);
		for (size_t i = 0; i < x->arms[a].n_ov; i++) {
			fputs(i ? "," : "", out);
			json_string(out, x->arms[a].ov[i], strlen(x->arms[a].ov[i]));
		}
		fputs("],\"strategy\":", out);
		json_string(out, pl->desc.name, strlen(pl->desc.name));
		fputs(",\"metrics\":{\n", out);
		for (size_t m = 0; m < AB_N_METRICS; m++) {
			struct plume_summary s;

			if (!metric_shown(x, m) || summary(x, a, m, &s))
				continue;
			fprintf(out, "%s\"%s\":{\"median\":", first ? "" : ",\n", ab_metrics[m].name);
			json_num(out, s.median);
			fputs(",\"q1\":", out);
			json_num(out, s.q1);
			fputs(",\"q3\":", out);
			json_num(out, s.q3);
			fprintf(out, ",\"n\":%zu}", s.n);
			first = 0;
		}
		fputs("\n}}", out);
	}
	fputs("\n],\n\"comparisons\":[\n", out);
	for (size_t a = 1, first = 1; a < x->n_arms; a++)
		for (size_t m = 0; m < AB_N_METRICS; m++) {
			const struct ab_cmp *c = &x->cmps[(a - 1) * AB_N_METRICS + m];
			const char *w = winner(x, c);

			if (!metric_shown(x, m))
				continue;
			fputs(first ? "{\"arm\":" : ",\n{\"arm\":", out);
			first = 0;
			json_string(out, x->arms[a].name, strlen(x->arms[a].name));
			fputs(",\"baseline\":", out);
			json_string(out, x->arms[0].name, strlen(x->arms[0].name));
			fprintf(out, ",\"metric\":\"%s\",\"diff\":", ab_metrics[m].name);
			json_num(out, c->diff);
			fputs(",\"ci_low\":", out);
			json_num(out, c->lo);
			fputs(",\"ci_high\":", out);
			json_num(out, c->hi);
			fputs(",\"p_value\":", out);
			json_num(out, c->p);
			fprintf(out, ",\"n\":%zu,\"significant\":%s,\"better\":", c->n,
				c->significant ? "true" : "false");
			if (w)
				json_string(out, w, strlen(w));
			else
				fputs("null", out);
			fputc('}', out);
		}
	fputs("\n],\n\"rows\":[\n", out);
	for (size_t i = 0; i < n_pairs(x) * x->n_arms; i++) {
		const struct ab_row *r = &x->rows[i];

		fputs(i ? ",\n{\"arm\":" : "{\"arm\":", out);
		json_string(out, x->arms[r->arm].name, strlen(x->arms[r->arm].name));
		fprintf(out, ",\"prompt\":%zu,\"seed\":%llu,\"order\":%u,\"stop_reason\":\"%s\"", r->prompt,
			(unsigned long long)(x->base_seed + r->seed), r->order,
			ab_stop_name(r->stop_reason));
		for (size_t m = 0; m < AB_N_METRICS; m++) {
			if (!metric_shown(x, m))
				continue;
			fprintf(out, ",\"%s\":", ab_metrics[m].name);
			json_num(out, r->v[m]);
		}
		fputs(",\"text\":", out);
		json_string(out, r->text, r->text_len);
		fputc('}', out);
	}
	fprintf(out, "\n],\n\"wall_s\":%.3f\n}\n", x->wall_s);
}

/* ---- CSV: one line per output ----------------------------------------- */

static void csv_text(FILE *out, const char *t, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '"')
			fputc('"', out);
		fputc(t[i], out);
	}
	fputc('"', out);
}

void ab_report_csv(struct ab *x, FILE *out)
{
	fputs("arm,prompt,seed,order,stop_reason", out);
	for (size_t m = 0; m < AB_N_METRICS; m++)
		if (metric_shown(x, m))
			fprintf(out, ",%s", ab_metrics[m].name);
	fputs(",text\n", out);
	for (size_t i = 0; i < n_pairs(x) * x->n_arms; i++) {
		const struct ab_row *r = &x->rows[i];

		csv_text(out, x->arms[r->arm].name, strlen(x->arms[r->arm].name));
		fprintf(out, ",%zu,%llu,%u,%s", r->prompt, (unsigned long long)(x->base_seed + r->seed),
			r->order, ab_stop_name(r->stop_reason));
		for (size_t m = 0; m < AB_N_METRICS; m++) {
			if (!metric_shown(x, m))
				continue;
			fputc(',', out);
			if (isfinite(r->v[m]))
				fprintf(out, "%.10g", r->v[m]);
		}
		fputc(',', out);
		csv_text(out, r->text, r->text_len);
		fputc('\n', out);
	}
}
