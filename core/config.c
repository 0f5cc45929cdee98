/* Configuration: INI files through inih, `--set section.key=value`
 * overrides, the core key table ([engine], [model], [generate]) and
 * validated per-plugin views built from each plugin's option table. Every
 * value remembers its origin (file:line, --set, default). */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_NAME 128

struct entry {
	char section[MAX_NAME];
	char key[MAX_NAME];
	char *value;
	char origin[300];      /* "conf/x.ini:12", "--set", "default" */
	int from_file;         /* set by a file (duplicates are errors) */
	int claimed;
};

/* A plugin's validated view: typed values for every declared option. */
struct view_value {
	const struct plume_option *opt;
	char *text;
	int64_t i;
	double f;
};

struct plume_config {
	struct view_value *v;
	size_t n;
	char section[MAX_NAME];
};

struct plume_cfg {
	struct entry *e;
	size_t n, cap;
	struct plume_config **views;
	size_t n_views;
	/* parse state */
	const char *path;
	int line;
	int parse_status;
	struct plume_error *err;
};

/* ---- the core key table ---------------------------------------------- */

struct core_key {
	const char *section;
	struct plume_option opt;
};

static const struct core_key core_keys[] = {
	{"engine", {"backend", PLUME_OPT_STRING, "cpu", 1, 0, NULL,
		    "compute backend: a plugin name (cpu, cuda, hip) or a path to a .so"}},
	{"engine", {"tokenizer", PLUME_OPT_STRING, "auto", 1, 0, NULL,
		    "tokenizer plugin: auto (from tokenizer.ggml.model), a name (bpe, spm) or a path"}},
	{"engine", {"strategy", PLUME_OPT_STRING, "greedy", 1, 0, NULL,
		    "decoding strategy plugin: a name (greedy, ...) or a path to a .so"}},
	{"engine", {"plugin_path", PLUME_OPT_STRING, "", 1, 0, NULL,
		    "extra plugin directories, ':'-separated, searched first"}},
	{"engine", {"threads", PLUME_OPT_INT, "0", 0, 1024, NULL,
		    "CPU threads; 0 = one per online core"}},
	{"engine", {"seed", PLUME_OPT_INT, "0", 0, 9.2e18, NULL,
		    "seed for every random choice (reproducible runs)"}},
	{"engine", {"log_level", PLUME_OPT_ENUM, "warn", 1, 0, "error|warn|info|debug",
		    "most verbose log messages printed to stderr"}},
	{"model", {"path", PLUME_OPT_STRING, "", 1, 0, NULL,
		   "GGUF model file; a relative path is taken from the config file's directory"}},
	{"model", {"context", PLUME_OPT_INT, "4096", 0, 1048576, NULL,
		   "context length in tokens (prompt + output, per sequence); 0 = the model's trained context"}},
	{"model", {"kv_type", PLUME_OPT_ENUM, "f16", 1, 0, "f16|f32",
		   "KV cache element type"}},
	{"model", {"kv_block", PLUME_OPT_INT, "16", 1, 1024, NULL,
		   "tokens per KV cache block"}},
	{"model", {"batch", PLUME_OPT_INT, "512", 1, 65536, NULL,
		   "most prompt tokens per prefill forward (longer prompts are split)"}},
	{"model", {"swa_cache", PLUME_OPT_ENUM, "window", 1, 0, "window|full",
		   "sliding-window layers' KV: window = keep only the blocks a query can still see, full = keep every position"}},
	{"generate", {"max_tokens", PLUME_OPT_INT, "256", 0, 1048576, NULL,
		      "most tokens generated per sequence"}},
	{"generate", {"stop", PLUME_OPT_STRING, "", 1, 0, NULL,
		      "stop strings: one per value, as \"a\", \"b\" with C escapes (\\n, \\t, \\\", \\\\)"}},
	{"generate", {"chat_template", PLUME_OPT_ENUM, "auto", 1, 0, "auto|chatml|none",
		      "chat template for --chat: auto recognises the model's template"}},
	{"generate", {"system", PLUME_OPT_STRING, "", 1, 0, NULL,
		      "system message for --chat; empty = the template's default"}},
};

#define N_CORE_KEYS (sizeof(core_keys) / sizeof(core_keys[0]))

static const struct core_key *find_core_key(const char *section, const char *key)
{
	for (size_t i = 0; i < N_CORE_KEYS; i++)
		if (!strcmp(core_keys[i].section, section) && !strcmp(core_keys[i].opt.name, key))
			return &core_keys[i];
	return NULL;
}

static int is_core_section(const char *s)
{
	return !strcmp(s, "engine") || !strcmp(s, "model") || !strcmp(s, "generate");
}

/* ---- value parsing ---------------------------------------------------- */

static int parse_bool(const char *s, int *out)
{
	static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = 1, 0;
		if (!strcasecmp(s, no[i]))
			return *out = 0, 0;
	}
	return -1;
}

static int enum_has(const char *choices, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = choices; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && !strncmp(p, s, n))
			return 1;
		p = bar ? bar + 1 : NULL;
	}
	return 0;
}

/* Check `text` against the option; fill i/f. Message names where. */
static int check_value(const struct plume_option *o, const char *section, const char *text,
		       const char *origin, int64_t *i, double *f, struct plume_error *err)
{
	char *end;
	int b;

	switch (o->type) {
	case PLUME_OPT_INT: {
		long long v;

		errno = 0;
		v = strtoll(text, &end, 0);
		if (errno || end == text || *end)
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: %s.%s = '%s': expected an integer", origin,
					       section, o->name, text);
		if (o->min <= o->max && ((double)v < o->min || (double)v > o->max))
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: %s.%s = %lld: out of range [%.17g, %.17g]", origin,
					       section, o->name, v, o->min, o->max);
		*i = v;
		*f = (double)v;
		return 0;
	}
	case PLUME_OPT_FLOAT: {
		double v;

		errno = 0;
		v = strtod(text, &end);
		if (errno || end == text || *end || !isfinite(v))
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: %s.%s = '%s': expected a number", origin, section,
					       o->name, text);
		if (o->min <= o->max && (v < o->min || v > o->max))
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: %s.%s = %g: out of range [%g, %g]", origin, section,
					       o->name, v, o->min, o->max);
		*f = v;
		*i = (int64_t)v;
		return 0;
	}
	case PLUME_OPT_BOOL:
		if (parse_bool(text, &b))
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: %s.%s = '%s': expected true or false", origin,
					       section, o->name, text);
		*i = b;
		*f = b;
		return 0;
	case PLUME_OPT_ENUM:
		if (!enum_has(o->choices, text))
			return plume_error_set(err, PLUME_ERR_INVALID,
					       "%s: %s.%s = '%s': expected one of %s", origin, section,
					       o->name, text, o->choices ? o->choices : "(none)");
		return 0;
	case PLUME_OPT_STRING:
		return 0;
	default:
		return plume_error_set(err, PLUME_ERR_INVALID, "%s.%s: option has unknown type %u",
				       section, o->name, o->type);
	}
}

/* ---- entries ---------------------------------------------------------- */

int plume_cfg_create(struct plume_cfg **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? PLUME_OK : PLUME_ERR_NOMEM;
}

void plume_config_view_destroy(struct plume_config *view)
{
	if (!view)
		return;
	for (size_t i = 0; i < view->n; i++)
		free(view->v[i].text);
	free(view->v);
	free(view);
}

void plume_cfg_destroy(struct plume_cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++)
		free(cfg->e[i].value);
	for (size_t i = 0; i < cfg->n_views; i++)
		plume_config_view_destroy(cfg->views[i]);
	free(cfg->views);
	free(cfg->e);
	free(cfg);
}

static struct entry *find_entry(const struct plume_cfg *cfg, const char *section, const char *key)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->e[i].section, section) && !strcmp(cfg->e[i].key, key))
			return &cfg->e[i];
	return NULL;
}

/* Core sections are checked as soon as a value arrives. */
static int check_core(const char *section, const char *key, const char *value,
		      const char *origin, struct plume_error *err)
{
	const struct core_key *ck;
	int64_t i;
	double f;

	if (!is_core_section(section))
		return 0;
	ck = find_core_key(section, key);
	if (!ck)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: unknown key '%s' in [%s]",
				       origin, key, section);
	return check_value(&ck->opt, section, value, origin, &i, &f, err);
}

static int put(struct plume_cfg *cfg, const char *section, const char *key, const char *value,
	       const char *origin, int from_file, struct plume_error *err)
{
	struct entry *e;
	int rc;

	if (!*section)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: key '%s' outside any section",
				       origin, key);
	if (strlen(section) >= MAX_NAME || strlen(key) >= MAX_NAME)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: section or key name too long",
				       origin);
	rc = check_core(section, key, value, origin, err);
	if (rc)
		return rc;
	e = find_entry(cfg, section, key);
	if (e && from_file && e->from_file)
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s: duplicate key '%s' in [%s] (first set at %s)", origin,
				       key, section, e->origin);
	if (!e) {
		if (cfg->n == cfg->cap) {
			size_t cap = cfg->cap ? cfg->cap * 2 : 32;
			struct entry *ne = realloc(cfg->e, cap * sizeof(*ne));

			if (!ne)
				return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
			cfg->e = ne;
			cfg->cap = cap;
		}
		e = &cfg->e[cfg->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->section, sizeof(e->section), "%s", section);
		snprintf(e->key, sizeof(e->key), "%s", key);
	}
	free(e->value);
	e->value = strdup(value);
	if (!e->value)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	snprintf(e->origin, sizeof(e->origin), "%s", origin);
	e->from_file = from_file;
	return PLUME_OK;
}

/* inih handler: called once per key; cfg->line counts lines read. */
static int on_ini_value(void *user, const char *section, const char *name, const char *value)
{
	struct plume_cfg *cfg = user;
	char origin[300];

	if (cfg->parse_status)
		return 0;
	snprintf(origin, sizeof(origin), "%s:%d", cfg->path, cfg->line);
	if (!name) /* a section header alone */
		return 1;
	cfg->parse_status = put(cfg, section, name, value ? value : "", origin, 1, cfg->err);
	return cfg->parse_status == 0;
}

struct line_reader {
	FILE *f;
	int *line;
};

static char *read_line(char *buf, int size, void *stream)
{
	struct line_reader *r = stream;
	char *s = fgets(buf, size, r->f);

	if (s)
		(*r->line)++;
	return s;
}

int plume_cfg_load_file(struct plume_cfg *cfg, const char *path, struct plume_error *err)
{
	struct line_reader r;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f)
		return plume_error_set(err, PLUME_ERR_IO, "%s: cannot open config: %s", path,
				       strerror(errno));
	cfg->path = path;
	cfg->line = 0;
	cfg->parse_status = 0;
	cfg->err = err;
	r.f = f;
	r.line = &cfg->line;
	rc = ini_parse_stream(read_line, &r, on_ini_value, cfg);
	fclose(f);
	if (cfg->parse_status)
		return cfg->parse_status;
	if (rc > 0)
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s:%d: syntax error (expected [section] or key = value)",
				       path, rc);
	if (rc < 0)
		return plume_error_set(err, PLUME_ERR_IO, "%s: cannot read config", path);
	/* model.path relative to the config file's directory */
	{
		struct entry *e = find_entry(cfg, "model", "path");
		const char *slash = strrchr(path, '/');

		if (e && e->from_file && e->value[0] && e->value[0] != '/' && e->value[0] != '$' &&
		    e->value[0] != '~' && slash) {
			size_t dlen = (size_t)(slash - path) + 1;
			char *abs = malloc(dlen + strlen(e->value) + 1);

			if (!abs)
				return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
			memcpy(abs, path, dlen);
			strcpy(abs + dlen, e->value);
			free(e->value);
			e->value = abs;
		}
	}
	return PLUME_OK;
}

int plume_cfg_set(struct plume_cfg *cfg, const char *assignment, const char *origin,
		  struct plume_error *err)
{
	const char *eq = strchr(assignment, '=');
	const char *dot;
	char lhs[2 * MAX_NAME];
	size_t n;

	if (!eq)
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s '%s': expected section.key=value", origin, assignment);
	n = (size_t)(eq - assignment);
	if (n >= sizeof(lhs))
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: key too long", origin);
	memcpy(lhs, assignment, n);
	lhs[n] = '\0';
	while (n && (lhs[n - 1] == ' ' || lhs[n - 1] == '\t'))
		lhs[--n] = '\0';
	dot = strrchr(lhs, '.');
	if (!dot || dot == lhs || !dot[1])
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s '%s': expected section.key=value", origin, assignment);
	lhs[dot - lhs] = '\0';
	eq++;
	while (*eq == ' ' || *eq == '\t')
		eq++;
	return put(cfg, lhs, dot + 1, eq, origin, 0, err);
}

/* ---- core getters ----------------------------------------------------- */

const char *plume_cfg_str(const struct plume_cfg *cfg, const char *section, const char *key)
{
	const struct entry *e = find_entry(cfg, section, key);
	const struct core_key *ck;

	if (e)
		return e->value;
	ck = find_core_key(section, key);
	return ck ? ck->opt.def : "";
}

int64_t plume_cfg_int(const struct plume_cfg *cfg, const char *section, const char *key)
{
	return strtoll(plume_cfg_str(cfg, section, key), NULL, 0);
}

double plume_cfg_float(const struct plume_cfg *cfg, const char *section, const char *key)
{
	return strtod(plume_cfg_str(cfg, section, key), NULL);
}

int plume_cfg_bool(const struct plume_cfg *cfg, const char *section, const char *key)
{
	int b = 0;

	parse_bool(plume_cfg_str(cfg, section, key), &b);
	return b;
}

/* ---- plugin views ----------------------------------------------------- */

static const struct plume_option *desc_option(const struct plume_plugin_desc *d, uint32_t i)
{
	size_t stride = d->option_size ? d->option_size : sizeof(struct plume_option);

	return (const struct plume_option *)((const char *)d->options + i * stride);
}

static int view_build(const struct plume_plugin_desc *d, const char *section,
		      struct plume_config **out, struct plume_error *err)
{
	struct plume_config *v = calloc(1, sizeof(*v));

	if (!v || (d->n_options && !(v->v = calloc(d->n_options, sizeof(*v->v))))) {
		free(v);
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	}
	snprintf(v->section, sizeof(v->section), "%s", section);
	v->n = d->n_options;
	for (uint32_t i = 0; i < d->n_options; i++) {
		const struct plume_option *o = desc_option(d, i);
		char origin[160];
		int rc;

		snprintf(origin, sizeof(origin), "plugin %s default", d->name);
		v->v[i].opt = o;
		v->v[i].text = strdup(o->def ? o->def : "");
		if (!v->v[i].text) {
			plume_config_view_destroy(v);
			return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		}
		rc = check_value(o, section, v->v[i].text, origin, &v->v[i].i, &v->v[i].f, err);
		if (rc) {
			plume_config_view_destroy(v);
			return rc;
		}
	}
	*out = v;
	return PLUME_OK;
}

static int view_set(struct plume_config *v, const char *key, const char *value,
		    const char *origin, struct plume_error *err)
{
	for (size_t i = 0; i < v->n; i++) {
		struct view_value *vv = &v->v[i];
		char *t;
		int rc;

		if (strcmp(vv->opt->name, key))
			continue;
		rc = check_value(vv->opt, v->section, value, origin, &vv->i, &vv->f, err);
		if (rc)
			return rc;
		t = strdup(value);
		if (!t)
			return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		free(vv->text);
		vv->text = t;
		return PLUME_OK;
	}
	return plume_error_set(err, PLUME_ERR_INVALID, "%s: unknown key '%s' in [%s]", origin, key,
			       v->section);
}

int plume_cfg_plugin_view(struct plume_cfg *cfg, const char *section,
			  const struct plume_plugin_desc *desc, const struct plume_config **view,
			  struct plume_error *err)
{
	struct plume_config *v, **nv;
	int rc = view_build(desc, section, &v, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < cfg->n; i++) {
		struct entry *e = &cfg->e[i];

		if (strcmp(e->section, section))
			continue;
		rc = view_set(v, e->key, e->value, e->origin, err);
		if (rc) {
			plume_config_view_destroy(v);
			return rc;
		}
		e->claimed = 1;
	}
	nv = realloc(cfg->views, (cfg->n_views + 1) * sizeof(*nv));
	if (!nv) {
		plume_config_view_destroy(v);
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	}
	cfg->views = nv;
	cfg->views[cfg->n_views++] = v;
	*view = v;
	return PLUME_OK;
}

int plume_cfg_check_unclaimed(const struct plume_cfg *cfg, struct plume_error *err)
{
	for (size_t i = 0; i < cfg->n; i++) {
		const struct entry *e = &cfg->e[i];

		if (is_core_section(e->section) || e->claimed)
			continue;
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s: section [%s] belongs to no loaded plugin (key '%s')",
				       e->origin, e->section, e->key);
	}
	return PLUME_OK;
}

/* Mark a section as claimed after validating it against a plugin that is
 * not in use (so its keys are still checked). */
int plume_cfg_validate_section(struct plume_cfg *cfg, const char *section,
			       const struct plume_plugin_desc *desc, struct plume_error *err)
{
	const struct plume_config *v;

	return plume_cfg_plugin_view(cfg, section, desc, &v, err);
}

int plume_cfg_n_entries(const struct plume_cfg *cfg)
{
	return (int)cfg->n;
}

const char *plume_cfg_entry_section(const struct plume_cfg *cfg, int i)
{
	return cfg->e[i].section;
}

void plume_cfg_explain(const struct plume_cfg *cfg, FILE *out)
{
	const char *last = "";

	for (size_t i = 0; i < N_CORE_KEYS; i++) {
		const struct core_key *ck = &core_keys[i];
		const struct entry *e = find_entry(cfg, ck->section, ck->opt.name);

		if (strcmp(last, ck->section))
			fprintf(out, "%s[%s]\n", i ? "\n" : "", ck->section);
		last = ck->section;
		fprintf(out, "%-14s = %-24s ; %s  (%s)\n", ck->opt.name,
			e ? e->value : ck->opt.def, e ? e->origin : "default", ck->opt.help);
	}
	for (size_t i = 0; i < cfg->n_views; i++) {
		const struct plume_config *v = cfg->views[i];

		fprintf(out, "\n[%s]\n", v->section);
		for (size_t j = 0; j < v->n; j++) {
			const struct entry *e = find_entry(cfg, v->section, v->v[j].opt->name);

			fprintf(out, "%-14s = %-24s ; %s  (%s)\n", v->v[j].opt->name, v->v[j].text,
				e ? e->origin : "default", v->v[j].opt->help);
		}
	}
}

/* ---- standalone views (tests, tools) ---------------------------------- */

int plume_config_view_create(const struct plume_plugin_desc *desc, const char *const *pairs,
			     size_t n_pairs, struct plume_config **view, struct plume_error *err)
{
	struct plume_config *v;
	int rc = view_build(desc, desc->name, &v, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < n_pairs; i++) {
		const char *eq = strchr(pairs[i], '=');
		char key[MAX_NAME];

		if (!eq || (size_t)(eq - pairs[i]) >= sizeof(key)) {
			plume_config_view_destroy(v);
			return plume_error_set(err, PLUME_ERR_INVALID, "'%s': expected key=value",
					       pairs[i]);
		}
		memcpy(key, pairs[i], (size_t)(eq - pairs[i]));
		key[eq - pairs[i]] = '\0';
		rc = view_set(v, key, eq + 1, "view", err);
		if (rc) {
			plume_config_view_destroy(v);
			return rc;
		}
	}
	*view = v;
	return PLUME_OK;
}

/* ---- host->config_* --------------------------------------------------- */

static const struct view_value *view_find(const struct plume_config *cfg, const char *key)
{
	if (!cfg)
		return NULL;
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->v[i].opt->name, key))
			return &cfg->v[i];
	return NULL;
}

int plume_config_get_int(const struct plume_config *cfg, const char *key, int64_t *out)
{
	const struct view_value *v = view_find(cfg, key);

	if (!v)
		return PLUME_ERR_NOTFOUND;
	*out = v->i;
	return PLUME_OK;
}

int plume_config_get_float(const struct plume_config *cfg, const char *key, double *out)
{
	const struct view_value *v = view_find(cfg, key);

	if (!v)
		return PLUME_ERR_NOTFOUND;
	*out = v->f;
	return PLUME_OK;
}

int plume_config_get_bool(const struct plume_config *cfg, const char *key, int *out)
{
	const struct view_value *v = view_find(cfg, key);

	if (!v)
		return PLUME_ERR_NOTFOUND;
	*out = v->i != 0;
	return PLUME_OK;
}

int plume_config_get_string(const struct plume_config *cfg, const char *key, const char **out)
{
	const struct view_value *v = view_find(cfg, key);

	if (!v)
		return PLUME_ERR_NOTFOUND;
	*out = v->text;
	return PLUME_OK;
}
