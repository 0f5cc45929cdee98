/* plume: command dispatch and the options every command shares. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "registry.h"

#ifndef PLUME_VERSION
#define PLUME_VERSION "0"
#endif

static const char usage[] =
	"usage: plume COMMAND [options]\n"
	"\n"
	"commands:\n"
	"  run       -c CONF -p TEXT [--chat] [--json] [-n N]   generate text\n"
	"  chat      -c CONF                                  interactive conversation (chat template)\n"
	"  tokenize  -c CONF TEXT|- [--json] [--add-special] [--parse-special]\n"
	"  eval      -c CONF (--ids 1,2,3 | -p TEXT) [--top K] [--json]   teacher-forced logits\n"
	"  bench     -c CONF [-p 512] [-n 128] [-r 5] [--json]   prefill / decode tokens per second\n"
	"  ab        -c CONF --prompts FILE --arm NAME[=strategy:X,S.K=V] ... [--seeds N] [-n N]\n"
	"            [--json [FILE]] [--csv FILE]              paired A/B test of decoding strategies\n"
	"  perplexity -c CONF -f FILE [--ctx N] [--json]       perplexity as llama.cpp's perplexity tool\n"
	"  info      MODEL.gguf [--json]                       metadata and tensor table\n"
	"  plugins   [-c CONF] [--json]                        discovered plugins\n"
	"  config    -c CONF --explain                         effective config and origins\n"
	"\n"
	"common options:\n"
	"  -c FILE           INI config (conf/default.ini)\n"
	"  --set S.K=V       override any config key (repeatable)\n"
	"  -m FILE           model file (same as --set model.path=FILE)\n"
	"  -t N              threads (engine.threads)\n"
	"  --seed N          engine.seed\n"
	"  --json            machine-readable output\n";

int cli_die(const char *fmt, ...)
{
	va_list ap;

	fputs("plume: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

void cli_fail(const struct cli *c)
{
	fprintf(stderr, "plume: %s\n", c->err.msg[0] ? c->err.msg : "unknown error");
}

struct pending_set {
	char **v;
	int n;
};

static struct pending_set sets;

int cli_common(struct cli *c, int argc, char **argv)
{
	int out = 0;

	memset(c, 0, sizeof(*c));
	sets.v = calloc((size_t)argc + 1, sizeof(char *));
	sets.n = 0;
	if (!sets.v)
		return cli_die("out of memory");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;

		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (!has)
				return cli_die("%s needs a file", a);
			c->config_path = argv[++i];
		} else if (!strcmp(a, "--set")) {
			if (!has)
				return cli_die("--set needs section.key=value");
			sets.v[sets.n++] = argv[++i];
		} else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
			static char buf[4096];

			if (!has)
				return cli_die("%s needs a file", a);
			snprintf(buf, sizeof(buf), "model.path=%s", argv[++i]);
			sets.v[sets.n++] = strdup(buf);
		} else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
			char buf[64];

			if (!has)
				return cli_die("%s needs a number", a);
			snprintf(buf, sizeof(buf), "engine.threads=%s", argv[++i]);
			sets.v[sets.n++] = strdup(buf);
		} else if (!strcmp(a, "--seed")) {
			char buf[64];

			if (!has)
				return cli_die("--seed needs a number");
			snprintf(buf, sizeof(buf), "engine.seed=%s", argv[++i]);
			sets.v[sets.n++] = strdup(buf);
		} else if (!strcmp(a, "--json")) {
			c->json = 1;
		} else {
			argv[out++] = argv[i];
		}
	}
	c->argc = out;
	c->argv = argv;
	return 0;
}

int cli_config(struct cli *c)
{
	if (plume_cfg_create(&c->cfg))
		return cli_die("out of memory");
	if (c->config_path && plume_cfg_load_file(c->cfg, c->config_path, &c->err)) {
		cli_fail(c);
		return 1;
	}
	for (int i = 0; i < sets.n; i++)
		if (plume_cfg_set(c->cfg, sets.v[i], "--set", &c->err)) {
			cli_fail(c);
			return 1;
		}
	return 0;
}

void json_string(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', out);
	while (i < n) {
		unsigned char c = p[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		size_t k;

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
			i++;
			continue;
		}
		if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", out); break;
			case '\t': fputs("\\t", out); break;
			case '\r': fputs("\\r", out); break;
			default: fprintf(out, "\\u%04x", c);
			}
			i++;
			continue;
		}
		for (k = 1; len && k < len; k++)
			if (i + k >= n || (p[i + k] & 0xC0) != 0x80)
				break;
		if (!len || k < len) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		fwrite(p + i, 1, len, out);
		i += len;
	}
	fputc('"', out);
}

void json_ids(FILE *out, const int32_t *ids, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%d", i ? "," : "", ids[i]);
	fputc(']', out);
}

char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t r;

		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (!r)
			break;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"run", cmd_run},         {"tokenize", cmd_tokenize}, {"info", cmd_info},
		{"plugins", cmd_plugins}, {"config", cmd_config},     {"bench", cmd_bench},
		{"eval", cmd_eval},       {"chat", cmd_chat},         {"ab", cmd_ab},
		{"perplexity", cmd_perplexity},
	};

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("plume %s (plugin ABI %d.%d)\n", PLUME_VERSION, PLUME_ABI_MAJOR,
		       PLUME_ABI_MINOR);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "plume: unknown command '%s'\n%s", argv[1], usage);
	return 2;
}
