/* Plugin registry: find a plugin by kind and name along the search path (or
 * take an explicit path), dlopen it, call its one entry symbol and check the
 * descriptor (ABI major, kind, required operations). Every failure is one
 * line naming the file and the reason. */
#ifndef PLUME_CORE_REGISTRY_H
#define PLUME_CORE_REGISTRY_H

#include <stdio.h>

#include "error.h"
#include "plume/backend.h"
#include "plume/strategy.h"
#include "plume/tokenizer.h"

struct plume_plugin {
	void *dl;
	char *path;
	struct plume_plugin_desc desc;   /* zero-extended copy */
	union {
		struct plume_backend_ops backend;
		struct plume_tokenizer_ops tokenizer;
		struct plume_strategy_ops strategy;
	} ops;                           /* zero-extended copy */
};

const char *plume_kind_name(uint32_t kind);

/* The directories searched, in order, as one ':'-separated string:
 * `extra` (engine.plugin_path), $PLUME_PLUGIN_PATH, the directory of the
 * plume executable's plugins (<exe>/plugins, <exe>/../<libdir>/plume), the build
 * tree, the install prefix. Returned string is malloc'ed. */
char *plume_plugin_search_path(const char *extra);

/* name_or_path: "cpu" finds plume-backend-cpu.so; anything with a '/' or
 * ending in ".so" is a file path. */
int plume_plugin_open(uint32_t kind, const char *name_or_path, const char *search_path,
		      struct plume_plugin **out, struct plume_error *err);
void plume_plugin_close(struct plume_plugin *p);

/* `plume plugins`: every plume-*.so along the path, loaded and checked. */
void plume_plugins_list(const char *search_path, FILE *out, int json);

#endif
