/* plume info, plume plugins, plume config --explain. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"

int cmd_info(int argc, char **argv)
{
	struct cli c;
	struct plume_gguf *g = NULL;
	const char *path = NULL;

	if (cli_common(&c, argc, argv))
		return 1;
	for (int i = 0; i < c.argc; i++) {
		if (path)
			return cli_die("info: unexpected argument '%s'", c.argv[i]);
		path = c.argv[i];
	}
	if (!path)
		return cli_die("info: give a GGUF file");
	if (plume_gguf_open(path, &g, &c.err)) {
		cli_fail(&c);
		return 1;
	}
	plume_model_print_info(g, stdout, c.json);
	plume_gguf_close(g);
	return 0;
}

int cmd_plugins(int argc, char **argv)
{
	struct cli c;
	char *path;

	if (cli_common(&c, argc, argv))
		return 1;
	if (c.argc)
		return cli_die("plugins: unexpected argument '%s'", c.argv[0]);
	if (cli_config(&c))
		return 1;
	path = plume_plugin_search_path(plume_cfg_str(c.cfg, "engine", "plugin_path"));
	plume_plugins_list(path, stdout, c.json);
	free(path);
	plume_cfg_destroy(c.cfg);
	return 0;
}

int cmd_config(int argc, char **argv)
{
	struct cli c;
	struct plume_engine *e = NULL;
	int explain = 0, rc = 1;

	if (cli_common(&c, argc, argv))
		return 1;
	for (int i = 0; i < c.argc; i++) {
		if (!strcmp(c.argv[i], "--explain"))
			explain = 1;
		else
			return cli_die("config: unexpected argument '%s'", c.argv[i]);
	}
	if (!explain)
		return cli_die("config: nothing to do (try --explain)");
	if (cli_config(&c))
		goto out;
	/* Load the plugins so that their sections are validated and shown. */
	if (plume_engine_create(c.cfg, 0, &e, &c.err)) {
		cli_fail(&c);
		goto out;
	}
	plume_cfg_explain(c.cfg, stdout);
	rc = 0;
out:
	plume_engine_destroy(e);
	plume_cfg_destroy(c.cfg);
	return rc;
}
