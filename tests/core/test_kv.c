/* KV block manager: allocation, forks sharing blocks, copy-on-write. */
#include <criterion/criterion.h>

#include <string.h>

#include "kv.h"

static struct plume_error err;

Test(kv, appends_a_block_per_block_size_positions)
{
	struct plume_kv kv;
	struct plume_kv_table t = {0};
	uint32_t cs, cd;

	cr_assert_eq(plume_kv_init(&kv, 8, 4), 0);
	for (uint32_t p = 0; p < 9; p++) {
		cr_assert_eq(plume_kv_prepare_write(&kv, &t, p, &cs, &cd, &err), 0, "%s", err.msg);
		cr_assert_eq(cs, UINT32_MAX);
	}
	cr_assert_eq(t.n, 3);
	cr_assert_eq(plume_kv_used(&kv), 3);
	plume_kv_table_release(&kv, &t);
	cr_assert_eq(plume_kv_used(&kv), 0);
	plume_kv_fini(&kv);
}

Test(kv, fork_shares_blocks_and_copies_on_write_of_the_tail)
{
	struct plume_kv kv;
	struct plume_kv_table a = {0}, b = {0};
	uint32_t cs, cd;

	cr_assert_eq(plume_kv_init(&kv, 16, 4), 0);
	for (uint32_t p = 0; p < 6; p++) /* blocks: full, half */
		cr_assert_eq(plume_kv_prepare_write(&kv, &a, p, &cs, &cd, &err), 0);
	cr_assert_eq(plume_kv_table_fork(&kv, &b, &a, &err), 0);
	cr_assert_eq(plume_kv_used(&kv), 2, "a fork takes no new block");
	cr_assert_eq(kv.refs[a.ids[0]], 2);
	/* b writes position 6, inside the shared half block: private copy. */
	cr_assert_eq(plume_kv_prepare_write(&kv, &b, 6, &cs, &cd, &err), 0);
	cr_assert_eq(cs, a.ids[1]);
	cr_assert_eq(cd, b.ids[1]);
	cr_assert_neq(b.ids[1], a.ids[1]);
	cr_assert_eq(b.ids[0], a.ids[0], "full blocks stay shared");
	cr_assert_eq(kv.refs[a.ids[1]], 1);
	/* a writes position 6 too: its block is now private, no copy. */
	cr_assert_eq(plume_kv_prepare_write(&kv, &a, 6, &cs, &cd, &err), 0);
	cr_assert_eq(cs, UINT32_MAX);
	cr_assert_eq(plume_kv_used(&kv), 3);
	plume_kv_table_release(&kv, &a);
	cr_assert_eq(plume_kv_used(&kv), 2);
	plume_kv_table_release(&kv, &b);
	cr_assert_eq(plume_kv_used(&kv), 0);
	plume_kv_fini(&kv);
}

Test(kv, exhausted_pool_is_an_error_not_a_crash)
{
	struct plume_kv kv;
	struct plume_kv_table t = {0};
	uint32_t cs, cd;

	cr_assert_eq(plume_kv_init(&kv, 2, 2), 0);
	cr_assert_eq(plume_kv_prepare_write(&kv, &t, 0, &cs, &cd, &err), 0);
	cr_assert_eq(plume_kv_prepare_write(&kv, &t, 2, &cs, &cd, &err), 0);
	cr_assert_eq(plume_kv_prepare_write(&kv, &t, 4, &cs, &cd, &err), PLUME_ERR_NOMEM);
	cr_assert(strstr(err.msg, "kv cache full"), "%s", err.msg);
	cr_assert_eq(plume_kv_prepare_write(&kv, &t, 9, &cs, &cd, &err), PLUME_ERR_INTERNAL);
	plume_kv_table_release(&kv, &t);
	plume_kv_fini(&kv);
}

Test(kv, blocks_are_reused_after_release)
{
	struct plume_kv kv;
	struct plume_kv_table t = {0};
	uint32_t cs, cd;

	cr_assert_eq(plume_kv_init(&kv, 3, 1), 0);
	for (int round = 0; round < 10; round++) {
		for (uint32_t p = 0; p < 3; p++)
			cr_assert_eq(plume_kv_prepare_write(&kv, &t, p, &cs, &cd, &err), 0);
		plume_kv_table_release(&kv, &t);
	}
	cr_assert_eq(kv.peak_used, 3);
	plume_kv_fini(&kv);
}

/* A sliding-window pool: blocks wholly below the window are released (their
 * entries become PLUME_KV_NO_BLOCK), a long sequence runs in a pool much
 * smaller than its length, forks share and release consistently, and a
 * write into a released block is an error. */
Test(kv, trim_releases_blocks_below_the_window)
{
	struct plume_kv kv;
	struct plume_kv_table a = {0}, b = {0};
	const uint32_t bs = 4, window = 6;
	uint32_t cs, cd;

	/* window 6 with one-token steps needs ceil((6 - 1 + 1) / 4) + 1 = 3
	 * blocks at most; give it 4 and run 100 positions */
	cr_assert_eq(plume_kv_init(&kv, 4, bs), 0);
	for (uint32_t p = 0; p < 100; p++) {
		cr_assert_eq(plume_kv_prepare_write(&kv, &a, p, &cs, &cd, &err), 0, "position %u: %s",
			     p, err.msg);
		if (p + 2 > window)
			plume_kv_table_trim(&kv, &a, p + 2 - window);
		cr_assert_leq(plume_kv_used(&kv), 3, "position %u holds %u blocks", p,
			      plume_kv_used(&kv));
	}
	cr_assert_eq(a.n, 25, "the table still indexes every block");
	for (uint32_t k = 0; k + 2 < a.n; k++)
		cr_assert_eq(a.ids[k], PLUME_KV_NO_BLOCK, "block %u kept", k);
	cr_assert_neq(a.ids[a.n - 1], PLUME_KV_NO_BLOCK);
	cr_assert_neq(plume_kv_prepare_write(&kv, &a, 3, &cs, &cd, &err), 0,
		      "a write into a released block must fail");
	/* fork: the child shares the live blocks only */
	cr_assert_eq(plume_kv_table_fork(&kv, &b, &a, &err), 0);
	cr_assert_eq(kv.refs[a.ids[a.n - 1]], 2);
	cr_assert_eq(plume_kv_table_trim(&kv, &b, 100), 2, "the child drops its two references");
	cr_assert_eq(kv.refs[a.ids[a.n - 1]], 1);
	plume_kv_table_release(&kv, &b);
	plume_kv_table_release(&kv, &a);
	cr_assert_eq(plume_kv_used(&kv), 0);
	plume_kv_fini(&kv);
}
