/* plume chat: an interactive multi-turn conversation with the model's chat
 * template (ChatML, the one plume recognises). Each turn re-renders the
 * whole conversation, prefills it and streams the reply; empty input or
 * end of file ends the session; "/reset" starts over. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "strlist.h"

static void on_text(void *user, const char *text, size_t len)
{
	fwrite(text, 1, len, stdout);
	fflush(stdout);
}

static int append(char **s, size_t *len, const char *add, size_t n)
{
	char *ns = realloc(*s, *len + n + 1);

	if (!ns)
		return -1;
	memcpy(ns + *len, add, n);
	*len += n;
	ns[*len] = '\0';
	*s = ns;
	return 0;
}

int cmd_chat(int argc, char **argv)
{
	struct cli c;
	struct plume_engine *e = NULL;
	char *history = NULL, **stop = NULL, line[8192];
	size_t hlen = 0, n_stop = 0;
	int rc = 1, tty = isatty(STDIN_FILENO);

	if (cli_common(&c, argc, argv))
		return 1;
	if (c.argc)
		return cli_die("chat: unexpected argument '%s'", c.argv[0]);
	if (cli_config(&c))
		goto out;
	if (plume_strlist_parse(plume_cfg_str(c.cfg, "generate", "stop"), "generate.stop", &stop,
				&n_stop, &c.err) ||
	    plume_engine_create(c.cfg, 0, &e, &c.err))
		goto fail;
	for (;;) {
		struct plume_gen_params p = {0};
		struct plume_gen_result res = {0};
		int32_t *ids = NULL;
		size_t n = 0, ll;
		char *turn = NULL;

		if (tty) {
			fputs("> ", stderr);
			fflush(stderr);
		}
		if (!fgets(line, sizeof(line), stdin))
			break;
		ll = strcspn(line, "\n");
		line[ll] = '\0';
		if (!ll)
			break;
		if (!strcmp(line, "/reset")) {
			free(history);
			history = NULL;
			hlen = 0;
			continue;
		}
		if (!history) {
			/* first turn: the template renders the system message */
			if (plume_engine_chat_format(e, line, &turn, &c.err))
				goto fail;
			if (append(&history, &hlen, turn, strlen(turn)))
				goto nomem;
			free(turn);
		} else if (append(&history, &hlen, "<|im_start|>user\n", 17) ||
			   append(&history, &hlen, line, ll) ||
			   append(&history, &hlen, "<|im_end|>\n<|im_start|>assistant\n", 33)) {
			goto nomem;
		}
		if (plume_engine_tokenize(e, history, hlen, PLUME_TOK_ADD_SPECIAL | PLUME_TOK_PARSE_SPECIAL,
					  &ids, &n, &c.err))
			goto fail;
		p.prompt = ids;
		p.n_prompt = n;
		p.max_tokens = (uint32_t)plume_cfg_int(c.cfg, "generate", "max_tokens");
		p.stop = (const char *const *)stop;
		p.n_stop = n_stop;
		p.seed = (uint64_t)plume_cfg_int(c.cfg, "engine", "seed");
		p.on_text = on_text;
		if (plume_engine_generate(e, &p, &res, &c.err)) {
			free(ids);
			goto fail;
		}
		fputc('\n', stdout);
		fflush(stdout);
		if (append(&history, &hlen, res.hyps[0].text, res.hyps[0].text_len) ||
		    append(&history, &hlen, "<|im_end|>\n", 11)) {
			plume_gen_result_free(&res);
			free(ids);
			goto nomem;
		}
		fprintf(stderr, "plume: %u tokens, ttft %.1f ms, %.1f tok/s\n", res.metrics.n_gen,
			res.metrics.ttft_ms, res.metrics.decode_tps);
		plume_gen_result_free(&res);
		free(ids);
	}
	rc = 0;
	goto out;
nomem:
	cli_die("chat: out of memory");
	goto out;
fail:
	cli_fail(&c);
out:
	free(history);
	plume_strlist_free(stop, n_stop);
	plume_engine_destroy(e);
	plume_cfg_destroy(c.cfg);
	return rc;
}
