/* Plugin registry: search path, dlopen, descriptor and ABI checks. */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PLUME_BUILD_PLUGIN_DIR
#define PLUME_BUILD_PLUGIN_DIR ""
#endif
#ifndef PLUME_INSTALL_PLUGIN_DIR
#define PLUME_INSTALL_PLUGIN_DIR "/usr/local/lib/plume"
#endif
/* The install's plugin directory relative to its bin directory. */
#ifndef PLUME_PLUGIN_DIR_FROM_BIN
#define PLUME_PLUGIN_DIR_FROM_BIN "../lib/plume"
#endif

const char *plume_kind_name(uint32_t kind)
{
	switch (kind) {
	case PLUME_KIND_BACKEND: return "backend";
	case PLUME_KIND_TOKENIZER: return "tokenizer";
	case PLUME_KIND_STRATEGY: return "strategy";
	default: return "unknown";
	}
}

static void append_dir(char **s, size_t *len, const char *dir)
{
	size_t n = strlen(dir);
	char *ns;

	if (!n)
		return;
	ns = realloc(*s, *len + n + 2);
	if (!ns)
		return;
	*s = ns;
	if (*len)
		ns[(*len)++] = ':';
	memcpy(ns + *len, dir, n + 1);
	*len += n;
}

char *plume_plugin_search_path(const char *extra)
{
	char exe[PATH_MAX], dir[PATH_MAX + 32];
	char *s = calloc(1, 1);
	size_t len = 0;
	ssize_t n;

	if (!s)
		return NULL;
	if (extra)
		append_dir(&s, &len, extra);
	if (getenv("PLUME_PLUGIN_PATH"))
		append_dir(&s, &len, getenv("PLUME_PLUGIN_PATH"));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(dir, sizeof(dir), "%s/plugins", exe);
			append_dir(&s, &len, dir);
			snprintf(dir, sizeof(dir), "%s/%s", exe, PLUME_PLUGIN_DIR_FROM_BIN);
			append_dir(&s, &len, dir);
		}
	}
	append_dir(&s, &len, PLUME_BUILD_PLUGIN_DIR);
	append_dir(&s, &len, PLUME_INSTALL_PLUGIN_DIR);
	return s;
}

static int is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Minimum sizes a 1.0 plugin must present, and required operations. */
static int check_ops(struct plume_plugin *p, const void *ops, struct plume_error *err)
{
	uint32_t size, copy, own;

	memcpy(&size, ops, sizeof(size));
	switch (p->desc.kind) {
	case PLUME_KIND_BACKEND: own = sizeof(p->ops.backend); break;
	case PLUME_KIND_TOKENIZER: own = sizeof(p->ops.tokenizer); break;
	default: own = sizeof(p->ops.strategy); break;
	}
	if (size < 2 * sizeof(uint32_t) + sizeof(void *))
		return plume_error_set(err, PLUME_ERR_ABI, "%s: ops table size %u is too small",
				       p->path, size);
	copy = size < own ? size : own;
	memset(&p->ops, 0, sizeof(p->ops));
	memcpy(&p->ops, ops, copy);

#define REQUIRE(tbl, member)                                                              \
	do {                                                                              \
		if (!p->ops.tbl.member)                                                   \
			return plume_error_set(err, PLUME_ERR_ABI,                        \
					       "%s: required operation '%s' is missing",  \
					       p->path, #member);                         \
	} while (0)
	switch (p->desc.kind) {
	case PLUME_KIND_BACKEND:
		REQUIRE(backend, create);
		REQUIRE(backend, destroy);
		REQUIRE(backend, get_info);
		REQUIRE(backend, load_model);
		REQUIRE(backend, kv_block_bytes);
		REQUIRE(backend, kv_init);
		REQUIRE(backend, kv_copy);
		REQUIRE(backend, forward);
		break;
	case PLUME_KIND_TOKENIZER:
		REQUIRE(tokenizer, create);
		REQUIRE(tokenizer, destroy);
		REQUIRE(tokenizer, get_info);
		REQUIRE(tokenizer, encode);
		REQUIRE(tokenizer, piece);
		REQUIRE(tokenizer, decode);
		break;
	case PLUME_KIND_STRATEGY:
		REQUIRE(strategy, create);
		REQUIRE(strategy, destroy);
		REQUIRE(strategy, flags);
		REQUIRE(strategy, max_live);
		REQUIRE(strategy, step);
		break;
	}
#undef REQUIRE
	return PLUME_OK;
}

static int load_file(uint32_t kind, const char *path, struct plume_plugin **out,
		     struct plume_error *err)
{
	struct plume_plugin *p = calloc(1, sizeof(*p));
	const struct plume_plugin_desc *d;
	plume_plugin_entry_fn entry;
	uint32_t size, copy;
	int rc;

	if (!p)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	p->path = strdup(path);
	if (!p->path) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto fail;
	}
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		rc = plume_error_set(err, PLUME_ERR_IO, "%s: cannot load: %s", path, dlerror());
		goto fail;
	}
	*(void **)&entry = dlsym(p->dl, PLUME_PLUGIN_ENTRY_SYMBOL);
	if (!entry) {
		rc = plume_error_set(err, PLUME_ERR_ABI, "%s: not a plume plugin (no symbol %s)",
				     path, PLUME_PLUGIN_ENTRY_SYMBOL);
		goto fail;
	}
	d = entry();
	if (!d) {
		rc = plume_error_set(err, PLUME_ERR_ABI, "%s: entry returned no descriptor", path);
		goto fail;
	}
	size = d->size;
	if (size < offsetof(struct plume_plugin_desc, ops) + sizeof(void *)) {
		rc = plume_error_set(err, PLUME_ERR_ABI, "%s: descriptor size %u is too small",
				     path, size);
		goto fail;
	}
	if (d->abi_major != PLUME_ABI_MAJOR) {
		rc = plume_error_set(err, PLUME_ERR_ABI,
				     "%s: plugin ABI %u.%u, this plume speaks ABI %u.%u (major must match)",
				     path, d->abi_major, d->abi_minor, PLUME_ABI_MAJOR,
				     PLUME_ABI_MINOR);
		goto fail;
	}
	copy = size < sizeof(p->desc) ? size : (uint32_t)sizeof(p->desc);
	memcpy(&p->desc, d, copy);
	if (kind && p->desc.kind != kind) {
		rc = plume_error_set(err, PLUME_ERR_ABI, "%s: is a %s plugin, expected a %s plugin",
				     path, plume_kind_name(p->desc.kind), plume_kind_name(kind));
		goto fail;
	}
	if (p->desc.kind < PLUME_KIND_BACKEND || p->desc.kind > PLUME_KIND_STRATEGY) {
		rc = plume_error_set(err, PLUME_ERR_ABI, "%s: unknown plugin kind %u", path,
				     p->desc.kind);
		goto fail;
	}
	if (!p->desc.name || !p->desc.version || !p->desc.ops ||
	    (p->desc.n_options && (!p->desc.options || !p->desc.option_size))) {
		rc = plume_error_set(err, PLUME_ERR_ABI,
				     "%s: descriptor lacks a name, version, ops or option table",
				     path);
		goto fail;
	}
	for (uint32_t i = 0; i < p->desc.n_options; i++) {
		const struct plume_option *o = (const void *)((const char *)p->desc.options +
							       (size_t)i * p->desc.option_size);
		if (!o->name || !o->def) {
			rc = plume_error_set(err, PLUME_ERR_ABI,
					     "%s: option %u has no name or default", path, i);
			goto fail;
		}
	}
	rc = check_ops(p, p->desc.ops, err);
	if (rc)
		goto fail;
	*out = p;
	return PLUME_OK;
fail:
	plume_plugin_close(p);
	return rc;
}

int plume_plugin_open(uint32_t kind, const char *name_or_path, const char *search_path,
		      struct plume_plugin **out, struct plume_error *err)
{
	char file[256], cand[PATH_MAX];
	size_t n = strlen(name_or_path);
	const char *dir;

	if (!n)
		return plume_error_set(err, PLUME_ERR_INVALID, "empty %s plugin name",
				       plume_kind_name(kind));
	if (strchr(name_or_path, '/') || (n > 3 && !strcmp(name_or_path + n - 3, ".so"))) {
		if (!is_file(name_or_path))
			return plume_error_set(err, PLUME_ERR_NOTFOUND, "%s: %s plugin not found",
					       name_or_path, plume_kind_name(kind));
		return load_file(kind, name_or_path, out, err);
	}
	snprintf(file, sizeof(file), "plume-%s-%s.so", plume_kind_name(kind), name_or_path);
	dir = search_path ? search_path : "";
	while (*dir) {
		const char *colon = strchr(dir, ':');
		size_t len = colon ? (size_t)(colon - dir) : strlen(dir);

		if (len && len < sizeof(cand) - strlen(file) - 2) {
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, dir, file);
			if (is_file(cand))
				return load_file(kind, cand, out, err);
		}
		dir += len + (colon ? 1 : 0);
	}
	return plume_error_set(err, PLUME_ERR_NOTFOUND,
			       "%s: %s plugin '%s' not found (searched %s)", file,
			       plume_kind_name(kind), name_or_path,
			       search_path && *search_path ? search_path : "nothing");
}

void plume_plugin_close(struct plume_plugin *p)
{
	if (!p)
		return;
	if (p->dl)
		dlclose(p->dl);
	free(p->path);
	free(p);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void plume_plugins_list(const char *search_path, FILE *out, int json)
{
	const char *dir = search_path ? search_path : "";
	char **seen = NULL;
	size_t n_seen = 0;
	int first = 1;

	if (json)
		fputs("[", out);
	else
		fprintf(out, "search path: %s\n", dir);
	while (*dir) {
		const char *colon = strchr(dir, ':');
		size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
		char d[PATH_MAX], path[PATH_MAX + 256];
		struct dirent **names = NULL;
		int n;

		snprintf(d, sizeof(d), "%.*s", (int)len, dir);
		dir += len + (colon ? 1 : 0);
		/* The same directory reached twice (build tree = exe dir) is listed once. */
		{
			char *real = realpath(d, NULL);
			int dup = 0;
			char **ns;

			for (size_t k = 0; real && k < n_seen; k++)
				dup |= !strcmp(seen[k], real);
			if (!real || dup) {
				free(real);
				continue;
			}
			ns = realloc(seen, (n_seen + 1) * sizeof(*seen));
			if (!ns) {
				free(real);
				continue;
			}
			seen = ns;
			seen[n_seen++] = real;
		}
		n = scandir(d, &names, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			const char *f = names[i]->d_name;
			size_t fl = strlen(f);
			struct plume_plugin *p = NULL;
			struct plume_error err;

			if (strncmp(f, "plume-", 6) || fl < 4 || strcmp(f + fl - 3, ".so")) {
				free(names[i]);
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s", d, f);
			plume_error_clear(&err);
			load_file(0, path, &p, &err);
			if (json) {
				fprintf(out, "%s{\"path\":", first ? "" : ",");
				json_str(out, path);
				if (p) {
					fprintf(out, ",\"kind\":\"%s\",\"name\":",
						plume_kind_name(p->desc.kind));
					json_str(out, p->desc.name);
					fputs(",\"version\":", out);
					json_str(out, p->desc.version);
					fprintf(out, ",\"abi\":\"%u.%u\",\"description\":",
						p->desc.abi_major, p->desc.abi_minor);
					json_str(out, p->desc.description);
				} else {
					fputs(",\"skipped\":", out);
					json_str(out, err.msg);
				}
				fputs("}", out);
			} else if (p) {
				fprintf(out, "  %-9s %-12s %-8s abi %u.%u  %s\n    %s\n",
					plume_kind_name(p->desc.kind), p->desc.name,
					p->desc.version, p->desc.abi_major, p->desc.abi_minor,
					p->desc.description ? p->desc.description : "", path);
			} else {
				fprintf(out, "  skipped %s\n", err.msg);
			}
			first = 0;
			plume_plugin_close(p);
			free(names[i]);
		}
		free(names);
	}
	for (size_t k = 0; k < n_seen; k++)
		free(seen[k]);
	free(seen);
	if (json)
		fputs("]\n", out);
}
