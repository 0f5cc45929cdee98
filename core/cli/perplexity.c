/* plume perplexity: windowed perplexity of a text file with llama.cpp's
 * perplexity-tool rule (tools/perplexity, default mode), so that the two
 * numbers compare:
 *  - the whole file is tokenized once, BOS added when the vocabulary says so,
 *    special-token text not parsed;
 *  - it is cut into n_chunk = n_tokens / n_ctx chunks of n_ctx tokens (the
 *    tail is dropped; at least 2 n_ctx tokens are required); each chunk is
 *    evaluated from an empty cache with its first token replaced by BOS
 *    (when the vocabulary adds one);
 *  - only the second half is scored: the logits at positions
 *    first = n_ctx / 2 .. n_ctx - 2 predict tokens first + 1 .. n_ctx - 1,
 *    n_ctx - 1 - first tokens per chunk;
 *  - nll = -(logit[t] - max - log(sum exp(logit - max))), the exponentials in
 *    float summed in double; PPL = exp(mean nll); its standard error is
 *    PPL * sqrt((mean nll^2 - mean nll^2) / (count - 1)).
 * --json "tokens" is the length of the tokenized file; the tokens scored are
 * chunks * (n_ctx - 1 - n_ctx / 2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct ppl_acc {
	const int32_t *ids;   /* the chunk as evaluated */
	size_t first, n_ctx;
	double nll, nll2;
	size_t count;
};

static int on_logits(void *user, size_t pos, const float *logits, uint32_t n_vocab)
{
	struct ppl_acc *a = user;
	float mx;
	double sum = 0, v;

	if (pos < a->first || pos + 1 >= a->n_ctx)
		return 0;
	mx = logits[0];
	for (uint32_t i = 1; i < n_vocab; i++)
		mx = logits[i] > mx ? logits[i] : mx;
	for (uint32_t i = 0; i < n_vocab; i++)
		sum += expf(logits[i] - mx);
	v = -((double)(logits[a->ids[pos + 1]] - mx) - log(sum));
	a->nll += v;
	a->nll2 += v * v;
	a->count++;
	return 0;
}

static void bar(size_t done, size_t total, const struct ppl_acc *a, int tty)
{
	char b[41];
	size_t w = total ? done * 40 / total : 40;

	memset(b, '#', w);
	memset(b + w, '.', 40 - w);
	b[40] = '\0';
	fprintf(stderr, "%s[%s] %zu/%zu chunks, ppl %.4f%s", tty ? "\r" : "", b, done, total,
		a->count ? exp(a->nll / (double)a->count) : 0.0, tty && done < total ? "" : "\n");
}

int cmd_perplexity(int argc, char **argv)
{
	struct cli c;
	struct plume_engine *e = NULL;
	struct ppl_acc a = {0};
	const struct plume_tokenizer_info *ti;
	const char *file = NULL;
	char *text = NULL, *end;
	int32_t *ids = NULL, *chunk = NULL;
	size_t len = 0, n_ids = 0, n_chunk;
	long n_ctx = 512, max_chunks = -1;
	double ppl, se;
	int rc = 1, tty = isatty(STDERR_FILENO);

	if (cli_common(&c, argc, argv))
		return 1;
	for (int i = 0; i < c.argc; i++) {
		const char *o = c.argv[i];

		if ((!strcmp(o, "-f") || !strcmp(o, "--file")) && i + 1 < c.argc) {
			file = c.argv[++i];
		} else if ((!strcmp(o, "--ctx") || !strcmp(o, "-c")) && i + 1 < c.argc) {
			n_ctx = strtol(c.argv[++i], &end, 10);
			if (*end || n_ctx < 4 || n_ctx > 1048576)
				return cli_die("perplexity: --ctx '%s': expected an integer in 4..1048576",
					       c.argv[i]);
		} else if (!strcmp(o, "--chunks") && i + 1 < c.argc) {
			max_chunks = strtol(c.argv[++i], &end, 10);
			if (*end || max_chunks < 1)
				return cli_die("perplexity: --chunks '%s': expected a positive integer",
					       c.argv[i]);
		} else {
			return cli_die("perplexity: unexpected argument '%s' (see plume --help)", o);
		}
	}
	if (!file)
		return cli_die("perplexity: give the text with -f FILE (- for stdin)");
	if (cli_config(&c))
		goto out;
	{
		/* the cache holds one chunk */
		char buf[64];

		snprintf(buf, sizeof(buf), "model.context=%ld", n_ctx);
		if (plume_cfg_set(c.cfg, buf, "--ctx", &c.err))
			goto fail;
	}
	text = read_all(file, &len);
	if (!text) {
		cli_die("perplexity: cannot read '%s'", file);
		goto out;
	}
	if (plume_engine_create(c.cfg, 0, &e, &c.err))
		goto fail;
	if (plume_engine_tokenize(e, text, len, PLUME_TOK_ADD_SPECIAL, &ids, &n_ids, &c.err))
		goto fail;
	if (n_ids < 2 * (size_t)n_ctx) {
		cli_die("perplexity: %s is %zu tokens; --ctx %ld needs at least %ld", file, n_ids, n_ctx,
			2 * n_ctx);
		goto out;
	}
	ti = plume_engine_tokenizer_info(e);
	n_chunk = n_ids / (size_t)n_ctx;
	if (max_chunks > 0 && (size_t)max_chunks < n_chunk)
		n_chunk = (size_t)max_chunks;
	chunk = malloc((size_t)n_ctx * sizeof(*chunk));
	if (!chunk) {
		cli_die("out of memory");
		goto out;
	}
	a.ids = chunk;
	a.n_ctx = (size_t)n_ctx;
	a.first = (size_t)n_ctx / 2;
	fprintf(stderr, "perplexity: %zu tokens, %zu chunks of %ld, scoring the second half of each\n",
		n_ids, n_chunk, n_ctx);
	for (size_t k = 0; k < n_chunk; k++) {
		memcpy(chunk, ids + k * (size_t)n_ctx, (size_t)n_ctx * sizeof(*chunk));
		if (ti->add_bos && ti->bos_id >= 0)
			chunk[0] = ti->bos_id;
		if (plume_engine_eval_from(e, chunk, (size_t)n_ctx, a.first, on_logits, &a, &c.err))
			goto fail;
		bar(k + 1, n_chunk, &a, tty);
	}
	ppl = exp(a.nll / (double)a.count);
	{
		double m = a.nll / (double)a.count, v = a.nll2 / (double)a.count - m * m;

		se = v > 0 && a.count > 1 ? sqrt(v / (double)(a.count - 1)) * ppl : NAN;
	}
	if (c.json) {
		printf("{\"ppl\":%.6f,\"ppl_stderr\":", ppl);
		if (isnan(se))
			fputs("null", stdout);
		else
			printf("%.6f", se);
		printf(",\"chunks\":%zu,\"n_ctx\":%ld,\"tokens\":%zu}\n", n_chunk, n_ctx, n_ids);
	} else {
		printf("Final estimate: PPL = %.4f +/- %.5f (%zu chunks of %ld, %zu tokens scored)\n",
		       ppl, se, n_chunk, n_ctx, a.count);
	}
	rc = 0;
	goto out;
fail:
	cli_fail(&c);
out:
	free(chunk);
	free(ids);
	free(text);
	plume_engine_destroy(e);
	plume_cfg_destroy(c.cfg);
	return rc;
}
