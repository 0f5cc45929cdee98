/* libFuzzer harness for the configuration parser (core/config.c over inih):
 * arbitrary bytes are parsed as an INI file; when that succeeds, a plugin
 * section ([strategy.fuzz]) is validated against an option table with one key
 * of every type, the values are read back, the effective config is printed,
 * and each input line is also tried as a `--set section.key=value`
 * assignment. Bad input must be an error with a message, never a crash. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

static FILE *devnull;

static const struct plume_option fuzz_options[] = {
	{"i", PLUME_OPT_INT, "3", 0, 100, NULL, "an int"},
	{"u", PLUME_OPT_INT, "-1", 1, 0, NULL, "an unbounded int"},
	{"f", PLUME_OPT_FLOAT, "0.5", 0, 1, NULL, "a float"},
	{"b", PLUME_OPT_BOOL, "false", 0, 0, NULL, "a bool"},
	{"s", PLUME_OPT_STRING, "", 0, 0, NULL, "a string"},
	{"e", PLUME_OPT_ENUM, "a", 0, 0, "a|bb|ccc", "an enum"},
};
static const struct plume_plugin_desc fuzz_desc = {
	.size = sizeof(struct plume_plugin_desc), .abi_minor = PLUME_ABI_MINOR,
	.abi_major = PLUME_ABI_MAJOR, .kind = PLUME_KIND_STRATEGY,
	.name = "fuzz", .version = "1.0.0", .description = "fuzz option table",
	.options = fuzz_options, .n_options = 6, .option_size = sizeof(struct plume_option),
};

#define CHECK(cond, ...)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "invariant failed: %s: ", #cond);                   \
			fprintf(stderr, __VA_ARGS__);                                       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	devnull = fopen("/dev/null", "w");
	return 0;
}

static void read_view(const struct plume_config *view)
{
	int64_t i;
	double f;
	int b;
	const char *s;

	CHECK(plume_config_get_int(view, "i", &i) == 0 && i >= 0 && i <= 100, "i");
	CHECK(plume_config_get_int(view, "u", &i) == 0, "u");
	CHECK(plume_config_get_float(view, "f", &f) == 0 && f >= 0 && f <= 1, "f");
	CHECK(plume_config_get_bool(view, "b", &b) == 0 && (b == 0 || b == 1), "b");
	CHECK(plume_config_get_string(view, "s", &s) == 0 && s, "s");
	CHECK(plume_config_get_string(view, "e", &s) == 0 && s &&
	      (!strcmp(s, "a") || !strcmp(s, "bb") || !strcmp(s, "ccc")), "e");
	CHECK(plume_config_get_int(view, "nope", &i) != 0, "unknown key found");
}

/* Each line of the input as a --set assignment on a fresh config. */
static void try_sets(const uint8_t *data, size_t size)
{
	struct plume_cfg *cfg;
	size_t start = 0;

	if (plume_cfg_create(&cfg))
		abort();
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i > start) {
			struct plume_error err = {0};
			char *line = strndup((const char *)data + start, i - start);

			if (plume_cfg_set(cfg, line, "fuzz", &err))
				CHECK(err.msg[0], "--set error without a message");
			free(line);
		}
		start = i + 1;
	}
	plume_cfg_explain(cfg, devnull);
	plume_cfg_destroy(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plume_error err = {0};
	struct plume_cfg *cfg;
	const struct plume_config *view;
	char path[64];
	int fd = memfd_create("fuzz.ini", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (plume_cfg_create(&cfg))
		abort();
	if (plume_cfg_load_file(cfg, path, &err) == 0) {
		plume_cfg_str(cfg, "engine", "strategy");
		plume_cfg_int(cfg, "engine", "threads");
		plume_cfg_float(cfg, "engine", "seed");
		plume_cfg_bool(cfg, "engine", "mmap");
		if (plume_cfg_plugin_view(cfg, "strategy.fuzz", &fuzz_desc, &view, &err) == 0)
			read_view(view);
		else
			CHECK(err.msg[0], "plugin view error without a message");
		err.msg[0] = '\0';
		if (plume_cfg_check_unclaimed(cfg, &err))
			CHECK(err.msg[0], "unclaimed error without a message");
		for (int i = 0; i < plume_cfg_n_entries(cfg); i++)
			plume_cfg_entry_section(cfg, i);
		plume_cfg_explain(cfg, devnull);
	} else {
		CHECK(err.msg[0], "parse error without a message");
	}
	plume_cfg_destroy(cfg);
	close(fd);
	try_sets(data, size);
	return 0;
}
