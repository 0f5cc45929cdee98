/* ABI 1.x: these sizes change only by growing a struct at its end (then
 * update the table and bump PLUME_ABI_MINOR; 1.1 grew the KV descriptor, the
 * batch and the backend table for the sliding-window pool; 1.2 the logits
 * toolkit for log_sum_exp) or with a new
 * major.
 * Every plugin exports exactly one dynamic symbol, plume_plugin_entry. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plume/backend.h"
#include "plume/strategy.h"
#include "plume/tokenizer.h"

#define SIZE(type, n) cr_expect_eq(sizeof(type), (size_t)(n), #type " is %zu bytes, ABI 1.1 has %d", sizeof(type), (n))

Test(abi, struct_sizes_are_frozen_for_abi_1_1)
{
	cr_assert_eq(PLUME_ABI_MAJOR, 1);
	if (sizeof(void *) != 8)
		cr_skip_test("sizes are recorded for LP64 targets");
	SIZE(struct plume_option, 56);
	SIZE(struct plume_engine_params, 40);
	SIZE(struct plume_host, 112);
	SIZE(struct plume_plugin_desc, 64);
	SIZE(struct plume_tensor, 64);
	SIZE(struct plume_layer, 152);
	SIZE(struct plume_model_desc, 168);
	SIZE(struct plume_backend_info, 40);
	SIZE(struct plume_kv_desc, 24);      /* 1.1: + n_blocks_swa */
	SIZE(struct plume_batch, 120);       /* 1.1: + swa_block_tables */
	SIZE(struct plume_backend_ops, 96);  /* 1.1: + kv_block_bytes_swa, kv_copy_swa */
	SIZE(struct plume_str, 16);
	SIZE(struct plume_vocab, 144);
	SIZE(struct plume_tokenizer_info, 56);
	SIZE(struct plume_tokenizer_ops, 64);
	SIZE(struct plume_candidate, 12);
	SIZE(struct plume_candidates, 24);
	SIZE(struct plume_logits_api, 168);
	SIZE(struct plume_request, 56);
	SIZE(struct plume_search_api, 120);
	SIZE(struct plume_strategy_ops, 72);
}

Test(abi, every_versioned_struct_starts_with_size_and_minor)
{
	cr_expect_eq(offsetof(struct plume_host, size), 0);
	cr_expect_eq(offsetof(struct plume_host, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_plugin_desc, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_model_desc, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_batch, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_vocab, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_request, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_backend_ops, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_tokenizer_ops, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_strategy_ops, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_search_api, abi_minor), 4);
	cr_expect_eq(offsetof(struct plume_logits_api, abi_minor), 4);
}

Test(abi, every_plugin_exports_exactly_one_symbol)
{
	const char *dir = getenv("PLUME_PLUGIN_PATH");
	struct dirent *de;
	int n_plugins = 0;
	DIR *d;

	cr_assert_not_null(dir, "PLUME_PLUGIN_PATH is not set (run through ctest)");
	d = opendir(dir);
	cr_assert_not_null(d, "cannot open %s", dir);
	while ((de = readdir(d))) {
		char cmd[2048], line[512], *syms = calloc(1, 65536);
		size_t used = 0;
		int count = 0;
		FILE *p;

		if (strncmp(de->d_name, "plume-", 6) || !strstr(de->d_name, ".so")) {
			free(syms);
			continue;
		}
		snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s/%s' 2>&1", dir, de->d_name);
		p = popen(cmd, "r");
		cr_assert_not_null(p);
		while (fgets(line, sizeof(line), p)) {
			char type = 0, name[400] = "";

			/* "ADDR T name": count text, data and bss symbols */
			if (sscanf(line, "%*s %c %399s", &type, name) != 2)
				continue;
			if (strchr("TDBRVWiu", type)) {
				count++;
				used += (size_t)snprintf(syms + used, 65536 - used, " %s", name);
			}
		}
		cr_assert_eq(pclose(p), 0, "nm failed on %s", de->d_name);
		cr_expect_eq(count, 1, "%s exports %d symbols:%s", de->d_name, count, syms);
		cr_expect(strstr(syms, "plume_plugin_entry"), "%s lacks plume_plugin_entry", de->d_name);
		free(syms);
		n_plugins++;
	}
	closedir(d);
	cr_assert_geq(n_plugins, 1, "no plugin found in %s", dir);
	printf("abi: %d plugins checked in %s\n", n_plugins, dir);
}
