/* plume eval: teacher-forced logits of a token sequence (one prefill),
 * top-K per position; the golden tests' window into the forward. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct eval_out {
	uint32_t top;
	int json;
	size_t n;
};

static int on_logits(void *user, size_t pos, const float *logits, uint32_t n_vocab)
{
	struct eval_out *o = user;
	int32_t best[64];
	uint32_t k = o->top < 64 ? o->top : 64, have = 0;

	/* Partial selection of the top k (k is small). */
	for (uint32_t i = 0; i < n_vocab; i++) {
		uint32_t j;

		if (have == k && !(logits[i] > logits[best[k - 1]]))
			continue;
		j = have < k ? have++ : k - 1;
		while (j > 0 && logits[i] > logits[best[j - 1]]) {
			best[j] = best[j - 1];
			j--;
		}
		best[j] = (int32_t)i;
	}
	if (o->json) {
		printf("%s{\"argmax\":%d,\"top\":[", pos ? "," : "", have ? best[0] : -1);
		for (uint32_t i = 0; i < have; i++)
			printf("%s[%d,%.6f]", i ? "," : "", best[i], logits[best[i]]);
		fputs("]}", stdout);
	} else {
		printf("%6zu:", pos);
		for (uint32_t i = 0; i < have; i++)
			printf(" %d(%.4f)", best[i], logits[best[i]]);
		fputc('\n', stdout);
	}
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	struct cli c;
	struct plume_engine *e = NULL;
	struct eval_out o = {.top = 8};
	const char *ids_arg = NULL, *prompt = NULL;
	int32_t *ids = NULL;
	size_t n = 0;
	int rc = 1;

	if (cli_common(&c, argc, argv))
		return 1;
	for (int i = 0; i < c.argc; i++) {
		const char *a = c.argv[i];

		if (!strcmp(a, "--ids") && i + 1 < c.argc)
			ids_arg = c.argv[++i];
		else if (!strcmp(a, "-p") && i + 1 < c.argc)
			prompt = c.argv[++i];
		else if (!strcmp(a, "--top") && i + 1 < c.argc)
			o.top = (uint32_t)strtoul(c.argv[++i], NULL, 10);
		else
			return cli_die("eval: unexpected argument '%s'", a);
	}
	if (!ids_arg == !prompt)
		return cli_die("eval: give either --ids 1,2,3 or -p TEXT");
	if (!o.top || o.top > 64)
		return cli_die("eval: --top must be 1..64");
	o.json = c.json;
	if (cli_config(&c))
		goto out;
	if (plume_engine_create(c.cfg, 0, &e, &c.err))
		goto fail;
	if (ids_arg) {
		const char *p = ids_arg;

		ids = malloc((strlen(ids_arg) / 2 + 1) * sizeof(*ids));
		if (!ids) {
			cli_die("out of memory");
			goto out;
		}
		while (*p) {
			char *end;
			long v = strtol(p, &end, 10);

			if (end == p) {
				cli_die("eval: --ids: expected a number at '%s'", p);
				goto out;
			}
			ids[n++] = (int32_t)v;
			p = *end == ',' ? end + 1 : end;
		}
	} else if (plume_engine_tokenize(e, prompt, strlen(prompt),
					 PLUME_TOK_ADD_SPECIAL | PLUME_TOK_PARSE_SPECIAL, &ids, &n,
					 &c.err)) {
		goto fail;
	}
	if (o.json)
		fputs("{\"positions\":[", stdout);
	if (plume_engine_eval(e, ids, n, on_logits, &o, &c.err))
		goto fail;
	if (o.json)
		fputs("]}\n", stdout);
	rc = 0;
	goto out;
fail:
	if (o.json)
		fflush(stdout);
	cli_fail(&c);
out:
	free(ids);
	plume_engine_destroy(e);
	plume_cfg_destroy(c.cfg);
	return rc;
}
