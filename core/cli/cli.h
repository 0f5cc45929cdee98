/* The plume command-line tool: shared option parsing and output helpers. */
#ifndef PLUME_CLI_H
#define PLUME_CLI_H

#include <stdio.h>

#include "config.h"
#include "engine.h"

struct cli {
	int argc;
	char **argv;
	const char *config_path;
	int json;
	struct plume_cfg *cfg;
	struct plume_error err;
};

/* Parse options common to every command that takes a config: -c FILE,
 * --set K=V, -m MODEL, -t THREADS, --seed N, --json. Consumes them from
 * argv (the rest stay, in order). Returns 0 or prints the error. */
int cli_common(struct cli *c, int argc, char **argv);
/* Load the config file (if any) and apply the --set overrides. */
int cli_config(struct cli *c);
void cli_fail(const struct cli *c);           /* print err as "plume: msg" */
int cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* JSON output: strings escaped, invalid UTF-8 replaced by U+FFFD. */
void json_string(FILE *out, const char *s, size_t n);
void json_ids(FILE *out, const int32_t *ids, size_t n);

/* Read a whole file ("-" = stdin); malloc'ed, NUL-terminated. */
char *read_all(const char *path, size_t *len);

int cmd_run(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_ab(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);

#endif
