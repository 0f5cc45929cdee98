/* Configuration: INI files (inih) plus `--set section.key=value` overrides.
 * Core keys live in [engine], [model], [generate]; every plugin section's keys
 * come from the plugin's option table. Unknown keys, duplicates and bad
 * values are errors with file:line. Each value remembers where it came from
 * (`plume config --explain`). */
#ifndef PLUME_CORE_CONFIG_H
#define PLUME_CORE_CONFIG_H

#include <stdio.h>

#include "error.h"
#include "plume/plugin.h"

struct plume_cfg;

int plume_cfg_create(struct plume_cfg **out);
void plume_cfg_destroy(struct plume_cfg *cfg);

/* Parse an INI file; core sections are checked now, plugin sections when
 * the plugin is known (plume_cfg_plugin_view). */
int plume_cfg_load_file(struct plume_cfg *cfg, const char *path, struct plume_error *err);
/* "section.key=value" (the section may contain dots: strategy.beam.beams=4). */
int plume_cfg_set(struct plume_cfg *cfg, const char *assignment, const char *origin,
		  struct plume_error *err);

/* Core keys (declared in config.c with defaults). */
const char *plume_cfg_str(const struct plume_cfg *cfg, const char *section, const char *key);
int64_t plume_cfg_int(const struct plume_cfg *cfg, const char *section, const char *key);
double plume_cfg_float(const struct plume_cfg *cfg, const char *section, const char *key);
int plume_cfg_bool(const struct plume_cfg *cfg, const char *section, const char *key);

/* Validate section `section` against the plugin's option table and return
 * the view the plugin reads through host->config_*(). Owned by cfg. */
int plume_cfg_plugin_view(struct plume_cfg *cfg, const char *section,
			  const struct plume_plugin_desc *desc,
			  const struct plume_config **view, struct plume_error *err);

/* Every section has been claimed by the core or a loaded plugin? Error names
 * the first unclaimed section with file:line. */
int plume_cfg_check_unclaimed(const struct plume_cfg *cfg, struct plume_error *err);

/* Print the effective config with each value's origin. */
void plume_cfg_explain(const struct plume_cfg *cfg, FILE *out);

/* Standalone view for tests and tools: the plugin's defaults overridden by
 * `pairs` ("key=value", n_pairs of them). Free with plume_config_view_destroy. */
int plume_config_view_create(const struct plume_plugin_desc *desc, const char *const *pairs,
			     size_t n_pairs, struct plume_config **view, struct plume_error *err);
void plume_config_view_destroy(struct plume_config *view);



/* Validate (and claim) a section against a plugin that is not in use. */
int plume_cfg_validate_section(struct plume_cfg *cfg, const char *section,
			       const struct plume_plugin_desc *desc, struct plume_error *err);
int plume_cfg_n_entries(const struct plume_cfg *cfg);
const char *plume_cfg_entry_section(const struct plume_cfg *cfg, int i);
/* The host->config_* getters (also usable directly in tests). */
int plume_config_get_int(const struct plume_config *cfg, const char *key, int64_t *out);
int plume_config_get_float(const struct plume_config *cfg, const char *key, double *out);
int plume_config_get_bool(const struct plume_config *cfg, const char *key, int *out);
int plume_config_get_string(const struct plume_config *cfg, const char *key, const char **out);

#endif
