/* plume plugin ABI, common part: status codes, the descriptor every plugin
 * returns from its one exported entry symbol, the host services table, and
 * the option tables through which a plugin declares its config keys.
 *
 * Rules (see docs/plugins.md):
 *  - a plugin exports exactly one symbol, PLUME_PLUGIN_ENTRY_SYMBOL, of type
 *    plume_plugin_entry_fn, returning a pointer to a static descriptor;
 *  - every struct crossing the boundary starts with `uint32_t size` (sizeof
 *    the struct as the side that filled it was built) and `uint32_t
 *    abi_minor`; within one ABI major, structs only grow at the end and the
 *    receiving side copies min(size, own sizeof) bytes into a zeroed struct;
 *  - members added after 1.0 are optional, with the NULL/zero default written
 *    next to them;
 *  - plugins never exit, abort or print: they return a status and describe
 *    failures through host->error(). */
#ifndef PLUME_PLUGIN_H
#define PLUME_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLUME_ABI_MAJOR 1
#define PLUME_ABI_MINOR 2

#define PLUME_PLUGIN_ENTRY_SYMBOL "plume_plugin_entry"

#if defined(__GNUC__)
#define PLUME_EXPORT __attribute__((visibility("default")))
#else
#define PLUME_EXPORT
#endif

/* Status codes: 0 ok, negative error, positive a non-error signal. */
enum plume_status {
	PLUME_OK = 0,
	PLUME_FINISHED = 1,           /* a strategy has finished every sequence */
	PLUME_ERR_INVALID = -1,       /* bad argument or bad config value */
	PLUME_ERR_NOMEM = -2,         /* host or device allocation failed */
	PLUME_ERR_IO = -3,            /* file or device I/O failed */
	PLUME_ERR_UNSUPPORTED = -4,   /* not implemented for this input */
	PLUME_ERR_NODEVICE = -5,      /* the device this plugin drives is absent */
	PLUME_ERR_RANGE = -6,         /* value out of range (context full, ...) */
	PLUME_ERR_ABI = -7,           /* ABI mismatch */
	PLUME_ERR_TOOSMALL = -8,      /* caller buffer too small; needed size reported */
	PLUME_ERR_INTERNAL = -9,      /* a bug: an invariant did not hold */
	PLUME_ERR_NOTFOUND = -10,     /* key, token, control request unknown */
};

enum plume_plugin_kind {
	PLUME_KIND_BACKEND = 1,
	PLUME_KIND_TOKENIZER = 2,
	PLUME_KIND_STRATEGY = 3,
};

enum plume_log_level {
	PLUME_LOG_ERROR = 0,
	PLUME_LOG_WARN = 1,
	PLUME_LOG_INFO = 2,
	PLUME_LOG_DEBUG = 3,
};

/* Host-owned error record. Opaque to plugins: fill it only through
 * host->error(). The message is one line, lower case, naming the offending
 * value and what was expected. */
struct plume_error;

/* Host-owned, read-only view of one plugin's config section. Values have been
 * validated against the plugin's option table before the plugin sees them. */
struct plume_config;

/* ---- option tables ------------------------------------------------------ */

enum plume_option_type {
	PLUME_OPT_INT = 1,    /* int64; min/max bound it */
	PLUME_OPT_FLOAT = 2,  /* double; min/max bound it */
	PLUME_OPT_BOOL = 3,   /* true/false, yes/no, on/off, 1/0 */
	PLUME_OPT_STRING = 4, /* any string */
	PLUME_OPT_ENUM = 5,   /* one of `choices`, a '|'-separated list */
};

/* One config key a plugin accepts in its section ([backend.cpu],
 * [strategy.beam], ...). Tables are static arrays owned by the plugin; the
 * host reads them while the plugin is loaded. Entries are strided by the
 * descriptor's option_size so that the entry may grow. */
struct plume_option {
	const char *name;        /* required: key within the section */
	uint32_t type;           /* required: enum plume_option_type */
	const char *def;         /* required: default, as text ("" = empty) */
	double min, max;         /* INT/FLOAT bounds, inclusive; min > max = unbounded */
	const char *choices;     /* ENUM: "a|b|c"; NULL otherwise */
	const char *help;        /* required: one line for `plume config --explain` */
};

/* ---- engine-wide parameters given to every plugin at create -------------- */

struct plume_engine_params {
	uint32_t size, abi_minor;
	uint32_t n_threads;      /* engine.threads (>= 1) */
	uint64_t seed;           /* engine.seed */
	int32_t log_level;       /* enum plume_log_level: most verbose wanted */
	uint32_t reserved0;      /* ABI 1.2: zero */
	/* ABI 1.2 (an older host's shorter struct reads as 0 = unknown): the
	 * most sequences the strategy keeps alive, so the most one decode
	 * step carries. A backend may prepare for batches that large when it
	 * loads the model (the CPU backend packs its decode-batch weights). */
	uint32_t max_seqs;
};

/* ---- host services ------------------------------------------------------ */

struct plume_logits_api; /* plume/logits.h */

struct plume_host {
	uint32_t size, abi_minor;
	uint32_t abi_major;

	/* Memory: counted by the host; failure can be injected in tests.
	 * alloc(0) may return NULL. free(NULL) is a no-op. */
	void *(*alloc)(size_t n_bytes);
	void *(*calloc)(size_t n, size_t elem_size);
	void *(*realloc)(void *p, size_t n_bytes);
	void (*free)(void *p);

	/* Diagnostics: log goes to the host's log (stderr by default, filtered
	 * by level). error() fills the host-owned record and returns `status`
	 * so that `return host->error(err, PLUME_ERR_INVALID, "...", ...);`
	 * reads naturally. err may be NULL (the message is then dropped). */
	void (*log)(int level, const char *who, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	int (*error)(struct plume_error *err, int status, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* Config access for the plugin's own section; `key` is the name
	 * declared in the option table. Return PLUME_ERR_NOTFOUND for an
	 * undeclared key. Strings are owned by the host and live as long as
	 * the config view. */
	int (*config_int)(const struct plume_config *cfg, const char *key, int64_t *out);
	int (*config_float)(const struct plume_config *cfg, const char *key, double *out);
	int (*config_bool)(const struct plume_config *cfg, const char *key, int *out);
	int (*config_string)(const struct plume_config *cfg, const char *key, const char **out);

	/* Monotonic clock in nanoseconds. */
	uint64_t (*now_ns)(void);

	/* The logits toolkit (plume/logits.h); never NULL for ABI 1.0. */
	const struct plume_logits_api *logits;
};

/* ---- the descriptor ----------------------------------------------------- */

struct plume_plugin_desc {
	uint32_t size, abi_minor;
	uint32_t abi_major;      /* required: PLUME_ABI_MAJOR the plugin was built with */
	uint32_t kind;           /* required: enum plume_plugin_kind */
	const char *name;        /* required: "cpu", "bpe", "greedy", ... */
	const char *version;     /* required: the plugin's own version, "1.2.0" */
	const char *description; /* required: one line */
	const struct plume_option *options; /* optional: may be NULL when n_options is 0 */
	uint32_t n_options;
	uint32_t option_size;    /* required when n_options > 0: sizeof(struct plume_option) */
	const void *ops;         /* required: the kind's ops table (backend.h, tokenizer.h, strategy.h) */
};

typedef const struct plume_plugin_desc *(*plume_plugin_entry_fn)(void);

/* Define the entry point of a plugin: PLUME_PLUGIN_DEFINE(my_desc); */
#define PLUME_PLUGIN_DEFINE(desc_var)                                          \
	PLUME_EXPORT const struct plume_plugin_desc *plume_plugin_entry(void)  \
	{                                                                      \
		return &(desc_var);                                            \
	}

/* Size of a struct as exchanged, for the copy-into-zeroed-struct rule. */
#define PLUME_STRUCT_INIT(type) {.size = sizeof(type), .abi_minor = PLUME_ABI_MINOR}

#ifdef __cplusplus
}
#endif
#endif /* PLUME_PLUGIN_H */
