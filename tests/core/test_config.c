/* Config: INI parsing with file:line errors, --set overrides, plugin views
 * validated against option tables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static struct plume_error err;

static char *write_ini(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/plume-cfg-%d.ini", getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int load(const char *text, struct plume_cfg **cfg)
{
	cr_assert_eq(plume_cfg_create(cfg), 0);
	plume_error_clear(&err);
	return plume_cfg_load_file(*cfg, write_ini(text), &err);
}

Test(config, reads_core_keys_and_defaults)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[engine]\nthreads = 3\n[generate]\nmax_tokens = 17 ; comment\n", &cfg), 0,
		     "%s", err.msg);
	cr_assert_eq(plume_cfg_int(cfg, "engine", "threads"), 3);
	cr_assert_eq(plume_cfg_int(cfg, "generate", "max_tokens"), 17);
	cr_assert_str_eq(plume_cfg_str(cfg, "engine", "backend"), "cpu");
	plume_cfg_destroy(cfg);
}

Test(config, unknown_key_is_an_error_with_file_and_line)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[engine]\nthreads = 2\n\nthreadz = 4\n", &cfg), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, ".ini:4: unknown key 'threadz' in [engine]"), "%s", err.msg);
	plume_cfg_destroy(cfg);
}

Test(config, duplicate_key_is_an_error_naming_both_lines)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[model]\ncontext = 10\ncontext = 20\n", &cfg), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, ":3: duplicate key 'context' in [model]"), "%s", err.msg);
	cr_assert(strstr(err.msg, ":2)"), "%s", err.msg);
	plume_cfg_destroy(cfg);
}

Test(config, bad_values_are_errors)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[engine]\nthreads = many\n", &cfg), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, ":2: engine.threads = 'many': expected an integer"), "%s", err.msg);
	plume_cfg_destroy(cfg);
	cr_assert_eq(load("[model]\nkv_type = f8\n", &cfg), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, "expected one of f16|f32"), "%s", err.msg);
	plume_cfg_destroy(cfg);
	cr_assert_eq(load("[engine]\nthreads = -1\n", &cfg), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, "out of range"), "%s", err.msg);
	plume_cfg_destroy(cfg);
}

Test(config, syntax_error_names_the_line)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[engine]\nthis line has no equals sign\n", &cfg), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, ":2: syntax error"), "%s", err.msg);
	plume_cfg_destroy(cfg);
}

Test(config, set_overrides_file_values)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[engine]\nthreads = 2\n", &cfg), 0);
	cr_assert_eq(plume_cfg_set(cfg, "engine.threads=5", "--set", &err), 0, "%s", err.msg);
	cr_assert_eq(plume_cfg_int(cfg, "engine", "threads"), 5);
	cr_assert_eq(plume_cfg_set(cfg, "strategy.beam.beams=8", "--set", &err), 0, "%s", err.msg);
	cr_assert_eq(plume_cfg_set(cfg, "engine.nokey=1", "--set", &err), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, "--set: unknown key 'nokey'"), "%s", err.msg);
	cr_assert_eq(plume_cfg_set(cfg, "noequals", "--set", &err), PLUME_ERR_INVALID);
	plume_cfg_destroy(cfg);
}

Test(config, relative_model_path_is_taken_from_the_config_directory)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[model]\npath = m.gguf\n", &cfg), 0);
	cr_assert_str_eq(plume_cfg_str(cfg, "model", "path"), "/tmp/m.gguf");
	plume_cfg_destroy(cfg);
}

static const struct plume_option opts[] = {
	{"beams", PLUME_OPT_INT, "4", 1, 64, NULL, "beams"},
	{"alpha", PLUME_OPT_FLOAT, "0.6", 0, 1, NULL, "alpha"},
	{"early", PLUME_OPT_ENUM, "true", 1, 0, "true|false|never", "early stopping"},
	{"on", PLUME_OPT_BOOL, "no", 1, 0, NULL, "a flag"},
};
static const struct plume_plugin_desc desc = {
	.size = sizeof(desc), .abi_major = 1, .kind = PLUME_KIND_STRATEGY, .name = "beam",
	.version = "1", .options = opts, .n_options = 4, .option_size = sizeof(struct plume_option),
};

Test(config, plugin_view_validates_against_the_option_table)
{
	struct plume_cfg *cfg;
	const struct plume_config *v;
	int64_t i;
	double f;
	int b;

	cr_assert_eq(load("[strategy.beam]\nbeams = 8\non = yes\n", &cfg), 0, "%s", err.msg);
	cr_assert_eq(plume_cfg_plugin_view(cfg, "strategy.beam", &desc, &v, &err), 0, "%s", err.msg);
	cr_assert_eq(plume_config_get_int(v, "beams", &i), 0);
	cr_assert_eq(i, 8);
	cr_assert_eq(plume_config_get_float(v, "alpha", &f), 0);
	cr_assert_float_eq(f, 0.6, 1e-12);
	cr_assert_eq(plume_config_get_bool(v, "on", &b), 0);
	cr_assert_eq(b, 1);
	cr_assert_eq(plume_config_get_int(v, "nokey", &i), PLUME_ERR_NOTFOUND);
	cr_assert_eq(plume_cfg_check_unclaimed(cfg, &err), 0);
	plume_cfg_destroy(cfg);

	cr_assert_eq(load("[strategy.beam]\nbeams = 100\n", &cfg), 0);
	cr_assert_eq(plume_cfg_plugin_view(cfg, "strategy.beam", &desc, &v, &err), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, ":2: strategy.beam.beams = 100: out of range [1, 64]"), "%s", err.msg);
	plume_cfg_destroy(cfg);

	cr_assert_eq(load("[strategy.beam]\nbeamz = 1\n", &cfg), 0);
	cr_assert_eq(plume_cfg_plugin_view(cfg, "strategy.beam", &desc, &v, &err), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, ":2: unknown key 'beamz' in [strategy.beam]"), "%s", err.msg);
	plume_cfg_destroy(cfg);
}

Test(config, unclaimed_section_is_an_error)
{
	struct plume_cfg *cfg;

	cr_assert_eq(load("[strategy.nosuch]\nx = 1\n", &cfg), 0);
	cr_assert_eq(plume_cfg_check_unclaimed(cfg, &err), PLUME_ERR_INVALID);
	cr_assert(strstr(err.msg, "section [strategy.nosuch] belongs to no loaded plugin"), "%s", err.msg);
	plume_cfg_destroy(cfg);
}

Test(config, standalone_view_has_defaults_and_overrides)
{
	struct plume_config *v;
	const char *pairs[] = {"early=never"};
	const char *s;

	cr_assert_eq(plume_config_view_create(&desc, pairs, 1, &v, &err), 0, "%s", err.msg);
	cr_assert_eq(plume_config_get_string(v, "early", &s), 0);
	cr_assert_str_eq(s, "never");
	plume_config_view_destroy(v);
	pairs[0] = "early=sometimes";
	cr_assert_eq(plume_config_view_create(&desc, pairs, 1, &v, &err), PLUME_ERR_INVALID);
}
