/* Deliberately broken strategy plugins for the registry tests: another ABI
 * major, a missing required operation, the wrong kind; and one good one. */
#include "plume/strategy.h"

static int fk_create(const struct plume_host *host, const struct plume_config *cfg,
		     const struct plume_engine_params *params, void **ctx, struct plume_error *err)
{
	*ctx = 0;
	return 0;
}
static void fk_destroy(void *ctx) {}
static uint32_t fk_flags(void *ctx) { return 0; }
static uint32_t fk_max_live(void *ctx) { return 1; }
__attribute__((unused)) static int fk_step(void *ctx, const struct plume_search_api *api, struct plume_search *s,
		   struct plume_error *err)
{
	return PLUME_FINISHED;
}

static const struct plume_strategy_ops ops = {
	.size = sizeof(struct plume_strategy_ops),
	.abi_minor = PLUME_ABI_MINOR,
	.create = fk_create,
	.destroy = fk_destroy,
	.flags = fk_flags,
	.max_live = fk_max_live,
#ifndef FAKE_NOOPS
	.step = fk_step,
#endif
};

static const struct plume_option opts[] = {
	{"beams", PLUME_OPT_INT, "4", 1, 64, NULL, "number of beams"},
	{"mode", PLUME_OPT_ENUM, "a", 1, 0, "a|b", "a mode"},
};

static const struct plume_plugin_desc desc = {
	.size = sizeof(struct plume_plugin_desc),
	.abi_minor = PLUME_ABI_MINOR,
#ifdef FAKE_BADABI
	.abi_major = PLUME_ABI_MAJOR + 1,
#else
	.abi_major = PLUME_ABI_MAJOR,
#endif
#ifdef FAKE_WRONGKIND
	.kind = PLUME_KIND_BACKEND,
#else
	.kind = PLUME_KIND_STRATEGY,
#endif
	.name = "fake",
	.version = "0.0.1",
	.description = "a test plugin",
	.options = opts,
	.n_options = 2,
	.option_size = sizeof(struct plume_option),
	.ops = &ops,
};

PLUME_PLUGIN_DEFINE(desc)
