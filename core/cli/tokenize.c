/* plume tokenize: ids and pieces of a text; needs only the vocabulary. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_tokenize(int argc, char **argv)
{
	struct cli c;
	struct plume_engine *e = NULL;
	const char *arg = NULL;
	char *text = NULL;
	size_t len = 0, n = 0;
	int32_t *ids = NULL;
	uint32_t flags = 0;
	int rc = 1;

	if (cli_common(&c, argc, argv))
		return 1;
	for (int i = 0; i < c.argc; i++) {
		if (!strcmp(c.argv[i], "--add-special"))
			flags |= PLUME_TOK_ADD_SPECIAL;
		else if (!strcmp(c.argv[i], "--parse-special"))
			flags |= PLUME_TOK_PARSE_SPECIAL;
		else if (!arg)
			arg = c.argv[i];
		else
			return cli_die("tokenize: unexpected argument '%s'", c.argv[i]);
	}
	if (!arg)
		return cli_die("tokenize: give TEXT, or - to read standard input");
	if (cli_config(&c))
		goto out;
	text = strcmp(arg, "-") ? strdup(arg) : read_all("-", &len);
	if (!text) {
		cli_die("tokenize: cannot read input");
		goto out;
	}
	if (strcmp(arg, "-"))
		len = strlen(text);
	if (plume_engine_create(c.cfg, PLUME_ENGINE_TOKENIZER_ONLY, &e, &c.err) ||
	    plume_engine_tokenize(e, text, len, flags, &ids, &n, &c.err)) {
		cli_fail(&c);
		goto out;
	}
	if (c.json) {
		fputs("{\"ids\":", stdout);
		json_ids(stdout, ids, n);
		fputs(",\"pieces\":[", stdout);
	}
	for (size_t i = 0; i < n; i++) {
		char *piece = NULL;
		size_t pl = 0;

		if (plume_engine_piece(e, ids[i], PLUME_PIECE_SPECIAL, &piece, &pl, &c.err)) {
			cli_fail(&c);
			goto out;
		}
		if (c.json) {
			if (i)
				fputc(',', stdout);
			json_string(stdout, piece, pl);
		} else {
			printf("%8d -> ", ids[i]);
			json_string(stdout, piece, pl);
			fputc('\n', stdout);
		}
		free(piece);
	}
	if (c.json)
		fputs("]}\n", stdout);
	rc = 0;
out:
	free(ids);
	free(text);
	plume_engine_destroy(e);
	plume_cfg_destroy(c.cfg);
	return rc;
}
