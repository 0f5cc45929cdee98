/* KV cache block manager (architecture D3): the core owns the block tables
 * and reference counts, the backend owns the memory. A block is shared by
 * every sequence whose table names it; forking a sequence copies its table
 * and takes references (O(blocks)); a sequence about to write into a shared
 * block first gets a private copy (copy-on-write through the backend). */
#ifndef PLUME_CORE_KV_H
#define PLUME_CORE_KV_H

#include <stdint.h>

#include "error.h"
#include "plume/backend.h"

struct plume_kv {
	uint32_t n_blocks;
	uint32_t block_size;
	uint32_t *refs;      /* [n_blocks] */
	uint32_t *free_ids;  /* stack of free block ids */
	uint32_t n_free;
	uint32_t peak_used;
};

/* A sequence's block table. */
struct plume_kv_table {
	uint32_t *ids;
	uint32_t n, cap;
};

int plume_kv_init(struct plume_kv *kv, uint32_t n_blocks, uint32_t block_size);
void plume_kv_fini(struct plume_kv *kv);
uint32_t plume_kv_used(const struct plume_kv *kv);

/* Copy src's table into dst (dst must be empty), taking references. */
int plume_kv_table_fork(struct plume_kv *kv, struct plume_kv_table *dst,
			const struct plume_kv_table *src, struct plume_error *err);
/* Release every block of the table and free it. */
void plume_kv_table_release(struct plume_kv *kv, struct plume_kv_table *t);
/* Release the blocks that hold only positions below first_pos (a
 * sliding-window pool: no query will attend to them again); their entries
 * become PLUME_KV_NO_BLOCK. Returns how many references were dropped. */
uint32_t plume_kv_table_trim(struct plume_kv *kv, struct plume_kv_table *t, uint32_t first_pos);

/* Make position `pos` writable for the table's sequence: append a fresh
 * block when pos starts a new one, or replace a shared block by a private
 * copy. A copy to perform is reported in copy_src and copy_dst (both
 * UINT32_MAX when none); the caller runs the backend's kv_copy before the
 * next forward. PLUME_ERR_NOMEM when the pool is exhausted. */
int plume_kv_prepare_write(struct plume_kv *kv, struct plume_kv_table *t, uint32_t pos,
			   uint32_t *copy_src, uint32_t *copy_dst, struct plume_error *err);

#endif
