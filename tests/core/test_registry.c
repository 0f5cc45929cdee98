/* Registry: finding plugins, refusing broken ones with one-line messages. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "registry.h"

static struct plume_error err;

static int open_fake(const char *name, struct plume_plugin **p)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/plume-strategy-%s.so", FAKE_DIR, name);
	plume_error_clear(&err);
	return plume_plugin_open(PLUME_KIND_STRATEGY, path, NULL, p, &err);
}

Test(registry, loads_a_good_plugin_by_path)
{
	struct plume_plugin *p = NULL;

	cr_assert_eq(open_fake("good", &p), PLUME_OK, "%s", err.msg);
	cr_assert_str_eq(p->desc.name, "fake");
	cr_assert_not_null(p->ops.strategy.step);
	plume_plugin_close(p);
}

Test(registry, finds_a_plugin_by_name_along_the_search_path)
{
	struct plume_plugin *p = NULL;

	plume_error_clear(&err);
	cr_assert_eq(plume_plugin_open(PLUME_KIND_STRATEGY, "good", "/nonexistent:" FAKE_DIR, &p,
				       &err), PLUME_OK, "%s", err.msg);
	cr_assert(strstr(p->path, "plume-strategy-good.so"));
	plume_plugin_close(p);
}

Test(registry, refuses_another_abi_major_naming_both_versions)
{
	struct plume_plugin *p = NULL;
	char want[64];

	cr_assert_eq(open_fake("badabi", &p), PLUME_ERR_ABI);
	cr_assert_null(p);
	snprintf(want, sizeof(want), "plugin ABI %d.", PLUME_ABI_MAJOR + 1);
	cr_assert(strstr(err.msg, want), "%s", err.msg);
	snprintf(want, sizeof(want), "speaks ABI %d.%d", PLUME_ABI_MAJOR, PLUME_ABI_MINOR);
	cr_assert(strstr(err.msg, want), "%s", err.msg);
	cr_assert(strstr(err.msg, "plume-strategy-badabi.so"), "%s", err.msg);
}

Test(registry, refuses_a_missing_required_operation)
{
	struct plume_plugin *p = NULL;

	cr_assert_eq(open_fake("noops", &p), PLUME_ERR_ABI);
	cr_assert(strstr(err.msg, "'step' is missing"), "%s", err.msg);
}

Test(registry, refuses_the_wrong_kind)
{
	struct plume_plugin *p = NULL;

	cr_assert_eq(open_fake("wrongkind", &p), PLUME_ERR_ABI);
	cr_assert(strstr(err.msg, "is a backend plugin, expected a strategy plugin"), "%s", err.msg);
}

Test(registry, reports_a_missing_plugin_with_the_search_path)
{
	struct plume_plugin *p = NULL;

	plume_error_clear(&err);
	cr_assert_eq(plume_plugin_open(PLUME_KIND_BACKEND, "nosuch", "/a:/b", &p, &err),
		     PLUME_ERR_NOTFOUND);
	cr_assert(strstr(err.msg, "plume-backend-nosuch.so"), "%s", err.msg);
	cr_assert(strstr(err.msg, "/a:/b"), "%s", err.msg);
	cr_assert_null(strchr(err.msg, '\n'));
}

Test(registry, reports_dlopen_failure_of_a_non_library)
{
	struct plume_plugin *p = NULL;
	char path[] = "/tmp/plume-test-notalib-XXXXXX.so";
	int fd = mkstemps(path, 3);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "not an elf file", 15), 15);
	close(fd);
	plume_error_clear(&err);
	cr_assert_eq(plume_plugin_open(PLUME_KIND_STRATEGY, path, NULL, &p, &err), PLUME_ERR_IO);
	cr_assert(strstr(err.msg, "cannot load"), "%s", err.msg);
	unlink(path);
}
