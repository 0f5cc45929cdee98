/* Test-side GGUF writer (see gguf_writer.h): key/value pairs are serialised
 * as they are added; tensors are kept until tu_gguf_build() lays out the
 * infos, the aligned data blob and applies the malformation knobs. */
#include "gguf_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct tensor {
	char *name;
	uint32_t type, n_dims;
	int64_t ne[8];
	uint8_t *data;
	size_t n_bytes;
	int has_offset;
	uint64_t offset;
};

struct tu_gguf {
	struct buf kv;
	uint64_t n_kv;
	struct tensor *t;
	int n_t, cap_t;
	int bad;           /* an allocation failed earlier */
	uint32_t alignment; /* from a valid u32 general.alignment, else 0 */
};

static int put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int put_u32(struct buf *b, uint32_t v) { return put(b, &v, 4); }
static int put_u64(struct buf *b, uint64_t v) { return put(b, &v, 8); }

static int put_str(struct buf *b, const char *s, size_t n)
{
	return put_u64(b, n) || put(b, s, n);
}

struct tu_gguf *tu_gguf_new(void)
{
	return calloc(1, sizeof(struct tu_gguf));
}

void tu_gguf_free(struct tu_gguf *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n_t; i++) {
		free(w->t[i].name);
		free(w->t[i].data);
	}
	free(w->t);
	free(w->kv.p);
	free(w);
}

static int kv_head(struct tu_gguf *w, const char *key, uint32_t type)
{
	if (put_str(&w->kv, key, strlen(key)) || put_u32(&w->kv, type)) {
		w->bad = 1;
		return -1;
	}
	w->n_kv++;
	return 0;
}

static int kv_scalar(struct tu_gguf *w, const char *key, uint32_t type, const void *v, size_t n)
{
	if (kv_head(w, key, type))
		return -1;
	if (put(&w->kv, v, n)) {
		w->bad = 1;
		return -1;
	}
	return 0;
}

int tu_gguf_kv_u8(struct tu_gguf *w, const char *k, uint8_t v) { return kv_scalar(w, k, TU_U8, &v, 1); }
int tu_gguf_kv_i8(struct tu_gguf *w, const char *k, int8_t v) { return kv_scalar(w, k, TU_I8, &v, 1); }
int tu_gguf_kv_u16(struct tu_gguf *w, const char *k, uint16_t v) { return kv_scalar(w, k, TU_U16, &v, 2); }
int tu_gguf_kv_i16(struct tu_gguf *w, const char *k, int16_t v) { return kv_scalar(w, k, TU_I16, &v, 2); }
int tu_gguf_kv_i32(struct tu_gguf *w, const char *k, int32_t v) { return kv_scalar(w, k, TU_I32, &v, 4); }
int tu_gguf_kv_f32(struct tu_gguf *w, const char *k, float v) { return kv_scalar(w, k, TU_F32, &v, 4); }
int tu_gguf_kv_u64(struct tu_gguf *w, const char *k, uint64_t v) { return kv_scalar(w, k, TU_U64, &v, 8); }
int tu_gguf_kv_i64(struct tu_gguf *w, const char *k, int64_t v) { return kv_scalar(w, k, TU_I64, &v, 8); }
int tu_gguf_kv_f64(struct tu_gguf *w, const char *k, double v) { return kv_scalar(w, k, TU_F64, &v, 8); }

int tu_gguf_kv_u32(struct tu_gguf *w, const char *k, uint32_t v)
{
	if (!strcmp(k, "general.alignment") && v && !(v & (v - 1)))
		w->alignment = v;
	return kv_scalar(w, k, TU_U32, &v, 4);
}

int tu_gguf_kv_bool(struct tu_gguf *w, const char *k, int v)
{
	uint8_t b = v ? 1 : 0;

	return kv_scalar(w, k, TU_BOOL, &b, 1);
}

int tu_gguf_kv_strn(struct tu_gguf *w, const char *key, const char *s, size_t len)
{
	if (kv_head(w, key, TU_STR))
		return -1;
	if (put_str(&w->kv, s, len)) {
		w->bad = 1;
		return -1;
	}
	return 0;
}

int tu_gguf_kv_str(struct tu_gguf *w, const char *key, const char *s)
{
	return tu_gguf_kv_strn(w, key, s, strlen(s));
}

static size_t elem_size(uint32_t t)
{
	static const size_t s[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

	return t < 13 ? s[t] : 0;
}

int tu_gguf_kv_arr(struct tu_gguf *w, const char *key, uint32_t elem_type, const void *data,
		   uint64_t n)
{
	if (!elem_size(elem_type) || kv_head(w, key, TU_ARR))
		return -1;
	if (put_u32(&w->kv, elem_type) || put_u64(&w->kv, n) ||
	    put(&w->kv, data, (size_t)n * elem_size(elem_type))) {
		w->bad = 1;
		return -1;
	}
	return 0;
}

int tu_gguf_kv_arr_str(struct tu_gguf *w, const char *key, const char *const *s, uint64_t n)
{
	if (kv_head(w, key, TU_ARR))
		return -1;
	if (put_u32(&w->kv, TU_STR) || put_u64(&w->kv, n))
		goto nomem;
	for (uint64_t i = 0; i < n; i++)
		if (put_str(&w->kv, s[i], strlen(s[i])))
			goto nomem;
	return 0;
nomem:
	w->bad = 1;
	return -1;
}

int tu_gguf_kv_raw(struct tu_gguf *w, const char *key, uint32_t type, const void *payload,
		   size_t n)
{
	return kv_scalar(w, key, type, payload, n);
}

int tu_gguf_tensor(struct tu_gguf *w, const char *name, uint32_t type, uint32_t n_dims,
		   const int64_t *ne, const void *data, size_t n_bytes)
{
	struct tensor *t;

	if (n_dims > 8)
		return -1;
	if (w->n_t == w->cap_t) {
		int cap = w->cap_t ? 2 * w->cap_t : 16;
		struct tensor *p = realloc(w->t, (size_t)cap * sizeof(*p));

		if (!p)
			goto nomem;
		w->t = p;
		w->cap_t = cap;
	}
	t = &w->t[w->n_t];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	t->data = calloc(1, n_bytes ? n_bytes : 1);
	if (!t->name || !t->data) {
		free(t->name);
		free(t->data);
		goto nomem;
	}
	if (data && n_bytes)
		memcpy(t->data, data, n_bytes);
	t->type = type;
	t->n_dims = n_dims;
	for (uint32_t d = 0; d < n_dims; d++)
		t->ne[d] = ne[d];
	t->n_bytes = n_bytes;
	return w->n_t++;
nomem:
	w->bad = 1;
	return -1;
}

int tu_gguf_tensor_offset(struct tu_gguf *w, int index, uint64_t offset)
{
	if (index < 0 || index >= w->n_t)
		return -1;
	w->t[index].has_offset = 1;
	w->t[index].offset = offset;
	return 0;
}

size_t tu_tensor_bytes(uint32_t type, uint32_t n_dims, const int64_t *ne)
{
	static const struct { uint32_t type; size_t blck, size; } tab[] = {
		{0, 1, 4}, {1, 1, 2}, {30, 1, 2}, {2, 32, 18}, {3, 32, 20}, {6, 32, 22},
		{7, 32, 24}, {8, 32, 34}, {10, 256, 84}, {11, 256, 110}, {12, 256, 144},
		{13, 256, 176}, {14, 256, 210}, {15, 256, 292},
	};
	size_t n = 1;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (tab[i].type != type)
			continue;
		if (!n_dims || ne[0] % (int64_t)tab[i].blck)
			return 0;
		for (uint32_t d = 1; d < n_dims; d++)
			n *= (size_t)ne[d];
		return (size_t)ne[0] / tab[i].blck * tab[i].size * n;
	}
	return 0;
}

static size_t pad(size_t x, size_t a)
{
	return (a - x % a) % a;
}

int tu_gguf_build(struct tu_gguf *w, const struct tu_gguf_knobs *k, uint8_t **out, size_t *len)
{
	static const struct tu_gguf_knobs none = {0};
	static const uint8_t zeros[4096];
	struct buf b = {0};
	uint64_t off = 0;
	size_t align;

	if (!k)
		k = &none;
	if (w->bad)
		return -1;
	align = k->alignment ? k->alignment : w->alignment ? w->alignment : 32;
	if (put(&b, k->magic ? k->magic : "GGUF", 4) || put_u32(&b, k->version ? k->version : 3) ||
	    put_u64(&b, k->set_n_tensors ? k->n_tensors : (uint64_t)w->n_t) ||
	    put_u64(&b, k->set_n_kv ? k->n_kv : w->n_kv) || put(&b, w->kv.p, w->kv.len))
		goto nomem;
	for (int i = 0; i < w->n_t; i++) {
		struct tensor *t = &w->t[i];

		if (put_str(&b, t->name, strlen(t->name)) || put_u32(&b, t->n_dims))
			goto nomem;
		for (uint32_t d = 0; d < t->n_dims; d++)
			if (put_u64(&b, (uint64_t)t->ne[d]))
				goto nomem;
		if (put_u32(&b, t->type) || put_u64(&b, t->has_offset ? t->offset : off))
			goto nomem;
		off += t->n_bytes + pad(t->n_bytes, align);
	}
	/* data blob: aligned start (only when there are tensors), each tensor
	 * padded to the alignment */
	if (w->n_t && put(&b, zeros, pad(b.len, align)))
		goto nomem;
	for (int i = 0; i < w->n_t; i++)
		if (put(&b, w->t[i].data, w->t[i].n_bytes) ||
		    put(&b, zeros, pad(w->t[i].n_bytes, align)))
			goto nomem;
	if (k->truncate_at > 0 && (size_t)k->truncate_at < b.len)
		b.len = (size_t)k->truncate_at;
	*out = b.p;
	*len = b.len;
	return 0;
nomem:
	free(b.p);
	return -1;
}

int tu_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f))
		rc = -1;
	return rc;
}

int tu_gguf_write(struct tu_gguf *w, const char *path, const struct tu_gguf_knobs *k)
{
	uint8_t *p;
	size_t n;
	int rc;

	if (tu_gguf_build(w, k, &p, &n))
		return -1;
	rc = tu_write_file(path, p, n);
	free(p);
	return rc;
}

uint16_t tu_fp16_from_f32(float f)
{
	uint32_t x, sign, mant;
	int32_t exp;

	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000;
	exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
	mant = x & 0x7fffff;
	if (((x >> 23) & 0xff) == 0xff)
		return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
	if (exp >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (exp <= 0) {
		/* subnormal half (or zero): shift the full mantissa, round to even */
		uint32_t m = mant | 0x800000, shift = (uint32_t)(14 - exp), r, half;

		if (shift > 24)
			return (uint16_t)sign;
		r = m >> shift;
		half = 1u << (shift - 1);
		if ((m & ((half << 1) - 1)) > half || ((m & ((half << 1) - 1)) == half && (r & 1)))
			r++;
		return (uint16_t)(sign | r);
	}
	{
		uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13), rest = mant & 0x1fff;

		/* carry into the exponent is the correct rounding behaviour */
		if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
			h++;
		return (uint16_t)h;
	}
}

float tu_f32_from_fp16(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, x;
	float f;

	if (exp == 0) {
		f = ldexpf((float)mant, -24);
		return sign ? -f : f;
	}
	if (exp == 31)
		x = sign | 0x7f800000 | (mant << 13);
	else
		x = sign | ((exp + 112) << 23) | (mant << 13);
	memcpy(&f, &x, 4);
	return f;
}

uint16_t tu_bf16_from_f32(float f)
{
	uint32_t x;

	memcpy(&x, &f, 4);
	if ((x & 0x7fffffff) > 0x7f800000)
		return (uint16_t)((x >> 16) | 0x40);
	return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

const char *tu_tmp_path(char *buf, size_t cap, const char *tag)
{
	static unsigned counter;
	const char *dir = getenv("TMPDIR");

	snprintf(buf, cap, "%s/plume-test-%ld-%u-%s.gguf", dir && *dir ? dir : "/tmp",
		 (long)getpid(), counter++, tag);
	return buf;
}
