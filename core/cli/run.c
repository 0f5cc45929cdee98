/* plume run: generate from a prompt; text streamed to stdout, metrics to
 * stderr; --json prints one object instead. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "strlist.h"

static const char *reason_name(int r)
{
	switch (r) {
	case PLUME_STOP_EOG: return "eog";
	case PLUME_STOP_LENGTH: return "length";
	case PLUME_STOP_STRING: return "stop";
	case PLUME_STOP_STRATEGY: return "strategy";
	default: return "none";
	}
}

static int streamed_any;

static void on_text(void *user, const char *text, size_t len)
{
	streamed_any = 1;
	fwrite(text, 1, len, stdout);
	fflush(stdout);
}

static void print_json(const struct plume_gen_result *r, const int32_t *prompt, size_t n_prompt)
{
	const struct plume_gen_metrics *m = &r->metrics;
	const struct plume_hypothesis *best = &r->hyps[0];

	fputs("{\"prompt_ids\":", stdout);
	json_ids(stdout, prompt, n_prompt);
	fputs(",\"generated_ids\":", stdout);
	json_ids(stdout, best->ids, best->n_ids);
	fputs(",\"text\":", stdout);
	json_string(stdout, best->text, best->text_len);
	printf(",\"stop_reason\":\"%s\",\"score\":%.9g", reason_name(best->reason), best->score);
	printf(",\"metrics\":{\"ttft_ms\":%.3f,\"tpot_ms\":%.3f,\"prefill_tps\":%.2f,"
	       "\"decode_tps\":%.2f,\"n_prompt\":%u,\"n_gen\":%u,\"prefill_ms\":%.3f,"
	       "\"decode_ms\":%.3f,\"kv_blocks_peak\":%u,\"kv_block_size\":%u,"
	       "\"kv_swa_blocks_peak\":%u,\"kv_swa_blocks_total\":%u,\"peak_rss_bytes\":%llu}",
	       m->ttft_ms, m->tpot_ms, m->prefill_tps, m->decode_tps, m->n_prompt, m->n_gen,
	       m->prefill_ms, m->decode_ms, m->kv_blocks_peak, m->kv_block_size,
	       m->kv_swa_blocks_peak, m->kv_swa_blocks_total, (unsigned long long)m->peak_rss_bytes);
	if (r->n_hyps > 1) {
		fputs(",\"hypotheses\":[", stdout);
		for (size_t i = 0; i < r->n_hyps; i++) {
			fprintf(stdout, "%s{\"generated_ids\":", i ? "," : "");
			json_ids(stdout, r->hyps[i].ids, r->hyps[i].n_ids);
			fputs(",\"text\":", stdout);
			json_string(stdout, r->hyps[i].text, r->hyps[i].text_len);
			printf(",\"score\":%.9g,\"stop_reason\":\"%s\"}", r->hyps[i].score,
			       reason_name(r->hyps[i].reason));
		}
		fputs("]", stdout);
	}
	fputs("}\n", stdout);
}

static void print_metrics(const struct plume_gen_result *r)
{
	const struct plume_gen_metrics *m = &r->metrics;

	fprintf(stderr,
		"\nplume: prompt %u tokens, generated %u (%s) | ttft %.1f ms | tpot %.2f ms | "
		"prefill %.1f tok/s | decode %.1f tok/s | kv %u blocks of %u | peak rss %.0f MiB\n",
		m->n_prompt, m->n_gen, reason_name(r->hyps[0].reason), m->ttft_ms, m->tpot_ms,
		m->prefill_tps, m->decode_tps, m->kv_blocks_peak, m->kv_block_size,
		(double)m->peak_rss_bytes / (1024.0 * 1024.0));
}

int cmd_run(int argc, char **argv)
{
	struct cli c;
	struct plume_engine *e = NULL;
	struct plume_gen_params p = {0};
	struct plume_gen_result res = {0};
	const char *prompt = NULL, *file = NULL;
	char *text = NULL, *chat_text = NULL, **stop = NULL;
	size_t text_len = 0, n_ids = 0, n_stop = 0;
	int32_t *ids = NULL;
	int chat = 0, rc = 1;
	long max_tokens = -1;

	if (cli_common(&c, argc, argv))
		return 1;
	for (int i = 0; i < c.argc; i++) {
		const char *a = c.argv[i];

		if ((!strcmp(a, "-p") || !strcmp(a, "--prompt")) && i + 1 < c.argc)
			prompt = c.argv[++i];
		else if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && i + 1 < c.argc)
			file = c.argv[++i];
		else if ((!strcmp(a, "-n") || !strcmp(a, "--max-tokens")) && i + 1 < c.argc)
			max_tokens = strtol(c.argv[++i], NULL, 10);
		else if (!strcmp(a, "--chat"))
			chat = 1;
		else
			return cli_die("run: unexpected argument '%s' (see plume --help)", a);
	}
	if (!prompt && !file)
		return cli_die("run: give a prompt with -p TEXT or -f FILE (- for stdin)");
	if (cli_config(&c))
		goto out;
	if (max_tokens >= 0) {
		char buf[64];

		snprintf(buf, sizeof(buf), "generate.max_tokens=%ld", max_tokens);
		if (plume_cfg_set(c.cfg, buf, "-n", &c.err))
			goto fail;
	}
	if (file) {
		text = read_all(file, &text_len);
		if (!text) {
			cli_die("run: cannot read prompt file '%s'", file);
			goto out;
		}
	} else {
		text = strdup(prompt);
		text_len = strlen(prompt);
	}
	if (plume_strlist_parse(plume_cfg_str(c.cfg, "generate", "stop"), "generate.stop", &stop,
				&n_stop, &c.err))
		goto fail;
	if (plume_engine_create(c.cfg, 0, &e, &c.err))
		goto fail;
	if (chat) {
		if (plume_engine_chat_format(e, text, &chat_text, &c.err))
			goto fail;
		free(text);
		text = chat_text;
		text_len = strlen(text);
	}
	/* As llama.cpp's command line: BOS per metadata, special text parsed. */
	if (plume_engine_tokenize(e, text, text_len, PLUME_TOK_ADD_SPECIAL | PLUME_TOK_PARSE_SPECIAL,
				  &ids, &n_ids, &c.err))
		goto fail;
	p.prompt = ids;
	p.n_prompt = n_ids;
	p.max_tokens = (uint32_t)plume_cfg_int(c.cfg, "generate", "max_tokens");
	p.stop = (const char *const *)stop;
	p.n_stop = n_stop;
	p.seed = (uint64_t)plume_cfg_int(c.cfg, "engine", "seed");
	if (!c.json) {
		p.on_text = on_text;
		if (isatty(STDOUT_FILENO) && !chat) {
			fwrite(text, 1, text_len, stdout);
			fflush(stdout);
		}
	}
	if (plume_engine_generate(e, &p, &res, &c.err))
		goto fail;
	if (c.json) {
		print_json(&res, ids, n_ids);
	} else {
		if (res.n_hyps > 1) {
			for (size_t i = 0; i < res.n_hyps; i++)
				printf("%s[%zu] (score %.4f) %s\n", i ? "" : "\n", i, res.hyps[i].score,
				       res.hyps[i].text);
		} else if (!streamed_any) {
			fwrite(res.hyps[0].text, 1, res.hyps[0].text_len, stdout);
		}
		fputc('\n', stdout);
		print_metrics(&res);
	}
	rc = 0;
	goto out;
fail:
	cli_fail(&c);
out:
	plume_gen_result_free(&res);
	plume_strlist_free(stop, n_stop);
	free(ids);
	free(text);
	plume_engine_destroy(e);
	plume_cfg_destroy(c.cfg);
	return rc;
}
