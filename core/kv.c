/* KV cache block manager: free list, reference counts, block tables with
 * copy-on-write. */
#include "kv.h"

#include <stdlib.h>
#include <string.h>

int plume_kv_init(struct plume_kv *kv, uint32_t n_blocks, uint32_t block_size)
{
	memset(kv, 0, sizeof(*kv));
	kv->refs = calloc(n_blocks ? n_blocks : 1, sizeof(*kv->refs));
	kv->free_ids = malloc((n_blocks ? n_blocks : 1) * sizeof(*kv->free_ids));
	if (!kv->refs || !kv->free_ids) {
		plume_kv_fini(kv);
		return PLUME_ERR_NOMEM;
	}
	kv->n_blocks = n_blocks;
	kv->block_size = block_size;
	/* Hand out low ids first. */
	for (uint32_t i = 0; i < n_blocks; i++)
		kv->free_ids[i] = n_blocks - 1 - i;
	kv->n_free = n_blocks;
	return PLUME_OK;
}

void plume_kv_fini(struct plume_kv *kv)
{
	free(kv->refs);
	free(kv->free_ids);
	memset(kv, 0, sizeof(*kv));
}

uint32_t plume_kv_used(const struct plume_kv *kv)
{
	return kv->n_blocks - kv->n_free;
}

static int take_block(struct plume_kv *kv, uint32_t *id, struct plume_error *err)
{
	if (!kv->n_free)
		return plume_error_set(err, PLUME_ERR_NOMEM,
				       "kv cache full: all %u blocks of %u tokens in use",
				       kv->n_blocks, kv->block_size);
	*id = kv->free_ids[--kv->n_free];
	kv->refs[*id] = 1;
	if (plume_kv_used(kv) > kv->peak_used)
		kv->peak_used = plume_kv_used(kv);
	return PLUME_OK;
}

static void unref(struct plume_kv *kv, uint32_t id)
{
	if (--kv->refs[id] == 0)
		kv->free_ids[kv->n_free++] = id;
}

static int table_reserve(struct plume_kv_table *t, uint32_t n, struct plume_error *err)
{
	uint32_t cap;
	uint32_t *ids;

	if (n <= t->cap)
		return PLUME_OK;
	cap = t->cap ? t->cap : 8;
	while (cap < n)
		cap *= 2;
	ids = realloc(t->ids, cap * sizeof(*ids));
	if (!ids)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory (block table)");
	t->ids = ids;
	t->cap = cap;
	return PLUME_OK;
}

int plume_kv_table_fork(struct plume_kv *kv, struct plume_kv_table *dst,
			const struct plume_kv_table *src, struct plume_error *err)
{
	int rc = table_reserve(dst, src->n, err);

	if (rc)
		return rc;
	memcpy(dst->ids, src->ids, src->n * sizeof(*src->ids));
	dst->n = src->n;
	for (uint32_t i = 0; i < src->n; i++)
		if (src->ids[i] != PLUME_KV_NO_BLOCK)
			kv->refs[src->ids[i]]++;
	return PLUME_OK;
}

void plume_kv_table_release(struct plume_kv *kv, struct plume_kv_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->ids[i] != PLUME_KV_NO_BLOCK)
			unref(kv, t->ids[i]);
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

uint32_t plume_kv_table_trim(struct plume_kv *kv, struct plume_kv_table *t, uint32_t first_pos)
{
	uint32_t n = first_pos / kv->block_size, freed = 0;

	for (uint32_t b = 0; b < n && b < t->n; b++)
		if (t->ids[b] != PLUME_KV_NO_BLOCK) {
			unref(kv, t->ids[b]);
			t->ids[b] = PLUME_KV_NO_BLOCK;
			freed++;
		}
	return freed;
}

int plume_kv_prepare_write(struct plume_kv *kv, struct plume_kv_table *t, uint32_t pos,
			   uint32_t *copy_src, uint32_t *copy_dst, struct plume_error *err)
{
	uint32_t b = pos / kv->block_size, id = 0;
	int rc;

	*copy_src = *copy_dst = UINT32_MAX;
	if (b > t->n)
		return plume_error_set(err, PLUME_ERR_INTERNAL,
				       "kv: write at position %u skips blocks (table has %u)", pos,
				       t->n);
	if (b == t->n) {
		rc = table_reserve(t, t->n + 1, err);
		if (rc)
			return rc;
		rc = take_block(kv, &id, err);
		if (rc)
			return rc;
		t->ids[t->n++] = id;
		return PLUME_OK;
	}
	if (t->ids[b] == PLUME_KV_NO_BLOCK)
		return plume_error_set(err, PLUME_ERR_INTERNAL,
				       "kv: write at position %u into a released block", pos);
	if (kv->refs[t->ids[b]] <= 1)
		return PLUME_OK;
	/* Shared: private copy of the block before writing into it. */
	rc = take_block(kv, &id, err);
	if (rc)
		return rc;
	*copy_src = t->ids[b];
	*copy_dst = id;
	unref(kv, t->ids[b]);
	t->ids[b] = id;
	return PLUME_OK;
}
