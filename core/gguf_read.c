/* GGUF container reader: mmap, full validation before use (docs/gguf.md),
 * typed access to metadata and tensors. */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_MAX_NAME 64
#define GGUF_MAX_STRING (1ull << 30)
#define GGUF_MAX_ARRAY (1ull << 30)

struct kv {
	char *key;
	uint32_t type;
	uint32_t arr_type;
	uint64_t arr_n;
	const uint8_t *val;       /* value (or first array element) in the map */
	const uint8_t **strs;     /* string arrays: element pointers (at their u64 length) */
	uint64_t at;              /* file offset of the pair */
};

/* Open-addressing hash of names -> indices (keys, tensor names), so that
 * duplicate checks and look-ups stay linear in the file size. */
struct index {
	int64_t *slot;            /* -1 empty */
	uint64_t mask;
};

struct plume_gguf {
	char *path;
	uint8_t *map;
	uint64_t size;
	uint32_t version;
	int64_t n_kv, n_tensors;
	struct kv *kv;
	struct plume_tensor *tensors;
	char *names;              /* NUL-terminated tensor names */
	uint64_t data_start;
	uint32_t alignment;
	struct index kv_index, tensor_index;
};

struct type_info {
	const char *name;
	int64_t blck;
	size_t size;
};

/* ggml type ids: names, block elements, block bytes (0 = removed/unknown). */
static const struct type_info types[] = {
	[0] = {"F32", 1, 4},        [1] = {"F16", 1, 2},        [2] = {"Q4_0", 32, 18},
	[3] = {"Q4_1", 32, 20},     [6] = {"Q5_0", 32, 22},     [7] = {"Q5_1", 32, 24},
	[8] = {"Q8_0", 32, 34},     [9] = {"Q8_1", 32, 36},     [10] = {"Q2_K", 256, 84},
	[11] = {"Q3_K", 256, 110},  [12] = {"Q4_K", 256, 144},  [13] = {"Q5_K", 256, 176},
	[14] = {"Q6_K", 256, 210},  [15] = {"Q8_K", 256, 292},  [16] = {"IQ2_XXS", 256, 66},
	[17] = {"IQ2_XS", 256, 74}, [18] = {"IQ3_XXS", 256, 98}, [19] = {"IQ1_S", 256, 50},
	[20] = {"IQ4_NL", 32, 18},  [21] = {"IQ3_S", 256, 110}, [22] = {"IQ2_S", 256, 82},
	[23] = {"IQ4_XS", 256, 136}, [24] = {"I8", 1, 1},       [25] = {"I16", 1, 2},
	[26] = {"I32", 1, 4},       [27] = {"I64", 1, 8},       [28] = {"F64", 1, 8},
	[29] = {"IQ1_M", 256, 56},  [30] = {"BF16", 1, 2},      [34] = {"TQ1_0", 256, 54},
	[35] = {"TQ2_0", 256, 66},  [39] = {"MXFP4", 32, 17},   [40] = {"NVFP4", 64, 36},
	[41] = {"Q1_0", 128, 18},   [42] = {"Q2_0", 64, 18},
};
#define N_TYPES (sizeof(types) / sizeof(types[0]))

const char *plume_dtype_name(uint32_t t)
{
	return t < N_TYPES && types[t].size ? types[t].name : NULL;
}

int64_t plume_dtype_block_elems(uint32_t t)
{
	return t < N_TYPES && types[t].size ? types[t].blck : 0;
}

size_t plume_dtype_block_bytes(uint32_t t)
{
	return t < N_TYPES ? types[t].size : 0;
}

static const size_t scalar_size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static const char *type_names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
				   "string", "array", "u64", "i64", "f64"};

/* ---- name index ------------------------------------------------------ */

typedef const char *(*name_fn)(const struct plume_gguf *g, int64_t i);

static const char *kv_name(const struct plume_gguf *g, int64_t i) { return g->kv[i].key; }
static const char *tensor_name(const struct plume_gguf *g, int64_t i) { return g->tensors[i].name; }

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static int index_init(struct index *x, int64_t n)
{
	uint64_t cap = 16;

	while (cap < 2 * (uint64_t)n)
		cap *= 2;
	x->slot = malloc(cap * sizeof(*x->slot));
	if (!x->slot)
		return PLUME_ERR_NOMEM;
	memset(x->slot, 0xff, cap * sizeof(*x->slot));
	x->mask = cap - 1;
	return 0;
}

/* Index of `name`, or -1; *at receives the slot where it would go. */
static int64_t index_find(const struct plume_gguf *g, const struct index *x, name_fn fn,
			  const char *name, uint64_t *at)
{
	uint64_t h;

	if (!x->slot)
		return -1;
	for (h = hash_str(name) & x->mask; x->slot[h] >= 0; h = (h + 1) & x->mask)
		if (!strcmp(fn(g, x->slot[h]), name))
			return x->slot[h];
	if (at)
		*at = h;
	return -1;
}

/* ---- bounded reader --------------------------------------------------- */

struct rd {
	const struct plume_gguf *g;
	uint64_t pos;
	struct plume_error *err;
};

static int need(struct rd *r, uint64_t n, const char *what)
{
	if (n > r->g->size || r->pos > r->g->size - n)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: truncated file: %s needs %llu bytes, %llu left",
				       r->g->path, (unsigned long long)r->pos, what,
				       (unsigned long long)n,
				       (unsigned long long)(r->g->size - (r->pos < r->g->size ? r->pos : r->g->size)));
	return 0;
}

static int rd_u32(struct rd *r, uint32_t *v, const char *what)
{
	if (need(r, 4, what))
		return PLUME_ERR_INVALID;
	memcpy(v, r->g->map + r->pos, 4);
	r->pos += 4;
	return 0;
}

static int rd_u64(struct rd *r, uint64_t *v, const char *what)
{
	if (need(r, 8, what))
		return PLUME_ERR_INVALID;
	memcpy(v, r->g->map + r->pos, 8);
	r->pos += 8;
	return 0;
}

/* A string: u64 length, bytes; returns pointer and length. */
static int rd_str(struct rd *r, const uint8_t **p, uint64_t *len, const char *what)
{
	uint64_t at = r->pos;

	if (rd_u64(r, len, what))
		return PLUME_ERR_INVALID;
	if (*len > GGUF_MAX_STRING)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: %s length %llu exceeds 1 GiB",
				       r->g->path, (unsigned long long)at, what,
				       (unsigned long long)*len);
	if (need(r, *len, what))
		return PLUME_ERR_INVALID;
	*p = r->g->map + r->pos;
	r->pos += *len;
	return 0;
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_value(struct rd *r, struct kv *kv)
{
	uint64_t at = r->pos;

	if (kv->type > GGUF_TYPE_FLOAT64)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: key '%s' has unknown value type %u (expected 0..12)",
				       r->g->path, (unsigned long long)at, kv->key, kv->type);
	if (kv->type == GGUF_TYPE_STRING) {
		const uint8_t *p;
		uint64_t len;

		kv->val = r->g->map + r->pos;
		return rd_str(r, &p, &len, "string value");
	}
	if (kv->type != GGUF_TYPE_ARRAY) {
		kv->val = r->g->map + r->pos;
		if (need(r, scalar_size[kv->type], "value"))
			return PLUME_ERR_INVALID;
		r->pos += scalar_size[kv->type];
		return 0;
	}
	if (rd_u32(r, &kv->arr_type, "array type") || rd_u64(r, &kv->arr_n, "array length"))
		return PLUME_ERR_INVALID;
	if (kv->arr_type == GGUF_TYPE_ARRAY || kv->arr_type > GGUF_TYPE_FLOAT64)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: key '%s': array of type %u is not allowed",
				       r->g->path, (unsigned long long)at, kv->key, kv->arr_type);
	if (kv->arr_n > GGUF_MAX_ARRAY)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: key '%s': array of %llu elements (limit 2^30)",
				       r->g->path, (unsigned long long)at, kv->key,
				       (unsigned long long)kv->arr_n);
	kv->val = r->g->map + r->pos;
	if (kv->arr_type == GGUF_TYPE_STRING) {
		/* each element at least 8 bytes: bound before allocating */
		if (need(r, kv->arr_n * 8, "string array"))
			return PLUME_ERR_INVALID;
		kv->strs = malloc((kv->arr_n ? kv->arr_n : 1) * sizeof(*kv->strs));
		if (!kv->strs)
			return plume_error_set(r->err, PLUME_ERR_NOMEM, "out of memory");
		for (uint64_t j = 0; j < kv->arr_n; j++) {
			const uint8_t *p;
			uint64_t len;

			kv->strs[j] = r->g->map + r->pos;
			if (rd_str(r, &p, &len, "string array element"))
				return PLUME_ERR_INVALID;
		}
		return 0;
	}
	if (need(r, kv->arr_n * scalar_size[kv->arr_type], "array data"))
		return PLUME_ERR_INVALID;
	r->pos += kv->arr_n * scalar_size[kv->arr_type];
	return 0;
}

static int parse_kvs(struct plume_gguf *g, struct rd *r)
{
	g->kv = calloc(g->n_kv ? (size_t)g->n_kv : 1, sizeof(*g->kv));
	if (!g->kv || index_init(&g->kv_index, g->n_kv))
		return plume_error_set(r->err, PLUME_ERR_NOMEM, "out of memory");
	for (int64_t i = 0; i < g->n_kv; i++) {
		struct kv *kv = &g->kv[i];
		const uint8_t *kp;
		uint64_t klen, slot = 0;
		int rc;

		kv->at = r->pos;
		rc = rd_str(r, &kp, &klen, "key");
		if (rc)
			return rc;
		if (!klen)
			return plume_error_set(r->err, PLUME_ERR_INVALID,
					       "%s: offset %llu: empty key", g->path,
					       (unsigned long long)kv->at);
		kv->key = malloc(klen + 1);
		if (!kv->key)
			return plume_error_set(r->err, PLUME_ERR_NOMEM, "out of memory");
		memcpy(kv->key, kp, klen);
		kv->key[klen] = '\0';
		if (strlen(kv->key) != klen)
			return plume_error_set(r->err, PLUME_ERR_INVALID,
					       "%s: offset %llu: key contains a NUL byte", g->path,
					       (unsigned long long)kv->at);
		if (index_find(g, &g->kv_index, kv_name, kv->key, &slot) >= 0)
			return plume_error_set(r->err, PLUME_ERR_INVALID,
					       "%s: offset %llu: duplicate key '%s'", g->path,
					       (unsigned long long)kv->at, kv->key);
		g->kv_index.slot[slot] = i;
		rc = rd_u32(r, &kv->type, "value type");
		if (rc)
			return rc;
		rc = parse_value(r, kv);
		if (rc)
			return rc;
	}
	return 0;
}

/* One tensor info record; `expect` is the packed offset it must have. */
static int parse_tensor(struct plume_gguf *g, struct rd *r, struct plume_tensor *t,
			uint64_t *expect)
{
	const uint8_t *p;
	uint64_t len, at = r->pos, n_el = 1, offset, padded, rows, row_bytes, slot = 0;
	uint32_t n_dims, type;
	int64_t blck;
	char *name = (char *)t->name; /* room for GGUF_MAX_NAME bytes, set by caller */
	int rc;

	rc = rd_str(r, &p, &len, "tensor name");
	if (rc)
		return rc;
	if (len >= GGUF_MAX_NAME)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: tensor name of %llu bytes (limit 63)",
				       g->path, (unsigned long long)at, (unsigned long long)len);
	memcpy(name, p, len);
	name[len] = '\0';
	if (index_find(g, &g->tensor_index, tensor_name, name, &slot) >= 0)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: duplicate tensor '%s'", g->path,
				       (unsigned long long)at, name);
	g->tensor_index.slot[slot] = t - g->tensors;
	rc = rd_u32(r, &n_dims, "tensor dims");
	if (rc)
		return rc;
	if (n_dims < 1 || n_dims > 4)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: tensor '%s': %u dimensions (expected 1..4)",
				       g->path, (unsigned long long)at, name, n_dims);
	t->n_dims = n_dims;
	for (int d = 0; d < 4; d++)
		t->ne[d] = 1;
	for (uint32_t d = 0; d < n_dims; d++) {
		uint64_t v;

		rc = rd_u64(r, &v, "tensor dim");
		if (rc)
			return rc;
		if (v > (uint64_t)INT64_MAX)
			return plume_error_set(r->err, PLUME_ERR_INVALID,
					       "%s: offset %llu: tensor '%s': negative dimension %lld",
					       g->path, (unsigned long long)at, name, (long long)v);
		if (v && n_el > (uint64_t)INT64_MAX / v)
			return plume_error_set(r->err, PLUME_ERR_INVALID,
					       "%s: offset %llu: tensor '%s': element count overflows int64",
					       g->path, (unsigned long long)at, name);
		n_el *= v;
		t->ne[d] = (int64_t)v;
	}
	rc = rd_u32(r, &type, "tensor type");
	if (rc)
		return rc;
	if (!plume_dtype_block_bytes(type))
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: tensor '%s': unknown or removed type %u",
				       g->path, (unsigned long long)at, name, type);
	t->type = type;
	blck = plume_dtype_block_elems(type);
	if (t->ne[0] % blck)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: tensor '%s': row of %lld elements is not a multiple of the %s block (%lld)",
				       g->path, (unsigned long long)at, name, (long long)t->ne[0],
				       plume_dtype_name(type), (long long)blck);
	/* n_el fits int64, so row_bytes (<= 292 * n_el / 256) fits u64; check rows */
	rows = t->ne[0] ? n_el / (uint64_t)t->ne[0] : 0;
	row_bytes = (uint64_t)t->ne[0] / (uint64_t)blck * plume_dtype_block_bytes(type);
	if (row_bytes && rows > UINT64_MAX / row_bytes)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: tensor '%s': byte size overflows", g->path,
				       (unsigned long long)at, name);
	t->n_bytes = row_bytes * rows;
	rc = rd_u64(r, &offset, "tensor offset");
	if (rc)
		return rc;
	if (offset != *expect)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: tensor '%s': data offset %llu, expected %llu (tensors packed in order, each aligned to %u)",
				       g->path, (unsigned long long)at, name,
				       (unsigned long long)offset, (unsigned long long)*expect,
				       g->alignment);
	padded = t->n_bytes + (g->alignment - t->n_bytes % g->alignment) % g->alignment;
	if (padded < t->n_bytes || *expect > UINT64_MAX - padded)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: tensor '%s': data offsets overflow", g->path,
				       (unsigned long long)at, name);
	*expect += padded;
	t->data = (const void *)(uintptr_t)offset; /* resolved once data_start is known */
	return 0;
}

static int parse_tensors(struct plume_gguf *g, struct rd *r)
{
	uint64_t expect = 0, left = g->size - r->pos;
	/* Each info record takes >= 32 bytes besides its name: bound the
	 * count, then the name storage (64 per tensor, at most the bytes left). */
	uint64_t names_cap;

	if ((uint64_t)g->n_tensors > left / 32)
		return plume_error_set(r->err, PLUME_ERR_INVALID,
				       "%s: offset %llu: truncated file: %lld tensor infos cannot fit in the %llu bytes left",
				       g->path, (unsigned long long)r->pos, (long long)g->n_tensors,
				       (unsigned long long)left);
	names_cap = (uint64_t)g->n_tensors * GGUF_MAX_NAME;
	if (names_cap > left + GGUF_MAX_NAME)
		names_cap = left + GGUF_MAX_NAME;
	g->tensors = calloc(g->n_tensors ? (size_t)g->n_tensors : 1, sizeof(*g->tensors));
	g->names = malloc(names_cap ? names_cap : 1);
	if (!g->tensors || !g->names || index_init(&g->tensor_index, g->n_tensors))
		return plume_error_set(r->err, PLUME_ERR_NOMEM, "out of memory");
	for (int64_t i = 0, used = 0; i < g->n_tensors; i++) {
		struct plume_tensor *t = &g->tensors[i];
		int rc;

		/* a name needs its 8-byte length in the file, so it always fits */
		t->name = g->names + used;
		rc = parse_tensor(g, r, t, &expect);
		if (rc)
			return rc;
		used += (int64_t)strlen(t->name) + 1;
	}
	return 0;
}

static int find_alignment(struct plume_gguf *g, struct plume_error *err)
{
	int64_t i = plume_gguf_find(g, "general.alignment");
	uint32_t a;

	g->alignment = 32;
	if (i < 0)
		return 0;
	if (g->kv[i].type != GGUF_TYPE_UINT32)
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s: offset %llu: general.alignment has type %s, expected u32",
				       g->path, (unsigned long long)g->kv[i].at,
				       type_names[g->kv[i].type]);
	memcpy(&a, g->kv[i].val, 4);
	if (!a || (a & (a - 1)))
		return plume_error_set(err, PLUME_ERR_INVALID,
				       "%s: offset %llu: general.alignment = %u is not a power of two",
				       g->path, (unsigned long long)g->kv[i].at, a);
	g->alignment = a;
	return 0;
}

int plume_gguf_open(const char *path, struct plume_gguf **out, struct plume_error *err)
{
	struct plume_gguf *g = calloc(1, sizeof(*g));
	struct rd r = {.err = err};
	struct stat st;
	uint32_t magic;
	uint64_t nt = 0, nk = 0;
	int fd = -1, rc;

	if (!g)
		return plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
	g->path = strdup(path);
	if (!g->path) {
		rc = plume_error_set(err, PLUME_ERR_NOMEM, "out of memory");
		goto fail;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = plume_error_set(err, PLUME_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = plume_error_set(err, PLUME_ERR_IO, "%s: not a regular file", path);
		goto fail;
	}
	g->size = (uint64_t)st.st_size;
	if (g->size < 24) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: offset 0: file of %llu bytes is too short for a GGUF header (24 bytes)", path,
				     (unsigned long long)g->size);
		goto fail;
	}
	g->map = mmap(NULL, g->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		rc = plume_error_set(err, PLUME_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	r.g = g;
	memcpy(&magic, g->map, 4);
	if (memcmp(g->map, "GGUF", 4)) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: offset 0: not a GGUF file (magic %02x %02x %02x %02x, expected 'GGUF')",
				     path, g->map[0], g->map[1], g->map[2], g->map[3]);
		goto fail;
	}
	r.pos = 4;
	rd_u32(&r, &g->version, "version");
	if ((g->version & 0xFFFF) == 0 && g->version) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: offset 4: version 0x%08x looks byte-swapped (big-endian files are not supported)",
				     path, g->version);
		goto fail;
	}
	if (g->version != 2 && g->version != 3) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: offset 4: GGUF version %u is not supported (expected 2 or 3)",
				     path, g->version);
		goto fail;
	}
	rd_u64(&r, &nt, "tensor count");
	rd_u64(&r, &nk, "kv count");
	/* Each KV needs >= 14 bytes and each tensor info >= 32: bound the counts
	 * before allocating (parse_tensors bounds the tensors again, tighter). */
	if (nk > g->size / 14 || nt > g->size / 32) {
		rc = plume_error_set(err, PLUME_ERR_INVALID,
				     "%s: offset 8: %llu tensors and %llu keys cannot fit in %llu bytes",
				     path, (unsigned long long)nt, (unsigned long long)nk,
				     (unsigned long long)g->size);
		goto fail;
	}
	g->n_tensors = (int64_t)nt;
	g->n_kv = (int64_t)nk;
	rc = parse_kvs(g, &r);
	if (rc)
		goto fail;
	rc = find_alignment(g, err);
	if (rc)
		goto fail;
	rc = parse_tensors(g, &r);
	if (rc)
		goto fail;
	g->data_start = r.pos;
	if (g->n_tensors)
		g->data_start += (g->alignment - r.pos % g->alignment) % g->alignment;
	for (int64_t i = 0; i < g->n_tensors; i++) {
		struct plume_tensor *t = &g->tensors[i];
		uint64_t off = (uint64_t)(uintptr_t)t->data;

		if (!t->n_bytes) {
			/* zero elements: nothing to read, keep a valid pointer */
			t->data = g->map;
			continue;
		}
		if (g->data_start > g->size || off > g->size - g->data_start ||
		    t->n_bytes > g->size - g->data_start - off) {
			rc = plume_error_set(err, PLUME_ERR_INVALID,
					     "%s: offset %llu: tensor '%s': data [%llu, %llu) lies past the end of the file (%llu bytes): truncated or corrupt",
					     path, (unsigned long long)(g->data_start + off), t->name,
					     (unsigned long long)(g->data_start + off),
					     (unsigned long long)(g->data_start + off + t->n_bytes),
					     (unsigned long long)g->size);
			goto fail;
		}
		t->data = g->map + g->data_start + off;
	}
	*out = g;
	return PLUME_OK;
fail:
	if (fd >= 0)
		close(fd);
	plume_gguf_close(g);
	return rc;
}

void plume_gguf_close(struct plume_gguf *g)
{
	if (!g)
		return;
	for (int64_t i = 0; g->kv && i < g->n_kv; i++) {
		free(g->kv[i].key);
		free(g->kv[i].strs);
	}
	free(g->kv);
	free(g->kv_index.slot);
	free(g->tensor_index.slot);
	free(g->tensors);
	free(g->names);
	if (g->map)
		munmap(g->map, g->size);
	free(g->path);
	free(g);
}

uint32_t plume_gguf_version(const struct plume_gguf *g) { return g->version; }
const char *plume_gguf_path(const struct plume_gguf *g) { return g->path; }
uint64_t plume_gguf_file_size(const struct plume_gguf *g) { return g->size; }
int64_t plume_gguf_n_kv(const struct plume_gguf *g) { return g->n_kv; }
int64_t plume_gguf_n_tensors(const struct plume_gguf *g) { return g->n_tensors; }

int64_t plume_gguf_find(const struct plume_gguf *g, const char *key)
{
	return index_find(g, &g->kv_index, kv_name, key, NULL);
}

const char *plume_gguf_key(const struct plume_gguf *g, int64_t i) { return g->kv[i].key; }
uint32_t plume_gguf_kv_type(const struct plume_gguf *g, int64_t i) { return g->kv[i].type; }
uint32_t plume_gguf_arr_type(const struct plume_gguf *g, int64_t i) { return g->kv[i].arr_type; }
uint64_t plume_gguf_arr_n(const struct plume_gguf *g, int64_t i) { return g->kv[i].arr_n; }
const void *plume_gguf_arr_data(const struct plume_gguf *g, int64_t i) { return g->kv[i].val; }

struct plume_str plume_gguf_arr_str(const struct plume_gguf *g, int64_t i, uint64_t j)
{
	struct plume_str s = {0};
	uint64_t len;

	if (g->kv[i].type != GGUF_TYPE_ARRAY || g->kv[i].arr_type != GGUF_TYPE_STRING ||
	    j >= g->kv[i].arr_n)
		return s;
	memcpy(&len, g->kv[i].strs[j], 8);
	s.ptr = (const char *)g->kv[i].strs[j] + 8;
	s.len = len;
	return s;
}

const struct plume_tensor *plume_gguf_tensor(const struct plume_gguf *g, int64_t i)
{
	return i >= 0 && i < g->n_tensors ? &g->tensors[i] : NULL;
}

const struct plume_tensor *plume_gguf_find_tensor(const struct plume_gguf *g, const char *name)
{
	int64_t i = index_find(g, &g->tensor_index, tensor_name, name, NULL);

	return i >= 0 ? &g->tensors[i] : NULL;
}

uint64_t plume_gguf_data_offset(const struct plume_gguf *g) { return g->data_start; }

uint64_t plume_gguf_tensor_offset(const struct plume_gguf *g, int64_t i)
{
	const struct plume_tensor *t = plume_gguf_tensor(g, i);

	if (!t || !t->n_bytes)
		return 0;
	return (uint64_t)((const uint8_t *)t->data - g->map) - g->data_start;
}

/* ---- typed getters ---------------------------------------------------- */

static int get_kv(const struct plume_gguf *g, const char *key, const struct kv **kv)
{
	int64_t i = plume_gguf_find(g, key);

	if (i < 0)
		return PLUME_ERR_NOTFOUND;
	*kv = &g->kv[i];
	return 0;
}

static int wrong_type(const struct plume_gguf *g, const struct kv *kv, const char *want,
		      struct plume_error *err)
{
	return plume_error_set(err, PLUME_ERR_INVALID, "%s: key %s has type %s, expected %s",
			       g->path, kv->key, type_names[kv->type], want);
}

int plume_gguf_get_i64(const struct plume_gguf *g, const char *key, int64_t *out,
		       struct plume_error *err)
{
	const struct kv *kv;
	const uint8_t *p;

	if (get_kv(g, key, &kv))
		return PLUME_ERR_NOTFOUND;
	p = kv->val;
	switch (kv->type) {
	case GGUF_TYPE_UINT8: *out = *p; return 0;
	case GGUF_TYPE_INT8: *out = (int8_t)*p; return 0;
	case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, p, 2); *out = v; return 0; }
	case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, p, 2); *out = v; return 0; }
	case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, p, 4); *out = v; return 0; }
	case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, p, 4); *out = v; return 0; }
	case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, p, 8); *out = v; return 0; }
	case GGUF_TYPE_UINT64: {
		uint64_t v;

		memcpy(&v, p, 8);
		if (v > (uint64_t)INT64_MAX)
			return plume_error_set(err, PLUME_ERR_INVALID, "%s: key %s = %llu is too large",
					       g->path, key, (unsigned long long)v);
		*out = (int64_t)v;
		return 0;
	}
	default:
		return wrong_type(g, kv, "an integer", err);
	}
}

int plume_gguf_get_u32(const struct plume_gguf *g, const char *key, uint32_t *out,
		       struct plume_error *err)
{
	int64_t v;
	int rc = plume_gguf_get_i64(g, key, &v, err);

	if (rc)
		return rc;
	if (v < 0 || v > UINT32_MAX)
		return plume_error_set(err, PLUME_ERR_INVALID, "%s: key %s = %lld out of range [0, 2^32)",
				       plume_gguf_path(g), key, (long long)v);
	*out = (uint32_t)v;
	return 0;
}

int plume_gguf_get_f32(const struct plume_gguf *g, const char *key, float *out,
		       struct plume_error *err)
{
	const struct kv *kv;

	if (get_kv(g, key, &kv))
		return PLUME_ERR_NOTFOUND;
	if (kv->type == GGUF_TYPE_FLOAT32) {
		memcpy(out, kv->val, 4);
		return 0;
	}
	if (kv->type == GGUF_TYPE_FLOAT64) {
		double d;

		memcpy(&d, kv->val, 8);
		*out = (float)d;
		return 0;
	}
	return wrong_type(g, kv, "f32", err);
}

int plume_gguf_get_bool(const struct plume_gguf *g, const char *key, int *out,
			struct plume_error *err)
{
	const struct kv *kv;

	if (get_kv(g, key, &kv))
		return PLUME_ERR_NOTFOUND;
	if (kv->type != GGUF_TYPE_BOOL)
		return wrong_type(g, kv, "bool", err);
	*out = *kv->val != 0;
	return 0;
}

int plume_gguf_get_str(const struct plume_gguf *g, const char *key, struct plume_str *out,
		       struct plume_error *err)
{
	const struct kv *kv;
	uint64_t len;

	if (get_kv(g, key, &kv))
		return PLUME_ERR_NOTFOUND;
	if (kv->type != GGUF_TYPE_STRING)
		return wrong_type(g, kv, "string", err);
	memcpy(&len, kv->val, 8);
	out->ptr = (const char *)kv->val + 8;
	out->len = len;
	return 0;
}
